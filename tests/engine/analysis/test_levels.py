"""Key levels from per-strike tables, tie rules, absent values, and max pain."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.analysis.levels import (
    StrikeLevels,
    call_wall,
    highest_oi_strike,
    max_negative_gamma,
    max_pain,
    max_positive_gamma,
    put_wall,
    strike_levels,
    zero_dte_magnet,
)
from engine.exposure.metrics import NAMES, Exposures
from engine.exposure.strikes import STRIKE_COLUMNS, strike_table


def _table(**columns: list[float] | list[int] | list[float | None]) -> pl.DataFrame:
    """A per-strike table with every STRIKE_COLUMNS column; unspecified ones are zero."""
    n = len(columns["strike"])
    data: dict[str, object] = {}
    for name in STRIKE_COLUMNS:
        default: list[float] | list[int] = (
            [0] * n if name.endswith(("_oi", "_volume")) else [0.0] * n
        )
        data[name] = columns.get(name, default)
    return pl.DataFrame(data).with_columns(
        pl.col(c).cast(pl.Int64) for c in ("call_oi", "put_oi", "call_volume", "put_volume")
    )


HAND = _table(
    strike=[90.0, 100.0, 110.0],
    call_gex=[1.0, 5.0, 3.0],
    put_gex=[-4.0, -2.0, 0.0],
    net_gex=[-3.0, 3.0, 3.0],
    call_oi=[10, 20, 5],
    put_oi=[30, 0, 1],
)


def test_hand_computed_levels() -> None:
    # walls on their side of spot: the largest call GEX at or above 104 is at 110 ...
    assert call_wall(HAND, 104.0) == 110.0
    assert call_wall(HAND, 100.0) == 100.0
    assert put_wall(HAND, 104.0) == 90.0
    assert put_wall(HAND, 95.0) == 90.0
    # ... and with nothing on the side, the whole chain
    assert call_wall(HAND, 120.0) == 100.0
    assert put_wall(HAND, 80.0) == 90.0
    assert max_negative_gamma(HAND, 104.0) == 90.0
    assert highest_oi_strike(HAND, 104.0) == 90.0
    # net GEX 3 at 100 and at 110: the strike nearest spot wins
    assert max_positive_gamma(HAND, 104.0) == 100.0
    assert max_positive_gamma(HAND, 106.0) == 110.0


def test_tie_equidistant_goes_to_lower_strike() -> None:
    assert max_positive_gamma(HAND, 105.0) == 100.0
    table = _table(strike=[95.0, 105.0], call_oi=[7, 3], put_oi=[0, 4])
    assert highest_oi_strike(table, 100.0) == 95.0
    assert highest_oi_strike(table, 101.0) == 105.0


def test_empty_table_gives_none_everywhere() -> None:
    empty = _table(strike=[])
    assert strike_levels(empty, 100.0, empty) == StrikeLevels(None, None, None, None, None, None)


def test_absent_values_give_none() -> None:
    table = _table(
        strike=[90.0, 100.0],
        call_gex=[0.0, 0.0],
        put_gex=[0.0, 0.0],
        net_gex=[2.0, 1.0],
    )
    assert call_wall(table, 95.0) is None
    assert put_wall(table, 95.0) is None
    assert max_negative_gamma(table, 95.0) is None
    assert max_positive_gamma(table, 95.0) == 90.0
    assert highest_oi_strike(table, 95.0) is None
    assert zero_dte_magnet(_table(strike=[100.0]), 95.0) is None


def test_nulls_and_nans_are_ignored() -> None:
    table = _table(
        strike=[90.0, 100.0, 110.0],
        call_gex=[float("nan"), 2.0, 1.0],
        put_gex=[None, -1.0, -3.0],
        net_gex=[float("inf"), 1.0, -2.0],
    )
    assert call_wall(table, 100.0) == 100.0
    assert put_wall(table, 100.0) == 100.0  # at or below spot
    assert put_wall(table, 110.0) == 110.0
    assert max_positive_gamma(table, 100.0) == 100.0


def test_zero_dte_magnet_uses_absolute_net_gex() -> None:
    today = _table(strike=[100.0, 105.0, 110.0], net_gex=[5.0, -7.0, 6.0])
    assert zero_dte_magnet(today, 100.0) == 105.0
    levels = strike_levels(HAND, 104.0, today)
    assert levels.zero_dte_magnet == 105.0
    assert strike_levels(HAND, 104.0).zero_dte_magnet is None


def test_levels_on_a_strike_table() -> None:
    rng = np.random.default_rng(3)
    n = 400
    strike = rng.choice(np.arange(80.0, 120.0, 2.5), n)
    calls = rng.random(n) < 0.5
    gamma = rng.uniform(0.0, 1.0, n)
    gex = np.where(calls, gamma, -gamma)
    e = Exposures({name: np.zeros(n) for name in NAMES} | {"gex": gex})
    oi = rng.integers(0, 1000, n)
    table = strike_table(strike, calls, e, oi, np.zeros(n, dtype=np.int64))
    k = table["strike"].to_numpy()
    above, below = k >= 100.0, k <= 100.0
    call_gex, put_gex = table["call_gex"].to_numpy(), table["put_gex"].to_numpy()
    assert call_wall(table, 100.0) == k[above][np.argmax(call_gex[above])]
    assert put_wall(table, 100.0) == k[below][np.argmin(put_gex[below])]
    total_oi = (table["call_oi"] + table["put_oi"]).to_numpy()
    assert highest_oi_strike(table, 100.0) == k[np.argmax(total_oi)]


# ---------------------------------------------------------------------------- max pain


def test_max_pain_hand_computed() -> None:
    # payout: at 90 -> puts 50·20 = 1000; at 100 -> calls 10·10 + puts 50·10 = 600;
    # at 110 -> calls 10·20 + 100·10 = 1200 (times the multiplier)
    strike = [90.0, 100.0, 110.0]
    is_call = [True, True, False]
    oi = [10, 100, 50]
    assert max_pain(strike, is_call, oi, 100.0) == 100.0
    assert max_pain(strike, is_call, oi, np.array([100.0, 100.0, 100.0])) == 100.0


def test_max_pain_tie_goes_to_lower_strike() -> None:
    # calls at 90 and puts at 110, equal OI: payout 200 at 90, 100 and 110
    assert max_pain([90.0, 100.0, 110.0], [True, True, False], [10, 0, 10], 1.0) == 90.0


def test_max_pain_none_without_strikes_or_open_interest() -> None:
    assert max_pain([], [], [], 100.0) is None
    assert max_pain([100.0, 110.0], [True, False], [0, 0], 100.0) is None
    assert max_pain([float("nan")], [True], [10], 100.0) is None


def test_max_pain_ignores_unusable_weights() -> None:
    strike = [90.0, 100.0, 110.0, 120.0]
    is_call = [True, True, False, False]
    oi = [10.0, 100.0, 50.0, float("nan")]
    assert max_pain(strike, is_call, oi, 100.0) == 100.0
    assert max_pain(strike, is_call, [10.0, 100.0, 50.0, -1e9], 100.0) == 100.0


def _brute_force(strike: list[float], is_call: list[bool], weight: list[float]) -> list[float]:
    grid = sorted(set(strike))
    payouts = []
    for price in grid:
        total = 0.0
        for k, c, w in zip(strike, is_call, weight, strict=True):
            total += w * (max(0.0, price - k) if c else max(0.0, k - price))
        payouts.append(total)
    return payouts


contracts = st.lists(
    st.tuples(
        st.integers(1, 60).map(lambda i: 5.0 * i),
        st.booleans(),
        st.integers(0, 10_000),
        st.sampled_from([1.0, 50.0, 100.0]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(contracts)
def test_max_pain_matches_brute_force_exactly(rows: list[tuple[float, bool, int, float]]) -> None:
    strike = [r[0] for r in rows]
    is_call = [r[1] for r in rows]
    oi = [r[2] for r in rows]
    mult = [r[3] for r in rows]
    result = max_pain(strike, is_call, oi, mult)
    if sum(o * m for o, m in zip(oi, mult, strict=True)) == 0:
        assert result is None
        return
    payouts = _brute_force(strike, is_call, [o * m for o, m in zip(oi, mult, strict=True)])
    grid = sorted(set(strike))
    # integer arithmetic below 2**53 is exact, so ties are exact: first (lowest) minimum
    assert result == grid[int(np.argmin(payouts))]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(1.0, 10_000.0, allow_nan=False),
            st.booleans(),
            st.floats(0.0, 1e5, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_max_pain_minimizes_payout_on_float_inputs(rows: list[tuple[float, bool, float]]) -> None:
    strike = [r[0] for r in rows]
    is_call = [r[1] for r in rows]
    oi = [r[2] for r in rows]
    result = max_pain(strike, is_call, oi, 100.0)
    if not any(o > 0 for o in oi):
        assert result is None
        return
    weight = [100.0 * o for o in oi]
    payouts = _brute_force(strike, is_call, weight)
    grid = sorted(set(strike))
    assert result in grid
    best = min(payouts)
    scale = sum(weight) * (max(strike) - min(strike)) + 1.0
    assert payouts[grid.index(result)] - best <= 1e-12 * scale


@pytest.mark.parametrize("n", [1, 2, 1000])
def test_max_pain_sizes(n: int) -> None:
    rng = np.random.default_rng(n)
    strike = rng.choice(np.arange(50.0, 150.0, 1.0), n)
    calls = rng.random(n) < 0.5
    oi = rng.integers(1, 100, n)
    result = max_pain(strike, calls, oi)
    payouts = _brute_force(strike.tolist(), calls.tolist(), (oi * 100.0).tolist())
    assert result == sorted(set(strike.tolist()))[int(np.argmin(payouts))]
