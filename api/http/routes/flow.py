"""``/v1/flow/*``: settled against live dealer exposure from the day's trade tape.

Thin shells over :class:`api.service.flow.FlowService` (built once per app by
:func:`install`, with the server's flow settings) and :mod:`api.views.flow`; operation ids
are the official SDK's method names. Every route takes ``?expiry=YYYY-MM-DD`` (400
``invalid_expiry`` when malformed, 404 when no contract expires then; echoed as ``expiry``)
and **extra** ``?rule=vendor|net``, ``?confidence=`` (in (0, 1]) and
``?dealer_model=street|short_all|flow``; without them the server's settings
(``GEX_FLOW_RULE``, ``GEX_FLOW_CONFIDENCE``) and ``street``. A source without a trade tape
answers 404 ``no_trades``. Rendered bytes are memoized per result (by identity), as for the
exposure routes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from starlette.responses import Response

from api.http.deps import Authorized, StrikeRange, Symbol, parse_day
from api.http.errors import DATA_RESPONSES, DATE_PATTERN
from api.http.routes._respond import ViewCache
from api.schemas.flow import (
    FlowDealerPremiumResponse,
    FlowDealerRiskResponse,
    FlowDexResponse,
    FlowGexResponse,
    FlowLevelsResponse,
    FlowLiveResponse,
    FlowNoZeroDteResponse,
    FlowOiResponse,
    FlowPinRiskResponse,
    FlowSummaryResponse,
    FlowZeroDteResponse,
)
from api.service.flow import (
    DEALER_MODELS,
    DEFAULT_WINDOW_MINUTES,
    FlowResult,
    FlowService,
    FlowSettings,
    check_dealer_model,
    warm_up,
)
from api.views import ZERO_DTE_MOVES
from api.views.flow import (
    dealer_premium_view,
    dealer_risk_view,
    flow_dex_view,
    flow_gex_view,
    flow_levels_view,
    flow_live_view,
    flow_no_zero_dte_view,
    flow_oi_view,
    flow_summary_view,
    flow_zero_dte_view,
    pin_risk_view,
)
from engine.analysis.single import Analysis
from engine.flow import MAX_WINDOW_MINUTES

__all__ = ["install", "router"]

router = APIRouter(prefix="/v1/flow", tags=["flow"], responses=DATA_RESPONSES)


def install(app: FastAPI, settings: FlowSettings | None = None) -> None:
    """Add the flow routes to ``app`` and its :class:`FlowService` over ``app.state.service``
    (``settings``: default :meth:`FlowSettings.from_server` of the app's server settings);
    the app's lifespan then also loads the simulator's kernels (once per process) before the
    first request."""
    chosen = settings or FlowSettings.from_server(app.state.settings)
    app.state.flow = FlowService(app.state.service, chosen)
    app.include_router(router)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(owner: Any) -> AsyncIterator[Any]:
        async with inner(owner) as state:
            await asyncio.to_thread(warm_up)
            yield state

    app.router.lifespan_context = lifespan


Expiry = Annotated[
    str | None,
    Query(
        pattern=DATE_PATTERN,
        description="Only this expiration (YYYY-MM-DD); 404 when no contract expires then. "
        "Echoed as expiry.",
        json_schema_extra={"format": "date", "examples": ["2026-11-20"]},
    ),
]
Rule = Annotated[
    Literal["vendor", "net"] | None,
    Query(
        description="**extra**: the OI rule — vendor (a share of all classified volume is new "
        "open interest) or net (a share of customer net buying). Default: the server's "
        "(GEX_FLOW_RULE, else vendor).",
    ),
]
Confidence = Annotated[
    float | None,
    Query(
        gt=0.0,
        le=1.0,
        description="**extra**: the share of classified volume taken as new open interest, "
        "in (0, 1]. Default: the server's (GEX_FLOW_CONFIDENCE, else 0.43).",
    ),
]
FlowDealerModel = Annotated[
    str | None,
    Query(
        description="**extra**: whose positions sign the exposures: street (default), "
        "short_all, or flow (live: the dealers' settled street position minus the day's "
        "customer net buying; settled: the street book). Echoed as dealer_model.",
        examples=["street"],
        json_schema_extra={"enum": list(DEALER_MODELS)},
    ),
]
WindowMinutes = Annotated[
    int,
    Query(
        alias="windowMinutes",
        ge=1,
        le=MAX_WINDOW_MINUTES,
        description="Whole minutes ending with the minute of as_of (1 to 10080).",
    ),
]


@dataclass(frozen=True, slots=True)
class FlowQuery:
    """A flow request's filter and settings, parsed and resolved (hashable: it keys the
    view cache)."""

    expiry: date | None
    dealer_model: str
    rule: str
    confidence: float

    def key(self) -> tuple[Any, ...]:
        return (self.expiry, self.dealer_model, self.rule, self.confidence)


def _service(request: Request) -> FlowService:
    flow: FlowService = request.app.state.flow
    return flow


async def _query(
    request: Request,
    expiry: Expiry = None,
    dealer_model: FlowDealerModel = None,
    rule: Rule = None,
    confidence: Confidence = None,
) -> FlowQuery:
    name, c = _service(request).settings.resolve(rule, confidence)
    return FlowQuery(parse_day(expiry, "expiry"), check_dealer_model(dealer_model), name, c)


Flow = Annotated[FlowService, Depends(_service)]
Params = Annotated[FlowQuery, Depends(_query)]


def _views(request: Request) -> ViewCache:
    cache: ViewCache = request.app.state.views
    return cache


async def _result(flow: FlowService, symbol: str, q: FlowQuery, whole: bool = False) -> FlowResult:
    return await flow.result_async(
        symbol, None if whole else q.expiry, q.dealer_model, q.rule, q.confidence
    )


def _target(r: FlowResult) -> date:
    """The expiry of a pin: today's when something expires today, else the nearest."""
    return r.live.zero_dte.expiration or r.live.expirations[0]


