"""**extra** ``/v1/scan`` over real HTTP: rows sorted by |distance to flip|, failures listed."""

from __future__ import annotations

import httpx
import pytest

from api import views
from api.service.analysis import AnalysisService
from tests.api.live import ThreadServer


@pytest.fixture(scope="module")
def service(pinned_server: ThreadServer) -> AnalysisService:
    return pinned_server.app.state.service  # type: ignore[no-any-return]


def test_scan_rows_match_the_views(client: httpx.Client, service: AnalysisService) -> None:
    response = client.get("/v1/scan", params={"symbols": "spx,AAPL,ES=F,NVDA,SPX"})
    assert response.status_code == 200
    body = response.json()
    rows = [views.scan_row(service.analysis(s)) for s in ("SPX", "AAPL", "ES=F", "NVDA")]
    assert body == views.scan_view(rows, [])
    distances = [abs(r["distance_to_flip_pct"]) for r in body["rows"]]
    assert distances == sorted(distances) and body["count"] == 4


def test_failed_symbols_are_listed(client: httpx.Client) -> None:
    body = client.get("/v1/scan", params={"symbols": "SPY,NOPE"}).json()
    assert [r["symbol"] for r in body["rows"]] == ["SPY"]
    assert body["errors"] == [
        {"symbol": "NOPE", "error": "symbol_not_found", "message": "No data for NOPE."}
    ]


def test_all_failing_is_the_first_error(client: httpx.Client) -> None:
    response = client.get("/v1/scan", params={"symbols": "NOPE,NADA"})
    assert response.status_code == 404
    assert response.json() == {"error": "symbol_not_found", "message": "No data for NOPE."}


@pytest.mark.parametrize(
    ("symbols", "code"),
    [
        ("", "invalid_symbol"),  # an empty symbol is outside the grammar
        (",", "invalid_symbol"),
        ("A,,B", "invalid_symbol"),
        ("X" * 33, "invalid_symbol"),
        ("SPY, QQQ", "invalid_symbol"),  # no spaces
        ("SPY,..", "invalid_symbol"),
        ("SPY,SPY?x=1", "invalid_symbol"),
        (",".join(["S"] * 51), "invalid_symbols"),  # more than 50
    ],
)
def test_bad_symbol_lists_are_400(client: httpx.Client, symbols: str, code: str) -> None:
    response = client.get("/v1/scan", params={"symbols": symbols})
    assert response.status_code == 400 and response.json()["error"] == code


def test_symbols_is_required(client: httpx.Client) -> None:
    response = client.get("/v1/scan")
    assert response.status_code == 400 and response.json()["error"] == "invalid_symbols"
