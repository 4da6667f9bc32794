"""Segmented market kernels (profile, strike picks, per-strike sums, sorts) against their twins."""

from __future__ import annotations

import numpy as np

from engine.analysis.segmented import (
    pick_strikes_kernel,
    pick_strikes_twin,
    segment_profile_kernel,
    segment_profile_twin,
    strike_groups,
    strike_groups_kernel,
    strike_groups_twin,
    strike_sums,
    strike_sums_kernel,
    strike_sums_twin,
    work_items,
)
from engine.chain.segments import (
    argsort_within,
    argsort_within_kernel,
    argsort_within_twin,
    duplicated_within_kernel,
    duplicated_within_twin,
)


def test_profile_kernel_matches_twin() -> None:
    rng = np.random.default_rng(3)
    n = 1500
    shift = rng.normal(0.0, 0.3, n)
    inv_vst = np.exp(rng.uniform(-1.0, 4.0, n))
    coef = rng.normal(0.0, 1e6, n)
    lo = np.array([0, 0, 700, 1500, 300], dtype=np.int64)  # overlapping, empty, > BLOCK
    hi = np.array([700, 5, 1500, 1500, 1300], dtype=np.int64)
    x = rng.uniform(0.6, 1.4, (5, 13))
    lnx = np.log(x)
    items = work_items(lo, hi)
    assert (items[2] - items[1] <= 256).all() and items[3][-1] == items[0].size
    out_k, out_t = np.zeros((5, 13)), np.zeros((5, 13))
    segment_profile_kernel(*items, lnx, x, shift, inv_vst, coef, out_k)
    segment_profile_twin(*items, lnx, x, shift, inv_vst, coef, out_t)
    gross = np.abs(coef).sum()
    np.testing.assert_allclose(out_k, out_t, rtol=0, atol=1e-14 * gross)
    assert (out_k[3] == 0).all()
    direct = x[0] * (
        coef[:700, None] * np.exp(-0.5 * ((lnx[0] + shift[:700, None]) * inv_vst[:700, None]) ** 2)
    ).sum(0)
    np.testing.assert_allclose(out_k[0], direct, rtol=0, atol=1e-13 * gross)


def test_level_and_sort_kernels_match_twins() -> None:
    rng = np.random.default_rng(5)
    n = 400
    starts = np.array([0, 10, 10, 150, 399], dtype=np.int64)
    stops = np.array([10, 10, 150, 399, 400], dtype=np.int64)
    strike = np.round(rng.uniform(90, 110, n))  # many equal strikes
    score = np.where(rng.random(n) < 0.2, 0.0, np.round(rng.normal(0, 3, n)))  # ties and zeros
    score[5] = np.nan
    spot = np.array([100.0, 100.0, 99.5, 104.0, 100.0])
    out_k, out_t = np.empty(5), np.empty(5)
    pick_strikes_kernel(starts, stops, strike, score, spot, out_k)
    pick_strikes_twin(starts, stops, strike, score, spot, out_t)
    np.testing.assert_array_equal(out_k, out_t)
    assert np.isnan(out_k[1])

    keys = rng.integers(0, 60, n)
    dk, dt = np.zeros(n, bool), np.zeros(n, bool)
    duplicated_within_kernel(starts, stops, keys, dk)
    duplicated_within_twin(starts, stops, keys, dt)
    np.testing.assert_array_equal(dk, dt)
    assert dk.any() and not dk.all()

    key_int = rng.integers(0, 4, n)
    pk, pt = np.arange(n), np.arange(n)
    argsort_within_kernel(starts, stops, key_int, strike, pk)
    argsort_within_twin(starts, stops, key_int, strike, pt)
    np.testing.assert_array_equal(pk, pt)
    pre = argsort_within(starts, stops, key_int[pk], strike[pk])
    np.testing.assert_array_equal(pre, np.arange(n))  # sorted input: identity
    constant = argsort_within(starts, stops, np.zeros(n, np.int64), strike)
    for a, b in zip(starts, stops, strict=True):
        np.testing.assert_array_equal(constant[a:b], a + np.argsort(strike[a:b], kind="stable"))

    # strikes on a grid, so that segments repeat them
    grid = np.round(strike / 5.0) * 5.0
    gk = [np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(starts.size, np.int64)]
    gt = [np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(starts.size, np.int64)]
    strike_groups_kernel(starts, stops, grid, grid.view(np.int64), *gk)
    strike_groups_twin(starts, stops, grid, grid.view(np.int64), *gt)
    for got, want in zip(gk, gt, strict=True):
        np.testing.assert_array_equal(got, want)
    group, owner, head = strike_groups(starts, stops, grid)
    for r, (a, b) in enumerate(zip(starts, stops, strict=True)):
        distinct = np.unique(grid[a:b])
        np.testing.assert_array_equal(grid[head[owner == r]], distinct)
        np.testing.assert_array_equal(grid[head[group[a:b]]], grid[a:b])
        assert (owner[group[a:b]] == r).all()
    cols = rng.normal(0, 1e5, (6, n))
    calls = rng.random(n) < 0.5
    sk = np.zeros((2, 6, head.size))
    st = np.zeros((2, 6, head.size))
    strike_sums_kernel(starts, stops, group, calls, cols, sk)
    strike_sums_twin(starts, stops, group, calls, cols, st)
    np.testing.assert_array_equal(sk, st)  # the same additions in the same order
    # against a direct reduction: call and put sums of every row per strike group
    for g in range(head.size):
        rows = np.flatnonzero(group == g)
        c = calls[rows]
        np.testing.assert_allclose(sk[0, :, g], cols[:, rows[c]].sum(axis=1), rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(sk[1, :, g], cols[:, rows[~c]].sum(axis=1), rtol=1e-9, atol=1e-6)
    counts = rng.integers(0, 2**40, (2, n))
    exact = strike_sums(starts, stops, group, head.size, calls, counts)
    assert exact.dtype == np.int64
    assert exact[0, 1, 0] == counts[1, (group == 0) & calls].sum()
