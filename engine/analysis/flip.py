"""Zero crossings of the gamma profile and the gamma flip, of one or many underlyings (docs/conventions.md).

Units and conventions
---------------------
Levels, crossings and the flip are hypothetical spots in the underlying's price units
(index points, dollars); profile values are USD of dealer delta change per 1 % move
(:mod:`engine.analysis.profile`). Grid widths and the tolerance are fractions of spot.

Algorithm (:func:`search`: every underlying of a market at once; a single chain is a market
of one underlying)
----------------------------------------------------------------------------------------
1. Grid: ``points`` levels ``S·(1 + width·unit)`` over ±``width`` of each underlying's own
   spot ``S`` (``unit`` from -1 to 1, built from integers: exactly symmetric, exactly 0 in
   the middle for odd ``points``; 201 points over ±20 % by default). The first grid of
   every underlying is evaluated by the caller in one call (with the spot itself in the
   padding of the row, whose value is the regime). Underlyings whose grid shows no sign
   change are evaluated again on the next width (±35 %, then ±50 %), only those; an
   underlying whose profile is identically zero (no contract with a position) is not.
2. Brackets (:func:`grid_brackets`): consecutive non-zero values of opposite sign, exact
   zeros between them ignored — a value exactly zero at a grid point is a crossing only when
   the sign actually changes across it (``+ 0 -``); a touch (``+ 0 +``) or a zero run at
   the edge of the grid (``0 0 +``) is not.
3. Refinement (:func:`refine_brackets`, the one refinement of the engine): all brackets of
   all underlyings together; each step evaluates 8 equally spaced interior points of every
   open bracket in one kernel call (multisection, a bisection that shrinks brackets
   ninefold per step) and keeps the first sub-interval where the profile leaves the sign it
   has at the bracket's left end, until every bracket is narrower than ``tol`` times its
   underlying's spot (``1e-6``: four steps from a 201-point grid). The crossing is the
   secant root inside the final bracket, so it lies within ``tol · S`` of a true sign
   change; where the profile is exactly zero on an interval between opposite signs, it is
   the left end of that interval.
4. Crossings ascending per underlying; the flip is the one nearest spot (the lower on a
   tie), none (status ``no_boundary``) when there is no crossing.

Sign changes closer together than one grid step can hide each other (an even number of
them inside one grid interval shows no sign change); the grid size is a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from engine.analysis.profile import ProfileTerms, check_spot, profile_at
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "DEFAULT_POINTS",
    "DEFAULT_TOL",
    "DEFAULT_WIDTHS",
    "Crossings",
    "FlipResult",
    "FlipStatus",
    "check_grid",
    "crossings_of",
    "find_crossings",
    "grid_brackets",
    "grid_levels",
    "masked_crossings",
    "refine_brackets",
    "search",
    "sign_change_brackets",
    "terms_evaluator",
]

FlipStatus = Literal["available", "no_boundary"]

DEFAULT_WIDTHS: Final = (0.20, 0.35, 0.50)
DEFAULT_POINTS: Final = 201
DEFAULT_TOL: Final = 1e-6
SECTIONS: Final = 9  # sub-intervals per refinement step (8 interior points)
MAX_STEPS: Final = 40

Evaluator = Callable[[IntArray, FloatArray], FloatArray]
"""``evaluate(owners, levels) -> values``: the profile of underlying ``owners[r]`` at the
levels of row ``r`` (R × L in, R × L out)."""


@dataclass(frozen=True)
class FlipResult:
    """Crossings of one underlying's profile and the flip.

    ``levels`` / ``values``: the last grid evaluated and the profile on it (USD per 1 %).
    ``crossings``: every refined sign change, ascending. ``gamma_flip``: the crossing
    nearest spot, or ``None``. ``status``: ``available`` or ``no_boundary``.
    """

    levels: FloatArray
    values: FloatArray
    crossings: FloatArray
    gamma_flip: float | None
    status: FlipStatus


@dataclass(frozen=True, slots=True)
class Crossings:
    """Per underlying: ``flip`` (NaN: none), ``n_crossings``, and every crossing in
    ``crossings[offsets[u] : offsets[u + 1]]`` (ascending). Per searched underlying (the
    order of ``active``): ``last_width`` (index into the widths) and ``last_values`` (the
    profile on that last grid evaluated, one row each)."""

    flip: FloatArray
    n_crossings: IntArray
    crossings: FloatArray
    offsets: IntArray
    last_width: IntArray
    last_values: FloatArray


def check_grid(widths: Sequence[float], points: int, tol: float) -> None:
    """``ValueError`` unless the grid parameters are usable."""
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    if not widths or any(not (0.0 < w < 1.0) for w in widths):
        raise ValueError(f"widths must be fractions of spot in (0, 1), got {tuple(widths)}")
    if not tol > 0.0:
        raise ValueError(f"tol must be positive, got {tol}")


def grid_levels(spots: FloatArray, width: float, points: int) -> FloatArray:
    """(R × points) grid levels ``S·(1 + width·unit)`` (step 1 of the module docstring)."""
    unit = (2.0 * np.arange(points) - (points - 1)) / (points - 1)
    return spots[:, None] * (1.0 + width * unit)[None, :]


def grid_brackets(values: FloatArray) -> tuple[IntArray, IntArray]:
    """Sign-change brackets of each row: ``(row, lo)`` with the bracket ``(lo, lo + 1)``.

    For consecutive non-zero values at ``p < q`` of one row (only zeros between them) with
    opposite signs, the bracket starts at ``p``: the profile leaves the sign of
    ``values[p]`` inside it or exactly at ``p + 1``. Rows ascending, brackets ascending
    within a row.
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


