"""Snapshots into the store from the command line: ``gex ingest`` now, and its collector loop.

:func:`store_now` takes the source's current snapshot of each symbol and stores it (one
result per symbol: ``written``, ``skipped`` — that ``as_of`` is already stored —,
``replaced`` or ``failed`` with the error; a failure never stops the others). Given the
source's trades (``trades``: ``fetch(symbol, day, until)``, made by
:func:`data_adapters.store.backfill.trades_of`), it also stores the session's trade tape up
to each stored snapshot's ``as_of`` (:meth:`StoreWriter.put_trades`: the day's tape grows
tick by tick, each version replacing the last atomically); ``Stored.tape`` says what
happened to it, and a tape the source cannot give is ``"failed"`` with ``tape_error`` (the
snapshot is kept).

:class:`Collector` (``gex ingest --every 60s``) does that on a grid of instants during the
NYSE sessions of the exchange calendar (:mod:`data_adapters.store.calendar`): on a session
day the ticks are ``09:30 New York + k · every`` up to the options' close
(:func:`engine.settlement.option_close`: 16:00, 16:15 for index and broad ETF options,
13:00/13:15 on early closes), and the close itself is always a tick, so the last snapshot
of each session is taken at its close. Outside a session it sleeps until the next open (in
naps of at most ``max_sleep`` seconds, re-reading the clock after each). A tick that comes
while the previous one is still being stored (a slow provider) is skipped, not queued.
``until`` stops the loop before the first tick after it.

The clock and the sleep are injected (``clock() -> aware datetime``, ``sleep(seconds)``):
the defaults are :func:`now_utc` and :func:`pause`, looked up when the collector is built,
so a test can replace them and run a whole week in no time. Each tick opens the store's
writer (waiting up to ``lock_timeout`` seconds for another writer) and closes it after the
tick, so a backfill can write to the same store between ticks; Ctrl-C (KeyboardInterrupt)
anywhere leaves the store consistent (the writer's own protocol: a half-written snapshot is
never listed, and the next writer cleans up after it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, Final

from data_adapters.store import SnapshotStore, StoreWriter
from data_adapters.store.calendar import is_session
from data_adapters.store.layout import new_york_date
from engine.chain import ChainSnapshot
from engine.settlement import CALENDAR_RANGE, NEW_YORK, option_close

__all__ = [
    "OPEN",
    "Collector",
    "CollectorStats",
    "Stored",
    "TradesFetch",
    "next_tick",
    "now_utc",
    "pause",
    "session_window",
    "store_now",
]

OPEN: Final = clock_time(9, 30)
"""The session's open, New York."""
_US: Final = timedelta(microseconds=1)


def now_utc() -> datetime:
    """The wall clock, UTC (the collector's default clock)."""
    return datetime.now(UTC)


def pause(seconds: float) -> None:
    """``time.sleep`` (the collector's default sleep)."""
    time.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Stored:
    """What happened to one symbol's snapshot: ``status`` is ``written``, ``skipped``,
    ``replaced`` or ``failed``; ``as_of`` the snapshot's (None when it failed). ``tape``:
    the same for its day's trade tape (None when no tape was asked for or the snapshot
    failed), with ``tape_error`` when ``failed``."""

    symbol: str
    status: str
    as_of: datetime | None
    error: str | None = None
    tape: str | None = None
    tape_error: str | None = None


TradesFetch = Callable[[str, date, datetime], Any]
"""``fetch(symbol, day, until)``: the source's trades of ``day`` up to ``until``."""


def store_now(
    writer: StoreWriter,
    fetch: Callable[[str], ChainSnapshot],
    symbols: Sequence[str],
    on_result: Callable[[Stored], object] | None = None,
    trades: TradesFetch | None = None,
) -> list[Stored]:
    """Fetch and store each symbol's snapshot (and, with ``trades``, its day's tape up to
    its ``as_of``) with the open ``writer`` (see the module docstring); ``on_result`` hears
    of each as soon as it is durable. A failure to fetch or to encode is a ``failed``
    result; a failure to write is raised (the store's error)."""
    from data_adapters.store import make_record

    out = []
    for symbol in symbols:
        try:
            snapshot = fetch(symbol)
            record = make_record(snapshot)
        except Exception as exc:  # reported per symbol; the others go on
            result = Stored(symbol, "failed", None, f"{type(exc).__name__}: {exc}")
        else:
            result = Stored(symbol, writer.put(record), snapshot.as_of)
            if trades is not None:
                result = _store_tape(writer, trades, result, snapshot.as_of)
        out.append(result)
        if on_result is not None:
            on_result(result)
    return out


