"""``GET /v1/maxpain/{symbol}``: the SDK's ``max_pain`` (docs/api.md; definitions in
:mod:`api.views.maxpain`).

Max pain reads every usable contract of the chain (open interest and multiplier, quotes for
the at-the-money straddle), so it is computed by
:func:`api.http.routes._computed.computed_json`: an :func:`engine.analyze` of the service's
cached snapshot (restricted to ``expiration`` when given, which also scopes the flip and the
walls of ``dealer_alignment``) on the service's pool, the rendered JSON cached. An
``expiration`` without contracts is 404 ``symbol_not_found``. **extra**: ``dealer_model``,
``at``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from api.http.deps import (
    At,
    Authorized,
    DealerModel,
    Expiration,
    Service,
    Symbol,
    parse_at,
    parse_day,
    parse_dealer_model,
)
from api.http.errors import DATA_RESPONSES
from api.http.routes._computed import computed_json
from api.schemas.maxpain import MaxPainResponse
from api.views.maxpain import max_pain_view
from engine.analysis.single import analyze
from engine.chain import ChainSnapshot

__all__ = ["router"]

router = APIRouter(tags=["exposure"], responses=DATA_RESPONSES)


@router.get("/v1/maxpain/{symbol}", operation_id="max_pain", response_model=MaxPainResponse)
async def max_pain(
    _: Authorized,
    service: Service,
    symbol: Symbol,
    expiration: Expiration = None,
    dealer_model: DealerModel = None,
    at: At = None,
) -> Response:
    """The strike where the option holders' total payout is smallest (whole chain, or one
    ``expiration``), the pain curve and open interest per strike, max pain per expiration,
    the distance and signal, the dealers' flip and walls against it, and the at-the-money
    straddle."""
    day = parse_day(expiration, "expiration")
    model = parse_dealer_model(dealer_model)
    when = parse_at(at)
    options: dict[str, Any] = {"dealer_model": model}
    if day is not None:
        options["expiration"] = day

    def work(snapshot: ChainSnapshot) -> dict[str, Any]:
        return max_pain_view(analyze(snapshot, service.preset, **options))

    return await computed_json(service, ("max_pain", day, model), symbol, when, work)
