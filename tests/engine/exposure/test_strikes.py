"""Per-strike tables by segment reduction: sums, ordering, call/put split."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.exposure.dealer import contract_exposures
from engine.exposure.metrics import NAMES, Exposures
from engine.exposure.strikes import STRIKE_COLUMNS, strike_table, totals
from engine.greeks import dealer_greeks


def _chain(n: int, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    strike = rng.choice(np.arange(4000.0, 5400.0, 25.0), n)
    calls = rng.random(n) < 0.5
    t = rng.uniform(1 / 365, 1.0, n)
    vol = rng.uniform(0.08, 0.6, n)
    oi = rng.integers(0, 50_000, n)
    vol_traded = rng.integers(0, 5_000, n)
    g = dealer_greeks(4700.0, strike, t, 0.05, 0.05 - 0.013, vol, calls)
    e = contract_exposures(
        g,
        open_interest=oi,
        multiplier=np.full(n, 100.0),
        underlying_price=np.full(n, 4700.0),
        is_call=calls,
    )
    return strike, calls, e, oi, vol_traded


def test_table_columns_and_order() -> None:
    strike, calls, e, oi, vol = _chain(500, 1)
    table = strike_table(strike, calls, e, oi, vol)
    assert tuple(table.columns) == STRIKE_COLUMNS
    assert table["strike"].is_sorted() and table["strike"].n_unique() == table.height
    assert set(table["strike"].to_list()) == set(strike.tolist())
    assert table["call_oi"].sum() == int(oi[calls].sum())
    assert table["put_volume"].sum() == int(vol[~calls].sum())


def test_handcomputed_two_strikes() -> None:
    e = Exposures(
        {name: np.zeros(3) for name in NAMES}
        | {"gex": np.array([1.0, -2.0, 4.0]), "dex": np.array([1.0, 1.0, 1.0])}
    )
    table = strike_table(
        np.array([100.0, 100.0, 90.0]),
        np.array([True, False, True]),
        e,
        np.array([5, 7, 1]),
        np.array([0, 1, 2]),
    )
    assert table["strike"].to_list() == [90.0, 100.0]
    assert table["call_gex"].to_list() == [4.0, 1.0]
    assert table["put_gex"].to_list() == [0.0, -2.0]
    assert table["net_gex"].to_list() == [4.0, -1.0]
    assert table["call_oi"].to_list() == [1, 5] and table["put_oi"].to_list() == [0, 7]


def test_empty_chain_gives_empty_table() -> None:
    e = Exposures({name: np.empty(0) for name in NAMES})
    table = strike_table(np.empty(0), np.empty(0, dtype=bool), e, np.empty(0), np.empty(0))
    assert table.height == 0 and tuple(table.columns) == STRIKE_COLUMNS


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3000), st.integers(0, 2**31))
def test_strike_sums_equal_totals_and_nothing_is_nan(n: int, seed: int) -> None:
    strike, calls, e, oi, vol = _chain(n, seed)
    table = strike_table(strike, calls, e, oi, vol)
    tot = totals(e)
    for name, values in e.items():
        magnitude = float(np.sum(np.abs(values))) + 1e-300
        assert float(table[f"net_{name}"].sum()) == pytest.approx(
            tot[f"net_{name}"], abs=1e-12 * magnitude
        )
        assert np.isfinite(tot[f"net_{name}"])
        net = table[f"net_{name}"].to_numpy()
        np.testing.assert_array_equal(
            net, table[f"call_{name}"].to_numpy() + table[f"put_{name}"].to_numpy()
        )
    assert (table["call_gex"] >= 0).all() and (table["put_gex"] <= 0).all()
