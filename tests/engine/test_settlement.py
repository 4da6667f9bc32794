"""Settlement instants from the root table and the NYSE calendar; quote times of stamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import polars as pl
import pytest

from engine.errors import CalendarError, ConfigurationError, InvalidHeaderError
from engine.settlement import (
    LATE_CLOSE,
    NEW_YORK,
    ROOT_RULES,
    closes_late,
    option_close,
    quote_time,
    register_late_close,
    register_root,
    rule_for,
    settlement_instant,
    with_settlement,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("root", "expiration", "model", "expected"),
    [
        ("SPXW", date(2024, 1, 5), "bsm", utc(2024, 1, 5, 21)),  # 16:00 EST
        ("SPY", date(2024, 7, 19), "bsm", utc(2024, 7, 19, 20)),  # 16:00 EDT
        ("SPX", date(2024, 1, 19), "bsm", utc(2024, 1, 19, 14, 30)),  # third Friday, AM
        ("SPX", date(2024, 1, 12), "bsm", utc(2024, 1, 12, 21)),  # not monthly: PM
        ("NDX", date(2022, 2, 18), "bsm", utc(2022, 2, 18, 14, 30)),
        ("RUT", date(2024, 6, 21), "bsm", utc(2024, 6, 21, 13, 30)),  # EDT open
        ("SPX", date(2025, 4, 17), "bsm", utc(2025, 4, 17, 13, 30)),  # Good Friday: Thursday AM
        ("SPY", date(2024, 11, 29), "bsm", utc(2024, 11, 29, 18)),  # early close 13:00 EST
        ("SPY", date(2024, 7, 3), "bsm", utc(2024, 7, 3, 17)),  # early close 13:00 EDT
        ("AAPL", date(2014, 3, 22), "bsm", utc(2014, 3, 21, 20)),  # Saturday expiry: Friday close
        ("VIX", date(2024, 1, 17), "bsm", utc(2024, 1, 17, 14, 30)),
        ("ES", date(2024, 12, 20), "black76", utc(2024, 12, 20, 14, 30)),  # quarterly SOQ
        ("ES", date(2024, 11, 15), "black76", utc(2024, 11, 15, 21)),  # serial month: PM
        ("E1A", date(2024, 12, 24), "black76", utc(2024, 12, 24, 18)),  # European, early close
        ("EW3", date(2024, 1, 19), "black76", utc(2024, 1, 19, 21)),
    ],
)
def test_settlement_instants(root: str, expiration: date, model: str, expected: datetime) -> None:
    assert settlement_instant(root, expiration, model) == expected


def test_unknown_roots_default_by_model() -> None:
    assert rule_for("ZZZ", "bsm") == "pm_close"
    assert rule_for("ZZZ", "black76") == "cme_european"


def test_register_root_extends_the_table() -> None:
    try:
        register_root("djx", "am_monthly")
        assert settlement_instant("DJX", date(2024, 1, 19)) == utc(2024, 1, 19, 14, 30)
        with pytest.raises(ConfigurationError):
            register_root("DJX", "noon")  # type: ignore[arg-type]
    finally:
        ROOT_RULES.pop("DJX", None)


def test_out_of_range_dates_are_typed_errors() -> None:
    with pytest.raises(CalendarError):
        settlement_instant("SPY", date(1980, 1, 18))
    with pytest.raises(CalendarError):
        settlement_instant("SPY", date(1990, 1, 1))  # a holiday before the first session


def test_with_settlement_fills_the_column() -> None:
    frame = pl.DataFrame(
        {
            "root": ["SPX", "SPXW", None],
            "expiration": [date(2024, 1, 19), date(2024, 1, 19), None],
            "model": ["bsm", "bsm", "bsm"],
            "settlement": pl.Series([None, None, None], dtype=pl.Datetime("us", "UTC")),
        }
    )
    out = with_settlement(frame)
    assert out.columns == frame.columns
    assert out["settlement"].to_list() == [utc(2024, 1, 19, 14, 30), utc(2024, 1, 19, 21), None]


# -- quote_time ------------------------------------------------------------------------------


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("stamp", "underlying", "expected"),
    [
        # inside a session: unchanged, whatever the product
        (ny(2022, 7, 12, 11, 55), "SPX", utc(2022, 7, 12, 15, 55)),
        (ny(2022, 7, 12, 11, 55), "AAPL", utc(2022, 7, 12, 15, 55)),
        (ny(2024, 1, 5, 9, 30), "SPY", utc(2024, 1, 5, 14, 30)),  # the open itself
        (ny(2024, 1, 5, 16, 10), "SPY", utc(2024, 1, 5, 21, 10)),  # SPY options trade to 16:15
        (ny(2024, 1, 5, 16, 15), "SPX", utc(2024, 1, 5, 21, 15)),  # the close itself
        # after the close: the same day's options close, 16:00 or 16:15 by underlying
        (ny(2024, 1, 5, 16, 10), "AAPL", utc(2024, 1, 5, 21)),
        (ny(2025, 5, 1, 16, 49), "SPY", utc(2025, 5, 1, 20, 15)),  # EDT
        (ny(2025, 5, 1, 16, 49), "TSLA", utc(2025, 5, 1, 20)),
        (ny(2023, 9, 14, 23, 59), "NDXP", utc(2023, 9, 14, 20, 15)),  # a root is accepted
        (ny(2023, 9, 14, 17, 0), "VIX", utc(2023, 9, 14, 20, 15)),
        # weekend: Friday's close
        (ny(2024, 1, 7, 10, 52), "SPX", utc(2024, 1, 5, 21, 15)),
        (ny(2024, 1, 6, 12, 0), "AAPL", utc(2024, 1, 5, 21)),
        (ny(2022, 2, 5, 20, 26), "NDX", utc(2022, 2, 4, 21, 15)),
        # Monday before the open: the previous Friday's close
        (ny(2024, 1, 8, 9, 29), "SPX", utc(2024, 1, 5, 21, 15)),
        (ny(2024, 1, 8, 0, 5), "MSFT", utc(2024, 1, 5, 21)),
        # holidays: Martin Luther King Day, Good Friday -> the session before
        (ny(2024, 1, 15, 12, 0), "SPY", utc(2024, 1, 12, 21, 15)),
        (ny(2024, 3, 29, 11, 0), "IWM", utc(2024, 3, 28, 20, 15)),
        (ny(2024, 1, 16, 8, 0), "QQQ", utc(2024, 1, 12, 21, 15)),  # Tuesday pre-market
        # early close 2023-11-24 (13:00 EST): 13:00 for 16:00 products, 13:15 for the others
        (ny(2023, 11, 24, 14, 0), "AAPL", utc(2023, 11, 24, 18)),
        (ny(2023, 11, 24, 14, 0), "SPX", utc(2023, 11, 24, 18, 15)),
        (ny(2023, 11, 24, 13, 10), "SPY", utc(2023, 11, 24, 18, 10)),  # still trading
        (ny(2023, 11, 24, 13, 10), "AAPL", utc(2023, 11, 24, 18)),
        (ny(2023, 11, 25, 9, 0), "DIA", utc(2023, 11, 24, 18, 15)),  # Saturday after it
        # a stamp given in another zone is the same instant
        (datetime(2024, 1, 7, 10, 52, tzinfo=timezone(timedelta(hours=-5))), "SPX",
         utc(2024, 1, 5, 21, 15)),
    ],
)  # fmt: skip
def test_quote_time(stamp: datetime, underlying: str, expected: datetime) -> None:
    got = quote_time(stamp, underlying)
    assert got == expected
    assert got.tzinfo is UTC and got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("underlying", ["ES=F", "NQ=F", "ES", "/ES"])
def test_futures_options_keep_their_stamp(underlying: str) -> None:
    sunday = ny(2024, 1, 7, 19, 30)  # Globex is open on Sunday evening
    got = quote_time(sunday, underlying)
    assert got == utc(2024, 1, 8, 0, 30) and got.tzinfo is UTC


def test_black76_models_keep_their_stamp() -> None:
    saturday = ny(2024, 1, 6, 12, 0)
    assert quote_time(saturday, "CL", model="black76") == utc(2024, 1, 6, 17)
    assert quote_time(saturday, "CL") == utc(2024, 1, 5, 21)  # without the model: an equity


def test_decorated_symbols_are_understood() -> None:
    evening = ny(2024, 1, 5, 18, 0)
    for symbol in ("_SPX", "^SPX", "I:SPX", " spx ", "$SPX"):
        assert closes_late(symbol)
        assert quote_time(evening, symbol) == utc(2024, 1, 5, 21, 15)


def test_late_close_registry() -> None:
    assert {"SPX", "SPXW", "XSP", "NDX", "NDXP", "RUT", "RUTW", "DJX", "VIX", "VIXW"} <= LATE_CLOSE
    assert {"SPY", "QQQ", "IWM", "DIA", "MXEF", "MXEA"} <= LATE_CLOSE
    assert not closes_late("AAPL")
    evening = ny(2024, 1, 5, 16, 30)
    try:
        register_late_close("zzz", "_yyy")
        assert closes_late("ZZZ") and "YYY" in LATE_CLOSE
        assert quote_time(evening, "ZZZ") == utc(2024, 1, 5, 21, 15)
        with pytest.raises(ConfigurationError):
            register_late_close("  ")
    finally:
        LATE_CLOSE.discard("ZZZ")
        LATE_CLOSE.discard("YYY")
    assert quote_time(evening, "ZZZ") == utc(2024, 1, 5, 21)


def test_option_close() -> None:
    assert option_close(date(2024, 7, 3), "SPY") == utc(2024, 7, 3, 17, 15)  # early, EDT
    assert option_close(date(2024, 7, 3), "KO") == utc(2024, 7, 3, 17)
    assert option_close(date(2024, 7, 5), "XSP").astimezone(NEW_YORK).time() == time(16, 15)
    with pytest.raises(CalendarError):
        option_close(date(2024, 7, 4), "SPY")  # Independence Day


def test_quote_time_rejects_naive_and_out_of_range_stamps() -> None:
    with pytest.raises(InvalidHeaderError):
        quote_time(datetime(2024, 1, 7, 10, 52), "SPX")
    with pytest.raises(CalendarError):
        quote_time(utc(1985, 1, 7, 12), "SPX")
    with pytest.raises(CalendarError):
        quote_time(utc(1990, 1, 2, 12), "SPX")  # before the first session's open
