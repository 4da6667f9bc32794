"""Gamma profile, crossings and flip of every underlying of a market (docs/conventions.md).

The rules are those of :mod:`engine.analysis.flip` applied to each underlying on its own, with all
underlyings batched into a few kernel calls (:func:`engine.analysis.segmented.segment_profile`):

1. Grid: ``points`` levels ``S·(1 + width·unit)`` over ±``width`` of each underlying's own
   spot ``S`` (``unit`` from -1 to 1, built from integers as in :mod:`engine.analysis.flip`), plus
   the spot itself (the profile at spot, whose sign is the regime). The whole market's grid
   is one (U × points) evaluation.
2. Brackets on the (U × points) matrix, vectorized: consecutive non-zero values of opposite
   sign, exact zeros between them ignored (``+ 0 -`` is a crossing, ``+ 0 +`` is not).
3. Widening: underlyings without a bracket are evaluated again on the next width (±35 %,
   ±50 %), only those; an underlying whose contracts all have zero weight is skipped (its
   profile is identically zero).
4. Refinement of all brackets of all underlyings together: each step evaluates 8 interior
   points of every open bracket in one kernel call (multisection, as
   :func:`engine.analysis.flip.refine_brackets`) until every bracket is narrower than ``tol`` times
   its underlying's spot; the crossing is the secant root inside the final bracket.
5. Crossings ascending per underlying; the flip is the one nearest spot (the lower on a
   tie), NaN with status ``no_boundary`` when none exists.

Levels in each underlying's price units; profile values in USD per 1 % move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.analysis.flip import MAX_STEPS, SECTIONS
from engine.analysis.profile import ProfileTerms
from engine.analysis.segmented import segment_profile
from engine.typing import FloatArray, IntArray

__all__ = ["MarketFlip", "find_market_crossings", "grid_brackets", "profile_at"]


@dataclass(frozen=True, slots=True)
class MarketFlip:
    """Per underlying: ``flip`` (NaN: none), ``n_crossings``, and every crossing in
    ``crossings[offsets[u] : offsets[u + 1]]`` (ascending)."""

    flip: FloatArray
    n_crossings: IntArray
    crossings: FloatArray
    offsets: IntArray


def profile_at(
    terms: ProfileTerms, lo: IntArray, hi: IntArray, levels: FloatArray, spots: FloatArray
) -> FloatArray:
    """Profile of row ``r`` (contracts ``[lo[r], hi[r])`` of ``terms``) at ``levels[r, :]``,
    hypothetical spots of an underlying whose spot is ``spots[r]``; (R × L) USD per 1 %."""
    x = levels / spots[:, None]
    return segment_profile(lo, hi, x, terms.shift, terms.inv_vst, terms.coef)


def _unit(points: int) -> FloatArray:
    """-1 .. 1 from integers: exactly symmetric, exactly 0 in the middle (odd points)."""
    return (2.0 * np.arange(points) - (points - 1)) / (points - 1)


def grid_levels(spots: FloatArray, width: float, points: int) -> FloatArray:
    """(R × points) grid levels ``S·(1 + width·unit)``, as :func:`engine.analysis.flip.crossings_of`."""
    return spots[:, None] * (1.0 + width * _unit(points))[None, :]


def grid_brackets(values: FloatArray) -> tuple[IntArray, IntArray]:
    """Sign-change brackets of each row: ``(row, lo)`` with the bracket ``(lo, lo + 1)``.

    For consecutive non-zero values at ``p < q`` of one row (only zeros between them) with
    opposite signs, the bracket starts at ``p`` (:func:`engine.analysis.flip.sign_change_brackets`).
    Rows in ascending order, brackets ascending within a row.
    """
    R, G = values.shape
    if R == 0 or G == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    nonzero = values != 0.0
    last = np.maximum.accumulate(np.where(nonzero, np.arange(G), -1), axis=1)
    prev = np.full((R, G), -1, dtype=np.int64)
    prev[:, 1:] = last[:, :-1]  # last non-zero position strictly before each column
    sign = np.sign(values)
    prev_sign = np.take_along_axis(sign, np.maximum(prev, 0), axis=1)
    change = nonzero & (prev >= 0) & (sign != prev_sign)
    rows, cols = np.nonzero(change)
    return rows.astype(np.int64), prev[rows, cols]


def _refine(
    terms: ProfileTerms,
    lo: IntArray,
    hi: IntArray,
    spots: FloatArray,
    a: FloatArray,
    b: FloatArray,
    fa: FloatArray,
    fb: FloatArray,
    tol_abs: FloatArray,
) -> FloatArray:
    """:func:`engine.analysis.flip.refine_brackets` for brackets of many underlyings (per-bracket
    contract ranges ``lo``/``hi``, spots and tolerances)."""
    frac = np.arange(1, SECTIONS) / SECTIONS
    for _ in range(MAX_STEPS):
        open_ = np.flatnonzero(b - a > tol_abs)
        if open_.size == 0:
            break
        left, right = a[open_], b[open_]
        pts = left[:, None] + (right - left)[:, None] * frac[None, :]
        vals = profile_at(terms, lo[open_], hi[open_], pts, spots[open_])
        x = np.concatenate([left[:, None], pts, right[:, None]], axis=1)
        f = np.concatenate([fa[open_, None], vals, fb[open_, None]], axis=1)
        sign = np.sign(fa[open_])[:, None]
        first = np.argmax(np.sign(f[:, 1:]) != sign, axis=1) + 1  # exists: the last column
        rows = np.arange(open_.size)
        a[open_] = x[rows, first - 1]
        fa[open_] = f[rows, first - 1]
        b[open_] = x[rows, first]
        fb[open_] = f[rows, first]
    root = a - fa * (b - a) / (fb - fa)  # fb == 0 gives b exactly
    return np.clip(root, a, b)


def find_market_crossings(
    terms: ProfileTerms,
    lo: IntArray,
    hi: IntArray,
    spots: FloatArray,
    active: IntArray,
    first_values: FloatArray,
    *,
    widths: Sequence[float],
    points: int,
    tol: float,
) -> MarketFlip:
    """Steps 2–5 of the module docstring.

    ``lo``/``hi``/``spots`` are per underlying (U); ``active`` lists the underlyings
    analysed and ``first_values`` their profile on the first width's grid (len(active) ×
    points). Underlyings not in ``active`` get no crossing.
    """
    U = spots.shape[0]
    br_u: list[IntArray] = []
    br_lo: list[FloatArray] = []
    br_hi: list[FloatArray] = []
    br_flo: list[FloatArray] = []
    br_fhi: list[FloatArray] = []
    todo = active
    values = first_values
    for k, width in enumerate(widths):
        if k:
            todo = todo[hi[todo] > lo[todo]]  # an all-zero-weight profile never changes sign
            if todo.size == 0:
                break
            values = profile_at(
                terms, lo[todo], hi[todo], grid_levels(spots[todo], width, points), spots[todo]
            )
        if not np.isfinite(values).all():
            raise ValueError("the profile is not finite on the grid")
        rows, cols = grid_brackets(values)
        levels = grid_levels(spots[todo[rows]], width, points)
        r = np.arange(rows.size)
        br_u.append(todo[rows])
        br_lo.append(levels[r, cols])
        br_hi.append(levels[r, cols + 1])
        br_flo.append(values[rows, cols])
        br_fhi.append(values[rows, cols + 1])
        found = np.zeros(todo.size, dtype=np.bool_)
        found[rows] = True
        todo = todo[~found]
    owner = np.concatenate(br_u) if br_u else np.zeros(0, dtype=np.int64)
    roots = _refine(
        terms,
        lo[owner],
        hi[owner],
        spots[owner],
        np.concatenate(br_lo) if br_lo else np.zeros(0),
        np.concatenate(br_hi) if br_hi else np.zeros(0),
        np.concatenate(br_flo) if br_flo else np.zeros(0),
        np.concatenate(br_fhi) if br_fhi else np.zeros(0),
        tol * spots[owner],
    )
    order = np.lexsort((roots, owner))
    owner, roots = owner[order], roots[order]
    n_crossings = np.bincount(owner, minlength=U).astype(np.int64)
    offsets = np.zeros(U + 1, dtype=np.int64)
    np.cumsum(n_crossings, out=offsets[1:])
    flip = np.full(U, np.nan)
    if roots.size:
        nearest = np.lexsort((np.abs(roots - spots[owner]), owner))  # stable: lower on a tie
        head = np.ones(nearest.size, dtype=np.bool_)
        head[1:] = owner[nearest[1:]] != owner[nearest[:-1]]
        flip[owner[nearest[head]]] = roots[nearest[head]]
    return MarketFlip(flip, n_crossings, roots, offsets)
