"""T, forwards, discount rates, implied vols and the smile of contracts, in a few array passes.

The one implementation of pricing inputs for a single chain (:mod:`engine.pricing.chain`, one
underlying) and for a whole market (:func:`price_market`, many): :func:`price_rows` runs

1. ``t``: given by the caller (:func:`engine.time.years_to_settlement`).
2. Expiry groups (one (underlying, settlement instant, root) each,
   :func:`engine.pricing.forward.expiry_groups`) and (group, strike) segments
   (:func:`engine.pricing.forward.strike_segments`).
3. Forward and discount rate per group of ``bsm`` rows: fitted to put-call parity
   (:func:`engine.pricing.forward.fit_forwards`, ``forward="implied"``) or the carry forward at the
   configured rate (``forward="carry"``). ``black76`` rows use their own future and the
   configured rate. The row's carry is ``b = ln(F/S)/T`` (0 for ``black76``).
4. IV of every row from its own mid quote on that forward and rate
   (:func:`engine.iv.solve.implied_vol_from_quotes`), then one smile per group
   (:func:`engine.pricing.smile.strike_smile`: the OTM quote's IV at each strike for both rights;
   the provider's IV only where no quote at the strike is solvable). Rows left without IV
   are excluded and counted as ``no_iv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.chain.market import MarketRows, segment_bounds
from engine.errors import ConfigurationError
from engine.iv.solve import implied_vol_from_quotes
from engine.pricing.forward import (
    DEFAULT_FORWARD_SETTINGS,
    FORWARD_MODES,
    ForwardSettings,
    expiry_groups,
    fit_forwards,
    strike_segments,
)
from engine.pricing.kernels import segment_max
from engine.pricing.smile import SmileSource, strike_smile
from engine.time import years_from_us
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "CARRY_METHOD",
    "FUTURE_METHOD",
    "MarketPriced",
    "PricedRows",
    "price_market",
    "price_rows",
]

CARRY_METHOD = "carry"
"""Method name of the ``bsm`` groups under ``forward="carry"``."""
FUTURE_METHOD = "future"
"""Method name of ``black76`` groups: the forward is the contracts' own future."""


@dataclass(frozen=True, slots=True)
class PricedRows:
    """Per row: ``t`` (years), ``forward`` (underlying units; the row's own future for
    ``black76``), ``rate`` (discount rate, decimal), ``carry`` (b, decimal), ``iv``
    (decimal, NaN where unavailable), ``iv_source`` (:class:`engine.pricing.smile.SmileSource`) and
    ``gid`` (expiry group). Per group: ``group_t``, ``group_forward``, ``group_rate``,
    ``group_method`` (:class:`engine.pricing.forward.ForwardMethod` code; -1 under
    ``forward="carry"``, -2 for ``black76`` groups), ``group_pairs`` and ``group_row`` (the
    first row of the group)."""

    t: FloatArray
    forward: FloatArray
    rate: FloatArray
    carry: FloatArray
    iv: FloatArray
    iv_source: npt.NDArray[np.int8]
    gid: IntArray
    group_t: FloatArray
    group_forward: FloatArray
    group_rate: FloatArray
    group_method: npt.NDArray[np.int8]
    group_pairs: IntArray
    group_row: IntArray


def _quote_ivs(
    perm: IntArray,
    bounds: IntArray,
    seg: IntArray,
    strike: FloatArray,
    is_call: BoolArray,
    forward: FloatArray,
    bid: FloatArray,
    ask: FloatArray,
    underlying: FloatArray,
    t: FloatArray,
    rate: FloatArray,
    carry: FloatArray,
) -> FloatArray:
    """IV of each row's mid quote, solved where the smile can use it: every OTM row (both
    rights at ``K = F``), and an ITM row only where its strike's OTM quote gave none
    (:func:`engine.pricing.smile.strike_smile` reads nothing else). NaN elsewhere."""
    n = strike.shape[0]
    out = np.full(n, np.nan)

    def solve(rows: IntArray) -> None:
        if rows.size:
            out[rows] = implied_vol_from_quotes(
                bid[rows], ask[rows], underlying[rows], strike[rows], t[rows], rate[rows],
                carry[rows], is_call[rows],
            ).iv  # fmt: skip

    with np.errstate(invalid="ignore"):
        otm = np.where(is_call, strike >= forward, strike <= forward)
    solve(np.flatnonzero(otm))
    seg_has = np.isfinite(segment_max(bounds, perm, out))
    solve(np.flatnonzero(~otm & ~seg_has[seg]) if n else np.zeros(0, dtype=np.int64))
    return out


