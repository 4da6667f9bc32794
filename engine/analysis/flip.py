"""Zero crossings of the gamma profile and the gamma flip (docs/conventions.md).

Units and conventions
---------------------
Levels, crossings and the flip are hypothetical spots in the underlying's price units
(index points, dollars); profile values are USD of dealer delta change per 1 % move
(:mod:`engine.analysis.profile`). Grid widths and the tolerance are fractions of spot.

Algorithm
---------
1. Grid: ``points`` levels evenly spaced over ``spot · (1 ± width)`` (201 points over ±20 %
   by default; ``points`` odd puts spot itself on the grid). When the grid shows no sign
   change, the next width is tried (±35 %, then ±50 %); the result carries the last grid
   evaluated.
2. Brackets: every pair of consecutive grid points whose values are non-zero with opposite
   signs, ignoring exact zeros between them. A value exactly zero at a grid point is a
   crossing only when the sign actually changes across it (``+ 0 -``); a touch
   (``+ 0 +``) or a zero run at the edge of the grid (``0 0 +``) is not.
3. Refinement on the exact profile, all brackets at once: each step evaluates 8 equally
   spaced interior points of every bracket in one kernel call (multisection, a bisection
   that shrinks brackets ninefold per step) and keeps the first sub-interval where the
   profile leaves the sign it has at the bracket's left end. It stops when every bracket is
   narrower than ``tol · spot`` (``1e-6`` by default: four steps from a 201-point grid).
   The crossing is the secant root inside the final bracket, so it lies within
   ``tol · spot`` of a true sign change. Where the profile is exactly zero on an interval
   between opposite signs, the crossing is the left end of that interval.
4. ``crossings`` are ascending; ``gamma_flip`` is the crossing nearest spot (the lower one
   on an exact tie), ``None`` with status ``no_boundary`` when there is none.

Sign changes closer together than one grid step can hide each other (an even number of
them inside one grid interval shows no sign change); the grid size is a parameter.

The caller chooses which contracts enter the profile: :func:`find_crossings` takes
:class:`~engine.analysis.profile.ProfileTerms`, and :func:`masked_crossings` builds the terms of a
subset (e.g. excluding 0DTE or the next expiry) from the full chain's terms without
recomputing them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from engine.analysis.profile import ProfileTerms, check_spot, evaluate_profile
from engine.typing import FloatArray, IntArray

__all__ = [
    "DEFAULT_POINTS",
    "DEFAULT_TOL",
    "DEFAULT_WIDTHS",
    "FlipResult",
    "FlipStatus",
    "crossings_of",
    "find_crossings",
    "masked_crossings",
    "refine_brackets",
    "sign_change_brackets",
]

FlipStatus = Literal["available", "no_boundary"]

DEFAULT_WIDTHS: Final = (0.20, 0.35, 0.50)
DEFAULT_POINTS: Final = 201
DEFAULT_TOL: Final = 1e-6
SECTIONS: Final = 9  # sub-intervals per refinement step (8 interior points)
MAX_STEPS: Final = 40

Evaluator = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class FlipResult:
    """Crossings of the profile and the flip.

    ``levels`` / ``values``: the last grid evaluated and the profile on it (USD per 1 %).
    ``crossings``: every refined sign change, ascending. ``gamma_flip``: the crossing
    nearest spot, or ``None``. ``status``: ``available`` or ``no_boundary``.
    """

    levels: FloatArray
    values: FloatArray
    crossings: FloatArray
    gamma_flip: float | None
    status: FlipStatus


def sign_change_brackets(values: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """Grid intervals ``(lo, lo + 1)`` holding a sign change of ``values``.

    For each pair of consecutive non-zero values with opposite signs at positions ``p < q``
    (only zeros between them), the bracket is ``(p, p + 1)``: the profile leaves the sign
    of ``values[p]`` inside it or exactly at ``p + 1``. Returns ``(lo, hi)`` index arrays.
    """
    v = np.asarray(values, dtype=np.float64)
    nz = np.flatnonzero(v != 0.0)
    s = np.sign(v[nz])
    change = nz[:-1][s[:-1] != s[1:]]
    lo = change.astype(np.int64)
    return lo, lo + 1


def refine_brackets(
    evaluate: Evaluator,
    a: FloatArray,
    b: FloatArray,
    fa: FloatArray,
    fb: FloatArray,
    tol_abs: float,
) -> FloatArray:
    """Refine brackets ``[a, b]`` to width ``tol_abs`` by vectorized multisection.

    ``evaluate`` takes a 1-D array of points. Precondition per bracket: ``fa != 0`` and
    ``fb`` is zero or of the opposite sign. Each step evaluates :data:`SECTIONS` - 1
    interior points of every open bracket in one call and keeps the first sub-interval
    where the function leaves the sign of ``fa``. Returns, per bracket, the secant root of
    the final bracket (width ``<= tol_abs``), which is the right end exactly when the
    function is zero there, as at an isolated exact zero.
    """
    a = np.array(a, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    fa = np.array(fa, dtype=np.float64)
    fb = np.array(fb, dtype=np.float64)
    frac = np.arange(1, SECTIONS) / SECTIONS
    for _ in range(MAX_STEPS):
        open_ = np.flatnonzero(b - a > tol_abs)
        if open_.size == 0:
            break
        lo, hi = a[open_], b[open_]
        pts = lo[:, None] + (hi - lo)[:, None] * frac[None, :]
        vals = evaluate(pts.reshape(-1)).reshape(pts.shape)
        x = np.concatenate([lo[:, None], pts, hi[:, None]], axis=1)
        f = np.concatenate([fa[open_, None], vals, fb[open_, None]], axis=1)
        left = np.sign(fa[open_])[:, None]
        first = np.argmax(np.sign(f[:, 1:]) != left, axis=1) + 1  # exists: the last column
        rows = np.arange(open_.size)
        a[open_] = x[rows, first - 1]
        fa[open_] = f[rows, first - 1]
        b[open_] = x[rows, first]
        fb[open_] = f[rows, first]
    root = a - fa * (b - a) / (fb - fa)  # fb == 0 gives b exactly
    return np.clip(root, a, b)


def crossings_of(
    evaluate: Evaluator,
    spot: float,
    *,
    widths: Sequence[float] = DEFAULT_WIDTHS,
    points: int = DEFAULT_POINTS,
    tol: float = DEFAULT_TOL,
) -> FlipResult:
    """Crossings and flip of any profile ``evaluate(levels) -> values`` (see module docstring)."""
    s = check_spot(spot)
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    if not widths or any(not (0.0 < w < 1.0) for w in widths):
        raise ValueError(f"widths must be fractions of spot in (0, 1), got {tuple(widths)}")
    if not tol > 0.0:
        raise ValueError(f"tol must be positive, got {tol}")
    levels = values = np.empty(0)
    # -1 .. 1 built from integers: exactly symmetric, exactly 0 in the middle (odd points)
    unit = (2.0 * np.arange(points) - (points - 1)) / (points - 1)
    for width in widths:
        levels = s * (1.0 + width * unit)
        values = np.asarray(evaluate(levels), dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError("the profile is not finite on the grid")
        lo, hi = sign_change_brackets(values)
        if lo.size:
            roots = refine_brackets(
                evaluate, levels[lo], levels[hi], values[lo], values[hi], tol * s
            )
            crossings = np.sort(roots)
            flip = float(crossings[int(np.argmin(np.abs(crossings - s)))])
            return FlipResult(levels, values, crossings, flip, "available")
    return FlipResult(levels, values, np.empty(0), None, "no_boundary")


def find_crossings(
    terms: ProfileTerms,
    *,
    widths: Sequence[float] = DEFAULT_WIDTHS,
    points: int = DEFAULT_POINTS,
    tol: float = DEFAULT_TOL,
) -> FlipResult:
    """Crossings and gamma flip of the profile of ``terms`` around ``terms.spot``."""
    return crossings_of(
        lambda levels: evaluate_profile(terms, levels),
        terms.spot,
        widths=widths,
        points=points,
        tol=tol,
    )


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
