"""Greek kernels: exact reference values, QuantLib over a wide domain, twins, properties."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine._jit import PURE_PYTHON_ENV
from engine.greeks import Greeks, black76, bsm, dealer_greeks
from engine.greeks.kernels import all_greeks_kernel, dealer_greeks_kernel
from engine.greeks.twins import all_greeks_twin
from tests.conftest import shared_path

FIELDS = ("price", "delta", "gamma", "vega", "vanna", "charm", "theta")
MINUTE = 60.0 / (365.0 * 86400.0)


def _reference_cases() -> list[dict[str, float | str]]:
    with shared_path("reference", "greeks.json").open() as fh:
        return list(json.load(fh)["cases"])


def _price_case(case: dict[str, float | str]) -> Greeks:
    call = case["right"] == "call"
    if case["model"] == "bsm":
        return bsm(case["S"], case["K"], case["T"], case["r"], case["q"], case["vol"], call)
    return black76(case["F"], case["K"], case["T"], case["r"], case["vol"], call)


@pytest.mark.parametrize("twins", [False, True], ids=["kernel", "twin"])
def test_reference_values_to_1e9(monkeypatch: pytest.MonkeyPatch, twins: bool) -> None:
    monkeypatch.setenv(PURE_PYTHON_ENV, "1" if twins else "0")
    cases = _reference_cases()
    assert len(cases) == 9
    assert {c["model"] for c in cases} == {"bsm", "black76"}
    for case in cases:
        got = _price_case(case)
        for field in FIELDS:
            want = float(case[field])
            value = float(getattr(got, field))
            assert value == pytest.approx(want, rel=1e-9, abs=0.0), (case, field, value)


def test_greeks_except_price_match_reference_to_1e12() -> None:
    # The deep-OTM price of case 5 (2.6e-55) loses ~4 digits to cancellation; the greeks do not.
    for case in _reference_cases():
        got = _price_case(case)
        for field in FIELDS[1:]:
            assert float(getattr(got, field)) == pytest.approx(float(case[field]), rel=1e-12)


def _domain(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.exp(rng.uniform(np.log(MINUTE), np.log(5.0), n))
    vol = np.exp(rng.uniform(np.log(0.01), np.log(4.0), n))
    z = rng.uniform(-6.0, 6.0, n)  # moneyness in standard deviations
    r = rng.uniform(-0.01, 0.10, n)
    q = rng.uniform(0.0, 0.06, n)
    spot = np.exp(rng.uniform(np.log(5.0), np.log(30000.0), n))
    fwd = spot * np.exp((r - q) * t)
    strike = fwd * np.exp(-z * vol * np.sqrt(t))
    call = rng.random(n) < 0.5
    return {"t": t, "vol": vol, "r": r, "q": q, "spot": spot, "strike": strike, "call": call}


def _close(ours: float, ref: float, scale: float) -> bool:
    """1e-10 relative where the greek is not negligible, 1e-12 absolute (in its natural scale) otherwise."""
    return abs(ours - ref) <= max(1e-10 * abs(ref), 1e-12 * scale)


def _ql_greeks(S: float, K: float, T: float, r: float, b: float, vol: float, call: bool):  # type: ignore[no-untyped-def]
    import QuantLib as ql  # noqa: N813

    kind = ql.Option.Call if call else ql.Option.Put

    def calc(tt: float) -> ql.BlackCalculator:
        payoff = ql.PlainVanillaPayoff(kind, K)
        return ql.BlackCalculator(
            payoff, S * math.exp(b * tt), vol * math.sqrt(tt), math.exp(-r * tt)
        )

    c = calc(T)
    h = T * 1e-3
    d = [calc(T + k * h).delta(S) for k in (2, 1, -1, -2)]
    # charm = dDelta/dt with calendar time forward = -dDelta/dT; 4-point central difference.
    charm = -(-d[0] + 8 * d[1] - 8 * d[2] + d[3]) / (12 * h)
    # BlackCalculator.theta evaluates the PDE identity through log(forward/spot), which loses
    # ~eps/(bT) relative for minute-scale T; the same identity with the exact carry:
    # theta = r·V - b·S·delta - ½σ²S²·gamma (QuantLib's value, delta and gamma).
    theta = r * c.value() - b * S * c.delta(S) - 0.5 * vol * vol * S * S * c.gamma(S)
    return {
        "delta": c.delta(S),
        "gamma": c.gamma(S),
        "vega": c.vega(T),
        "theta": theta,
        "vanna": c.vanna(S, T),
        "charm": charm,
    }


@pytest.mark.parametrize("model", ["bsm", "black76"])
def test_against_quantlib_wide_domain(model: str) -> None:
    pytest.importorskip("QuantLib")
    d = _domain(1500, seed=11 if model == "bsm" else 12)
    if model == "bsm":
        ours = bsm(d["spot"], d["strike"], d["t"], d["r"], d["q"], d["vol"], d["call"])
        carry = d["r"] - d["q"]
    else:
        ours = black76(d["spot"], d["strike"], d["t"], d["r"], d["vol"], d["call"])
        carry = np.zeros_like(d["r"])
    failures = []
    for i in range(d["t"].size):
        S, K, T, vol = d["spot"][i], d["strike"][i], d["t"][i], d["vol"][i]
        ref = _ql_greeks(S, K, T, d["r"][i], carry[i], vol, bool(d["call"][i]))
        sqt = math.sqrt(T)
        scales = {
            "delta": 1.0,
            "gamma": 1.0 / (S * vol * sqt),
            "vega": S * sqt,
            "theta": S * vol / sqt + abs(d["r"][i]) * (S + K),
            "vanna": (1.0 + abs(math.log(S / K)) / (vol * sqt)) / vol,
            "charm": 1.0 / T + abs(carry[i]) + abs(d["r"][i]),
        }
        for name, want in ref.items():
            got = float(getattr(ours, name)[i])
            # charm's reference is a finite difference of QuantLib deltas whose own error reaches
            # ~1e-7 relative at minute-scale T (argument rounding amplified by 1/(σ√T·h)); the
            # exact derivative is checked to 1e-10 in test_charm_against_exact_derivative.
            if name == "charm":
                ok = abs(got - want) <= max(1e-6 * abs(want), 1e-8 * scales[name])
            else:
                ok = _close(got, want, scales[name])
            if not ok:
                failures.append((name, S, K, T, vol, got, want))
    assert not failures, failures[:5]


def test_charm_against_exact_derivative() -> None:
    """Charm = -dDelta/dT from a 50-digit numerical derivative of the closed-form delta."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 50
    d = _domain(150, seed=21)
    ours = bsm(d["spot"], d["strike"], d["t"], d["r"], d["q"], d["vol"], d["call"])
    for i in range(d["t"].size):
        S, K, r, q, vol = (mp.mpf(float(d[k][i])) for k in ("spot", "strike", "r", "q", "vol"))
        phi = 1 if d["call"][i] else -1

        def delta(tt, S=S, K=K, r=r, q=q, vol=vol, phi=phi):  # type: ignore[no-untyped-def]
            d1 = (mp.log(S / K) + (r - q + vol * vol / 2) * tt) / (vol * mp.sqrt(tt))
            return phi * mp.exp(-q * tt) * mp.ncdf(phi * d1)

        T = float(d["t"][i])
        exact = -float(mp.diff(delta, mp.mpf(T)))
        scale = 1.0 / T + float(abs(r - q) + abs(r))
        assert _close(float(ours.charm[i]), exact, scale), (i, float(ours.charm[i]), exact)


