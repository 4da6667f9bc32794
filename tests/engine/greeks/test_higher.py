"""The closed forms of :mod:`engine.greeks.higher` against 50-digit numerical derivatives of
the BSM price (an oracle independent of the closed forms), and their invalid inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.greeks import bsm
from engine.greeks.higher import higher_greeks

mp = pytest.importorskip("mpmath")
MINUTE = 60.0 / (365.0 * 86400.0)


def _domain(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "spot": np.full(n, 100.0) * np.exp(rng.uniform(-0.1, 0.1, n)),
        "strike": 100.0 * np.exp(rng.uniform(-0.6, 0.6, n)),
        "t": np.exp(rng.uniform(np.log(MINUTE * 60), np.log(5.0), n)),
        "r": rng.uniform(-0.01, 0.08, n),
        "q": rng.uniform(0.0, 0.05, n),
        "vol": np.exp(rng.uniform(np.log(0.05), np.log(2.0), n)),
        "call": rng.random(n) < 0.5,
    }


def _price(S, K, T, r, q, vol, phi):  # type: ignore[no-untyped-def]
    vst = vol * mp.sqrt(T)
    d1 = (mp.log(S / K) + (r - q + vol * vol / 2) * T) / vst
    return phi * (
        S * mp.exp(-q * T) * mp.ncdf(phi * d1) - K * mp.exp(-r * T) * mp.ncdf(phi * (d1 - vst))
    )


def _close(got: float, want: float, scale: float) -> bool:
    return abs(got - want) <= 1e-9 * abs(want) + 1e-11 * scale


def test_against_exact_derivatives() -> None:
    mp.mp.dps = 50
    d = _domain(80, seed=7)
    ours = higher_greeks(d["spot"], d["strike"], d["t"], d["r"], d["q"], d["vol"], d["call"])
    failures = []
    for i in range(d["t"].size):
        S, K, T, r, q, v = (
            mp.mpf(float(d[k][i])) for k in ("spot", "strike", "t", "r", "q", "vol")
        )
        phi = 1 if d["call"][i] else -1

        def price(S=S, K=K, T=T, r=r, q=q, v=v, phi=phi):  # type: ignore[no-untyped-def]
            return _price(S, K, T, r, q, v, phi)

        exact = {
            "rho": mp.diff(lambda x: price(r=x), r),
            "dual_delta": mp.diff(lambda x: price(K=x), K),
            "zomma": mp.diff(lambda s, w: price(S=s, v=w), (S, v), (2, 1)),
            # calendar time running forward shortens T: d/dt = -d/dT
            "color": -mp.diff(lambda s, tt: price(S=s, T=tt), (S, T), (2, 1)),
            "ultima": mp.diff(lambda w: price(v=w), v, 3),
            "veta": -mp.diff(lambda w, tt: price(v=w, T=tt), (v, T), (1, 1)),
        }
        s, t, vol = float(S), float(T), float(v)
        vega_scale = s * math.sqrt(t)
        gamma_scale = 1.0 / (s * vol * math.sqrt(t))
        scales = {
            "rho": float(K) * t,
            "dual_delta": 1.0,
            "zomma": gamma_scale / vol,
            "color": gamma_scale / t,
            "ultima": vega_scale / vol**2,
            "veta": vega_scale / t,
        }
        for name, want in exact.items():
            got = float(getattr(ours, name)[i])
            if not _close(got, float(want), scales[name]):
                failures.append((name, i, got, float(want)))
    assert not failures, failures[:5]


def test_consistent_with_the_kernels() -> None:
    d = _domain(500, seed=3)
    args = (d["spot"], d["strike"], d["t"], d["r"], d["q"], d["vol"], d["call"])
    kernel = bsm(*args)
    extra = higher_greeks(*args)
    # put-call parity of the strike derivative: dual_delta(call) - dual_delta(put) = -e^{-rT}
    calls = higher_greeks(*args[:-1], True)
    puts = higher_greeks(*args[:-1], False)
    np.testing.assert_allclose(
        calls.dual_delta - puts.dual_delta, -np.exp(-d["r"] * d["t"]), rtol=1e-12, atol=1e-15
    )
    # Euler's theorem for a price homogeneous of degree one in (S, K): V = S·Δ + K·∂V/∂K
    np.testing.assert_allclose(
        d["spot"] * kernel.delta + d["strike"] * extra.dual_delta,
        kernel.price,
        rtol=1e-9,
        atol=1e-7,
    )
    # gamma and vega do not depend on the right: neither do zomma, color, ultima, veta
    for name in ("zomma", "color", "ultima", "veta"):
        np.testing.assert_allclose(getattr(calls, name), getattr(puts, name), rtol=1e-12)


@pytest.mark.parametrize(
    "bad",
    [
        {"spot": 0.0}, {"strike": -1.0}, {"t": 0.0}, {"vol": 0.0},
        {"spot": math.inf}, {"vol": math.nan}, {"rate": math.nan}, {"div_yield": math.inf},
    ],
)  # fmt: skip
def test_invalid_inputs_are_nan(bad: dict[str, float]) -> None:
    args = {"spot": 100.0, "strike": 100.0, "t": 0.5, "rate": 0.03, "div_yield": 0.01,
            "vol": 0.2, "is_call": True, **bad}  # fmt: skip
    assert all(np.isnan(field) for field in higher_greeks(**args))  # type: ignore[arg-type]


def test_broadcasts() -> None:
    out = higher_greeks(100.0, np.array([90.0, 100.0, 110.0]), 0.25, 0.02, 0.0, 0.3, True)
    assert all(field.shape == (3,) for field in out)
    assert np.all(np.isfinite(np.stack(out)))
