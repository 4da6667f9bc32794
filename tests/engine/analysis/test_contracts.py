"""Contracts as one struct of arrays: subsets, segments, greeks and exposures."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis.contracts import Contracts, contracts_of
from engine.analysis.flip import find_crossings, grid_levels, search, terms_evaluator
from engine.analysis.profile import contract_terms, terms_of
from engine.exposure.dealer import contract_exposures
from engine.greeks import dealer_greeks


def _two_underlyings() -> Contracts:
    rng = np.random.default_rng(1)
    n = 40
    uid = np.repeat([0, 1], [25, 15])
    spot = np.where(uid == 0, 100.0, 250.0)
    k = spot * np.exp(rng.normal(0, 0.1, n))
    calls = rng.random(n) < 0.5
    oi = rng.integers(0, 500, n).astype(float)
    return Contracts(
        underlying_price=spot, strike=k, t=rng.uniform(0.01, 1.0, n), iv=rng.uniform(0.1, 0.5, n),
        rate=np.full(n, 0.04), carry=np.full(n, 0.03), is_call=calls,
        multiplier=np.full(n, 100.0), open_interest=oi, position=np.where(calls, oi, -oi),
        expiration_day=np.zeros(n, dtype=np.int64), uid=uid, n_underlyings=2,
    )  # fmt: skip


def test_take_bounds_and_exposures() -> None:
    c = _two_underlyings()
    starts, stops = c.bounds()
    assert starts.tolist() == [0, 25] and stops.tolist() == [25, 40]
    sub = c.take(c.uid == 1)
    assert sub.size == 15 and sub.n_underlyings == 2 and sub.bounds()[0].tolist() == [0, 0]
    g = dealer_greeks(c.underlying_price, c.strike, c.t, c.rate, c.carry, c.iv, c.is_call)
    street = contract_exposures(
        g, open_interest=c.open_interest, multiplier=c.multiplier,
        underlying_price=c.underlying_price, is_call=c.is_call,
    )  # fmt: skip
    mine = c.exposures()
    for name in street:
        np.testing.assert_array_equal(mine[name], street[name])


def test_contracts_of_broadcasts_one_underlying() -> None:
    c = contracts_of(100.0, [90.0, 110.0], 0.5, 0.2, 0.05, 0.04, [1.0, -1.0], 100.0)
    assert c.size == 2 and c.uid.tolist() == [0, 0] and c.is_call.all()
    assert c.open_interest.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="1-D"):
        contracts_of(np.ones((2, 2)), 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0)


def test_a_market_search_equals_each_underlying_alone() -> None:
    """One flip search over two underlyings gives each one's own crossings."""
    c = _two_underlyings()
    spots = np.array([100.0, 250.0])
    terms = terms_of(c)
    owner = c.uid[terms.index]
    lo = np.searchsorted(owner, [0, 1]).astype(np.int64)
    hi = np.searchsorted(owner, [0, 1], side="right").astype(np.int64)
    evaluate = terms_evaluator(terms, lo, hi, spots)
    active = np.arange(2, dtype=np.int64)
    found = search(evaluate, spots, active, evaluate(active, grid_levels(spots, 0.2, 201)))
    for u in (0, 1):
        alone = find_crossings(terms_of(c.take(c.uid == u), spots[u]))
        mine = found.crossings[found.offsets[u] : found.offsets[u + 1]]
        np.testing.assert_array_equal(mine, alone.crossings)
        np.testing.assert_array_equal(found.last_values[u], alone.values)


def test_contract_terms_refuse_invalid_weighted_inputs() -> None:
    c = contracts_of(100.0, [90.0, -1.0, 110.0], 0.5, 0.2, 0.0, 0.0, [1.0, 0.0, 2.0], 100.0)
    assert contract_terms(c).index.tolist() == [0, 2]  # the bad strike has no position
    bad = contracts_of(100.0, [90.0, -1.0], 0.5, 0.2, 0.0, 0.0, [1.0, 1.0], 100.0)
    with pytest.raises(ValueError, match="position 1"):
        contract_terms(bad)