@pytest.mark.parametrize("model", ["bsm", "black76"])
def test_speed_and_vomma_against_exact_derivatives(model: str) -> None:
    """Speed = d³V/dS³ and vomma = d²V/dσ² from 50-digit numerical derivatives of the
    closed-form price (an oracle independent of the kernels' closed forms)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 50
    d = _domain(120, seed=33)
    q = d["q"] if model == "bsm" else d["r"]  # black76: carry b = r - q = 0
    got = dealer_greeks(d["spot"], d["strike"], d["t"], d["r"], d["r"] - q, d["vol"], d["call"])
    for twins in ("0", "1"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(PURE_PYTHON_ENV, twins)
            again = dealer_greeks(
                d["spot"], d["strike"], d["t"], d["r"], d["r"] - q, d["vol"], d["call"]
            )
        np.testing.assert_allclose(again.speed, got.speed, rtol=1e-12, atol=0)
        np.testing.assert_allclose(again.vomma, got.vomma, rtol=1e-12, atol=1e-300)
    for i in range(d["t"].size):
        S0, K, T, r, qq, vol0 = (
            mp.mpf(float(x[i])) for x in (d["spot"], d["strike"], d["t"], d["r"], q, d["vol"])
        )
        phi = 1 if d["call"][i] else -1

        def price(S, vol, K=K, T=T, r=r, qq=qq, phi=phi):  # type: ignore[no-untyped-def]
            vst = vol * mp.sqrt(T)
            d1 = (mp.log(S / K) + (r - qq + vol * vol / 2) * T) / vst
            return phi * (
                S * mp.exp(-qq * T) * mp.ncdf(phi * d1)
                - K * mp.exp(-r * T) * mp.ncdf(phi * (d1 - vst))
            )

        speed = float(mp.diff(lambda s, v0=vol0: price(s, v0), S0, 3))
        vomma = float(mp.diff(lambda v, s0=S0: price(s0, v), vol0, 2))
        S, v = float(S0), float(vol0)
        # scales: gamma/S and vega/σ bound the terms the closed forms add up
        gamma_scale = 1.0 / (S * S * v * math.sqrt(float(T)) + 1e-300)
        assert _close(float(got.speed[i]), speed, gamma_scale), (i, float(got.speed[i]), speed)
        assert _close(float(got.vomma[i]), vomma, S * math.sqrt(float(T)) / v), (
            i, float(got.vomma[i]), vomma,
        )  # fmt: skip


def test_twin_agrees_with_kernel_to_1e13() -> None:
    d = _domain(4000, seed=5)
    n = d["t"].size
    args = (d["spot"], d["strike"], d["t"], d["r"], d["r"] - d["q"], d["vol"], d["call"])
    fast = np.empty((7, n))
    slow = np.empty((7, n))
    all_greeks_kernel(*args, fast)
    all_greeks_twin(*args, slow)
    scale = np.maximum(np.abs(slow), 1e-300)
    # prices of far-OTM options are a difference of two nearly equal terms: compare the
    # greeks everywhere and the price where it is not a cancellation remainder.
    rel = np.abs(fast - slow) / scale
    assert np.nanmax(rel[1:]) < 1e-13
    intrinsic_scale = d["spot"] + d["strike"]
    assert np.all(np.abs(fast[0] - slow[0]) <= 1e-13 * np.abs(slow[0]) + 1e-15 * intrinsic_scale)


def test_dealer_kernel_is_bit_identical_to_full_kernel_rows() -> None:
    d = _domain(3000, seed=9)
    args = (d["spot"], d["strike"], d["t"], d["r"], d["r"] - d["q"], d["vol"], d["call"])
    full = np.empty((7, d["t"].size))
    part = np.empty((6, d["t"].size))
    all_greeks_kernel(*args, full)
    dealer_greeks_kernel(*args, part)
    np.testing.assert_array_equal(part[:4], full[[1, 2, 4, 5]])


def test_pure_python_switch_runs_twins(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.greeks as g

    calls: list[str] = []
    monkeypatch.setattr(
        g, "all_greeks_twin", lambda *a: calls.append("twin") or all_greeks_twin(*a)
    )
    monkeypatch.setenv(PURE_PYTHON_ENV, "1")
    g.bsm(100.0, 100.0, 0.5, 0.03, 0.01, 0.2, True)
    monkeypatch.setenv(PURE_PYTHON_ENV, "0")
    g.bsm(100.0, 100.0, 0.5, 0.03, 0.01, 0.2, True)
    assert calls == ["twin"]


def test_broadcasting_and_shapes() -> None:
    strikes = np.array([[90.0, 100.0, 110.0], [95.0, 105.0, 115.0]])
    out = bsm(100.0, strikes, 0.25, 0.05, 0.0, 0.2, True)
    assert all(a.shape == (2, 3) and a.dtype == np.float64 for a in out)
    single = bsm(100.0, 90.0, 0.25, 0.05, 0.0, 0.2, True)
    assert single.delta.shape == ()
    assert bsm(np.empty(0), 1.0, 1.0, 0.0, 0.0, 0.2, True).price.shape == (0,)
    dg = dealer_greeks(100.0, strikes, 0.25, 0.05, 0.05, 0.2, False)
    np.testing.assert_array_equal(dg.gamma, out.gamma)


@pytest.mark.parametrize(
    ("S", "K", "T", "vol"),
    [
        (0.0, 100, 1, 0.2),
        (100, -1, 1, 0.2),
        (100, 100, 0.0, 0.2),
        (100, 100, 1, 0.0),
        (np.nan, 100, 1, 0.2),
        (100, 100, np.inf, 0.2),
        (100, 100, 1, np.nan),
    ],
)
def test_invalid_inputs_give_nan_everywhere(S: float, K: float, T: float, vol: float) -> None:
    for twins in ("0", "1"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(PURE_PYTHON_ENV, twins)
            out = bsm(S, K, T, 0.05, 0.01, vol, True)
            assert all(math.isnan(float(a)) for a in out)


finite = st.floats(allow_nan=False, allow_infinity=False)
spots = st.floats(1.0, 10_000.0)
moneyness = st.floats(-4.0, 4.0)
times = st.floats(MINUTE, 5.0)
vols = st.floats(0.01, 4.0)
rates = st.floats(-0.02, 0.12)
yields = st.floats(0.0, 0.08)


@settings(max_examples=300, deadline=None)
@given(S=spots, z=moneyness, T=times, vol=vols, r=rates, q=yields)
def test_put_call_parity_and_shared_greeks(
    S: float, z: float, T: float, vol: float, r: float, q: float
) -> None:
    K = S * math.exp((r - q) * T - z * vol * math.sqrt(T))
    c = bsm(S, K, T, r, q, vol, True)
    p = bsm(S, K, T, r, q, vol, False)
    carry_df = math.exp(-q * T)
    parity = S * carry_df - K * math.exp(-r * T)
    assert float(c.price - p.price) == pytest.approx(parity, rel=1e-12, abs=1e-12 * (S + K))
    assert float(c.delta - p.delta) == pytest.approx(carry_df, rel=1e-13, abs=1e-15)
    for name in ("gamma", "vega", "vanna"):
        assert float(getattr(c, name)) == float(getattr(p, name))
    # charm parity: d/dt of (delta_c - delta_p) = d/dt e^{-qT} = q e^{-qT}
    assert float(c.charm - p.charm) == pytest.approx(q * carry_df, rel=1e-9, abs=1e-12 / T)


@settings(max_examples=200, deadline=None)
@given(S=spots, T=st.floats(0.01, 5.0), vol=st.floats(0.01, 1.0), r=rates, q=yields)
def test_deep_itm_delta_limits(S: float, T: float, vol: float, r: float, q: float) -> None:
    sd = vol * math.sqrt(T)
    fwd = S * math.exp((r - q) * T)
    deep_call = bsm(S, fwd * math.exp(-12 * sd), T, r, q, vol, True)
    deep_put = bsm(S, fwd * math.exp(12 * sd), T, r, q, vol, False)
    limit = math.exp(-q * T)  # e^{(b - r)T}
    assert float(deep_call.delta) == pytest.approx(limit, rel=1e-15)
    assert float(deep_put.delta) == pytest.approx(-limit, rel=1e-15)
    assert float(deep_call.gamma) < 1e-25 / S


@settings(max_examples=200, deadline=None)
@given(F=spots, z=moneyness, T=times, vol=vols, r=rates)
def test_black76_is_bsm_with_zero_carry(F: float, z: float, T: float, vol: float, r: float) -> None:
    K = F * math.exp(-z * vol * math.sqrt(T))
    a = black76(F, K, T, r, vol, True)
    b = bsm(F, K, T, r, r, vol, True)
    for name in FIELDS:
        assert float(getattr(a, name)) == float(getattr(b, name))


def _args7(n: int, seed: int = 3) -> tuple[np.ndarray, ...]:
    d = _domain(n, seed=seed)
    return (d["spot"], d["strike"], d["t"], d["r"], d["q"], d["vol"], d["call"])


def test_out_array_is_filled_and_returned_as_views() -> None:
    args = _args7(257)
    fresh = bsm(*args)
    out = np.full((7, 257), -1.0)
    got = bsm(*args, out=out)
    for j, name in enumerate(FIELDS):
        assert np.shares_memory(getattr(got, name), out[j])
        np.testing.assert_array_equal(getattr(got, name), getattr(fresh, name))
    # a Greeks of the same size is a valid out (the arrays are reused in place)
    again = bsm(*args, out=fresh)
    assert all(a is b for a, b in zip(again, fresh, strict=True))
    np.testing.assert_array_equal(np.array(again), out)
    # black76 and dealer_greeks, with a multi-dimensional broadcast shape
    F = args[0].reshape(1, 257)
    K = np.stack([args[1], args[1] * 1.1])
    b76_out = np.empty((7, 2, 257))
    b76 = black76(F, K, args[2], args[3], args[5], args[6], out=b76_out)
    np.testing.assert_array_equal(np.array(b76), np.array(black76(F, K, *args[2:4], *args[5:])))
    dg_out = [np.empty((2, 257)) for _ in range(6)]
    dg = dealer_greeks(F, K, args[2], args[3], 0.0, args[5], args[6], out=dg_out)
    assert all(a is b for a, b in zip(dg, dg_out, strict=True))
    np.testing.assert_array_equal(dg.gamma, b76.gamma)


def test_out_with_scalar_arguments() -> None:
    out = np.full(7, -1.0)
    got = bsm(100.0, 95.0, 0.5, 0.03, 0.01, 0.2, True, out=out)
    want = bsm(100.0, 95.0, 0.5, 0.03, 0.01, 0.2, True)
    assert all(a.shape == () for a in got)
    np.testing.assert_array_equal(out, np.array(want))
    assert float(got.delta) == float(want.delta)


def test_out_is_validated() -> None:
    args = _args7(10)
    with pytest.raises(ValueError, match="shape"):
        bsm(*args, out=np.empty((7, 11)))
    with pytest.raises(ValueError, match="expected 7"):
        bsm(*args, out=[np.empty(10)] * 6)
    with pytest.raises(ValueError, match="float64"):
        bsm(*args, out=np.empty((7, 10), dtype=np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        bsm(*args, out=np.empty((10, 7)).T)
    with pytest.raises(ValueError, match="C-contiguous"):
        bsm(*args, out=[np.empty(20)[::2] for _ in range(7)])
    with pytest.raises(ValueError, match="overlap each other"):
        bsm(*args, out=[np.empty(10)] * 7)
    spot = args[0].copy()
    block = np.empty((7, 10))
    block[0] = spot
    with pytest.raises(ValueError, match="overlaps an argument"):
        bsm(block[0], *args[1:], out=block)


def test_arguments_are_not_copied_and_not_written() -> None:
    import engine.greeks as g

    args = _args7(64)
    before = [a.copy() for a in args]
    seen: list[tuple[np.ndarray, ...]] = []
    real = g.all_greeks_kernel
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PURE_PYTHON_ENV, "0")
        mp.setattr(g, "all_greeks_kernel", lambda *a: seen.append(a) or real(*a))
        bsm(*args)
    S, K, T, R, B, V, C, out = seen[0]
    for ours, theirs in ((S, args[0]), (K, args[1]), (T, args[2]), (R, args[3]), (V, args[5])):
        assert np.shares_memory(ours, theirs) and not ours.flags.writeable
    assert np.shares_memory(C, args[6])
    assert all(not a.flags.writeable for a in (S, K, T, R, B, V, C))
    assert isinstance(out, tuple) and len(out) == 7
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_exp_and_log_are_accurate_at_rounding_ties() -> None:
    """exp rounds x/ln2 with the 1.5·2^52 shifter: were ``(t + c) - c`` ever folded (fast-math
    reassociation), these would be off by orders of magnitude, not ulps."""
    import numba

    from engine._math import exp_, exp_neg_, log_

    @numba.njit(error_model="numpy")
    def run(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        e, en, lg = np.empty_like(x), np.empty_like(x), np.empty_like(y)
        for i in range(x.size):
            e[i] = exp_(x[i])
            en[i] = exp_neg_(-abs(x[i]))
        for i in range(y.size):
            lg[i] = log_(y[i])
        return e, en, lg

    k = np.arange(-1020.0, 1023.0)
    rng = np.random.default_rng(4)
    x = np.concatenate([k * math.log(2), (k + 0.5) * math.log(2), rng.uniform(-708.0, 709.0, 4000)])
    x = x[(x > -708.3) & (x < 709.0)]
    y = np.exp(rng.uniform(-700.0, 700.0, 4000))
    e, en, lg = run(x, y)
    want = np.exp(x)
    assert np.all(np.abs(e - want) <= 2 * np.spacing(want))
    wn = np.exp(-np.abs(x))
    wn[np.abs(x) > 708.3] = 0.0  # flushed to zero below EXP_MIN, as exp_
    assert np.all(np.abs(en - wn) <= 2 * np.spacing(wn))
    wl = np.log(y)
    assert np.all(np.abs(lg - wl) <= 2 * np.spacing(np.abs(wl)))
    special = run(np.array([-800.0, 800.0, np.nan]), np.array([-1.0, 0.0, np.nan]))
    assert special[0][0] == 0.0 and special[0][1] == math.exp(709.0) and math.isnan(special[0][2])
    assert special[1][0] == 0.0 and special[1][1] == 0.0
    assert all(math.isnan(v) for v in special[2])


_AVX2_PROBE = """
import numba, numpy as np
from numba import prange
from engine._math import exp_, exp_constants, exp_neg_, gauss, log_, ncdf

