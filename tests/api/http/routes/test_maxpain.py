"""``/v1/maxpain/{symbol}`` over real HTTP (the demo market pinned on a Friday morning, when
the index options have a same-day expiry): the view's JSON, the pain curve against a brute
force, agreement with the engine's max pain, the 0DTE view and the levels."""

from __future__ import annotations

import math

import httpx
import numpy as np
import polars as pl
import pytest

from api.service.analysis import AnalysisService
from api.views.maxpain import max_pain_view, pain_curve
from engine.analysis.levels import max_pain
from engine.analysis.single import analyze
from tests.api.live import ThreadServer

FRIDAY = "2026-11-20"


@pytest.fixture(scope="module")
def service(pinned_server: ThreadServer) -> AnalysisService:
    return pinned_server.app.state.service  # type: ignore[no-any-return]


def _engine_max_pain(frame: pl.DataFrame) -> float | None:
    return max_pain(
        frame["strike"].to_numpy(),
        frame["is_call"].to_numpy(),
        frame["open_interest"].cast(pl.Float64).to_numpy(),
        frame["multiplier"].to_numpy(),
    )


@pytest.mark.parametrize("symbol", ["SPX", "AAPL"])
def test_whole_chain(client: httpx.Client, service: AnalysisService, symbol: str) -> None:
    response = client.get(f"/v1/maxpain/{symbol}")
    assert response.status_code == 200
    body = response.json()
    a = analyze(service.snapshot(symbol), service.preset)
    assert body == max_pain_view(a)
    used = a.priced.validated.used
    assert body["max_pain_strike"] == _engine_max_pain(used)
    curve = body["pain_curve"]
    assert [r["strike"] for r in curve] == sorted(used["strike"].unique().to_list())
    least = min(curve, key=lambda r: (r["total_pain"], r["strike"]))
    assert least["strike"] == body["max_pain_strike"]
    for row in curve:
        assert row["total_pain"] == pytest.approx(row["call_pain"] + row["put_pain"], rel=1e-12)
    # per expiration: the engine's max pain of that expiry; the nearest one is the analysis's
    rows = body["max_pain_by_expiration"]
    assert [r["expiration"] for r in rows] == sorted(r["expiration"] for r in rows)
    compact = service.analysis(symbol)
    assert rows[0]["expiration"] == compact.max_pain_expiration.isoformat()
    assert rows[0]["max_pain_strike"] == compact.max_pain
    assert body["expiration"] == rows[0]["expiration"]
    assert sum(r["total_oi"] for r in rows) == sum(r["total_oi"] for r in body["oi_by_strike"])
    calls = sum(r["call_oi"] for r in body["oi_by_strike"])
    puts = sum(r["put_oi"] for r in body["oi_by_strike"])
    assert body["put_call_oi_ratio"] == pytest.approx(puts / calls)
    assert body["pin_probability"] is None
    assert body["regime"] == client.get(f"/v1/exposure/summary/{symbol}").json()["regime"]


def test_one_expiration_agrees_with_zero_dte_and_levels(client: httpx.Client) -> None:
    body = client.get(f"/v1/maxpain/SPX?expiration={FRIDAY}").json()
    assert body["expiration"] == FRIDAY and body["max_pain_by_expiration"] is None
    zero = client.get(f"/v1/exposure/zero-dte/SPX?expiry={FRIDAY}").json()
    assert body["max_pain_strike"] == zero["pin_risk"]["max_pain"]
    levels = client.get(f"/v1/exposure/levels/SPX?expiration={FRIDAY}").json()["levels"]
    alignment = body["dealer_alignment"]
    for name in ("gamma_flip", "gamma_flip_status", "call_wall", "put_wall"):
        assert alignment[name] == levels[name]
    assert alignment["alignment"] in {"converging", "moderate", "diverging", "unknown"}
    assert isinstance(alignment["description"], str) and alignment["description"]


def test_distance_signal_and_expected_move(client: httpx.Client) -> None:
    body = client.get("/v1/maxpain/SPY").json()
    spot, pain = body["underlying_price"], body["max_pain_strike"]
    distance = body["distance"]
    assert distance["absolute"] == pytest.approx(abs(spot - pain))
    assert distance["percent"] == pytest.approx(abs(spot - pain) / spot * 100)
    assert distance["direction"] == ("above" if spot > pain else "below")
    pct = (spot - pain) / spot * 100
    assert body["signal"] == ("bullish" if pct <= -5 else "bearish" if pct >= 5 else "neutral")
    move = body["expected_move"]
    assert move["straddle_price"] > 0 and 1 < move["atm_iv"] < 300
    assert move["max_pain_within_expected_range"] == (abs(spot - pain) <= move["straddle_price"])


def test_errors(client: httpx.Client) -> None:
    missing = client.get("/v1/maxpain/SPX?expiration=2020-01-17")
    assert missing.status_code == 404 and missing.json()["error"] == "symbol_not_found"
    bad = client.get("/v1/maxpain/SPX?expiration=20201-01-17")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_expiry"
    unknown = client.get("/v1/maxpain/NOPE")
    assert unknown.status_code == 404 and unknown.json()["message"] == "No data for NOPE."


def test_pain_curve_against_brute_force() -> None:
    rng = np.random.default_rng(4)
    n = 60
    frame = pl.DataFrame({
        "strike": rng.choice(np.arange(80.0, 121.0, 2.5), n),
        "is_call": rng.random(n) < 0.5,
        "open_interest": rng.integers(0, 500, n),
        "multiplier": rng.choice([100.0, 10.0], n),
    })  # fmt: skip
    grid, calls, puts = pain_curve(frame)
    rows = frame.to_dicts()
    for k, c, p in zip(grid, calls, puts, strict=True):
        want_c = math.fsum(r["open_interest"] * r["multiplier"] * max(0.0, k - r["strike"])
                           for r in rows if r["is_call"])  # fmt: skip
        want_p = math.fsum(r["open_interest"] * r["multiplier"] * max(0.0, r["strike"] - k)
                           for r in rows if not r["is_call"])  # fmt: skip
        assert c == pytest.approx(want_c, rel=1e-12) and p == pytest.approx(want_p, rel=1e-12)
    total = calls + puts
    assert grid[int(np.argmin(total))] == _engine_max_pain(frame)
