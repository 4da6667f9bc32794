"""Expiry calendars of the demo market: which (root, expiration) pairs are listed.

Expiries are counted from a start date (the trading day of ``as_of``) on the real NYSE
sessions; a Friday expiry that falls on a holiday moves to the session before it, as the
exchanges do. Kinds, by the priority that decides a date listed twice:
``monthly`` (third Friday), ``leaps`` (third Fridays a year or more out), ``quarterly``
(quarter-end session; for CME the quarterly third Friday), ``eom`` (last session of the
month), ``weekly`` (Fridays), ``daily`` (any session).

Roots follow the real products: ``SPX`` (AM-settled monthlies and LEAPS) beside ``SPXW``
(PM-settled, every other expiry and the third Fridays too); ``NDX``/``NDXP`` likewise; stocks
and ETFs use the symbol. CME (docs/providers.md §7), one root per expiration: ``ES`` quarterlies
(American, exercising into the future), ``EW`` end-of-month, ``EW1``..``EW4`` Friday weeklies,
``E1A``..``E5D`` Monday-to-Thursday dailies (letter A-D = Monday-Thursday, digit = which
occurrence of that weekday in the month); NQ uses ``NQ``, ``QNE``, ``QN1``..``QN4``,
``Q1A``..``Q5D``. Fifth-Friday weeklies are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

from data_adapters.demo.sessions import (
    last_session_of_month,
    session_on_or_before,
    sessions_from,
)
from data_adapters.demo.universe import Schedule, Underlying

__all__ = [
    "KINDS",
    "MONTH_CODES",
    "Expiry",
    "future_expiry_for",
    "listed",
    "third_friday",
]

Kind = Literal["monthly", "leaps", "quarterly", "eom", "weekly", "daily"]
KINDS: Final[tuple[Kind, ...]] = ("monthly", "leaps", "quarterly", "eom", "weekly", "daily")
"""Expiry kinds, highest priority first (their index is the kind code used in chains)."""
MONTH_CODES: Final = "FGHJKMNQUVXZ"
"""CME month codes, January to December."""

_CME_ROOTS: Final = {
    "es": {"quarterly": "ES", "eom": "EW", "friday": "EW", "daily": "E"},
    "nq": {"quarterly": "NQ", "eom": "QNE", "friday": "QN", "daily": "Q"},
}


@dataclass(frozen=True, slots=True)
class Expiry:
    """One listed expiration of one option root."""

    expiration: date
    root: str
    kind: Kind
    style: Literal["european", "american"]


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def _months(start: date) -> list[tuple[int, int]]:
    return [
        (start.year + (start.month - 1 + k) // 12, (start.month - 1 + k) % 12 + 1)
        for k in range(72)
    ]


def _take(dates: list[date], start: date, count: int) -> list[date]:
    return sorted({d for d in dates if d >= start})[:count]


def _candidates(s: Schedule, start: date, cme: bool) -> list[tuple[date, Kind, date]]:
    """(expiration, kind, nominal date before any holiday shift) for a schedule."""
    out: list[tuple[date, Kind, date]] = []
    if s.dailies:
        days = [d for d in sessions_from(start, 8 * s.dailies) if d.weekday() in s.daily_weekdays]
        out += [(d, "daily", d) for d in days[: s.dailies]]
    friday = start + timedelta(days=(4 - start.weekday()) % 7)
    fridays = [friday + timedelta(weeks=k) for k in range(s.weeklies + 1)]
    shifted = {session_on_or_before(f): f for f in fridays}
    out += [(d, "weekly", shifted[d]) for d in _take(list(shifted), start, s.weeklies)]
    months = _months(start)
    monthly = {session_on_or_before(third_friday(y, m)): third_friday(y, m) for y, m in months}
    chosen = _take(list(monthly), start, s.monthlies)
    out += [(d, "monthly", monthly[d]) for d in chosen]
    quarter_months = [(y, m) for y, m in months if m % 3 == 0]
    if cme:
        quarters = {
            session_on_or_before(third_friday(y, m)): third_friday(y, m) for y, m in quarter_months
        }
    else:
        quarters = {
            last_session_of_month(y, m): last_session_of_month(y, m) for y, m in quarter_months
        }
    out += [(d, "quarterly", quarters[d]) for d in _take(list(quarters), start, s.quarterlies)]
    eom = [last_session_of_month(y, m) for y, m in months[: s.eoms + 1]]
    out += [(d, "eom", d) for d in _take(eom, start, s.eoms)]
    horizon = max([start, *chosen])
    leaps = [
        (session_on_or_before(third_friday(y, m)), third_friday(y, m))
        for y, m in months
        if m in s.leaps_months
    ]
    out += [(d, "leaps", nominal) for d, nominal in leaps if d > horizon][: s.leaps]
    return out


def _cme_root(family: str, kind: Kind, nominal: date) -> str | None:
    roots = _CME_ROOTS[family]
    if kind in ("quarterly", "eom"):
        return roots[kind]
    week = (nominal.day - 1) // 7 + 1
    if nominal.weekday() == 4:
        return f"{roots['friday']}{week}" if week <= 4 else None
    return f"{roots['daily']}{week}{'ABCD'[nominal.weekday()]}"


def _roots(
    spec: Underlying, kind: Kind, nominal: date
) -> list[tuple[str, Literal["european", "american"]]]:
    if spec.family == "equity":
        return [(spec.symbol, "american")]
    if spec.family in ("spx", "ndx"):
        am, pm = ("SPX", "SPXW") if spec.family == "spx" else ("NDX", "NDXP")
        if kind == "monthly":
            return [(am, "european"), (pm, "european")]
        return [(am if kind == "leaps" else pm, "european")]
    root = _cme_root(spec.family, kind, nominal)
    if root is None:
        return []
    return [(root, "american" if kind == "quarterly" else "european")]


def listed(spec: Underlying, start: date) -> list[Expiry]:
    """Every expiry of ``spec`` on or after ``start``, sorted by expiration then root.

    Not filtered by settlement: the caller drops what has settled at its ``as_of``.
    """
    cme = spec.family in _CME_ROOTS
    rank = {kind: i for i, kind in enumerate(KINDS)}
    best: dict[tuple[date, str], Expiry] = {}
    taken: dict[date, int] = {}
    for expiration, kind, nominal in sorted(
        _candidates(spec.schedule, start, cme), key=lambda c: (rank[c[1]], c[0])
    ):
        if cme and expiration in taken:
            continue  # one CME root per expiration: the highest-priority kind wins
        for root, style in _roots(spec, kind, nominal):
            if (expiration, root) not in best:
                best[(expiration, root)] = Expiry(expiration, root, kind, style)
                taken[expiration] = rank[kind]
    return sorted(best.values(), key=lambda e: (e.expiration, e.root))


def future_expiry_for(expiration: date) -> date:
    """Expiry date of the quarterly future a CME option expiring on ``expiration`` exercises
    into: the first quarterly third Friday (holiday-shifted) on or after it."""
    for y, m in _months(date(expiration.year, expiration.month, 1)):
        if m % 3 == 0:
            day = session_on_or_before(third_friday(y, m))
            if day >= expiration:
                return day
    raise AssertionError("unreachable: a quarter month lies within any 72 months")
