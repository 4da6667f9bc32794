"""``/v1/exposure/*``: summary, gex, one route per other metric of the registry (dex, vex,
chex and the extra speed and vomma; :mod:`engine.exposure.metrics`), levels, narrative,
zero-dte, profile, oi-diff and history.

Thin shells over :class:`api.service.analysis.AnalysisService` and :mod:`api.views`: each route
authenticates, asks the service for the (cached, coalesced) analysis with the query's
options, and answers the view's JSON. Errors are raised and mapped by
:mod:`api.http.errors`. Units and conventions: see :mod:`api.views`.

Every analysis route takes **extra** ``?at=`` (an instant with a zone): the analysis of the
snapshot as of then (the service's store, else the source's history; docs/store.md). On a
store-aware service the gex rows carry ``*_oi_change`` and the narrative the prior
session's net GEX and the largest OI changes; the rendered bytes are memoized per analysis
*and* prior session (both compared by identity).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.http.deps import (
    At,
    Authorized,
    Chain,
    Days,
    DealerModel,
    Expiry,
    FromDay,
    MinOi,
    Service,
    StrikeRange,
    Symbol,
    ToDay,
    TopN,
    WholeChain,
    checked_symbol,
    parse_at,
    parse_day,
    parse_dealer_model,
)
from api.http.errors import DATA_RESPONSES, ApiError
from api.http.routes._respond import ViewCache, json_response
from api.schemas.exposure import (
    METRIC_RESPONSES,
    GexResponse,
    LevelsResponse,
    NarrativeResponse,
    ProfileResponse,
    SummaryResponse,
)
from api.schemas.history import HistoryResponse, OiDiffResponse
from api.schemas.zero_dte import NoZeroDteResponse, ZeroDteResponse
from api.views import (
    ZERO_DTE_MOVES,
    gex_view,
    history_view,
    levels_view,
    metric_view,
    narrative_view,
    no_zero_dte_view,
    oi_diff_view,
    profile_view,
    summary_view,
    zero_dte_view,
)
from data_adapters.symbols import check_symbol
from engine.exposure.metrics import METRICS, Metric

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
    q: WholeChain,
) -> Response:
    """Net exposure of every metric (GEX/DEX/VEX/CHEX and the extra speed and vomma), gamma
    flip, regime, hedging for ±1 %, and the 0DTE share."""
    a = await service.analysis_async(symbol, at=q.at, **q.options())
    return _views(request).respond(("summary", a.symbol, q), (a,), lambda: summary_view(a))


@router.get("/gex/{symbol}", operation_id="exposure_gex", response_model=GexResponse)
async def gex(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    q: Chain,
    min_oi: MinOi = None,
) -> Response:
    """Gamma exposure by strike (USD per 1 % move), ascending strikes. With a snapshot store,
    ``call_oi_change``/``put_oi_change`` against the prior session's last stored snapshot
    (null without one)."""
    a = await service.analysis_async(symbol, at=q.at, min_oi=min_oi, **q.options())
    prior = await service.prior_async(a.symbol, a.as_of)
    key = ("gex", a.symbol, q, min_oi)
    return _views(request).respond(
        key,
        (a, prior),
        lambda: gex_view(a, service.oi_changes(a, prior) if prior is not None else None),
    )


@router.get("/levels/{symbol}", operation_id="exposure_levels", response_model=LevelsResponse)
async def levels(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    q: Chain,
) -> Response:
    """Gamma flip, max ± gamma, call and put walls, highest-OI strike, 0DTE magnet."""
    a = await service.analysis_async(symbol, at=q.at, **q.options())
    return _views(request).respond(("levels", a.symbol, q), (a,), lambda: levels_view(a))


@router.get(
    "/narrative/{symbol}", operation_id="exposure_narrative", response_model=NarrativeResponse
)
async def narrative(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    q: WholeChain,
) -> Response:
    """One or two sentences per topic, with the numbers behind them. With a snapshot store:
    the prior session's net GEX (``net_gex_prior``), the change in percent and in words
    (``gex_change``), and the largest open-interest changes per strike and side
    (``top_oi_changes``); without a prior session those are null and empty, and
    ``gex_change`` says why."""
    a = await service.analysis_async(symbol, at=q.at, **q.options())
    prior = await service.prior_async(a.symbol, a.as_of)
    net_prior = None
    if prior is not None:
        net_prior = await service.prior_net_gex_async(
            a.symbol, a.as_of, dealer_model=q.dealer_model
        )
    key = ("narrative", a.symbol, q)
    return _views(request).respond(
        key,
        (a, prior),
        lambda: narrative_view(
            a, net_prior, service.oi_changes(a, prior) if prior is not None else None
        ),
    )


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
    at: At = None,
) -> Response:
    """Same-day analysis of one expiry (today's by default): regime, exposures and their
    share of the chain, pin risk, hedging for ±0.1/0.25/0.5/1 %, levels, flow, strikes.
    Without a same-day expiry: ``{"expiration": null, "no_zero_dte": true, ...}``."""
    chosen = parse_day(expiry, "expiry")
    model = parse_dealer_model(dealer_model)
    when = parse_at(at)
    full = await service.analysis_async(symbol, at=when, dealer_model=model)
    target = chosen or full.zero_dte.expiration
    memo = _views(request)
    if target is None:
        return memo.respond(
            ("no_zero_dte", full.symbol, model, when), (full,), lambda: no_zero_dte_view(full)
        )
    day = await service.analysis_async(
        symbol, at=when, expiration=target, hedge_moves=ZERO_DTE_MOVES, dealer_model=model
    )
    key = ("zero_dte", check_symbol(symbol), target, strike_range, model, when)
    return memo.respond(key, (full, day), lambda: zero_dte_view(full, day, strike_range))


@router.get("/profile/{symbol}", operation_id="exposure_profile", response_model=ProfileResponse)
async def profile(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    q: Chain,
) -> Response:
    """**extra**: the gamma profile (net GEX against hypothetical spot) for charts."""
    a = await service.analysis_async(symbol, at=q.at, **q.options())
    return _views(request).respond(("profile", a.symbol, q), (a,), lambda: profile_view(a))


@router.get("/oi-diff/{symbol}", operation_id="exposure_oi_diff", response_model=OiDiffResponse)
async def oi_diff(
    _: Authorized,
    request: Request,
    service: Service,
    symbol: Symbol,
    top_n: TopN = 20,
    at: At = None,
) -> Response:
    """Open-interest change per contract against the prior session's last stored snapshot
    (the official SDK's ``exposure_oi_diff``): the contracts of the whole chain analysed
    now, the ``topN`` largest ``|oi_change|`` first, and the call and put totals. Without a
    snapshot store or a stored prior session: ``prior_snapshot_available`` false, totals 0,
    no rows, and ``message`` says why."""
    when = parse_at(at)
    a = await service.analysis_async(symbol, at=when)
    prior = await service.prior_async(a.symbol, a.as_of)
    if not service.store_aware:
        why = "This server keeps no snapshot history: start it with --store DIR (or GEX_STORE)."
    else:
        why = f"No snapshot of {a.symbol} from the session before {a.as_of.date()} is stored."

    def render() -> dict[str, Any]:
        changes = service.oi_changes(a, prior) if prior is not None else None
        prior_as_of = None if prior is None else prior.as_of
        return oi_diff_view(a, changes, prior_as_of, top_n, why)

    return _views(request).respond(("oi_diff", a.symbol, top_n, when), (a, prior), render)


@router.get("/history/{symbol}", operation_id="exposure_history", response_model=HistoryResponse)
async def history(
    _: Authorized,
    service: Service,
    symbol: Symbol,
    days: Days = None,
    from_day: FromDay = None,
    to_day: ToDay = None,
) -> Response:
    """**extra**: the stored summary series of a symbol (net exposures, flip, walls, regime
    per stored snapshot, as computed at ingest), newest last; the JavaScript SDK's
    ``exposureHistory``. ``from``/``to`` are New York days (both included); ``to`` defaults
    to the day of the newest stored snapshot, ``from`` to ``days`` (default 30) days back
    (``days`` is ignored when ``from`` is given; ``from`` after ``to`` is an empty series).
    404 ``no_snapshot`` when the server has no snapshot store."""
    start = _day(from_day, "from")
    end = _day(to_day, "to")
    frame, first, last = await service.history_rows_async(symbol, start, end, days)
    return json_response(history_view(checked_symbol(symbol), frame, first, last))


def _day(raw: str | None, name: str) -> date | None:
    try:
        return parse_day(raw, name)
    except ApiError:
        raise ApiError(400, f"invalid_{name}", f"{name} must be a date YYYY-MM-DD.") from None


def _metric_route(metric: Metric) -> None:
    """``GET /v1/exposure/{metric}/{symbol}`` for one metric of the registry (all but GEX,
    whose route above has ``min_oi`` and the OI changes)."""

    async def endpoint(
        _: Authorized,
        request: Request,
        service: Service,
        symbol: Symbol,
        q: Chain,
    ) -> Response:
        a = await service.analysis_async(symbol, at=q.at, **q.options())
        return _views(request).respond(
            (metric.name, a.symbol, q), (a,), lambda: metric_view(a, metric)
        )

    extra = "" if metric.wire else "**extra**: "
    sentence = " and its interpretation" if metric.sentence is not None else ""
    endpoint.__doc__ = f"{extra}{metric.title} by strike ({metric.unit}){sentence}."
    endpoint.__name__ = metric.name
    router.add_api_route(
        f"/{metric.name}/{{symbol}}",
        endpoint,
        methods=["GET"],
        operation_id=f"exposure_{metric.name}",
        response_model=METRIC_RESPONSES[metric.name],
        name=metric.name,
    )


for _metric in METRICS:
    if _metric.name != "gex":
        _metric_route(_metric)
