"""Gamma profile: hand cases, the profile-at-spot invariant, twins, subsets, scaling."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine._jit import PURE_PYTHON_ENV, set_threads
from engine.analysis.profile import (
    BLOCK,
    evaluate_profile,
    gamma_profile,
    profile_terms,
)
from engine.analysis.segmented import segment_profile_kernel, segment_profile_twin, work_items
from engine.exposure.dealer import contract_exposures
from engine.greeks import dealer_greeks

DAY = 1.0 / 365.0
ARGS = ("underlying_price", "strike", "t", "vol", "rate", "carry", "weight", "multiplier")


def synthetic_chain(
    seed: int = 1,
    spot: float = 5000.0,
    *,
    put_skew: float = 1.6,
    black76_share: float = 0.0,
) -> dict[str, Any]:
    """An index-like chain: strikes ±30 %, four expiries, smile, street weights (±OI).

    Put open interest is heavier below spot (``put_skew``), so the profile is negative well
    below spot and positive above it, with a flip not far below spot. A share of contracts
    can be Black-76 on a future above spot (carry 0).
    """
    rng = np.random.default_rng(seed)
    strikes = np.arange(0.70 * spot, 1.30 * spot + 1e-9, 0.005 * spot)
    expiries = np.array([0.3, 2.0, 9.0, 30.0, 120.0]) * DAY
    K, T, call = (a.ravel() for a in np.meshgrid(strikes, expiries, [True, False], indexing="ij"))
    call = call.astype(bool)
    n = K.size
    k = np.log(K / spot)
    vol = 0.16 - 0.25 * k + 0.8 * k * k + rng.uniform(-0.005, 0.005, n)
    oi = np.round(rng.lognormal(6.0, 1.0, n) * np.exp(-12.0 * k * k))
    oi = np.where(call, oi, oi * np.where(k < 0.0, put_skew, 0.6))
    rate = np.full(n, 0.045)
    carry = rate - 0.013
    underlying = np.full(n, spot)
    b76 = rng.random(n) < black76_share
    underlying = np.where(b76, spot * np.exp(0.032 * T), underlying)
    carry = np.where(b76, 0.0, carry)
    return {
        "spot": spot,
        "underlying_price": underlying,
        "strike": K,
        "t": T,
        "vol": vol,
        "rate": rate,
        "carry": carry,
        "weight": np.where(call, oi, -oi),
        "multiplier": np.full(n, 100.0),
        "is_call": call,
        "open_interest": oi,
    }


def chain_gex(chain: dict[str, Any]) -> np.ndarray:
    """Per-contract GEX from engine.greeks + engine.exposure.dealer (the reference path)."""
    g = dealer_greeks(
        chain["underlying_price"],
        chain["strike"],
        chain["t"],
        chain["rate"],
        chain["carry"],
        chain["vol"],
        chain["is_call"],
    )
    e = contract_exposures(
        g,
        open_interest=chain["open_interest"],
        multiplier=chain["multiplier"],
        underlying_price=chain["underlying_price"],
        is_call=chain["is_call"],
    )
    return e.gex


def terms_of(chain: dict[str, Any]):  # type: ignore[no-untyped-def]
    return profile_terms(chain["spot"], *(chain[a] for a in ARGS))


def hand_gamma(S: float, K: float, T: float, vol: float, r: float, b: float) -> float:
    vst = vol * math.sqrt(T)
    d1 = (math.log(S / K) + (b + 0.5 * vol * vol) * T) / vst
    return math.exp((b - r) * T) * math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi) / (S * vst)


def test_two_contracts_by_hand() -> None:
    spot = 100.0
    levels = np.array([80.0, 95.0, 100.0, 103.0, 130.0])
    got = gamma_profile(
        levels,
        spot,
        [100.0, 100.0],
        [105.0, 92.0],
        [0.25, 0.1],
        [0.2, 0.35],
        0.05,
        [0.03, 0.03],
        [300.0, -500.0],
        100.0,
    )
    for level, value in zip(levels, got, strict=True):
        want = 0.0
        for K, T, v, w in ((105.0, 0.25, 0.2, 300.0), (92.0, 0.1, 0.35, -500.0)):
            want += w * hand_gamma(level, K, T, v, 0.05, 0.03) * 100.0 * level * level * 0.01
        assert value == pytest.approx(want, rel=1e-13)


def test_black76_contract_follows_its_future() -> None:
    spot, fut = 100.0, 103.0
    levels = np.array([90.0, 100.0, 111.0])
    got = gamma_profile(levels, spot, fut, 100.0, 0.5, 0.25, 0.04, 0.0, 10.0, 50.0)
    for level, value in zip(levels, got, strict=True):
        F = fut * level / spot
        want = 10.0 * hand_gamma(F, 100.0, 0.5, 0.25, 0.04, 0.0) * 50.0 * F * F * 0.01
        assert value == pytest.approx(want, rel=1e-13)


@pytest.mark.parametrize("twins", [False, True], ids=["kernel", "twin"])
def test_profile_at_spot_equals_net_gex(monkeypatch: pytest.MonkeyPatch, twins: bool) -> None:
    monkeypatch.setenv(PURE_PYTHON_ENV, "1" if twins else "0")
    chain = synthetic_chain(3, black76_share=0.3)
    net = float(np.sum(chain_gex(chain)))
    at_spot = evaluate_profile(terms_of(chain), [chain["spot"]])[0]
    assert abs(net) > 1e-3 * float(np.sum(np.abs(chain_gex(chain))))
    assert at_spot == pytest.approx(net, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    spot=st.floats(1.0, 50000.0),
    b76=st.floats(0.0, 1.0),
    skew=st.floats(0.2, 5.0),
)
def test_profile_at_spot_invariant(seed: int, spot: float, b76: float, skew: float) -> None:
    chain = synthetic_chain(seed, spot, put_skew=skew, black76_share=b76)
    gex = chain_gex(chain)
    at_spot = evaluate_profile(terms_of(chain), np.array([spot]))[0]
    # relative to the gross exposure: net GEX itself may cancel to ~0
    assert abs(at_spot - gex.sum()) <= 1e-9 * np.abs(gex).sum()


def _random_terms(n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    t = np.exp(rng.uniform(np.log(60 / (365 * 86400)), np.log(2.0), n))
    vol = rng.uniform(0.05, 1.5, n)
    K = 100.0 * np.exp(rng.normal(0.0, 0.2, n))
    w = rng.normal(0.0, 1000.0, n)
    terms = profile_terms(100.0, 100.0, K, t, vol, 0.04, 0.03, w, 100.0)
    levels = 100.0 * (1.0 + np.linspace(-0.5, 0.5, 37))
    x = levels / 100.0
    return np.log(x), x, terms.shift, terms.inv_vst, terms.coef


@pytest.mark.parametrize("n", [1, 7, BLOCK, BLOCK + 3, 3 * BLOCK + 11])
def test_twin_equals_kernel(n: int) -> None:
    """The one profile kernel (segmented) on one row of points: the single chain's case."""
    lnx, x, shift, inv_vst, coef = _random_terms(n, n)
    items = work_items(np.zeros(1, dtype=np.int64), np.full(1, n, dtype=np.int64))
    k_out = np.zeros((1, x.size))
    t_out = np.zeros((1, x.size))
    segment_profile_kernel(*items, lnx[None, :], x[None, :], shift, inv_vst, coef, k_out)
    segment_profile_twin(*items, lnx[None, :], x[None, :], shift, inv_vst, coef, t_out)
    k_out, t_out = k_out[0], t_out[0]
    # relative to the gross sum Σ|term| at each level (the net may cancel)
    d = (lnx[:, None] + shift[None, :]) * inv_vst[None, :]
    gross = x * (np.abs(coef)[None, :] * np.exp(-0.5 * d * d)).sum(axis=1)
    assert np.all(np.abs(k_out - t_out) <= 1e-12 * gross)
    assert np.all(np.abs(k_out - t_out) <= 1e-12 * np.abs(t_out) + 1e-300)


