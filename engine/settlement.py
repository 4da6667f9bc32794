"""Settlement instants: when each option's value is fixed (docs/conventions.md).

The rule for a contract comes from its option root through :data:`ROOT_RULES`, a table
users extend with :func:`register_root`; roots not in the table take the default of their
pricing model (``pm_close`` for ``bsm``, ``cme_european`` for ``black76``).

Rules (all times America/New_York, holidays and early closes from the NYSE calendar of the
``exchange_calendars`` package — pure data, no I/O, no clock):

``pm_close``
    The session's close on the expiration date: 16:00, or 13:00 on early-close days.
    Equity and ETF options, ``SPXW``, ``NDXP``, ``XSP``, weeklies.
``am_monthly``
    09:30 on the expiration date when it is the monthly expiry (the third Friday, or the
    session before it when that Friday is a holiday); ``pm_close`` otherwise. ``SPX``,
    ``NDX``, ``RUT``: the opening print fixes the settlement value.
``am_open``
    09:30 on the expiration date whatever the day (``VIX`` Wednesday expiries).
``cme_european``
    CME European weeklies, dailies and end-of-month options: 16:00 ET (13:00 ET on early
    closes, CME's 12:00 CT).
``cme_quarterly``
    ES/NQ options: 09:30 ET (the special opening quotation) on the third Friday of
    March, June, September and December; other months as ``cme_european``.

An expiration date that is not a trading session (a Saturday expiry of the pre-2015
convention, or a data error) settles at the close of the session before it.

Quote time (:func:`quote_time`): a stamp that is a download or fetch time (a Cboe quote
table saved on a Sunday, a clock read when the provider sent no quote time) is turned into
the time the quotes were made. Inside a session of the underlying's options (09:30 to the
options' close, New York) the stamp is kept; otherwise it becomes the options' close of the
last session before it. Options close at the NYSE close (16:00, 13:00 on early-close days)
or, for the underlyings of :data:`LATE_CLOSE` (index options and the ETFs whose options
trade 15 minutes longer), 15 minutes after it (16:15, 13:15). Futures options (``ES=F``,
``black76``) trade nearly around the clock: their stamp is kept.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import polars as pl

from engine import NEW_YORK
from engine.errors import CalendarError, ConfigurationError, InvalidHeaderError

__all__ = [
    "CALENDAR_RANGE",
    "LATE_CLOSE",
    "LATE_CLOSE_DELAY",
    "NEW_YORK",
    "ROOT_RULES",
    "Rule",
    "SessionTable",
    "closes_late",
    "option_close",
    "quote_time",
    "register_late_close",
    "register_root",
    "rule_for",
    "session_table",
    "settlement_instant",
    "settlement_instants",
    "with_settlement",
]

Rule: TypeAlias = Literal["pm_close", "am_monthly", "am_open", "cme_european", "cme_quarterly"]
RULES: Final = ("pm_close", "am_monthly", "am_open", "cme_european", "cme_quarterly")

OPEN: Final = time(9, 30)
CALENDAR_RANGE: Final = (date(1990, 1, 1), date(2060, 12, 31))

ROOT_RULES: dict[str, Rule] = {
    "SPX": "am_monthly",
    "NDX": "am_monthly",
    "RUT": "am_monthly",
    "VIX": "am_open",
    "VRO": "am_open",
    "SPXW": "pm_close",
    "NDXP": "pm_close",
    "RUTW": "pm_close",
    "XSP": "pm_close",
    "ES": "cme_quarterly",
    "NQ": "cme_quarterly",
}
"""Option root -> settlement rule. Extend with :func:`register_root`."""

_MODEL_DEFAULT: Final[dict[str, Rule]] = {"bsm": "pm_close", "black76": "cme_european"}

LATE_CLOSE_DELAY: Final = timedelta(minutes=15)
"""How much later than the NYSE close the options of :data:`LATE_CLOSE` stop trading."""

LATE_CLOSE: set[str] = {
    # Cash-settled index options (Cboe Rule 5.1(b)(2): 09:30-16:15) and their roots.
    "SPX", "SPXW", "SPXPM", "XSP", "NDX", "NDXP", "XND", "RUT", "RUTW", "MRUT", "DJX",
    "OEX", "XEO", "VIX", "VIXW", "MXEF", "MXEA",
    # ETF and ETN options the exchanges let trade until 16:15 (the list brokers republish).
    "SPY", "QQQ", "IWM", "DIA", "MDY", "OEF", "IWN", "IWO", "IWV", "EEM", "EFA", "GLD",
    "KBE", "KRE", "XHB", "XME", "XRT", "XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP",
    "XLRE", "XLU", "XLV", "XLY", "DBA", "DBB", "DBC", "DBO", "UNG", "UUP", "MOO", "SLX",
    "VXX", "VXZ", "VIXY", "VIXM", "UVXY", "SVXY", "UVIX", "SVIX",
}  # fmt: skip
"""Underlyings and option roots whose options trade until 16:15 New York (13:15 on early
closes) instead of 16:00. Extend with :func:`register_late_close`."""

_CME_RULES: Final = ("cme_european", "cme_quarterly")


def register_root(root: str, rule: Rule) -> None:
    """Add or replace the settlement rule of an option root."""
    if rule not in RULES:
        raise ConfigurationError(f"unknown settlement rule {rule!r}; choose one of {RULES}")
    ROOT_RULES[root.upper()] = rule


def register_late_close(*symbols: str) -> None:
    """Mark underlyings (or option roots) whose options trade until 16:15 New York."""
    for symbol in symbols:
        name = _symbol(symbol)
        if not name:
            raise ConfigurationError(f"invalid symbol {symbol!r} for register_late_close")
        LATE_CLOSE.add(name)


def _symbol(symbol: str) -> str:
    """``" _spx "``, ``"^SPX"``, ``"I:SPX"`` -> ``"SPX"`` (the adapters' decorations)."""
    text = str(symbol).strip().upper()
    return text.removeprefix("I:").lstrip("_^$")


def closes_late(underlying: str) -> bool:
    """Whether the options of ``underlying`` (or of that option root) close at 16:15."""
    return _symbol(underlying) in LATE_CLOSE


def rule_for(root: str | None, model: str | None = "bsm") -> Rule:
    """The rule of a root, or the default of its model when the root is not in the table."""
    if root and root.upper() in ROOT_RULES:
        return ROOT_RULES[root.upper()]
    return _MODEL_DEFAULT.get(model or "bsm", "pm_close")


@dataclass(frozen=True, slots=True)
class SessionTable:
    """Every NYSE session of :data:`CALENDAR_RANGE`: ``days`` (``datetime64[D]``, ascending),
    ``opens_us`` and ``closes_us`` (int64 µs since the epoch, UTC; early closes included)."""

    days: npt.NDArray[np.datetime64]
    opens_us: npt.NDArray[np.int64]
    closes_us: npt.NDArray[np.int64]


@functools.cache
def session_table() -> SessionTable:
    """The one NYSE session table of the project (loaded once per process; the demo market,
    the store and the settlement rules all read it)."""
    # Deferred: a pandas-heavy import, only needed when building chains. The library's own
    # use of pandas APIs deprecated in pandas 3 warns; those warnings are not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        import exchange_calendars

        cal = exchange_calendars.get_calendar(
            "XNYS", start=CALENDAR_RANGE[0].isoformat(), end=CALENDAR_RANGE[1].isoformat()
        )
        days = np.asarray(cal.sessions_nanos, dtype=np.int64) // 86_400_000_000_000
        opens = np.asarray(cal.opens_nanos, dtype=np.int64) // 1000
        closes = np.asarray(cal.closes_nanos, dtype=np.int64) // 1000
    return SessionTable(days.astype("datetime64[D]"), opens, closes)


@functools.cache
def _closes() -> dict[date, datetime]:
    table = session_table()
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return {
        day: epoch + timedelta(microseconds=int(us))
        for day, us in zip(table.days.astype(date).tolist(), table.closes_us.tolist(), strict=True)
    }


@functools.cache
def _first_session() -> date:
    return min(_closes())


def _session_on_or_before(day: date) -> date:
    closes = _closes()
    if not CALENDAR_RANGE[0] <= day <= CALENDAR_RANGE[1]:
        raise CalendarError(f"expiration {day} is outside the calendar range {CALENDAR_RANGE}")
    probe = day
    while probe not in closes:
        if probe < _first_session():
            raise CalendarError(f"no session on or before {day} in the calendar range")
        probe -= timedelta(days=1)
    return probe


def _is_third_friday(day: date) -> bool:
    return day.weekday() == 4 and 15 <= day.day <= 21


def _is_monthly_expiry(day: date) -> bool:
    """Third Friday, or the session before a third Friday that is a holiday."""
    if _is_third_friday(day):
        return True
    closes = _closes()
    nxt = day + timedelta(days=1)
    return _is_third_friday(nxt) and nxt not in closes and day in closes


def _at_open(day: date) -> datetime:
    return datetime.combine(day, OPEN, tzinfo=NEW_YORK).astimezone(UTC)


def settlement_instant(root: str | None, expiration: date, model: str | None = "bsm") -> datetime:
    """The UTC instant at which a contract of ``root`` expiring on ``expiration`` is fixed."""
    rule = rule_for(root, model)
    session = _session_on_or_before(expiration)
    if rule == "am_open" or (rule == "am_monthly" and _is_monthly_expiry(session)):
        return _at_open(session)
    if rule == "cme_quarterly" and session.month % 3 == 0 and _is_monthly_expiry(session):
        return _at_open(session)
    return _closes()[session]


def settlement_instants(
    roots: Sequence[str | None], expirations: Sequence[date], models: Iterable[str | None]
) -> list[datetime]:
    """:func:`settlement_instant` for many contracts (computed once per distinct triple)."""
    cache: dict[tuple[str | None, date, str | None], datetime] = {}
    out = []
    for key in zip(roots, expirations, models, strict=True):
        if key not in cache:
            cache[key] = settlement_instant(*key)
        out.append(cache[key])
    return out


def with_settlement(frame: pl.DataFrame) -> pl.DataFrame:
    """Fill the ``settlement`` column of a chain frame from ``root``, ``expiration``, ``model``.

    Rows with a null expiration get a null settlement (the validator quarantines them).
    """
    keys = frame.select("root", "expiration", "model").unique().drop_nulls("expiration")
    instants = settlement_instants(
        keys["root"].to_list(), keys["expiration"].to_list(), keys["model"].to_list()
    )
    table = keys.with_columns(pl.Series("settlement", instants, dtype=pl.Datetime("us", "UTC")))
    base = frame.drop("settlement") if "settlement" in frame.columns else frame
    joined = base.join(table, on=["root", "expiration", "model"], how="left", nulls_equal=True)
    return joined.select(frame.columns if "settlement" in frame.columns else joined.columns)


def _session_before(day: date) -> date:
    """The last session strictly before ``day``."""
    closes = _closes()
    first = _first_session()
    probe = day - timedelta(days=1)
    while probe not in closes:
        if probe < first:
            raise CalendarError(f"no session before {day} in the calendar range {CALENDAR_RANGE}")
        probe -= timedelta(days=1)
    return probe


def option_close(session: date, underlying: str) -> datetime:
    """The UTC instant the options of ``underlying`` stop trading in the session ``session``.

    The NYSE close (16:00, 13:00 on early closes), :data:`LATE_CLOSE_DELAY` later for the
    underlyings of :data:`LATE_CLOSE`. ``session`` must be a trading session.
    """
    closes = _closes()
    if session not in closes:
        raise CalendarError(f"{session} is not an NYSE session")
    return closes[session] + (LATE_CLOSE_DELAY if closes_late(underlying) else timedelta(0))


def _trades_around_the_clock(underlying: str, model: str | None) -> bool:
    text = str(underlying).strip().upper()
    if model == "black76" or text.endswith("=F") or text.startswith("/"):
        return True
    return ROOT_RULES.get(_symbol(text)) in _CME_RULES


def quote_time(stamp: datetime, underlying: str, model: str | None = None) -> datetime:
    """When quotes stamped ``stamp`` (a download or fetch time) were made, in UTC.

    Inside a session of the underlying's options (09:30 New York to :func:`option_close`)
    the stamp is kept; after the close, on a weekend or holiday, or before the open, it
    becomes the options' close of the last session before it. Futures options
    (``ES=F``, a ``black76`` model, a CME root of :data:`ROOT_RULES`) keep the stamp.
    """
    if not isinstance(stamp, datetime) or stamp.tzinfo is None or stamp.utcoffset() is None:
        raise InvalidHeaderError(f"{underlying}: the stamp {stamp!r} must be timezone-aware")
    at = stamp.astimezone(UTC)
    if _trades_around_the_clock(underlying, model):
        return at
    day = at.astimezone(NEW_YORK).date()
    if not CALENDAR_RANGE[0] <= day <= CALENDAR_RANGE[1]:
        raise CalendarError(f"the stamp {at} is outside the calendar range {CALENDAR_RANGE}")
    if day in _closes() and at >= _at_open(day):
        close = option_close(day, underlying)
        return min(at, close)
    return option_close(_session_before(day), underlying)
