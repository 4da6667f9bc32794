"""Gamma profile kernel against the open-source GEX scripts' NumPy method, SPX-size chain.

Workload: 25,000 contracts (strikes, T from 30 minutes to 2 years, vol 8–80 %, street
weights ±OI, multiplier 100) evaluated at the default flip grid of 201 levels over ±20 %
of spot. Unit of work: one contract at one level.

Subject: :func:`engine.analysis.profile.evaluate_profile` (the compiled kernel on precomputed
per-contract terms) on 1 thread and on all cores; also ``gamma_profile`` including the
precomputation, the whole flip search (grid + refinement) for orientation, and the market
path's segmented kernel (:func:`engine.analysis.segmented.segment_profile`) on the same chain
cut into 100 underlyings of 250 contracts, each at its own 201-level grid.
Baseline: the profile as the widely copied pandas/NumPy GEX scripts compute it — a Python
loop over levels, each level a vectorized NumPy pass over all contracts with
``scipy.stats.norm.pdf`` for the density — timed in the same run (single-threaded).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.stats import norm

from benchmarks.harness import Row, best_time
from benchmarks.workloads import Contracts, realistic_contracts
from engine._jit import set_threads
from engine.analysis.flip import DEFAULT_POINTS, find_crossings
from engine.analysis.profile import evaluate_profile, gamma_profile, profile_terms
from engine.analysis.segmented import segment_profile

__all__ = ["numpy_profile", "run"]

SPOT = 5000.0
MULTIPLIER = 100.0
_notes: list[str] = []


def numpy_profile(c: Contracts, weight: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Baseline: a Python loop over levels, NumPy over contracts, ``scipy.stats.norm.pdf``."""
    out = np.empty(levels.size)
    vst = c.vol * np.sqrt(c.t)
    for j, level in enumerate(levels):
        S = c.spot * (level / SPOT)
        d1 = (np.log(S / c.strike) + (c.carry + 0.5 * c.vol**2) * c.t) / vst
        gamma = np.exp((c.carry - c.rate) * c.t) * norm.pdf(d1) / (S * vst)
        out[j] = np.sum(weight * gamma * MULTIPLIER * S * S * 0.01)
    return out


def _weights(c: Contracts, seed: int = 11) -> np.ndarray:
    """Street weights ±OI: OI concentrated near the money, put OI heavier below spot."""
    rng = np.random.default_rng(seed)
    k = np.log(c.strike / SPOT)
    oi = np.round(rng.lognormal(6.0, 1.0, c.size) * np.exp(-8.0 * k * k))
    return np.where(c.is_call, oi, -oi * np.where(k < 0.0, 1.6, 0.6))


def run(quick: bool = False) -> list[Row]:
    n = 5_000 if quick else 25_000
    c = realistic_contracts(n, spot=SPOT)
    weight = _weights(c)
    levels = SPOT * (1.0 + np.linspace(-0.2, 0.2, DEFAULT_POINTS))
    units = n * levels.size
    args = (c.spot, c.strike, c.t, c.vol, c.rate, c.carry, weight, MULTIPLIER)
    terms = profile_terms(SPOT, *args)
    ours = evaluate_profile(terms, levels)  # compile / load before timing
    base = numpy_profile(c, weight, levels)
    gross = evaluate_profile(profile_terms(SPOT, *args[:6], np.abs(weight), MULTIPLIER), levels)
    err = float(np.max(np.abs(ours - base) / gross))
    flip = find_crossings(terms)
    seg = 250
    lo = np.arange(0, terms.count, seg, dtype=np.int64)
    hi = np.minimum(lo + seg, terms.count)
    grid = np.broadcast_to(levels / SPOT, (lo.size, levels.size)).copy()
    seg_args = (lo, hi, grid, terms.shift, terms.inv_vst, terms.coef)
    seg_out = segment_profile(*seg_args)
    seg_want = np.stack([
        evaluate_profile(
            replace(terms, index=terms.index[a:b], shift=terms.shift[a:b],
                    inv_vst=terms.inv_vst[a:b], coef=terms.coef[a:b]),
            levels,
        )
        for a, b in zip(lo[:3], hi[:3], strict=True)
    ])  # fmt: skip
    seg_err = float(np.max(np.abs(seg_out[:3] - seg_want)) / np.abs(seg_want).max())
    _notes[:] = [
        f"{n} contracts x {levels.size} levels; max |ours - baseline| / gross = {err:.1e}",
        f"flip search: {flip.crossings.size} crossing(s), flip {flip.gamma_flip}",
        f"segmented kernel: {lo.size} segments of {seg}; first three vs evaluate_profile: "
        f"max difference / max |profile| = {seg_err:.1e}",
    ]
    base_s = best_time(lambda: numpy_profile(c, weight, levels), repeat=3)
    rows = []
    all_threads = set_threads(None)
    try:
        for threads in sorted({1, all_threads}):
            set_threads(threads)
            t_kernel = best_time(lambda: evaluate_profile(terms, levels), repeat=10)
            t_full = best_time(lambda: gamma_profile(levels, SPOT, *args), repeat=10)
            t_flip = best_time(lambda: find_crossings(terms), repeat=5)
            t_seg = best_time(lambda: segment_profile(*seg_args), repeat=10)
            base_name = "numpy+norm.pdf, loop over levels"
            rows += [
                Row(
                    "gamma profile",
                    "profile kernel (numba)",
                    base_name,
                    threads,
                    units,
                    "contract-level",
                    t_kernel,
                    base_s,
                ),
                Row(
                    "gamma profile",
                    "terms + profile (numba)",
                    base_name,
                    threads,
                    units,
                    "contract-level",
                    t_full,
                    base_s,
                ),
                Row(
                    "gamma profile",
                    "segment profile kernel (market)",
                    base_name,
                    threads,
                    units,
                    "contract-level",
                    t_seg,
                    base_s,
                ),
                Row(
                    "gamma profile",
                    "flip: grid + refine (numba)",
                    base_name,
                    threads,
                    units,
                    "contract-level",
                    t_flip,
                    base_s,
                ),
            ]
    finally:
        set_threads(all_threads)
    return rows


def notes() -> list[str]:
    """Lines printed under the table: the workload and the agreement with the baseline."""
    return list(_notes)