def sign_change_brackets(values: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """:func:`grid_brackets` of one row: ``(lo, lo + 1)`` index arrays."""
    _, lo = grid_brackets(np.asarray(values, dtype=np.float64).reshape(1, -1))
    return lo, lo + 1


def refine_brackets(
    evaluate: Evaluator,
    a: FloatArray,
    b: FloatArray,
    fa: FloatArray,
    fb: FloatArray,
    tol_abs: float | FloatArray,
    owner: IntArray | None = None,
) -> FloatArray:
    """Refine brackets ``[a, b]`` to width ``tol_abs`` (per bracket or one for all) by
    vectorized multisection (step 3 of the module docstring).

    ``evaluate(owner[open], points)`` gives the function of each open bracket's underlying
    (``owner``, default all 0) at its (k × 8) interior points. Precondition per bracket:
    ``fa != 0`` and ``fb`` is zero or of the opposite sign. Returns, per bracket, the secant
    root of the final bracket, which is the right end exactly when the function is zero
    there, as at an isolated exact zero.
    """
    a = np.array(a, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    fa = np.array(fa, dtype=np.float64)
    fb = np.array(fb, dtype=np.float64)
    who = np.zeros(a.shape[0], dtype=np.int64) if owner is None else owner
    frac = np.arange(1, SECTIONS) / SECTIONS
    for _ in range(MAX_STEPS):
        open_ = np.flatnonzero(b - a > tol_abs)
        if open_.size == 0:
            break
        left, right = a[open_], b[open_]
        pts = left[:, None] + (right - left)[:, None] * frac[None, :]
        vals = evaluate(who[open_], pts)
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


def search(
    evaluate: Evaluator,
    spots: FloatArray,
    active: IntArray,
    first_values: FloatArray,
    *,
    widths: Sequence[float] = DEFAULT_WIDTHS,
    points: int = DEFAULT_POINTS,
    tol: float = DEFAULT_TOL,
    zero: BoolArray | None = None,
) -> Crossings:
    """Steps 1–4 of the module docstring for the underlyings ``active`` (indices into the
    per-underlying ``spots``), whose profile on the first width's grid is ``first_values``
    (len(active) × points). ``zero`` marks the underlyings whose profile is identically
    zero (never widened). Underlyings not in ``active`` get no crossing."""
    U = spots.shape[0]
    slot = np.full(U, -1, dtype=np.int64)
    slot[active] = np.arange(active.shape[0])
    last_width = np.zeros(active.shape[0], dtype=np.int64)
    last_values = np.array(first_values, dtype=np.float64)
    parts: list[tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]] = []
    todo, values = active, last_values
    for k, width in enumerate(widths):
        if k:
            if zero is not None:
                flat = zero[todo]
                last_width[slot[todo[flat]]] = len(widths) - 1
                last_values[slot[todo[flat]]] = 0.0
                todo = todo[~flat]
            if todo.size == 0:
                break
            levels = grid_levels(spots[todo], width, points)
            values = evaluate(todo, levels)
            last_width[slot[todo]] = k
            last_values[slot[todo]] = values
        if not np.isfinite(values).all():
            raise ValueError("the profile is not finite on the grid")
        rows, cols = grid_brackets(values)
        grid = grid_levels(spots[todo[rows]], width, points)
        r = np.arange(rows.size)
        parts.append(
            (todo[rows], grid[r, cols], grid[r, cols + 1], values[rows, cols],
             values[rows, cols + 1])
        )  # fmt: skip
        found = np.zeros(todo.size, dtype=np.bool_)
        found[rows] = True
        todo = todo[~found]
    lo, hi, f_lo, f_hi = (
        np.concatenate([p[j] for p in parts]) if parts else np.zeros(0) for j in range(1, 5)
    )
    owner: IntArray = np.concatenate([p[0] for p in parts]).astype(np.int64)
    roots = refine_brackets(evaluate, lo, hi, f_lo, f_hi, tol * spots[owner], owner)
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
    return Crossings(flip, n_crossings, roots, offsets, last_width, last_values)


def terms_evaluator(
    terms: ProfileTerms, lo: IntArray, hi: IntArray, spots: FloatArray
) -> Evaluator:
    """The profile of underlying ``u`` — contracts ``[lo[u], hi[u])`` of ``terms``, spot
    ``spots[u]`` — as an :data:`Evaluator`."""
    return lambda owners, levels: profile_at(terms, lo[owners], hi[owners], levels, spots[owners])


def one_result(found: Crossings, spot: float, widths: Sequence[float], points: int) -> FlipResult:
    """The :class:`FlipResult` of the single underlying of a :func:`search`."""
    levels = grid_levels(np.array([spot]), widths[int(found.last_width[0])], points)[0]
    crossings = found.crossings.copy()
    if crossings.size == 0:
        return FlipResult(levels, found.last_values[0], crossings, None, "no_boundary")
    return FlipResult(levels, found.last_values[0], crossings, float(found.flip[0]), "available")


def crossings_of(
    evaluate: Callable[[FloatArray], FloatArray],
    spot: float,
    *,
    widths: Sequence[float] = DEFAULT_WIDTHS,
    points: int = DEFAULT_POINTS,
    tol: float = DEFAULT_TOL,
) -> FlipResult:
    """Crossings and flip of any profile ``evaluate(levels) -> values`` (1-D levels)."""
    s = check_spot(spot)
    check_grid(widths, points, tol)
    spots = np.array([s])

    def rows(owners: IntArray, levels: FloatArray) -> FloatArray:
        flat = np.asarray(evaluate(levels.reshape(-1)), dtype=np.float64)
        return flat.reshape(levels.shape)

    first = rows(np.zeros(1, dtype=np.int64), grid_levels(spots, widths[0], points))
    found = search(rows, spots, np.zeros(1, dtype=np.int64), first, widths=widths,
                   points=points, tol=tol)  # fmt: skip
    return one_result(found, s, widths, points)


def find_crossings(
    terms: ProfileTerms,
    *,
    widths: Sequence[float] = DEFAULT_WIDTHS,
    points: int = DEFAULT_POINTS,
    tol: float = DEFAULT_TOL,
) -> FlipResult:
    """Crossings and gamma flip of the profile of ``terms`` (one underlying) around
    ``terms.spot``."""
    s = check_spot(terms.spot)
    check_grid(widths, points, tol)
    one = np.zeros(1, dtype=np.int64)
    evaluate = terms_evaluator(terms, one, np.full(1, terms.count, dtype=np.int64), np.ones(1))
    spots = np.array([s])
    first = evaluate(one, grid_levels(spots, widths[0], points))
    found = search(
        evaluate, spots, one, first, widths=widths, points=points, tol=tol,
        zero=np.array([terms.count == 0]),
    )  # fmt: skip
    return one_result(found, s, widths, points)


def masked_crossings(
    terms: ProfileTerms,
    keep: npt.ArrayLike,
    *,
    widths: Sequence[float] = DEFAULT_WIDTHS,
    points: int = DEFAULT_POINTS,
    tol: float = DEFAULT_TOL,
) -> FlipResult:
    """Crossings of the profile of the contracts where ``keep`` is true.

    ``keep`` is a boolean mask over the contracts ``terms`` was built from (e.g.
    ``~is_0dte`` or ``expiration != next_expiry``); only the kept terms are copied.
    """
    return find_crossings(terms.select(keep), widths=widths, points=points, tol=tol)