def test_result_does_not_depend_on_thread_count() -> None:
    terms = terms_of(synthetic_chain(5))
    levels = 5000.0 * (1.0 + np.linspace(-0.2, 0.2, 201))
    threads = set_threads(None)
    try:
        set_threads(1)
        one = evaluate_profile(terms, levels)
        set_threads(threads)
        many = evaluate_profile(terms, levels)
    finally:
        set_threads(threads)
    assert np.array_equal(one, many)


def test_select_equals_filtered_arrays() -> None:
    chain = synthetic_chain(7, black76_share=0.2)
    keep = chain["t"] > 1.0 * DAY  # exclude the same-day expiry
    levels = np.linspace(4200.0, 5800.0, 33)
    sub = evaluate_profile(terms_of(chain).select(keep), levels)
    filtered = {k: (v[keep] if isinstance(v, np.ndarray) else v) for k, v in chain.items()}
    want = evaluate_profile(terms_of(filtered), levels)
    np.testing.assert_allclose(sub, want, rtol=1e-12, atol=1e-9 * np.abs(want).max())
    with pytest.raises(ValueError, match="mask"):
        terms_of(chain).select(keep[:-1])


def test_zero_weight_contracts_are_dropped_even_if_invalid() -> None:
    terms = profile_terms(
        100.0,
        [100.0, 100.0, np.nan],
        [100.0, -5.0, 90.0],
        [0.1, 0.1, 0.1],
        [0.2, np.nan, 0.2],
        0.0,
        0.0,
        [1.0, 0.0, 0.0],
        100.0,
    )
    assert terms.count == 1
    assert terms.index.tolist() == [0]
    assert terms.size == 3


