"""``/v1/exposure/*`` over real HTTP (uvicorn in a thread, demo market frozen on a Friday):
each answer is exactly the view of the service's analysis, and bad input is a typed 4xx."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest

from api import views
from api.service.analysis import AnalysisService
from tests.api.live import ThreadServer

FRIDAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def service(pinned_server: ThreadServer) -> AnalysisService:
    return pinned_server.app.state.service  # type: ignore[no-any-return]


def same(body: dict[str, Any], view: dict[str, Any]) -> None:
    assert body == json.loads(json.dumps(view))


@pytest.mark.parametrize(
    ("path", "view"),
    [
        ("summary", views.summary_view),
        ("gex", views.gex_view),
        ("dex", views.dex_view),
        ("vex", views.vex_view),
        ("chex", views.chex_view),
        ("levels", views.levels_view),
        ("narrative", views.narrative_view),
        ("profile", views.profile_view),
    ],
)
@pytest.mark.parametrize("symbol", ["SPX", "aapl", "ES%3DF", "es=f"])
def test_each_endpoint_answers_its_view(
    client: httpx.Client, service: AnalysisService, path: str, view: Any, symbol: str
) -> None:
    response = client.get(f"/v1/exposure/{path}/{symbol}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    expected = "ES=F" if "3D" in symbol or "=" in symbol else symbol.upper()
    assert body["symbol"] == expected
    same(body, view(service.analysis(expected)))
    assert int(response.headers["x-ratelimit-remaining"]) >= 0


def test_gex_with_expiration_and_min_oi(client: httpx.Client, service: AnalysisService) -> None:
    response = client.get(
        "/v1/exposure/gex/SPY", params={"expiration": "2026-11-20", "min_oi": 1000}
    )
    assert response.status_code == 200
    same(response.json(), views.gex_view(service.analysis("SPY", expiration=FRIDAY, min_oi=1000)))
    assert all(r["call_oi"] + r["put_oi"] >= 1000 for r in response.json()["strikes"])
    for path in ("dex", "vex", "chex", "levels", "profile"):
        filtered = client.get(f"/v1/exposure/{path}/SPY", params={"expiration": "2026-11-20"})
        assert filtered.status_code == 200


def test_zero_dte_of_today_and_of_a_named_expiry(
    client: httpx.Client, service: AnalysisService
) -> None:
    today = client.get("/v1/exposure/zero-dte/spx", params={"strike_range": 0.01})
    assert today.status_code == 200
    full = service.analysis("SPX")
    day = service.analysis("SPX", expiration=FRIDAY, hedge_moves=views.ZERO_DTE_MOVES)
    same(today.json(), views.zero_dte_view(full, day, 0.01))
    default = client.get("/v1/exposure/zero-dte/SPX").json()
    assert len(default["strikes"]) > len(today.json()["strikes"])  # default range 0.03
    later = full.expirations[1]
    named = client.get("/v1/exposure/zero-dte/SPX", params={"expiry": later.isoformat()})
    assert named.status_code == 200 and named.json()["expiration"] == later.isoformat()


@pytest.mark.parametrize("value", ["2026-13-01", "20261120", "tomorrow", "", "2026-11-20T00:00"])
@pytest.mark.parametrize(("path", "name"), [("gex", "expiration"), ("zero-dte", "expiry")])
def test_malformed_dates_are_invalid_expiry(
    client: httpx.Client, path: str, name: str, value: str
) -> None:
    response = client.get(f"/v1/exposure/{path}/SPX", params={name: value})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_expiry",
        "message": f"{name} must be a date YYYY-MM-DD.",
    }


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("/v1/exposure/gex/SPX?min_oi=-1", "invalid_min_oi"),
        ("/v1/exposure/gex/SPX?min_oi=many", "invalid_min_oi"),
        ("/v1/exposure/zero-dte/SPX?strike_range=0.5", "invalid_strike_range"),
        ("/v1/exposure/zero-dte/SPX?strike_range=wide", "invalid_strike_range"),
        ("/v1/exposure/summary/" + "X" * 33, "invalid_symbol"),
    ],
)
def test_other_bad_values_are_400_with_a_snake_case_code(
    client: httpx.Client, url: str, code: str
) -> None:
    response = client.get(url)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "message"} and body["error"] == code


def test_unknown_symbols_and_empty_expiries_are_404(client: httpx.Client) -> None:
    unknown = client.get("/v1/exposure/summary/xyz")
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "symbol_not_found", "message": "No data for XYZ."}
    for url in (
        "/v1/exposure/gex/SPX?expiration=2030-01-02",
        "/v1/exposure/zero-dte/SPX?expiry=2030-01-02",
    ):
        response = client.get(url)
        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "symbol_not_found" and body["message"].startswith("No data for SPX")
        assert "2030-01-02" in body["message"]


def test_zero_dte_without_a_same_day_expiry() -> None:
    from api.config import ServerSettings
    from api.http.app import create_app
    from tests.api.live import PinnedSource
    from tests.api.test_views import SATURDAY

    service = AnalysisService(PinnedSource(SATURDAY), ttl=60.0)
    app = create_app(settings=ServerSettings(rate_limit=0), service=service, warm=False)
    with ThreadServer(app) as server, httpx.Client(base_url=server.base_url) as http:
        response = http.get("/v1/exposure/zero-dte/NVDA")
        assert "x-ratelimit-limit" not in response.headers  # the limit is off
    assert response.status_code == 200
    same(response.json(), views.no_zero_dte_view(service.analysis("NVDA")))
