"""Numba kernels of the forward fit and the smile (:mod:`engine.pricing.forward`, :mod:`engine.pricing.smile`).

Each kernel loops over many small groups (strike segments, expiry groups, gap rows) in one
compiled call and has a plain-Python twin; the wrappers pick the twin when
:func:`engine._jit.use_twins` says so:

==========================  ==================================================================
:func:`best_quotes`         per (expiry, strike) segment, the tightest usable call and put
                            (the earlier row on an equal spread)
:func:`segment_max`         the largest finite value per (expiry, strike) segment
:func:`interpolate_gaps`    ``numpy.interp`` of total variance at each gap row over its
                            expiry's knots (same search and formula), with an "outside the
                            knots" flag
==========================  ==================================================================
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from engine._jit import kernel, use_twins
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "best_quotes",
    "best_quotes_kernel",
    "best_quotes_twin",
    "interpolate_gaps",
    "interpolate_gaps_kernel",
    "interpolate_gaps_twin",
    "segment_max",
    "segment_max_kernel",
    "segment_max_twin",
]


@kernel()
def best_quotes_kernel(seg_starts, perm, is_call, spread, best_call, best_put):  # type: ignore[no-untyped-def]
    """Rows ``perm[seg_starts[s] : seg_starts[s + 1]]`` form segment ``s``; the call and the
    put with the smallest finite ``spread`` (the first on a tie), or -1."""
    for s in prange(seg_starts.shape[0] - 1):
        bc = -1
        bp = -1
        for j in range(seg_starts[s], seg_starts[s + 1]):
            r = perm[j]
            w = spread[r]
            if not math.isfinite(w):
                continue
            if is_call[r]:
                if bc < 0 or w < spread[bc]:
                    bc = r
            elif bp < 0 or w < spread[bp]:
                bp = r
        best_call[s] = bc
        best_put[s] = bp


def best_quotes_twin(
    seg_starts: IntArray,
    perm: IntArray,
    is_call: BoolArray,
    spread: FloatArray,
    best_call: IntArray,
    best_put: IntArray,
) -> None:
    """Plain-Python twin of :func:`best_quotes_kernel` (``argmin`` per side)."""
    for s in range(seg_starts.shape[0] - 1):
        rows = perm[seg_starts[s] : seg_starts[s + 1]]
        for side, out in ((True, best_call), (False, best_put)):
            cand = rows[(is_call[rows] == side) & np.isfinite(spread[rows])]
            out[s] = int(cand[int(np.argmin(spread[cand]))]) if cand.size else -1


def best_quotes(
    seg_starts: IntArray, perm: IntArray, is_call: BoolArray, spread: FloatArray
) -> tuple[IntArray, IntArray]:
    """``(best_call, best_put)`` row per segment (-1 where the side has no usable quote)."""
    n = seg_starts.shape[0] - 1
    best_call = np.full(max(n, 0), -1, dtype=np.int64)
    best_put = np.full(max(n, 0), -1, dtype=np.int64)
    if n > 0:
        run = best_quotes_twin if use_twins() else best_quotes_kernel
        run(seg_starts, perm, is_call, spread, best_call, best_put)
    return best_call, best_put


@kernel()
def interpolate_gaps_kernel(x, lo, hi, knot_x, knot_w, out, outside):  # type: ignore[no-untyped-def]
    """``out[i] = numpy.interp(x[i], knot_x[lo:hi], knot_w[lo:hi])`` (NaN when ``lo == hi``),
    ``outside[i]``: ``x[i]`` lies beyond the first or last knot. Knots ascending in x."""
    for i in prange(x.shape[0]):
        a = lo[i]
        b = hi[i]
        v = x[i]
        outside[i] = False
        if b <= a:
            out[i] = np.nan
            continue
        outside[i] = v < knot_x[a] or v > knot_x[b - 1]
        if b - a == 1 or v < knot_x[a]:
            out[i] = knot_w[a]
            continue
        if v > knot_x[b - 1]:
            out[i] = knot_w[b - 1]
            continue
        imin = a
        imax = b
        while imin < imax:  # last j with knot_x[j] <= v
            imid = imin + ((imax - imin) >> 1)
            if v >= knot_x[imid]:
                imin = imid + 1
            else:
                imax = imid
        j = imin - 1
        if j == b - 1 or knot_x[j] == v:
            out[i] = knot_w[j]
            continue
        slope = (knot_w[j + 1] - knot_w[j]) / (knot_x[j + 1] - knot_x[j])
        res = slope * (v - knot_x[j]) + knot_w[j]
        if math.isnan(res):
            res = slope * (v - knot_x[j + 1]) + knot_w[j + 1]
            if math.isnan(res) and knot_w[j] == knot_w[j + 1]:
                res = knot_w[j]
        out[i] = res


def interpolate_gaps_twin(
    x: FloatArray,
    lo: IntArray,
    hi: IntArray,
    knot_x: FloatArray,
    knot_w: FloatArray,
    out: FloatArray,
    outside: BoolArray,
) -> None:
    """Plain-Python twin of :func:`interpolate_gaps_kernel`: ``numpy.interp`` itself."""
    for i in range(x.shape[0]):
        a, b = int(lo[i]), int(hi[i])
        if b <= a:
            out[i], outside[i] = math.nan, False
            continue
        xk, wk = knot_x[a:b], knot_w[a:b]
        out[i] = float(np.interp(x[i], xk, wk))
        outside[i] = bool(x[i] < xk[0] or x[i] > xk[-1])


def interpolate_gaps(
    x: FloatArray, lo: IntArray, hi: IntArray, knot_x: FloatArray, knot_w: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """Interpolated total variance per gap row (NaN without knots) and the outside flag."""
    out = np.empty(x.shape[0])
    outside = np.zeros(x.shape[0], dtype=np.bool_)
    if x.shape[0]:
        run = interpolate_gaps_twin if use_twins() else interpolate_gaps_kernel
        run(x, lo, hi, knot_x, knot_w, out, outside)
    return out, outside


@kernel()
def segment_max_kernel(bounds, perm, values, out):  # type: ignore[no-untyped-def]
    """``out[s]``: the largest finite ``values[perm[j]]`` for ``j`` in
    ``bounds[s] .. bounds[s + 1]``; NaN when none is finite."""
    for s in prange(bounds.shape[0] - 1):
        best = np.nan
        for j in range(bounds[s], bounds[s + 1]):
            v = values[perm[j]]
            if math.isfinite(v) and not v <= best:  # NaN best: the first finite value wins
                best = v
        out[s] = best


def segment_max_twin(bounds: IntArray, perm: IntArray, values: FloatArray, out: FloatArray) -> None:
    """Plain-Python twin of :func:`segment_max_kernel` (``numpy.fmax.reduceat``)."""
    v = values[perm]
    out[:] = np.fmax.reduceat(np.where(np.isfinite(v), v, np.nan), bounds[:-1])


def segment_max(bounds: IntArray, perm: IntArray, values: FloatArray) -> FloatArray:
    """Largest finite value per segment ``perm[bounds[s] : bounds[s + 1]]`` (NaN where none)."""
    n = max(bounds.shape[0] - 1, 0)
    out = np.full(n, np.nan)
    if n:
        run = segment_max_twin if use_twins() else segment_max_kernel
        run(bounds, perm, values, out)
    return out
