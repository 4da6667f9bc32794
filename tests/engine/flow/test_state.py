"""The incremental state: construction, feeding, immutability, splits, order, kernel == twin."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.flow import FlowState
from engine.flow._math import MT_COLS, US_PER_MINUTE
from tests.engine.flow.tapes import (
    CHAIN,
    T0,
    cuts,
    feed_in_batches,
    same_state,
    state,
    trade_rows,
    trades,
    twins,
)

T0_MIN = int(T0.timestamp()) // 60


def test_from_chain() -> None:
    s = state()
    assert len(s) == 5 and s.contracts.to_list() == ["A", "B", "C", "D", "E"]
    assert s.official_oi.tolist() == [100, 0, 5, 40, 0]
    assert s.is_call.tolist() == [True, False, True, False, True]
    assert s.multiplier.tolist() == [100.0, 100.0, 10.0, 100.0, 100.0]
    assert s.group.tolist() == [0, 0, 0, 1, 1] and s.n_groups == 2
    assert s.group_labels == (date(2025, 3, 3), date(2025, 3, 21))
    assert s.last_timestamp is None and s.counts.trades_seen == 0
    assert s.minute_keys.shape == (0,) and s.minute_table.shape == (0, MT_COLS)
    no_exp = FlowState.from_chain(CHAIN.drop("expiration"))
    assert no_exp.n_groups == 1 and no_exp.group_labels is None


def test_start_validation() -> None:
    FlowState.start(["A", "B"], [1, 2], True, 100.0)  # scalars broadcast
    FlowState.start(["A"], np.array([3.0]), [False])  # whole floats are fine
    with pytest.raises(ValueError, match="official_oi"):
        FlowState.start(["A"], [1.5], [True])
    with pytest.raises(ValueError, match="official_oi"):
        FlowState.start(["A"], [-1], [True])
    with pytest.raises(ValueError, match="official_oi"):
        FlowState.start(["A"], [1, 2], [True])
    with pytest.raises(ValueError, match="is_call"):
        FlowState.start(["A"], [1], [True, False])
    for bad in (0.0, -100.0, float("nan"), 1e7):
        with pytest.raises(ValueError, match="multiplier"):
            FlowState.start(["A"], [1], [True], bad)
    with pytest.raises(ValueError, match="group"):
        FlowState.start(["A"], [1], [True], group=[-1])
    with pytest.raises(ValueError, match="dense"):
        FlowState.start(["A", "B"], [1, 1], [True, True], group=[0, 2])
    with pytest.raises(ValueError, match="labels"):
        FlowState.start(["A", "B"], [1, 1], [True, True], group=[0, 1], group_labels=["x"])
    with pytest.raises(ValueError, match="unique"):
        FlowState.start(["A", "A"], [1, 1], [True, True])
    with pytest.raises(ValueError, match="lacks"):
        FlowState.from_chain(CHAIN.drop("is_call"))
    with pytest.raises(ValueError, match="nulls"):
        FlowState.from_chain(CHAIN.with_columns(open_interest=pl.lit(None, pl.Int64)))
    with pytest.raises(ValueError, match="expiration has nulls"):
        FlowState.from_chain(CHAIN.with_columns(expiration=pl.lit(None, pl.Date)))


def test_start_reuses_an_index() -> None:
    s = state()
    again = FlowState.start(s.index, s.official_oi, s.is_call, s.multiplier)
    assert again.index is s.index


def test_feed_counts_and_leaves_the_old_state_alone() -> None:
    s0 = state()
    s1 = s0.feed(
        trades(
            [
                {"contract": "A", "price": 1.2, "size": 10},  # buy
                {"contract": "A", "price": 1.0, "size": 4},  # sell
                {"contract": "D", "price": 1.0, "size": 6, "timestamp": T0 + timedelta(minutes=2)},
                {"contract": "C", "price": 1.1, "size": 3},  # at mid
                {"contract": "C", "size": 2, "bid": None},  # no quote
                {"contract": "Z", "size": 50},  # unmatched
            ]
        )
    )
    assert s0.counts.trades_seen == 0 and not s0.per_contract[:, :7].any()
    assert s1.customer_buys.tolist() == [10, 0, 0, 0, 0]
    assert s1.customer_sells.tolist() == [4, 0, 0, 6, 0]
    assert s1.unclassified_volume.tolist() == [0, 0, 5, 0, 0]
    assert s1.customer_net.tolist() == [6, 0, 0, -6, 0]
    assert s1.prints.tolist() == [2, 0, 2, 1, 0]
    assert s1.largest_print.tolist() == [10, 0, 3, 6, 0]
    assert s1.last_timestamp == int((T0 + timedelta(minutes=2)).timestamp()) * 1_000_000
    # minute table: (minute, group) keys, A+C in group 0 at T0, D in group 1 two minutes on
    assert s1.minute_keys.tolist() == [T0_MIN * 2, (T0_MIN + 2) * 2 + 1]
    row = s1.minute_table[0]
    assert row[0] == 1.2 * 10 * 100 * 1e6  # buy call premium, micro-dollars
    assert row[2] == 1.0 * 4 * 100 * 1e6  # sell call
    assert row[4] == (1.1 * 3 + 1.1 * 2) * 10 * 1e6  # unclassified call, C's multiplier 10
    assert row[6:].tolist() == [10, 4, 5, 1, 1, 2]
    assert s1.minute_table[1, 3] == 1.0 * 6 * 100 * 1e6  # sell put (D)
    for a in (s1.per_contract, s1.code_counts, s1.minute_table, s1.official_oi):
        assert not a.flags.writeable
    assert s1.feed(trades([])) is s1


def test_a_tape_for_another_state_is_refused() -> None:
    tape = state().tape(trades([{}]))
    with pytest.raises(ValueError, match="another"):
        state(excluded=()).feed(tape)
    other = FlowState.start(["A"], [1], [True])
    with pytest.raises(ValueError, match="another"):
        other.feed(tape)
    assert state().feed(tape).counts.trades_seen == 1


def test_older_batches_are_accepted() -> None:
    late = trades([{"price": 1.2, "size": 2, "timestamp": T0 - timedelta(hours=3)}])
    now = trades([{"price": 1.2, "size": 5}])
    s = state().feed(now).feed(late)
    assert s.customer_buys[0] == 7
    assert s.last_timestamp == int(T0.timestamp()) * 1_000_000
    assert same_state(s, state().feed(late).feed(now))
    assert s.minute_keys.tolist() == [(T0_MIN - 180) * 2, T0_MIN * 2]


def test_missing_timestamps_do_not_move_the_clock() -> None:
    s = state().feed(trades([{"timestamp": None}, {"timestamp": None, "contract": "Z"}]))
    assert s.last_timestamp is None and s.counts.invalid == 1
    s = s.feed(trades([{"condition": "late"}]))  # any trade moves it, excluded ones too
    assert s.last_timestamp == int(T0.timestamp()) * 1_000_000


def test_far_apart_minutes_take_the_sparse_path() -> None:
    rows: list[dict[str, Any]] = [
        {"price": 1.2, "timestamp": T0 - timedelta(days=d), "contract": c}
        for d in (0, 300, 5000)
        for c in "AD"
    ]
    s = state().feed(trades(rows))
    days = [int((T0 - timedelta(days=d)).timestamp()) // 60 for d in (5000, 300, 0)]
    assert s.minute_keys.tolist() == [k for m in days for k in (2 * m, 2 * m + 1)]
    one_by_one = state()
    for r in rows:
        one_by_one = one_by_one.feed(trades([r]))
    assert same_state(s, one_by_one)


def test_empty_chain() -> None:
    s = FlowState.start([], [], [])
    s = s.feed(trades([{}, {"contract": None}, {"condition": "late"}]))
    assert s.counts.unmatched_contract == 2 and s.counts.excluded_condition == 1
    assert s.minute_keys.shape == (0,)


@settings(max_examples=80)
@given(rows=trade_rows(), data=st.data())
def test_any_split_equals_all_at_once(rows: list[dict[str, Any]], data: st.DataObject) -> None:
    frame = trades(rows)
    whole = state().feed(frame)
    split = feed_in_batches(state(), frame, cuts(len(rows), data))
    assert same_state(whole, split)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=data.draw(st.integers(0, 99)))
    assert same_state(whole, state().feed(shuffled))  # order does not matter either
    c = whole.counts
    assert c.trades_seen == len(rows)
    assert (
        c.customer_buys
        + c.customer_sells
        + c.unclassified
        + c.excluded_condition
        + c.unmatched_contract
        + c.invalid
        == len(rows)
    )
    assert (
        whole.customer_buys.sum() + whole.customer_sells.sum() + whole.unclassified_volume.sum()
        == whole.minute_table[:, 6:9].sum()
    )
    assert whole.prints.sum() == c.customer_buys + c.customer_sells + c.unclassified
    assert np.all(np.diff(whole.minute_keys) > 0)
    assert (whole.minute_table[:, 9:12].sum(axis=1) > 0).all()


@settings(max_examples=40)
@given(rows=trade_rows(), data=st.data())
def test_kernels_equal_twins(rows: list[dict[str, Any]], data: st.DataObject) -> None:
    frame = trades(rows)
    points = cuts(len(rows), data)
    with twins(False):
        k = feed_in_batches(state(), frame, points)
    with twins(True):
        t = feed_in_batches(state(), frame, points)
    assert same_state(k, t)


def test_minute_buckets_follow_timestamps() -> None:
    rows = [{"price": 1.2, "timestamp": T0 + timedelta(seconds=s)} for s in (0, 59, 60, 61, 3600)]
    s = state().feed(trades(rows))
    minutes = [
        int((T0 + timedelta(seconds=x)).timestamp() * 1_000_000) // US_PER_MINUTE
        for x in (0, 60, 3600)
    ]
    assert s.minute_keys.tolist() == [2 * m for m in minutes]
    assert s.minute_table[:, 9].tolist() == [2, 2, 1]
