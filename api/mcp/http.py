"""``/mcp``: the MCP server of :mod:`api.mcp.server` as streamable HTTP inside the HTTP app.

:func:`mount` adds the route (outside the OpenAPI document) and runs the SDK's session
manager within the app's lifespan (a fresh one per lifespan run). Every request to ``/mcp``
is authenticated and counted exactly as a REST request (the same dependency functions): with
keys configured, no key or a wrong one is the REST API's ``401`` body, failed keys count
against the client address (``429`` past the limit), and each request counts one against
the key's moving window, with the ``X-RateLimit-*`` headers on the answer and ``429`` +
``Retry-After`` when the window is full. A tool call then makes its endpoint's request with
the same key and client address, which counts as that endpoint counts (``scan``: one per
symbol): a tool call costs the request that carried it plus its endpoint's request.

The transport is stateless with JSON answers (each POST carries one JSON-RPC message and
gets one JSON answer; there are no sessions to own or expire, and nothing is streamed: a
``GET`` is ``405``, as the transport specifies for a server without an SSE stream), so
every message is authenticated on its own. Without keys the app answers loopback clients
only, and ``/mcp`` additionally checks ``Host`` and ``Origin`` against the loopback names
(the SDK's DNS-rebinding protection), since a browser page could otherwise reach it through
a rebound name; with keys, the key is the protection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from fastapi import FastAPI, Request
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.http.auth import Authenticator
from api.http.deps import _authenticate, _count  # the REST API's own checks, not copies
from api.mcp.server import Caller, build_server

__all__ = ["CALLER_STATE", "PATH", "McpEndpoint", "mount"]

PATH: Final = "/mcp"
CALLER_STATE: Final = "gex_mcp_caller"
"""Key of the request's ``scope["state"]`` holding the authenticated :class:`Caller`."""
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_NO_STREAM = Response(
    b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Method Not Allowed: '
    b'this server sends no stream; POST one JSON-RPC message per request"}}',
    status_code=405,
    headers={"Allow": "POST"},
    media_type="application/json",
)
"""The answer to ``GET /mcp``: the transport allows 405 when the server offers no SSE
stream (a stateless server never initiates messages; without this a GET would hang)."""


def _caller(ctx: Context) -> Caller:
    """The caller of a tool call received over ``/mcp``: put in the HTTP request's state by
    :class:`McpEndpoint` after authenticating it."""
    request = ctx.request_context.request
    state = getattr(request, "scope", {}).get("state", {})
    caller = state.get(CALLER_STATE)
    if not isinstance(caller, Caller):
        raise RuntimeError("an MCP tool call without an authenticated HTTP request")
    return caller


def _security(keys_configured: bool) -> TransportSecuritySettings:
    if keys_configured:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[h for host in _LOOPBACK_HOSTS for h in (host, f"{host}:*")],
        allowed_origins=[
            o for host in _LOOPBACK_HOSTS for o in (f"http://{host}", f"http://{host}:*")
        ],
    )


class McpEndpoint:
    """The ASGI app of ``/mcp``: authenticate and count the request, then hand it to the
    session manager of the current lifespan run."""

    def __init__(self, server: MCPServer, security: TransportSecuritySettings) -> None:
        self.server = server
        self.security = security
        self.manager: StreamableHTTPSessionManager | None = None

    def new_manager(self) -> StreamableHTTPSessionManager:
        """A session manager for one lifespan run (a manager runs once)."""
        self.server.streamable_http_app(
            streamable_http_path=PATH,
            stateless_http=True,
            json_response=True,
            transport_security=self.security,
        )
        self.manager = self.server.session_manager
        return self.manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        header_key = request.headers.get("x-api-key")
        query_key = request.query_params.get("apiKey")
        principal = _authenticate(request, header_key, query_key)  # 401 / 429 as REST
        _count(request, principal)  # 429 + Retry-After, or the X-RateLimit-* headers
        scope.setdefault("state", {})[CALLER_STATE] = Caller(
            header_key or query_key, scope.get("client")
        )
        if scope.get("method") == "GET":  # no server-initiated messages: no SSE stream
            await _NO_STREAM(scope, receive, send)
            return
        if self.manager is None:
            raise RuntimeError("the MCP endpoint runs within the app's lifespan only")
        await self.manager.handle_request(scope, receive, send)


def mount(app: FastAPI) -> MCPServer:
    """Serve the MCP server over ``app`` at ``/mcp`` (streamable HTTP); returns it."""
    server = build_server(app, _caller)
    authenticator: Authenticator = app.state.authenticator
    endpoint = McpEndpoint(server, _security(authenticator.enabled))
    app.router.add_route(PATH, endpoint, include_in_schema=False)
    enclosing = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(target: Any) -> AsyncIterator[Any]:
        async with enclosing(target) as state, endpoint.new_manager().run():
            yield state

    app.router.lifespan_context = lifespan
    app.state.mcp = server
    return server
