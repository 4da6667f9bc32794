"""The synthetic intraday option tape, each print with the NBBO in force (``TRADES_SCHEMA``).

The tape *is* the day's volume: every contract's volume for the day (``chains.day_volumes``)
is cut into prints and each print is stamped (:mod:`prints`), so a snapshot's ``volume`` at
``as_of`` is exactly the sum of the sizes of the tape's *counted* prints up to ``as_of`` —
those the flow simulator counts, every condition but the excluded re-reports below. An SPX
session has about 560,000 prints (2.3 million lots, 0DTE more than half of them); other
names have as many as their volume makes (SPY about 970,000, NDX 43,000, ES=F 350,000); a
synthetic stock of the market universe from a couple of hundred to a few thousand.

- **What trades**: the day's volume of ``chains``: near the money and short-dated, 0DTE
  above all. Contracts that settle at or before the open (AM-settled monthlies on their
  expiration day) do not trade.
- **When** (:mod:`prints`): U-shaped through the session (about 15 % of prints in each of the
  first and the last half-hour, 5 % in a midday one), thin contracts in bursts, busy ones all
  day; strictly between the open and the close; sorted by time (ties in draw order);
  microsecond UTC stamps.
- **Size** (:mod:`prints`): mostly 1-10 lots (51 % single lots, 93 % at most 10), a Pareto
  tail to 300 lots (0.7 % over 50), and rare blocks (about sixty a day on SPX, 500 to 5,000
  lots, round numbers, 3 % of the volume); mean about 4 lots.
- **NBBO**: each contract is re-priced at the print's instant from the underlying's intraday
  path and the smile at that time to expiry, and quoted like the snapshot (same per-contract
  spread factor). Futures options move with their index (the basis is held at the open's).
- **Price** (:data:`SIDES`): 47 % buys, 70 % of them at the ask and the rest strictly between
  the mid and the ask on the tick when the spread leaves room (else at the ask); 47 % sells,
  likewise at or above the bid; 6 % exactly at the mid ``(bid + ask) / 2`` (which can be half
  a tick, as a price-improvement auction prints), on no side. A sell or a mid print on a zero
  bid is a buy. Every price lies in ``[bid, ask]`` and is positive. Over an SPX day: 41 % at
  the ask, 34 % at the bid, 19 % strictly inside and off the mid, 5.5 % exactly at the mid.
- **Condition** (names of ``engine.flow.conditions.CONDITIONS`` only): each counted print
  draws one from :data:`COUNTED`, with its own law for large prints (:data:`LARGE_PRINT` lots
  and more: more crosses, floor trades, auctions and spread legs); a contract's first print
  in the session's first minute is ``opening``. Over an SPX day: ``auto_execution`` 64 %,
  ``multi_leg`` 14 % (18 % with the auction, cross and floor legs), ``intermarket_sweep``
  7 %, ``single_leg_auction`` 4.5 %, ``regular`` 4 %, single-leg crosses and floor trades
  1.3 %, ``stock_option`` 0.2 %, ``opening`` 0.14 %, ``unknown`` 0.09 %, ``reopening``
  0.02 %.
- **Excluded re-reports** (:data:`RE_REPORTS`): a print is reported a second time, 1 s to
  5 min later (:data:`DELAY_US`), same contract and size, against the NBBO then in force,
  as ``late``, ``out_of_sequence``, ``cancelled`` or ``corrected`` — the conditions the
  simulator leaves out, and not part of the volume: 0.37 % of SPX's prints (late 0.13 %,
  out_of_sequence 0.10 %, cancelled 0.08 %, corrected 0.05 %), 0.5 % of its lots.

Every draw is :mod:`noise` keyed by the contract's per-row noise (seed, symbol, root,
expiration, strike, right, day), a purpose and the print's number: the same (seed, symbol,
day) always gives the same tape, in any process, whatever the clock. Fully vectorized (no
per-print Python): an SPX session's tape takes about a quarter of a second on two cores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from data_adapters.base import TRADES_SCHEMA
from data_adapters.demo.chains import (
    SPREAD,
    contract_ids,
    day_volumes,
    row_ends,
    row_vols,
    rows_of,
)
from data_adapters.demo.noise import hashes, uniforms
from data_adapters.demo.pricing import quotes, round_to_tick, theoretical, tick_size
from data_adapters.demo.prints import day_prints
from data_adapters.demo.sessions import TradingDay
from data_adapters.demo.slices import Slices, years
from engine.flow.conditions import CONDITIONS, EXCLUDED_BY_DEFAULT

__all__ = [
    "COUNTED",
    "DELAY_US",
    "LARGE_PRINT",
    "OPENING_US",
    "RE_REPORTS",
    "SIDES",
    "empty",
    "tape",
]

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]

SIDE, DEPTH, CONDITION, COPY, DELAY = 11, 12, 13, 14, 15
"""Purpose ids of the per-print noise streams (``prints`` uses 7-10, ``chains`` 1-6)."""

SIDES: Final = {"buy": 0.47, "sell": 0.47, "mid": 0.06}
"""Shares of buyer-initiated, seller-initiated and exactly-at-mid prints."""
AT_QUOTE: Final = 0.70
"""Share of buys (sells) that print at the ask (bid); the rest try to print inside."""
LARGE_PRINT: Final = 50
"""Prints of this many lots or more draw their condition from the large-print law."""
OPENING_US: Final = 60_000_000
"""A contract's first print within this long after the open is its ``opening`` print."""
DELAY_US: Final = (1_000_000, 300_000_000)
"""A re-report comes this long after the print it repeats (uniform, microseconds)."""