def _store_tape(
    writer: StoreWriter, trades: TradesFetch, result: Stored, as_of: datetime
) -> Stored:
    from dataclasses import replace

    from data_adapters.store.tapes import encode_tape

    day = new_york_date(as_of)
    if writer.covers(result.symbol, day, as_of):
        return replace(result, tape="skipped")
    try:
        tape = encode_tape(result.symbol, day, trades(result.symbol, day, as_of))
    except Exception as exc:  # reported; the snapshot is kept
        return replace(result, tape="failed", tape_error=f"{type(exc).__name__}: {exc}")
    return replace(result, tape=writer.put_trades(result.symbol, day, tape, until=as_of))


def session_window(day: date, symbols: Sequence[str]) -> tuple[datetime, datetime] | None:
    """``(open, close)`` in UTC of the session on ``day`` for ``symbols`` (the latest of
    their options' closes), or None when ``day`` is not a session."""
    if not CALENDAR_RANGE[0] <= day <= CALENDAR_RANGE[1] or not is_session(day):
        return None
    start = datetime.combine(day, OPEN, tzinfo=NEW_YORK).astimezone(UTC)
    end = max(option_close(day, s) for s in symbols or ("SPY",))
    return start, end.astimezone(UTC)


def next_tick(after: datetime, every: timedelta, symbols: Sequence[str]) -> datetime | None:
    """The first tick at or after ``after`` (module docstring); None past the calendar."""
    step = every // _US
    if step <= 0:
        raise ValueError(f"every must be positive, not {every}")
    day = after.astimezone(NEW_YORK).date()
    while day <= CALENDAR_RANGE[1]:
        window = session_window(day, symbols)
        if window is not None and after <= window[1]:
            start, end = window
            if after <= start:
                return start
            k = -(-((after - start) // _US) // step)  # ceiling division, in microseconds
            return min(start + k * every, end)
        day += timedelta(days=1)
    return None


@dataclass
class CollectorStats:
    """Counts over a collector's run."""

    ticks: int = 0
    written: int = 0
    skipped: int = 0
    replaced: int = 0
    failed: int = 0
    tapes: int = 0
    """Trade tapes written or replaced."""
    tapes_failed: int = 0


class Collector:
    """Store ``symbols`` every ``every`` during NYSE sessions (see the module docstring).

    ``fetch(symbol)`` is the source's current snapshot; ``trades`` (optional) the source's
    trades (``fetch(symbol, day, until)``, stored with each snapshot); ``on_stored(tick, result)`` is
    called as each snapshot is stored (or fails) and ``on_wait(tick, seconds)`` before
    sleeping until a tick more than ``every`` away (outside a session). :attr:`stats`
    counts what is durable, also after an interruption.
    """

    def __init__(
        self,
        store: SnapshotStore,
        fetch: Callable[[str], ChainSnapshot],
        symbols: Sequence[str],
        every: timedelta,
        *,
        until: datetime | None = None,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], object] | None = None,
        on_stored: Callable[[datetime, Stored], object] | None = None,
        on_wait: Callable[[datetime, float], object] | None = None,
        lock_timeout: float = 30.0,
        max_sleep: float = 900.0,
        trades: TradesFetch | None = None,
    ) -> None:
        if every <= timedelta(0):
            raise ValueError(f"every must be positive, not {every}")
        self.store = store
        self.fetch = fetch
        self.trades = trades
        self.symbols = list(symbols)
        self.every = every
        self.until = until
        self.clock = clock or now_utc
        self.sleep = sleep or pause
        self.on_stored = on_stored
        self.on_wait = on_wait
        self.lock_timeout = lock_timeout
        self.max_sleep = max_sleep
        self.stats = CollectorStats()

    def _wait_until(self, tick: datetime) -> None:
        remaining = (tick - self.clock()).total_seconds()
        if remaining > self.every.total_seconds() and self.on_wait is not None:
            self.on_wait(tick, remaining)
        while remaining > 0:
            self.sleep(min(remaining, self.max_sleep))
            remaining = (tick - self.clock()).total_seconds()

    def tick(self, at: datetime) -> list[Stored]:
        """Store one round of snapshots (the writer is held for this tick only)."""

        def count(result: Stored) -> None:
            setattr(self.stats, result.status, getattr(self.stats, result.status) + 1)
            if result.tape in ("written", "replaced"):
                self.stats.tapes += 1
            elif result.tape == "failed":
                self.stats.tapes_failed += 1
            if self.on_stored is not None:
                self.on_stored(at, result)

        with self.store.writer(self.lock_timeout) as writer:
            results = store_now(writer, self.fetch, self.symbols, count, self.trades)
        self.stats.ticks += 1
        return results

    def run(self) -> CollectorStats:
        """Collect until ``until`` (or forever; Ctrl-C stops it) and return the counts."""
        last: datetime | None = None
        while True:
            now = self.clock()
            start = now if last is None else max(now, last + _US)
            tick = next_tick(start, self.every, self.symbols)
            if tick is None or (self.until is not None and tick > self.until):
                return self.stats
            self._wait_until(tick)
            self.tick(tick)
            last = tick
