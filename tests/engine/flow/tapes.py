"""Small chains and trade tapes for the OI simulator tests, by hand and from Hypothesis."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
import polars as pl
from hypothesis import strategies as st

from engine._jit import PURE_PYTHON_ENV
from engine.flow import FlowState
from engine.flow.conditions import CONDITIONS

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
NAN = float("nan")

# A five-contract chain: two expirations, calls and puts, one with multiplier 10.
CHAIN = pl.DataFrame(
    {
        "contract": ["A", "B", "C", "D", "E"],
        "expiration": [date(2025, 3, 3)] * 3 + [date(2025, 3, 21)] * 2,
        "is_call": [True, False, True, False, True],
        "open_interest": [100, 0, 5, 40, 0],
        "multiplier": [100.0, 100.0, 10.0, 100.0, 100.0],
    }
)
IDS = CHAIN["contract"].to_list()


def state(**kwargs: Any) -> FlowState:
    """A fresh state over :data:`CHAIN`."""
    return FlowState.from_chain(CHAIN, **kwargs)


def trades(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """A ``TRADES_SCHEMA`` frame from dicts; missing keys default to a regular print of
    contract A at 1.10 on a 1.00 × 1.20 quote at :data:`T0`."""
    base = {
        "contract": "A",
        "timestamp": T0,
        "price": 1.10,
        "size": 1,
        "condition": "regular",
        "bid": 1.00,
        "ask": 1.20,
    }
    full = [{**base, **r} for r in rows]
    return pl.DataFrame(
        full,
        schema={
            "contract": pl.String,
            "timestamp": pl.Datetime("us", "UTC"),
            "price": pl.Float64,
            "size": pl.Int64,
            "condition": pl.String,
            "bid": pl.Float64,
            "ask": pl.Float64,
        },
    )


@contextmanager
def twins(on: bool) -> Iterator[None]:
    """Run the block on the plain-Python twins (``on``) or on the kernels."""
    old = os.environ.get(PURE_PYTHON_ENV)
    os.environ[PURE_PYTHON_ENV] = "1" if on else "0"
    try:
        yield
    finally:
        if old is None:
            del os.environ[PURE_PYTHON_ENV]
        else:
            os.environ[PURE_PYTHON_ENV] = old


_PRICES = [0.05, 0.95, 1.00, 1.05, 1.10, 1.15, 1.20, 1.25, 2.00]
_ODD_PRICES = [NAN, 0.0, -1.0, float("inf")]
_QUOTES = [NAN, -0.05, 0.0, 0.95, 1.00, 1.05, 1.10, 1.20, 1.25]


@st.composite
def trade_rows(draw: st.DrawFn, max_size: int = 40) -> list[dict[str, Any]]:
    """Rows that reach every branch: quotes on one grid (locked, crossed, missing, negative),
    prices at and around them, odd sizes, conditions, ids and timestamps."""
    n = draw(st.integers(0, max_size))
    rows = []
    for _ in range(n):
        minute = draw(st.integers(0, 12))
        ts = T0 + timedelta(minutes=minute, seconds=draw(st.integers(0, 59)))
        if draw(st.integers(0, 30)) == 0:
            ts = T0 - timedelta(days=draw(st.integers(1, 400)))  # a stray old print
        rows.append(
            {
                "contract": draw(st.sampled_from([*IDS, *IDS, "Z", None])),
                "timestamp": None if draw(st.integers(0, 40)) == 0 else ts,
                "price": draw(st.sampled_from(_PRICES + _ODD_PRICES)),
                "size": draw(st.integers(1, 50) | st.sampled_from([0, -3, 5000])),
                "condition": draw(
                    st.sampled_from(["regular", "regular", "multi_leg", *CONDITIONS, None, "weird"])
                ),
                "bid": draw(st.sampled_from(_QUOTES)),
                "ask": draw(st.sampled_from(_QUOTES)),
            }
        )
    return rows


def cuts(n: int, data: st.DataObject) -> list[int]:
    """Sorted cut points that split ``range(n)`` into consecutive batches."""
    points = data.draw(st.lists(st.integers(0, n), max_size=6))
    return sorted({0, n, *points})


def feed_in_batches(start: FlowState, frame: pl.DataFrame, points: Sequence[int]) -> FlowState:
    s = start
    for a, b in pairwise(points):
        s = s.feed(frame.slice(a, b - a))
    return s


def same_state(a: FlowState, b: FlowState) -> bool:
    return (
        np.array_equal(a.per_contract, b.per_contract)
        and np.array_equal(a.code_counts, b.code_counts)
        and np.array_equal(a.minute_keys, b.minute_keys)
        and np.array_equal(a.minute_table, b.minute_table)
        and a.last_timestamp == b.last_timestamp
    )
