"""One implied-vol smile per expiry: at each strike the call and the put share one IV.

Input: per contract its expiry group (one settlement instant of one root of one underlying:
the rows that share a forward), strike, right, the group's forward ``F`` (strike units),
``t`` (years), the IV solved from the contract's own mid quote on that forward
(``iv_quote``, NaN where the quote is missing, crossed or not solvable) and the provider's
IV (``iv_vendor``, NaN where none). The rows are grouped in (group, strike) *segments* by
:func:`engine.pricing.forward.strike_segments`. Output: one IV per segment, given to every contract
of the segment, and a :class:`SmileSource` code (``docs/conventions.md``, "Implied vols").

The strike's IV is the first available of:

1. ``quote_otm`` — the out-of-the-money option's quote: the call's where ``K > F``, the
   put's where ``K < F``; at ``K = F`` exactly the mean of both (the blend at the forward).
   The OTM quote carries the information: the ITM quote's time value is small against its
   spread and, for American options, holds the early-exercise premium.
2. ``quote_itm`` — the in-the-money option's quote, when the OTM side has no solvable one.
3. ``vendor_fallback`` — no solvable quote at the strike: the provider's IV of the OTM
   option, else of the ITM one (counted in ``data_quality.iv_sources``).
4. ``interpolated`` — total variance ``w = σ²t`` linear in log-moneyness ``x = ln(K/F)``
   between the neighbouring strikes that have an IV; ``extrapolated`` beyond the outermost
   ones (flat total variance: the wing's vol).
5. ``unavailable`` — none of the above (NaN): such contracts cannot be priced.

Because call and put at a strike then have the same S, K, T, r, carry and σ, their gammas
(and vannas) are equal, as parity requires of European options.
"""

from __future__ import annotations

from enum import IntEnum
from types import MappingProxyType
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from engine.pricing.kernels import interpolate_gaps, segment_max
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = ["SMILE_SOURCE_NAMES", "SmileFill", "SmileSource", "strike_smile"]


class SmileSource(IntEnum):
    """Where a strike's IV comes from (int8 in :attr:`SmileFill.source`)."""

    QUOTE_OTM = 0
    QUOTE_ITM = 1
    VENDOR_FALLBACK = 2
    INTERPOLATED = 3
    EXTRAPOLATED = 4
    UNAVAILABLE = 5


SMILE_SOURCE_NAMES: Final = MappingProxyType({int(s): s.name.lower() for s in SmileSource})
"""Source code -> snake_case name (``0 -> "quote_otm"``, ``2 -> "vendor_fallback"`` …)."""


class SmileFill(NamedTuple):
    """Per row: the IV (decimal, NaN only where ``unavailable``) and its source code."""

    iv: FloatArray
    source: npt.NDArray[np.int8]


def _first(*candidates: tuple[FloatArray, int]) -> tuple[FloatArray, npt.NDArray[np.int8]]:
    """The first finite candidate per segment and the code that goes with it."""
    n = candidates[0][0].shape[0]
    value = np.full(n, np.nan)
    code = np.full(n, SmileSource.UNAVAILABLE, dtype=np.int8)
    for values, c in candidates:
        take = np.isnan(value) & np.isfinite(values) & (values > 0.0)
        value[take] = values[take]
        code[take] = c
    return value, code


def strike_smile(
    perm: IntArray,
    bounds: IntArray,
    seg: IntArray,
    gid: IntArray,
    strike: FloatArray,
    is_call: BoolArray,
    forward: FloatArray,
    t: FloatArray,
    iv_quote: FloatArray,
    iv_vendor: FloatArray,
) -> SmileFill:
    """One IV per (group, strike) segment, given to each row (see the module docstring).

    ``perm``/``bounds``/``seg`` from :func:`engine.pricing.forward.strike_segments` (segments
    ascending by group, then strike); every other argument is one value per row.
    """
    n_seg = max(bounds.shape[0] - 1, 0)
    if n_seg == 0:
        return SmileFill(np.zeros(0), np.zeros(0, dtype=np.int8))
    first = perm[bounds[:-1]]
    K, F, T, g = strike[first], forward[first], t[first], gid[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        placeable = (K > 0) & (F > 0) & (T > 0) & np.isfinite(K) & np.isfinite(F) & np.isfinite(T)
        x = np.where(placeable, np.log(K / F), np.nan)

    def side(values: FloatArray, call: bool) -> FloatArray:
        return segment_max(bounds, perm, np.where(is_call == call, values, np.nan))

    cq, pq = side(iv_quote, True), side(iv_quote, False)
    cv, pv = side(iv_vendor, True), side(iv_vendor, False)
    above, below = K > F, K < F
    with np.errstate(invalid="ignore"):
        at_f = np.where(np.isfinite(cq) & np.isfinite(pq), 0.5 * (cq + pq), np.fmax(cq, pq))
    otm_q = np.where(above, cq, np.where(below, pq, at_f))
    itm_q = np.where(above, pq, np.where(below, cq, np.nan))
    otm_v = np.where(above, cv, np.where(below, pv, np.fmax(cv, pv)))
    itm_v = np.where(above, pv, np.where(below, cv, np.nan))
    vol, code = _first(
        (otm_q, SmileSource.QUOTE_OTM),
        (itm_q, SmileSource.QUOTE_ITM),
        (otm_v, SmileSource.VENDOR_FALLBACK),
        (itm_v, SmileSource.VENDOR_FALLBACK),
    )
    vol[~placeable] = np.nan
    code[~placeable] = SmileSource.UNAVAILABLE

    knots = np.flatnonzero(np.isfinite(vol))
    kx, kw, kg = x[knots], vol[knots] ** 2 * T[knots], g[knots]
    if ((kg[1:] < kg[:-1]) | ((kg[1:] == kg[:-1]) & (kx[1:] < kx[:-1]))).any():
        order = np.lexsort((kx, kg))
        kx, kw, kg = kx[order], kw[order], kg[order]
    gaps = np.flatnonzero(np.isnan(vol) & placeable)
    lo = np.searchsorted(kg, g[gaps], side="left").astype(np.int64)
    hi = np.searchsorted(kg, g[gaps], side="right").astype(np.int64)
    w, outside = interpolate_gaps(x[gaps], lo, hi, kx, kw)
    filled = hi > lo
    rows = gaps[filled]
    vol[rows] = np.sqrt(w[filled] / T[rows])
    code[rows] = np.where(outside[filled], SmileSource.EXTRAPOLATED, SmileSource.INTERPOLATED)
    return SmileFill(vol[seg], code[seg])
