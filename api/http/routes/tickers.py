"""``GET /v1/tickers``: the SDK's ``tickers()`` — the underlyings the configured source serves
(the list of ``/v1/symbols``, under the vendor's other name; docs/api.md)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api.http.deps import Authorized, Service
from api.http.errors import AUTH_RESPONSES, DATA_RESPONSES
from api.http.routes._respond import json_response
from api.schemas.tickers import TickersResponse
from api.views.tickers import tickers_view

__all__ = ["router"]

router = APIRouter(tags=["reference"])


@router.get(
    "/v1/tickers",
    operation_id="tickers",
    response_model=TickersResponse,
    responses={**AUTH_RESPONSES, 502: DATA_RESPONSES[502], 504: DATA_RESPONSES[504]},
)
async def tickers(_: Authorized, service: Service) -> Response:
    """The underlyings the configured source can serve."""
    listing, fetched_at = await service.symbols_listing_async()
    return json_response(tickers_view(listing, fetched_at))
