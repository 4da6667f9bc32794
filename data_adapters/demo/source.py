"""``demo``: the embedded default source, a deterministic synthetic option market.

Settings (``data_adapters.get_source("demo", ...)``, ``GEX_DEMO_<KEY>`` or the config file):

``seed`` (int, default 0)
    Everything random follows from it: the same ``seed`` and ``as_of`` give the same
    snapshot, byte for byte, in any process.
``universe`` (``standard`` | ``market``, default ``standard``)
    ``standard``: the named symbols (``universe.STANDARD``). ``market``: those plus
    synthetic stocks up to ``market_size`` underlyings (``market``).
``rate`` (continuous decimal, default ``DEFAULT_RATE``)
    The risk-free rate of the synthetic market and of every snapshot header.
``market_size`` (int, default 6000)
    Underlyings in the ``market`` universe, named symbols included.
``clock`` (ISO 8601 instant with a zone, e.g. ``2026-11-20T15:00:00Z``; env
``GEX_DEMO_CLOCK``; default: none)
    A frozen "now": ``as_of=None`` means this instant instead of the wall clock, so a
    server or a test started with it answers the same at any time. It must be inside the
    served range; anything else is a ``SourceConfigError``.

``snapshot(symbol, as_of=None)`` takes any instant the calendar serves (1992-2054): the demo
is synthetic, so a past ``as_of`` is history like any other. ``as_of=None`` reads the clock:
the ``clock`` setting when given, else now, UTC, truncated to the second.
``trades(symbol, day)`` is the whole session's tape (``until`` cuts it at an instant), whatever
the ``clock``: the tape of a day is a pure function of (``seed``, symbol, day), and a
snapshot's ``volume`` at ``as_of`` is the sum of the sizes on that tape up to ``as_of``, the
excluded re-reports (``late``, ``out_of_sequence``, ``cancelled``, ``corrected``) left out
(``trades``).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Final

import numpy as np
import polars as pl

from data_adapters.demo import market as mkt
from data_adapters.demo import named, trades
from data_adapters.demo.expiries import listed
from data_adapters.demo.sessions import NEW_YORK, TradingDay, is_session, trading_day
from data_adapters.demo.universe import STANDARD
from data_adapters.errors import (
    DataSourceError,
    NoHistoryError,
    SourceConfigError,
    SymbolNotFoundError,
)
from data_adapters.settings import DEFAULT_RATE, Settings
from engine.chain import ChainSnapshot

__all__ = ["SETTING_KEYS", "UNIVERSES", "DemoSource", "create"]

UNIVERSES: Final = ("standard", "market")


class DemoSource:
    """The synthetic market (see the module docstring for the settings)."""

    name = "demo"

    def __init__(
        self,
        seed: int = 0,
        universe: str = "standard",
        rate: float = DEFAULT_RATE,
        market_size: int = mkt.DEFAULT_SIZE,
        clock: datetime | None = None,
    ) -> None:
        if universe not in UNIVERSES:
            raise SourceConfigError(
                self.name, f"universe must be one of {UNIVERSES}, not {universe!r}"
            )
        if not np.isfinite(rate):
            raise SourceConfigError(self.name, f"rate must be finite, not {rate!r}")
        if market_size < 1:
            raise SourceConfigError(self.name, f"market_size must be positive, not {market_size}")
        if clock is not None:
            if not isinstance(clock, datetime) or clock.tzinfo is None or clock.utcoffset() is None:
                raise SourceConfigError(
                    self.name, f"clock must be a timezone-aware datetime, not {clock!r}"
                )
            clock = clock.astimezone(UTC)
            try:
                trading_day(clock)
            except ValueError as exc:
                raise SourceConfigError(self.name, f"clock {clock.isoformat()}: {exc}") from None
        self.seed = int(seed)
        self.universe = universe
        self.rate = float(rate)
        self.market_size = int(market_size)
        self.clock = clock

    def __repr__(self) -> str:
        clock = "" if self.clock is None else f", clock={self.clock.isoformat()!r}"
        return f"DemoSource(seed={self.seed}, universe={self.universe!r}, rate={self.rate}{clock})"

    def symbols(self) -> list[str]:
        if self.universe == "market":
            return mkt.market_symbols(self.market_size)
        return list(STANDARD)

    def _instant(self, as_of: datetime | None) -> datetime:
        if as_of is None:
            if self.clock is not None:
                return self.clock
            return datetime.now(UTC).replace(microsecond=0)
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise DataSourceError(self.name, "as_of must be a timezone-aware datetime")
        return as_of.astimezone(UTC)

    def _day(self, instant: datetime) -> TradingDay:
        try:
            return trading_day(instant)
        except ValueError as exc:
            raise NoHistoryError(self.name, str(exc)) from None

    def _resolve(self, symbol: str) -> tuple[str, int | None]:
        """(normalized symbol, synthetic rank or None for a named symbol)."""
        sym = symbol.strip().upper()
        if sym in STANDARD and (
            self.universe == "standard" or list(STANDARD).index(sym) < self.market_size
        ):
            return sym, None
        if self.universe == "market":
            rank = mkt.synthetic_rank(sym, self.market_size)
            if rank is not None:
                return sym, rank
        known = (
            ", ".join(STANDARD) if self.universe == "standard" else f"{self.market_size} symbols"
        )
        raise SymbolNotFoundError(
            self.name, f"unknown symbol {symbol!r} (the {self.universe} universe has {known})"
        )

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        """The chain of ``symbol`` at ``as_of`` (default: now)."""
        sym, rank = self._resolve(symbol)
        instant = self._instant(as_of)
        self._day(instant)
        if rank is None:
            return named.snapshot(STANDARD[sym], self.seed, instant, self.rate)
        snap = mkt.synthetic_snapshot(self.seed, sym, instant, self.rate, self.market_size)
        assert snap is not None
        return snap

    def market(self, as_of: datetime | None = None) -> mkt.MarketFrame:
        """Every underlying of this source's universe (exactly :meth:`symbols`) in one frame
        (``market.MarketFrame``)."""
        instant = self._instant(as_of)
        self._day(instant)
        size = self.market_size if self.universe == "market" else len(STANDARD)
        return mkt.market(self.seed, instant, self.rate, size)

    def trades(self, symbol: str, day: date, until: datetime | None = None) -> pl.DataFrame:
        """The session's trades on ``day`` (New York date) with the NBBO at each; an empty
        frame on a day without a session. ``until`` keeps trades at or before that instant.

        The whole day's tape is generated once per (settings, symbol, day) and kept (the
        :data:`TAPES_KEPT` most recent days); ``until`` is then a slice of it, so a caller
        polling through the session (the flow endpoints) pays the generation once."""
        sym, _ = self._resolve(symbol)
        if not is_session(day):
            return trades.empty()
        tape = _day_tape(self.seed, self.rate, self.market_size, self.universe, sym, day)
        if until is None:
            return tape
        stop = tape["timestamp"].search_sorted(until.astimezone(UTC), side="right")
        return tape.slice(0, int(stop))

    def _full_day_tape(self, sym: str, day: date) -> pl.DataFrame:
        """Every print of ``sym`` on the session ``day`` (sorted by time)."""
        _, rank = self._resolve(sym)
        session = self._day(datetime.combine(day, time(12), tzinfo=NEW_YORK))
        start = replace(session, elapsed=0.0)
        if rank is None:
            spec = STANDARD[sym]
            slices, _, prev = named.slices_for(
                spec, self.seed, listed(spec, day), start.open_us, start, self.rate
            )

            def ratio(frac: np.ndarray) -> np.ndarray:
                return named.index_level(spec, self.seed, start, frac)[1] / prev

        else:
            stocks = mkt.synthetic_count(self.market_size)
            ranks = np.array([rank])
            slices, _ = mkt.synthetic_slices(self.seed, ranks, stocks, start, start.open_us)

            def ratio(frac: np.ndarray) -> np.ndarray:
                p = mkt.synthetic_path(self.seed, ranks, stocks, start, frac)
                return p.spots[0] / p.prev_close[0]

        return trades.tape(slices, start, ratio, self.rate, None)


TAPES_KEPT: Final = 6
"""Whole-day demo tapes kept in memory (an SPX day is about 35 MB)."""


@functools.lru_cache(maxsize=TAPES_KEPT)
def _day_tape(
    seed: int, rate: float, market_size: int, universe: str, sym: str, day: date
) -> pl.DataFrame:
    source = DemoSource(seed=seed, universe=universe, rate=rate, market_size=market_size)
    return source._full_day_tape(sym, day)


def _number(settings: Settings, name: str, default: float, kind: type) -> float:
    raw = settings.get(name, default)
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise SourceConfigError(
            settings.source, f"setting {name!r} must be a number, not {raw!r}"
        ) from None
    if kind is int and isinstance(raw, float) and raw != value:
        raise SourceConfigError(
            settings.source, f"setting {name!r} must be an integer, not {raw!r}"
        )
    return value


def _clock(settings: Settings) -> datetime | None:
    """The ``clock`` setting: an ISO 8601 instant with a zone (or a datetime), else None."""
    raw = settings.get("clock", None)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = raw
    if isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise SourceConfigError(
            settings.source,
            f"setting 'clock' must be an ISO 8601 instant with a time zone "
            f"(e.g. 2026-11-20T15:00:00Z), not {raw!r}",
        )
    return value


SETTING_KEYS: Final = ("seed", "universe", "rate", "market_size", "clock")
"""The settings ``create`` reads (docs/configuration.md); ``gex --source-opt`` checks
against them."""


def create(settings: Settings) -> DemoSource:
    """The ``demo`` source from its settings (``seed``, ``universe``, ``rate``,
    ``market_size``, ``clock``)."""
    return DemoSource(
        seed=int(_number(settings, "seed", 0, int)),
        universe=str(settings.get("universe", "standard")).strip().lower(),
        rate=float(_number(settings, "rate", DEFAULT_RATE, float)),
        market_size=int(_number(settings, "market_size", mkt.DEFAULT_SIZE, int)),
        clock=_clock(settings),
    )