@numba.njit(parallel=True, error_model="numpy", boundscheck=False)
def probe(x, out):
    k = exp_constants()
    for i in prange(x.shape[0]):
        v = x[i]
        out[i] = exp_(v) + exp_neg_(-v * v, k) + log_(v) + gauss(v) + ncdf(v)

probe(np.linspace(0.1, 3.0, 64), np.empty(64))
asm = probe.inspect_asm(probe.signatures[0])
body = "\\n".join(l for l in asm.splitlines() if "(%rip)" not in l)
print("cvt", sum(body.count(s) for s in ("cvttsd2si", "cvtsi2sd", "cvtsd2si", "cvttpd2qq", "cvtqq2pd")))
print("ymm", body.count("ymm"), "zmm", body.count("zmm"))
"""


def test_vector_math_has_no_float_int_conversion_on_avx2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Packed double<->int64 conversions exist only with AVX-512DQ: on AVX2 one in the loop
    would be done lane by lane (scalar). Compile the helpers for haswell and read the code."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_CPU_NAME="haswell", NUMBA_CPU_FEATURES="")
    env["NUMBA_CACHE_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", _AVX2_PROBE], env=env, capture_output=True, text=True, check=True
    )
    counts = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert counts["cvt"] == "0", done.stdout
    ymm, zmm = (int(v) for v in counts["ymm"].split(" zmm "))
    assert ymm > 0 and zmm == 0, done.stdout
