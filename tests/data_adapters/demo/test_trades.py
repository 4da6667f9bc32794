"""The synthetic intraday tape."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from data_adapters.base import TRADES_SCHEMA
from data_adapters.demo import DemoSource
from data_adapters.demo.trades import CONDITIONS

NY = ZoneInfo("America/New_York")
DAY = date(2024, 6, 12)


@pytest.fixture(scope="module")
def spx_tape(demo: DemoSource) -> pl.DataFrame:
    return demo.trades("SPX", DAY)


def test_schema_count_and_determinism(demo: DemoSource, spx_tape: pl.DataFrame) -> None:
    assert spx_tape.schema == pl.Schema(TRADES_SCHEMA)
    assert spx_tape.height == 6000
    assert spx_tape.equals(DemoSource(seed=11).trades("spx", DAY))
    assert not spx_tape.equals(DemoSource(seed=12).trades("SPX", DAY))


def test_times_lie_within_the_session(spx_tape: pl.DataFrame) -> None:
    stamps = spx_tape["timestamp"]
    assert stamps.is_sorted()
    open_, close = (datetime.combine(DAY, t, tzinfo=NY) for t in (time(9, 30), time(16)))
    assert stamps.min() > open_ and stamps.max() < close  # type: ignore[operator]
    minutes = stamps.dt.convert_time_zone("America/New_York").dt.hour()
    busy_open = (minutes == 9).sum()
    quiet_noon = (minutes == 12).sum()
    assert busy_open > quiet_noon  # U-shaped intensity


def test_prices_sit_inside_the_nbbo(spx_tape: pl.DataFrame) -> None:
    assert (spx_tape["bid"] <= spx_tape["price"]).all()
    assert (spx_tape["price"] <= spx_tape["ask"]).all()
    assert (spx_tape["price"] > 0).all() and (spx_tape["size"] >= 1).all()
    at_ask = (spx_tape["price"] == spx_tape["ask"]).mean()
    at_bid = (spx_tape["price"] == spx_tape["bid"]).mean()
    assert 0.2 < at_ask < 0.6 and 0.2 < at_bid < 0.6  # type: ignore[operator]
    assert set(spx_tape["condition"].unique()) == set(CONDITIONS)


def test_flow_concentrates_near_the_money_and_short_dated(
    demo: DemoSource, spx_tape: pl.DataFrame
) -> None:
    chain = demo.snapshot("SPX", datetime.combine(DAY, time(9, 31), tzinfo=NY)).frame
    traded = spx_tape.join(chain, on="contract", how="left")
    assert traded["expiration"].null_count() == 0  # every traded contract is listed
    zero_dte = (traded["expiration"] == DAY).mean()
    assert zero_dte > 0.3  # type: ignore[operator]
    spot = demo.snapshot("SPX", datetime.combine(DAY, time(12), tzinfo=NY)).spot
    near = ((traded["strike"] / spot - 1).abs() < 0.03).mean()
    assert near > 0.6  # type: ignore[operator]


def test_futures_and_synthetic_stocks_trade_too(demo: DemoSource) -> None:
    es = demo.trades("ES=F", DAY)
    assert es.height == 3000 and es["contract"].str.contains(" ").all()
    market = DemoSource(seed=11, universe="market")
    stock = market.symbols()[100]
    tape = market.trades(stock, DAY)
    assert tape.height == 150 and tape["contract"].str.starts_with(stock).all()


def test_no_session_no_trades_and_until(demo: DemoSource) -> None:
    assert demo.trades("SPX", date(2024, 6, 15)).height == 0  # Saturday
    assert demo.trades("SPX", date(2024, 6, 19)).schema == pl.Schema(TRADES_SCHEMA)  # Juneteenth
    until = datetime(2024, 6, 12, 15, 0, tzinfo=UTC)
    cut = demo.trades("SPX", DAY, until=until)
    assert 0 < cut.height < 6000 and cut["timestamp"].max() <= until  # type: ignore[operator]
