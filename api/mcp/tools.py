"""The MCP tools, as one table: tool name -> HTTP path, query parameters, description.

Each tool is named after the official SDK's method (``flashalpha.FlashAlpha``) and answers
exactly the JSON body of its endpoint (:mod:`api.mcp.server` makes the request in-process).
A tool's arguments are the endpoint's own parameters, under the same names (``symbol`` in
the path, the rest in the query), typed and described; the ranges, patterns and choices in
their JSON schemas document what the endpoint accepts, and the endpoint itself checks them,
so a bad value is the endpoint's own error (``invalid_expiry``, ``invalid_min_oi``,
``invalid_dealer_model``, ...) with its message, never a different one.

A row whose route does not exist (yet) still defines its tool: the tool then answers what
the server answers for that path (``404 not_found``) until the route is added.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated, Any, Final

from pydantic import Field

from api.http.deps import AT_PATTERN, DATE_PATTERN, MAX_SYMBOLS
from api.views import SCAN_SORTS
from data_adapters.symbols import MAX_LENGTH, SYMBOL_PATTERN

__all__ = ["PARAMS", "SYMBOL_PARAM", "TOOLS", "Param", "ToolSpec", "tool_function"]


@dataclass(frozen=True, slots=True)
class Param:
    """One argument of a tool: ``name`` is the endpoint's query (or path) parameter,
    ``kind`` its Python type, ``schema`` the JSON-schema keywords that document what the
    endpoint accepts (the endpoint enforces them)."""

    name: str
    kind: Any
    description: str
    schema: Mapping[str, Any] = field(default_factory=dict)


_DATE_SCHEMA: Final = {"format": "date", "pattern": DATE_PATTERN, "examples": ["2026-12-18"]}


SYMBOL_PARAM: Final = Param(
    "symbol",
    str,
    f"Underlying, case-insensitive: 1-{MAX_LENGTH} ASCII letters, digits or . = ^ / - "
    "starting with a letter, digit or ^ (SPX, SPY, BRK.B, ES=F for futures, ^VIX). "
    "Anything else is invalid_symbol; a symbol the source lacks is symbol_not_found.",
    {"pattern": SYMBOL_PATTERN, "examples": ["SPX"]},
)

_PARAMS: tuple[Param, ...] = (
    Param(
        "expiration",
        str,
        "Restrict to one expiration date, YYYY-MM-DD (default: every expiration). A "
        "malformed date is invalid_expiry; a date without contracts is symbol_not_found.",
        _DATE_SCHEMA,
    ),
    Param(
        "expiry",
        str,
        "The expiry to analyse, YYYY-MM-DD (default: today's same-day expiry, New York "
        "date). A malformed date is invalid_expiry.",
        _DATE_SCHEMA,
    ),
    Param(
        "min_oi",
        int,
        "Drop strikes whose call + put open interest is below this (0 to 10^12).",
        {"minimum": 0, "maximum": 10**12},
    ),
    Param(
        "dealer_model",
        str,
        "Whose positions sign the exposures: street (dealers long calls, short puts; the "
        "default) or short_all (dealers short every contract). Echoed as dealer_model.",
        {"enum": ["street", "short_all"]},
    ),
    Param(
        "at",
        str,
        "Answer as of this past instant, ISO-8601 with a zone (2026-11-20T21:00:00Z): the "
        "latest stored snapshot at or before it (no_snapshot before the first one). "
        "Default: now.",
        {"format": "date-time", "pattern": AT_PATTERN, "examples": ["2026-11-20T21:00:00Z"]},
    ),
    Param(
        "strike_range",
        float,
        "Half-width of the per-strike rows as a fraction of spot, 0.001 to 0.10 (default "
        "0.03); the totals always use the whole expiry.",
        {"minimum": 0.001, "maximum": 0.10},
    ),
    Param(
        "rule",
        str,
        "How today's trades change open interest: vendor (a share of all classified volume "
        "is new open interest) or net (a share of customer net buying). Default: the "
        "server's setting (GEX_FLOW_RULE, else vendor).",
        {"enum": ["vendor", "net"]},
    ),
    Param(
        "confidence",
        float,
        "The share of classified volume taken as new open interest, in (0, 1]. Default: the "
        "server's setting (GEX_FLOW_CONFIDENCE, else 0.43).",
        {"exclusiveMinimum": 0, "maximum": 1},
    ),
    Param(
        "topN",
        int,
        "How many of the largest per-contract open-interest changes to list, 1 to 10000 "
        "(default 20).",
        {"minimum": 1, "maximum": 10_000},
    ),
    Param(
        "symbols",
        Annotated[list[str], Field(json_schema_extra={"maxItems": MAX_SYMBOLS})] | str,
        f"The symbols to scan, as a list or one comma-separated string (at most {MAX_SYMBOLS}; "
        "duplicates count once). Default: every symbol of the source.",
        {"examples": [["SPX", "SPY", "QQQ"]]},
    ),
    Param(
        "limit",
        int,
        "At most this many rows, after sorting (1 to 100000; default: all).",
        {"minimum": 1, "maximum": 100_000},
    ),
    Param(
        "sort",
        str,
        "Row order: flip_distance (|distance to the gamma flip| ascending, the default), "
        "net_gex (largest |net GEX| first), zero_dte (largest 0DTE share first) or symbol.",
        {"enum": list(SCAN_SORTS)},
    ),
)
PARAMS: Final[Mapping[str, Param]] = MappingProxyType({p.name: p for p in _PARAMS})
"""Every query parameter a tool may take, by name."""

_EXPOSURE = ("dealer_model", "at")
_BY_EXPIRY = ("expiration", "dealer_model", "at")
_FLOW = ("expiry", "dealer_model", "rule", "confidence")
_HEAD = (
    "Every body starts with symbol, underlying_price (spot), as_of (UTC time of the "
    "quotes), dealer_model and ends with data_quality (the contracts behind the numbers)."
)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool: its name (the SDK method), the endpoint's path template (``{symbol}`` is
    the ``symbol`` argument), the query parameters it forwards and its description."""

    name: str
    path: str
    params: tuple[str, ...]
    description: str

    @property
    def takes_symbol(self) -> bool:
        return "{symbol}" in self.path


