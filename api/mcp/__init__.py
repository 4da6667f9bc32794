"""The MCP face: the engine's endpoints as Model Context Protocol tools (docs/mcp.md).

- :mod:`api.mcp.tools`: the one table of tools (name -> HTTP path, query parameters,
  description), named after the official SDK's methods;
- :mod:`api.mcp.server`: the MCP server (tools, the ``gex://symbols`` resource, the
  ``dealer_positioning_report`` prompt); each tool call is its endpoint's request made
  in-process to the HTTP app, so it answers exactly the REST body;
- :mod:`api.mcp.http`: ``/mcp`` in the HTTP app (streamable HTTP, the REST API's keys and
  rate limits);
- :mod:`api.mcp.stdio`: ``gex mcp``, the same server over stdio for desktop agents.
"""
