"""NYSE sessions for the store: which session an instant belongs to, and the one before.

The session days come from the ``XNYS`` calendar of ``exchange_calendars`` over
:data:`engine.settlement.CALENDAR_RANGE`, the calendar the engine's settlement rules use
(holidays and early closes included).

The *session of an instant* is its New York date when that date is a session, otherwise
the last session before it: a snapshot stamped on a Saturday, a holiday or overnight
belongs to the session whose quotes it carries (``docs/quote-time.md``).
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import numpy.typing as npt

from data_adapters.store.errors import StoreError
from engine.settlement import CALENDAR_RANGE, NEW_YORK, session_table

__all__ = ["is_session", "session_before", "session_of", "sessions_between"]


def _days() -> npt.NDArray[np.datetime64]:
    return session_table().days


def _check(day: date) -> np.datetime64:
    if not CALENDAR_RANGE[0] <= day <= CALENDAR_RANGE[1]:
        raise StoreError(f"{day} is outside the session calendar {CALENDAR_RANGE}")
    return np.datetime64(day, "D")


def is_session(day: date) -> bool:
    """Whether ``day`` is an NYSE session."""
    d = _check(day)
    days = _days()
    i = int(np.searchsorted(days, d, side="left"))
    return i < days.size and days[i] == d


def _on_or_before(day: date) -> date | None:
    days = _days()
    i = int(np.searchsorted(days, _check(day), side="right")) - 1
    return None if i < 0 else days[i].astype(date)  # type: ignore[no-any-return]


def session_of(instant: datetime) -> date:
    """The session ``instant`` belongs to (module docstring); StoreError outside the calendar."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise StoreError("as_of must be a timezone-aware datetime")
    day = _on_or_before(instant.astimezone(NEW_YORK).date())
    if day is None:
        raise StoreError(f"no session on or before {instant.isoformat()} in the calendar")
    return day


def session_before(day: date) -> date | None:
    """The last session strictly before ``day`` (None at the start of the calendar)."""
    days = _days()
    i = int(np.searchsorted(days, _check(day), side="left")) - 1
    return None if i < 0 else days[i].astype(date)  # type: ignore[no-any-return]


def sessions_between(start: date, end: date) -> list[date]:
    """The sessions from ``start`` to ``end``, both included, oldest first."""
    days = _days()
    lo = int(np.searchsorted(days, _check(start), side="left"))
    hi = int(np.searchsorted(days, _check(end), side="right"))
    return [d.astype(date) for d in days[lo:hi]]
