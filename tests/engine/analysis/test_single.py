"""engine.analyze on the deterministic demo market: options, filters, presets, invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache

import numpy as np
import pytest

from data_adapters import get_source
from engine.analysis.single import analyze
from engine.chain import ChainSnapshot
from engine.errors import ConfigurationError, NoContractsError
from engine.exposure.strikes import STRIKE_COLUMNS

AS_OF = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # Friday 10:00 New York


@cache
def snap(symbol: str = "SPX") -> ChainSnapshot:
    return get_source("demo").snapshot(symbol, AS_OF)


def test_summary_fields_are_consistent() -> None:
    a = analyze(snap())
    assert a.symbol == "SPX" and a.as_of == AS_OF and a.preset == "native"
    assert tuple(a.strikes.columns) == STRIKE_COLUMNS
    assert a.regime == ("positive_gamma" if a.net_gex > 0 else "negative_gamma")
    assert a.gamma_flip_status in ("available", "no_boundary")
    assert (a.gamma_flip is None) == (a.gamma_flip_status == "no_boundary")
    assert list(a.crossings) == sorted(a.crossings)
    assert a.zero_dte.expiration == date(2026, 11, 20)
    assert set(a.hedging) == {-0.01, 0.01}
    assert set(a.zero_dte_hedging) == {-0.01, -0.005, -0.0025, -0.001, 0.001, 0.0025, 0.005, 0.01}
    for move, est in a.hedging.items():
        assert est.notional_usd == pytest.approx(
            abs(est.dealer_shares_to_trade) * a.underlying_price
        )
        assert est.direction == ("buy" if est.dealer_shares_to_trade >= 0 else "sell")
        assert move in (-0.01, 0.01)
    assert a.max_pain_expiration == a.expirations[0]
    assert set(a.interpretation) == {"gamma", "vanna", "charm", "speed", "vomma"}
    q = a.data_quality
    assert q["contracts_used"] == a.priced.contracts.height
    assert q["excluded"]["expired"] == 2 and q["excluded"]["duplicate_contract"] == 1


def test_analysis_is_deterministic() -> None:
    a, b = analyze(snap()), analyze(snap())
    assert a.exposures == b.exposures and a.gamma_flip == b.gamma_flip
    assert a.strikes.equals(b.strikes)


def test_expiration_filter_restricts_everything() -> None:
    full = analyze(snap())
    day = full.expirations[3]
    a = analyze(snap(), expiration=day.isoformat())
    assert a.expirations == (day,)
    assert a.options.expiration == day
    assert abs(a.net_gex) < abs(full.net_gex) * 10
    assert float(a.strikes["net_gex"].sum()) == pytest.approx(a.net_gex, rel=1e-9, abs=1.0)
    with pytest.raises(NoContractsError):
        analyze(snap(), expiration="2031-01-17")
    with pytest.raises(ConfigurationError, match="YYYY-MM-DD"):
        analyze(snap(), expiration="2026/12/18")


def test_min_oi_drops_strikes_from_every_number() -> None:
    a = analyze(snap(), min_oi=5000)
    oi = (a.strikes["call_oi"] + a.strikes["put_oi"]).to_numpy()
    assert np.all(oi >= 5000)
    assert float(a.strikes["net_gex"].sum()) == pytest.approx(a.net_gex, rel=1e-9)
    assert a.strikes.height < analyze(snap()).strikes.height


def test_unknown_and_bad_options_are_errors() -> None:
    with pytest.raises(ConfigurationError, match="no setting 'gird_points'"):
        analyze(snap(), gird_points=101)
    with pytest.raises(ConfigurationError):
        analyze(snap(), dealer_model="long_everything")
    with pytest.raises(ConfigurationError):
        analyze(snap(), min_oi=-1)
    with pytest.raises(ConfigurationError, match="unknown preset"):
        analyze(snap(), preset="squeeze")


def test_short_all_negates_the_call_columns_and_keeps_the_put_columns() -> None:
    street = analyze(snap())
    short = analyze(snap(), dealer_model="short_all")
    for x in ("gex", "dex", "vex", "chex"):
        np.testing.assert_allclose(
            short.strikes[f"call_{x}"].to_numpy(), -street.strikes[f"call_{x}"].to_numpy(),
            rtol=1e-14, atol=0,
        )  # fmt: skip
        np.testing.assert_array_equal(
            short.strikes[f"put_{x}"].to_numpy(), street.strikes[f"put_{x}"].to_numpy()
        )
    assert short.net_gex < 0 and short.regime == "negative_gamma"


def test_profile_selection_changes_only_the_profile() -> None:
    a = analyze(snap())
    b = analyze(snap(), profile="ex_0dte")
    assert b.regime == a.regime and b.exposures == a.exposures
    assert not np.array_equal(a.profile_values, b.profile_values)


def test_grid_options() -> None:
    a = analyze(snap(), grid_points=101, grid_widths="0.1,0.3")
    assert a.profile_levels.shape == (101,)
    assert a.profile_levels[0] >= a.underlying_price * (1 - 0.3) - 1e-9


def test_perfiliev_knobs_reach_the_engine() -> None:
    a = analyze(snap(), preset="perfiliev")
    b = analyze(snap(), preset="perfiliev", year_days="252", zero_dte_floor="false")
    assert a.knobs == {"year_days": 262, "zero_dte_floor": True}
    assert b.knobs == {"year_days": 252, "zero_dte_floor": False}
    assert a.profile_levels.shape == (60,)
    assert not np.array_equal(a.profile_values, b.profile_values)
    assert a.exposures["net_gex"] == b.exposures["net_gex"]  # vendor gamma, not the profile
    with pytest.raises(ConfigurationError):
        analyze(snap(), preset="perfiliev", year_days="many")


def test_futures_chain_uses_black76_and_its_multiplier() -> None:
    a = analyze(snap("ES=F"))
    c = a.priced.contracts
    assert set(c["model"].unique()) == {"black76"}
    assert set(c["multiplier"].unique()) == {50.0}
    assert np.all(c["carry"].to_numpy() == 0.0)
    assert np.isfinite(a.net_gex)


def test_the_flow_model_takes_the_dealers_inventory_per_row() -> None:
    """``dealer_model="flow"`` with the street positions as inventory is the street analysis;
    an inventory moved on one contract moves every exposure by that contract's share."""
    s = snap("SPY")
    frame = s.frame
    oi = frame["open_interest"].to_numpy().astype(np.float64)
    street = np.where(frame["is_call"].to_numpy(), oi, -oi)
    base = analyze(s)
    same = analyze(s, dealer_model="flow", dealer_position=street)
    for name, value in base.exposures.items():
        assert same.exposures[name] == pytest.approx(value, rel=1e-12, abs=1e-6), name
    assert same.gamma_flip == pytest.approx(base.gamma_flip, rel=1e-12)
    # customers bought 1,000 calls of the contract with the largest gamma exposure: the
    # dealers sold them, so their inventory (and its GEX) drops by that contract's GEX per lot
    contracts = base.priced.contracts
    top = int(np.argmax(contracts["gex"].to_numpy()))
    row = frame["contract"].to_list().index(contracts["contract"][top])
    moved = street.copy()
    moved[row] -= 1000.0
    flow = analyze(s, dealer_model="flow", dealer_position=moved)
    per_lot = contracts["gex"][top] / street[row]
    assert flow.exposures["net_gex"] == pytest.approx(
        base.exposures["net_gex"] - 1000.0 * per_lot, rel=1e-9
    )


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"dealer_model": "flow"}, "needs dealer_position"),
        ({"dealer_model": "flow", "dealer_position": [1.0, 2.0]}, "one finite number per row"),
        ({"dealer_position": [1.0]}, "only under dealer_model='flow'"),
    ],
)
def test_the_flow_model_checks_its_inventory(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        analyze(snap("SPY"), **kwargs)  # type: ignore[arg-type]