TOOLS: Final[tuple[ToolSpec, ...]] = (
    ToolSpec(
        "exposure_summary",
        "/v1/exposure/summary/{symbol}",
        _EXPOSURE,
        "Dealer positioning at a glance (GET /v1/exposure/summary): gamma flip, regime "
        "(positive_gamma / negative_gamma), net GEX/DEX/VEX/CHEX (USD per 1% move, USD, USD "
        "per vol point, USD per day), interpretation sentences, the dealers' hedge for a "
        f"±1% move, and today's 0DTE share of GEX. {_HEAD}",
    ),
    ToolSpec(
        "exposure_levels",
        "/v1/exposure/levels/{symbol}",
        _BY_EXPIRY,
        "Key levels from dealer gamma (GET /v1/exposure/levels): gamma flip, call wall, put "
        "wall, strikes of max positive and max negative gamma, highest open-interest strike "
        f"and the 0DTE magnet, in the underlying's units. {_HEAD}",
    ),
    ToolSpec(
        "gex",
        "/v1/exposure/gex/{symbol}",
        ("expiration", "min_oi", "dealer_model", "at"),
        "Gamma exposure by strike (GET /v1/exposure/gex): net GEX (USD per 1% move), gamma "
        "flip, and ascending strike rows with call/put/net GEX, open interest, volume and "
        f"open-interest change. {_HEAD}",
    ),
    ToolSpec(
        "dex",
        "/v1/exposure/dex/{symbol}",
        _BY_EXPIRY,
        "Delta exposure by strike (GET /v1/exposure/dex): net DEX and call/put/net DEX per "
        f"strike, in USD. {_HEAD}",
    ),
    ToolSpec(
        "vex",
        "/v1/exposure/vex/{symbol}",
        _BY_EXPIRY,
        "Vanna exposure by strike (GET /v1/exposure/vex): net VEX (USD per vol point), its "
        f"interpretation, and call/put/net VEX per strike. {_HEAD}",
    ),
    ToolSpec(
        "chex",
        "/v1/exposure/chex/{symbol}",
        _BY_EXPIRY,
        "Charm exposure by strike (GET /v1/exposure/chex): net CHEX (USD per day), its "
        f"interpretation, and call/put/net CHEX per strike. {_HEAD}",
    ),
    ToolSpec(
        "narrative",
        "/v1/exposure/narrative/{symbol}",
        _EXPOSURE,
        "The positioning in words (GET /v1/exposure/narrative): one or two sentences each on "
        "regime, change since the prior session, key levels, flow, vanna, charm, 0DTE and "
        f"outlook, with the numbers behind them under narrative.data. {_HEAD}",
    ),
    ToolSpec(
        "zero_dte",
        "/v1/exposure/zero-dte/{symbol}",
        ("strike_range", "expiry", "dealer_model", "at"),
        "Same-day expiry analytics (GET /v1/exposure/zero-dte): regime of that expiry, its "
        "exposures and share of the chain, pin risk (magnet strike, max pain), dealer hedges "
        "for ±0.1/0.25/0.5/1% moves, levels, volume and open-interest flow, strike rows. "
        "Without a same-day expiry (and no expiry given): expiration null, no_zero_dte true "
        f"and the next one. {_HEAD}",
    ),
    ToolSpec(
        "max_pain",
        "/v1/maxpain/{symbol}",
        _BY_EXPIRY,
        "Max pain (GET /v1/maxpain): the strike where option holders' total payout is "
        "smallest (whole chain, or one expiration), the pain curve and open interest per "
        "strike, max pain per expiration, the distance from spot and its signal, the "
        f"dealers' flip and walls against it, and the at-the-money straddle. {_HEAD}",
    ),
    ToolSpec(
        "exposure_oi_diff",
        "/v1/exposure/oi-diff/{symbol}",
        ("topN", "at"),
        "Open-interest change per contract against the prior session's last stored snapshot "
        "(GET /v1/exposure/oi-diff): call and put totals and the topN largest changes. "
        "Without a snapshot store or a stored prior session: prior_snapshot_available false "
        "and message says why.",
    ),
    ToolSpec(
        "flow_dealer_risk",
        "/v1/flow/dealer-risk/{symbol}",
        _FLOW,
        "Settled versus live dealer risk (GET /v1/flow/dealer-risk): net GEX and DEX on the "
        "morning's settled open interest and on open interest adjusted by today's trades, "
        "the adjustment and its shift as a fraction, the contracts whose open interest moved, "
        "a label and a sentence. A source without a trade tape answers no_trades.",
    ),
    ToolSpec(
        "flow_summary",
        "/v1/flow/summary/{symbol}",
        _FLOW,
        "Today's option flow at a glance (GET /v1/flow/summary): the flow direction, the "
        "intraday open-interest change and the contracts with flow, live net GEX against the "
        "settled one and its shift, and a sentence. A source without a trade tape answers "
        "no_trades.",
    ),
    ToolSpec(
        "scan",
        "/v1/scan",
        ("symbols", "limit", "sort", "at"),
        "Several symbols at once (GET /v1/scan): per symbol the regime, net GEX, gamma flip "
        "and distance to it in percent, call and put walls and 0DTE share, sorted by sort; "
        "symbols that failed are listed under errors with their error code. Each symbol "
        "counts as one request against the rate limit.",
    ),
)
"""Every tool, in the order they are listed."""


