"""The OI rules: known answers, validation, identities, kernel == twin."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ConfigurationError
from engine.flow import DEFAULT_CONFIDENCE, DEFAULT_RULE, FlowState, check_rule, estimate
from tests.engine.flow.tapes import state, trade_rows, trades, twins

TAPE = [
    {"contract": "A", "price": 1.2, "size": 10},  # buy 10
    {"contract": "A", "price": 1.0, "size": 4},  # sell 4
    {"contract": "B", "price": 1.0, "size": 30},  # sell 30 on B (official 0)
    {"contract": "C", "price": 1.1, "size": 9},  # at mid: nothing
    {"contract": "D", "price": 1.2, "size": 5, "condition": "late"},  # excluded
    {"contract": "Z", "price": 1.2, "size": 5},  # unmatched
]


def test_defaults() -> None:
    assert DEFAULT_RULE == "vendor" and DEFAULT_CONFIDENCE == 0.43


@pytest.mark.parametrize("twin", [False, True], ids=["kernel", "twin"])
def test_vendor_rule(twin: bool) -> None:
    with twins(twin):
        e = estimate(state().feed(trades(TAPE)))
    assert e.rule == "vendor" and e.confidence == 0.43
    assert e.intraday_oi_delta.tolist() == [0.43 * 14, 0.43 * 30, 0.0, 0.0, 0.0]
    assert e.simulated_oi.tolist() == [100 + 0.43 * 14, 0.43 * 30, 5.0, 40.0, 0.0]
    assert e.effective_oi.tolist() == e.simulated_oi.tolist()
    assert e.customer_net.tolist() == [6, -30, 0, 0, 0]
    t = e.totals()
    assert t.contracts_total == 5 and t.contracts_with_flow == 2 and t.contracts_with_trades == 3
    assert t.official_oi == 145
    assert t.intraday_oi_delta == pytest.approx(0.43 * 44)
    assert t.total_abs_delta_contracts == pytest.approx(0.43 * 44)
    assert (t.customer_buy_volume, t.customer_sell_volume, t.customer_net_volume) == (10, 34, -24)
    assert t.unclassified_volume == 9 and t.largest_print == 30
    assert (t.customer_buy_trades, t.customer_sell_trades, t.unclassified_trades) == (1, 2, 1)
    assert t.classified_share == pytest.approx(44 / 53)
    c = e.counts
    assert (c.trades_seen, c.excluded_condition, c.unmatched_contract) == (6, 1, 1)


@pytest.mark.parametrize("twin", [False, True], ids=["kernel", "twin"])
def test_net_rule_clamps_effective(twin: bool) -> None:
    with twins(twin):
        e = estimate(state().feed(trades(TAPE)), rule="net", confidence=0.5)
    assert e.intraday_oi_delta.tolist() == [3.0, -15.0, 0.0, 0.0, 0.0]
    assert e.simulated_oi.tolist() == [103.0, -15.0, 5.0, 40.0, 0.0]  # unclamped
    assert e.effective_oi.tolist() == [103.0, 0.0, 5.0, 40.0, 0.0]
    t = e.totals()
    assert t.intraday_oi_delta == -12.0  # the sum of deltas, not effective - official
    assert t.effective_oi - t.official_oi == 3.0
    assert t.total_abs_delta_contracts == 3.0
    assert t.simulated_oi == 133.0


def test_confidence_one_and_balanced_net() -> None:
    s = state().feed(trades([{"price": 1.2, "size": 3}, {"price": 1.0, "size": 3}]))
    assert estimate(s, confidence=1.0).intraday_oi_delta[0] == 6.0
    net = estimate(s, rule="net")
    assert net.intraday_oi_delta[0] == 0.0 and net.totals().contracts_with_flow == 0
    assert net.totals().contracts_with_trades == 1


def test_totals_over_a_mask() -> None:
    s = state().feed(trades(TAPE))
    e = estimate(s)
    front = s.group == 0
    t = e.totals(front)
    assert t.contracts_total == 3 and t.official_oi == 105 and t.contracts_with_flow == 2
    assert e.totals(~front).contracts_with_flow == 0 and e.totals(~front).largest_print == 0
    assert e.totals(np.zeros(5, dtype=bool)).classified_share is None
    with pytest.raises(ValueError, match="mask"):
        e.totals([True])


@pytest.mark.parametrize(
    ("rule", "confidence"),
    [("gross", 0.43), ("VENDOR", 0.43), ("vendor", 0.0), ("net", -0.1), ("net", 1.01),
     ("vendor", math.nan), ("vendor", math.inf), ("vendor", True), ("vendor", "x")],
)  # fmt: skip
def test_bad_rule_or_confidence(rule: str, confidence: Any) -> None:
    with pytest.raises(ConfigurationError):
        check_rule(rule, confidence)
    with pytest.raises(ConfigurationError):
        estimate(state(), rule=rule, confidence=confidence)


def test_check_rule_accepts() -> None:
    assert check_rule("net", 1) == ("net", 1.0)
    assert check_rule("vendor", np.float64(0.2)) == ("vendor", 0.2)


def test_empty_chain() -> None:
    e = estimate(FlowState.start([], [], []))
    t = e.totals()
    assert t.contracts_total == 0 and t.intraday_oi_delta == 0.0 and t.largest_print == 0


@settings(max_examples=60)
@given(
    rows=trade_rows(),
    rule=st.sampled_from(["vendor", "net"]),
    confidence=st.floats(1e-6, 1.0),
)
def test_invariants(rows: list[dict[str, Any]], rule: str, confidence: float) -> None:
    s = state().feed(trades(rows))
    with twins(False):
        e = estimate(s, rule=rule, confidence=confidence)
    with twins(True):
        t_ = estimate(s, rule=rule, confidence=confidence)
    for name in ("intraday_oi_delta", "simulated_oi", "effective_oi"):
        assert np.array_equal(getattr(e, name), getattr(t_, name))
    official = s.official_oi.astype(float)
    assert np.array_equal(e.simulated_oi, official + e.intraday_oi_delta)
    assert np.array_equal(e.effective_oi, np.maximum(0.0, e.simulated_oi))
    if rule == "vendor":
        assert (e.intraday_oi_delta >= 0).all()
        assert np.array_equal(
            e.intraday_oi_delta, confidence * (s.customer_buys + s.customer_sells)
        )
    else:
        assert np.array_equal(e.intraday_oi_delta, confidence * e.customer_net)
    tot = e.totals()
    assert tot.intraday_oi_delta == e.intraday_oi_delta.sum()
    assert tot.simulated_oi == pytest.approx(tot.official_oi + tot.intraday_oi_delta, abs=1e-9)
    assert tot.total_abs_delta_contracts == np.abs(e.effective_oi - official).sum()
    assert tot.contracts_with_flow == np.count_nonzero(e.intraday_oi_delta)
    assert tot.customer_net_volume == tot.customer_buy_volume - tot.customer_sell_volume
    assert tot.customer_buy_trades == s.counts.customer_buys
    assert tot.customer_sell_trades == s.counts.customer_sells
    assert tot.unclassified_trades == s.counts.unclassified
    assert tot.contracts_total == 5
