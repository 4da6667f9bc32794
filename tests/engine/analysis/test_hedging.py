"""Hedging estimate: signs, first-order limit, hand cases, twins, conventions."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine._jit import PURE_PYTHON_ENV
from engine.analysis.hedging import (
    dealer_share_delta,
    estimates_from_terms,
    hedge_delta_kernel,
    hedge_delta_twin,
    hedge_terms,
    hedging_estimate,
    signed_moves,
)
from engine.greeks import dealer_greeks
from tests.engine.analysis.test_profile import ARGS, chain_gex, synthetic_chain

HEDGE_ARGS = (*ARGS, "is_call")


def terms_of(chain: dict[str, Any]):  # type: ignore[no-untyped-def]
    return hedge_terms(chain["spot"], *(chain[a] for a in HEDGE_ARGS))


def subset(chain: dict[str, Any], keep: np.ndarray) -> dict[str, Any]:
    return {k: (v[keep] if isinstance(v, np.ndarray) else v) for k, v in chain.items()}


def hand_delta(S: float, K: float, T: float, vol: float, r: float, b: float, call: bool) -> float:
    vst = vol * math.sqrt(T)
    d1 = (math.log(S / K) + (b + 0.5 * vol * vol) * T) / vst
    phi = 1.0 if call else -1.0
    return phi * math.exp((b - r) * T) * 0.5 * math.erfc(-phi * d1 / math.sqrt(2.0))


def test_two_contracts_by_hand() -> None:
    # a street call (+OI) and put (-OI) on the spot, and a Black-76 call on a future at 102
    spot = 100.0
    U = [100.0, 100.0, 102.0]
    K = [104.0, 95.0, 100.0]
    T = [0.2, 0.05, 0.4]
    vol = [0.25, 0.4, 0.2]
    carry = [0.03, 0.03, 0.0]
    w = [200.0, -350.0, 40.0]
    m = [100.0, 100.0, 50.0]
    calls = [True, False, True]
    est = hedging_estimate([0.02], spot, U, K, T, vol, 0.045, carry, w, m, calls)
    assert list(est) == [-0.02, 0.02]

    def share_delta(level: float) -> float:
        x = level / spot
        return sum(
            w[i] * m[i] * hand_delta(U[i] * x, K[i], T[i], vol[i], 0.045, carry[i], calls[i])
            for i in range(3)
        )

    for move, e in est.items():
        want = -(share_delta(spot * (1 + move)) - share_delta(spot))
        assert e.dealer_shares_to_trade == pytest.approx(want, rel=1e-12)
        assert e.move == move
        assert e.level == pytest.approx(spot * (1 + move), rel=1e-15)
        assert e.notional_usd == pytest.approx(abs(want) * spot, rel=1e-12)
        assert e.direction == ("buy" if want > 0 else "sell")


def test_share_delta_at_spot_equals_greeks() -> None:
    chain = synthetic_chain(2, black76_share=0.3)
    g = dealer_greeks(
        chain["underlying_price"],
        chain["strike"],
        chain["t"],
        chain["rate"],
        chain["carry"],
        chain["vol"],
        chain["is_call"],
    )
    parts = chain["weight"] * g.delta * chain["multiplier"]
    got = dealer_share_delta(terms_of(chain), [chain["spot"]])[0]
    assert abs(got - parts.sum()) <= 1e-12 * np.abs(parts).sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_positive_gamma_dealers_buy_dips_and_sell_rips(seed: int) -> None:
    chain = synthetic_chain(seed)
    calls_only = subset(chain, chain["is_call"])
    est = estimates_from_terms(terms_of(calls_only), [0.001, 0.01, 0.05])
    for move, e in est.items():
        if move < 0:
            assert e.dealer_shares_to_trade > 0.0 and e.direction == "buy"
        else:
            assert e.dealer_shares_to_trade < 0.0 and e.direction == "sell"
    # short_all: dealers short every call, negative gamma, they chase the move
    short = {**calls_only, "weight": -calls_only["open_interest"]}
    for move, e in estimates_from_terms(terms_of(short), [0.01]).items():
        assert e.direction == ("sell" if move < 0 else "buy")


@pytest.mark.parametrize("black76_share", [0.0, 0.5])
def test_converges_to_first_order_estimate(black76_share: float) -> None:
    """-(net_gex / S) · (x / 0.01) shares: net GEX is the dealer delta change per 1 % move.

    With Black-76 contracts on a future F_i ≠ S the first-order term is
    -(x / 0.01) · Σ GEX_i / F_i (each future moves by the same factor as spot).
    """
    chain = synthetic_chain(5, black76_share=black76_share)
    keep = chain["t"] > 5.0 / 365.0  # smooth books; 0DTE convexity is tested elsewhere
    chain = subset(chain, keep)
    per_unit = float((chain_gex(chain) / chain["underlying_price"]).sum())
    terms = terms_of(chain)
    errors = {}
    sizes = (1e-3, 1e-4, 1e-5, 1e-6)
    for x in sizes:
        est = estimates_from_terms(terms, [x])
        for move in (-x, x):
            first_order = -per_unit * (move / 0.01)
            rel = abs(est[move].dealer_shares_to_trade / first_order - 1.0)
            errors[move] = rel
            assert rel <= 200.0 * x  # O(x)
    for big, small in itertools.pairwise(sizes):  # shrinks linearly with x
        for sign in (-1.0, 1.0):
            ratio = errors[sign * big] / errors[sign * small]
            assert 5.0 < ratio < 20.0


def test_zero_dte_convexity_and_asymmetry() -> None:
    chain = synthetic_chain(6)
    zero_dte = subset(chain, chain["t"] < 1.0 / 365.0)
    est = estimates_from_terms(terms_of(zero_dte), [0.005, 0.01])
    down, up = est[-0.01].dealer_shares_to_trade, est[0.01].dealer_shares_to_trade
    assert down != pytest.approx(-up, rel=1e-3)  # repricing, not the linear shortcut


@pytest.mark.parametrize("n", [1, 5, 333])
def test_twin_equals_kernel(n: int) -> None:
    rng = np.random.default_rng(n)
    t = np.exp(rng.uniform(np.log(60 / (365 * 86400)), np.log(2.0), n))
    terms = hedge_terms(
        100.0,
        100.0,
        100.0 * np.exp(rng.normal(0.0, 0.2, n)),
        t,
        rng.uniform(0.05, 1.5, n),
        0.04,
        0.02,
        rng.normal(0.0, 1000.0, n),
        100.0,
        rng.random(n) < 0.5,
    )
    lnx = np.log(1.0 + np.array([0.0, -0.01, 0.01, -0.2, 0.3]))
    k_out = np.empty((lnx.size, n))
    t_out = np.empty((lnx.size, n))
    args = (lnx, terms.shift, terms.inv_vst, terms.phi, terms.coef)
    hedge_delta_kernel(*args, k_out)
    hedge_delta_twin(*args, t_out)
    assert np.all(np.abs(k_out - t_out) <= 1e-12 * np.abs(t_out) + 1e-300)


def test_public_entry_point_under_twins(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = synthetic_chain(3)
    compiled = estimates_from_terms(terms_of(chain), [0.01])
    monkeypatch.setenv(PURE_PYTHON_ENV, "1")
    twin = estimates_from_terms(terms_of(chain), [0.01])
    for move in compiled:
        assert twin[move].dealer_shares_to_trade == pytest.approx(
            compiled[move].dealer_shares_to_trade, rel=1e-10
        )


def test_select_equals_filtered_arrays() -> None:
    chain = synthetic_chain(4, black76_share=0.2)
    keep = chain["t"] > 1.0 / 365.0
    got = estimates_from_terms(terms_of(chain).select(keep), [0.01])
    want = estimates_from_terms(terms_of(subset(chain, keep)), [0.01])
    for move in want:
        assert got[move].dealer_shares_to_trade == pytest.approx(
            want[move].dealer_shares_to_trade, rel=1e-12
        )
    with pytest.raises(ValueError, match="mask"):
        terms_of(chain).select(keep[1:])


def test_signed_moves() -> None:
    assert signed_moves([0.01]) == [-0.01, 0.01]
    assert signed_moves([0.01, -0.01, 0.0025]) == [-0.01, -0.0025, 0.0025, 0.01]
    for bad in (0.0, 1.0, -1.5, math.nan, math.inf):
        with pytest.raises(ValueError, match="move"):
            signed_moves([bad])


def test_empty_book_trades_nothing() -> None:
    est = hedging_estimate([0.01], 100.0, 100.0, 100.0, 0.1, 0.2, 0.0, 0.0, [0.0], 100.0, True)
    for e in est.values():
        assert e.dealer_shares_to_trade == 0.0
        assert math.copysign(1.0, e.dealer_shares_to_trade) == 1.0
        assert e.direction == "buy"
        assert e.notional_usd == 0.0


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError, match="position 0"):
        hedging_estimate([0.01], 100.0, 100.0, 100.0, 0.1, np.nan, 0.0, 0.0, 1.0, 100.0, True)
    with pytest.raises(ValueError, match="levels"):
        dealer_share_delta(
            hedge_terms(100.0, 100.0, 100.0, 0.1, 0.2, 0.0, 0.0, 1.0, 100.0, True), [-1.0]
        )


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    factor=st.floats(-10.0, 10.0).filter(lambda f: abs(f) > 1e-3),
    move=st.floats(1e-4, 0.2),
)
def test_linear_in_weights(seed: int, factor: float, move: float) -> None:
    chain = synthetic_chain(seed, black76_share=0.3)
    base = estimates_from_terms(terms_of(chain), [move])
    scaled = estimates_from_terms(terms_of({**chain, "weight": chain["weight"] * factor}), [move])
    gross = estimates_from_terms(terms_of({**chain, "weight": np.abs(chain["weight"])}), [move])
    for m in base:
        want = factor * base[m].dealer_shares_to_trade
        got = scaled[m].dealer_shares_to_trade
        # relative to a bound on the gross traded shares (calls and puts may cancel)
        bound = abs(factor) * (abs(gross[m].dealer_shares_to_trade) + 1.0)
        assert abs(got - want) <= 1e-9 * bound
