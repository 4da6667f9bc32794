"""Filling a chain's implied vols within each expiry's smile, with a source flag per row.

Input: one row per contract, in any order — an expiry group id (one expiry of one root: the
rows that share a settlement instant and a forward), strike, right, the row's forward F
(in the strike's units), t (years), the IV so far (decimal; NaN where the vendor sent none
and none could be solved) and whether that IV is the vendor's. Output: the filled IV and a
:class:`SmileSource` code per row, in input order.

Two steps, per expiry group:

1. **OTM substitution.** At each strike the out-of-the-money option (call with K >= F, put
   with K <= F; at K = F both count as OTM) carries the information; the in-the-money
   quote's time value is small against its spread, and for American options it carries
   the early-exercise premium. An ITM row takes the IV of the OTM option at the same strike
   (same group), when that one has an IV, if

   - its own IV is missing, or
   - it is *deep* in the money — ``|ln(K/F)| >= deep_itm_sd · σ_otm · √t`` — and its IV
     was solved (not the vendor's, unless ``substitute_vendor=True``).

   The default ``deep_itm_sd = 0`` makes every ITM option take the OTM IV (the "OTM smile"
   convention): at one strike both options have the same vega and the OTM quote the tighter
   spread, so its IV is at least as precise, and the call and put then agree, as parity
   says they must. ``deep_itm_sd = 1`` replaces only options more than one standard
   deviation in the money.
2. **Interpolation.** The knots of the group's smile are its strikes with an IV (the OTM
   option's where it has one, else the ITM option's), placed at log-moneyness
   ``x = ln(K/F)`` with total variance ``w = σ²t``. A row still without IV gets ``w``
   linearly interpolated in ``x`` between the neighbouring knots (``interpolated``), or the
   nearest wing knot's ``w`` beyond the outermost knots — flat extrapolation in total
   variance, i.e. the wing's vol (``extrapolated``). A group without any knot leaves its
   gaps ``unavailable`` (NaN), as do rows whose strike, forward or t is not positive and
   finite.

Rows with an IV keep it and their source (``vendor`` / ``solved``) unless step 1 replaces it.
"""

from __future__ import annotations

from enum import IntEnum
from types import MappingProxyType
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from engine.typing import FloatArray

__all__ = ["SMILE_SOURCE_NAMES", "SmileFill", "SmileSource", "fill_smile"]


class SmileSource(IntEnum):
    """Where a row's IV comes from (int8 in :attr:`SmileFill.source`)."""

    VENDOR = 0
    SOLVED = 1
    OTM_SUBSTITUTED = 2
    INTERPOLATED = 3
    EXTRAPOLATED = 4
    UNAVAILABLE = 5


SMILE_SOURCE_NAMES: Final = MappingProxyType({int(s): s.name.lower() for s in SmileSource})
"""Source code -> snake_case name (``0 -> "vendor"``, ``2 -> "otm_substituted"`` …)."""


class SmileFill(NamedTuple):
    """Filled IV (decimal, NaN only where ``unavailable``) and its source, in input order."""

    iv: FloatArray
    source: npt.NDArray[np.int8]


def _segment_max(values: FloatArray, seg: npt.NDArray[np.intp], n_seg: int) -> FloatArray:
    """Largest finite value per segment (NaN where none)."""
    out = np.full(n_seg, -np.inf)
    finite = np.isfinite(values)
    np.maximum.at(out, seg[finite], values[finite])
    out[out == -np.inf] = np.nan
    return out


