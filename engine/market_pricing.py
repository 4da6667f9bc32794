"""T, forwards, implied vols and the smile fill of a whole market in a few array passes.

The per-underlying rules are those of :func:`engine.pricing.price_validated` (and through it
:func:`engine.forward.implied_forwards` and :func:`engine.smile.fill_smile`); only the
batching differs. An *expiry group* is one (underlying, settlement instant, root) — the key
``engine.pricing`` uses within one chain — numbered by first appearance in the frame.

1. ``t``: :func:`engine.time.years_to_settlement` on all rows at once.
2. Forwards of ``bsm`` rows per expiry group (``forward="implied"``): for each
   (group, strike) the tightest usable call and put quote (``bid > 0``, ``ask > bid``),
   parity forwards ``K + e^{rT}(C − P)`` of the pairs, the median of the ``n_strikes``
   with the smallest ``|C − P|``; the carry forward ``S·e^{(r−q)T}`` of the group's own
   underlying (spot ``S``, yield ``q``) when fewer than ``min_pairs`` pairs exist or the
   median lies more than ``max_log_deviation`` in ln-distance from it.
   ``forward="carry"`` always uses the carry forward. ``engine.forward`` takes one spot per
   call and loops over keys in Python (quadratic in the number of keys), so the same steps
   are written here for all groups at once; ``t`` is constant within a group (one
   settlement instant), which the median of ``engine.forward`` reduces to.
3. IV: the vendor's where valid; every other row solved from its mid in one call of
   :func:`engine.iv.implied_vol_from_quotes`.
4. Smile fill with groups = expiry groups, the two steps of :func:`engine.smile.fill_smile`
   (OTM substitution, then total-variance interpolation in ``ln(K/F)`` with flat wings),
   vectorized over all groups (``fill_smile`` loops over groups with gaps in Python, ~2.5 s
   on the demo market). Rows left without IV are excluded and counted as ``no_iv``.

The tuning values (``n_strikes``, ``min_pairs``, ``max_log_deviation``, ``deep_itm_sd``,
``substitute_vendor``) are read from the signatures of ``implied_forwards`` and
``fill_smile``, whose defaults ``engine.pricing`` uses, so the two paths cannot drift apart.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.forward import implied_forwards
from engine.iv import implied_vol_from_quotes
from engine.market_pricing_kernels import (
    best_quotes,
    interpolate_gaps,
    parity_medians,
    segment_max,
)
from engine.market_rows import MarketRows, segment_bounds
from engine.market_segments import argsort_within
from engine.smile import SmileSource, fill_smile
from engine.time import years_to_settlement
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = ["MarketPriced", "expiry_groups", "price_market", "strike_segments"]


def _default(fn: Callable[..., object], name: str) -> Any:
    """The default of a keyword of ``fn``: the pipeline calls these with their defaults."""
    return inspect.signature(fn).parameters[name].default


N_STRIKES: Final[int] = _default(implied_forwards, "n_strikes")
MIN_PAIRS: Final[int] = _default(implied_forwards, "min_pairs")
MAX_LOG_DEVIATION: Final[float] = _default(implied_forwards, "max_log_deviation")
DEEP_ITM_SD: Final[float] = _default(fill_smile, "deep_itm_sd")
SUBSTITUTE_VENDOR: Final[bool] = _default(fill_smile, "substitute_vendor")


@dataclass(frozen=True, slots=True)
class MarketPriced:
    """The priced rows (those with an IV), in frame order, grouped by underlying.

    ``keep`` indexes the :class:`~engine.market_rows.MarketRows` arrays; ``starts`` /
    ``stops`` are each underlying's range here; ``t`` in years, ``forward`` (underlying
    units, the row's own future for ``black76``), ``carry`` (b, decimal), ``iv`` (decimal).
    ``no_iv``: rows per underlying excluded for lack of an implied vol.
    """

    keep: IntArray
    uid: IntArray
    starts: IntArray
    stops: IntArray
    t: FloatArray
    forward: FloatArray
    carry: FloatArray
    iv: FloatArray
    no_iv: IntArray


def expiry_groups(
    uid: IntArray, settlement_us: IntArray, root_code: IntArray
) -> tuple[IntArray, int]:
    """Group id per row for (underlying, settlement, root), numbered by first appearance."""
    n = uid.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    change = np.ones(n, dtype=np.bool_)
    change[1:] = (
        (uid[1:] != uid[:-1])
        | (settlement_us[1:] != settlement_us[:-1])
        | (root_code[1:] != root_code[:-1])
    )
    run_start = np.flatnonzero(change)
    run_len = np.diff(np.append(run_start, n))
    ru, re, rc = uid[run_start], settlement_us[run_start], root_code[run_start]
    order = np.lexsort((rc, re, ru))
    su, se, sc = ru[order], re[order], rc[order]
    new = np.ones(order.shape[0], dtype=np.bool_)
    new[1:] = (su[1:] != su[:-1]) | (se[1:] != se[:-1]) | (sc[1:] != sc[:-1])
    first_run = order[new]  # lexsort is stable: the earliest run of each key
    rank = np.empty(first_run.shape[0], dtype=np.int64)
    rank[np.argsort(first_run, kind="stable")] = np.arange(first_run.shape[0])
    run_gid = np.empty(run_start.shape[0], dtype=np.int64)
    run_gid[order] = rank[np.cumsum(new) - 1]
    return np.repeat(run_gid, run_len), int(first_run.shape[0])


def strike_segments(
    starts: IntArray, stops: IntArray, key: IntArray, strike: FloatArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Sort each underlying's rows by ``(key, strike)``: ``(perm, bounds, seg)``.

    ``perm`` lists the rows in that order (stable); segment ``s`` (one key and strike) is
    ``perm[bounds[s] : bounds[s + 1]]``; ``seg`` gives each row's segment.
    """
    perm = argsort_within(starts, stops, key, strike)
    n = perm.shape[0]
    ks, ss = key[perm], strike[perm]
    new = np.ones(n, dtype=np.bool_)
    new[1:] = (ks[1:] != ks[:-1]) | (ss[1:] != ss[:-1])
    bounds = np.append(np.flatnonzero(new), n).astype(np.int64)
    seg = np.empty(n, dtype=np.int64)
    seg[perm] = np.cumsum(new) - 1
    return perm, bounds, seg


