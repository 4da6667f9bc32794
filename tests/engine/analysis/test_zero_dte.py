"""The 0DTE block and the New York calendar date of an instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.analysis.zero_dte import ZeroDte, as_date_array, new_york_date, zero_dte, zero_dte_mask
from engine.errors import InvalidHeaderError

TODAY = date(2024, 1, 5)
EXPIRATIONS = [date(2024, 1, 5), date(2024, 1, 5), date(2024, 1, 8), date(2024, 1, 19)]


def test_new_york_date_across_midnight_utc() -> None:
    # 03:30 UTC on the 6th is 22:30 on the 5th in New York (EST, UTC-5)
    assert new_york_date(datetime(2024, 1, 6, 3, 30, tzinfo=UTC)) == date(2024, 1, 5)
    assert new_york_date(datetime(2024, 1, 6, 5, 0, tzinfo=UTC)) == date(2024, 1, 6)
    # summer time (EDT, UTC-4)
    assert new_york_date(datetime(2024, 7, 2, 3, 59, tzinfo=UTC)) == date(2024, 7, 1)
    assert new_york_date(datetime(2024, 7, 2, 4, 0, tzinfo=UTC)) == date(2024, 7, 2)
    tokyo = timezone(timedelta(hours=9))
    assert new_york_date(datetime(2024, 1, 6, 9, 0, tzinfo=tokyo)) == date(2024, 1, 5)


def test_new_york_date_rejects_naive() -> None:
    with pytest.raises(InvalidHeaderError):
        new_york_date(datetime(2024, 1, 5, 12, 0))


def test_block_hand_computed() -> None:
    gex = [3.0, -1.0, 4.0, 2.0]  # total 8, today 2
    block = zero_dte(TODAY, EXPIRATIONS, gex)
    assert block == ZeroDte(net_gex=2.0, pct_of_total_gex=25.0, expiration=TODAY)


def test_block_nothing_expires_today() -> None:
    block = zero_dte(date(2024, 1, 4), EXPIRATIONS, [3.0, -1.0, 4.0, 2.0])
    assert block == ZeroDte(net_gex=0.0, pct_of_total_gex=0.0, expiration=None)


def test_block_zero_total_gives_null_percentage() -> None:
    block = zero_dte(TODAY, EXPIRATIONS, [3.0, -1.0, -4.0, 2.0])
    assert block.net_gex == 2.0
    assert block.pct_of_total_gex is None
    assert block.expiration == TODAY
    assert zero_dte(TODAY, [], []) == ZeroDte(0.0, None, None)


def test_block_non_finite_total_gives_null_percentage() -> None:
    assert zero_dte(TODAY, EXPIRATIONS, [1.0, 1.0, float("nan"), 1.0]).pct_of_total_gex is None


def test_percentage_can_exceed_100_and_be_negative() -> None:
    block = zero_dte(TODAY, EXPIRATIONS, [5.0, 0.0, -4.0, 0.0])
    assert block.pct_of_total_gex == pytest.approx(500.0)
    block = zero_dte(TODAY, EXPIRATIONS, [-1.0, 0.0, 3.0, 0.0])
    assert block.pct_of_total_gex == pytest.approx(-50.0)


def test_accepts_polars_and_numpy_dates() -> None:
    series = pl.Series("expiration", EXPIRATIONS, dtype=pl.Date)
    numpy_dates = np.array(EXPIRATIONS, dtype="datetime64[D]")
    expected = [True, True, False, False]
    assert zero_dte_mask(series, TODAY).tolist() == expected
    assert zero_dte_mask(numpy_dates, TODAY).tolist() == expected
    assert zero_dte_mask(EXPIRATIONS, TODAY).tolist() == expected
    assert as_date_array(series).dtype == np.dtype("datetime64[D]")


def test_length_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="expiration dates"):
        zero_dte(TODAY, EXPIRATIONS, [1.0])


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.floats(-1e9, 1e9, allow_nan=False)),
        min_size=1,
        max_size=50,
    )
)
def test_block_invariants(rows: list[tuple[int, float]]) -> None:
    expiration = [TODAY + timedelta(days=d) for d, _ in rows]
    gex = [g for _, g in rows]
    block = zero_dte(TODAY, expiration, gex)
    today = [g for d, g in rows if d == 0]
    assert block.net_gex == pytest.approx(float(np.sum(today)), rel=1e-12, abs=1e-6)
    assert block.expiration == (TODAY if today else None)
    total = float(np.sum(gex))
    if total == 0.0:
        assert block.pct_of_total_gex is None
    else:
        assert block.pct_of_total_gex is not None
        assert block.pct_of_total_gex * total / 100.0 == pytest.approx(
            block.net_gex, rel=1e-9, abs=1e-6
        )
