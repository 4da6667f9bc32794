"""Implied forwards from put-call parity: recovery on synthetic chains, fallbacks, frames."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ConfigurationError
from engine.iv.solve import black_price
from engine.pricing.forward import (
    FORWARD_METHOD_NAMES,
    ForwardMethod,
    Forwards,
    ForwardSettings,
    implied_forwards,
    implied_forwards_frame,
)

SPOT, RATE, DIV = 5000.0, 0.045, 0.013


def _chain(
    forwards: list[float],
    times: list[float],
    *,
    rate: float = RATE,
    spread: float = 0.02,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Calls and puts on a strike grid per expiry, priced (Black-76 on the true forward) with
    a smile, quoted with random asymmetric spreads around the model premium."""
    rng = np.random.default_rng(seed)
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("key", "strike", "call", "bid", "ask", "t")
    }
    for k, (F, t) in enumerate(zip(forwards, times, strict=True)):
        strikes = np.round(F * np.exp(np.linspace(-0.3, 0.3, 61)) / 5.0) * 5.0
        for call in (True, False):
            vol = 0.18 - 0.3 * np.log(strikes / F) * 0.2
            mid = black_price(F, strikes, t, rate, 0.0, vol, call)
            half = spread * mid * rng.uniform(0.2, 1.0, strikes.size) + 0.01
            cols["key"].append(np.full(strikes.size, k))
            cols["strike"].append(strikes)
            cols["call"].append(np.full(strikes.size, call))
            cols["bid"].append(mid - half)
            cols["ask"].append(mid + half)
            cols["t"].append(np.full(strikes.size, t))
    return {k: np.concatenate(v) for k, v in cols.items()}


def _run(c: dict[str, np.ndarray], **kw: int) -> Forwards:
    settings = ForwardSettings()._replace(**kw)
    return implied_forwards(
        c["key"], c["strike"], c["call"], c["bid"], c["ask"], c["t"], SPOT, RATE, DIV, settings
    )


def test_recovers_known_forwards_to_1e8() -> None:
    times = [1.0 / 365, 7.0 / 365, 0.25, 1.0, 2.5]
    forwards = [SPOT * math.exp((RATE - 0.021) * t) for t in times]  # not the configured q
    res = _run(_chain(forwards, times, spread=0.002))
    np.testing.assert_allclose(res.forward, forwards, rtol=1e-8)
    # a one-day expiry cannot pin a rate down: the configured one; the others fit it exactly
    assert res.method.tolist() == [ForwardMethod.PARITY] + [ForwardMethod.PARITY_FIT] * 4
    assert res.pairs[0] == 5 and (res.pairs[1:] >= 17).all()  # pairs with quotes on both sides
    np.testing.assert_allclose(res.rate, RATE, rtol=1e-9)
    np.testing.assert_allclose(res.t, times)


@pytest.mark.parametrize("true_rate", [0.0, 0.0531, 0.12])
def test_fits_the_discount_rate_the_quotes_imply(true_rate: float) -> None:
    """Quotes priced with a rate other than the configured one: the fit recovers it, and the
    forward with it (the configured-rate median would be off by (C − P)(e^{rT} − 1))."""
    times = [0.5, 1.0, 3.0]
    forwards = [SPOT * 1.01, SPOT * 1.02, SPOT * 1.05]
    c = _chain(forwards, times, rate=true_rate, spread=0.002)
    res = _run(c)
    assert (res.method == ForwardMethod.PARITY_FIT).all()
    np.testing.assert_allclose(res.rate, true_rate, atol=1e-9)
    np.testing.assert_allclose(res.forward, forwards, rtol=1e-9)
    np.testing.assert_array_equal(res.row_rate, res.rate[c["key"]])


def test_noisy_quotes_keep_the_configured_rate_when_the_fit_is_not_determined() -> None:
    c = _chain([SPOT], [0.05], spread=0.3, seed=5)
    rng = np.random.default_rng(1)
    shift = rng.uniform(-1.0, 1.0, c["bid"].size)  # mids off by up to a point
    c["bid"] += shift
    c["ask"] += shift
    res = _run(c)
    assert res.method[0] == ForwardMethod.PARITY
    assert res.rate[0] == RATE


def test_median_resists_a_bad_quote() -> None:
    times, forwards = [0.5], [5100.0]
    c = _chain(forwards, times, spread=0.0)
    near = np.argsort(np.abs(c["strike"] - 5100.0))[:2]
    c["bid"][near] *= 1.5
    c["ask"][near] *= 1.5
    res = _run(c)
    assert res.forward[0] == pytest.approx(5100.0, rel=1e-8)