COUNTED: Final = (
    # condition, share of ordinary prints, share of large prints
    ("auto_execution", 0.6460, 0.200),
    ("multi_leg", 0.1400, 0.220),
    ("intermarket_sweep", 0.0700, 0.120),
    ("single_leg_auction", 0.0450, 0.100),
    ("regular", 0.0400, 0.050),
    ("multi_leg_auction", 0.0300, 0.070),
    ("multi_leg_floor", 0.0080, 0.040),
    ("single_leg_cross", 0.0060, 0.080),
    ("single_leg_floor", 0.0060, 0.060),
    ("multi_leg_cross", 0.0060, 0.040),
    ("stock_option", 0.0020, 0.010),
    ("unknown", 0.0008, 0.010),
    ("reopening", 0.0002, 0.000),
)
"""The condition of each print of the day's volume (ordinary and large prints); a
contract's first print in the session's first minute is ``opening`` instead."""
RE_REPORTS: Final = (
    # condition, chance per ordinary print, chance per large print
    ("late", 0.0015, 0.003),
    ("out_of_sequence", 0.0010, 0.002),
    ("cancelled", 0.0008, 0.002),
    ("corrected", 0.0005, 0.002),
)
"""The chance that a print is reported a second time, with one of the conditions the
simulator excludes, on top of the day's volume."""

_NAMES: Final = (*(c for c, _, _ in COUNTED), *(c for c, _, _ in RE_REPORTS), "opening")
_OPENING: Final = len(_NAMES) - 1
_COUNTED_CDF: Final = np.cumsum([[o, g] for _, o, g in COUNTED], axis=0).T
_COPY_CDF: Final = np.cumsum([[o, g] for _, o, g in RE_REPORTS], axis=0).T
assert set(_NAMES) <= set(CONDITIONS), "the tape uses only canonical condition names"
assert {c for c, _, _ in RE_REPORTS} == EXCLUDED_BY_DEFAULT
assert np.allclose(_COUNTED_CDF[:, -1], 1.0)


def empty() -> pl.DataFrame:
    """A trades frame with no rows."""
    return pl.DataFrame(schema=TRADES_SCHEMA)


def _law(cdf: Float, u: Float, large: npt.NDArray[np.bool_]) -> Int:
    """Index drawn by ``u`` from the ordinary (``cdf[0]``) or the large (``cdf[1]``) law."""
    drawn = np.searchsorted(cdf[0], u, side="right")
    big = np.flatnonzero(large)
    drawn[big] = np.searchsorted(cdf[1], u[big], side="right")
    return np.minimum(drawn, cdf.shape[1] - 1)


def _prices(bid: Float, ask: Float, tick: Float, side: Float, depth: Float) -> Float:
    """Print prices against the NBBO (see the module docstring)."""
    mid = (bid + ask) / 2.0
    zero_bid = bid <= 0.0
    buy = (side < SIDES["buy"]) | zero_bid
    sell = ~buy & (side < SIDES["buy"] + SIDES["sell"])
    at_quote = depth < AT_QUOTE
    v = (depth - AT_QUOTE) / (1.0 - AT_QUOTE)
    up = round_to_tick(mid + (ask - mid) * v, tick, "up")
    up = np.where(at_quote | (up >= ask) | (up <= mid), ask, up)
    down = round_to_tick(mid - (mid - bid) * v, tick, "down")
    down = np.where(at_quote | (down <= bid) | (down >= mid), bid, down)
    return np.where(buy, up, np.where(sell, down, mid))


