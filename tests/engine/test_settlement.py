"""Settlement instants from the root table and the NYSE calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from engine.errors import CalendarError, ConfigurationError
from engine.settlement import (
    ROOT_RULES,
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
