"""Year fractions to settlement: exact seconds, one-minute floor, expired -> NaN."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

from engine.errors import InvalidHeaderError
from engine.time import MIN_T_SECONDS, SECONDS_PER_YEAR, years_to_settlement


def test_exact_seconds_on_a_365_day_year() -> None:
    as_of = datetime(2024, 1, 5, 15, 0, 1, tzinfo=UTC)
    settle = [as_of + timedelta(days=14, hours=6, seconds=59), as_of + timedelta(seconds=30), as_of]
    t = years_to_settlement(pl.Series(settle, dtype=pl.Datetime("us", "UTC")), as_of)
    assert t[0] == (14 * 86400 + 6 * 3600 + 59) / SECONDS_PER_YEAR
    assert t[1] == MIN_T_SECONDS / SECONDS_PER_YEAR
    assert np.isnan(t[2])


def test_as_of_in_another_zone_is_the_same_instant() -> None:
    ny = timezone(timedelta(hours=-5))
    as_of = datetime(2024, 1, 5, 10, 0, tzinfo=ny)
    settle = pl.Series([datetime(2024, 1, 5, 21, 0, tzinfo=UTC)], dtype=pl.Datetime("us", "UTC"))
    assert years_to_settlement(settle, as_of)[0] == 6 * 3600 / SECONDS_PER_YEAR


def test_naive_as_of_is_rejected() -> None:
    with pytest.raises(InvalidHeaderError):
        years_to_settlement(pl.Series([], dtype=pl.Datetime("us", "UTC")), datetime(2024, 1, 5))
