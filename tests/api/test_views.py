"""The views: exact shapes (each view round-trips through its response model unchanged),
units and invariants, on the demo market frozen on a Friday morning (0DTE present)."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
from pydantic import BaseModel

from api import views
from api.schemas.exposure import (
    ChexResponse,
    DexResponse,
    GexResponse,
    LevelsResponse,
    NarrativeResponse,
    ProfileResponse,
    SummaryResponse,
    VexResponse,
)
from api.schemas.history import HistoryResponse, OiDiffResponse
from api.schemas.reference import OptionsResponse, ScanResponse, StockQuoteResponse, SymbolsResponse
from api.schemas.zero_dte import NoZeroDteResponse, ZeroDteResponse
from api.service.analysis import AnalysisService
from data_adapters.store import HISTORY_SCHEMA
from engine.analysis.single import Analysis
from tests.api.live import FRIDAY, PinnedSource

SATURDAY = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def service() -> AnalysisService:
    return AnalysisService(PinnedSource(), ttl=3600.0)


@pytest.fixture(scope="module")
def spx(service: AnalysisService) -> Analysis:
    return service.analysis("SPX")


def exact(model: type[BaseModel], body: dict[str, Any]) -> None:
    """``body`` is valid JSON for ``model`` with no key the model does not declare."""
    text = json.dumps(body, allow_nan=False)
    assert json.loads(model.model_validate_json(text).model_dump_json()) == json.loads(text)


def test_helpers() -> None:
    assert views.finite(float("nan")) is None and views.finite(math.inf) is None
    assert views.finite(None) is None and views.finite(2) == 2.0
    moment = datetime(2026, 2, 28, 16, 30, 45, 123456, tzinfo=UTC)
    assert views.iso_utc(moment) == "2026-02-28T16:30:45Z"
    assert views.iso_date(date(2026, 3, 1)) == "2026-03-01" and views.iso_date(None) is None


def test_summary(spx: Analysis) -> None:
    body = views.summary_view(spx)
    exact(SummaryResponse, body)
    assert body["as_of"] == "2026-11-20T15:00:00Z" and body["symbol"] == "SPX"
    spot = body["underlying_price"]
    for move in body["hedging_estimate"].values():
        assert move["notional_usd"] == pytest.approx(abs(move["dealer_shares_to_trade"]) * spot)
    assert body["zero_dte"]["expiration"] == "2026-11-20"
    assert body["data_quality"]["contracts_used"] == spx.data_quality["contracts_used"]


@pytest.mark.parametrize(
    ("view", "model", "name"),
    [
        (views.dex_view, DexResponse, "dex"),
        (views.vex_view, VexResponse, "vex"),
        (views.chex_view, ChexResponse, "chex"),
        (views.gex_view, GexResponse, "gex"),
    ],
)
def test_strike_views_sum_to_the_net(spx: Analysis, view: Any, model: Any, name: str) -> None:
    body = view(spx)
    exact(model, body)
    rows = body["strikes"]
    assert [r["strike"] for r in rows] == sorted(r["strike"] for r in rows)
    total = math.fsum(r[f"net_{name}"] for r in rows)
    assert total == pytest.approx(body[f"net_{name}"], rel=1e-9)


def test_gex_oi_changes_are_null_without_history_and_filled_with_one(spx: Analysis) -> None:
    assert {r["call_oi_change"] for r in views.gex_view(spx)["strikes"]} == {None}
    strike = spx.levels.call_wall
    changes = pl.DataFrame(
        {
            "root": ["SPXW", "SPXW", "SPX"],
            "expiration": [date(2026, 12, 18)] * 3,
            "strike": [strike, strike, strike],
            "is_call": [True, False, True],
            "open_interest": [200, 10, 50],
            "prior_oi": [100, 17, 30],
            "oi_change": [100, -7, 20],
            "volume": [5, 1, 0],
        }
    )
    rows = views.gex_view(spx, changes)["strikes"]
    wall = next(r for r in rows if r["strike"] == strike)
    assert (wall["call_oi_change"], wall["put_oi_change"]) == (120, -7)
    assert {r["put_oi_change"] for r in rows if r["strike"] != strike} == {0}


def test_levels_and_profile(spx: Analysis) -> None:
    levels = views.levels_view(spx)
    exact(LevelsResponse, levels)
    assert levels["levels"]["zero_dte_magnet"] == 5700.0
    profile = views.profile_view(spx)
    exact(ProfileResponse, profile)
    assert len(profile["levels"]) == len(profile["net_gex"]) and profile["crossings"]


def test_narrative_without_and_with_a_prior(spx: Analysis) -> None:
    body = views.narrative_view(spx)
    exact(NarrativeResponse, body)
    data = body["narrative"]["data"]
    assert data["net_gex_prior"] is None and data["net_gex_change_pct"] is None
    assert "no prior session is stored" in body["narrative"]["gex_change"]
    assert data["top_oi_changes"] == []
    prior = spx.net_gex / 2
    changed = views.narrative_view(spx, prior)["narrative"]["data"]
    assert changed["net_gex_change_pct"] == pytest.approx(100.0)


def _changes(spx: Analysis) -> pl.DataFrame:
    strike = spx.levels.call_wall
    return pl.DataFrame(
        {
            "root": ["SPXW", "SPXW", "SPX", "SPXW"],
            "expiration": [date(2026, 12, 18), date(2026, 12, 18), date(2026, 12, 18),
                           date(2027, 1, 15)],
            "strike": [strike, strike, strike, strike + 100.0],
            "is_call": [True, False, True, False],
            "open_interest": [200, 10, 50, 0],
            "prior_oi": [100, 17, 30, 0],
            "oi_change": [100, -7, 20, 0],
            "volume": [5, 1, 0, 3],
        }
    )  # fmt: skip


def test_narrative_lists_the_largest_oi_changes(spx: Analysis) -> None:
    body = views.narrative_view(spx, spx.net_gex / 2, _changes(spx))
    exact(NarrativeResponse, body)
    strike = spx.levels.call_wall
    assert body["narrative"]["data"]["top_oi_changes"] == [
        {"strike": strike, "type": "C", "oi_change": 120, "volume": 5},
        {"strike": strike, "type": "P", "oi_change": -7, "volume": 1},
    ]


def test_oi_diff_with_and_without_a_prior(spx: Analysis) -> None:
    moment = datetime(2026, 11, 19, 21, 15, tzinfo=UTC)
    body = views.oi_diff_view(spx, _changes(spx), moment, 2)
    exact(OiDiffResponse, body)
    assert body["prior_snapshot_available"] is True
    assert body["prior_as_of"] == "2026-11-19T21:15:00Z"
    assert (body["total_call_oi_change"], body["total_put_oi_change"]) == (120, -7)
    assert [(r["type"], r["expiry"], r["oi_change"]) for r in body["top_oi_changes"]] == [
        ("C", "2026-12-18", 100),
        ("C", "2026-12-18", 20),
    ]
    assert body["top_oi_changes"][0]["today_oi"] == 200 and body["message"] is None
    none = views.oi_diff_view(spx, None, None, 5, "why not")
    exact(OiDiffResponse, none)
    assert none["prior_snapshot_available"] is False and none["top_oi_changes"] == []
    assert (none["total_call_oi_change"], none["message"]) == (0, "why not")


def test_history_view_is_newest_last() -> None:
    rows = [
        {"symbol": "SPX", "as_of": datetime(2026, 11, 19, 21, 15, tzinfo=UTC),
         "date": date(2026, 11, 19), "spot": 5700.0, "net_gex": float("nan"), "status": "ok"},
        {"symbol": "SPX", "as_of": datetime(2026, 11, 20, 21, 15, tzinfo=UTC),
         "date": date(2026, 11, 20), "spot": 5710.0, "net_gex": 1e9, "status": "ok"},
    ]  # fmt: skip
    frame = pl.DataFrame(rows, schema=dict(HISTORY_SCHEMA), strict=False)
    body = views.history_view("SPX", frame, date(2026, 11, 1), date(2026, 11, 20))
    exact(HistoryResponse, body)
    assert body["as_of"] == "2026-11-20T21:15:00Z" and body["count"] == 2
    assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-20")
    assert [r["underlying_price"] for r in body["history"]] == [5700.0, 5710.0]
    assert body["history"][0]["net_gex"] is None  # never NaN on the wire
    empty = views.history_view("SPX", frame.clear(), date(2026, 11, 1), date(2026, 11, 2))
    exact(HistoryResponse, empty)
    assert empty["as_of"] is None and empty["history"] == []


def test_zero_dte_of_today(service: AnalysisService, spx: Analysis) -> None:
    day = service.analysis("SPX", expiration=date(2026, 11, 20), hedge_moves=views.ZERO_DTE_MOVES)
    body = views.zero_dte_view(spx, day, strike_range=0.01)
    exact(ZeroDteResponse, body)
    spot = body["underlying_price"]
    assert body["expiration"] == "2026-11-20" and body["no_zero_dte"] is False
    assert body["exposures"]["net_gex"] == pytest.approx(spx.zero_dte.net_gex)
    assert body["exposures"]["pct_of_total_gex"] == pytest.approx(spx.zero_dte.pct_of_total_gex)
    assert body["pin_risk"]["magnet_strike"] == spx.levels.zero_dte_magnet
    assert body["pin_risk"]["max_pain"] == day.max_pain
    assert body["pin_risk"]["distance_to_magnet_pct"] == pytest.approx((5700.0 / spot - 1) * 100)
    assert list(body["hedging"]) == [
        "spot_up_10bp", "spot_down_10bp", "spot_up_25bp", "spot_down_25bp",
        "spot_up_half_pct", "spot_down_half_pct", "spot_up_1pct", "spot_down_1pct",
    ]  # fmt: skip
    sizes = {"10bp": 0.001, "25bp": 0.0025, "half_pct": 0.005, "1pct": 0.01}
    for name, move in body["hedging"].items():
        assert move["notional_usd"] == pytest.approx(abs(move["dealer_shares_to_trade"]) * spot)
        _, side, size = name.split("_", 2)
        expected = day.hedging[(-1.0 if side == "down" else 1.0) * sizes[size]]
        assert move["dealer_shares_to_trade"] == expected.dealer_shares_to_trade
    rows = body["strikes"]
    assert rows and all(abs(r["distance_from_spot_pct"]) <= 1.0 + 1e-9 for r in rows)
    assert len(rows) < day.strikes.height
    shares = [r["gex_share_pct"] for r in views.zero_dte_view(spx, day, 0.1)["strikes"]]
    assert math.fsum(shares) == pytest.approx(100.0)
    flow = body["flow"]
    assert (
        flow["total_oi"]
        == flow["call_oi"] + flow["put_oi"]
        == int((day.strikes["call_oi"] + day.strikes["put_oi"]).sum())
    )


def test_no_zero_dte_on_a_saturday() -> None:
    service = AnalysisService(PinnedSource(SATURDAY), ttl=60.0)
    a = service.analysis("AAPL")
    body = views.no_zero_dte_view(a)
    exact(NoZeroDteResponse, body)
    assert body["expiration"] is None and body["no_zero_dte"] is True
    assert body["next_zero_dte_expiry"] == a.expirations[0].isoformat() > "2026-11-21"
    assert "2026-11-21" in body["message"]


def test_reference_views(spx: Analysis) -> None:
    options = views.options_view(spx)
    exact(OptionsResponse, options)
    assert options["expiration_count"] == len(spx.expirations)
    assert [e["expiration"] for e in options["expirations"]] == [
        d.isoformat() for d in spx.expirations
    ]
    assert options["total_contracts"] == spx.data_quality["contracts_used"]
    assert all(e["strikes"] == sorted(set(e["strikes"])) for e in options["expirations"])
    quote = views.quote_view(spx)
    exact(StockQuoteResponse, quote)
    assert (
        quote["bid"] == quote["ask"] == quote["mid"] == quote["lastPrice"] == spx.underlying_price
    )
    assert quote["lastUpdate"] == quote["as_of"] == "2026-11-20T15:00:00Z"
    listing = views.symbols_view(["SPX", "ES=F"], FRIDAY)
    exact(SymbolsResponse, listing)
    assert listing["count"] == 2 and listing["last_updated"] == "2026-11-20T15:00:00Z"


def test_scan_sorts_by_distance_to_flip_nulls_last(service: AnalysisService) -> None:
    rows = [views.scan_row(service.analysis(s)) for s in ("SPX", "AAPL", "NVDA", "ES=F")]
    rows.append({**rows[0], "symbol": "NOFLIP", "gamma_flip": None, "distance_to_flip_pct": None})
    body = views.scan_view(rows, [{"symbol": "XYZ", "error": "symbol_not_found", "message": "m"}])
    exact(ScanResponse, body)
    distances = [r["distance_to_flip_pct"] for r in body["rows"]]
    assert distances[-1] is None
    assert [abs(d) for d in distances[:-1]] == sorted(abs(d) for d in distances[:-1])
    assert body["count"] == 5 and body["errors"][0]["symbol"] == "XYZ"
    used = sum(r["data_quality"]["contracts_used"] for r in rows)
    assert body["data_quality"]["contracts_used"] == used
    spx_row = next(r for r in body["rows"] if r["symbol"] == "SPX")
    expected = (spx_row["gamma_flip"] / spx_row["underlying_price"] - 1) * 100
    assert spx_row["distance_to_flip_pct"] == pytest.approx(expected)