def tape(
    slices: Slices,
    day: TradingDay,
    ratio_at: Callable[[Float], Float],
    rate: float,
    until_us: int | None = None,
) -> pl.DataFrame:
    """The day's prints on the contracts of ``slices`` (priced as of the open), sorted by time.

    ``ratio_at(fractions)`` gives the underlying's price at those session fractions divided
    by its price at the open. ``until_us`` (UTC µs) keeps the prints at or before it.
    """
    live = slices.take(slices.settlement_us > day.open_us)
    if live.size == 0:
        return empty()
    rows = rows_of(live, day.day)
    _, volume = day_volumes(live, rows, day)
    ends = row_ends(live, rows, day)
    prints = day_prints(rows.noise, volume, day.open_us, ends)
    if prints.count == 0:
        return empty()
    opening = np.zeros(prints.count, dtype=np.bool_)
    early = np.flatnonzero(prints.stamp < day.open_us + OPENING_US)
    if early.size:
        early = early[np.lexsort((prints.stamp[early], prints.row[early]))]
        opening[early[np.r_[True, prints.row[early][1:] != prints.row[early][:-1]]]] = True
    streams = hashes(rows.noise[:, None], np.array([SIDE, DEPTH, CONDITION, COPY, DELAY]))
    draw = (prints.bin + 1) * (1 << 32) + prints.seq
    large = prints.size >= LARGE_PRINT
    u = uniforms(streams[prints.row, 3], draw)
    copied = np.flatnonzero(u < np.where(large, _COPY_CDF[1, -1], _COPY_CDF[0, -1]))
    again = _law(_COPY_CDF, u[copied], large[copied]) + len(COUNTED)
    wait = uniforms(streams[prints.row[copied], 4], draw[copied])
    later = (
        prints.stamp[copied] + DELAY_US[0] + (wait * (DELAY_US[1] - DELAY_US[0])).astype(np.int64)
    )
    pick = np.r_[prints.row, prints.row[copied]]
    stamp = np.r_[prints.stamp, np.minimum(later, ends[prints.row[copied]] - 1)]
    size = np.r_[prints.size, prints.size[copied]]
    draw = np.r_[draw, draw[copied] + (1 << 62)]
    fixed = np.r_[np.where(opening, _OPENING, -1), again]
    keep = np.argsort(stamp, kind="stable")
    if until_us is not None:
        keep = keep[stamp[keep] <= until_us]
    if keep.size == 0:
        return empty()
    pick, stamp, size, draw, fixed = pick[keep], stamp[keep], size[keep], draw[keep], fixed[keep]
    s = rows.slice_of[pick]
    sub = type(rows)(s, rows.strike_milli[pick], rows.is_call[pick], rows.noise[pick])
    frac = (stamp - day.open_us) / (day.close_us - day.open_us)
    underlying = live.underlying[s] * ratio_at(frac)
    t = years(live.settlement_us[s], stamp)
    iv = row_vols(live, sub, underlying, t, rate)
    theo = theoretical(underlying, sub.strike, t, rate, live.q[s], iv, sub.is_call).price
    scheme = live.scheme[s]
    bid, ask = quotes(theo, t, scheme, 0.8 + 0.5 * uniforms(sub.noise, SPREAD))
    side, depth, cond = (uniforms(streams[pick, j], draw) for j in range(3))
    price = _prices(bid, ask, tick_size(theo, scheme), side, depth)
    condition = np.where(fixed >= 0, fixed, _law(_COUNTED_CDF, cond, size >= LARGE_PRINT))
    ids = contract_ids(live, rows).gather(pl.Series(pick))
    return pl.DataFrame(
        {
            "contract": ids,
            "timestamp": pl.Series(stamp).cast(pl.Datetime("us", "UTC")),
            "price": price,
            "size": size,
            "condition": pl.Series(_NAMES).gather(pl.Series(condition)),
            "bid": bid,
            "ask": ask,
        },
        schema=TRADES_SCHEMA,
    )
