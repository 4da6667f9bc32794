"""Build canonical chain rows from expiry slices: strikes, smile, open interest, volume,
quotes, contract ids, and a few deliberately bad rows.

Per contract (``x = ln(K / reference) / (atm · √max(T, 0.04))``):

- **Open interest** (previous close, constant within the day): ``oi_scale`` × the expiry
  kind's weight (monthlies heaviest) × ``1/(1 + 1.5·T)`` × a moneyness profile × a
  round-strike weight (3.5 on multiples of ``round_strike``, 1.8 on halves, 1.0 on quarters,
  0.4 elsewhere) × log-normal noise. Puts peak below the money (``x ≈ -0.5``) with a long
  downside tail, calls above (``x ≈ +0.4``): puts are heavier below spot, calls above.
- **Volume** so far today: the sizes of the contract's counted prints on the day's tape
  stamped at or before ``as_of`` (:mod:`prints`, :mod:`trades`; the tape's excluded
  re-reports are not volume): 0 before the open, the day's volume after the close. The
  day's volume is ``floor`` of 2 % of OI plus a per-expiry budget ``20 · oi_scale · boost /
  (1 + 6T)`` spread over the strikes near the money, times log-normal noise, with
  ``boost = 1 + 25 · 0.15^DTE`` and 15 more on the expiration day (DTE = calendar days to
  expiration: 0DTE some 40 times a month out, 1DTE five times; 0DTE is about half of SPX's
  volume). A contract whose slice settles at or before the open (an AM-settled monthly on
  its expiration day, an expired row) trades nothing that day.
- **Quotes** around the theoretical value (``pricing.quotes``); far out-of-the-money bids are
  0. ``last`` is near the theoretical value when the contract traded today, else NaN.
- **Vendor fields**: ``iv`` is the smile's vol and ``vendor_delta``/``vendor_gamma`` its
  greeks, except on a deterministic ~3 % of rows where all three are NaN (the engine solves
  those from the mid).
- **Bad rows**: ~0.2 % of rows (and at least one per underlying) get a crossed quote (bid
  one tick above the ask) and no IV, so the validator quarantines them as ``crossed_quote``.

Every random draw is :mod:`noise` keyed by the slice key, strike, right, the trading day
and a purpose, so a row is the same whichever other rows are generated with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from data_adapters.demo.expiries import MONTH_CODES
from data_adapters.demo.grids import grid
from data_adapters.demo.noise import hashes, normals, uniforms
from data_adapters.demo.pricing import quotes, round_to_tick, smile, theoretical, tick_size
from data_adapters.demo.prints import volume_at
from data_adapters.demo.sessions import TradingDay
from data_adapters.demo.slices import KIND_OI_WEIGHT, Slices, years
from engine.chain import SCHEMA

__all__ = [
    "SPREAD",
    "BadRows",
    "Rows",
    "activity",
    "build",
    "build_with_rows",
    "contract_ids",
    "day_volumes",
    "day_years",
    "forward",
    "row_ends",
    "row_vols",
    "rows_of",
]

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

OI, VOLUME, SPREAD, LAST, MISSING, CROSSED = range(1, 7)
"""Purpose ids of the per-row noise streams (``SPREAD`` is shared with the trade tape)."""
OI_MIN_T: Final = 0.04
VOLUME_MIN_T: Final = 1.0 / 365.0
ZERO_DTE_BOOST: Final = 15.0
"""Extra volume budget (in units of a far expiry's) on an expiry's last day."""
_EPOCH_DAY: Final = date(1970, 1, 1)
GRID_MIN_T: Final = 10.0 / 365.0
"""Short expiries keep the strike range they were listed with (about two weeks out)."""


@dataclass(frozen=True, slots=True)
class BadRows:
    """Shares of rows made deliberately bad (decimals)."""

    crossed: float = 0.002
    missing_iv: float = 0.03


@dataclass(frozen=True, slots=True)
class Rows:
    """Contracts of a slice set: slice index, strike, right and the per-row noise base."""

    slice_of: Int
    strike_milli: Int
    is_call: Bool
    noise: npt.NDArray[np.uint64]

    @property
    def strike(self) -> Float:
        return self.strike_milli / 1000.0


def _atm(slices: Slices, t: Float) -> Float:
    return slices.atm_long + (slices.atm_short - slices.atm_long) * np.exp(-t / 0.25)


def day_years(slices: Slices, day: date) -> Float:
    """Years to settlement from 00:00 UTC of the trading ``day``: what sizes the strike grid,
    open interest and the day's volume, so none of them moves within the day."""
    return years(slices.settlement_us, (day - _EPOCH_DAY).days * 86_400_000_000)


def rows_of(slices: Slices, day: date) -> Rows:
    """Calls and puts on every strike of every slice (call first), in slice order.

    The grid is sized with the time to settlement from the start (00:00 UTC) of the trading
    ``day``, so the listed strikes do not change within the day.
    """
    t = day_years(slices, day)
    g = grid(
        slices.reference,
        slices.grid_vol * np.sqrt(np.maximum(t, GRID_MIN_T)),
        slices.width,
        slices.steps_milli,
    )
    slice_of = np.repeat(g.slice_of, 2)
    strike = np.repeat(g.strike_milli, 2)
    is_call = np.tile(np.array([True, False]), g.strike_milli.size)
    noise = hashes(slices.key[slice_of], strike, is_call, day.toordinal())
    return Rows(slice_of, strike, is_call, noise)


def forward(underlying: Float, rate: float, q: Float, t: Float) -> Float:
    """``F = underlying · e^{(r - q)T}`` (the futures price itself for Black-76, where q = r)."""
    return underlying * np.exp((rate - q) * t)


def row_vols(slices: Slices, rows: Rows, underlying: Float, t: Float, rate: float) -> Float:
    """The smile's vol of each row given row-level underlying prices and times (years)."""
    s = rows.slice_of
    f = forward(underlying, rate, slices.q[s], t)
    return smile(
        np.log(rows.strike / f),
        t,
        slices.atm_short[s],
        slices.atm_long[s],
        slices.wing[s],
        slices.skew[s],
    )


def _profile(x: Float, is_call: Bool) -> Float:
    centre = np.where(is_call, 0.4, -0.5)
    below = x < centre
    sd = np.where(is_call, np.where(below, 0.6, 1.1), np.where(below, 1.4, 0.6))
    return np.exp(-0.5 * ((x - centre) / sd) ** 2)


def _round_bonus(strike_milli: Int, round_milli: Int) -> Float:
    bonus = np.full(strike_milli.size, 0.4)
    for divisor, factor in ((4, 1.0), (2, 1.8), (1, 3.5)):
        step = round_milli // divisor
        hit = (step > 0) & (round_milli % divisor == 0) & (strike_milli % np.maximum(step, 1) == 0)
        bonus = np.where(hit, factor, bonus)
    return bonus


def activity(slices: Slices, rows: Rows, day: date) -> tuple[Int, Float]:
    """(open interest, the full day's expected volume) per row on trading ``day``."""
    t = day_years(slices, day)
    s = rows.slice_of
    atm = _atm(slices, t)[s]
    ln_k = np.log(rows.strike / slices.reference[s])
    x = ln_k / (atm * np.sqrt(np.maximum(t[s], OI_MIN_T)))
    size = slices.oi_scale[s] * KIND_OI_WEIGHT[slices.kind[s]] / (1.0 + 1.5 * t[s])
    noise = np.exp(0.6 * normals(rows.noise, OI) - 0.18)
    oi = np.floor(
        size
        * _profile(x, rows.is_call)
        * _round_bonus(rows.strike_milli, slices.round_milli[s])
        * noise
    )
    near = np.exp(-0.5 * (ln_k / (atm * np.sqrt(np.maximum(t[s], VOLUME_MIN_T)) * 0.8)) ** 2)
    dte = (slices.expiration - np.datetime64(day, "D")).astype(np.int64)
    boost = 1.0 + 25.0 * 0.15 ** np.maximum(dte, 0) + ZERO_DTE_BOOST * (dte == 0)
    budget = slices.oi_scale * 20.0 * boost / (1.0 + 6.0 * t)
    share = near / np.bincount(s, weights=near, minlength=slices.size)[s]
    flow = 0.02 * oi + budget[s] * share
    day_volume = flow * np.exp(0.5 * normals(rows.noise, VOLUME) - 0.125)
    return oi.astype(np.int64), day_volume


def row_ends(slices: Slices, rows: Rows, day: TradingDay) -> Int:
    """The last instant each row can trade on ``day`` (UTC µs): the close, or its settlement
    when earlier (at or before the open: it does not trade)."""
    return np.minimum(slices.settlement_us[rows.slice_of], day.close_us)


def day_volumes(slices: Slices, rows: Rows, day: TradingDay) -> tuple[Int, Int]:
    """(open interest, the whole day's volume in lots) per row: the expected volume of
    :func:`activity` floored, 0 for a row that settles at or before the open."""
    oi, expected = activity(slices, rows, day.day)
    live = row_ends(slices, rows, day) > day.open_us
    return oi, np.where(live, np.floor(expected), 0.0).astype(np.int64)


def _slice_columns(slices: Slices) -> pl.DataFrame:
    """Per-slice string and date columns, with the contract id prefix (root + date part)."""
    exp = pl.Series("expiration", slices.expiration)
    code = pl.Series(list(MONTH_CODES))[exp.dt.month().cast(pl.Int64) - 1]
    frame = pl.DataFrame(
        {
            "root": slices.root,
            "expiration": exp,
            "settlement": pl.Series(slices.settlement_us).cast(pl.Datetime("us", "UTC")),
            "style": slices.style,
            "model": slices.model,
            "osi": slices.osi,
            "code": code,
        }
    )
    cme = pl.concat_str(
        "root", "code", (pl.col("expiration").dt.year() % 10).cast(pl.String), pl.lit(" ")
    )
    osi = pl.concat_str("root", pl.col("expiration").dt.strftime("%y%m%d"))
    return frame.with_columns(pl.when(pl.col("osi")).then(osi).otherwise(cme).alias("prefix"))


def contract_ids(slices: Slices, rows: Rows) -> pl.Series:
    """The contract id of every row."""
    strings = _slice_columns(slices).select(pl.col("prefix").gather(pl.Series(rows.slice_of)))
    return strings.select(_contract_ids(rows, slices.osi[rows.slice_of])).to_series()


def _contract_ids(rows: Rows, osi: Bool) -> pl.Expr:
    """OSI ids (prefix, C/P, strike x 1000 in 8 digits) or CME-style (prefix, C/P, strike)."""
    milli = pl.lit(pl.Series(rows.strike_milli))
    strike = (
        pl.when(pl.lit(pl.Series(osi)))
        .then(milli.cast(pl.String).str.zfill(8))
        .otherwise((milli // 1000).cast(pl.String))
    )
    right = pl.when(pl.lit(pl.Series(rows.is_call))).then(pl.lit("C")).otherwise(pl.lit("P"))
    return pl.concat_str(pl.col("prefix"), right, strike).alias("contract")


def _run_minimum(owner: Int, values: Float) -> Bool:
    """True at the smallest value of each run of equal ``owner`` (one per underlying)."""
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    lowest = np.minimum.reduceat(values, starts)
    return values == np.repeat(lowest, np.diff(np.r_[starts, owner.size]))


def build(
    slices: Slices,
    as_of_us: int,
    day: TradingDay,
    rate: float,
    bad: BadRows | None = None,
) -> pl.DataFrame:
    """The canonical frame (engine.chain.SCHEMA) of every contract of ``slices`` at
    ``as_of_us`` (UTC µs) on trading ``day``."""
    return build_with_rows(slices, as_of_us, day, rate, bad)[0]


def build_with_rows(
    slices: Slices,
    as_of_us: int,
    day: TradingDay,
    rate: float,
    bad: BadRows | None = None,
) -> tuple[pl.DataFrame, Rows]:
    """:func:`build` plus the :class:`Rows` behind the frame (same order)."""
    bad = bad or BadRows()
    rows = rows_of(slices, day.day)
    s = rows.slice_of
    t_slice = years(slices.settlement_us, as_of_us)
    t = t_slice[s]
    underlying = slices.underlying[s]
    iv = row_vols(slices, rows, underlying, t, rate)
    greeks = theoretical(underlying, rows.strike, t, rate, slices.q[s], iv, rows.is_call)
    oi, day_volume = day_volumes(slices, rows, day)
    ends = row_ends(slices, rows, day)
    volume = volume_at(rows.noise, day_volume, day.open_us, ends, as_of_us)
    scheme = slices.scheme[s]
    bid, ask = quotes(greeks.price, t, scheme, 0.8 + 0.5 * uniforms(rows.noise, SPREAD))
    tick = tick_size(greeks.price, scheme)
    last = round_to_tick(greeks.price * np.exp(0.03 * normals(rows.noise, LAST)), tick)
    last = np.where(volume > 0, np.maximum(last, tick), np.nan)
    missing = uniforms(rows.noise, MISSING) < bad.missing_iv
    draw = uniforms(rows.noise, CROSSED)
    crossed = draw < bad.crossed
    if bad.crossed > 0 and draw.size:
        crossed |= _run_minimum(slices.owner[s], draw)
    bid = np.where(crossed, ask + tick_size(ask, scheme), bid)
    no_vendor = missing | crossed
    nan = np.float64("nan")
    numbers = pl.DataFrame(
        {
            "strike": rows.strike,
            "is_call": rows.is_call,
            "multiplier": slices.multiplier[s],
            "underlying_price": underlying,
            "open_interest": oi,
            "volume": volume,
            "bid": bid,
            "ask": ask,
            "last": last,
            "iv": np.where(no_vendor, nan, iv),
            "vendor_delta": np.where(no_vendor, nan, greeks.delta),
            "vendor_gamma": np.where(no_vendor, nan, greeks.gamma),
        }
    )
    strings = _slice_columns(slices).select(pl.all().gather(pl.Series(s)))
    frame = pl.concat([strings, numbers], how="horizontal").with_columns(
        _contract_ids(rows, slices.osi[s])
    )
    return frame.select([pl.col(c).cast(d) for c, d in SCHEMA.items()]), rows
