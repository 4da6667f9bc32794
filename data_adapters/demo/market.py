"""The market-scale universe: about 6,000 underlyings and 1.5 million contracts.

``universe="market"`` is the demo's named symbols (full chains, as in the standard universe)
plus synthetic single stocks named by made-up tickers, so that a benchmark can analyse a
whole market end to end. The tickers and each stock's parameters (price level, vol, beta,
dividend yield, liquidity rank) are fixed; prices, open interest and quotes follow the seed
and ``as_of`` like every other demo number.

Synthetic stocks, by liquidity rank: the first 60 list 6 weeklies, 8 monthlies and 3 LEAPS
(January and June); the next 600 list 3 weeklies, 6 monthlies and 2 January LEAPS; the rest
4 monthlies and 1 January LEAPS. Options are American, PM-settled, multiplier 100, OSI ids with the ticker as
root, penny ticks; strike increments follow the previous close (0.5/1/5 under $10 up to
10/50/100 above $400), so the number of strikes does not drift with the market's level. Their bad rows are those of ``chains`` (crossed quotes, missing IVs); the
expired and duplicate rows exist only in the named chains.

Everything is vectorized over all slices at once (no per-contract Python loop), and a
single stock's chain computed alone equals its rows in the whole market.

:func:`market` returns a :class:`MarketFrame`: one canonical frame holding every
underlying's contracts contiguously, plus ``offsets`` so that the rows of underlying ``i``
are ``frame[offsets[i]:offsets[i + 1]]``; :meth:`MarketFrame.snapshot` wraps one of them
as a :class:`ChainSnapshot` (a zero-copy slice).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from data_adapters.demo import named, walk
from data_adapters.demo.chains import build_with_rows
from data_adapters.demo.expiries import KINDS, listed
from data_adapters.demo.noise import hashes, key, normals, uniforms
from data_adapters.demo.sessions import TradingDay, to_us, trading_day
from data_adapters.demo.slices import Slices, concat
from data_adapters.demo.universe import STANDARD, Schedule
from engine.chain import ChainSnapshot
from engine.settlement import ROOT_RULES, settlement_instant

__all__ = [
    "DEFAULT_SIZE",
    "MarketFrame",
    "market",
    "market_symbols",
    "stock_params",
    "strike_steps",
    "synthetic_count",
    "synthetic_path",
    "synthetic_rank",
    "synthetic_slices",
    "synthetic_snapshot",
]

DEFAULT_SIZE: Final = 6000
"""Underlyings in the market universe, named symbols included."""

_TIERS: Final = (
    (60, 1.0, Schedule(weeklies=6, monthlies=8, leaps=3, leaps_months=(1, 6))),
    (600, 0.8, Schedule(weeklies=3, monthlies=6, leaps=2)),
    (None, 0.7, Schedule(monthlies=4, leaps=1)),
)
_STEP_TABLE: Final = (
    (10.0, (0.5, 1.0, 5.0)),
    (50.0, (1.0, 5.0, 10.0)),
    (150.0, (2.5, 5.0, 10.0)),
    (400.0, (5.0, 10.0, 50.0)),
    (np.inf, (10.0, 50.0, 100.0)),
)
_LETTERS: Final = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


@functools.cache
def _tickers(count: int) -> tuple[str, ...]:
    """``count`` made-up 3- and 4-letter tickers, none a named symbol or a registered root."""
    taken = set(STANDARD) | set(ROOT_RULES)
    out: list[str] = []
    batch = 0
    while len(out) < count:
        ids = np.arange(batch * 8192, (batch + 1) * 8192)
        letters = _LETTERS[
            (uniforms(key("demo.tickers"), ids[:, None], np.arange(4)[None, :]) * 26).astype(
                np.int64
            )
        ]
        four = uniforms(key("demo.tickers.length"), ids) < 0.55
        for row, long in zip(letters, four, strict=True):
            name = "".join(row if long else row[:3])
            if name not in taken:
                taken.add(name)
                out.append(name)
        batch += 1
    return tuple(out[:count])


def synthetic_count(size: int = DEFAULT_SIZE) -> int:
    """How many synthetic stocks a market universe of ``size`` underlyings has."""
    return max(0, size - len(STANDARD))


def market_symbols(size: int = DEFAULT_SIZE) -> list[str]:
    """The market universe's symbols: the named ones, then synthetic tickers by liquidity."""
    return [*list(STANDARD)[:size], *_tickers(synthetic_count(size))]


