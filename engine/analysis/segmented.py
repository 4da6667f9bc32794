"""Segmented Numba kernels of the whole-market analysis (:mod:`engine.analysis.market`).

The market's contracts are grouped by underlying: the contracts of underlying ``u`` occupy
one contiguous range ``[starts[u], stops[u])`` of every per-contract array (a *segment*).
Each kernel here solves many small independent problems — one per segment — in one compiled
call, in parallel over segments or over fixed-size work items, and has a plain-Python twin
(the same algorithm and loop order; ``math.exp`` where the kernel uses the vectorizable
:func:`engine._math.exp_neg_`). The public wrappers run the twins when
:func:`engine._jit.use_twins` says so.

===========================  ================================================================
:func:`segment_profile`      the gamma profile of every row of evaluation points over its own
                             segment of contracts (grid rows, refinement brackets)
:func:`strike_sums`          per (underlying, strike) segment: call and put sums of every metric
:func:`pick_strikes`         per segment, the strike with the largest positive score, ties
                             nearest spot, then the lower strike (the rule of
                             :mod:`engine.analysis.levels`)
===========================  ================================================================

Profile units and terms are those of :mod:`engine.analysis.profile`: with ``x = S'/spot`` of the
segment's underlying, ``P(x) = x · Σ_i coef_i · exp(-½((ln x + shift_i) · inv_vst_i)²)`` in
USD of dealer delta change per 1 % move, over the contracts ``i`` of the segment.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numba import prange

from engine._jit import kernel, use_twins
from engine._math import exp_constants, exp_neg_
from engine.analysis.profile import LANES
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "BLOCK",
    "pick_strikes",
    "pick_strikes_kernel",
    "pick_strikes_twin",
    "segment_profile",
    "segment_profile_kernel",
    "segment_profile_twin",
    "strike_sums",
    "strike_sums_kernel",
    "strike_sums_twin",
    "work_items",
]

BLOCK: Final = 256
"""Contracts per work item of the profile kernel (as :data:`engine.analysis.profile.BLOCK`)."""


# --- gamma profile over segments --------------------------------------------------------


@kernel()
def segment_profile_kernel(
    item_row, item_lo, item_hi, row_items, lnx, x, shift, inv_vst, coef, out
):  # type: ignore[no-untyped-def]
    """``out[r, g] = x[r, g] · Σ_i coef[i] · exp(-½((lnx[r, g] + shift[i]) · inv_vst[i])²)``.

    Work item ``j`` adds contracts ``item_lo[j] .. item_hi[j]`` (at most :data:`BLOCK`) for
    row ``item_row[j]`` into its own partial row, in parallel; row ``r`` then sums its items
    ``row_items[r] .. row_items[r + 1]`` in order, so results do not depend on the threads.
    The grid loop is innermost (vectorized, no reduction in it).
    """
    n_items = item_row.shape[0]
    L = lnx.shape[1]
    partial = np.empty((n_items, L))
    k = exp_constants()  # run-time values in the loop body (see exp_constants)
    for j in prange(n_items):
        acc = partial[j]
        acc[:] = 0.0
        lr = lnx[item_row[j]]
        for i in range(item_lo[j], item_hi[j]):
            s = shift[i]
            v = inv_vst[i]
            a = coef[i]
            for g in range(L):
                d = (lr[g] + s) * v
                acc[g] += a * exp_neg_(-0.5 * d * d, k)
    for r in prange(out.shape[0]):
        for g in range(L):
            total = 0.0
            for j in range(row_items[r], row_items[r + 1]):
                total += partial[j, g]
            out[r, g] = x[r, g] * total


def segment_profile_twin(
    item_row: IntArray,
    item_lo: IntArray,
    item_hi: IntArray,
    row_items: IntArray,
    lnx: FloatArray,
    x: FloatArray,
    shift: FloatArray,
    inv_vst: FloatArray,
    coef: FloatArray,
    out: FloatArray,
) -> None:
    """Plain-Python twin of :func:`segment_profile_kernel` (same items and order)."""
    L = lnx.shape[1]
    partial = [[0.0] * L for _ in range(item_row.shape[0])]
    for j in range(item_row.shape[0]):
        acc = partial[j]
        lr = [float(z) for z in lnx[item_row[j]]]
        for i in range(int(item_lo[j]), int(item_hi[j])):
            s, v, a = float(shift[i]), float(inv_vst[i]), float(coef[i])
            for g in range(L):
                d = (lr[g] + s) * v
                acc[g] += a * math.exp(-0.5 * d * d)
    for r in range(out.shape[0]):
        for g in range(L):
            total = 0.0
            for j in range(int(row_items[r]), int(row_items[r + 1])):
                total += partial[j][g]
            out[r, g] = x[r, g] * total


def work_items(
    lo: IntArray, hi: IntArray, block: int = BLOCK
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Split row ``r``'s contract range ``[lo[r], hi[r])`` into items of at most ``block``.

    Returns ``(item_row, item_lo, item_hi, row_items)``; the items of row ``r`` are
    ``row_items[r] .. row_items[r + 1]`` (none for an empty range).
    """
    lengths = np.maximum(hi - lo, 0)
    per_row = (lengths + block - 1) // block
    row_items = np.zeros(lo.shape[0] + 1, dtype=np.int64)
    np.cumsum(per_row, out=row_items[1:])
    item_row = np.repeat(np.arange(lo.shape[0], dtype=np.int64), per_row)
    k = np.arange(item_row.shape[0], dtype=np.int64) - row_items[item_row]
    item_lo = lo[item_row] + k * block
    item_hi = np.minimum(item_lo + block, hi[item_row])
    return item_row, item_lo.astype(np.int64), item_hi.astype(np.int64), row_items


