"""Batched market pricing kernels (quotes, forwards, smile) against twins and engine.smile."""

from __future__ import annotations

import numpy as np

from engine.market_pricing import _fill_smile, strike_segments
from engine.market_pricing_kernels import (
    best_quotes_kernel,
    best_quotes_twin,
    interpolate_gaps_kernel,
    interpolate_gaps_twin,
    parity_medians_kernel,
    parity_medians_twin,
    segment_max_kernel,
    segment_max_twin,
)
from engine.smile import fill_smile


def test_pricing_kernels_match_twins() -> None:
    rng = np.random.default_rng(9)
    n = 300
    perm = rng.permutation(n).astype(np.int64)
    bounds = np.unique(np.r_[0, rng.integers(0, n, 60), n]).astype(np.int64)
    calls = rng.random(n) < 0.5
    spread = np.where(rng.random(n) < 0.3, np.nan, np.round(rng.uniform(0.05, 0.5, n), 2))
    S = bounds.size - 1
    bk = (np.empty(S, np.int64), np.empty(S, np.int64))
    bt = (np.empty(S, np.int64), np.empty(S, np.int64))
    best_quotes_kernel(bounds, perm, calls, spread, *bk)
    best_quotes_twin(bounds, perm, calls, spread, *bt)
    np.testing.assert_array_equal(bk[0], bt[0])
    np.testing.assert_array_equal(bk[1], bt[1])

    values = np.where(rng.random(n) < 0.4, np.nan, rng.normal(0, 1, n))
    mk, mt = np.empty(S), np.empty(S)
    segment_max_kernel(bounds, perm, values, mk)
    segment_max_twin(bounds, perm, values, mt)
    np.testing.assert_array_equal(mk, mt)

    distance = np.round(rng.uniform(0, 3, n), 0)  # many ties
    forward = rng.normal(100, 1, n)
    for n_strikes, min_pairs in ((5, 2), (4, 1), (1, 1), (6, 3)):
        out_k, used_k = np.empty(S), np.empty(S, np.int64)
        out_t, used_t = np.empty(S), np.empty(S, np.int64)
        parity_medians_kernel(bounds, distance, forward, n_strikes, min_pairs, out_k, used_k)
        parity_medians_twin(bounds, distance, forward, n_strikes, min_pairs, out_t, used_t)
        np.testing.assert_array_equal(out_k, out_t)
        np.testing.assert_array_equal(used_k, used_t)

    knot_x = np.sort(rng.normal(0, 0.2, 40))
    knot_w = rng.uniform(0.01, 0.1, 40)
    lo = np.array([0, 0, 5, 5, 10, 10, 10, 39, 20, 20], dtype=np.int64)
    hi = np.array([0, 1, 15, 15, 30, 30, 30, 40, 25, 25], dtype=np.int64)
    x = np.array([0.0, 3.0, knot_x[9], knot_x[5], -5.0, 5.0, 0.01, 1.0, knot_x[22], knot_x[24]])
    wk, wt = np.empty(10), np.empty(10)
    ok, ot = np.empty(10, bool), np.empty(10, bool)
    interpolate_gaps_kernel(x, lo, hi, knot_x, knot_w, wk, ok)
    interpolate_gaps_twin(x, lo, hi, knot_x, knot_w, wt, ot)
    np.testing.assert_array_equal(wk, wt)
    np.testing.assert_array_equal(ok, ot)
    assert np.isnan(wk[0]) and ok[4] and ok[5] and not ok[2]


def test_batched_smile_equals_fill_smile() -> None:
    """The market's smile fill equals ``engine.smile.fill_smile`` on groups of all kinds."""
    rng = np.random.default_rng(21)
    n = 2000
    group = rng.integers(0, 40, n)
    F = np.where(group % 7 == 0, np.nan, 100.0 * np.exp(0.01 * group))
    K = np.round(rng.uniform(60, 140, n), 0)
    call = rng.random(n) < 0.5
    T = (1 + group) / 200.0
    iv = np.where(rng.random(n) < 0.35, np.nan, rng.uniform(0.1, 0.6, n))
    vendor = np.isfinite(iv) & (rng.random(n) < 0.5)
    starts, stops = np.array([0], np.int64), np.array([n], np.int64)
    perm, bounds, seg = strike_segments(starts, stops, group.astype(np.int64), K)
    mine = _fill_smile(group.astype(np.int64), perm, bounds, seg, K, call, F, T, iv, vendor)
    theirs = fill_smile(group, K, call, F, T, iv, vendor)
    np.testing.assert_array_equal(mine[1], theirs.source)
    np.testing.assert_allclose(mine[0], theirs.iv, rtol=1e-15, atol=0)
    assert len(set(theirs.source.tolist())) >= 5