def test_falls_back_to_carry_when_quotes_are_too_poor() -> None:
    times = [0.1, 0.2, 0.3]
    c = _chain([SPOT * 1.002, SPOT * 1.004, SPOT * 1.006], times)
    # key 0: no put has a bid; key 1: only one liquid pair; key 2: parity says 100 % away.
    c["bid"][(c["key"] == 0) & ~c["call"]] = 0.0
    one = (c["key"] == 1) & (np.abs(c["strike"] - SPOT * 1.004) > 30.0)
    c["ask"][one & c["call"]] = c["bid"][one & c["call"]]
    k2 = c["key"] == 2
    c["bid"][k2 & c["call"]] += 5000.0
    c["ask"][k2 & c["call"]] += 5000.0
    res = _run(c)
    carry = SPOT * np.exp((RATE - DIV) * np.asarray(times))
    np.testing.assert_allclose(res.forward, carry, rtol=1e-15)
    assert list(res.method) == [
        ForwardMethod.CARRY_FEW_QUOTES,
        ForwardMethod.CARRY_FEW_QUOTES,
        ForwardMethod.CARRY_IMPLAUSIBLE,
    ]
    assert (res.pairs == 0).all()
    # One pair is enough when asked.
    assert _run(c, min_pairs=1).method[1] == ForwardMethod.PARITY


def test_unusable_rows_are_ignored_and_keys_without_time_are_unavailable() -> None:
    c = _chain([5050.0], [0.4])
    n = c["strike"].size
    extra = {
        "key": np.array([0, 0, 9]),
        "strike": np.array([5050.0, np.nan, 5000.0]),
        "call": np.array([True, False, True]),
        "bid": np.array([np.inf, 1.0, 2.0]),
        "ask": np.array([np.inf, 2.0, 3.0]),
        "t": np.array([0.4, 0.4, 0.0]),
    }
    c = {k: np.concatenate([c[k], extra[k]]) for k in c}
    res = _run(c)
    assert list(res.key) == [0, 9]
    assert res.forward[0] == pytest.approx(5050.0, rel=1e-8)
    assert res.method[1] == ForwardMethod.UNAVAILABLE
    assert math.isnan(res.forward[1]) and math.isnan(res.t[1])
    assert res.row_forward.shape == (n + 3,)
    np.testing.assert_array_equal(res.row_forward[:n], res.forward[0])


def test_duplicate_quotes_use_the_tightest() -> None:
    c = _chain([4900.0], [0.3], spread=0.0)
    atm = np.abs(c["strike"] - 4900.0) < 1.0
    wide = {k: v[atm].copy() for k, v in c.items()}
    wide["bid"] = wide["bid"] * 0.5
    wide["ask"] = wide["ask"] * 3.0  # mid far off: would spoil the forward if used
    c = {k: np.concatenate([c[k], wide[k]]) for k in c}
    assert _run(c, n_strikes=1, min_pairs=1).forward[0] == pytest.approx(4900.0, rel=1e-10)


@pytest.mark.parametrize(("n_strikes", "min_pairs"), [(0, 1), (3, 0), (2, 3)])
def test_inconsistent_settings_are_rejected(n_strikes: int, min_pairs: int) -> None:
    c = _chain([5000.0], [0.2])
    with pytest.raises(ConfigurationError):
        _run(c, n_strikes=n_strikes, min_pairs=min_pairs)


@settings(max_examples=60, deadline=None)
@given(
    carry=st.floats(-0.08, 0.08),
    t=st.floats(0.5 / 365, 3.0),
    rate=st.floats(-0.01, 0.1),
    seed=st.integers(0, 2**16),
)
def test_recovery_property(carry: float, t: float, rate: float, seed: int) -> None:
    F = SPOT * math.exp(carry * t)
    c = _chain([F], [t], rate=rate, seed=seed)
    res = implied_forwards(
        c["key"], c["strike"], c["call"], c["bid"], c["ask"], c["t"], SPOT, rate, DIV
    )
    assert res.method[0] in (ForwardMethod.PARITY, ForwardMethod.PARITY_FIT)
    assert res.forward[0] == pytest.approx(F, rel=1e-8)


def test_polars_frame_interface() -> None:
    times = [0.05, 0.6]
    c = _chain([5010.0, 5120.0], times)
    settle = [datetime(2025, 1, 10, 21, tzinfo=UTC), datetime(2025, 8, 8, 20, tzinfo=UTC)]
    frame = pl.DataFrame(
        {
            "settlement": [settle[k] for k in c["key"]],
            "t": c["t"],
            "strike": c["strike"],
            "is_call": c["call"],
            "bid": c["bid"],
            "ask": c["ask"],
        }
    ).sample(fraction=1.0, shuffle=True, seed=3)
    out = implied_forwards_frame(frame, SPOT, RATE, DIV)
    assert out.columns == ["settlement", "t", "forward", "rate", "method", "pairs"]
    assert out["settlement"].to_list() == settle
    np.testing.assert_allclose(out["forward"].to_numpy(), [5010.0, 5120.0], rtol=1e-8)
    assert out["method"].to_list()[0] == "parity"


def test_method_names() -> None:
    assert FORWARD_METHOD_NAMES[0] == "parity"
    assert set(FORWARD_METHOD_NAMES.values()) == {m.name.lower() for m in ForwardMethod}
