"""Implied forward per expiry from put-call parity, with the carry forward as fallback.

For European options on the same strike K and expiry T, put-call parity gives

    C - P = e^{-rT} (F - K)   =>   F = K + e^{rT} (C - P),

so each strike quoted on both sides yields an estimate of the forward F that needs no
dividend assumption (DESIGN §4). Per expiry key:

1. A *pair* is a strike whose call and put both have a usable quote: ``bid > 0``, ``ask >
   bid``, both finite, ``t > 0``. Mid prices ``(bid + ask)/2`` are used. When a (strike,
   right) appears more than once in a key, the tightest quote is used.
2. The ``n_strikes`` pairs nearest the money are kept, nearest meaning the smallest
   ``|C - P|`` (the rule of the Cboe VIX white paper: it needs no forward to start from and
   the at-the-money pairs have the tightest relative spreads).
3. The forward is the median of their parity forwards (each with its own row's t and the
   rate).
4. Fallback to the carry forward ``spot·e^{(rate - div_yield)·t}`` when fewer than
   ``min_pairs`` pairs exist (``carry_few_quotes``) or when the parity forward is not
   positive or lies more than ``max_log_deviation`` in ln-distance from the carry forward
   (``carry_implausible``: crossed-looking or stale quotes).

The expiry key must identify one settlement instant (e.g. the settlement timestamp, or
(root, expiration) — SPX and SPXW of the same date settle at different times), and ``t``
should be constant within a key; the reported ``t`` of a key is the median of its rows.
Units: prices per unit of underlying, ``t`` in years, ``rate`` and ``div_yield``
continuous decimals, forwards in the underlying's price units.
"""

from __future__ import annotations

from enum import IntEnum
from types import MappingProxyType
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.errors import ConfigurationError
from engine.typing import FloatArray, IntArray

__all__ = [
    "FORWARD_METHOD_NAMES",
    "ForwardMethod",
    "Forwards",
    "implied_forwards",
    "implied_forwards_frame",
]


class ForwardMethod(IntEnum):
    """How an expiry's forward was obtained (int8 in :attr:`Forwards.method`)."""

    PARITY = 0
    CARRY_FEW_QUOTES = 1
    CARRY_IMPLAUSIBLE = 2
    UNAVAILABLE = 3  # no row of the key has a finite t > 0: forward is NaN


FORWARD_METHOD_NAMES: Final = MappingProxyType({int(m): m.name.lower() for m in ForwardMethod})
"""Method code -> snake_case name (``0 -> "parity"``, ``1 -> "carry_few_quotes"`` …)."""


class Forwards(NamedTuple):
    """One entry per distinct expiry key (sorted), plus the forward mapped back to each row."""

    key: npt.NDArray[np.generic]
    t: FloatArray
    forward: FloatArray
    method: npt.NDArray[np.int8]
    pairs: IntArray  # pairs used in the median (0 for the carry fallback)
    row_forward: FloatArray  # forward of each input row's key, in input order


def _best_quotes(
    gid: IntArray, strike: FloatArray, is_call: npt.NDArray[np.bool_], spread: FloatArray
) -> IntArray:
    """Indices of usable rows, one per (key, strike, right): the tightest spread."""
    usable = np.flatnonzero(np.isfinite(spread))
    order = usable[np.lexsort((spread[usable], is_call[usable], strike[usable], gid[usable]))]
    g, k, c = gid[order], strike[order], is_call[order]
    first = np.ones(order.shape[0], dtype=np.bool_)
    first[1:] = (g[1:] != g[:-1]) | (k[1:] != k[:-1]) | (c[1:] != c[:-1])
    return order[first]