def price_rows(
    *,
    uid: IntArray,
    starts: IntArray,
    stops: IntArray,
    t: FloatArray,
    settlement_us: IntArray,
    root_code: IntArray,
    strike: FloatArray,
    is_call: BoolArray,
    bid: FloatArray,
    ask: FloatArray,
    vendor_iv: FloatArray,
    underlying_price: FloatArray,
    is_bsm: BoolArray,
    is_european: BoolArray,
    spots: FloatArray,
    div_yields: FloatArray,
    rate: float,
    forward: str = "implied",
    settings: ForwardSettings = DEFAULT_FORWARD_SETTINGS,
) -> PricedRows:
    """Steps 2–4 of the module docstring for rows grouped by underlying ``uid`` (rows of
    underlying ``u`` at ``starts[u]:stops[u]``); ``spots``/``div_yields`` per underlying."""
    if forward not in FORWARD_MODES:
        raise ConfigurationError(f"unknown forward mode {forward!r}; choose one of {FORWARD_MODES}")
    n = uid.shape[0]
    gid, n_groups = expiry_groups(uid, settlement_us, root_code)
    perm, bounds, seg = strike_segments(starts, stops, gid, strike)
    group_row = np.zeros(n_groups, dtype=np.int64)
    group_row[gid[::-1]] = np.arange(n)[::-1]  # the first row of each group
    g_uid = uid[group_row] if n else np.zeros(0, dtype=np.int64)
    t_group = t[group_row] if n else np.zeros(0)  # one settlement instant: t is constant
    with np.errstate(invalid="ignore", over="ignore"):
        carry_forward = spots[g_uid] * np.exp((rate - div_yields[g_uid]) * t_group)
    g_bsm = is_bsm[group_row] if n else np.zeros(0, dtype=np.bool_)
    g_european = is_european[group_row] if n else np.zeros(0, dtype=np.bool_)
    if forward == "implied":
        g_fwd, g_rate, g_method, g_pairs = fit_forwards(
            perm, bounds, gid, n_groups, strike, is_call, bid, ask,
            t_group, carry_forward, rate, is_bsm, settings, g_european,
        )  # fmt: skip
    else:
        g_fwd, g_rate = carry_forward, np.full(n_groups, rate)
        g_method = np.full(n_groups, -1, dtype=np.int8)
        g_pairs = np.zeros(n_groups, dtype=np.int64)
    g_fwd = np.where(g_bsm, g_fwd, underlying_price[group_row] if n else g_fwd)
    g_rate = np.where(g_bsm, g_rate, rate)
    g_method = np.where(g_bsm, g_method, -2).astype(np.int8)
    g_pairs = np.where(g_bsm, g_pairs, 0)

    row_forward = np.where(is_bsm, g_fwd[gid], underlying_price) if n else np.zeros(0)
    row_rate = g_rate[gid] if n else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        carry = np.where(is_bsm, np.log(row_forward / underlying_price) / t, 0.0)
    iv_quote = _quote_ivs(
        perm, bounds, seg, strike, is_call, row_forward, bid, ask,
        underlying_price, t, row_rate, carry,
    )  # fmt: skip
    fill = strike_smile(
        perm, bounds, seg, gid, strike, is_call, row_forward, t, iv_quote, vendor_iv
    )
    return PricedRows(
        t=t,
        forward=row_forward,
        rate=row_rate,
        carry=carry,
        iv=fill.iv,
        iv_source=fill.source,
        gid=gid,
        group_t=t_group,
        group_forward=g_fwd,
        group_rate=g_rate,
        group_method=g_method,
        group_pairs=g_pairs,
        group_row=group_row,
    )


@dataclass(frozen=True, slots=True)
class MarketPriced:
    """The priced rows (those with an IV), in frame order, grouped by underlying.

    ``keep`` indexes the :class:`~engine.chain.market.MarketRows` arrays; ``starts`` /
    ``stops`` are each underlying's range here; ``t`` in years, ``forward`` (underlying
    units, the row's own future for ``black76``), ``rate`` (decimal), ``carry`` (b,
    decimal), ``iv`` (decimal), ``iv_source`` (:class:`engine.pricing.smile.SmileSource`
    codes). ``no_iv``: rows per underlying excluded for lack of an IV. ``rows``: the
    :class:`PricedRows` of every usable row (per-group forwards, rates and methods).
    """

    keep: IntArray
    uid: IntArray
    starts: IntArray
    stops: IntArray
    t: FloatArray
    forward: FloatArray
    rate: FloatArray
    carry: FloatArray
    iv: FloatArray
    iv_source: npt.NDArray[np.int8]
    no_iv: IntArray
    rows: PricedRows


def price_market(
    r: MarketRows,
    spots: FloatArray,
    div_yields: FloatArray,
    as_of: datetime,
    rate: float,
    forward: str = "implied",
) -> MarketPriced:
    """:func:`price_rows` for every usable row of the market."""
    t = years_from_us(r.settlement_us, as_of)
    p = price_rows(
        uid=r.uid, starts=r.starts, stops=r.stops, t=t, settlement_us=r.settlement_us,
        root_code=r.root_code, strike=r.strike, is_call=r.is_call, bid=r.bid, ask=r.ask,
        vendor_iv=r.iv, underlying_price=r.underlying_price, is_bsm=r.is_bsm,
        is_european=r.is_european,
        spots=spots, div_yields=div_yields, rate=rate, forward=forward,
    )  # fmt: skip
    priced = p.iv_source != SmileSource.UNAVAILABLE
    keep = np.flatnonzero(priced).astype(np.int64)
    every = keep.shape[0] == priced.shape[0]  # nothing left out: the arrays as they are

    def kept(a: npt.NDArray[np.generic]) -> npt.NDArray[Any]:
        return a if every else a[keep]

    no_iv = np.bincount(r.uid[~priced], minlength=r.n_underlyings).astype(np.int64)
    uid = kept(r.uid)
    starts, stops = (r.starts, r.stops) if every else segment_bounds(uid, r.n_underlyings)
    return MarketPriced(
        keep=keep,
        uid=uid,
        starts=starts,
        stops=stops,
        t=kept(t),
        forward=kept(p.forward),
        rate=kept(p.rate),
        carry=kept(p.carry),
        iv=kept(p.iv),
        iv_source=kept(p.iv_source),
        no_iv=no_iv,
        rows=p,
    )
