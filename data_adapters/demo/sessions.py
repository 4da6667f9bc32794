"""NYSE sessions for the demo market: which trading day an instant belongs to.

The session table (dates, opens, closes in UTC microseconds, early closes included) comes
from the ``XNYS`` calendar of ``exchange_calendars`` over the same range as
:mod:`engine.settlement`, so expiries and settlement instants agree with the engine.

The *trading day* of an instant ``as_of`` is its New York date when that date is a session,
otherwise the next session (a Saturday belongs to Monday). Within it, ``elapsed`` is the
fraction of the session gone by at ``as_of``: 0 before the open (and on non-session days),
1 after the close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

import numpy as np

from engine import NEW_YORK
from engine.settlement import SessionTable, session_table

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "NEW_YORK",
    "SessionTable",
    "TradingDay",
    "from_us",
    "is_session",
    "last_session_of_month",
    "session_index",
    "session_on_or_before",
    "sessions",
    "sessions_from",
    "to_us",
    "trading_day",
]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
FIRST_DAY: Final = date(1992, 1, 2)
"""First trading day the demo serves (the price paths need about a year of history)."""
LAST_DAY: Final = date(2054, 12, 31)
"""Last trading day the demo serves (LEAPS must stay inside the calendar's range)."""


def to_us(instant: datetime) -> int:
    """Microseconds since the Unix epoch of a timezone-aware instant (exact integer)."""
    return (instant - EPOCH) // timedelta(microseconds=1)


def from_us(micros: int) -> datetime:
    """The UTC datetime of an epoch-microsecond count."""
    return EPOCH + timedelta(microseconds=int(micros))


def sessions() -> SessionTable:
    """The NYSE session table (:func:`engine.settlement.session_table`, loaded once)."""
    return session_table()


def session_index(day: date) -> int:
    """Index of the first session on or after ``day``."""
    return int(np.searchsorted(sessions().days, np.datetime64(day, "D"), side="left"))


def is_session(day: date) -> bool:
    table = sessions()
    i = session_index(day)
    return i < table.days.size and table.days[i] == np.datetime64(day, "D")


def session_on_or_before(day: date) -> date:
    """``day`` itself when it is a session, else the session before it."""
    table = sessions()
    i = int(np.searchsorted(table.days, np.datetime64(day, "D"), side="right")) - 1
    return table.days[i].astype(date)


def sessions_from(day: date, count: int) -> list[date]:
    """The first ``count`` sessions on or after ``day``."""
    i = session_index(day)
    return [d.astype(date) for d in sessions().days[i : i + count]]


def last_session_of_month(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return session_on_or_before(nxt - timedelta(days=1))


@dataclass(frozen=True, slots=True)
class TradingDay:
    """The session an instant belongs to (see the module docstring).

    ``index`` is the position in :func:`sessions`; ``open_us``/``close_us`` are UTC epoch
    microseconds; ``elapsed`` is in [0, 1].
    """

    index: int
    day: date
    open_us: int
    close_us: int
    elapsed: float

    @property
    def minutes(self) -> int:
        """Length of the session in whole minutes (390, or 210 on early-close days)."""
        return max(1, (self.close_us - self.open_us) // 60_000_000)


def trading_day(as_of: datetime) -> TradingDay:
    """The trading day of a timezone-aware instant; ValueError outside the served range."""
    ny_date = as_of.astimezone(NEW_YORK).date()
    table = sessions()
    i = session_index(ny_date)
    if i >= table.days.size:
        raise ValueError(f"{ny_date} is past the session calendar")
    day = table.days[i].astype(date)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"the demo market covers {FIRST_DAY} to {LAST_DAY}, not {day}")
    open_us, close_us = int(table.opens_us[i]), int(table.closes_us[i])
    elapsed = 0.0
    if day == ny_date:
        elapsed = min(1.0, max(0.0, (to_us(as_of) - open_us) / (close_us - open_us)))
    return TradingDay(i, day, open_us, close_us, elapsed)
