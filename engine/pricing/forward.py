"""Forward and discount factor per expiry from put-call parity, with fallbacks.

For European options on one strike ``K`` and expiry ``T``, put-call parity reads

    C − P = DF · (F − K),

a straight line in ``K`` with slope ``−DF`` and intercept ``DF·F``. Each expiry's forward
``F`` (the dividend assumption the quotes imply) and discount factor ``DF = e^{−r_T·T}`` are
fitted to it over the liquid strikes nearest the money, so that the implied vols solved on
them are consistent with the quotes (``docs/conventions.md``, "Forwards and discounting").
Per expiry group (one settlement instant of one root of one underlying):

1. A *pair* is a strike whose call and put both have a usable quote (``bid > 0``,
   ``ask > bid``, both finite; ``t > 0``); the tightest quote of a (strike, right) is used,
   at mid ``(bid + ask)/2``. ``y = C_mid − P_mid``.
2. Pairs are ranked by ``|y|`` (nearest the money first, the rule of the Cboe VIX white
   paper: it needs no forward to start from).
3. **Fit** (method ``parity_fit``): a robust line through ``(K, y)`` of the
   ``n_fit_strikes`` nearest pairs: the Theil–Sen slope (median of the pairwise slopes)
   gives ``DF = −slope``. The forward is then the median of ``K + y/DF`` over the
   ``n_strikes`` nearest pairs (near the money parity holds best, also for American
   options, whose deep-ITM quotes carry an early-exercise premium). The fit is kept when at least ``min_fit_pairs`` pairs exist, the fitted rate
   ``r_T = −ln(DF)/T`` lies within ``rate_bounds``, and its standard error
   ``σ / sqrt(Σ(K − K̄)²) / (DF·T)`` is at most ``max_rate_error``, with ``σ`` the larger
   of ``1.4826·MAD`` of the residuals and a quarter of the error of a mid placed uniformly
   within its quote (median half-width of ``C − P`` over √3; quotes on a tick grid can lie
   exactly on a line). Only European expiries are fitted: for American options (equity
   and ETF chains) parity is an inequality, and their rate stays the configured one — for short expiries the quotes cannot pin a rate down, and a rate
   they do not determine is not reported as if they did.
4. **Parity at the configured rate** (method ``parity``): otherwise, with ``DF = e^{−rT}``
   from the configured rate, ``F`` is the median of ``K + (C − P)/DF`` over the
   ``n_strikes`` nearest pairs (at least ``min_pairs`` of them).
5. **Carry** fallback: the carry forward ``S·e^{(r − q)T}`` at the configured rate when
   fewer than ``min_pairs`` pairs exist (``carry_few_quotes``) or the parity forward is not
   positive or lies more than ``max_log_deviation`` in ln-distance from it
   (``carry_implausible``).

Units: prices per unit of underlying, ``t`` in years, rates continuous decimals, forwards in
the underlying's price units. Pure computation (numpy and the segment kernels).
"""

from __future__ import annotations

from enum import IntEnum
from types import MappingProxyType
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.chain.segments import argsort_within
from engine.errors import ConfigurationError
from engine.pricing.kernels import best_quotes
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "DEFAULT_FORWARD_SETTINGS",
    "FORWARD_METHOD_NAMES",
    "FORWARD_MODES",
    "ForwardMethod",
    "ForwardSettings",
    "Forwards",
    "expiry_groups",
    "fit_forwards",
    "implied_forwards",
    "implied_forwards_frame",
    "strike_segments",
]


FORWARD_MODES: Final = ("implied", "carry")
"""``implied``: steps 1–5 of the module docstring; ``carry``: always ``S·e^{(r − q)T}``."""


class ForwardMethod(IntEnum):
    """How an expiry's forward was obtained (int8 in :attr:`Forwards.method`)."""

    PARITY = 0  # parity forward at the configured rate
    CARRY_FEW_QUOTES = 1
    CARRY_IMPLAUSIBLE = 2
    UNAVAILABLE = 3  # no row of the group has a finite t > 0: forward is NaN
    PARITY_FIT = 4  # forward and discount factor fitted to parity


FORWARD_METHOD_NAMES: Final = MappingProxyType({int(m): m.name.lower() for m in ForwardMethod})
"""Method code -> snake_case name (``0 -> "parity"``, ``4 -> "parity_fit"`` …)."""


