"""The MCP server: the tools of :data:`api.mcp.tools.TOOLS`, the symbols resource and the
report prompt, answered by the HTTP app itself.

A tool call is a GET request made in-process to the FastAPI app (:func:`call_app`: the ASGI
app called directly, no socket) with the caller's credentials: the API key and the client
address of :class:`Caller`. The request passes through every middleware, the
authentication and the rate limit of the REST API, so the tool's result is exactly the body
the endpoint answers for the same request — on success as the text content (the exact
bytes) and as ``structuredContent`` (the parsed object); on any other status as a tool
error (``isError``) whose content is the endpoint's error body, ``{"error": code,
"message": message}`` (a 401 or 429 body likewise).

Resource ``gex://symbols``: the ``/v1/symbols`` body of the source (read from the same
service, rendered by the same view). Prompt ``dealer_positioning_report``: asks the model to
call ``exposure_summary``, ``exposure_levels``, ``narrative`` and ``flow_dealer_risk`` for a
symbol and write a report.

:func:`build_server` takes the app and a function giving the :class:`Caller` of a tool call:
``gex mcp`` (stdio, :mod:`api.mcp.stdio`) passes the private key it configured, ``/mcp``
(:mod:`api.mcp.http`) the key of the HTTP request that carried the call.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, Final
from urllib.parse import quote, urlencode

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult, TextContent, ToolAnnotations
from pydantic import Field
from starlette.types import ASGIApp, Message

from api.http.errors import INTERNAL
from api.http.routes._respond import json_response
from api.mcp.tools import SYMBOL_PARAM, TOOLS, ToolSpec, tool_function
from api.service.analysis import AnalysisService
from api.service.compute import deadline_in
from api.service.errors import error_for
from api.views import symbols_view
from data_adapters.errors import InvalidSymbolError
from data_adapters.symbols import check_symbol
from engine.errors import GexError

__all__ = [
    "LOOPBACK",
    "PROMPT",
    "SYMBOLS_URI",
    "Caller",
    "Reply",
    "build_server",
    "call_app",
    "report_prompt",
    "tool_result",
]

log = logging.getLogger("api")

SYMBOLS_URI: Final = "gex://symbols"
PROMPT: Final = "dealer_positioning_report"
LOOPBACK: Final = ("127.0.0.1", 0)
_INSTRUCTIONS = (
    "Dealer gamma, delta, vanna and charm exposure (GEX/DEX/VEX/CHEX) of option chains: "
    "gamma flip, walls, regime, hedging flows, 0DTE and a narrative. Every tool answers "
    "the JSON of the gex-engine HTTP endpoint it names; errors carry the endpoint's "
    "error code and message. The resource gex://symbols lists the symbols served."
)


def _version() -> str:
    try:
        return version("gex-engine")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without install
        return ""


@dataclass(frozen=True, slots=True)
class Caller:
    """Whom a tool's in-process request is made for: the API key to present (None: none)
    and the client address the app sees (the key's principal, or without keys configured
    the loopback address, decides the rate-limit window the request counts against)."""

    key: str | None
    client: tuple[str, int] | None = LOOPBACK

    def __repr__(self) -> str:  # the key is a secret
        return f"Caller(key={'<set>' if self.key else None}, client={self.client!r})"


@dataclass(frozen=True, slots=True)
class Reply:
    """The status and body bytes of an in-process response."""

    status: int
    body: bytes


async def call_app(
    app: ASGIApp, path: str, query: Sequence[tuple[str, str]], caller: Caller
) -> Reply:
    """``GET path?query`` answered by ``app`` in-process, with ``caller``'s key in the
    ``X-Api-Key`` header (in ``apiKey`` when it is not Latin-1). ``path`` is used as given:
    it is the decoded path the app routes on, never re-parsed, so a symbol such as ``..``
    or ``SPY?x=1`` reaches the route and is refused there exactly as over HTTP."""
    headers = [(b"host", b"localhost"), (b"accept", b"application/json")]
    pairs = list(query)
    if caller.key is not None:
        try:
            headers.append((b"x-api-key", caller.key.encode("latin-1")))
        except UnicodeEncodeError:
            pairs.append(("apiKey", caller.key))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": quote(path, safe="/").encode("ascii"),
        "root_path": "",
        "query_string": urlencode(pairs).encode("ascii"),
        "headers": headers,
        "client": caller.client,
        "server": ("localhost", 80),
        "state": {},
    }
    status: int | None = None
    chunks: list[bytes] = []
    finished = anyio.Event()
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope, receive, send)
    except Exception:  # the app answers its own errors: a last resort
        log.exception("unhandled error in an MCP tool's request to %s", ascii(path)[1:-1][:200])
        if status is None:
            return Reply(500, json.dumps(INTERNAL).encode())
    finally:
        finished.set()
    return Reply(500 if status is None else status, b"".join(chunks))


def tool_result(reply: Reply) -> CallToolResult:
    """The tool result of an endpoint's answer: its body as text (and parsed, as structured
    content, when it is a JSON object); any status but 200 is a tool error."""
    text = reply.body.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=parsed if isinstance(parsed, dict) else None,
        is_error=reply.status != 200,
    )


def _query_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def report_prompt(symbol: str) -> str:
    """The text of the dealer-positioning report prompt for ``symbol`` (checked)."""
    name = check_symbol(symbol)
    return f"""Write a dealer positioning report for {name}.

