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


def test_without_symbols_every_symbol_of_the_source_on_the_market_path(
    client: httpx.Client,
) -> None:
    whole = client.get("/v1/scan").json()
    listed = client.get("/v1/symbols").json()["symbols"]
    assert whole["total"] == len(listed) == whole["count"] + 0 * len(whole["errors"])
    assert sorted(r["symbol"] for r in whole["rows"]) == sorted(listed)
    named = client.get("/v1/scan", params={"symbols": ",".join(listed)}).json()
    # the batched market analysis gives the per-symbol analyses' rows (to rounding)
    by_symbol = {r["symbol"]: r for r in named["rows"]}
    for row in whole["rows"]:
        other = by_symbol[row["symbol"]]
        assert row["regime"] == other["regime"]
        for key in ("net_gex", "gamma_flip", "zero_dte_pct"):
            if other[key] is None:
                assert row[key] is None, (row["symbol"], key)
            else:
                assert row[key] == pytest.approx(other[key], rel=1e-6, abs=1e-9), (
                    row["symbol"],
                    key,
                )
        for key in ("call_wall", "put_wall", "underlying_price"):
            assert row[key] == other[key], (row["symbol"], key)
        assert row["data_quality"]["contracts_used"] == other["data_quality"]["contracts_used"]
        assert row["data_quality"]["iv_sources"] == other["data_quality"]["iv_sources"]
    limited = client.get("/v1/scan", params={"limit": 3, "sort": "net_gex"}).json()
    assert limited["count"] == 3 and limited["total"] == len(listed)
    gex = [abs(r["net_gex"]) for r in limited["rows"]]
    assert gex == sorted(gex, reverse=True)
    assert gex[0] == max(abs(r["net_gex"]) for r in whole["rows"] if r["net_gex"] is not None)


@pytest.mark.parametrize(
    ("params", "code"), [({"limit": 0}, "invalid_limit"), ({"sort": "x"}, "invalid_sort")]
)
def test_bad_limit_or_sort_is_400(
    client: httpx.Client, params: dict[str, object], code: str
) -> None:
    response = client.get("/v1/scan", params=params)
    assert response.status_code == 400 and response.json()["error"] == code
