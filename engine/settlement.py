"""Settlement instants: when each option's value is fixed (DESIGN §3).

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
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal, TypeAlias
from zoneinfo import ZoneInfo

import polars as pl

from engine.errors import CalendarError, ConfigurationError

__all__ = [
    "CALENDAR_RANGE",
    "ROOT_RULES",
    "Rule",
    "register_root",
    "rule_for",
    "settlement_instant",
    "settlement_instants",
    "with_settlement",
]

Rule: TypeAlias = Literal["pm_close", "am_monthly", "am_open", "cme_european", "cme_quarterly"]
RULES: Final = ("pm_close", "am_monthly", "am_open", "cme_european", "cme_quarterly")

NEW_YORK: Final = ZoneInfo("America/New_York")
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


def register_root(root: str, rule: Rule) -> None:
    """Add or replace the settlement rule of an option root."""
    if rule not in RULES:
        raise ConfigurationError(f"unknown settlement rule {rule!r}; choose one of {RULES}")
    ROOT_RULES[root.upper()] = rule


def rule_for(root: str | None, model: str | None = "bsm") -> Rule:
    """The rule of a root, or the default of its model when the root is not in the table."""
    if root and root.upper() in ROOT_RULES:
        return ROOT_RULES[root.upper()]
    return _MODEL_DEFAULT.get(model or "bsm", "pm_close")


@functools.cache
def _closes() -> dict[date, datetime]:
    # Deferred: a pandas-heavy import, only needed when building chains. The library's own
    # use of pandas APIs deprecated in pandas 3 warns; those warnings are not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        import exchange_calendars

        cal = exchange_calendars.get_calendar(
            "XNYS", start=CALENDAR_RANGE[0].isoformat(), end=CALENDAR_RANGE[1].isoformat()
        )
        sessions = [s.date() for s in cal.sessions]
        closes = [c.to_pydatetime().astimezone(UTC) for c in cal.closes]
    return dict(zip(sessions, closes, strict=True))


def _session_on_or_before(day: date) -> date:
    closes = _closes()
    if not CALENDAR_RANGE[0] <= day <= CALENDAR_RANGE[1]:
        raise CalendarError(f"expiration {day} is outside the calendar range {CALENDAR_RANGE}")
    probe = day
    while probe not in closes:
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
