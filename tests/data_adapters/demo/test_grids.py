"""Strike grids."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from data_adapters.demo.grids import grid, segment_ranges

STEPS = [
    (5_000, 25_000, 100_000),
    (1_000, 5_000, 10_000),
    (500, 1_000, 5_000),
    (2_500, 5_000, 10_000),
]


def test_segment_ranges_matches_a_loop() -> None:
    starts = np.array([10, 0, 7, 100])
    steps = np.array([2, 5, 1, 10])
    counts = np.array([3, 0, 2, -1])
    seg, values = segment_ranges(starts, steps, counts)
    expected = [
        (i, s + k * d)
        for i, (s, d, c) in enumerate(zip(starts, steps, counts, strict=True))
        for k in range(max(c, 0))
    ]
    assert list(zip(seg.tolist(), values.tolist(), strict=True)) == expected


@settings(max_examples=300, deadline=None)
@given(
    ref=st.floats(1.0, 30_000.0),
    vol_t=st.floats(0.005, 1.5),
    width=st.floats(0.3, 1.5),
    steps=st.sampled_from(STEPS),
)
def test_grids_are_increasing_positive_and_on_their_increments(
    ref: float, vol_t: float, width: float, steps: tuple[int, int, int]
) -> None:
    g = grid(
        np.array([ref, ref]),
        np.array([vol_t, vol_t]),
        np.array([width, width]),
        np.array([steps, steps]),
    )
    strikes = g.strike_milli[g.slice_of == 0]
    assert np.array_equal(strikes, g.strike_milli[g.slice_of == 1])
    assert strikes.size >= 1 and (strikes > 0).all()
    assert (np.diff(strikes) > 0).all()
    assert (strikes % steps[0] == 0).all()
    gaps = np.diff(strikes)
    assert gaps.size == 0 or gaps.max() <= steps[2]
    if ref * 1000 >= 10 * steps[2]:  # not a price below the increments themselves
        far = strikes[(strikes < 0.8 * ref * 1000) | (strikes > 1.3 * ref * 1000)]
        assert (far % steps[1] == 0).all()


def test_fine_near_the_money_and_wide_far_out() -> None:
    g = grid(
        np.array([6000.0]), np.array([0.15]), np.array([1.0]), np.array([[5_000, 25_000, 100_000]])
    )
    k = g.strike_milli / 1000
    gaps = np.diff(k)
    mid = (k[1:] + k[:-1]) / 2
    assert set(gaps[np.abs(mid / 6000 - 1) < 0.05]) == {5.0}
    assert gaps[mid < 4000].min() >= 25.0 and 100.0 in set(gaps[mid < 3500])
    assert k.min() < 6000 * 0.5 and k.max() > 6000 * 1.2