ToolCall = Callable[[ToolSpec, dict[str, Any], Any], Awaitable[Any]]
"""``(spec, arguments, context) -> result``: what a tool function does when called."""


def _annotated(param: Param, optional: bool) -> Any:
    """The argument's type, its schema keywords on the value's own schema (not on the
    ``null`` of an optional argument), its description and examples on the argument."""
    keywords = {k: v for k, v in param.schema.items() if k != "examples"}
    kind = Annotated[param.kind, Field(json_schema_extra=keywords)] if keywords else param.kind
    outer: dict[str, Any] = {"description": param.description}
    if "examples" in param.schema:
        outer["examples"] = list(param.schema["examples"])
    return Annotated[kind | None if optional else kind, Field(**outer)]


def tool_function(spec: ToolSpec, call: ToolCall, context_type: type) -> Callable[..., Any]:
    """An async function whose signature is the tool's arguments (``symbol`` when the path
    has one, required; every query parameter optional, default None) plus ``ctx`` of
    ``context_type``, so the MCP SDK derives the typed, described input schema from it.
    Calling it calls ``call(spec, arguments, ctx)`` with the arguments given (None left
    out)."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = []
    if spec.takes_symbol:
        parameters.append(
            inspect.Parameter("symbol", keyword, annotation=_annotated(SYMBOL_PARAM, False))
        )
    for name in spec.params:
        annotation = _annotated(PARAMS[name], True)
        parameters.append(inspect.Parameter(name, keyword, default=None, annotation=annotation))
    parameters.append(inspect.Parameter("ctx", keyword, annotation=context_type))

    async def tool(ctx: Any, **arguments: Any) -> Any:
        return await call(spec, {k: v for k, v in arguments.items() if v is not None}, ctx)

    tool.__name__ = spec.name
    tool.__qualname__ = spec.name
    tool.__doc__ = spec.description
    tool.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    tool.__annotations__ = {p.name: p.annotation for p in parameters}
    return tool
