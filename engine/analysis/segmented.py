"""Segmented Numba kernels of the analysis (:mod:`engine.analysis.single`, :mod:`engine.analysis.market`).

Contracts are grouped by underlying (a single chain is one underlying): the contracts of
underlying ``u`` occupy one contiguous range ``[starts[u], stops[u])`` of every
per-contract array (a *segment*).
Each kernel here solves many small independent problems — one per segment — in one compiled
call, in parallel over segments or over fixed-size work items, and has a plain-Python twin
(the same algorithm and loop order; ``math.exp`` where the kernel uses the vectorizable
:func:`engine._math.exp_neg_`). The public wrappers run the twins when
:func:`engine._jit.use_twins` says so.

===========================  ================================================================
:func:`segment_profile`      the gamma profile of every row of evaluation points over its own
                             segment of contracts (grid rows, refinement brackets): the one
                             profile kernel of the engine
:func:`strike_groups`        per underlying, its rows grouped by strike (hashing, then a sort
                             of the distinct strikes only)
:func:`strike_sums`          per (underlying, strike) group: call and put sums of every metric
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
import numpy.typing as npt
from numba import prange

from engine._jit import kernel, use_twins
from engine._math import exp_constants, exp_neg_
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "BLOCK",
    "LANES",
    "pick_strikes",
    "pick_strikes_kernel",
    "pick_strikes_twin",
    "segment_profile",
    "segment_profile_kernel",
    "segment_profile_twin",
    "strike_groups",
    "strike_groups_kernel",
    "strike_groups_twin",
    "strike_sums",
    "strike_sums_kernel",
    "strike_sums_twin",
    "work_items",
]

BLOCK: Final = 256
"""Contracts per work item of the profile kernel: partial sums are kept per item and added
in item order, so results do not depend on the number of threads."""
LANES: Final = 8
"""Evaluation points per vector (AVX-512 doubles; a multiple of AVX2's 4): rows of points
are padded to whole vectors, since a partial vector would run the scalar remainder loop."""


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

    ``x`` must be finite and positive. Rows are padded to whole vectors of :data:`LANES`
    points (dummy points at ``x = 1``) for the kernel.
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


_MIX: Final = -7046029254386353131  # 0x9E3779B97F4A7C15 as int64: mixes a strike's bits


@kernel()
def strike_groups_kernel(starts, stops, strike, bits, local, head, count):  # type: ignore[no-untyped-def]
    """Per segment ``[a, b) = [starts[r], stops[r])``: ``local[i]`` the rank of row ``i``'s
    strike among the segment's distinct strikes (ascending), ``head[a + s]`` the first row
    with the ``s``-th strike, ``count[r]`` the number of distinct strikes.

    Distinct strikes are found with an open-addressing table over the strikes' bits
    (``bits``: ``strike`` viewed as int64), then only they are sorted: linear in the rows.
    """
    for r in prange(starts.shape[0]):
        a = starts[r]
        b = stops[r]
        first = np.empty(b - a, dtype=np.int64)
        size = 256  # a small table first (it stays in L1); four times larger while over half full
        shift = 56  # 64 - log2(size): the top bits of the product (they depend on every bit)
        while True:
            mask = size - 1
            table = np.full(size, -1, dtype=np.int64)
            k = 0
            full = False
            for i in range(a, b):
                h = ((bits[i] * _MIX) >> shift) & mask
                while True:
                    j = table[h]
                    if j < 0:
                        table[h] = i
                        local[i] = k
                        first[k] = i
                        k += 1
                        break
                    if strike[j] == strike[i]:
                        local[i] = local[j]
                        break
                    h = (h + 1) & mask
                if 2 * k > size:
                    full = True
                    break
            if not full:
                break
            size *= 4
            shift -= 2
        keys = np.empty(k)
        for s in range(k):
            keys[s] = strike[first[s]]
        order = np.argsort(keys)
        rank = np.empty(k, dtype=np.int64)
        for s in range(k):
            rank[order[s]] = s
            head[a + s] = first[order[s]]
        for i in range(a, b):
            local[i] = rank[local[i]]
        count[r] = k


def strike_groups_twin(
    starts: IntArray,
    stops: IntArray,
    strike: FloatArray,
    bits: IntArray,
    local: IntArray,
    head: IntArray,
    count: IntArray,
) -> None:
    """Plain-Python twin of :func:`strike_groups_kernel` (a dict per segment)."""
    for r in range(starts.shape[0]):
        a, b = int(starts[r]), int(stops[r])
        first: dict[float, int] = {}
        for i in range(a, b):
            first.setdefault(float(strike[i]), i)
        ranked = sorted(first)
        rank = {x: s for s, x in enumerate(ranked)}
        for s, x in enumerate(ranked):
            head[a + s] = first[x]
        for i in range(a, b):
            local[i] = rank[float(strike[i])]
        count[r] = len(ranked)


def strike_groups(
    starts: IntArray, stops: IntArray, strike: FloatArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Group the rows of each segment by strike: ``(group, owner, head)`` — ``group[i]`` the
    group of row ``i``, groups numbered by (segment, strike) ascending; per group its
    segment ``owner`` and first row ``head``. Strikes must not be NaN."""
    n = strike.shape[0]
    k = np.ascontiguousarray(strike, dtype=np.float64)
    local = np.zeros(n, dtype=np.int64)
    head = np.zeros(n, dtype=np.int64)
    count = np.zeros(starts.shape[0], dtype=np.int64)
    if n and starts.shape[0]:
        run = strike_groups_twin if use_twins() else strike_groups_kernel
        run(starts, stops, k, k.view(np.int64), local, head, count)
    offsets = np.cumsum(count) - count
    owner = np.repeat(np.arange(starts.shape[0], dtype=np.int64), count)
    within = np.arange(owner.shape[0], dtype=np.int64) - offsets[owner]
    group = local + np.repeat(offsets, stops - starts)
    return group, owner, head[starts[owner] + within]


@kernel()
def strike_sums_kernel(starts, stops, group, is_call, values, out):  # type: ignore[no-untyped-def]
    """``out[0, m, g]`` / ``out[1, m, g]``: the call / put sum of ``values[m]`` over the rows
    of group ``g``, added in row order; parallel over segments (whose groups are their own).
    Works for float and integer ``values`` (exact sums of counts)."""
    n_metrics = values.shape[0]
    for r in prange(starts.shape[0]):
        for i in range(starts[r], stops[r]):
            g = group[i]
            side = 0 if is_call[i] else 1
            for m in range(n_metrics):
                out[side, m, g] += values[m, i]


def strike_sums_twin(
    starts: IntArray,
    stops: IntArray,
    group: IntArray,
    is_call: BoolArray,
    values: npt.NDArray[np.generic],
    out: npt.NDArray[np.generic],
) -> None:
    """Plain-Python twin of :func:`strike_sums_kernel` (the same loop)."""
    for r in range(starts.shape[0]):
        for i in range(int(starts[r]), int(stops[r])):
            side = 0 if is_call[i] else 1
            for m in range(values.shape[0]):
                out[side, m, group[i]] += values[m, i]


def strike_sums(
    starts: IntArray,
    stops: IntArray,
    group: IntArray,
    n_groups: int,
    is_call: BoolArray,
    values: npt.NDArray[np.generic],
) -> npt.NDArray[np.generic]:
    """(2 × M × G): call and put sums of each row of ``values`` (M × n, one row per metric;
    float64 or int64) per group of :func:`strike_groups`."""
    kind = np.int64 if values.dtype.kind in "iu" else np.float64
    v = np.ascontiguousarray(values, dtype=kind)
    out = np.zeros((2, v.shape[0], n_groups), dtype=kind)
    if n_groups and v.shape[1]:
        run = strike_sums_twin if use_twins() else strike_sums_kernel
        run(starts, stops, group, is_call, v, out)
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