def _group_median(
    values: FloatArray, groups: IntArray, n_groups: int
) -> tuple[FloatArray, IntArray]:
    """Median of ``values`` per group id in ``[0, n_groups)`` (NaN where a group is empty)
    and the count per group; the same numbers as ``np.median`` group by group."""
    order = np.lexsort((values, groups))
    v, g = values[order], groups[order]
    count = np.bincount(g, minlength=n_groups).astype(np.int64)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    median = np.full(n_groups, np.nan)
    has = count > 0
    lo = v[(start + (count - 1) // 2)[has]]
    hi = v[(start + count // 2)[has]]
    median[has] = np.where(lo == hi, lo, (lo + hi) / 2.0)
    return median, count


def implied_forwards(
    key: npt.ArrayLike,
    strike: npt.ArrayLike,
    is_call: npt.ArrayLike,
    bid: npt.ArrayLike,
    ask: npt.ArrayLike,
    t: npt.ArrayLike,
    spot: float,
    rate: float,
    div_yield: float,
    *,
    n_strikes: int = 5,
    min_pairs: int = 2,
    max_log_deviation: float = 0.5,
) -> Forwards:
    """Implied forward of every expiry key from the rows of a chain (see the module doc).

    Raises :class:`~engine.errors.ConfigurationError` unless 1 <= min_pairs <= n_strikes."""
    if not 1 <= min_pairs <= n_strikes:
        raise ConfigurationError(f"need 1 <= min_pairs <= n_strikes, got {min_pairs}, {n_strikes}")
    keys, gid_ = np.unique(np.asarray(key), return_inverse=True)
    gid = gid_.reshape(-1).astype(np.int64)
    K = np.asarray(strike, dtype=np.float64).reshape(-1)
    call = np.asarray(is_call, dtype=np.bool_).reshape(-1)
    b = np.asarray(bid, dtype=np.float64).reshape(-1)
    a = np.asarray(ask, dtype=np.float64).reshape(-1)
    T = np.asarray(t, dtype=np.float64).reshape(-1)
    n_keys = keys.shape[0]

    ok = (b > 0.0) & (a > b) & np.isfinite(a) & (T > 0.0) & np.isfinite(T)
    ok &= (K > 0.0) & np.isfinite(K)
    with np.errstate(all="ignore"):  # spreads of unusable rows (inf - inf) are discarded
        spread = np.where(ok, a - b, np.nan)
    best = _best_quotes(gid, K, call, spread)

    # Calls and puts of the same (key, strike) are adjacent in `best`, puts first.
    same = (gid[best[1:]] == gid[best[:-1]]) & (K[best[1:]] == K[best[:-1]])
    pair_put = best[:-1][same & ~call[best[:-1]] & call[best[1:]]]
    pair_call = best[1:][same & ~call[best[:-1]] & call[best[1:]]]
    c_mid = 0.5 * (b[pair_call] + a[pair_call])
    p_mid = 0.5 * (b[pair_put] + a[pair_put])
    t_pair = 0.5 * (T[pair_call] + T[pair_put])
    f_pair = K[pair_call] + np.exp(rate * t_pair) * (c_mid - p_mid)
    g_pair = gid[pair_call]
    order = np.lexsort((np.abs(c_mid - p_mid), g_pair))

    valid_t = np.isfinite(T) & (T > 0.0)
    t_key, _ = _group_median(T[valid_t], gid[valid_t], n_keys)
    carry = spot * np.exp((rate - div_yield) * t_key)
    forward = carry.copy()
    method = np.where(np.isfinite(t_key), ForwardMethod.CARRY_FEW_QUOTES, ForwardMethod.UNAVAILABLE)
    method = method.astype(np.int8)
    used = np.zeros(n_keys, dtype=np.int64)

    # The n_strikes pairs of each key with the smallest |C - P| (`order` sorts them so).
    g_sorted = g_pair[order]
    starts = np.searchsorted(g_sorted, g_sorted, side="left")
    nearest = order[np.arange(order.shape[0]) - starts < n_strikes]
    f_med, n_used = _group_median(f_pair[nearest], g_pair[nearest], n_keys)
    enough = (n_used >= min_pairs) & np.isfinite(carry)
    with np.errstate(all="ignore"):
        plausible = (f_med > 0.0) & (np.abs(np.log(f_med / carry)) <= max_log_deviation)
    method[enough & ~plausible] = ForwardMethod.CARRY_IMPLAUSIBLE
    good = enough & plausible
    forward[good] = f_med[good]
    method[good] = ForwardMethod.PARITY
    used[good] = n_used[good]
    return Forwards(keys, t_key, forward, method, used, forward[gid])


def implied_forwards_frame(
    frame: pl.DataFrame,
    spot: float,
    rate: float,
    div_yield: float,
    *,
    key: str = "settlement",
    t: str = "t",
    n_strikes: int = 5,
    min_pairs: int = 2,
    max_log_deviation: float = 0.5,
) -> pl.DataFrame:
    """:func:`implied_forwards` on a polars frame with columns ``key``, ``t``, ``strike``,
    ``is_call``, ``bid``, ``ask``; one row per key: ``key``, ``t``, ``forward``, ``method``
    (snake_case name), ``pairs``."""
    frame = frame.filter(pl.col(key).is_not_null())
    keys = frame.select(pl.col(key).unique().sort())[key]
    gid = frame.select(pl.col(key).rank("dense").cast(pl.Int64) - 1)[key].to_numpy()
    res = implied_forwards(
        gid,
        frame["strike"].to_numpy(),
        frame["is_call"].to_numpy(),
        frame["bid"].to_numpy(),
        frame["ask"].to_numpy(),
        frame[t].to_numpy(),
        spot,
        rate,
        div_yield,
        n_strikes=n_strikes,
        min_pairs=min_pairs,
        max_log_deviation=max_log_deviation,
    )
    return pl.DataFrame(
        {
            key: keys,
            t: res.t,
            "forward": res.forward,
            "method": [FORWARD_METHOD_NAMES[int(m)] for m in res.method],
            "pairs": res.pairs,
        }
    )
