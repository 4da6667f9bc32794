"""Per-contract dealer exposures: units, signs and dealer models."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine.errors import ConfigurationError
from engine.exposure.dealer import contract_exposures, dealer_positions
from engine.greeks import dealer_greeks


def _one(call: bool, model: str = "street", position: float | None = None):  # type: ignore[no-untyped-def]
    g = dealer_greeks(np.array([4700.0]), 4700.0, 30 / 365, 0.05, 0.05 - 0.013, 0.15, call)
    exp = contract_exposures(
        g,
        open_interest=np.array([1000]),
        multiplier=np.array([100.0]),
        underlying_price=np.array([4700.0]),
        is_call=np.array([call]),
        dealer_model=model,
        dealer_position=None if position is None else np.array([position]),
    )
    return g, exp


def test_units_of_each_exposure() -> None:
    g, e = _one(True)
    S, oi, m = 4700.0, 1000, 100.0
    assert e.gex[0] == pytest.approx(float(g.gamma[0]) * oi * m * S * S * 0.01, rel=1e-15)
    assert e.dex[0] == pytest.approx(float(g.delta[0]) * oi * m * S, rel=1e-15)
    assert e.vex[0] == pytest.approx(float(g.vanna[0]) * oi * m * S * 0.01, rel=1e-15)
    assert e.chex[0] == pytest.approx(float(g.charm[0]) * oi * m * S / 365, rel=1e-15)
    assert e.speed[0] == pytest.approx(float(g.speed[0]) * oi * m * S**3 * 1e-4, rel=1e-15)
    assert e.vomma[0] == pytest.approx(float(g.vomma[0]) * oi * m * 1e-4, rel=1e-15)


def test_street_signs_every_exposure_by_the_dealer_position() -> None:
    g_call, call = _one(True)
    g_put, put = _one(False)
    assert call.gex[0] > 0 > put.gex[0]
    assert put.gex[0] == pytest.approx(-call.gex[0], rel=1e-15)  # same gamma, opposite side
    # dealers long the call: DEX/VEX/CHEX carry the greek's sign; short the put: its opposite
    assert np.sign(call.dex[0]) == np.sign(g_call.delta[0]) == 1.0
    assert np.sign(put.dex[0]) == -np.sign(g_put.delta[0]) == 1.0
    S, oi, m = 4700.0, 1000, 100.0
    assert put.vex[0] == pytest.approx(-float(g_put.vanna[0]) * oi * m * S * 0.01, rel=1e-15)
    assert put.chex[0] == pytest.approx(-float(g_put.charm[0]) * oi * m * S / 365, rel=1e-15)


@pytest.mark.parametrize("call", [True, False])
def test_short_all_against_street_row_by_row(call: bool) -> None:
    """short_all.call_x = -street.call_x and short_all.put_x = street.put_x for every x."""
    _, street = _one(call)
    _, short = _one(call, "short_all")
    for a, b in zip(street.values(), short.values(), strict=True):
        assert b[0] == (-a[0] if call else a[0])


def test_short_all_flips_everything() -> None:
    _, street = _one(True)
    _, short = _one(True, "short_all")
    for a, b in zip(street.values(), short.values(), strict=True):
        assert b[0] == -a[0]


def test_flow_uses_signed_inventory() -> None:
    _, street = _one(True)
    _, flow = _one(True, "flow", position=-250.0)
    assert flow.gex[0] == pytest.approx(-0.25 * street.gex[0], rel=1e-15)
    assert flow.dex[0] == pytest.approx(-0.25 * street.dex[0], rel=1e-15)
    with pytest.raises(ConfigurationError, match="inventory"):
        _one(True, "flow")


def test_unknown_model_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="dealer model"):
        dealer_positions("long_all", np.array([True]))


def test_dealer_positions() -> None:
    calls = np.array([True, False, True])
    oi = np.array([10, 20, 0])
    np.testing.assert_array_equal(dealer_positions("street", calls, oi), [10.0, -20.0, 0.0])
    np.testing.assert_array_equal(dealer_positions("short_all", calls, oi), [-10.0, -20.0, -0.0])
    np.testing.assert_array_equal(dealer_positions("street", calls), [1.0, -1.0, 1.0])
    inventory = np.array([5.0, -3.0, 2.0])
    np.testing.assert_array_equal(dealer_positions("flow", calls, oi, inventory), inventory)


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(np.float64, 20, elements=st.floats(0.5, 2.0)),
    hnp.arrays(np.bool_, 20),
    hnp.arrays(np.int64, 20, elements=st.integers(0, 100_000)),
)
def test_street_call_gex_nonnegative_put_gex_nonpositive(
    moneyness: np.ndarray, calls: np.ndarray, oi: np.ndarray
) -> None:
    g = dealer_greeks(100.0, 100.0 * moneyness, 0.1, 0.04, 0.03, 0.25, calls)
    e = contract_exposures(
        g,
        open_interest=oi,
        multiplier=np.full(20, 100.0),
        underlying_price=np.full(20, 100.0),
        is_call=calls,
    )
    assert np.all(e.gex[calls] >= 0) and np.all(e.gex[~calls] <= 0)
