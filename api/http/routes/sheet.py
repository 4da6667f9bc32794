"""``/v1/exposure/sheet/{symbol}``, ``/v1/exposure/term-structure/{symbol}`` and
``/v1/exposure/basket``: the SDK's ``exposure_sheet``, ``exposure_term_structure`` and
``exposure_basket`` (docs/api.md; definitions in :mod:`api.views.sheet`).

The sheet and the term structure need the priced contracts of the chain, so they are computed
by :func:`api.http.routes._computed.computed_json` (an :func:`engine.analyze` of the service's
cached snapshot on its pool; the rendered JSON is cached). Under a preset that computes its own
GEX (``perfiliev``), the term structure's per-expiry numbers are that preset's analysis of each
expiry. The basket analyses each symbol through the service like ``/v1/scan`` (cached,
coalesced; each distinct symbol counts as one request against the rate limit); symbols that
fail are dropped into ``missing_symbols`` (with why under **extra** ``errors``), and when
every one fails the first failure is the answer. Every route takes **extra**
``dealer_model`` and ``at``.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from api.http.deps import (
    MAX_SYMBOLS,
    SYMBOLS_PATTERN,
    At,
    Authorized,
    DealerModel,
    Expiration,
    MinOi,
    ScanAuthorized,
    Service,
    Symbol,
    checked_symbol,
    parse_at,
    parse_day,
    parse_dealer_model,
    symbol_list,
)
from api.http.errors import DATA_RESPONSES
from api.http.routes._computed import computed_json
from api.http.routes._respond import json_response
from api.schemas.sheet import BasketResponse, SheetResponse, TermStructureResponse
from api.service.analysis import AnalysisService
from api.service.errors import error_for
from api.service.scan import first_error
from api.views.sheet import (
    WIRE_METRICS,
    basket_view,
    parse_weights,
    sheet_view,
    term_structure_view,
)
from engine.analysis.presets import get_preset
from engine.analysis.single import analyze
from engine.chain import ChainSnapshot
from engine.errors import GexError

__all__ = ["router"]

router = APIRouter(prefix="/v1/exposure", tags=["exposure"], responses=DATA_RESPONSES)

_NUMBER = r"[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?"
WEIGHTS_PATTERN = rf"^{_NUMBER}(,{_NUMBER}){{0,{MAX_SYMBOLS - 1}}}$"

BasketSymbols = Annotated[
    str,
    Query(
        pattern=SYMBOLS_PATTERN,
        description=f"Comma-separated symbols (no spaces), at most {MAX_SYMBOLS}, each of the "
        "symbol grammar; each distinct symbol counts as one request against the rate limit.",
        examples=["SPX,SPY,QQQ"],
    ),
]
Weights = Annotated[
    str | None,
    Query(
        pattern=WEIGHTS_PATTERN,
        description="Comma-separated weights >= 0, one per symbol as given (a repeated "
        "symbol's weights add up); renormalised over the symbols with data. Default: equal.",
        examples=["0.5,0.3,0.2"],
    ),
]


def _options(**options: Any) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}


@router.get("/sheet/{symbol}", operation_id="exposure_sheet", response_model=SheetResponse)
async def sheet(
    _: Authorized,
    service: Service,
    symbol: Symbol,
    expiration: Expiration = None,
    min_oi: MinOi = None,
    dealer_model: DealerModel = None,
    at: At = None,
) -> Response:
    """GEX, DEX, VEX, CHEX and delta-adjusted gamma (DAG) per strike with open interest, the
    chain totals, the line-in-the-sand strike, the gamma peaks and, with ``expiration``, the
    OPEX and triple-witching flags."""
    day = parse_day(expiration, "expiration")
    model = parse_dealer_model(dealer_model)
    when = parse_at(at)
    options = _options(expiration=day, min_oi=min_oi, dealer_model=model)

    def work(snapshot: ChainSnapshot) -> dict[str, Any]:
        return sheet_view(analyze(snapshot, service.preset, **options))

    return await computed_json(service, ("sheet", day, min_oi, model), symbol, when, work)


def _term_structure(service: AnalysisService, model: str) -> Any:
    def work(snapshot: ChainSnapshot) -> dict[str, Any]:
        a = analyze(snapshot, service.preset, dealer_model=model)
        per_expiry: dict[date, dict[str, float]] | None = None
        if get_preset(service.preset).override is not None:  # the preset's own numbers
            per_expiry = {}
            for day in a.expirations:
                one = analyze(snapshot, service.preset, dealer_model=model, expiration=day)
                per_expiry[day] = {f"net_{m}": one.exposures[f"net_{m}"] for m in WIRE_METRICS}
        return term_structure_view(a, per_expiry)

    return work


@router.get(
    "/term-structure/{symbol}",
    operation_id="exposure_term_structure",
    response_model=TermStructureResponse,
)
async def term_structure(
    _: Authorized,
    service: Service,
    symbol: Symbol,
    dealer_model: DealerModel = None,
    at: At = None,
) -> Response:
    """Net GEX, DEX, VEX and CHEX per expiry (with its DTE, OPEX flags and share of the
    chain's |GEX|) and per DTE bucket (0-7d, 8-30d, 31-60d, 61-180d, 180d+)."""
    model = parse_dealer_model(dealer_model)
    when = parse_at(at)
    work = _term_structure(service, model)
    return await computed_json(service, ("term_structure", model), symbol, when, work)


@router.get(
    "/basket",
    operation_id="exposure_basket",
    response_model=BasketResponse,
)
async def basket(
    _: ScanAuthorized,
    service: Service,
    symbols: BasketSymbols,
    weights: Weights = None,
    dealer_model: DealerModel = None,
    at: At = None,
) -> Response:
    """The weighted aggregate of net GEX, DEX, VEX and CHEX over up to 50 symbols, with each
    constituent's renormalised weight, exposures, share of the weighted |GEX| and regime.
    Symbols without data are dropped (``missing_symbols``) and the weights renormalised."""
    model = parse_dealer_model(dealer_model)
    when = parse_at(at)
    asked = symbol_list(symbols)  # checked, upper-case, de-duplicated
    given = [checked_symbol(s) for s in symbols.split(",")]
    wanted = parse_weights(weights, given)
    results = await asyncio.gather(
        *(service.analysis_async(name, at=when, dealer_model=model) for name in asked),
        return_exceptions=True,
    )
    members, missing, errors, failed = [], [], [], []
    for name, result in zip(asked, results, strict=True):
        if isinstance(result, BaseException):
            mapped = error_for(result, name) if isinstance(result, GexError) else None
            if mapped is None:
                raise result
            missing.append(name)
            errors.append({"symbol": name, "error": mapped.code, "message": mapped.message})
            failed.append((name, result))
            continue
        members.append((result, wanted[name]))
    if not members:
        raise first_error(failed)
    return json_response(basket_view(members, missing, errors))