@pytest.mark.parametrize(
    "field,value",
    [("vol", 0.0), ("t", -1.0), ("strike", np.inf), ("underlying_price", np.nan), ("rate", np.nan)],
)
def test_invalid_contract_raises(field: str, value: float) -> None:
    args = {a: np.array([100.0, 100.0]) for a in ARGS}
    args.update(t=np.array([0.1, 0.1]), vol=np.array([0.2, 0.2]), rate=np.zeros(2))
    args["carry"] = np.zeros(2)
    args[field] = np.array([args[field][0], value])
    with pytest.raises(ValueError, match="position 1"):
        profile_terms(100.0, *(args[a] for a in ARGS))


@pytest.mark.parametrize("spot", [0.0, -1.0, np.nan, np.inf])
def test_invalid_spot_raises(spot: float) -> None:
    with pytest.raises(ValueError, match="spot"):
        gamma_profile([100.0], spot, 100.0, 100.0, 0.1, 0.2, 0.0, 0.0, 1.0, 100.0)


def test_invalid_levels_raise() -> None:
    terms = profile_terms(100.0, 100.0, 100.0, 0.1, 0.2, 0.0, 0.0, 1.0, 100.0)
    for bad in ([0.0], [-5.0], [np.nan]):
        with pytest.raises(ValueError, match="levels"):
            evaluate_profile(terms, bad)


def test_empty_and_all_zero_weight_give_zeros() -> None:
    levels = np.array([90.0, 100.0, 110.0])
    empty = gamma_profile(levels, 100.0, [], [], [], [], [], [], [], [])
    zero = gamma_profile(levels, 100.0, 100.0, 100.0, 0.1, 0.2, 0.0, 0.0, [0.0, 0.0], 100.0)
    assert empty.tolist() == [0.0, 0.0, 0.0]
    assert zero.tolist() == [0.0, 0.0, 0.0]
    assert evaluate_profile(terms_of(synthetic_chain()), np.empty(0)).shape == (0,)


def test_levels_keep_their_shape() -> None:
    terms = terms_of(synthetic_chain(2))
    grid = np.linspace(4500.0, 5500.0, 12).reshape(3, 4)
    out = evaluate_profile(terms, grid)
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out.ravel(), evaluate_profile(terms, grid.ravel()))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(0.01, 100.0))
def test_price_scaling(seed: int, scale: float) -> None:
    """Scaling every price by λ scales the profile by λ (gamma ∝ 1/S, GEX ∝ S²·gamma)."""
    chain = synthetic_chain(seed, black76_share=0.25)
    levels = np.linspace(4000.0, 6000.0, 21)
    base = evaluate_profile(terms_of(chain), levels)
    scaled = dict(chain)
    for key in ("underlying_price", "strike"):
        scaled[key] = chain[key] * scale
    scaled["spot"] = chain["spot"] * scale
    got = evaluate_profile(terms_of(scaled), levels * scale)
    gross = evaluate_profile(terms_of({**chain, "weight": np.abs(chain["weight"])}), levels)
    assert np.all(np.abs(got - scale * base) <= 1e-11 * scale * gross)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), factor=st.floats(-10.0, 10.0))
def test_linear_in_weights(seed: int, factor: float) -> None:
    chain = synthetic_chain(seed)
    levels = np.linspace(4000.0, 6000.0, 9)
    base = evaluate_profile(terms_of(chain), levels)
    got = evaluate_profile(terms_of({**chain, "weight": chain["weight"] * factor}), levels)
    gross = evaluate_profile(terms_of({**chain, "weight": np.abs(chain["weight"])}), levels)
    assert np.all(np.abs(got - factor * base) <= 1e-12 * abs(factor) * gross + 1e-300)
