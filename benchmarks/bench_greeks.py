"""Greeks on 1e6 realistic contracts against plain NumPy + ``scipy.special.ndtr``.

Subjects, what users call first: the public ``engine.greeks.bsm`` (argument preparation, the
carry ``rate - div_yield`` and the output allocation included) without and with ``out=``
(preallocated outputs), ``black76(out=)`` and ``dealer_greeks(out=)``; then the bare kernels
``all_greeks_kernel`` (price + six greeks) and ``dealer_greeks_kernel`` (delta, gamma, vanna,
charm, speed, vomma — what the exposure metrics need) on ready arrays. Baselines: the same formulas written as
vectorized NumPy with ``scipy.special.ndtr``, the way a careful Python quant would, for the
same outputs (7 or 6), timed in the same run, single-threaded by nature. Subjects run on 1
thread and on all cores.

Without ``out=`` a call allocates a fresh 7 × 8 MB result, and the first write to each page
of it is a page fault (the kernel zeroes the page): 5–7 ns per contract here with
transparent huge pages, ~25 ns without — the ``bsm()`` row pays it, ``bsm(out=)`` does not.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from benchmarks.harness import Row, best_time
from benchmarks.workloads import Contracts, realistic_contracts
from engine._jit import set_threads
from engine.greeks import black76, bsm, dealer_greeks
from engine.greeks.kernels import all_greeks_kernel, dealer_greeks_kernel

__all__ = ["numpy_all_greeks", "numpy_dealer_greeks", "run"]

INV_SQRT_2PI = 0.3989422804014327
_notes: list[str] = []


def numpy_all_greeks(c: Contracts) -> tuple[np.ndarray, ...]:
    """Baseline: price and six greeks with NumPy arrays and ``scipy.special.ndtr``."""
    S, K, T, r, b, v = c.spot, c.strike, c.t, c.rate, c.carry, c.vol
    phi = np.where(c.is_call, 1.0, -1.0)
    sqt = np.sqrt(T)
    vst = v * sqt
    d1 = (np.log(S / K) + (b + 0.5 * v * v) * T) / vst
    d2 = d1 - vst
    cdf_ = np.exp((b - r) * T)
    df = np.exp(-r * T)
    n1 = INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
    nd1 = ndtr(phi * d1)
    nd2 = ndtr(phi * d2)
    price = phi * (S * cdf_ * nd1 - K * df * nd2)
    delta = phi * cdf_ * nd1
    gamma = cdf_ * n1 / (S * vst)
    vega = S * cdf_ * n1 * sqt
    vanna = -cdf_ * n1 * d2 / v
    charm = -cdf_ * (n1 * (b / vst - d2 / (2 * T)) + phi * (b - r) * nd1)
    theta = -S * cdf_ * n1 * v / (2 * sqt) - phi * (b - r) * S * cdf_ * nd1 - phi * r * K * df * nd2
    return price, delta, gamma, vega, vanna, charm, theta


def numpy_dealer_greeks(c: Contracts) -> tuple[np.ndarray, ...]:
    """Baseline: delta, gamma, vanna, charm, speed, vomma with NumPy and ``scipy.special.ndtr``."""
    S, K, T, r, b, v = c.spot, c.strike, c.t, c.rate, c.carry, c.vol
    phi = np.where(c.is_call, 1.0, -1.0)
    vst = v * np.sqrt(T)
    d1 = (np.log(S / K) + (b + 0.5 * v * v) * T) / vst
    d2 = d1 - vst
    cdf_ = np.exp((b - r) * T)
    n1 = INV_SQRT_2PI * np.exp(-0.5 * d1 * d1)
    nd1 = ndtr(phi * d1)
    delta = phi * cdf_ * nd1
    gamma = cdf_ * n1 / (S * vst)
    vanna = -cdf_ * n1 * d2 / v
    charm = -cdf_ * (n1 * (b / vst - d2 / (2 * T)) + phi * (b - r) * nd1)
    speed = -gamma / S * (1.0 + d1 / vst)
    vomma = S * cdf_ * n1 * np.sqrt(T) * d1 * d2 / v
    return delta, gamma, vanna, charm, speed, vomma


def run(quick: bool = False) -> list[Row]:
    n = 100_000 if quick else 1_000_000
    c = realistic_contracts(n)
    q = c.rate - c.carry  # the dividend yield behind the workload's carry
    args = (c.spot, c.strike, c.t, c.rate, c.carry, c.vol, c.is_call)
    public = (c.spot, c.strike, c.t, c.rate, q, c.vol, c.is_call)
    b76 = (c.spot, c.strike, c.t, c.rate, c.vol, c.is_call)
    out7 = np.empty((7, n))
    out6 = np.empty((6, n))
    # compile / load before timing, and check the public path against the baseline
    all_greeks_kernel(*args, out7)
    dealer_greeks_kernel(*args, out6)
    ours = bsm(*public)
    bsm(*public, out=out7)
    black76(*b76, out=out7)
    dealer_greeks(*args[:6], c.is_call, out=out6)
    want = numpy_all_greeks(c)
    worst = max(
        float(np.max(np.abs(g - w)) / np.max(np.abs(w))) for g, w in zip(ours, want, strict=True)
    )
    _notes[:] = [
        f"{n} contracts; public bsm vs NumPy+ndtr, 7 outputs: max |difference| / max |value| "
        f"per output {worst:.1e}"
    ]
    base_all = best_time(lambda: numpy_all_greeks(c), repeat=3)
    base_dealer = best_time(lambda: numpy_dealer_greeks(c), repeat=3)
    base7 = "numpy+ndtr price+6 greeks"
    base6 = "numpy+ndtr same 6 greeks"
    subjects = [
        ("bsm() public, 7 outputs", base7, base_all, lambda: bsm(*public)),
        ("bsm(out=) public, 7 outputs", base7, base_all, lambda: bsm(*public, out=out7)),
        ("black76(out=) public, 7 outputs", base7, base_all, lambda: black76(*b76, out=out7)),
        (
            "dealer_greeks(out=) public, 6",
            base6,
            base_dealer,
            lambda: dealer_greeks(*args, out=out6),
        ),
        ("all greeks kernel, 7 outputs", base7, base_all, lambda: all_greeks_kernel(*args, out7)),
        (
            "dealer greeks kernel, 6 outputs",
            base6,
            base_dealer,
            lambda: dealer_greeks_kernel(*args, out6),
        ),
    ]
    rows = []
    all_threads = set_threads(None)
    try:
        for threads in sorted({1, all_threads}):
            set_threads(threads)
            for subject, base_name, base_s, fn in subjects:
                t = best_time(fn)
                rows.append(Row("greeks", subject, base_name, threads, n, "contract", t, base_s))
    finally:
        set_threads(all_threads)
    return rows


def notes() -> list[str]:
    """Lines printed under the table: the workload and the agreement with the baseline."""
    return list(_notes)