def strike_steps(price: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Strike increments (near, mid, far) in milli for stocks at ``price`` (n, 3)."""
    bounds = np.array([b for b, _ in _STEP_TABLE])
    table = np.round(np.array([s for _, s in _STEP_TABLE]) * 1000).astype(np.int64)
    return table[np.searchsorted(bounds, price, side="right")]


@dataclass(frozen=True, slots=True)
class _Params:
    """Fixed parameters of the synthetic stocks (arrays over rank ``i``)."""

    level: npt.NDArray[np.float64]
    vol: npt.NDArray[np.float64]
    beta: npt.NDArray[np.float64]
    div: npt.NDArray[np.float64]
    skew: npt.NDArray[np.float64]
    oi_scale: npt.NDArray[np.float64]
    tier: npt.NDArray[np.int64]


@functools.cache
def stock_params(count: int) -> _Params:
    i = np.arange(count)
    k = key("demo.market.params")
    level = np.clip(np.exp(np.log(45.0) + 1.0 * normals(k, i, 1)), 3.0, 1500.0)
    small = np.clip(np.log10(i + 1.0) / 4.0, 0.0, 1.0)
    vol = np.clip(0.22 + 0.3 * uniforms(k, i, 2) + 0.35 * small, 0.15, 1.5)
    div = np.where(uniforms(k, i, 3) < 0.4, 0.0, 0.005 + 0.035 * uniforms(k, i, 4))
    tier = np.where(i < _TIERS[0][0], 0, np.where(i < _TIERS[0][0] + _TIERS[1][0], 1, 2))
    return _Params(
        level=level,
        vol=vol,
        beta=0.6 + 1.2 * uniforms(k, i, 5),
        div=div,
        skew=0.02 + 0.05 * uniforms(k, i, 6),
        oi_scale=3000.0 * (i + 1.0) ** -0.8 + 5.0,
        tier=tier.astype(np.int64),
    )


def _tier_expiries(
    day: date, as_of_us: int
) -> list[tuple[npt.NDArray[np.datetime64], npt.NDArray[np.int64], npt.NDArray[np.int8]]]:
    out = []
    for _, _, schedule in _TIERS:
        probe = replace(STANDARD["AAPL"], schedule=schedule)  # an equity root: PM, Fridays
        exps = [
            (
                e.expiration,
                to_us(settlement_instant(None, e.expiration, "bsm")),
                KINDS.index(e.kind),
            )
            for e in listed(probe, day)
        ]
        exps = [e for e in exps if e[1] > as_of_us]
        out.append(
            (
                np.array([e[0] for e in exps], dtype="datetime64[D]"),
                np.array([e[1] for e in exps], dtype=np.int64),
                np.array([e[2] for e in exps], dtype=np.int8),
            )
        )
    return out


def synthetic_path(
    seed: int,
    ranks: npt.NDArray[np.int64],
    count: int,
    day: TradingDay,
    fractions: npt.NDArray[np.float64],
) -> walk.Path:
    """Price paths of the synthetic stocks ``ranks`` on ``day`` at session ``fractions``
    (idiosyncratic vol 0.8 × the stock's implied vol)."""
    p = stock_params(count)
    keys = hashes(key("demo.market.path", seed), ranks)
    return walk.path(seed, keys, p.level[ranks], p.beta[ranks], 0.8 * p.vol[ranks], day, fractions)


def synthetic_slices(
    seed: int, ranks: npt.NDArray[np.int64], count: int, day: TradingDay, as_of_us: int
) -> tuple[Slices, npt.NDArray[np.float64]]:
    """Slices of the synthetic stocks ``ranks`` (``owner`` = position in ``ranks``) and their spots."""
    p = stock_params(count)
    names = np.array(_tickers(count), dtype=np.str_)
    path = synthetic_path(seed, ranks, count, day, np.array([day.elapsed]))
    regime = walk.regime(seed, day.index)
    steps = strike_steps(path.prev_close)
    parts = []
    for t, (exps, settles, kinds) in enumerate(_tier_expiries(day.day, as_of_us)):
        members = np.flatnonzero(p.tier[ranks] == t)
        if members.size == 0 or exps.size == 0:
            continue
        owner = np.repeat(members, exps.size)
        r = ranks[owner]
        n = owner.size
        exp = np.tile(exps, members.size)
        parts.append(
            Slices(
                owner=owner.astype(np.int64),
                key=hashes(key("demo.market.slice", seed), r, exp.astype(np.int64)),
                root=names[r],
                style=np.full(n, "american"),
                model=np.full(n, "bsm"),
                osi=np.ones(n, dtype=np.bool_),
                expiration=exp,
                settlement_us=np.tile(settles, members.size),
                kind=np.tile(kinds, members.size),
                multiplier=np.full(n, 100.0),
                underlying=path.spots[owner, 0],
                reference=path.prev_close[owner],
                q=p.div[r],
                atm_short=p.vol[r] * regime**1.3,
                atm_long=p.vol[r] * 1.05 * regime**0.35,
                wing=np.full(n, 0.1),
                skew=p.skew[r],
                grid_vol=p.vol[r],
                steps_milli=steps[owner],
                round_milli=steps[owner, 2],
                width=np.full(n, _TIERS[t][1]),
                oi_scale=p.oi_scale[r],
                scheme=np.ones(n, dtype=np.int8),
            )
        )
    slices = concat(parts)
    return slices.take(np.argsort(slices.owner, kind="stable")), path.spots[:, 0]


@dataclass(frozen=True, slots=True)
class MarketFrame:
    """Every underlying's chain in one canonical frame (see the module docstring).

    ``symbols``, ``spots`` and ``div_yields`` are per underlying; ``offsets`` has one more
    entry than ``symbols``; ``frame`` has the columns of ``engine.chain.SCHEMA``.
    """

    as_of: datetime
    rate: float
    symbols: tuple[str, ...]
    spots: npt.NDArray[np.float64]
    div_yields: npt.NDArray[np.float64]
    offsets: npt.NDArray[np.int64]
    frame: pl.DataFrame

    def __len__(self) -> int:
        return len(self.symbols)

    def index(self, symbol: str) -> int:
        return self.symbols.index(symbol.strip().upper())

    def snapshot(self, which: int | str) -> ChainSnapshot:
        """The chain of one underlying (by position or symbol), as a zero-copy slice."""
        i = self.index(which) if isinstance(which, str) else int(which)
        start, stop = int(self.offsets[i]), int(self.offsets[i + 1])
        return ChainSnapshot(
            underlying=self.symbols[i],
            as_of=self.as_of,
            spot=float(self.spots[i]),
            source=named.SOURCE,
            frame=self.frame.slice(start, stop - start),
            rate=self.rate,
            div_yield=float(self.div_yields[i]),
        )

    def snapshots(self) -> Iterator[ChainSnapshot]:
        return (self.snapshot(i) for i in range(len(self)))


def _synthetic(
    seed: int, ranks: npt.NDArray[np.int64], count: int, as_of: datetime, rate: float
) -> tuple[pl.DataFrame, npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    day = trading_day(as_of)
    as_of_us = to_us(as_of)
    slices, spots = synthetic_slices(seed, ranks, count, day, as_of_us)
    frame, rows = build_with_rows(slices, as_of_us, day, rate)
    counts = np.bincount(slices.owner[rows.slice_of], minlength=ranks.size)
    return frame, counts, spots


def synthetic_rank(symbol: str, size: int = DEFAULT_SIZE) -> int | None:
    """Liquidity rank of a synthetic ticker (None when it is not one)."""
    tickers = _tickers(synthetic_count(size))
    try:
        return tickers.index(symbol.strip().upper())
    except ValueError:
        return None


def synthetic_snapshot(
    seed: int, symbol: str, as_of: datetime, rate: float, size: int = DEFAULT_SIZE
) -> ChainSnapshot | None:
    """One synthetic stock's chain alone (None when ``symbol`` is not one of them)."""
    rank = synthetic_rank(symbol, size)
    if rank is None:
        return None
    tickers = _tickers(synthetic_count(size))
    frame, _, spots = _synthetic(seed, np.array([rank]), len(tickers), as_of, rate)
    return ChainSnapshot(
        tickers[rank],
        as_of,
        float(spots[0]),
        named.SOURCE,
        frame,
        rate,
        float(stock_params(len(tickers)).div[rank]),
    )


def market(seed: int, as_of: datetime, rate: float, size: int = DEFAULT_SIZE) -> MarketFrame:
    """The whole market universe at ``as_of`` (``size`` underlyings, named ones included)."""
    snaps = [named.snapshot(spec, seed, as_of, rate) for spec in list(STANDARD.values())[:size]]
    count = synthetic_count(size)
    if count:
        frame, counts, spots = _synthetic(seed, np.arange(count), count, as_of, rate)
    else:  # only named underlyings (the standard universe)
        frame, counts, spots = snaps[0].frame.clear(), np.zeros(0, np.int64), np.zeros(0)
    heights = np.array([s.frame.height for s in snaps] + counts.tolist(), dtype=np.int64)
    return MarketFrame(
        as_of=as_of,
        rate=float(rate),
        symbols=tuple(market_symbols(size)),
        spots=np.array([s.spot for s in snaps] + spots.tolist()),
        div_yields=np.array([s.div_yield for s in snaps] + stock_params(count).div.tolist()),
        offsets=np.concatenate([[0], np.cumsum(heights)]).astype(np.int64),
        frame=pl.concat([*(s.frame for s in snaps), frame], how="vertical", rechunk=False),
    )
