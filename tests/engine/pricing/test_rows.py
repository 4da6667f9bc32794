"""Batched pricing kernels (quotes, smile) against their twins."""

from __future__ import annotations

import numpy as np

from engine.pricing.kernels import (
    best_quotes_kernel,
    best_quotes_twin,
    interpolate_gaps_kernel,
    interpolate_gaps_twin,
    segment_max_kernel,
    segment_max_twin,
)


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
