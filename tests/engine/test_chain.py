"""The canonical chain's validator: quarantine reasons, counts, typed errors."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.chain import REASONS, SCHEMA, ChainSnapshot, empty_frame, validate
from engine.errors import (
    EmptySnapshotError,
    InvalidHeaderError,
    InvalidSpotError,
    SchemaError,
    SnapshotError,
)
from tests.engine.chain_factory import AS_OF, frame, row, snapshot


def test_good_rows_are_used_and_sorted() -> None:
    rows = [
        row(contract="B", strike=4800.0, is_call=False),
        row(contract="A", strike=4700.0),
        row(contract="C", strike=4600.0, expiration=date(2024, 1, 12)),
    ]
    v = validate(snapshot(rows))
    assert v.used["contract"].to_list() == ["C", "A", "B"]
    assert v.quarantine.height == 0 and v.excluded == {}
    assert v.data_quality() == {"contracts_used": 3, "excluded": {}}
    assert v.used.schema == pl.Schema(dict(SCHEMA))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"contract": None}, "missing_contract"),
        ({"is_call": None}, "unknown_right"),
        ({"strike": -5.0}, "invalid_strike"),
        ({"strike": float("nan")}, "invalid_strike"),
        ({"strike": float("inf")}, "invalid_strike"),
        ({"expiration": None}, "invalid_expiration"),
        ({"underlying_price": 0.0}, "invalid_underlying_price"),
        ({"multiplier": float("nan")}, "invalid_multiplier"),
        ({"model": "heston"}, "unknown_model"),
        ({"style": "bermudan"}, "unknown_style"),
        ({"open_interest": -1}, "invalid_open_interest"),
        ({"open_interest": None}, "invalid_open_interest"),
        ({"bid": -0.05}, "invalid_price"),
        ({"ask": float("inf")}, "invalid_price"),
        ({"expiration": date(2024, 1, 4)}, "expired"),
        ({"iv": float("nan"), "bid": 5.0, "ask": 4.0}, "crossed_quote"),
    ],
)
def test_each_reason_is_quarantined_and_counted(bad: dict[str, object], reason: str) -> None:
    v = validate(snapshot([row(contract="GOOD"), row(**{"contract": "BAD", **bad})]))
    assert v.used["contract"].to_list() == ["GOOD"]
    assert v.quarantine["reason"].to_list() == [reason]
    assert v.quarantine["contract"].to_list() == [bad.get("contract", "BAD")]
    assert v.excluded == {reason: 1}


def test_crossed_quote_with_usable_iv_is_kept() -> None:
    v = validate(snapshot([row(bid=5.0, ask=4.0, iv=0.2)]))
    assert v.used.height == 1


def test_duplicates_keep_the_first() -> None:
    v = validate(snapshot([row(open_interest=1), row(open_interest=2), row(contract="X")]))
    assert v.used.filter(pl.col("contract") == "SPXW240119C04700000")[
        "open_interest"
    ].to_list() == [1]
    assert v.excluded == {"duplicate_contract": 1}


def test_am_settled_monthly_expires_at_the_open() -> None:
    rows = [row(contract="AM", root="SPX"), row(contract="PM", root="SPXW")]
    after_open = datetime(2024, 1, 19, 14, 31, tzinfo=AS_OF.tzinfo)
    v = validate(snapshot(rows, as_of=after_open))
    assert v.quarantine["contract"].to_list() == ["AM"]
    assert v.used["contract"].to_list() == ["PM"]


def test_nonpositive_iv_means_missing() -> None:
    v = validate(snapshot([row(iv=0.0), row(contract="B", iv=-1.0), row(contract="C", iv=None)]))
    assert v.used["iv"].is_nan().all()
    assert v.excluded == {}


def test_header_errors_are_typed() -> None:
    with pytest.raises(InvalidSpotError):
        validate(snapshot([row()], spot=0.0))
    with pytest.raises(InvalidSpotError):
        validate(snapshot([row()], spot=float("nan")))
    with pytest.raises(InvalidHeaderError):
        validate(snapshot([row()], as_of=datetime(2024, 1, 5, 15, 0)))
    with pytest.raises(InvalidHeaderError):
        validate(snapshot([row()], rate=float("inf")))
    with pytest.raises(EmptySnapshotError):
        validate(ChainSnapshot("SPX", AS_OF, 4700.0, "test", empty_frame()))
    with pytest.raises(EmptySnapshotError, match="no usable contract"):
        validate(snapshot([row(strike=-1.0)]))


def test_schema_errors_are_typed() -> None:
    good = frame([row()])
    with pytest.raises(SchemaError, match="missing column"):
        validate(ChainSnapshot("SPX", AS_OF, 4700.0, "t", good.drop("root")))
    with pytest.raises(SchemaError, match="strike"):
        validate(
            ChainSnapshot(
                "SPX", AS_OF, 4700.0, "t", good.with_columns(pl.col("strike").cast(pl.String))
            )
        )
    widened = good.with_columns(
        pl.col("open_interest").cast(pl.Int32), pl.col("bid").cast(pl.Float32)
    )
    assert validate(ChainSnapshot("SPX", AS_OF, 4700.0, "t", widened)).used.height == 1
    assert issubclass(SchemaError, SnapshotError) and issubclass(SnapshotError, ValueError)


def test_reasons_are_unique() -> None:
    assert len(set(REASONS)) == len(REASONS)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "strike": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none()),
                "open_interest": st.one_of(st.integers(-5, 10_000), st.none()),
                "bid": st.one_of(st.floats(-1, 100), st.just(float("nan"))),
                "ask": st.one_of(st.floats(-1, 100), st.just(float("nan"))),
                "iv": st.one_of(st.floats(-1, 5), st.just(float("nan"))),
                "is_call": st.one_of(st.booleans(), st.none()),
            }
        ),
        min_size=1,
        max_size=25,
    )
)
def test_every_row_is_used_or_counted(rows: list[dict[str, object]]) -> None:
    built = [row(contract=f"C{i}", **r) for i, r in enumerate(rows)]
    try:
        v = validate(snapshot(built))
    except EmptySnapshotError:
        return
    assert v.used.height + v.quarantine.height == len(built)
    assert sum(v.excluded.values()) == v.quarantine.height
    assert (v.used["strike"] > 0).all() and v.used["strike"].is_finite().all()
    assert (v.used["open_interest"] >= 0).all()
