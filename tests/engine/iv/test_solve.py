"""Implied volatility: round trips over the wide domain, references, twins, reason codes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine.iv.solve as iv_mod
from engine._jit import PURE_PYTHON_ENV
from engine.greeks import black76, bsm
from engine.iv.kernels import implied_vol_kernel
from engine.iv.solve import (
    REASON_NAMES,
    IVReason,
    black_price,
    implied_vol,
    implied_vol_from_quotes,
    reason_counts,
)
from engine.iv.twin import black_price_twin, implied_vol_quotes_twin, implied_vol_twin

MINUTE = 60.0 / (365.0 * 86400.0)

# 40-digit mpmath values of the textbook formulas for exactly these float inputs
# (S, K, T, r, carry, vol, is_call, premium): wings where the textbook double formula cancels.
REFERENCE = [
    (5000.0, 5003.0, MINUTE, 0.05, 0.0, 0.15, True, 0.0005623485503557611159),
    (5000.0, 4996.0, MINUTE, 0.05, 0.0, 0.15, False, 0.000013151786106741838998),
    (100.0, 180.0, 0.25, 0.03, 0.0, 0.2, True, 4.4624523225358195209e-9),
    (100.0, 40.0, 2.0, 0.03, 0.0, 0.3, False, 0.13592190263590103028),
    (5000.0, 4000.0, 0.02, 0.05, 0.0, 0.12, True, 999.00049983337499159),
    (20.0, 20.5, 5.0, 0.04, 0.0, 4.0, True, 16.374486678123993101),
    (4500.0, 4500.0, 1.0 / 365, 0.05, 0.0, 0.01, False, 0.93954297576675821099),
    (3000.0, 3300.0, 0.5, 0.0, 0.0, 0.05, True, 0.11955180079422842137),
    (1.0, 1.0032, 0.001, 0.1, 0.0, 0.02, True, 2.5650904523825622172e-11),
    (5000.0, 5200.0, 0.1, 0.05, 0.01, 0.2, True, 53.756997222459279277),
]


def _domain(n: int, seed: int, model: str = "bsm") -> dict[str, np.ndarray]:
    """T 1 minute-5 years, vol 1 %-400 %, strikes ±6 standard deviations around the forward."""
    rng = np.random.default_rng(seed)
    t = np.exp(rng.uniform(np.log(MINUTE), np.log(5.0), n))
    vol = np.exp(rng.uniform(np.log(0.01), np.log(4.0), n))
    z = rng.uniform(-6.0, 6.0, n)
    r = rng.uniform(-0.01, 0.10, n)
    carry = r - rng.uniform(0.0, 0.06, n) if model == "bsm" else np.zeros(n)
    spot = np.exp(rng.uniform(np.log(5.0), np.log(30000.0), n))
    strike = spot * np.exp(carry * t) * np.exp(-z * vol * np.sqrt(t))
    call = rng.random(n) < 0.5
    price = black_price(spot, strike, t, r, carry, vol, call)
    return {
        "S": spot,
        "K": strike,
        "t": t,
        "r": r,
        "b": carry,
        "vol": vol,
        "call": call,
        "p": price,
    }


def _args(d: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    return d["p"], d["S"], d["K"], d["t"], d["r"], d["b"], d["call"]


def _sensitivity(d: dict[str, np.ndarray]) -> np.ndarray:
    """vega·σ/price: how much of the premium the vol explains (tiny = vega negligible)."""
    g = bsm(d["S"], d["K"], d["t"], d["r"], d["r"] - d["b"], d["vol"], d["call"])
    return g.vega * d["vol"] / d["p"]


@pytest.mark.parametrize("twins", [False, True], ids=["kernel", "twin"])
def test_black_price_matches_high_precision_reference(
    monkeypatch: pytest.MonkeyPatch, twins: bool
) -> None:
    monkeypatch.setenv(PURE_PYTHON_ENV, "1" if twins else "0")
    for S, K, T, r, b, vol, call, want in REFERENCE:
        got = float(black_price(S, K, T, r, b, vol, call))
        assert got == pytest.approx(want, rel=1e-12, abs=0.0), (S, K, T, vol, call)


def test_black_price_agrees_with_greek_kernel_price() -> None:
    # Both are exact up to the rounding of F = S·e^{bT} and ln(F/K), which a short-dated
    # near-the-money premium amplifies by F/premium: hence the absolute term.
    d = _domain(20000, seed=3)
    g = bsm(d["S"], d["K"], d["t"], d["r"], d["r"] - d["b"], d["vol"], d["call"])
    bound = 1e-12 * d["p"] + 2e-15 * (d["S"] + d["K"])
    assert np.all(np.abs(d["p"] - g.price) <= bound)


@pytest.mark.parametrize("model", ["bsm", "black76"])
def test_round_trip_over_the_wide_domain(model: str) -> None:
    d = _domain(100_000, seed=1 if model == "bsm" else 2, model=model)
    res = implied_vol(*_args(d))
    sens = _sensitivity(d)
    ok = res.reason == IVReason.OK
    # Every option whose premium depends on its vol at all is solved ...
    assert ok[sens >= 1e-10].all()
    assert ok.mean() > 0.99
    # ... the IV reprices it to 1e-12 relative ...
    back = black_price(d["S"], d["K"], d["t"], d["r"], d["b"], res.iv, d["call"])
    assert np.max(np.abs(back[ok] - d["p"][ok]) / d["p"][ok]) < 1e-12
    # ... and equals the true vol up to the premium's rounding divided by vega.
    err = np.abs(res.iv - d["vol"]) / d["vol"]
    assert np.max((err * np.minimum(1.0, sens))[ok]) < 1e-13
    # The rest had no vol information: their premium sits on a no-arbitrage bound.
    assert set(np.unique(res.reason[~ok])) <= {IVReason.BELOW_INTRINSIC, IVReason.ABOVE_MAXIMUM}
    assert np.isnan(res.iv[~ok]).all()


def test_black76_round_trip_against_greek_prices() -> None:
    d = _domain(20000, seed=4, model="black76")
    price = black76(d["S"], d["K"], d["t"], d["r"], d["vol"], d["call"]).price
    near = np.abs(np.log(d["K"] / d["S"])) <= 2.5 * d["vol"] * np.sqrt(d["t"])
    args = (d["S"][near], d["K"][near], d["t"][near], d["r"][near])
    res = implied_vol(price[near], *args, 0.0, d["call"][near])
    assert (res.reason == IVReason.OK).all()
    back = black76(*args, res.iv, d["call"][near]).price
    bound = 1e-12 * price[near] + 2e-15 * (args[0] + args[1])
    assert np.all(np.abs(back - price[near]) <= bound)


def test_twin_agrees_with_kernel() -> None:
    d = _domain(2500, seed=5)
    fast = implied_vol(*_args(d))
    n = d["p"].size
    slow_iv = np.empty(n)
    slow_reason = np.empty(n, dtype=np.int8)
    implied_vol_twin(*_args(d), slow_iv, slow_reason)
    np.testing.assert_array_equal(fast.reason, slow_reason)
    ok = fast.reason == IVReason.OK
    scale = np.minimum(1.0, _sensitivity(d))
    assert np.max((np.abs(fast.iv - slow_iv) / slow_iv * scale)[ok]) < 1e-13
    twin_price = np.empty(n)
    black_price_twin(d["S"], d["K"], d["t"], d["r"], d["b"], d["vol"], d["call"], twin_price)
    np.testing.assert_allclose(twin_price, d["p"], rtol=1e-13)


def test_scalar_fallback_agrees_with_vectorized_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    d = _domain(20000, seed=6)
    vector = implied_vol(*_args(d))
    n = d["p"].size
    scalar_iv = np.empty(n)
    scalar_reason = np.empty(n, dtype=np.int8)
    implied_vol_kernel(*_args(d), scalar_iv, scalar_reason)
    np.testing.assert_array_equal(vector.reason, scalar_reason)
    ok = vector.reason == IVReason.OK
    scale = np.minimum(1.0, _sensitivity(d))
    assert np.max((np.abs(vector.iv - scalar_iv) / scalar_iv * scale)[ok]) < 1e-13
    # With no vectorized steps every option goes through the fallback path of engine.iv.solve.
    monkeypatch.setattr(iv_mod, "STEPS", 0)
    retried = implied_vol(*_args(d))
    np.testing.assert_array_equal(retried.reason, scalar_reason)
    np.testing.assert_array_equal(retried.iv, scalar_iv)


def test_extreme_inputs_never_give_a_wrong_number() -> None:
    """Strikes up to ±40 standard deviations, vol to 2000 %: solved ones reprice, others are NaN."""
    rng = np.random.default_rng(8)
    n = 50_000
    d = _domain(n, seed=8)
    vol = np.exp(rng.uniform(np.log(1e-3), np.log(20.0), n))
    z = rng.uniform(-40.0, 40.0, n)
    strike = (
        d["S"] * np.exp(d["b"] * d["t"]) * np.exp(np.clip(-z * vol * np.sqrt(d["t"]), -600, 600))
    )
    p = black_price(d["S"], strike, d["t"], d["r"], d["b"], vol, d["call"])
    res = implied_vol(p, d["S"], strike, d["t"], d["r"], d["b"], d["call"])
    ok = res.reason == IVReason.OK
    assert np.isfinite(res.iv[ok]).all()
    assert np.isnan(res.iv[~ok]).all()
    assert not (res.reason == IVReason.NO_CONVERGENCE).any()
    back = black_price(d["S"], strike, d["t"], d["r"], d["b"], res.iv, d["call"])
    assert np.max(np.abs(back[ok] - p[ok]) / p[ok]) < 1e-11


TIME = st.floats(math.log(MINUTE), math.log(5.0)).map(math.exp)
VOL = st.floats(math.log(0.01), math.log(4.0)).map(math.exp)


@settings(max_examples=300, deadline=None)
@given(
    t=TIME,
    vol=VOL,
    z=st.floats(-6.0, 6.0),
    r=st.floats(-0.02, 0.12),
    q=st.floats(0.0, 0.08),
    spot=st.floats(1.0, 50000.0),
    call=st.booleans(),
    black=st.booleans(),
)
def test_round_trip_property(
    t: float, vol: float, z: float, r: float, q: float, spot: float, call: bool, black: bool
) -> None:
    carry = 0.0 if black else r - q
    strike = spot * math.exp(carry * t - z * vol * math.sqrt(t))
    price = float(black_price(spot, strike, t, r, carry, vol, call))
    res = implied_vol(price, spot, strike, t, r, carry, call)
    if res.reason != IVReason.OK:
        sens = float(bsm(spot, strike, t, r, r - carry, vol, call).vega) * vol / price
        assert sens < 1e-10 and int(res.reason) in (
            IVReason.BELOW_INTRINSIC,
            IVReason.ABOVE_MAXIMUM,
        )
        return
    back = float(black_price(spot, strike, t, r, carry, float(res.iv), call))
    assert back == pytest.approx(price, rel=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    t=TIME,
    vol=st.floats(0.05, 1.5),
    z=st.floats(-2.5, 2.5),
    call=st.booleans(),
    steps=st.lists(st.integers(0, 40), min_size=3, max_size=8, unique=True),
)
def test_implied_vol_increases_with_price(
    t: float, vol: float, z: float, call: bool, steps: list[int]
) -> None:
    spot, r, carry = 100.0, 0.03, 0.01
    strike = spot * math.exp(carry * t - z * vol * math.sqrt(t))
    base = float(black_price(spot, strike, t, r, carry, vol, call))
    discount, forward = math.exp(-r * t), spot * math.exp(carry * t)
    # no-arbitrage bounds of the price: discounted intrinsic value and forward (call) or strike
    intrinsic = discount * max(0.0, forward - strike if call else strike - forward)
    maximum = discount * (forward if call else strike)
    # prices strictly inside the bounds, increasing with the step: 0 ... 20 scale the time
    # value by 0.5 ... 1, 20 ... 40 move from the base price halfway up to the maximum (1.5 x
    # the time value can exceed the maximum: a put at T = 4.5 and 150 % vol is worth ~K·df)
    bumps = np.asarray(steps) / 40.0
    prices = np.sort(
        np.where(
            bumps <= 0.5,
            intrinsic + (base - intrinsic) * (0.5 + bumps),
            base + (maximum - base) * (bumps - 0.5),
        )
    )
    assert np.all(prices > intrinsic) and np.all(prices < maximum)
    res = implied_vol(prices, spot, strike, t, r, carry, call)
    solved = res.iv[res.reason == IVReason.OK]
    assert solved.size >= 2
    assert np.all(np.diff(solved) > 0.0)


def test_put_and_call_at_one_strike_share_the_vol() -> None:
    S, K, T, r, b, vol = 4000.0, 3600.0, 0.3, 0.04, 0.025, 0.27
    call = float(black_price(S, K, T, r, b, vol, True))
    put = call - math.exp(-r * T) * (S * math.exp(b * T) - K)  # put-call parity
    res = implied_vol([call, put], S, K, T, r, b, [True, False])
    np.testing.assert_allclose(res.iv, vol, rtol=1e-12)


S0, K0, T0, R0, B0 = 100.0, 100.0, 0.5, 0.05, 0.02
DF, FWD = math.exp(-R0 * T0), S0 * math.exp(B0 * T0)
INVALID = [
    # (price, S, K, t, rate, carry, is_call, reason)
    (5.0, math.nan, K0, T0, R0, B0, True, IVReason.INVALID_INPUT),
    (5.0, -1.0, K0, T0, R0, B0, True, IVReason.INVALID_INPUT),
    (5.0, S0, 0.0, T0, R0, B0, True, IVReason.INVALID_INPUT),
    (5.0, S0, math.inf, T0, R0, B0, False, IVReason.INVALID_INPUT),
    (5.0, S0, K0, math.nan, R0, B0, True, IVReason.INVALID_INPUT),
    (5.0, S0, K0, T0, math.nan, B0, True, IVReason.INVALID_INPUT),
    (5.0, S0, K0, T0, R0, math.inf, True, IVReason.INVALID_INPUT),
    (math.nan, S0, K0, T0, R0, B0, True, IVReason.INVALID_INPUT),
    (math.inf, S0, K0, T0, R0, B0, True, IVReason.INVALID_INPUT),
    (5.0, S0, K0, 0.0, R0, B0, True, IVReason.T_NOT_POSITIVE),
    (5.0, S0, K0, -0.1, R0, B0, False, IVReason.T_NOT_POSITIVE),
    (0.0, S0, 120.0, T0, R0, B0, True, IVReason.BELOW_INTRINSIC),
    (-1.0, S0, K0, T0, R0, B0, True, IVReason.BELOW_INTRINSIC),
    (DF * (FWD - 80.0) - 0.01, S0, 80.0, T0, R0, B0, True, IVReason.BELOW_INTRINSIC),
    (DF * (130.0 - FWD), S0, 130.0, T0, R0, B0, False, IVReason.BELOW_INTRINSIC),
    (DF * FWD, S0, K0, T0, R0, B0, True, IVReason.ABOVE_MAXIMUM),
    (DF * 150.0 + 1.0, S0, 150.0, T0, R0, B0, False, IVReason.ABOVE_MAXIMUM),
    (1e-300, S0, 200.0, T0, R0, B0, True, IVReason.BELOW_INTRINSIC),
]


@pytest.mark.parametrize("twins", [False, True], ids=["kernel", "twin"])
def test_invalid_inputs_give_nan_and_their_reason(
    monkeypatch: pytest.MonkeyPatch, twins: bool
) -> None:
    monkeypatch.setenv(PURE_PYTHON_ENV, "1" if twins else "0")
    cols = list(zip(*INVALID, strict=True))
    res = implied_vol(*cols[:7])
    assert np.isnan(res.iv).all()
    assert [IVReason(int(c)) for c in res.reason] == list(cols[7])


QUOTES = [
    # (bid, ask, S, K, t, reason): contract checks come first, then the quote, then bounds
    (0.0, 1.0, S0, K0, T0, IVReason.BID_NOT_POSITIVE),
    (-0.5, 1.0, S0, K0, T0, IVReason.BID_NOT_POSITIVE),
    (math.nan, 1.0, S0, K0, T0, IVReason.BID_NOT_POSITIVE),
    (1.0, 1.0, S0, K0, T0, IVReason.ASK_NOT_ABOVE_BID),
    (1.0, 0.9, S0, K0, T0, IVReason.ASK_NOT_ABOVE_BID),
    (1.0, math.nan, S0, K0, T0, IVReason.ASK_NOT_ABOVE_BID),
    (1.0, math.inf, S0, K0, T0, IVReason.ASK_NOT_ABOVE_BID),
    (-math.inf, math.inf, S0, K0, T0, IVReason.BID_NOT_POSITIVE),
    (math.inf, math.inf, S0, K0, T0, IVReason.ASK_NOT_ABOVE_BID),
    (0.0, 0.0, S0, K0, 0.0, IVReason.T_NOT_POSITIVE),
    (0.0, 1.0, S0, -5.0, T0, IVReason.INVALID_INPUT),
    (0.01, 0.02, S0, 60.0, T0, IVReason.BELOW_INTRINSIC),
    (90.0, 110.0, S0, K0, T0, IVReason.ABOVE_MAXIMUM),
    (5.0, 5.2, S0, K0, T0, IVReason.OK),
]


@pytest.mark.parametrize("twins", [False, True], ids=["kernel", "twin"])
def test_quotes_are_checked_then_solved_from_the_mid(
    monkeypatch: pytest.MonkeyPatch, twins: bool
) -> None:
    monkeypatch.setenv(PURE_PYTHON_ENV, "1" if twins else "0")
    bid, ask, S, K, t, want = (np.asarray(c) for c in zip(*QUOTES, strict=True))
    res = implied_vol_from_quotes(bid, ask, S, K, t, R0, B0, True)
    assert [IVReason(int(c)) for c in res.reason] == [IVReason(int(w)) for w in want]
    ok = res.reason == IVReason.OK
    assert np.isnan(res.iv[~ok]).all()
    mid = implied_vol(0.5 * (bid[ok] + ask[ok]), S[ok], K[ok], t[ok], R0, B0, True)
    np.testing.assert_array_equal(res.iv[ok], mid.iv)


def test_quote_twin_agrees_with_kernel() -> None:
    d = _domain(1500, seed=12)
    spread = d["p"] * np.random.default_rng(12).uniform(0.0, 0.05, d["p"].size)
    bid, ask = d["p"] - spread, d["p"] + spread
    bid[::7] = 0.0
    ask[::11] = bid[::11]
    fast = implied_vol_from_quotes(bid, ask, d["S"], d["K"], d["t"], d["r"], d["b"], d["call"])
    n = bid.size
    iv = np.empty(n)
    reason = np.empty(n, dtype=np.int8)
    implied_vol_quotes_twin(bid, ask, d["S"], d["K"], d["t"], d["r"], d["b"], d["call"], iv, reason)
    np.testing.assert_array_equal(fast.reason, reason)
    ok = reason == IVReason.OK
    mid = 0.5 * (bid + ask)
    g = bsm(d["S"], d["K"], d["t"], d["r"], d["r"] - d["b"], iv, d["call"])
    scale = np.minimum(1.0, g.vega * iv / mid)
    assert np.max((np.abs(fast.iv - iv) / iv * scale)[ok]) < 1e-13


def test_broadcasting_and_shapes() -> None:
    one = implied_vol(5.0, 100.0, 100.0, 0.5, 0.03, 0.01, True)
    assert one.iv.shape == () and one.reason.dtype == np.int8
    grid = implied_vol(
        np.full((3, 1), 5.0), 100.0, np.array([95.0, 100.0, 105.0]), 0.5, 0.03, 0.01, True
    )
    assert grid.iv.shape == (3, 3)
    np.testing.assert_array_equal(grid.iv[0], grid.iv[2])
    empty = implied_vol(np.zeros(0), 100.0, 100.0, 0.5, 0.03, 0.01, True)
    assert empty.iv.shape == (0,)
    assert black_price(np.zeros(0), 1.0, 1.0, 0.0, 0.0, 0.2, True).shape == (0,)


def test_reason_names_and_counts() -> None:
    assert REASON_NAMES[0] == "ok"
    assert REASON_NAMES[int(IVReason.BELOW_INTRINSIC)] == "below_intrinsic"
    assert set(REASON_NAMES.values()) == {r.name.lower() for r in IVReason}
    codes = np.array([0, 0, 3, 1], dtype=np.int8)
    assert reason_counts(codes) == {"ok": 2, "bid_not_positive": 1, "below_intrinsic": 1}


def test_pure_python_switch_runs_twins(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def spy(*args: object) -> None:
        calls.append("twin")
        implied_vol_twin(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(iv_mod, "implied_vol_twin", spy)
    monkeypatch.setenv(PURE_PYTHON_ENV, "1")
    implied_vol(5.0, 100.0, 100.0, 0.5, 0.03, 0.01, True)
    monkeypatch.setenv(PURE_PYTHON_ENV, "0")
    implied_vol(5.0, 100.0, 100.0, 0.5, 0.03, 0.01, True)
    assert calls == ["twin"]
