"""Smile filling: OTM substitution, interpolation in total variance, flags, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.smile import SMILE_SOURCE_NAMES, SmileSource, fill_smile

VENDOR, SOLVED, SUBST, INTERP, EXTRAP, UNAVAIL = (
    SmileSource.VENDOR,
    SmileSource.SOLVED,
    SmileSource.OTM_SUBSTITUTED,
    SmileSource.INTERPOLATED,
    SmileSource.EXTRAPOLATED,
    SmileSource.UNAVAILABLE,
)


def _linear_w(x: np.ndarray, t: float) -> np.ndarray:
    """A smile whose total variance is linear in x = ln(K/F): interpolation is exact on it."""
    return np.sqrt((0.04 - 0.05 * x) / t)


def _grid(F: float, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    strikes = np.linspace(0.8 * F, 1.2 * F, 9)
    K = np.concatenate([strikes, strikes])
    call = np.r_[np.ones(9, bool), np.zeros(9, bool)]
    return K, call, _linear_w(np.log(K / F), t)


def test_gaps_are_interpolated_in_total_variance_and_flagged() -> None:
    F, t = 100.0, 0.5
    K, call, true = _grid(F, t)
    iv = true.copy()
    iv[[3, 3 + 9]] = np.nan  # both options at one strike
    iv[[5]] = np.nan  # an OTM call (its put is ITM and keeps its own IV)
    res = fill_smile(0, K, call, F, t, iv, False, deep_itm_sd=math.inf)
    np.testing.assert_allclose(res.iv, true, rtol=1e-13)
    assert res.source[3] == INTERP and res.source[12] == INTERP
    assert res.source[5] == INTERP
    assert (np.delete(res.source, [3, 5, 12]) == SOLVED).all()


def test_itm_options_take_the_otm_iv_at_their_strike() -> None:
    F, t = 100.0, 0.25
    K, call, true = _grid(F, t)
    itm = np.where(call, K < F, K > F)
    iv = true.copy()
    iv[itm] = 0.9  # garbage from wide ITM quotes
    vendor = np.zeros(K.size, bool)
    vendor[np.flatnonzero(itm)[0]] = True
    res = fill_smile(7, K, call, F, t, iv, vendor)
    replaced = itm & ~vendor
    np.testing.assert_allclose(res.iv[replaced], true[replaced], rtol=1e-15)
    assert (res.source[replaced] == SUBST).all()
    assert res.iv[vendor][0] == 0.9 and res.source[vendor][0] == VENDOR
    again = fill_smile(7, K, call, F, t, iv, vendor, substitute_vendor=True)
    assert again.source[vendor][0] == SUBST


def test_deep_itm_threshold() -> None:
    F, t = 100.0, 0.25
    K, call, true = _grid(F, t)
    itm = np.where(call, K < F, K > F)
    iv = np.where(itm, 0.9, true)
    res = fill_smile(0, K, call, F, t, iv, False, deep_itm_sd=1.0)
    depth = np.abs(np.log(K / F)) / (true * math.sqrt(t))
    deep = itm & (depth >= 1.0)
    assert deep.any() and (itm & ~deep).any()
    assert (res.source[deep] == SUBST).all()
    assert (res.iv[itm & ~deep] == 0.9).all() and (res.source[itm & ~deep] == SOLVED).all()
    # A missing ITM IV is filled from the OTM side whatever its depth.
    iv[itm & ~deep] = np.nan
    res = fill_smile(0, K, call, F, t, iv, False, deep_itm_sd=1.0)
    assert (res.source[itm & ~deep] == SUBST).all()


def test_flat_extrapolation_beyond_the_wings() -> None:
    F, t = 50.0, 1.0
    strikes, call, true = _grid(F, t)
    iv = true.copy()
    grid = np.unique(strikes)
    lowest, highest = strikes == grid[0], strikes == grid[-1]
    iv[lowest | highest] = np.nan
    res = fill_smile(0, strikes, call, F, t, iv, False)
    assert (res.source[lowest | highest] == EXTRAP).all()
    assert np.allclose(res.iv[lowest], true[strikes == grid[1]][0], rtol=1e-15)
    assert np.allclose(res.iv[highest], true[strikes == grid[-2]][0], rtol=1e-15)


def test_groups_are_independent_and_order_does_not_matter() -> None:
    rng = np.random.default_rng(4)
    parts = []
    for g, (F, t) in enumerate([(100.0, 0.1), (105.0, 1.0), (98.0, 0.02)]):
        K, call, true = _grid(F, t)
        iv = true.copy()
        iv[rng.choice(K.size, 5, replace=False)] = np.nan
        parts.append((np.full(K.size, g), K, call, np.full(K.size, F), np.full(K.size, t), iv))
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    res = fill_smile(*cols, vendor=False)
    perm = rng.permutation(cols[0].size)
    shuffled = fill_smile(*(c[perm] for c in cols), vendor=False)
    np.testing.assert_array_equal(shuffled.iv, res.iv[perm])
    np.testing.assert_array_equal(shuffled.source, res.source[perm])
    for g, (_, K, _, F, t, _) in enumerate(parts):
        sel = cols[0] == g
        np.testing.assert_allclose(res.iv[sel], _linear_w(np.log(K / F), t[0]), rtol=1e-13)


def test_unavailable_without_knots_or_placement() -> None:
    K = np.array([90.0, 100.0, 110.0, 100.0, 100.0])
    call = np.array([True, True, True, False, True])
    group = np.array(["a", "a", "a", "b", "c"])  # string keys are fine
    F = np.array([100.0, 100.0, 100.0, 100.0, -1.0])
    iv = np.array([np.nan, np.nan, np.nan, np.nan, 0.3])
    res = fill_smile(group, K, call, F, 0.5, iv, False)
    assert (res.source[:4] == UNAVAIL).all() and np.isnan(res.iv[:4]).all()
    # A row that cannot be placed on the smile keeps its own IV but is never a knot.
    assert res.iv[4] == 0.3 and res.source[4] == SOLVED


def test_invalid_ivs_count_as_missing() -> None:
    F, t = 100.0, 0.5
    K, call, true = _grid(F, t)
    iv = true.copy()
    iv[[2, 15, 7]] = [np.inf, -0.1, 0.0]  # ITM call, ITM put, OTM call
    res = fill_smile(0, K, call, F, t, iv, False)
    np.testing.assert_allclose(res.iv, true, rtol=1e-13)
    assert res.source[2] == SUBST and res.source[15] == SUBST and res.source[7] == INTERP


def test_empty_input() -> None:
    res = fill_smile(np.zeros(0), np.zeros(0), np.zeros(0, bool), 1.0, 1.0, np.zeros(0), False)
    assert res.iv.shape == (0,) and res.source.shape == (0,)


def test_source_names() -> None:
    assert SMILE_SOURCE_NAMES[int(SUBST)] == "otm_substituted"
    assert set(SMILE_SOURCE_NAMES.values()) == {
        "vendor",
        "solved",
        "otm_substituted",
        "interpolated",
        "extrapolated",
        "unavailable",
    }


@settings(max_examples=100, deadline=None)
@given(
    knots=st.lists(st.floats(0.05, 2.0), min_size=2, max_size=12),
    t=st.floats(0.01, 3.0),
    holes=st.lists(st.integers(0, 11), max_size=6),
)
def test_filled_values_stay_within_the_neighbouring_knots(
    knots: list[float], t: float, holes: list[int]
) -> None:
    n = len(knots)
    F = 100.0
    K = F * np.exp(np.linspace(-0.5, 0.5, n))
    iv = np.asarray(knots, dtype=np.float64)
    holes = sorted({h for h in holes if h < n})
    if len(holes) == n:
        holes = holes[1:]
    iv[holes] = np.nan
    res = fill_smile(0, K, np.ones(n, bool), F, t, iv, False)
    assert np.isfinite(res.iv).all()
    known = np.flatnonzero(np.isfinite(iv))
    for h in holes:
        lo = known[known < h]
        hi = known[known > h]
        neighbours = [iv[lo[-1]]] if lo.size else []
        neighbours += [iv[hi[0]]] if hi.size else []
        w = res.iv[h] ** 2
        assert min(neighbours) ** 2 * (1 - 1e-12) <= w <= max(neighbours) ** 2 * (1 + 1e-12)
        expected = INTERP if lo.size and hi.size else EXTRAP
        assert res.source[h] == expected


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(ValueError):
        fill_smile(np.zeros(3), np.ones(2), np.ones(3, bool), 1.0, 1.0, np.ones(3), False)