class ForwardSettings(NamedTuple):
    """The tuning of the fit (module docstring); the defaults are the engine's."""

    n_strikes: int = 5
    n_fit_strikes: int = 20
    min_pairs: int = 2
    min_fit_pairs: int = 4
    max_log_deviation: float = 0.5
    rate_bounds: tuple[float, float] = (-0.05, 0.25)
    max_rate_error: float = 0.005


DEFAULT_FORWARD_SETTINGS: Final = ForwardSettings()
MAD_TO_SIGMA: Final = 1.4826


class Forwards(NamedTuple):
    """One entry per expiry group (``key`` sorted where keys were given), plus per row."""

    key: npt.NDArray[np.generic]
    t: FloatArray
    forward: FloatArray
    rate: FloatArray  # the discount rate of the group: fitted (parity_fit) or the configured
    method: npt.NDArray[np.int8]
    pairs: IntArray  # pairs behind the forward (0 for the carry fallback)
    row_forward: FloatArray  # forward of each input row's group, in input order
    row_rate: FloatArray  # rate of each input row's group


def expiry_groups(
    uid: IntArray, settlement_us: IntArray, root_code: IntArray
) -> tuple[IntArray, int]:
    """Group id per row for (underlying, settlement, root), numbered by first appearance.

    With rows grouped by underlying, the ids of underlying ``u`` are all below those of
    ``u + 1``, so segments sorted by (group, strike) within each underlying are sorted by
    (group, strike) overall.
    """
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
    ``perm[bounds[s] : bounds[s + 1]]``; ``seg`` gives each row's segment. A single chain is
    one underlying: ``starts = [0]``, ``stops = [n]``.
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


def _ranked(g: IntArray, score: FloatArray, n_groups: int) -> tuple[IntArray, IntArray]:
    """Order of items by (group, score) and each item's rank within its group."""
    order = np.lexsort((score, g))
    gs = g[order]
    starts = np.searchsorted(gs, np.arange(n_groups)).astype(np.int64)
    rank = np.arange(order.shape[0]) - starts[gs]
    return order, rank


