"""The instants a Databento request covers: quote instants, session windows, ns stamps.

OPRA options quote from 09:30 to their close (16:00, 16:15 for index and some ETF options;
:func:`engine.settlement.quote_time`). CME Globex equity-index options trade from Sunday
18:00 to Friday 17:00 New York with a halt from 17:00 to 18:00 each weekday evening
(:func:`globex_quote_end`); their trading day ``D`` is the Globex session from 18:00 on the
evening before to 17:00 on ``D`` (:func:`trades_window`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from data_adapters.databento.checks import PROVIDER
from data_adapters.errors import DataSourceError
from engine.settlement import NEW_YORK, quote_time

__all__ = ["aware", "globex_quote_end", "ns", "quote_end", "trades_window", "utc_midnight"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
GLOBEX_CLOSE: Final = time(17, 0)
GLOBEX_OPEN: Final = time(18, 0)


def ns(instant: datetime) -> int:
    """An aware instant as ns since the epoch (exact to the microsecond)."""
    return (instant.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1) * 1000


def utc_midnight(instant: datetime) -> datetime:
    """00:00 UTC of the UTC date of ``instant`` (Databento replays definitions then)."""
    return datetime.combine(instant.astimezone(UTC).date(), time(0), tzinfo=UTC)


def aware(instant: datetime) -> datetime:
    """A naive instant is taken as UTC (as the official client does)."""
    if not isinstance(instant, datetime):
        raise DataSourceError(PROVIDER, f"as_of must be a datetime, not {type(instant).__name__}")
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def globex_quote_end(instant: datetime) -> datetime:
    """The last instant at or before ``instant`` when CME Globex equity-index options trade
    (Sunday 18:00 to Friday 17:00 New York, halted 17:00-18:00 each weekday evening): the
    stamp itself inside a session, else the close before it. Exchange holidays are not
    known here (their quote window is simply empty)."""
    local = instant.astimezone(NEW_YORK)
    day, clock, weekday = local.date(), local.time(), local.weekday()
    if (
        weekday == 5
        or (weekday == 6 and clock < GLOBEX_OPEN)
        or (weekday == 4 and clock >= GLOBEX_CLOSE)
    ):
        friday = day - timedelta(days=(weekday - 4) % 7)
        return datetime.combine(friday, GLOBEX_CLOSE, tzinfo=NEW_YORK).astimezone(UTC)
    if weekday < 4 and GLOBEX_CLOSE <= clock < GLOBEX_OPEN:
        return datetime.combine(day, GLOBEX_CLOSE, tzinfo=NEW_YORK).astimezone(UTC)
    return instant.astimezone(UTC)


def quote_end(kind: str, symbol: str, stamp: datetime) -> datetime:
    """The instant whose quotes a snapshot asked for at ``stamp`` reads: ``stamp`` inside a
    session, else the close before it (OPRA by :func:`engine.settlement.quote_time`, CME by
    :func:`globex_quote_end`)."""
    return globex_quote_end(stamp) if kind == "futures" else quote_time(stamp, symbol)


def trades_window(kind: str, day: date) -> tuple[datetime, datetime]:
    """The trades of ``day``: the New York day (OPRA), the Globex session ending on ``day``
    (CME)."""
    if kind == "futures":
        start = datetime.combine(day - timedelta(days=1), GLOBEX_OPEN, tzinfo=NEW_YORK)
        return start, datetime.combine(day, GLOBEX_CLOSE, tzinfo=NEW_YORK)
    start = datetime.combine(day, time(0), tzinfo=NEW_YORK)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=NEW_YORK)
