"""One smile per expiry: the OTM quote's IV at each strike for both rights, then fallbacks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.pricing.forward import strike_segments
from engine.pricing.smile import SMILE_SOURCE_NAMES, SmileSource, strike_smile

NAN = float("nan")


def _smile(group, K, call, F, t, quote, vendor):  # type: ignore[no-untyped-def]
    K = np.asarray(K, dtype=np.float64)
    n = K.size
    group = np.ascontiguousarray(np.broadcast_to(np.asarray(group, dtype=np.int64), (n,)))
    perm, bounds, seg = strike_segments(
        np.zeros(1, dtype=np.int64), np.full(1, n, dtype=np.int64), group, K
    )
    return strike_smile(
        perm, bounds, seg, group, K, np.asarray(call, dtype=np.bool_),
        np.broadcast_to(np.asarray(F, dtype=np.float64), (n,)).copy(),
        np.broadcast_to(np.asarray(t, dtype=np.float64), (n,)).copy(),
        np.asarray(quote, dtype=np.float64), np.asarray(vendor, dtype=np.float64),
    )  # fmt: skip


def test_otm_side_sets_both_rights() -> None:
    # strikes 90 (put OTM), 110 (call OTM); F = 100
    K = [90, 90, 110, 110]
    call = [True, False, True, False]
    quote = [0.30, 0.25, 0.18, 0.22]
    res = _smile(0, K, call, 100.0, 0.5, quote, [NAN] * 4)
    np.testing.assert_array_equal(res.iv, [0.25, 0.25, 0.18, 0.18])
    assert (res.source == SmileSource.QUOTE_OTM).all()


def test_blend_at_the_forward() -> None:
    res = _smile(0, [100, 100], [True, False], 100.0, 0.5, [0.20, 0.22], [NAN, NAN])
    np.testing.assert_allclose(res.iv, [0.21, 0.21], rtol=1e-15)


def test_itm_quote_then_vendor_then_interpolation() -> None:
    K = [80, 80, 90, 90, 100, 100, 110, 110]
    call = [True, False] * 4
    quote = [0.40, NAN, NAN, NAN, NAN, NAN, 0.20, NAN]  # 80: only the ITM call is quoted
    vendor = [NAN, NAN, NAN, 0.33, NAN, NAN, NAN, NAN]  # 90: only the vendor has an IV
    res = _smile(0, K, call, 105.0, 1.0, quote, vendor)
    assert (
        res.source.tolist()
        == [SmileSource.QUOTE_ITM] * 2
        + [SmileSource.VENDOR_FALLBACK] * 2
        + [SmileSource.INTERPOLATED] * 2
        + [SmileSource.QUOTE_OTM] * 2
    )
    np.testing.assert_array_equal(res.iv[:4], [0.40, 0.40, 0.33, 0.33])
    x = np.log(np.array([90.0, 100.0, 110.0]) / 105.0)
    w = np.interp(x[1], [x[0], x[2]], [0.33**2, 0.20**2])
    np.testing.assert_allclose(res.iv[4:6], np.sqrt(w), rtol=1e-14)


def test_quotes_beat_vendor_and_wings_extrapolate() -> None:
    K = [70, 100, 100, 130]
    call = [False, True, False, True]
    quote = [NAN, 0.21, NAN, NAN]
    vendor = [NAN, 0.99, 0.98, NAN]
    res = _smile(0, K, call, 100.0, 0.25, quote, vendor)
    assert res.iv.tolist() == [0.21, 0.21, 0.21, 0.21]
    assert res.source[0] == res.source[3] == SmileSource.EXTRAPOLATED


def test_groups_do_not_mix_and_unplaceable_rows_are_unavailable() -> None:
    group = [0, 0, 1]
    res = _smile(group, [100, 110, 100], [True, True, True], [100, 100, 100], [0.5, 0.5, 0.5],
                 [0.2, NAN, NAN], [NAN, NAN, NAN])  # fmt: skip
    assert res.source.tolist() == [
        SmileSource.QUOTE_OTM, SmileSource.EXTRAPOLATED, SmileSource.UNAVAILABLE
    ]  # fmt: skip
    assert np.isnan(res.iv[2])
    bad = _smile(0, [100], [True], 100.0, 0.0, [0.2], [NAN])
    assert bad.source[0] == SmileSource.UNAVAILABLE


def test_names() -> None:
    assert SMILE_SOURCE_NAMES[0] == "quote_otm"
    assert set(SMILE_SOURCE_NAMES.values()) == {s.name.lower() for s in SmileSource}


def test_empty() -> None:
    res = _smile([], [], [], 100.0, 0.5, [], [])
    assert res.iv.size == 0 and res.source.size == 0


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 20),
    seed=st.integers(0, 2**32 - 1),
    forward=st.floats(50.0, 150.0),
)
def test_call_and_put_share_one_iv_per_strike_in_any_order(
    n: int, seed: int, forward: float
) -> None:
    rng = np.random.default_rng(seed)
    K = np.repeat(rng.choice(np.arange(50, 151, 5), n, replace=False).astype(float), 2)
    call = np.tile([True, False], n)
    group = rng.integers(0, 3, 2 * n)
    quote = np.where(rng.random(2 * n) < 0.6, rng.uniform(0.05, 1.0, 2 * n), NAN)
    vendor = np.where(rng.random(2 * n) < 0.5, rng.uniform(0.05, 1.0, 2 * n), NAN)
    res = _smile(group, K, call, forward, 0.3, quote, vendor)
    for k in np.unique(K):
        for g in np.unique(group):
            at = (k == K) & (group == g)
            if at.sum() > 1:
                assert np.unique(res.iv[at]).size == 1
    perm = rng.permutation(2 * n)
    again = _smile(group[perm], K[perm], call[perm], forward, 0.3, quote[perm], vendor[perm])
    np.testing.assert_array_equal(again.iv, res.iv[perm])
    assert np.all(np.isfinite(res.iv) == (res.source != SmileSource.UNAVAILABLE))
    assert np.all(res.iv[np.isfinite(res.iv)] > 0)


@pytest.mark.parametrize("forward", [95.0, 105.0])
def test_otm_definition_follows_the_forward(forward: float) -> None:
    res = _smile(0, [100, 100], [True, False], forward, 0.5, [0.30, 0.20], [NAN, NAN])
    expected = 0.20 if forward > 100 else 0.30  # K < F: the put is OTM
    assert res.iv.tolist() == [expected, expected]
