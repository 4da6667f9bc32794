"""``gex mcp``: the MCP server over stdio, for desktop agents (docs/mcp.md).

The HTTP app is built in-process from the command's options (:func:`api.http.app.create_app`,
no socket) with one API key of its own, made up at start and never shown; every tool call
is a request to that app with that key (:mod:`api.mcp.server`), so stdio answers exactly
what ``/mcp`` and the REST API answer. The app's lifespan (kernel warm-up, closing the
service) runs around the stdio loop. Settings other than the keys (rate limit, cache,
timeouts, store) come from the environment and the config file as for ``gex serve``.
stdout carries the protocol only; logs go to stderr.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import anyio

from api.config import ServerSettings
from api.http.app import create_app
from api.mcp.server import Caller, build_server

__all__ = ["serve_stdio"]


def serve_stdio(
    *,
    source: str = "demo",
    source_settings: Mapping[str, Any] | None = None,
    preset: str = "native",
    ttl: float | None = None,
    store: str | None = None,
) -> None:
    """Serve MCP on stdin/stdout until the client closes it (blocking). Raises the typed
    errors of a bad source, setting or preset before reading anything."""
    key = secrets.token_urlsafe(32)
    settings = ServerSettings.load(
        source=source, preset=preset, cache_ttl=ttl, store=store, api_keys=key
    )
    app = create_app(settings=settings, source_settings=source_settings)
    caller = Caller(key)
    server = build_server(app, lambda _ctx: caller)

    async def run() -> None:
        async with app.router.lifespan_context(app):
            await server.run_stdio_async()

    anyio.run(run)
