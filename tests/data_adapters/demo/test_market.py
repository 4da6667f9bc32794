"""The market-scale universe."""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from data_adapters.demo import DemoSource
from data_adapters.demo.market import DEFAULT_SIZE, MarketFrame, market, market_symbols
from data_adapters.demo.universe import STANDARD
from engine.chain import SCHEMA, validate
from engine.settlement import ROOT_RULES, with_settlement
from tests.data_adapters.demo.conftest import WEDNESDAY


def test_size_of_the_market(market_frame: MarketFrame) -> None:
    assert len(market_frame) == DEFAULT_SIZE == 6000
    assert 1_300_000 < market_frame.frame.height < 1_700_000
    assert market_frame.frame.schema == pl.Schema(dict(SCHEMA))
    offsets = market_frame.offsets
    assert offsets[0] == 0 and offsets[-1] == market_frame.frame.height
    assert (np.diff(offsets) > 0).all()


def test_symbols_are_unique_and_safe() -> None:
    symbols = market_symbols()
    assert symbols[: len(STANDARD)] == list(STANDARD)
    assert len(set(symbols)) == len(symbols) == 6000
    assert not set(symbols[len(STANDARD) :]) & set(ROOT_RULES)
    assert all(s.isalpha() and s.isupper() and 3 <= len(s) <= 4 for s in symbols[len(STANDARD) :])
    assert market_symbols(20)[:14] == list(STANDARD) and len(market_symbols(20)) == 20


def test_each_slice_is_one_underlying(market_frame: MarketFrame) -> None:
    for i in (0, 13, 14, 700, 5999):
        snap = market_frame.snapshot(i)
        assert snap.underlying == market_frame.symbols[i]
        if i >= len(STANDARD):
            assert set(snap.frame["root"].unique()) == {snap.underlying}
        checked = validate(snap)
        assert checked.excluded.get("crossed_quote", 0) >= 1
        assert checked.contracts_used > 10


def test_settlement_matches_the_engine(market_frame: MarketFrame) -> None:
    sample = market_frame.frame.slice(market_frame.offsets[14], 50_000)
    recomputed = with_settlement(sample.with_columns(pl.lit(None).alias("settlement")))
    assert recomputed["settlement"].equals(sample["settlement"])


def test_one_stock_alone_equals_its_market_rows(market_frame: MarketFrame) -> None:
    source = DemoSource(seed=0, universe="market")
    for symbol in (market_frame.symbols[15], market_frame.symbols[3000], "SPY"):
        alone = source.snapshot(symbol, WEDNESDAY)
        inside = market_frame.snapshot(symbol)
        assert alone.frame.equals(inside.frame)
        assert (alone.spot, alone.div_yield) == (inside.spot, inside.div_yield)


def test_liquidity_is_skewed(market_frame: MarketFrame) -> None:
    heights = np.diff(market_frame.offsets)[len(STANDARD) :]
    assert heights[:60].mean() > 2 * heights[1000:].mean()
    oi = (
        market_frame.frame.slice(market_frame.offsets[14])
        .group_by("root")
        .agg(pl.col("open_interest").sum())
    )
    assert oi["open_interest"].max() > 50 * oi["open_interest"].median()


def test_a_small_market_is_fast_and_consistent() -> None:
    start = time.perf_counter()
    small = market(0, WEDNESDAY, 0.04, size=100)
    assert time.perf_counter() - start < 30
    assert len(small) == 100 and len(list(small.snapshots())) == 100
    assert small.snapshot("SPX").frame.equals(DemoSource(seed=0).snapshot("SPX", WEDNESDAY).frame)
