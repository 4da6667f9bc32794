"""Response models of the HTTP API (OpenAPI only: the routes send :mod:`api.views` dicts).

``common`` (head, ``data_quality``, error bodies), ``exposure``, ``zero_dte`` and
``reference`` (symbols, options, stock quote, health, scan), one module per resource.
"""
