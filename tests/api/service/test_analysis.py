"""The service layer: TTL on an injected clock, keys by options, coalescing, errors."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import pytest

from api.service.analysis import AnalysisService
from data_adapters import SymbolNotFoundError
from data_adapters.errors import InvalidSymbolError
from engine.chain import ChainSnapshot
from engine.errors import ConfigurationError
from tests.api.live import FRIDAY, PinnedSource


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class GatedSource(PinnedSource):
    """Snapshots wait for ``gate`` (a threading.Event) before they are taken."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        if not self.gate.wait(timeout=60):
            raise RuntimeError("the gate was never opened")
        return super().snapshot(symbol, as_of)


def test_symbols_are_checked_before_the_source_is_asked() -> None:
    source = PinnedSource()
    service = AnalysisService(source, ttl=60.0, clock=Clock())
    assert service.snapshot(" es=f ").underlying == "ES=F"
    for bad in ("..", "SPY?x=1", "SPY#frag", "SPY\r\nX-Evil: 1", "É" * 32, "", "X" * 25):
        with pytest.raises(InvalidSymbolError):
            service.analysis(bad)
        with pytest.raises(InvalidSymbolError):
            asyncio.run(service.analysis_async(bad))
    assert source.snapshots == 1


def test_results_live_for_the_ttl_on_the_injected_clock() -> None:
    clock = Clock()
    source = PinnedSource()
    service = AnalysisService(source, ttl=15.0, clock=clock)
    first = service.analysis("AAPL")
    clock.now += 14.9
    assert service.analysis("aapl") is first
    assert (service.computations, source.snapshots) == (1, 1)
    clock.now += 0.1  # exactly ttl after the store: expired
    second = service.analysis("AAPL")
    assert second is not first
    assert (service.computations, source.snapshots) == (2, 2)


def test_keys_are_symbol_preset_and_options() -> None:
    source = PinnedSource()
    service = AnalysisService(source, ttl=60.0, clock=Clock())
    whole = service.analysis("AAPL")
    assert service.analysis("AAPL", min_oi=None) is whole  # None means "not given"
    filtered = service.analysis("AAPL", min_oi=100)
    assert filtered is not whole and service.analysis("AAPL", min_oi=100) is filtered
    other_preset = service.analysis("AAPL", preset="perfiliev")
    assert other_preset.preset == "perfiliev" and other_preset is not whole
    day = whole.expirations[0]
    assert service.analysis("AAPL", expiration=day).expirations == (day,)
    assert service.computations == 4
    assert source.snapshots == 1  # every analysis of one symbol shares the snapshot


def test_a_zero_ttl_caches_nothing() -> None:
    source = PinnedSource()
    service = AnalysisService(source, ttl=0.0)
    assert service.analysis("AAPL") is not service.analysis("AAPL")
    assert (service.computations, source.snapshots) == (2, 2)


def test_concurrent_requests_share_one_computation() -> None:
    source = GatedSource()
    service = AnalysisService(source, ttl=0.0)  # only coalescing can share the work

    async def scenario() -> list[object]:
        tasks = [asyncio.create_task(service.analysis_async("aapl")) for _ in range(8)]
        await asyncio.sleep(0)  # every task reaches its wait on the one computation
        source.gate.set()
        return await asyncio.gather(*tasks)

    results = asyncio.run(scenario())
    assert all(r is results[0] for r in results)
    assert (service.computations, source.snapshots) == (1, 1)
    asyncio.run(service.analysis_async("AAPL"))  # a later request computes again
    assert service.computations == 2


def test_concurrent_threads_share_one_computation() -> None:
    source = GatedSource()
    service = AnalysisService(source, ttl=60.0, clock=Clock())
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(service.analysis("AAPL"))) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    source.gate.set()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 6 and all(r is results[0] for r in results)
    assert service.computations == 1


def test_errors_reach_every_waiter_and_are_not_cached() -> None:
    source = PinnedSource()
    service = AnalysisService(source, ttl=60.0, clock=Clock())

    async def scenario() -> list[object]:
        calls = [service.analysis_async("NOPE") for _ in range(3)]
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(scenario())
    assert all(isinstance(r, SymbolNotFoundError) for r in results)
    assert source.snapshots == 1
    with pytest.raises(SymbolNotFoundError):
        service.analysis("NOPE")
    assert source.snapshots == 2
    with pytest.raises(ConfigurationError, match="min_oi"):
        service.analysis("AAPL", min_oi=-5)


def test_snapshot_and_symbols() -> None:
    source = PinnedSource()
    service = AnalysisService(source, ttl=60.0, clock=Clock())
    snapshot = asyncio.run(service.snapshot_async("spy"))
    assert snapshot.underlying == "SPY" and snapshot.as_of == FRIDAY
    assert "ES=F" in asyncio.run(service.symbols_async())
    listing, fetched = service.symbols_listing()
    assert listing == source.symbols() and fetched.tzinfo == UTC
    assert asyncio.run(service.symbols_listing_async()) == (listing, fetched)


def test_from_source_name_and_warm_up() -> None:
    service = AnalysisService.from_source_name("demo", ttl=5.0, preset="perfiliev", seed=3)
    assert (service.source_name, service.ttl, service.preset) == ("demo", 5.0, "perfiliev")
    assert service.source.seed == 3  # type: ignore[attr-defined]
    service.warm_up()


def test_per_key_locks_do_not_accumulate() -> None:
    service = AnalysisService(PinnedSource(), ttl=0.0)
    for min_oi in range(5):
        service.analysis("AAPL", min_oi=min_oi)
    assert service._locks == {}
