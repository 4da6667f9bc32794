"""Reference endpoints: ``/v1/symbols``, ``/v1/options/{ticker}``, ``/stockquote/{ticker}``.

``/v1/options`` lists the usable contracts of the current snapshot (expirations, each
with its strikes); ``/stockquote`` reports the snapshot's spot as bid, ask, mid and last
(a chain snapshot carries no more about the underlying) with ``lastUpdate`` = ``as_of``.
Both come from the same cached analysis as the exposure endpoints.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.http.deps import Authorized, Service, Ticker
from api.http.errors import AUTH_RESPONSES, DATA_RESPONSES
from api.http.routes._respond import ViewCache, json_response
from api.schemas.reference import OptionsResponse, StockQuoteResponse, SymbolsResponse
from api.views import options_view, quote_view, symbols_view

__all__ = ["router"]

router = APIRouter(tags=["reference"])


def _views(request: Request) -> ViewCache:
    cache: ViewCache = request.app.state.views
    return cache


@router.get(
    "/v1/symbols",
    operation_id="symbols",
    response_model=SymbolsResponse,
    responses={**AUTH_RESPONSES, 502: DATA_RESPONSES[502], 504: DATA_RESPONSES[504]},
)
async def symbols(_: Authorized, service: Service) -> Response:
    """The symbols the configured source can serve."""
    listing, fetched_at = await service.symbols_listing_async()
    return json_response(symbols_view(listing, fetched_at))


@router.get(
    "/v1/options/{ticker}",
    operation_id="options",
    response_model=OptionsResponse,
    responses=DATA_RESPONSES,
)
async def options(_: Authorized, request: Request, service: Service, ticker: Ticker) -> Response:
    """Option chain metadata: expirations and their strikes."""
    a = await service.analysis_async(ticker)
    return _views(request).respond(("options", a.symbol), (a,), lambda: options_view(a))


@router.get(
    "/stockquote/{ticker}",
    operation_id="stock_quote",
    response_model=StockQuoteResponse,
    responses=DATA_RESPONSES,
)
async def stock_quote(
    _: Authorized, request: Request, service: Service, ticker: Ticker
) -> Response:
    """The underlying's price at the snapshot (bid = ask = mid = lastPrice = spot)."""
    a = await service.analysis_async(ticker)
    return _views(request).respond(("quote", a.symbol), (a,), lambda: quote_view(a))
