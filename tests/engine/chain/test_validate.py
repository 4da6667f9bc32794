"""The canonical chain's validator: quarantine reasons, counts, typed errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.chain import (
    IV_MAX,
    IV_MIN,
    MULTIPLIER_MAX,
    OPEN_INTEREST_MAX,
    RATE_BOUND,
    REASONS,
    ROW_REASONS,
    SCHEMA,
    SOURCE_REASONS,
    ChainSnapshot,
    empty_frame,
    strike_gap_warnings,
    validate,
)
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
        # caps (docs/data-quality.md); spot is 4700
        ({"strike": 4700.0 * 1.01e6}, "invalid_strike"),
        ({"strike": 4700.0 / 1.01e6}, "invalid_strike"),
        ({"underlying_price": 4700.0 * 10.5}, "invalid_underlying_price"),
        ({"underlying_price": 4700.0 / 10.5}, "invalid_underlying_price"),
        ({"multiplier": 1e308}, "invalid_multiplier"),
        ({"multiplier": 1.000001e6}, "invalid_multiplier"),
        ({"open_interest": 2**63 - 1}, "invalid_open_interest"),
        ({"open_interest": 1_000_000_001}, "invalid_open_interest"),
        ({"bid": 1e308}, "invalid_price"),
        ({"ask": 4700.0 * 10.5}, "invalid_price"),
        ({"bid": 1e-300}, "invalid_price"),
        ({"iv": 1e308}, "implausible_iv"),
        ({"iv": float("inf")}, "implausible_iv"),
        ({"iv": 100.5}, "implausible_iv"),
        ({"iv": 5e-5}, "implausible_iv"),
        ({"iv": 1e308, "bid": 5.0, "ask": 4.0}, "implausible_iv"),
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


def test_values_at_the_caps_are_kept() -> None:
    at_caps = [
        row(contract="A", strike=4700.0 * 1e6, iv=IV_MAX, multiplier=MULTIPLIER_MAX),
        row(contract="B", strike=4700.0 / 1e6, iv=IV_MIN, open_interest=OPEN_INTEREST_MAX),
        row(contract="C", underlying_price=47000.0, bid=0.0, ask=470000.0),
        row(contract="D", underlying_price=470.0, bid=4700.0 * 1e-9),
    ]
    v = validate(snapshot(at_caps))
    assert v.excluded == {} and v.used.height == 4


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
    for name in ("rate", "div_yield"):  # |x| > RATE_BOUND: a clear error, not zeroed numbers
        for value in (1e308, -1e308, RATE_BOUND + 1e-9, -2.0):
            with pytest.raises(InvalidHeaderError, match=f"{name} .* implausible"):
                validate(snapshot([row()], **{name: value}))
        assert validate(snapshot([row()], **{name: -RATE_BOUND})).used.height == 1
    with pytest.raises(InvalidSpotError, match="plausible range"):
        validate(snapshot([row()], spot=2e9))
    with pytest.raises(InvalidSpotError):
        validate(snapshot([row()], spot=True))
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
    assert REASONS == SOURCE_REASONS + ROW_REASONS


def test_rows_set_aside_by_the_source_are_quarantined_and_counted() -> None:
    aside = frame(
        [row(contract="QQQ240119C00400000", root="QQQ", strike=400.0), row(contract=None)]
    ).with_columns(pl.Series("reason", ["foreign_underlying", "malformed_row"]))
    snap = replace(snapshot([row(), row(contract="B", strike=-1.0)]), set_aside=aside)
    v = validate(snap)
    assert v.used["contract"].to_list() == ["SPXW240119C04700000"]
    assert v.quarantine["reason"].to_list() == [
        "foreign_underlying", "malformed_row", "invalid_strike",
    ]  # fmt: skip
    assert v.excluded == {"malformed_row": 1, "foreign_underlying": 1, "invalid_strike": 1}
    assert list(v.excluded) == [r for r in REASONS if r in v.excluded]
    assert v.snapshot.set_aside is not None and v.snapshot.set_aside.height == 2
    with pytest.raises(SchemaError, match="reason"):
        validate(replace(snap, set_aside=aside.with_columns(pl.lit("expired").alias("reason"))))
    with pytest.raises(SchemaError, match="reason"):
        validate(replace(snap, set_aside=aside.drop("reason")))
    with pytest.raises(EmptySnapshotError, match="2 row"):
        validate(replace(snap, frame=empty_frame()))
    with pytest.raises(EmptySnapshotError, match="foreign_underlying"):
        validate(replace(snap, frame=frame([row(strike=-1.0)])))


def test_source_warnings_pass_through() -> None:
    snap = replace(snapshot([row()]), warnings=("truncated: the last row has 12 of 22 cells",))
    v = validate(snap)
    assert v.warnings == snap.warnings == v.snapshot.warnings
    assert validate(snapshot([row()])).warnings == ()
    with pytest.raises(InvalidHeaderError, match="warnings"):
        validate(replace(snap, warnings=["not a tuple"]))  # type: ignore[arg-type]


def expiry_rows(day: date, strikes: range, root: str = "SPY") -> list[dict[str, object]]:
    return [
        row(contract=f"{root}{day:%y%m%d}{cp}{k * 1000:08d}", root=root, expiration=day,
            strike=float(k), is_call=cp == "C", style="american", underlying_price=557.65)
        for k in strikes for cp in "CP"
    ]  # fmt: skip


def test_an_expiry_whose_strikes_stop_short_of_spot_is_warned_about() -> None:
    """The signature of a file cut inside an expiry (SPY 2025-05-01 cut after 1,200 lines:
    2025-05-09 stops at 430 while 2025-05-08 reaches 635, spot 557.65)."""
    full = range(250, 640, 5)
    rows = [
        *expiry_rows(date(2024, 1, 10), full),
        *expiry_rows(date(2024, 1, 11), full),
        *expiry_rows(date(2024, 1, 12), range(250, 435, 5)),
    ]
    v = validate(snapshot(rows, underlying="SPY", spot=557.65))
    assert v.warnings == (
        "expiry 2024-01-12 (SPY): strikes stop at 430 while neighbours reach 635 "
        "(spot 557.65); the data may be cut short",
    )
    above = [*expiry_rows(date(2024, 1, 10), full), *expiry_rows(date(2024, 1, 11), range(600, 640, 5)),
             *expiry_rows(date(2024, 1, 12), full)]  # fmt: skip
    (warning,) = validate(snapshot(above, underlying="SPY", spot=557.65)).warnings
    assert warning.startswith("expiry 2024-01-11 (SPY): strikes start at 600 while neighbours")


def test_narrow_or_lonely_expiries_are_not_warned_about() -> None:
    full = range(250, 640, 5)
    cases = [
        # a narrow expiry around spot (real: SPY 2025-05-15 lists 475..620 only)
        [*expiry_rows(date(2024, 1, 10), full), *expiry_rows(date(2024, 1, 11), range(475, 625, 5)),
         *expiry_rows(date(2024, 1, 12), full)],
        # a handful of far strikes (real: NDXP 2022-12-16 lists strike 1 alone)
        [*expiry_rows(date(2024, 1, 10), full), *expiry_rows(date(2024, 1, 11), range(250, 270, 5))],
        # one expiry of its root only, far below spot
        [*expiry_rows(date(2024, 1, 10), full), *expiry_rows(date(2024, 1, 11), range(250, 300, 5), "SPY7")],
        # neighbours that do not straddle spot either
        [*expiry_rows(date(2024, 1, 10), range(250, 500, 5)),
         *expiry_rows(date(2024, 1, 11), range(250, 450, 5))],
    ]  # fmt: skip
    for rows in cases:
        v = validate(snapshot(rows, underlying="SPY", spot=557.65))
        assert v.warnings == ()
        assert strike_gap_warnings(v.used, 557.65) == ()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "strike": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none()),
                "open_interest": st.one_of(
                    st.integers(-5, 10_000), st.integers(-(2**63), 2**63 - 1), st.none()
                ),
                "bid": st.one_of(st.floats(-1, 100), st.floats(), st.just(float("nan"))),
                "ask": st.one_of(st.floats(-1, 100), st.just(float("nan"))),
                "iv": st.one_of(st.floats(-1, 5), st.floats(), st.just(float("nan"))),
                "multiplier": st.one_of(st.just(100.0), st.floats()),
                "underlying_price": st.one_of(st.just(4700.0), st.floats()),
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
    used = v.used
    assert (used["strike"] > 0).all() and used["strike"].is_finite().all()
    assert used["open_interest"].is_between(0, OPEN_INTEREST_MAX).all()
    assert used["multiplier"].is_between(0, MULTIPLIER_MAX, closed="right").all()
    assert used["underlying_price"].is_between(470.0, 47000.0).all()
    iv = used["iv"].drop_nans()
    assert iv.is_between(IV_MIN, IV_MAX).all()
