"""Greek kernels against plain NumPy + ``scipy.special.ndtr`` on 1e6 realistic contracts.

Subjects: ``all_greeks_kernel`` (price + six greeks) and ``dealer_greeks_kernel`` (delta,
gamma, vanna, charm — what the exposures need). Baselines: the same formulas written as
vectorized NumPy with ``scipy.special.ndtr``, the way a careful Python quant would, timed in
the same run, single-threaded by nature. Kernels run on 1 thread and on all cores.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from benchmarks.harness import Row, best_time
from benchmarks.workloads import Contracts, realistic_contracts
from engine._jit import set_threads
from engine.greeks.kernels import all_greeks_kernel, dealer_greeks_kernel

__all__ = ["numpy_all_greeks", "numpy_dealer_greeks", "run"]

INV_SQRT_2PI = 0.3989422804014327


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
    """Baseline: delta, gamma, vanna, charm with NumPy and ``scipy.special.ndtr``."""
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
    return delta, gamma, vanna, charm


def run(quick: bool = False) -> list[Row]:
    n = 100_000 if quick else 1_000_000
    c = realistic_contracts(n)
    args = (c.spot, c.strike, c.t, c.rate, c.carry, c.vol, c.is_call)
    out7 = np.empty((7, n))
    out4 = np.empty((4, n))
    all_greeks_kernel(*args, out7)  # compile / load before timing
    dealer_greeks_kernel(*args, out4)
    base_all = best_time(lambda: numpy_all_greeks(c), repeat=3)
    base_dealer = best_time(lambda: numpy_dealer_greeks(c), repeat=3)
    rows = []
    all_threads = set_threads(None)
    for threads in sorted({1, all_threads}):
        set_threads(threads)
        t_all = best_time(lambda: all_greeks_kernel(*args, out7))
        t_dealer = best_time(lambda: dealer_greeks_kernel(*args, out4))
        rows.append(
            Row(
                "greeks",
                "price+6 greeks (numba)",
                "numpy+ndtr price+6 greeks",
                threads,
                n,
                "contract",
                t_all,
                base_all,
            )
        )
        rows.append(
            Row(
                "greeks",
                "delta+gamma+vanna+charm (numba)",
                "numpy+ndtr same 4 greeks",
                threads,
                n,
                "contract",
                t_dealer,
                base_dealer,
            )
        )
    set_threads(all_threads)
    return rows