async def _pin_day(flow: FlowService, r: FlowResult) -> tuple[date, Analysis]:
    """The expiry of ``r``'s pin and its live analysis (``r.live`` itself when ``r`` is one
    expiry's)."""
    if r.expiry is not None:
        return r.expiry, r.live
    target = _target(r)
    return target, await flow.live_day_async(r, target, ZERO_DTE_MOVES)


@router.get(
    "/dealer-risk/{symbol}",
    operation_id="flow_dealer_risk",
    response_model=FlowDealerRiskResponse,
)
async def dealer_risk(
    _: Authorized, request: Request, flow: Flow, symbol: Symbol, q: Params
) -> Response:
    """Settled against live net GEX and DEX: the adjustment, its shift as a fraction, the
    contracts whose open interest moved, a label and a sentence; **extra** ``oi``."""
    r = await _result(flow, symbol, q)
    key = ("flow_dealer_risk", r.symbol, *q.key())
    return _views(request).respond(key, (r,), lambda: dealer_risk_view(r))


@router.get("/gex/{symbol}", operation_id="flow_gex", response_model=FlowGexResponse)
async def gex(_: Authorized, request: Request, flow: Flow, symbol: Symbol, q: Params) -> Response:
    """Live net GEX, its label and flip, and the GEX rows on effective open interest."""
    r = await _result(flow, symbol, q)
    key = ("flow_gex", r.symbol, *q.key())
    return _views(request).respond(key, (r,), lambda: flow_gex_view(r))


@router.get("/dex/{symbol}", operation_id="flow_dex", response_model=FlowDexResponse)
async def dex(_: Authorized, request: Request, flow: Flow, symbol: Symbol, q: Params) -> Response:
    """Live net DEX and the DEX rows on effective open interest."""
    r = await _result(flow, symbol, q)
    key = ("flow_dex", r.symbol, *q.key())
    return _views(request).respond(key, (r,), lambda: flow_dex_view(r))


@router.get("/summary/{symbol}", operation_id="flow_summary", response_model=FlowSummaryResponse)
async def summary(
    _: Authorized, request: Request, flow: Flow, symbol: Symbol, q: Params
) -> Response:
    """The flow direction, the intraday OI change, live net GEX and its shift."""
    r = await _result(flow, symbol, q)
    key = ("flow_summary", r.symbol, *q.key())
    return _views(request).respond(key, (r,), lambda: flow_summary_view(r))


