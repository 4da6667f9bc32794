"""Implied-vol solve throughput on 1e6 realistic options against two named baselines.

Subject: :func:`engine.iv.solve.implied_vol` (Jäckel's "Let's Be Rational" as vectorized Numba
passes, float64-exact), on 1 thread and on all cores, premiums from
:func:`engine.iv.solve.black_price` on :func:`benchmarks.workloads.realistic_contracts`.

Baselines, timed in the same run:

- ``numpy Newton+ndtr x12``: the vectorized NumPy Newton a careful Python quant writes —
  textbook price and vega with ``scipy.special.ndtr``, 12 iterations from σ = 0.5 on the
  whole array, σ clipped to [1e-4, 10]. It does not converge on every option (see the note).
- ``scipy brentq/option (sample)``: ``scipy.optimize.brentq`` per option on the textbook
  price (``math.erfc``), bracket [1e-4, 10], on a random sample, scaled to the full count.
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from benchmarks.harness import Row, best_time
from benchmarks.workloads import Contracts, realistic_contracts
from engine._jit import set_threads
from engine.iv.solve import IVReason, black_price, implied_vol

__all__ = ["brentq_iv", "notes", "numpy_newton_iv", "run"]

INV_SQRT_2PI = 0.3989422804014327
_NOTES: list[str] = []


def numpy_newton_iv(price: np.ndarray, c: Contracts, iterations: int = 12) -> np.ndarray:
    """Baseline: vectorized Newton on the textbook formula (NumPy + ``scipy.special.ndtr``)."""
    phi = np.where(c.is_call, 1.0, -1.0)
    F = c.spot * np.exp(c.carry * c.t)
    df = np.exp(-c.rate * c.t)
    sqt = np.sqrt(c.t)
    lnfk = np.log(F / c.strike)
    sig = np.full(price.shape, 0.5)
    for _ in range(iterations):
        sd = sig * sqt
        d1 = (lnfk + 0.5 * sd * sd) / sd
        d2 = d1 - sd
        model = df * phi * (F * ndtr(phi * d1) - c.strike * ndtr(phi * d2))
        vega = df * F * INV_SQRT_2PI * np.exp(-0.5 * d1 * d1) * sqt
        with np.errstate(all="ignore"):  # vega underflows for far-OTM starts
            sig = np.clip(sig - (model - price) / vega, 1e-4, 10.0)
    return sig


def _price_one(sig: float, S: float, K: float, T: float, r: float, b: float, call: bool) -> float:
    sd = sig * math.sqrt(T)
    F = S * math.exp(b * T)
    d1 = (math.log(F / K) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    phi = 1.0 if call else -1.0
    n1 = 0.5 * math.erfc(-phi * d1 / math.sqrt(2.0))
    n2 = 0.5 * math.erfc(-phi * d2 / math.sqrt(2.0))
    return math.exp(-r * T) * phi * (F * n1 - K * n2)


def brentq_iv(price: np.ndarray, c: Contracts, idx: np.ndarray) -> np.ndarray:
    """Baseline: ``scipy.optimize.brentq`` per option on the textbook price."""
    out = np.full(idx.shape[0], np.nan)
    for j, i in enumerate(idx):
        args = (c.spot[i], c.strike[i], c.t[i], c.rate[i], c.carry[i], bool(c.is_call[i]))
        p = price[i]
        with contextlib.suppress(ValueError):  # no sign change in the bracket: stays NaN
            out[j] = brentq(lambda s, a=args, p=p: _price_one(s, *a) - p, 1e-4, 10.0, xtol=1e-14)
    return out


def _reprices(iv: np.ndarray, price: np.ndarray, c: Contracts, sel: np.ndarray) -> float:
    """Share of ``sel`` options whose vol reprices the premium to 1e-8 relative."""
    args = (c.spot[sel], c.strike[sel], c.t[sel], c.rate[sel], c.carry[sel])
    back = black_price(*args, iv, c.is_call[sel])
    with np.errstate(invalid="ignore"):
        return float(np.mean(np.abs(back - price[sel]) <= 1e-8 * price[sel]))


def run(quick: bool = False) -> list[Row]:
    n = 100_000 if quick else 1_000_000
    sample = 300 if quick else 2_000
    c = realistic_contracts(n)
    args = (c.spot, c.strike, c.t, c.rate, c.carry, c.is_call)
    price = black_price(c.spot, c.strike, c.t, c.rate, c.carry, c.vol, c.is_call)
    res = implied_vol(price, *args)  # compile / load before timing
    solvable = res.reason == IVReason.OK

    base_newton = best_time(lambda: numpy_newton_iv(price, c), repeat=3)
    newton = numpy_newton_iv(price, c)
    idx = np.random.default_rng(1).choice(np.flatnonzero(solvable), sample, replace=False)
    start = time.perf_counter()
    brent = brentq_iv(price, c, idx)
    base_brent = (time.perf_counter() - start) * n / sample

    rows = []
    all_threads = set_threads(None)
    for threads in sorted({1, all_threads}):
        set_threads(threads)
        t_iv = best_time(lambda: implied_vol(price, *args))
        for baseline, t_base in (
            ("numpy Newton+ndtr x12", base_newton),
            ("scipy brentq/option (sample)", base_brent),
        ):
            rows.append(
                Row("iv", "implied vol (numba LBR)", baseline, threads, n, "option", t_iv, t_base)
            )
    set_threads(all_threads)

    _NOTES.clear()
    _NOTES.append(
        f"options: {n}, solvable {solvable.mean():.2%} (the rest have no time value left in "
        f"float64: deep ITM 0DTE); repriced to 1e-8: subject "
        f"{_reprices(res.iv[solvable], price, c, solvable):.4%}, numpy Newton "
        f"{_reprices(newton[solvable], price, c, solvable):.4%}, brentq "
        f"{_reprices(brent, price, c, idx):.4%} (sample of {sample})"
    )
    return rows


def notes() -> list[str]:
    """Accuracy notes of the last :func:`run`, printed under the table."""
    return list(_NOTES)
