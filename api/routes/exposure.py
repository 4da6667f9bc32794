"""``/v1/exposure/*``: summary, gex, dex, vex, chex, levels, narrative, zero-dte, profile.

Thin shells over :class:`api.service.AnalysisService` and :mod:`api.views`: each route
authenticates, asks the service for the (cached, coalesced) analysis with the query's
options, and answers the view's JSON. Errors are raised and mapped by
:mod:`api.http_errors`. Units and conventions: see :mod:`api.views`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import (
    Authorized,
    DealerModel,
    Expiration,
    Expiry,
    MinOi,
    Service,
    StrikeRange,
    Symbol,
    parse_day,
    parse_dealer_model,
)
from api.http_errors import DATA_RESPONSES
from api.routes._respond import ViewCache
from api.schemas.exposure import (
    ChexResponse,
    DexResponse,
    GexResponse,
    LevelsResponse,
    NarrativeResponse,
    ProfileResponse,
    SummaryResponse,
    VexResponse,
)
from api.schemas.zero_dte import NoZeroDteResponse, ZeroDteResponse
from api.views import (
    ZERO_DTE_MOVES,
    chex_view,
    dex_view,
    gex_view,
    levels_view,
    narrative_view,
    no_zero_dte_view,
    profile_view,
    summary_view,
    vex_view,
    zero_dte_view,
)
from data_adapters.symbols import check_symbol

__all__ = ["router"]

router = APIRouter(prefix="/v1/exposure", tags=["exposure"], responses=DATA_RESPONSES)


def _views(request: Request) -> ViewCache:
    cache: ViewCache = request.app.state.views
    return cache


@router.get("/summary/{symbol}", operation_id="exposure_summary", response_model=SummaryResponse)
async def summary(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    dealer_model: DealerModel = None,
) -> Response:
    """Net GEX/DEX/VEX/CHEX, gamma flip, regime, hedging for ±1 %, and the 0DTE share."""
    model = parse_dealer_model(dealer_model)
    a = await service.analysis_async(symbol, dealer_model=model)
    return _views(request).respond(("summary", a.symbol, model), (a,), lambda: summary_view(a))


@router.get("/gex/{symbol}", operation_id="exposure_gex", response_model=GexResponse)
async def gex(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    expiration: Expiration = None,
    min_oi: MinOi = None,
    dealer_model: DealerModel = None,
) -> Response:
    """Gamma exposure by strike (USD per 1 % move), ascending strikes."""
    day = parse_day(expiration, "expiration")
    model = parse_dealer_model(dealer_model)
    a = await service.analysis_async(symbol, expiration=day, min_oi=min_oi, dealer_model=model)
    key = ("gex", a.symbol, day, min_oi, model)
    return _views(request).respond(key, (a,), lambda: gex_view(a))


@router.get("/dex/{symbol}", operation_id="exposure_dex", response_model=DexResponse)
async def dex(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    expiration: Expiration = None,
    dealer_model: DealerModel = None,
) -> Response:
    """Delta exposure by strike (USD)."""
    day = parse_day(expiration, "expiration")
    model = parse_dealer_model(dealer_model)
    a = await service.analysis_async(symbol, expiration=day, dealer_model=model)
    return _views(request).respond(("dex", a.symbol, day, model), (a,), lambda: dex_view(a))


@router.get("/vex/{symbol}", operation_id="exposure_vex", response_model=VexResponse)
async def vex(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    expiration: Expiration = None,
    dealer_model: DealerModel = None,
) -> Response:
    """Vanna exposure by strike (USD per vol point) and its interpretation."""
    day = parse_day(expiration, "expiration")
    model = parse_dealer_model(dealer_model)
    a = await service.analysis_async(symbol, expiration=day, dealer_model=model)
    return _views(request).respond(("vex", a.symbol, day, model), (a,), lambda: vex_view(a))


@router.get("/chex/{symbol}", operation_id="exposure_chex", response_model=ChexResponse)
async def chex(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    expiration: Expiration = None,
    dealer_model: DealerModel = None,
) -> Response:
    """Charm exposure by strike (USD per day) and its interpretation."""
    day = parse_day(expiration, "expiration")
    model = parse_dealer_model(dealer_model)
    a = await service.analysis_async(symbol, expiration=day, dealer_model=model)
    return _views(request).respond(("chex", a.symbol, day, model), (a,), lambda: chex_view(a))


@router.get("/levels/{symbol}", operation_id="exposure_levels", response_model=LevelsResponse)
async def levels(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    expiration: Expiration = None,
    dealer_model: DealerModel = None,
) -> Response:
    """Gamma flip, max ± gamma, call and put walls, highest-OI strike, 0DTE magnet."""
    day = parse_day(expiration, "expiration")
    model = parse_dealer_model(dealer_model)
    a = await service.analysis_async(symbol, expiration=day, dealer_model=model)
    return _views(request).respond(("levels", a.symbol, day, model), (a,), lambda: levels_view(a))


@router.get(
    "/narrative/{symbol}", operation_id="exposure_narrative", response_model=NarrativeResponse
)
async def narrative(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    dealer_model: DealerModel = None,
) -> Response:
    """One or two sentences per topic, with the numbers behind them. No snapshot history is
    stored yet: ``net_gex_prior`` and the change are null, ``top_oi_changes`` is empty."""
    model = parse_dealer_model(dealer_model)
    a = await service.analysis_async(symbol, dealer_model=model)
    key = ("narrative", a.symbol, model)
    return _views(request).respond(key, (a,), lambda: narrative_view(a))


@router.get(
    "/zero-dte/{symbol}",
    operation_id="exposure_zero_dte",
    response_model=ZeroDteResponse | NoZeroDteResponse,
)
async def zero_dte(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    strike_range: StrikeRange = 0.03,
    expiry: Expiry = None,
    dealer_model: DealerModel = None,
) -> Response:
    """Same-day analysis of one expiry (today's by default): regime, exposures and their
    share of the chain, pin risk, hedging for ±0.1/0.25/0.5/1 %, levels, flow, strikes.
    Without a same-day expiry: ``{"expiration": null, "no_zero_dte": true, ...}``."""
    chosen = parse_day(expiry, "expiry")
    model = parse_dealer_model(dealer_model)
    full = await service.analysis_async(symbol, dealer_model=model)
    target = chosen or full.zero_dte.expiration
    memo = _views(request)
    if target is None:
        return memo.respond(
            ("no_zero_dte", full.symbol, model), (full,), lambda: no_zero_dte_view(full)
        )
    day = await service.analysis_async(
        symbol, expiration=target, hedge_moves=ZERO_DTE_MOVES, dealer_model=model
    )
    key = ("zero_dte", check_symbol(symbol), target, strike_range, model)
    return memo.respond(key, (full, day), lambda: zero_dte_view(full, day, strike_range))


@router.get("/profile/{symbol}", operation_id="exposure_profile", response_model=ProfileResponse)
async def profile(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    expiration: Expiration = None,
    dealer_model: DealerModel = None,
) -> Response:
    """**extra**: the gamma profile (net GEX against hypothetical spot) for charts."""
    day = parse_day(expiration, "expiration")
    model = parse_dealer_model(dealer_model)
    a = await service.analysis_async(symbol, expiration=day, dealer_model=model)
    return _views(request).respond(("profile", a.symbol, day, model), (a,), lambda: profile_view(a))
