"""Segment primitives of the whole-market analysis: duplicates and stable sorts per segment.

A *segment* is a contiguous range ``[starts[r], stops[r])`` of a per-row array — one
underlying's rows of the market frame (:mod:`engine.analysis.market`). Both kernels run in parallel
over segments and have plain-Python twins, selected by :func:`engine._jit.use_twins`.

=========================  ================================================================
:func:`duplicated_within`  per row, whether its key occurs more than once in its segment
:func:`argsort_within`     a permutation sorting each segment by ``(key_int, key_float)``,
                           stable (rows with equal keys keep their order)
=========================  ================================================================
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import prange

from engine._jit import kernel, use_twins
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "argsort_within",
    "argsort_within_kernel",
    "argsort_within_twin",
    "duplicated_within",
    "duplicated_within_kernel",
    "duplicated_within_twin",
]


@kernel()
def duplicated_within_kernel(starts, stops, keys, out):  # type: ignore[no-untyped-def]
    """``out[i]``: the key of row ``i`` occurs at least twice in the row's segment.

    One open-addressing hash table per segment (the keys are hashes already, so their low
    bits index the table): linear time, every occurrence of a repeated key is marked.
    """
    for r in prange(starts.shape[0]):
        a = starts[r]
        b = stops[r]
        size = 2
        while size < 2 * (b - a):
            size *= 2
        mask = size - 1
        table = np.full(size, -1, dtype=np.int64)
        for i in range(a, b):
            h = (keys[i] ^ (keys[i] >> 31)) & mask
            while True:
                j = table[h]
                if j < 0:
                    table[h] = i
                    break
                if keys[j] == keys[i]:
                    out[i] = True
                    out[j] = True
                    break
                h = (h + 1) & mask


def duplicated_within_twin(
    starts: IntArray, stops: IntArray, keys: IntArray, out: BoolArray
) -> None:
    """Plain-Python twin of :func:`duplicated_within_kernel` (counts per distinct key)."""
    for r in range(starts.shape[0]):
        seg = keys[starts[r] : stops[r]]
        values, inverse, counts = np.unique(seg, return_inverse=True, return_counts=True)
        out[starts[r] : stops[r]] = counts[inverse.reshape(-1)] >= 2 if values.size else False


def duplicated_within(starts: IntArray, stops: IntArray, keys: npt.ArrayLike) -> BoolArray:
    """Per row, whether its int64 key occurs more than once in its segment."""
    k = np.ascontiguousarray(keys, dtype=np.int64)
    out = np.zeros(k.shape[0], dtype=np.bool_)
    if starts.shape[0] and k.shape[0]:
        run = duplicated_within_twin if use_twins() else duplicated_within_kernel
        run(starts, stops, k, out)
    return out


@kernel()
def argsort_within_kernel(starts, stops, key_int, key_float, perm):  # type: ignore[no-untyped-def]
    """``perm[a:b]``: positions of segment ``[a, b)`` sorted by ``(key_int, key_float)``,
    stable. A segment already in order costs one pass; one with a single ``key_int`` value
    one sort."""
    for r in prange(starts.shape[0]):
        a = starts[r]
        b = stops[r]
        ordered = True
        single = True
        for i in range(a + 1, b):
            if key_int[i] != key_int[a]:
                single = False
            if key_int[i] < key_int[i - 1] or (
                key_int[i] == key_int[i - 1] and key_float[i] < key_float[i - 1]
            ):
                ordered = False
        if ordered:
            for i in range(a, b):
                perm[i] = i
            continue
        first = np.argsort(key_float[a:b], kind="mergesort")
        if single:
            for i in range(b - a):
                perm[a + i] = a + first[i]
            continue
        second = np.argsort(key_int[a:b][first], kind="mergesort")
        for i in range(b - a):
            perm[a + i] = a + first[second[i]]


def argsort_within_twin(
    starts: IntArray, stops: IntArray, key_int: IntArray, key_float: FloatArray, perm: IntArray
) -> None:
    """Plain-Python twin of :func:`argsort_within_kernel` (``numpy.lexsort`` per segment)."""
    for r in range(starts.shape[0]):
        a, b = int(starts[r]), int(stops[r])
        perm[a:b] = a + np.lexsort((key_float[a:b], key_int[a:b]))


def argsort_within(
    starts: IntArray, stops: IntArray, key_int: npt.ArrayLike, key_float: npt.ArrayLike
) -> IntArray:
    """Permutation sorting each segment by ``(key_int, key_float)``, stable; positions
    outside every segment map to themselves. ``key_float`` must not hold NaN."""
    ki = np.ascontiguousarray(key_int, dtype=np.int64)
    kf = np.ascontiguousarray(key_float, dtype=np.float64)
    perm = np.arange(ki.shape[0], dtype=np.int64)
    if starts.shape[0] and ki.shape[0]:
        run = argsort_within_twin if use_twins() else argsort_within_kernel
        run(starts, stops, ki, kf, perm)
    return perm
