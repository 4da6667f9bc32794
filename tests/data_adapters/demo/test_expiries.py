"""Expiry calendars and option roots."""

from __future__ import annotations

from collections import Counter
from datetime import date

from data_adapters.demo.expiries import future_expiry_for, listed, third_friday
from data_adapters.demo.universe import STANDARD


def _pairs(symbol: str, start: date) -> set[tuple[date, str]]:
    return {(e.expiration, e.root) for e in listed(STANDARD[symbol], start)}


def test_third_friday() -> None:
    assert third_friday(2024, 6) == date(2024, 6, 21)
    assert third_friday(2025, 2) == date(2025, 2, 21)


def test_spx_dailies_weeklies_monthlies_quarterlies_and_leaps() -> None:
    expiries = listed(STANDARD["SPX"], date(2024, 6, 12))
    kinds = Counter(e.kind for e in expiries)
    assert kinds["daily"] >= 6 and kinds["weekly"] >= 4 and kinds["leaps"] == 4
    pairs = {(e.expiration, e.root) for e in expiries}
    assert (date(2024, 6, 12), "SPXW") in pairs and (date(2024, 6, 13), "SPXW") in pairs
    assert {(date(2024, 6, 21), "SPX"), (date(2024, 6, 21), "SPXW")} <= pairs
    assert (date(2024, 6, 28), "SPXW") in pairs  # quarter end
    assert all(e.style == "european" for e in expiries)
    assert {e.root for e in expiries if e.kind == "leaps"} == {"SPX"}
    assert expiries == sorted(expiries, key=lambda e: (e.expiration, e.root))


def test_holidays_move_friday_expiries_to_thursday() -> None:
    pairs = _pairs("AAPL", date(2025, 4, 1))
    assert (date(2025, 4, 17), "AAPL") in pairs  # Good Friday 18 April 2025
    assert all(d.weekday() < 5 and d != date(2025, 4, 18) for d, _ in pairs)


def test_stocks_list_fridays_only() -> None:
    expiries = listed(STANDARD["NVDA"], date(2024, 6, 12))
    assert {e.expiration.weekday() for e in expiries} <= {3, 4}
    assert all(e.root == "NVDA" and e.style == "american" for e in expiries)


def test_iwm_and_ndx_have_monday_wednesday_friday_dailies() -> None:
    days = {d.weekday() for d, _ in _pairs("IWM", date(2024, 6, 10)) if d < date(2024, 6, 21)}
    assert days == {0, 2, 4}
    ndx = _pairs("NDX", date(2024, 6, 10))
    assert (date(2024, 6, 21), "NDX") in ndx and (date(2024, 6, 21), "NDXP") in ndx


def test_cme_roots() -> None:
    expiries = listed(STANDARD["ES=F"], date(2025, 3, 10))
    by_date = {e.expiration: e for e in expiries}
    assert len(by_date) == len(expiries)  # one root per expiration
    assert by_date[date(2025, 3, 10)].root == "E2A"  # second Monday
    assert by_date[date(2025, 3, 12)].root == "E2C"
    assert by_date[date(2025, 3, 14)].root == "EW2"
    assert (
        by_date[date(2025, 3, 21)].root == "ES" and by_date[date(2025, 3, 21)].style == "american"
    )
    assert by_date[date(2025, 3, 31)].root == "EW"
    assert {e.style for e in expiries if e.root != "ES"} == {"european"}
    nq = {e.expiration: e.root for e in listed(STANDARD["NQ=F"], date(2025, 3, 10))}
    assert (
        nq[date(2025, 3, 10)],
        nq[date(2025, 3, 14)],
        nq[date(2025, 3, 21)],
        nq[date(2025, 3, 31)],
    ) == (
        "Q2A",
        "QN2",
        "NQ",
        "QNE",
    )


def test_futures_behind_options() -> None:
    assert future_expiry_for(date(2025, 2, 14)) == date(2025, 3, 21)
    assert future_expiry_for(date(2025, 3, 21)) == date(2025, 3, 21)
    assert future_expiry_for(date(2025, 3, 24)) == date(2025, 6, 20)