def _forwards(
    r: MarketRows,
    gid: IntArray,
    n_groups: int,
    perm: IntArray,
    bounds: IntArray,
    t: FloatArray,
    spots: FloatArray,
    div_yields: FloatArray,
    rate: float,
    mode: str,
) -> FloatArray:
    """Per-row forward: the group's forward for ``bsm`` rows, NaN for ``black76`` rows."""
    g_uid = np.zeros(n_groups, dtype=np.int64)
    g_uid[gid] = r.uid
    bsm = r.is_bsm
    if mode == "carry":
        count = np.bincount(gid[bsm], minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            t_key = np.bincount(gid[bsm], t[bsm], n_groups) / count
        forward = spots[g_uid] * np.exp((rate - div_yields[g_uid]) * t_key)
        return np.where(bsm, forward[gid], np.nan)
    K, b, a = r.strike, r.bid, r.ask
    with np.errstate(invalid="ignore"):
        ok = bsm & (b > 0.0) & (a > b) & np.isfinite(a) & (t > 0.0) & np.isfinite(t)
        ok &= (K > 0.0) & np.isfinite(K)
    spread = np.where(ok, a - b, np.nan)
    best_call, best_put = best_quotes(bounds, perm, r.is_call, spread)
    paired = (best_call >= 0) & (best_put >= 0)
    c, p = best_call[paired], best_put[paired]
    c_mid = 0.5 * (b[c] + a[c])
    p_mid = 0.5 * (b[p] + a[p])
    t_pair = 0.5 * (t[c] + t[p])
    f_pair = K[c] + np.exp(rate * t_pair) * (c_mid - p_mid)
    pair_starts = np.searchsorted(gid[c], np.arange(n_groups + 1)).astype(np.int64)
    median, used = parity_medians(pair_starts, np.abs(c_mid - p_mid), f_pair, N_STRIKES, MIN_PAIRS)
    t_key = np.full(n_groups, np.nan)
    t_key[gid] = t  # one settlement instant per group: t is constant within it
    carry = spots[g_uid] * np.exp((rate - div_yields[g_uid]) * t_key)
    with np.errstate(invalid="ignore", divide="ignore"):
        plausible = (median > 0.0) & (np.abs(np.log(median / carry)) <= MAX_LOG_DEVIATION)
    parity = (used >= MIN_PAIRS) & np.isfinite(carry) & plausible
    forward = np.where(parity, median, carry)
    return np.where(bsm, forward[gid], np.nan)


def _fill_smile(
    gid: IntArray,
    perm: IntArray,
    bounds: IntArray,
    seg: IntArray,
    K: FloatArray,
    call: BoolArray,
    F: FloatArray,
    T: FloatArray,
    iv: FloatArray,
    vendor: BoolArray,
) -> tuple[FloatArray, npt.NDArray[np.int8]]:
    """``engine.smile.fill_smile`` over all expiry groups at once: ``(iv, source)``."""
    vol = iv.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        placeable = (K > 0) & (F > 0) & (T > 0) & np.isfinite(K) & np.isfinite(F) & np.isfinite(T)
        x = np.where(placeable, np.log(K / F), np.nan)
        vol[~(vol > 0) | ~np.isfinite(vol)] = np.nan
    has = np.isfinite(vol)
    source = np.where(vendor, SmileSource.VENDOR, SmileSource.SOLVED).astype(np.int8)
    source[~has] = SmileSource.UNAVAILABLE

    otm = np.where(call, K >= F, K <= F) & placeable
    call_iv = segment_max(bounds, perm, np.where(call & otm, vol, np.nan))
    put_iv = segment_max(bounds, perm, np.where(~call & otm, vol, np.nan))
    sides = np.stack([call_iv, put_iv], axis=1).reshape(-1)  # [call, put] per segment
    other = sides[2 * seg + call]  # the OTM counterpart's IV: the put's for a call
    itm = placeable & ~otm & np.isfinite(other)
    with np.errstate(invalid="ignore"):
        deep = np.abs(x) >= DEEP_ITM_SD * other * np.sqrt(T)
    replace = itm & (~has | (deep & (~vendor | SUBSTITUTE_VENDOR)))
    vol[replace] = other[replace]
    source[replace] = SmileSource.OTM_SUBSTITUTED

    both = np.isfinite(call_iv) & np.isfinite(put_iv)
    knot_iv = np.where(both, 0.5 * (call_iv + put_iv), np.fmax(call_iv, put_iv))
    any_iv = segment_max(bounds, perm, np.where(placeable, vol, np.nan))
    knot_iv = np.where(np.isfinite(knot_iv), knot_iv, any_iv)
    first = perm[bounds[:-1]]
    knot_x, knot_w, knot_g = x[first], knot_iv * knot_iv * T[first], gid[first]
    knots = np.flatnonzero(np.isfinite(knot_w) & np.isfinite(knot_x))
    kx, kw, kg = knot_x[knots], knot_w[knots], knot_g[knots]
    if ((kg[1:] == kg[:-1]) & (kx[1:] < kx[:-1])).any():  # forwards differing within a group
        order = np.lexsort((kx, kg))
        kx, kw, kg = kx[order], kw[order], kg[order]

    gaps = np.flatnonzero(np.isnan(vol) & placeable)
    lo = np.searchsorted(kg, gid[gaps], side="left").astype(np.int64)
    hi = np.searchsorted(kg, gid[gaps], side="right").astype(np.int64)
    w, outside = interpolate_gaps(x[gaps], lo, hi, kx, kw)
    filled = hi > lo
    rows = gaps[filled]
    vol[rows] = np.sqrt(w[filled] / T[rows])
    source[rows] = np.where(outside[filled], SmileSource.EXTRAPOLATED, SmileSource.INTERPOLATED)
    return vol, source


def price_market(
    r: MarketRows,
    spots: FloatArray,
    div_yields: FloatArray,
    as_of: datetime,
    rate: float,
    forward: str = "implied",
) -> MarketPriced:
    """Steps 1–4 of the module docstring for every usable row of the market."""
    settlement = pl.Series(r.settlement_us).cast(pl.Datetime("us", "UTC"))
    t = years_to_settlement(settlement, as_of)
    gid, n_groups = expiry_groups(r.uid, r.settlement_us, r.root_code)
    perm, bounds, seg = strike_segments(r.starts, r.stops, gid, r.strike)
    row_forward = _forwards(r, gid, n_groups, perm, bounds, t, spots, div_yields, rate, forward)
    U, K, call = r.underlying_price, r.strike, r.is_call
    is_bsm = np.isfinite(row_forward)
    with np.errstate(divide="ignore", invalid="ignore"):
        carry = np.where(is_bsm, np.log(row_forward / U) / t, 0.0)
    row_forward = np.where(is_bsm, row_forward, U)

    has_vendor = np.isfinite(r.iv)
    solved = np.full(r.size, np.nan)
    missing = np.flatnonzero(~has_vendor)
    if missing.size:
        solved[missing] = implied_vol_from_quotes(
            r.bid[missing],
            r.ask[missing],
            U[missing],
            K[missing],
            t[missing],
            np.full(missing.size, rate),
            carry[missing],
            call[missing],
        ).iv
    iv0 = np.where(has_vendor, r.iv, solved)
    iv, source = _fill_smile(gid, perm, bounds, seg, K, call, row_forward, t, iv0, has_vendor)

    priced = source != SmileSource.UNAVAILABLE
    keep = np.flatnonzero(priced).astype(np.int64)
    uid = r.uid[keep]
    starts, stops = segment_bounds(uid, r.n_underlyings)
    no_iv = np.bincount(r.uid[~priced], minlength=r.n_underlyings).astype(np.int64)
    return MarketPriced(
        keep=keep,
        uid=uid,
        starts=starts,
        stops=stops,
        t=t[keep],
        forward=row_forward[keep],
        carry=carry[keep],
        iv=iv[keep],
        no_iv=no_iv,
    )
