"""What the HTTP API, the CLI and the MCP server share: the analysis service and its cache,
the compute pool with request deadlines, the collector that fills a store, and the scans.

Import from the modules (``api.service.analysis`` …); this package imports nothing itself.
"""