def segment_profile(
    lo: IntArray,
    hi: IntArray,
    x: FloatArray,
    shift: FloatArray,
    inv_vst: FloatArray,
    coef: FloatArray,
) -> FloatArray:
    """The profile at the points ``x`` (R × L, ``x = S'/spot``) of row ``r`` over contracts
    ``[lo[r], hi[r])`` of the term arrays; USD per 1 % move, shape (R, L).

    ``x`` must be finite and positive. Rows are padded to whole vectors of
    :data:`engine.analysis.profile.LANES` points (dummy points at ``x = 1``) for the kernel.
    """
    R, L = x.shape
    width = -(-L // LANES) * LANES
    xp = np.ones((R, width))
    xp[:, :L] = x
    lnx = np.log(xp)
    out = np.zeros((R, width))
    if R and L:
        items = work_items(np.asarray(lo, np.int64), np.asarray(hi, np.int64))
        run = segment_profile_twin if use_twins() else segment_profile_kernel
        run(*items, lnx, xp, shift, inv_vst, coef, out)
    return out[:, :L]


# --- per-strike sums and levels ----------------------------------------------------------


@kernel()
def strike_sums_kernel(bounds, order, is_call, values, out):  # type: ignore[no-untyped-def]
    """Segment ``s`` is rows ``order[bounds[s] : bounds[s + 1]]``; ``out[0, m, s]`` and
    ``out[1, m, s]`` are the call and the put sums of ``values[m]`` over it (in that row
    order)."""
    n_metrics = values.shape[0]
    for s in prange(bounds.shape[0] - 1):
        for m in range(n_metrics):
            calls = 0.0
            puts = 0.0
            row = values[m]
            for j in range(bounds[s], bounds[s + 1]):
                i = order[j]
                if is_call[i]:
                    calls += row[i]
                else:
                    puts += row[i]
            out[0, m, s] = calls
            out[1, m, s] = puts


def strike_sums_twin(
    bounds: IntArray, order: IntArray, is_call: BoolArray, values: FloatArray, out: FloatArray
) -> None:
    """Plain-Python twin of :func:`strike_sums_kernel` (the same loop)."""
    for s in range(bounds.shape[0] - 1):
        for m in range(values.shape[0]):
            sums = [0.0, 0.0]
            for j in range(int(bounds[s]), int(bounds[s + 1])):
                i = order[j]
                sums[0 if is_call[i] else 1] += float(values[m, i])
            out[0, m, s], out[1, m, s] = sums


def strike_sums(
    bounds: IntArray, order: IntArray, is_call: BoolArray, values: FloatArray
) -> FloatArray:
    """(2 × M × S): call and put sums of each row of ``values`` (M × n, one row per metric)
    per strike segment."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    out = np.zeros((2, values.shape[0], max(bounds.shape[0] - 1, 0)))
    if out.shape[2]:
        run = strike_sums_twin if use_twins() else strike_sums_kernel
        run(bounds, order, is_call, values, out)
    return out


@kernel()
def pick_strikes_kernel(starts, stops, strike, score, spot, out):  # type: ignore[no-untyped-def]
    """``out[r]``: strike of ``[starts[r], stops[r])`` with the largest positive finite score;
    ties nearest ``spot[r]``, then the lower strike; NaN when no score is positive."""
    for r in prange(starts.shape[0]):
        best = -1
        for i in range(starts[r], stops[r]):
            k = strike[i]
            s = score[i]
            if not (math.isfinite(k) and math.isfinite(s) and s > 0.0):
                continue
            if best < 0 or s > score[best]:
                best = i
            elif s == score[best]:
                d = abs(k - spot[r])
                db = abs(strike[best] - spot[r])
                if d < db or (d == db and k < strike[best]):
                    best = i
        out[r] = strike[best] if best >= 0 else np.nan


def pick_strikes_twin(
    starts: IntArray,
    stops: IntArray,
    strike: FloatArray,
    score: FloatArray,
    spot: FloatArray,
    out: FloatArray,
) -> None:
    """Plain-Python twin of :func:`pick_strikes_kernel`: the rule of ``engine.analysis.levels._pick``
    written as max, then nearest, then lowest."""
    for r in range(starts.shape[0]):
        k = strike[starts[r] : stops[r]]
        s = score[starts[r] : stops[r]]
        usable = np.isfinite(k) & np.isfinite(s) & (s > 0.0)
        if not usable.any():
            out[r] = math.nan
            continue
        tied = k[usable][s[usable] == s[usable].max()]
        distance = np.abs(tied - spot[r])
        out[r] = float(tied[distance == distance.min()].min())


def pick_strikes(
    starts: IntArray, stops: IntArray, strike: FloatArray, score: FloatArray, spot: FloatArray
) -> FloatArray:
    """Per segment, the strike with the largest positive ``score`` (NaN when none)."""
    out = np.empty(starts.shape[0])
    if out.shape[0]:
        run = pick_strikes_twin if use_twins() else pick_strikes_kernel
        run(starts, stops, strike, score, spot, out)
    return out
