"""``/v1/tickers`` over real HTTP: the source's symbols under the SDK's other name."""

from __future__ import annotations

import httpx

from api.views.tickers import tickers_view
from tests.api.live import ThreadServer


def test_tickers_lists_what_symbols_lists(
    client: httpx.Client, pinned_server: ThreadServer
) -> None:
    response = client.get("/v1/tickers")
    assert response.status_code == 200
    body = response.json()
    listing, fetched = pinned_server.app.state.service.symbols_listing()
    assert body == tickers_view(listing, fetched)
    symbols = client.get("/v1/symbols").json()
    assert body["tickers"] == symbols["symbols"] and body["count"] == symbols["count"] == 14
    assert body["as_of"] == symbols["as_of"]
    assert body["data_quality"]["contracts_used"] == 0


def test_tickers_needs_a_key(pinned_server: ThreadServer) -> None:
    assert httpx.get(f"{pinned_server.base_url}/v1/tickers").status_code == 401
