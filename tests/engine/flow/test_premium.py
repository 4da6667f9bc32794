"""Premium by side over trailing windows, against a direct polars computation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ConfigurationError
from engine.flow import CODE_NAMES, MAX_WINDOW_MINUTES, classify, dealer_premium
from engine.flow.premium import to_micros
from tests.engine.flow.tapes import CHAIN, T0, state, trade_rows, trades

M = timedelta(minutes=1)


def _state_with(rows: list[dict[str, Any]]) -> Any:
    return state().feed(trades(rows))


def test_known_window() -> None:
    s = _state_with(
        [
            {"contract": "A", "price": 1.2, "size": 10},  # buy call 1200
            {"contract": "B", "price": 1.0, "size": 3},  # sell put 300
            {"contract": "C", "price": 1.1, "size": 2},  # at mid, multiplier 10: 22
            {"contract": "D", "price": 1.2, "size": 1, "timestamp": T0 + 2 * M},  # buy put 120
            {"contract": "A", "price": 1.0, "size": 5, "timestamp": T0 - 5 * M},  # sell call 500
            {"contract": "A", "price": 1.2, "size": 99, "condition": "late"},  # excluded
        ]
    )
    p = dealer_premium(s, T0 + 2 * M + timedelta(seconds=30), 3)
    assert p.window_minutes == 3
    assert p.window_start == to_micros(T0) and p.window_end == to_micros(T0 + 3 * M)
    assert p.customer_buy_premium == 1320.0 and p.dealer_write_premium == 1320.0
    assert p.customer_sell_premium == 300.0 and p.dealer_buy_premium == 300.0
    assert p.net_dealer_premium == -1020.0 and p.net_customer_premium == 1020.0
    assert p.total_premium == 1620.0
    assert (p.customer_buy_call_premium, p.customer_buy_put_premium) == (1200.0, 120.0)
    assert (p.customer_sell_call_premium, p.customer_sell_put_premium) == (0.0, 300.0)
    assert p.unclassified_premium == 22.0
    assert (p.customer_buy_volume, p.customer_sell_volume, p.unclassified_volume) == (11, 3, 2)
    assert (p.trade_count, p.classified_count, p.bucket_count) == (4, 3, 2)
    wide = dealer_premium(s, T0 + 2 * M, 10)
    assert wide.customer_sell_call_premium == 500.0 and wide.bucket_count == 3
    assert (
        dealer_premium(s, T0 + 2 * M - timedelta(microseconds=1), 2).customer_buy_put_premium == 0.0
    )
    front = dealer_premium(s, T0 + 2 * M, 3, groups=[0])
    assert front.customer_buy_premium == 1200.0 and front.bucket_count == 1
    assert dealer_premium(s, T0 + 2 * M, 3, groups=[]).trade_count == 0
    assert dealer_premium(s, to_micros(T0) + 59_999_999, 1).trade_count == 3


def test_empty_state_and_empty_window() -> None:
    p = dealer_premium(state(), T0, 60)
    assert p.total_premium == 0.0 and p.trade_count == 0 and p.bucket_count == 0
    s = _state_with([{"price": 1.2}])
    assert dealer_premium(s, T0 - M, 1).trade_count == 0
    assert dealer_premium(s, T0 + M, 1).trade_count == 0


def test_validation() -> None:
    s = state()
    for bad in (0, -1, MAX_WINDOW_MINUTES + 1, 1.5, True, "5"):
        with pytest.raises(ConfigurationError):
            dealer_premium(s, T0, bad)  # type: ignore[arg-type]
    assert dealer_premium(s, T0, MAX_WINDOW_MINUTES).window_minutes == MAX_WINDOW_MINUTES
    with pytest.raises(ValueError, match="timezone"):
        dealer_premium(s, datetime(2025, 3, 3), 5)
    with pytest.raises(ValueError, match="datetime or int"):
        dealer_premium(s, 1.5, 5)  # type: ignore[arg-type]
    assert to_micros(np.int64(7)) == 7


def _direct(
    frame: pl.DataFrame, end_us: int, window: int, groups: list[int] | None
) -> dict[str, float]:
    """The premium sums straight from the trades, with polars."""
    s = state()
    side = np.asarray(CODE_NAMES)[classify(s, frame)]
    chain = CHAIN.with_columns(group=pl.Series(s.group))
    last = end_us // 60_000_000
    t = (
        frame.with_columns(side=pl.Series(side))
        .join(
            chain.select("contract", "is_call", "multiplier", "group"), on="contract", how="inner"
        )
        .filter(pl.col("side").is_in(["buy", "sell", "at_mid", "no_quote"]))
        .with_columns(
            minute=pl.col("timestamp").dt.epoch("us") // 60_000_000,
            premium=pl.col("price") * pl.col("size") * pl.col("multiplier"),
        )
        .filter(pl.col("minute").is_between(last - window + 1, last))
    )
    if groups is not None:
        t = t.filter(pl.col("group").is_in(groups))

    def total(side: str, call: bool | None = None) -> float:
        sel = t.filter(pl.col("side") == side)
        if call is not None:
            sel = sel.filter(pl.col("is_call") == call)
        return float(sel["premium"].sum())

    return {
        "customer_buy_call_premium": total("buy", True),
        "customer_buy_put_premium": total("buy", False),
        "customer_sell_call_premium": total("sell", True),
        "customer_sell_put_premium": total("sell", False),
        "customer_buy_premium": total("buy"),
        "customer_sell_premium": total("sell"),
        "unclassified_premium": total("at_mid") + total("no_quote"),
        "net_dealer_premium": total("sell") - total("buy"),
        "total_premium": total("sell") + total("buy"),
        "customer_buy_volume": float(t.filter(pl.col("side") == "buy")["size"].sum()),
        "trade_count": float(t.height),
        "classified_count": float(t.filter(pl.col("side").is_in(["buy", "sell"])).height),
        "bucket_count": float(t["minute"].n_unique()),
    }


@settings(max_examples=60)
@given(
    rows=trade_rows(),
    data=st.data(),
    window=st.integers(1, 20),
    end_offset=st.integers(-3, 15),
    groups=st.none() | st.lists(st.integers(0, 1), max_size=2),
)
def test_against_polars(
    rows: list[dict[str, Any]],
    data: st.DataObject,
    window: int,
    end_offset: int,
    groups: list[int] | None,
) -> None:
    frame = trades(rows)
    s = state().feed(frame)
    end = T0 + end_offset * M + timedelta(seconds=data.draw(st.integers(0, 59)))
    got = dealer_premium(s, end, window, groups=groups)
    want = _direct(frame, to_micros(end), window, groups)
    for name, value in want.items():
        assert getattr(got, name) == pytest.approx(value, rel=1e-12, abs=1e-6), name
    assert got.dealer_buy_premium == got.customer_sell_premium
    assert got.dealer_write_premium == got.customer_buy_premium
    assert got.net_customer_premium == -got.net_dealer_premium
