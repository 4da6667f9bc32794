"""Strike grids like the listed ones: fine near the money, wider further out.

Each expiry slice gets five bands of strikes around its reference price ``S`` (the previous
close, so the grid does not move intraday), in log-moneyness units of ``s = vol ·
√max(T, 10/365)`` (short expiries keep the range they were listed with) times a
per-slice ``width``:

==========  ===============================  ==========
band        range of ln(K/S)                 increment
==========  ===============================  ==========
far below   [-6.0 s (≥ -2.3), mid below)     ``step3``
mid below   [-3.0 s, near below)             ``step2``
near        [-1.2 s, +0.8 s] (±2 % to ±8 %)  ``step1``
mid above   (near above, +1.6 s]             ``step2``
far above   (mid above, +2.6 s (≤ +0.7)]     ``step3``
==========  ===============================  ==========

Band edges snap to multiples of the coarser increment, so every strike is a multiple of its
band's increment and the grid is strictly increasing, without duplicates and without a gap
wider than ``step3``. Strikes are
integers in thousandths of the price unit ("milli"), which keeps the arithmetic exact and is
the OSI strike field directly.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["Grid", "grid", "segment_ranges"]

Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]

BANDS: Final = {"far": (-6.0, 2.6), "mid": (-3.0, 1.6), "near": (-1.2, 0.8)}
NEAR_LIMITS: Final = (0.02, 0.08)
FAR_LIMITS: Final = (-2.3, 0.7)


def segment_ranges(starts: Int, steps: Int, counts: Int) -> tuple[Int, Int]:
    """Concatenate ``start + step · i`` for ``i < count`` of every segment, without a loop.

    Returns (segment index of each value, the values).
    """
    counts = np.maximum(counts, 0)
    total = int(counts.sum())
    seg = np.repeat(np.arange(counts.size), counts)
    first = np.cumsum(counts) - counts
    offset = np.arange(total, dtype=np.int64) - np.repeat(first, counts)
    return seg, starts[seg] + steps[seg] * offset


class Grid:
    """Strikes of many slices: ``slice_of`` (row -> slice index) and ``strike_milli``."""

    __slots__ = ("slice_of", "strike_milli")

    def __init__(self, slice_of: Int, strike_milli: Int) -> None:
        self.slice_of = slice_of
        self.strike_milli = strike_milli


def _floor(x: Float, step: Int) -> Int:
    return np.floor(x / step).astype(np.int64) * step


def _ceil(x: Float, step: Int) -> Int:
    return np.ceil(x / step).astype(np.int64) * step


def grid(ref: Float, vol_sqrt_t: Float, width: Float, steps_milli: Int) -> Grid:
    """Strike grids of ``n`` slices.

    ``ref``: reference prices (n,); ``vol_sqrt_t``: ``vol · √max(T, 10/365)`` (n,);
    ``width``: band multiplier (n,); ``steps_milli``: (n, 3) increments in milli, each a
    multiple of the one before.
    """
    s = vol_sqrt_t * width
    ref_m = ref * 1000.0
    st1, st2, st3 = (steps_milli[:, i].astype(np.int64) for i in range(3))

    def edge(lo: bool, band: str) -> Float:
        mult = BANDS[band][0 if lo else 1] * s
        if band == "near":
            mult = np.clip(np.abs(mult), *NEAR_LIMITS) * (-1.0 if lo else 1.0)
        if band == "far":
            mult = np.maximum(mult, FAR_LIMITS[0]) if lo else np.minimum(mult, FAR_LIMITS[1])
        return ref_m * np.exp(mult)

    a1 = np.maximum(_floor(edge(True, "near"), st2), st2)
    b1 = np.maximum(_ceil(edge(False, "near"), st2), a1)
    a2 = np.maximum(np.minimum(_floor(edge(True, "mid"), st3), a1), st3)
    a2 = np.minimum(a2, a1)
    b2 = np.maximum(_ceil(edge(False, "mid"), st3), b1)
    a3 = np.minimum(np.maximum(_ceil(edge(True, "far"), st3), st3), a2)
    b3 = np.maximum(_floor(edge(False, "far"), st3), b2)
    f3 = (b2 // st3 + 1) * st3  # first far-above strike: the next multiple of step3
    starts = np.stack([a3, a2, a1, b1 + st2, f3], axis=1)
    steps = np.stack([st3, st2, st1, st2, st3], axis=1)
    counts = np.stack(
        [
            -((a3 - a2) // st3),  # ceil: up to just below a2 (which may sit off the step3 lattice)
            (a1 - a2) // st2,
            (b1 - a1) // st1 + 1,
            (b2 - b1) // st2,
            (b3 - f3) // st3 + 1,
        ],
        axis=1,
    )
    seg, values = segment_ranges(starts.ravel(), steps.ravel(), counts.ravel())
    return Grid(seg // 5, values)
