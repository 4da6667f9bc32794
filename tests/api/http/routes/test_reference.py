"""``/v1/symbols``, ``/v1/options/{ticker}``, ``/stockquote/{ticker}`` over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from api import views
from api.service.analysis import AnalysisService
from tests.api.live import ThreadServer


@pytest.fixture(scope="module")
def service(pinned_server: ThreadServer) -> AnalysisService:
    return pinned_server.app.state.service  # type: ignore[no-any-return]


def test_symbols(client: httpx.Client, service: AnalysisService) -> None:
    body = client.get("/v1/symbols").json()
    listing, fetched = service.symbols_listing()
    assert body == views.symbols_view(listing, fetched)
    assert "ES=F" in body["symbols"] and body["count"] == 14


@pytest.mark.parametrize("ticker", ["AAPL", "es%3Df"])
def test_options_and_stock_quote(
    client: httpx.Client, service: AnalysisService, ticker: str
) -> None:
    symbol = "ES=F" if "3D" in ticker else ticker
    analysis = service.analysis(symbol)
    options = client.get(f"/v1/options/{ticker}")
    assert options.status_code == 200 and options.json() == views.options_view(analysis)
    quote = client.get(f"/stockquote/{ticker}")
    assert quote.status_code == 200 and quote.json() == views.quote_view(analysis)
    assert quote.json()["ticker"] == symbol


def test_unknown_ticker(client: httpx.Client) -> None:
    for url in ("/v1/options/NOPE", "/stockquote/NOPE"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"error": "symbol_not_found", "message": "No data for NOPE."}
