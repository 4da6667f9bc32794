"""Trade classification: every branch by hand, the order of the tests, kernel == twin."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from engine.flow import CODE_NAMES, TradeCounts, classify
from engine.flow._math import N_CODES, NO_TIMESTAMP, premium_micros_py, trade_code_py
from engine.flow.classify import classify_tape, counted_mask
from tests.engine.flow.tapes import NAN, state, trade_rows, trades, twins

INF = float("inf")

# (row overrides of the default print: A at 1.10 on 1.00 x 1.20, size 1, regular) -> code
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("at the ask", {"price": 1.20}, "buy"),
    ("above the ask", {"price": 1.25}, "buy"),
    ("at the bid", {"price": 1.00}, "sell"),
    ("below the bid", {"price": 0.95}, "sell"),
    ("inside, nearer the ask", {"price": 1.15}, "buy"),
    ("inside, nearer the bid", {"price": 1.05}, "sell"),
    ("exactly at the midpoint", {"price": 1.10}, "at_mid"),
    ("midpoint a float test gets wrong", {"price": 0.2, "bid": 0.1, "ask": 0.3}, "at_mid"),
    ("a cent above a float midpoint", {"price": 0.21, "bid": 0.1, "ask": 0.3}, "buy"),
    ("zero bid is a quote", {"price": 0.05, "bid": 0.0, "ask": 0.10}, "at_mid"),
    ("zero bid, at the ask", {"price": 0.10, "bid": 0.0, "ask": 0.10}, "buy"),
    ("bid NaN", {"bid": NAN}, "no_quote"),
    ("bid missing", {"bid": None}, "no_quote"),
    ("ask missing", {"ask": None}, "no_quote"),
    ("ask infinite", {"ask": INF}, "no_quote"),
    ("negative bid", {"bid": -0.05}, "no_quote"),
    ("locked quote", {"bid": 1.10, "ask": 1.10}, "no_quote"),
    ("locked quote, price above", {"price": 1.20, "bid": 1.10, "ask": 1.10}, "no_quote"),
    ("crossed quote", {"bid": 1.20, "ask": 1.00}, "no_quote"),
    ("ask zero", {"price": 0.05, "bid": 0.0, "ask": 0.0}, "no_quote"),
    ("ask negative", {"bid": 0.0, "ask": -1.0}, "no_quote"),
    ("size zero", {"size": 0}, "invalid"),
    ("size negative", {"size": -5}, "invalid"),
    ("size missing", {"size": None}, "invalid"),
    ("size above 1e9", {"size": 2_000_000_000}, "invalid"),
    ("price NaN", {"price": NAN}, "invalid"),
    ("price missing", {"price": None}, "invalid"),
    ("price infinite", {"price": INF}, "invalid"),
    ("price negative", {"price": -1.0}, "invalid"),
    ("price zero", {"price": 0.0}, "invalid"),
    ("price below half a micro-dollar", {"price": 4e-7}, "invalid"),
    ("price above 1e9", {"price": 2e9}, "invalid"),
    ("notional above $1e10", {"price": 1e5, "size": 2_000_000}, "invalid"),
    ("no timestamp", {"timestamp": None}, "invalid"),
    ("unknown contract", {"contract": "Z"}, "unmatched"),
    ("null contract", {"contract": None}, "unmatched"),
    ("unknown contract beats invalid", {"contract": "Z", "size": 0}, "unmatched"),
    ("excluded condition", {"condition": "late"}, "excluded"),
    (
        "excluded beats unmatched and invalid",
        {"condition": "cancelled", "contract": "Z", "size": 0},
        "excluded",
    ),
    ("invalid beats no quote", {"size": 0, "bid": NAN}, "invalid"),
    ("missing condition is unknown, included", {"condition": None, "price": 1.2}, "buy"),
    ("non-canonical condition is unknown, included", {"condition": "weird", "price": 1.2}, "buy"),
    ("multi-leg print included", {"condition": "multi_leg", "price": 1.0}, "sell"),
]


@pytest.mark.parametrize("twin", [False, True], ids=["kernel", "twin"])
@pytest.mark.parametrize(("what", "row", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_branch(what: str, row: dict[str, Any], expected: str, twin: bool) -> None:
    with twins(twin):
        codes = classify(state(), trades([row]))
    assert CODE_NAMES[int(codes[0])] == expected, what


def test_notional_uses_the_contract_multiplier() -> None:
    # $1e5 x 1e4 contracts: $1e11 on multiplier 100 (invalid), $1e10 on C's 10 (valid)
    frame = trades(
        [{"price": 1e5, "size": 10_000, "bid": 0.0, "ask": 3e5, "contract": c} for c in "AC"]
    )
    assert [CODE_NAMES[c] for c in classify(state(), frame)] == ["invalid", "sell"]


def test_excluded_set_is_a_parameter() -> None:
    rows = [
        {"condition": "late"},
        {"condition": None},
        {"condition": "weird"},
        {"condition": "unknown"},
    ]
    assert [CODE_NAMES[c] for c in classify(state(excluded=()), trades(rows))] == ["at_mid"] * 4
    s = state(excluded={"unknown"})
    assert [CODE_NAMES[c] for c in classify(s, trades(rows))] == ["at_mid", *["excluded"] * 3]


def test_counts_from_codes() -> None:
    rows = [r for _, r, _ in CASES]
    s = state().feed(trades(rows))
    want = [e for _, _, e in CASES]
    c = s.counts
    assert c.trades_seen == len(rows)
    assert c.customer_buys == want.count("buy")
    assert c.customer_sells == want.count("sell")
    assert c.unclassified_at_mid == want.count("at_mid")
    assert c.unclassified_no_quote == want.count("no_quote")
    assert c.unclassified == c.unclassified_at_mid + c.unclassified_no_quote
    assert c.excluded_condition == want.count("excluded")
    assert c.unmatched_contract == want.count("unmatched")
    assert c.invalid == want.count("invalid")
    with pytest.raises(ValueError, match="code counts"):
        TradeCounts.from_codes([1, 2])


def test_counted_mask() -> None:
    codes = np.arange(N_CODES, dtype=np.int8)
    assert counted_mask(codes).tolist() == [False, False, False, True, True, True, True]


def test_premium_is_rounded_per_print() -> None:
    assert premium_micros_py(1.05, 3, 100.0) == 315_000_000.0
    assert premium_micros_py(0.0000014, 1, 1.0) == 1.0  # 1.4 micro-dollars -> grid 1
    assert trade_code_py(True, 0, 0, 1.05, 3, 100.0, 1.0, 1.1) == CODE_NAMES.index("at_mid")


@settings(max_examples=60)
@given(rows=trade_rows())
def test_kernel_equals_twin(rows: list[dict[str, Any]]) -> None:
    s = state()
    tape = s.tape(trades(rows))
    with twins(False):
        k = classify_tape(tape, s.multiplier)
    with twins(True):
        t = classify_tape(tape, s.multiplier)
    assert np.array_equal(k.code, t.code)
    assert np.array_equal(k.premium, t.premium)
    assert (k.first, k.last, k.latest) == (t.first, t.last, t.latest)
    assert np.array_equal(k.counts, t.counts)
    assert k.counts.sum() == len(rows)
    stamps = tape.timestamp[tape.timestamp != NO_TIMESTAMP]
    assert k.latest == (stamps.max() if stamps.size else NO_TIMESTAMP)
    counted = k.code >= 3
    assert (k.premium[~counted] == 0).all()
    if counted.any():
        assert k.first == tape.timestamp[counted].min()
        assert k.last == tape.timestamp[counted].max()
    else:
        assert k.first > k.last
