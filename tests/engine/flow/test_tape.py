"""Trades frames to tapes: columns, dtypes, time zones, nulls, the excluded set."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

from engine.errors import ConfigurationError, SchemaError
from engine.flow import EXCLUDED_BY_DEFAULT, TRADE_COLUMNS, Tape, check_excluded, to_tape
from engine.flow._math import NO_TIMESTAMP
from tests.engine.flow.tapes import T0, state, trades

T0_US = int(T0.timestamp()) * 1_000_000


def test_arrays_from_a_frame() -> None:
    s = state()
    frame = trades(
        [
            {"contract": "C", "price": 2.5, "size": 7, "bid": 2.4, "ask": 2.6},
            {"contract": "Z", "condition": "late", "timestamp": T0 + timedelta(microseconds=3)},
            {
                "contract": None,
                "price": None,
                "size": None,
                "bid": None,
                "ask": None,
                "condition": None,
                "timestamp": None,
            },
        ]
    ).with_columns(extra=pl.lit(1))  # extra columns are ignored
    tape = s.tape(frame)
    assert len(tape) == 3
    assert tape.index.tolist() == [2, -1, -1]
    assert tape.timestamp.tolist() == [T0_US, T0_US + 3, NO_TIMESTAMP]
    assert tape.price[0] == 2.5 and np.isnan(tape.price[2])
    assert tape.size.tolist() == [7, 1, 0]
    assert tape.eligible.tolist() == [True, False, True]
    assert np.isnan(tape.bid[2]) and np.isnan(tape.ask[2])
    assert tape.contracts_total == 5 and tape.excluded == EXCLUDED_BY_DEFAULT
    part = tape.slice(1, 3)
    assert part.index.tolist() == [-1, -1] and part.excluded == tape.excluded


def test_time_units_and_zones() -> None:
    s = state()
    base = trades([{}])
    ny = timezone(timedelta(hours=-5))
    for ts in (
        base["timestamp"].cast(pl.Datetime("ns", "UTC")),
        base["timestamp"].cast(pl.Datetime("ms", "UTC")),
        base["timestamp"].dt.convert_time_zone("America/New_York"),
        base["timestamp"].dt.replace_time_zone(None),  # naive: taken as UTC
        pl.Series([T0.astimezone(ny)]),
    ):
        assert s.tape(base.with_columns(timestamp=ts)).timestamp.tolist() == [T0_US]


def test_schema_errors() -> None:
    s = state()
    frame = trades([{}])
    with pytest.raises(SchemaError, match="lacks"):
        s.tape(frame.drop("bid"))
    with pytest.raises(SchemaError, match="Datetime"):
        s.tape(frame.with_columns(timestamp=pl.lit(5)))
    with pytest.raises(SchemaError, match="wrong type"):
        s.tape(frame.with_columns(price=pl.lit("abc")))


def test_numeric_columns_of_other_types() -> None:
    frame = trades([{}, {}, {}, {}]).with_columns(
        size=pl.Series([3.0, 2.5, float("nan"), None]),  # a fractional size is invalid
        price=pl.Series(["1.2", "1.0", "1.1", "1.1"]),
        bid=pl.Series([1, 1, 1, 1], dtype=pl.Int32),
    )
    tape = state().tape(frame)
    assert tape.size.tolist() == [3, 0, 0, 0]
    assert tape.price.tolist() == [1.2, 1.0, 1.1, 1.1]
    assert tape.bid.tolist() == [1.0] * 4


def test_check_excluded() -> None:
    assert check_excluded() == EXCLUDED_BY_DEFAULT
    assert check_excluded(["late"]) == frozenset({"late"})
    assert check_excluded(()) == frozenset()
    with pytest.raises(ConfigurationError, match="unknown trade condition"):
        check_excluded(["late", "LATE"])
    with pytest.raises(ConfigurationError, match="not a str"):
        check_excluded("late")
    with pytest.raises(ConfigurationError):
        to_tape(trades([{}]), state().index, ["nope"])


def test_tape_validation() -> None:
    ok = {
        "index": np.array([0, -1]),
        "timestamp": np.array([1, 2]),
        "price": np.array([1.0, 1.0]),
        "size": np.array([1, 1]),
        "eligible": np.array([True, True]),
        "bid": np.array([1.0, 1.0]),
        "ask": np.array([1.1, 1.1]),
    }
    tape = Tape(**ok, contracts_total=1, excluded=EXCLUDED_BY_DEFAULT)
    assert tape.index.dtype == np.int64 and tape.eligible.dtype == np.bool_
    with pytest.raises(ValueError, match="length"):
        Tape(**{**ok, "price": np.array([1.0])}, contracts_total=1, excluded=frozenset())
    with pytest.raises(ValueError, match="out of range"):
        Tape(**{**ok, "index": np.array([1, 0])}, contracts_total=1, excluded=frozenset())
    with pytest.raises(ValueError, match="out of range"):
        Tape(**{**ok, "index": np.array([-2, 0])}, contracts_total=1, excluded=frozenset())
    with pytest.raises(ValueError, match="one-dimensional"):
        Tape(**{**ok, "bid": np.ones((2, 1))}, contracts_total=1, excluded=frozenset())
    with pytest.raises(ConfigurationError):
        Tape(**ok, contracts_total=1, excluded=frozenset({"nope"}))


def test_trade_columns() -> None:
    assert TRADE_COLUMNS == ("contract", "timestamp", "price", "size", "condition", "bid", "ask")


def test_naive_datetime_input_is_utc() -> None:
    naive = datetime(2025, 3, 3, 15, 0)
    frame = trades([{}]).with_columns(timestamp=pl.Series([naive]))
    assert state().tape(frame).timestamp.tolist() == [T0_US]
