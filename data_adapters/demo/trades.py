"""Synthetic intraday option trades with the NBBO at each trade (``TRADES_SCHEMA``).

For a session day, the tape draws ``trades_per_day`` trades (150 for a synthetic stock):

- **When**: U-shaped through the session (busier at the open and the close), strictly
  between the open and the close, sorted by time, microsecond timestamps in UTC.
- **What**: contracts drawn in proportion to their expected volume for the day (``chains``),
  so near-the-money, short-dated contracts (0DTE above all) dominate. Contracts that settle
  at the open (AM-settled monthlies on their expiration day) do not trade.
- **NBBO**: each contract is re-priced at the trade's instant from the underlying's intraday
  path and the smile at that time to expiry, and quoted like the snapshot (same spread
  factor). Futures options move with their index (the basis is held at the open's value).
- **Price**: buys (45 %) print at the ask, or between the mid and the ask; sells (45 %) at the
  bid, or between the bid and the mid (a sell on a zero bid becomes a buy); the rest near
  the mid. Prices sit on the tick and are at least one tick.
- **Size**: heavy-tailed (most 1-10 contracts, some in the hundreds, rare blocks).
- **Condition**: ``auto_execution`` (70 %), ``multi_leg`` (12 %), ``intermarket_sweep``
  (10 %), ``single_leg_auction`` (8 %), after the OPRA condition families that Polygon
  numbers 209, 232-245, 219 and 227-231.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.special import betaincinv

from data_adapters.base import TRADES_SCHEMA
from data_adapters.demo.chains import SPREAD, activity, contract_ids, row_vols, rows_of
from data_adapters.demo.noise import key, uniforms
from data_adapters.demo.pricing import quotes, round_to_tick, theoretical, tick_size
from data_adapters.demo.sessions import TradingDay
from data_adapters.demo.slices import Slices, years

__all__ = ["CONDITIONS", "empty", "tape"]

CONDITIONS: Final = ("auto_execution", "multi_leg", "intermarket_sweep", "single_leg_auction")
_CONDITION_CDF: Final = np.array([0.70, 0.82, 0.92, 1.0])


def empty() -> pl.DataFrame:
    """A trades frame with no rows."""
    return pl.DataFrame(schema=TRADES_SCHEMA)


def _sizes(u: npt.NDArray[np.float64], block: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    size = np.minimum(np.floor(u**-0.65), 500.0)
    return np.where(block < 0.01, size * 10 + 50, size).astype(np.int64)


def tape(
    slices: Slices,
    day: TradingDay,
    ratio_at: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
    count: int,
    stream: tuple[object, ...],
    rate: float,
) -> pl.DataFrame:
    """The day's trades on the contracts of ``slices`` (priced as of the open).

    ``ratio_at(fractions)`` gives the underlying's price at those session fractions divided
    by its price at the open; ``stream`` names the noise stream (seed, symbol, day).
    """
    live = slices.take(slices.settlement_us > day.open_us)
    if live.size == 0 or count <= 0:
        return empty()
    rows = rows_of(live, day.day)
    _, weight = activity(live, rows, day.day)
    k = key("demo.trades", *stream)
    n = np.arange(count)
    frac = np.sort(betaincinv(0.6, 0.6, uniforms(k, n, 1)))
    frac = np.clip(frac, 1e-6, 1.0 - 1e-6)
    stamp = day.open_us + np.floor(frac * (day.close_us - day.open_us)).astype(np.int64)
    cdf = np.cumsum(weight)
    pick = np.minimum(np.searchsorted(cdf, uniforms(k, n, 2) * cdf[-1], side="right"), cdf.size - 1)
    s = rows.slice_of[pick]
    sub = type(rows)(s, rows.strike_milli[pick], rows.is_call[pick], rows.noise[pick])
    underlying = live.underlying[s] * ratio_at(frac)
    t = years(live.settlement_us[s], stamp)
    iv = row_vols(live, sub, underlying, t, rate)
    theo = theoretical(underlying, sub.strike, t, rate, live.q[s], iv, sub.is_call).price
    scheme = live.scheme[s]
    bid, ask = quotes(theo, t, scheme, 0.8 + 0.5 * uniforms(sub.noise, SPREAD))
    mid = (bid + ask) / 2.0
    side = uniforms(k, n, 3)
    buy = (side < 0.45) | ((side < 0.9) & (bid <= 0.0))
    sell = (side >= 0.45) & (side < 0.9) & (bid > 0.0)
    at_quote = uniforms(k, n, 4) < 0.7
    inside = uniforms(k, n, 5)
    price = np.where(buy, np.where(at_quote, ask, mid + (ask - mid) * inside), mid)
    price = np.where(sell, np.where(at_quote, bid, mid - (mid - bid) * inside), price)
    tick = tick_size(price, scheme)
    price = np.clip(round_to_tick(price, tick), np.maximum(bid, tick), np.maximum(ask, tick))
    condition = np.searchsorted(_CONDITION_CDF, uniforms(k, n, 6), side="right")
    ids = contract_ids(live, rows).gather(pl.Series(pick))
    return pl.DataFrame(
        {
            "contract": ids,
            "timestamp": pl.Series(stamp).cast(pl.Datetime("us", "UTC")),
            "price": price,
            "size": _sizes(uniforms(k, n, 7), uniforms(k, n, 8)),
            "condition": pl.Series(np.array(CONDITIONS)[condition]),
            "bid": bid,
            "ask": ask,
        },
        schema=TRADES_SCHEMA,
    )
