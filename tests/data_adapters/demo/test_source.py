"""``DemoSource`` and ``create``: settings, symbols, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from data_adapters.base import Source, TradesSource
from data_adapters.demo import DemoSource, create
from data_adapters.errors import (
    DataSourceError,
    NoHistoryError,
    SourceConfigError,
    SymbolNotFoundError,
)
from data_adapters.settings import DEFAULT_RATE, Settings
from tests.data_adapters.demo.conftest import WEDNESDAY


def _settings(**overrides: object) -> Settings:
    return Settings("demo", overrides=overrides, environ={}, config={})


def test_create_reads_its_settings() -> None:
    src = create(_settings())
    assert (src.seed, src.universe, src.rate, src.market_size) == (
        0,
        "standard",
        DEFAULT_RATE,
        6000,
    )
    env = Settings(
        "demo",
        environ={"GEX_DEMO_SEED": "42", "GEX_DEMO_RATE": "0.05", "GEX_DEMO_UNIVERSE": "Market"},
        config={},
    )
    src = create(env)
    assert (src.seed, src.universe, src.rate) == (42, "market", 0.05)
    cfg = Settings(
        "demo", environ={}, config={"sources": {"demo": {"seed": 5, "market_size": 100}}}
    )
    assert (create(cfg).seed, create(cfg).market_size) == (5, 100)


@pytest.mark.parametrize(
    "overrides",
    [{"universe": "galaxy"}, {"seed": "abc"}, {"seed": 1.5}, {"rate": "nan"}, {"market_size": 0}],
)
def test_bad_settings_are_config_errors(overrides: dict[str, object]) -> None:
    with pytest.raises(SourceConfigError):
        create(_settings(**overrides))


def test_it_is_a_trades_source() -> None:
    src = DemoSource()
    assert isinstance(src, Source) and isinstance(src, TradesSource)
    assert src.name == "demo" and "DemoSource(seed=0" in repr(src)
    assert src.symbols()[0] == "SPX" and len(src.symbols()) == 14
    assert len(DemoSource(universe="market", market_size=50).symbols()) == 50


def test_rate_and_seed_flow_into_the_snapshot() -> None:
    snap = DemoSource(seed=2, rate=0.031).snapshot("MSFT", WEDNESDAY)
    assert snap.rate == 0.031 and snap.div_yield == 0.008


def test_unknown_symbols() -> None:
    with pytest.raises(SymbolNotFoundError, match="SPX"):
        DemoSource().snapshot("NOPE", WEDNESDAY)
    with pytest.raises(SymbolNotFoundError):
        DemoSource().snapshot(DemoSource(universe="market").symbols()[500], WEDNESDAY)
    with pytest.raises(SymbolNotFoundError):
        DemoSource(universe="market", market_size=5).snapshot("GOOGL", WEDNESDAY)
    with pytest.raises(SymbolNotFoundError):
        DemoSource().trades("NOPE", WEDNESDAY.date())


def test_instants() -> None:
    src = DemoSource()
    with pytest.raises(DataSourceError, match="timezone-aware"):
        src.snapshot("SPX", datetime(2024, 6, 12, 12))
    with pytest.raises(NoHistoryError):
        src.snapshot("SPX", datetime(1985, 6, 12, 12, tzinfo=UTC))
    now = src.snapshot("IWM")
    assert now.as_of.tzinfo is UTC and now.as_of.microsecond == 0
    assert abs(now.as_of - datetime.now(UTC)) < timedelta(minutes=5)
    past = src.snapshot("IWM", datetime(2001, 9, 10, 15, tzinfo=UTC))
    assert past.frame.height > 100 and past.as_of == datetime(2001, 9, 10, 15, tzinfo=UTC)