def _row_median(m: FloatArray) -> tuple[FloatArray, IntArray]:
    """Median of the finite entries of each row of ``m`` (NaN where none) and their count."""
    count = np.isfinite(m).sum(axis=1)
    s = np.sort(np.where(np.isfinite(m), m, np.inf), axis=1)
    rows = np.arange(m.shape[0])
    lo_i = np.maximum((count - 1) // 2, 0)
    hi_i = np.maximum(count // 2, 0)
    lo, hi = s[rows, lo_i], s[rows, hi_i]
    with np.errstate(invalid="ignore"):
        med = np.where(lo == hi, lo, 0.5 * (lo + hi))
    return np.where(count > 0, med, np.nan), count


def fit_forwards(
    perm: IntArray,
    bounds: IntArray,
    gid: IntArray,
    n_groups: int,
    strike: FloatArray,
    is_call: BoolArray,
    bid: FloatArray,
    ask: FloatArray,
    t_group: FloatArray,
    carry_forward: FloatArray,
    rate: float,
    eligible: BoolArray | None = None,
    settings: ForwardSettings = DEFAULT_FORWARD_SETTINGS,
    fit_groups: BoolArray | None = None,
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int8], IntArray]:
    """Per group ``(forward, rate, method, pairs)`` (module docstring, steps 1–5).

    Rows are grouped into (group, strike) segments by ``perm``/``bounds``
    (:func:`strike_segments`); ``gid`` is each row's group in ``[0, n_groups)``;
    ``t_group`` and ``carry_forward`` are per group; ``eligible`` marks the rows that may
    quote (default: all); ``fit_groups`` the groups whose discount rate may be fitted
    (default: all; parity is an equality only for European options, so American chains
    keep the configured rate).
    """
    st = settings
    if not (1 <= st.min_pairs <= st.n_strikes and 2 <= st.min_fit_pairs <= st.n_fit_strikes):
        raise ConfigurationError(
            f"need 1 <= min_pairs <= n_strikes and 2 <= min_fit_pairs <= n_fit_strikes: {st}"
        )
    K, b, a = strike, bid, ask
    t_row = t_group[gid] if gid.size else np.zeros(0)
    with np.errstate(invalid="ignore"):
        ok = (b > 0.0) & (a > b) & np.isfinite(a) & (t_row > 0.0) & np.isfinite(t_row)
        ok &= (K > 0.0) & np.isfinite(K)
    if eligible is not None:
        ok &= eligible
    with np.errstate(invalid="ignore"):  # spreads of unusable rows (inf - inf) are discarded
        spread = np.where(ok, a - b, np.nan)
    best_call, best_put = best_quotes(bounds, perm, is_call, spread)
    paired = (best_call >= 0) & (best_put >= 0)
    c, p = best_call[paired], best_put[paired]
    y = 0.5 * (b[c] + a[c]) - 0.5 * (b[p] + a[p])
    half_width = 0.5 * ((a[c] - b[c]) + (a[p] - b[p]))  # y is known to within this
    g = gid[c]
    k = K[c]

    # pairs come in segment order, i.e. by group: rank each group's pairs by |C − P|
    if g.size and (g[1:] < g[:-1]).any():  # segments not ordered by group: order them
        by_group = np.argsort(g, kind="stable")
        c, y, half_width, g, k = (
            c[by_group],
            y[by_group],
            half_width[by_group],
            g[by_group],
            k[by_group],
        )
    g_starts = np.searchsorted(g, np.arange(n_groups), side="left").astype(np.int64)
    g_stops = np.searchsorted(g, np.arange(n_groups), side="right").astype(np.int64)
    order = argsort_within(g_starts, g_stops, np.zeros(g.shape[0], dtype=np.int64), np.abs(y))
    rank = np.arange(order.shape[0]) - g_starts[g[order]]
    n = max(st.n_strikes, st.n_fit_strikes)
    near = order[rank < n]
    mk = np.full((n_groups, n), np.nan)
    my = np.full((n_groups, n), np.nan)
    mh = np.full((n_groups, n), np.nan)
    mk[g[near], rank[rank < n]] = k[near]
    my[g[near], rank[rank < n]] = y[near]
    mh[g[near], rank[rank < n]] = half_width[near]

    t_key = np.asarray(t_group, dtype=np.float64)
    carry = np.asarray(carry_forward, dtype=np.float64)
    n_fit = np.isfinite(mk[:, : st.n_fit_strikes]).sum(axis=1)
    candidates = n_fit >= st.min_fit_pairs
    if fit_groups is not None:
        candidates &= fit_groups
    fit = np.flatnonzero(candidates)  # the Theil–Sen work only where a fit may be kept
    df_fit = np.full(n_groups, np.nan)
    rate_fit = np.full(n_groups, np.nan)
    rate_err = np.full(n_groups, np.inf)
    with np.errstate(all="ignore"):
        if fit.size:
            fk, fy = mk[fit, : st.n_fit_strikes], my[fit, : st.n_fit_strikes]
            i, j = np.triu_indices(st.n_fit_strikes, 1)
            slopes = (fy[:, j] - fy[:, i]) / (fk[:, j] - fk[:, i])
            slopes[~np.isfinite(slopes)] = np.nan
            df = -_row_median(slopes)[0]
            level = _row_median(fy + df[:, None] * fk)[0]
            mad = _row_median(np.abs(fy - (level[:, None] - df[:, None] * fk)))[0]
            has_k = np.isfinite(fk)
            k_mean = np.where(has_k, fk, 0.0).sum(axis=1) / n_fit[fit]
            sxx = np.where(has_k, (fk - k_mean[:, None]) ** 2, 0.0).sum(axis=1)
            # quotes on a tick grid can sit exactly on a line: the residual scale never
            # claims more precision than a quarter of a mid's uniform error in its quote
            floor = 0.25 * _row_median(mh[fit, : st.n_fit_strikes])[0] / np.sqrt(3.0)
            sigma = np.fmax(MAD_TO_SIGMA * mad, floor)
            df_fit[fit] = df
            rate_fit[fit] = -np.log(df) / t_key[fit]
            rate_err[fit] = sigma / np.sqrt(sxx) / (df * t_key[fit])
        # the forward: median parity forward of the n_strikes nearest pairs, discounted at
        # the fitted rate where the fit holds, else at the configured one
        nk, ny = mk[:, : st.n_strikes], my[:, : st.n_strikes]
        f_conf, n_used = _row_median(nk + ny * np.exp(rate * t_key)[:, None])
        f_fit = np.full(n_groups, np.nan)
        if fit.size:
            f_fit[fit] = _row_median(nk[fit] + ny[fit] / df_fit[fit, None])[0]

        def plausible(f: FloatArray) -> BoolArray:
            return (f > 0.0) & np.isfinite(f) & (np.abs(np.log(f / carry)) <= st.max_log_deviation)

        fit_ok = (
            candidates
            & (df_fit > 0.0)
            & (rate_fit >= st.rate_bounds[0])
            & (rate_fit <= st.rate_bounds[1])
            & (rate_err <= st.max_rate_error)
            & plausible(f_fit)
            & np.isfinite(carry)
        )
        conf_ok = (n_used >= st.min_pairs) & plausible(f_conf) & np.isfinite(carry)

    method = np.where(np.isfinite(t_key), ForwardMethod.CARRY_FEW_QUOTES, ForwardMethod.UNAVAILABLE)
    method = method.astype(np.int8)
    method[(n_used >= st.min_pairs) & ~conf_ok & np.isfinite(carry)] = (
        ForwardMethod.CARRY_IMPLAUSIBLE
    )
    method[conf_ok] = ForwardMethod.PARITY
    method[fit_ok] = ForwardMethod.PARITY_FIT
    forward = np.where(fit_ok, f_fit, np.where(conf_ok, f_conf, carry))
    rates = np.where(fit_ok, rate_fit, rate)
    pairs = np.where(fit_ok, n_fit, np.where(conf_ok, n_used, 0)).astype(np.int64)
    return forward, rates, method, pairs


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
    settings: ForwardSettings = DEFAULT_FORWARD_SETTINGS,
) -> Forwards:
    """Forward and rate of every expiry key of one chain (see the module docstring).

    ``key`` identifies one settlement instant per expiry; ``t`` should be constant within a
    key (the key's ``t`` is the median of its rows' finite positive values).
    """
    keys, gid_ = np.unique(np.asarray(key), return_inverse=True)
    gid = gid_.reshape(-1).astype(np.int64)
    K = np.asarray(strike, dtype=np.float64).reshape(-1)
    call = np.asarray(is_call, dtype=np.bool_).reshape(-1)
    b = np.asarray(bid, dtype=np.float64).reshape(-1)
    a = np.asarray(ask, dtype=np.float64).reshape(-1)
    T = np.asarray(t, dtype=np.float64).reshape(-1)
    n_keys = keys.shape[0]
    valid_t = np.isfinite(T) & (T > 0.0)
    order, rank = _ranked(gid[valid_t], T[valid_t], n_keys)
    width = int(rank.max()) + 1 if rank.size else 1
    tk = np.full((n_keys, width), np.nan)
    tk[gid[valid_t][order], rank] = T[valid_t][order]
    t_key = _row_median(tk)[0]
    starts = np.zeros(1, dtype=np.int64)
    stops = np.full(1, K.shape[0], dtype=np.int64)
    perm, bounds, _ = strike_segments(starts, stops, gid, K)
    with np.errstate(invalid="ignore"):
        carry = spot * np.exp((rate - div_yield) * t_key)
    forward, rates, method, pairs = fit_forwards(
        perm, bounds, gid, n_keys, K, call, b, a, t_key, carry, rate, valid_t, settings
    )
    return Forwards(keys, t_key, forward, rates, method, pairs, forward[gid], rates[gid])


def implied_forwards_frame(
    frame: pl.DataFrame,
    spot: float,
    rate: float,
    div_yield: float,
    *,
    key: str = "settlement",
    t: str = "t",
    settings: ForwardSettings = DEFAULT_FORWARD_SETTINGS,
) -> pl.DataFrame:
    """:func:`implied_forwards` on a polars frame with columns ``key``, ``t``, ``strike``,
    ``is_call``, ``bid``, ``ask``; one row per key: ``key``, ``t``, ``forward``, ``rate``,
    ``method`` (snake_case name), ``pairs``."""
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
        settings,
    )
    return pl.DataFrame(
        {
            key: keys,
            t: res.t,
            "forward": res.forward,
            "rate": res.rate,
            "method": [FORWARD_METHOD_NAMES[int(m)] for m in res.method],
            "pairs": res.pairs,
        }
    )