First gather the data by calling these tools of this server, each with symbol="{name}":
1. exposure_summary: regime, gamma flip, net GEX/DEX/VEX/CHEX, dealer hedging for a ±1% move, 0DTE share.
2. exposure_levels: gamma flip, call wall, put wall, max positive and negative gamma strikes, highest open-interest strike, 0DTE magnet.
3. narrative: the server's own sentences on each topic and the numbers behind them.
4. flow_dealer_risk: dealer risk on the settled open interest versus today's flow-adjusted open interest.
If a tool returns an error, name it with its error code and message and carry on with the others.

Then write the report in Markdown:
- Headline: one sentence on how dealers are positioned and what it means for price action.
- Regime and gamma flip: spot against the flip (distance in percent), and whether dealer hedging dampens moves (positive gamma) or amplifies them (negative gamma).
- Key levels: a table of the levels with their distance from spot in percent.
- Hedging flows: what dealers buy or sell for a 1% move each way, for a 1-point rise in implied volatility (vanna) and for one day of time decay (charm).
- Flow: how today's trading has shifted dealer risk since the settled open interest.
- 0DTE: the same-day expiry's share of gamma and its magnet, if any.
- Outlook and risks: what would change the picture (spot crossing the flip, a wall giving way).
Give numbers with their units (GEX in USD per 1% move, DEX in USD, VEX in USD per vol point, CHEX in USD per day), state the as_of time and the dealer model, and use only numbers the tools returned."""


@contextmanager
def _root_logging_kept() -> Iterator[None]:
    """MCPServer configures the root logger on construction (``logging.basicConfig``);
    logging belongs to the host (uvicorn, the CLI), so the root logger is restored."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


def build_server(app: Any, caller_of: Callable[[Context], Caller]) -> MCPServer:
    """The MCP server over ``app`` (the FastAPI app of :func:`api.http.app.create_app`):
    each tool call requests its endpoint from ``app`` as ``caller_of(ctx)``."""
    with _root_logging_kept():
        server: MCPServer = MCPServer(
            "gex-engine",
            title="gex-engine",
            version=_version(),
            instructions=_INSTRUCTIONS,
            log_level="WARNING",
        )

    async def call(spec: ToolSpec, arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        path = spec.path
        if spec.takes_symbol:
            path = path.format(symbol=arguments.pop("symbol"))
        query = [(name, _query_value(arguments[name])) for name in spec.params if name in arguments]
        return tool_result(await call_app(app, path, query, caller_of(ctx)))

    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
    for spec in TOOLS:
        server.add_tool(
            tool_function(spec, call, Context),
            name=spec.name,
            title=spec.name.replace("_", " "),
            description=spec.description,
            annotations=read_only,
            structured_output=False,
        )

    @server.resource(
        SYMBOLS_URI,
        name="symbols",
        title="Symbols",
        description="The symbols this server's source can serve: the body of GET /v1/symbols "
        "({symbols, count, last_updated, as_of, data_quality}).",
        mime_type="application/json",
    )
    async def symbols() -> str:
        service: AnalysisService = app.state.service
        timeout = app.state.settings.request_timeout  # the deadline a request would have
        try:
            with deadline_in(timeout if timeout and timeout > 0 else None):
                listing, fetched_at = await service.symbols_listing_async()
        except GexError as exc:
            mapped = error_for(exc, None)
            if mapped is None:
                raise
            raise ResourceError(json.dumps(mapped.body())) from None
        return bytes(json_response(symbols_view(listing, fetched_at)).body).decode()

    @server.prompt(
        name=PROMPT,
        title="Dealer positioning report",
        description="Dealer positioning report for SYMBOL: asks for exposure_summary, "
        "exposure_levels, narrative and flow_dealer_risk, then a written report.",
    )
    async def dealer_positioning_report(
        symbol: Annotated[str, Field(description=SYMBOL_PARAM.description)],
    ) -> str:
        try:
            return report_prompt(symbol)
        except InvalidSymbolError as exc:  # the caller's mistake, said as the API says it
            raise MCPError(
                code=INVALID_PARAMS, message=exc.message, data={"error": "invalid_symbol"}
            ) from None

    return server
