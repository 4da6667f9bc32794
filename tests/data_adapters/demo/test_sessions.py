"""NYSE sessions and the trading day of an instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from data_adapters.demo.sessions import (
    FIRST_DAY,
    from_us,
    is_session,
    last_session_of_month,
    session_on_or_before,
    sessions_from,
    to_us,
    trading_day,
)

NY = ZoneInfo("America/New_York")


def test_microsecond_conversions_are_exact() -> None:
    t = datetime(2024, 1, 5, 21, 0, 0, 123457, tzinfo=UTC)
    assert from_us(to_us(t)) == t
    assert to_us(datetime(1970, 1, 1, tzinfo=UTC)) == 0


def test_an_instant_within_a_session() -> None:
    day = trading_day(datetime.combine(date(2024, 6, 12), time(12, 45), tzinfo=NY))
    assert day.day == date(2024, 6, 12)
    assert day.elapsed == pytest.approx(195 / 390)
    assert day.minutes == 390
    assert from_us(day.open_us).astimezone(NY).time() == time(9, 30)


def test_before_the_open_and_after_the_close() -> None:
    before = trading_day(datetime.combine(date(2024, 6, 12), time(8, 0), tzinfo=NY))
    after = trading_day(datetime.combine(date(2024, 6, 12), time(18, 0), tzinfo=NY))
    assert before.day == after.day == date(2024, 6, 12)
    assert (before.elapsed, after.elapsed) == (0.0, 1.0)


def test_a_weekend_belongs_to_the_next_session() -> None:
    day = trading_day(datetime(2024, 6, 15, 18, tzinfo=UTC))
    assert day.day == date(2024, 6, 17)
    assert day.elapsed == 0.0


def test_early_closes_and_holidays() -> None:
    day = trading_day(datetime.combine(date(2024, 11, 29), time(12, 0), tzinfo=NY))
    assert day.minutes == 210
    assert from_us(day.close_us).astimezone(NY).time() == time(13, 0)
    assert not is_session(date(2025, 4, 18))  # Good Friday
    assert session_on_or_before(date(2025, 4, 18)) == date(2025, 4, 17)
    assert sessions_from(date(2024, 12, 24), 3) == [
        date(2024, 12, 24),
        date(2024, 12, 26),
        date(2024, 12, 27),
    ]
    assert last_session_of_month(2024, 3) == date(2024, 3, 28)  # 29 March 2024 was Good Friday


def test_outside_the_served_range() -> None:
    with pytest.raises(ValueError, match="covers"):
        trading_day(datetime(1991, 6, 3, 15, tzinfo=UTC))
    assert trading_day(datetime.combine(FIRST_DAY, time(12), tzinfo=NY)).day == FIRST_DAY