def fill_smile(
    group: npt.ArrayLike,
    strike: npt.ArrayLike,
    is_call: npt.ArrayLike,
    forward: npt.ArrayLike,
    t: npt.ArrayLike,
    iv: npt.ArrayLike,
    vendor: npt.ArrayLike,
    *,
    deep_itm_sd: float = 0.0,
    substitute_vendor: bool = False,
) -> SmileFill:
    """Fill missing and deep-ITM implied vols within each expiry group (see the module doc).

    All arguments are 1-d columns of one length, or scalars (broadcast). ``vendor`` is True
    where ``iv`` is the provider's own value. Raises ``ValueError`` for columns of other
    shapes.
    """
    args = [np.asarray(a) for a in (group, strike, is_call, forward, t, iv, vendor)]
    shape = np.broadcast_shapes(*(a.shape for a in args))
    if len(shape) > 1:
        raise ValueError(f"fill_smile takes 1-d columns, got shape {shape}")
    n = shape[0] if shape else 1
    grp, K, call, F, T, vol, from_vendor = (np.broadcast_to(a, (n,)) for a in args)
    _, gid_ = np.unique(grp, return_inverse=True)
    gid = gid_.reshape(-1)
    K = K.astype(np.float64)
    call = call.astype(np.bool_)
    F = F.astype(np.float64)
    T = T.astype(np.float64)
    vol = vol.astype(np.float64)  # a copy: filled in place below
    from_vendor = from_vendor.astype(np.bool_)

    with np.errstate(invalid="ignore", divide="ignore"):
        placeable = (K > 0) & (F > 0) & (T > 0) & np.isfinite(K) & np.isfinite(F) & np.isfinite(T)
        x = np.where(placeable, np.log(K / F), np.nan)
        vol[~(vol > 0) | ~np.isfinite(vol)] = np.nan
    has = np.isfinite(vol)
    source = np.where(from_vendor, SmileSource.VENDOR, SmileSource.SOLVED).astype(np.int8)
    source[~has] = SmileSource.UNAVAILABLE

    # Segments: one (group, strike) each.
    order = np.lexsort((K, gid))
    gs, ks = gid[order], K[order]
    new_seg = np.r_[True, (gs[1:] != gs[:-1]) | (ks[1:] != ks[:-1])] if n else np.zeros(0, bool)
    seg_sorted = np.cumsum(new_seg) - 1
    seg = np.empty(n, dtype=np.intp)
    seg[order] = seg_sorted
    n_seg = int(seg_sorted[-1]) + 1 if n else 0

    otm = np.where(call, K >= F, K <= F) & placeable
    call_iv = _segment_max(np.where(call & otm, vol, np.nan), seg, n_seg)
    put_iv = _segment_max(np.where(~call & otm, vol, np.nan), seg, n_seg)
    other = np.where(call, put_iv[seg], call_iv[seg])  # the OTM counterpart's IV
    itm = placeable & ~otm & np.isfinite(other)
    with np.errstate(invalid="ignore"):
        deep = np.abs(x) >= deep_itm_sd * other * np.sqrt(T)
    replace = itm & (~has | (deep & (~from_vendor | substitute_vendor)))
    vol[replace] = other[replace]
    source[replace] = SmileSource.OTM_SUBSTITUTED

    # Knots: per segment the OTM IV, else any IV there.
    both = np.isfinite(call_iv) & np.isfinite(put_iv)  # only at K = F exactly
    knot_iv = np.where(both, 0.5 * (call_iv + put_iv), np.fmax(call_iv, put_iv))
    any_iv = _segment_max(np.where(placeable, vol, np.nan), seg, n_seg)
    knot_iv = np.where(np.isfinite(knot_iv), knot_iv, any_iv)
    seg_first = order[new_seg]
    knot_x = x[seg_first]
    knot_w = knot_iv * knot_iv * T[seg_first]
    knot_g = gid[seg_first]
    is_knot = np.isfinite(knot_w) & np.isfinite(knot_x)

    gaps = np.flatnonzero(np.isnan(vol) & placeable)
    for g in np.unique(gid[gaps]):
        rows = gaps[gid[gaps] == g]
        sel = is_knot & (knot_g == g)
        if not sel.any():
            continue
        by_x = np.argsort(knot_x[sel], kind="stable")
        xk, wk = knot_x[sel][by_x], knot_w[sel][by_x]
        w = np.interp(x[rows], xk, wk)
        vol[rows] = np.sqrt(w / T[rows])
        outside = (x[rows] < xk[0]) | (x[rows] > xk[-1])
        source[rows] = np.where(outside, SmileSource.EXTRAPOLATED, SmileSource.INTERPOLATED)
    return SmileFill(vol, source)
