"""Whole-market analysis: every per-underlying number equals ``engine.analyze`` on that
underlying alone, under every setting, on any thread count and with the twins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl
import pytest

from data_adapters import get_source
from engine._jit import PURE_PYTHON_ENV, set_threads
from engine.analysis.market import STAGES, SUMMARY_COLUMNS, MarketAnalysis, analyze_market
from engine.analysis.single import Analysis, analyze
from engine.chain import validate
from engine.chain.market import market_rows
from engine.exposure.metrics import METRICS
from engine.pricing.chain import price_validated
from engine.pricing.rows import price_market
from tests.engine.market_factory import (
    Market,
    assert_matches,
    rows,
    sub_market,
    sub_result,
)

AS_OF = datetime(2024, 3, 15, 15, 0, tzinfo=UTC)  # third Friday, 11:00 New York: 0DTE + expired
SIZE = 700  # named symbols, then synthetic stocks of all three listing tiers


@pytest.fixture(scope="module")
def demo() -> Any:
    return get_source("demo", universe="market", market_size=SIZE).market(AS_OF)


@pytest.fixture(scope="module")
def market(demo: Any) -> Market:
    # named chains; synthetic stocks with negative gamma, several crossings, no crossing;
    # small chains of the last listing tier
    picks = [*range(14), 22, 35, 52, 66, 84, 233, 416, 676, 677, 697, 698, 699]
    return sub_market(demo, picks)


@pytest.fixture(scope="module")
def result(market: Market) -> MarketAnalysis:
    return analyze_market(*market.args())


@pytest.fixture(scope="module")
def singles(market: Market) -> list[Analysis]:
    return [analyze(market.snapshot(i)) for i in range(len(market))]


def test_every_underlying_matches_analyze(result: MarketAnalysis, singles: list[Analysis]) -> None:
    assert result.frame.columns == list(SUMMARY_COLUMNS)
    assert result.frame.height == len(singles)
    assert_matches(result, singles)
    statuses = set(result.frame["gamma_flip_status"])
    regimes = set(result.frame["regime"])
    assert statuses == {"available", "no_boundary"}
    assert regimes == {"positive_gamma", "negative_gamma"}
    assert result.frame["n_crossings"].max() >= 3  # type: ignore[operator]
    assert (result.frame["zero_dte_net_gex"] != 0).any()  # the fixture has 0DTE contracts


def test_strike_tables_match(result: MarketAnalysis, singles: list[Analysis]) -> None:
    for i, a in enumerate(singles):
        mine = result.strikes.filter(pl.col("underlying") == i)
        theirs = a.strikes
        np.testing.assert_array_equal(mine["strike"].to_numpy(), theirs["strike"].to_numpy())
        for col in (c for m in METRICS for c in m.columns()):
            want = theirs[col].to_numpy()
            got = mine[col].to_numpy()
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * np.abs(want).max())


def test_priced_contracts_match_engine_pricing(market: Market) -> None:
    """t, forward, carry and the filled IV of every contract equal ``engine.pricing.chain``."""
    r = market_rows(*market.args())
    p = price_market(r, market.spots, market.div_yields, market.as_of, market.rate)
    contract = market.frame["contract"].to_numpy()[r.rows[p.keep]]
    for i in range(len(market)):
        priced = price_validated(validate(market.snapshot(i))).contracts
        sel = p.uid == i
        mine = pl.DataFrame(
            {"contract": contract[sel], "t": p.t[sel], "forward": p.forward[sel],
             "carry": p.carry[sel], "iv": p.iv[sel]}
        )  # fmt: skip
        joined = priced.select("contract", "t", "forward", "carry", "iv").join(
            mine, on="contract", how="full", suffix="_m"
        )
        assert joined.height == priced.height == mine.height, i
        for col in ("t", "forward", "carry", "iv"):
            np.testing.assert_allclose(
                joined[f"{col}_m"].to_numpy(), joined[col].to_numpy(), rtol=1e-14, atol=0
            )


@pytest.mark.parametrize(
    ("dealer_model", "forward"), [("short_all", "implied"), ("street", "carry")]
)
def test_other_settings_match(market: Market, dealer_model: str, forward: str) -> None:
    picks = [0, 5, 12, 14, 20, 25]
    res = analyze_market(*market.args(), dealer_model=dealer_model, forward=forward)
    kw = {"dealer_model": dealer_model, "forward": forward}
    singles = [analyze(market.snapshot(i), **kw) for i in picks]
    for i, a in zip(picks, singles, strict=True):
        row = res.frame.row(i, named=True)
        assert row["net_gex"] == pytest.approx(a.exposures["net_gex"], rel=1e-9)
        assert row["net_dex"] == pytest.approx(a.exposures["net_dex"], rel=1e-9)
        assert row["regime"] == a.regime
        assert (row["gamma_flip"] is None) == (a.gamma_flip is None)
        if a.gamma_flip is not None:
            assert abs(row["gamma_flip"] - a.gamma_flip) <= 1e-6 * a.underlying_price
        assert (row["call_wall"], row["put_wall"]) == (a.levels.call_wall, a.levels.put_wall)


def test_grid_options_match(market: Market) -> None:
    sub = sub_market(market, [1, 15, 22])
    kw = {"grid_points": 61, "grid_widths": (0.05, 0.12)}
    res = analyze_market(*sub.args(), **kw)  # type: ignore[arg-type]
    assert_matches(res, [analyze(sub.snapshot(i), **kw) for i in range(len(sub))])  # type: ignore[arg-type]


def test_threads_do_not_change_results(market: Market, result: MarketAnalysis) -> None:
    all_threads = set_threads(None)
    try:
        set_threads(1)
        one = analyze_market(*market.args())
    finally:
        set_threads(all_threads)
    assert one.frame.equals(result.frame)
    assert one.crossings.equals(result.crossings)
    assert one.strikes.equals(result.strikes)


def test_timings_cover_every_stage(result: MarketAnalysis) -> None:
    assert tuple(result.timings) == STAGES
    assert all(v >= 0.0 for v in result.timings.values())
    assert result.seconds == pytest.approx(sum(result.timings.values()))
    assert result.row("spx")["symbol"] == "SPX"
    with pytest.raises(KeyError):
        result.row("NOPE")


# --- small hand-made markets ---------------------------------------------------------


def test_pure_python_twins_give_the_same_market(
    market: Market, result: MarketAnalysis, monkeypatch: pytest.MonkeyPatch
) -> None:
    picks = [21, 23, 25]  # small synthetic chains keep the pure-Python run short
    monkeypatch.setenv(PURE_PYTHON_ENV, "1")
    twin = analyze_market(*sub_market(market, picks).args())
    monkeypatch.delenv(PURE_PYTHON_ENV)
    compiled = sub_result(result, picks)
    for a, b in zip(rows(twin), rows(compiled), strict=True):
        for name in ("net_gex", "net_dex", "net_vex", "net_chex", "zero_dte_net_gex"):
            assert a[name] == pytest.approx(b[name], rel=1e-12, abs=1e-300)
        assert (a["call_wall"], a["put_wall"], a["regime"]) == (
            b["call_wall"],
            b["put_wall"],
            b["regime"],
        )
        assert a["n_crossings"] == b["n_crossings"]
        if b["gamma_flip"] is not None:
            assert a["gamma_flip"] == pytest.approx(b["gamma_flip"], rel=1e-9)
    np.testing.assert_allclose(
        twin.crossings["level"].to_numpy(), compiled.crossings["level"].to_numpy(), rtol=1e-9
    )
