"""The expiry slice container."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from data_adapters.demo.sessions import to_us
from data_adapters.demo.slices import concat, years
from tests.data_adapters.demo.conftest import make_slices


def test_take_and_concat_round_trip() -> None:
    slices = make_slices()
    first, rest = slices.take(np.array([0])), slices.take(np.arange(1, slices.size))
    joined = concat([first, rest])
    assert joined.size == slices.size
    assert np.array_equal(joined.settlement_us, slices.settlement_us)
    assert joined.root.tolist() == slices.root.tolist()


def test_years_is_the_engine_convention_with_a_one_minute_floor() -> None:
    as_of = to_us(datetime(2024, 6, 12, 20, 0, tzinfo=UTC))
    t = years(np.array([as_of + 365 * 86400 * 10**6, as_of + 1, as_of - 10**9]), as_of)
    assert t[0] == 1.0
    assert t[1] == t[2] == 60 / (365 * 86400)