@router.get("/levels/{symbol}", operation_id="flow_levels", response_model=FlowLevelsResponse)
async def levels(
    _: Authorized, request: Request, flow: Flow, symbol: Symbol, q: Params
) -> Response:
    """The live gamma flip, call and put walls and max pain (settled ones as **extra**)."""
    r = await _result(flow, symbol, q)
    key = ("flow_levels", r.symbol, *q.key())
    return _views(request).respond(key, (r,), lambda: flow_levels_view(r))


@router.get("/oi/{symbol}", operation_id="flow_oi", response_model=FlowOiResponse)
async def oi(_: Authorized, request: Request, flow: Flow, symbol: Symbol, q: Params) -> Response:
    """The simulator: settled, simulated and effective open interest (whole contracts,
    rounded per contract), the contracts with flow; **extra** the tape's counts."""
    r = await _result(flow, symbol, q)
    key = ("flow_oi", r.symbol, *q.key())
    return _views(request).respond(key, (r,), lambda: flow_oi_view(r))


@router.get("/pin-risk/{symbol}", operation_id="flow_pin_risk", response_model=FlowPinRiskResponse)
async def pin_risk(
    _: Authorized, request: Request, flow: Flow, symbol: Symbol, q: Params
) -> Response:
    """Pin risk 0–100 of one expiry on effective open interest (``expiry``, else today's,
    else the nearest) and its four component scores."""
    r = await _result(flow, symbol, q)
    expiration, day = await _pin_day(flow, r)
    key = ("flow_pin_risk", r.symbol, *q.key())
    return _views(request).respond(key, (r, day), lambda: pin_risk_view(r, day, expiration))


@router.get("/live/{symbol}", operation_id="flow_live", response_model=FlowLiveResponse)
async def live(_: Authorized, request: Request, flow: Flow, symbol: Symbol, q: Params) -> Response:
    """Everything at once: open interest, live exposures and levels, pin risk and the
    dealer-risk block."""
    r = await _result(flow, symbol, q)
    expiration, day = await _pin_day(flow, r)
    key = ("flow_live", r.symbol, *q.key())
    return _views(request).respond(key, (r, day), lambda: flow_live_view(r, day, expiration))


@router.get(
    "/options/{symbol}/dealer-premium",
    operation_id="flow_dealer_premium",
    response_model=FlowDealerPremiumResponse,
)
async def dealer_premium(
    _: Authorized,
    request: Request,
    flow: Flow,
    symbol: Symbol,
    window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
    expiry: Expiry = None,
) -> Response:
    """Premium customers paid and received over the trailing window, by side: a customer
    buy is a dealer write, a customer sell a dealer buy (USD; unclassified prints apart)."""
    day = parse_day(expiry, "expiry")
    book = await flow.book_async(symbol)
    key = ("flow_dealer_premium", book.symbol, day, window_minutes)
    return _views(request).respond(
        key,
        (book,),
        lambda: dealer_premium_view(book, book.premium(window_minutes, day), day),
    )


@router.get(
    "/zero-dte/snapshot/{symbol}",
    operation_id="flow_zero_dte_snapshot",
    response_model=FlowZeroDteResponse | FlowNoZeroDteResponse,
)
async def zero_dte_snapshot(
    _: Authorized,
    request: Request,
    flow: Flow,
    symbol: Symbol,
    q: Params,
    strike_range: StrikeRange = 0.03,
) -> Response:
    """The zero-dte view on effective open interest (today's expiry, or ``expiry``) plus
    ``flow_direction``: settled against live net GEX of that expiry. Without a same-day
    expiry and without ``expiry``: ``{"expiration": null, "no_zero_dte": true, ...}``."""
    full = await _result(flow, symbol, q, whole=True)
    target = q.expiry or full.live.zero_dte.expiration
    memo = _views(request)
    if target is None:
        key = ("flow_no_zero_dte", full.symbol, *q.key())
        return memo.respond(key, (full,), lambda: flow_no_zero_dte_view(full))
    totals = full.book.totals(target)
    settled = await flow.settled_day_async(full, target, ZERO_DTE_MOVES)
    day = await flow.live_day_async(full, target, ZERO_DTE_MOVES)
    key = ("flow_zero_dte", full.symbol, target, strike_range, *q.key())
    return memo.respond(
        key,
        (full, settled, day),
        lambda: flow_zero_dte_view(full, settled, day, totals, strike_range, q.expiry),
    )
