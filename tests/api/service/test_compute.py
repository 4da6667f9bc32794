"""Bounded time: a provider that never answers exhausts only the service's own pool, every
request ends by its deadline with 504 ``upstream_timeout``, and ``/health`` says Degraded
(HTTP 200, parsed by the vendor SDK) until the provider recovers.

The stalled provider waits on an event that the test sets at the end, so no thread
outlives the module; deadlines are short (0.5 s) and the assertions are about outcomes,
with generous bounds on elapsed time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest
from flashalpha import FlashAlpha

from api.config import ServerSettings
from api.http.app import create_app
from api.service.analysis import AnalysisService
from api.service.compute import ComputePool, DeadlineExceededError, deadline_in
from api.service.errors import error_for
from data_adapters import DataSourceError
from data_adapters.errors import UpstreamInvalidError, UpstreamTimeoutError
from engine.chain import ChainSnapshot
from tests.api.conftest import KEY
from tests.api.live import PinnedSource, ThreadServer

DEADLINE = 0.5
STALLED = [f"STALL{i}" for i in range(10)]  # more than the old default executor's threads


class StallingSource(PinnedSource):
    """Snapshots of ``STALL*`` symbols wait until ``release`` is set (a hung provider)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        if symbol.startswith("STALL"):
            self.release.wait(timeout=120)
            return super().snapshot("SPY", as_of)
        return super().snapshot(symbol, as_of)


@pytest.fixture
def stalled() -> Iterator[tuple[ThreadServer, StallingSource, AnalysisService]]:
    source = StallingSource()
    service = AnalysisService(source, source_name="demo", ttl=3600.0, deadline=DEADLINE)
    settings = ServerSettings(api_keys=(KEY,), rate_limit=0, request_timeout=DEADLINE)
    try:
        with ThreadServer(create_app(settings=settings, service=service, warm=False)) as server:
            yield server, source, service
    finally:
        source.release.set()
        service.close()


def get(server: ThreadServer, path: str) -> tuple[httpx.Response, float]:
    with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": KEY}, timeout=20) as http:
        started = time.monotonic()
        response = http.get(path)
        return response, time.monotonic() - started


def test_a_hung_provider_answers_504_and_health_says_degraded(
    stalled: tuple[ThreadServer, StallingSource, AnalysisService],
) -> None:
    server, source, service = stalled
    with ThreadPoolExecutor(len(STALLED)) as pool:
        answers = list(pool.map(lambda s: get(server, f"/v1/exposure/summary/{s}"), STALLED))
    for response, elapsed in answers:
        assert response.status_code == 504
        assert response.json()["error"] == "upstream_timeout"
        assert set(response.json()) == {"error", "message"}
        assert elapsed < DEADLINE + 10
    # the pool's threads are all stuck in the provider: a new symbol cannot be computed,
    # and says so in time instead of hanging
    fresh, elapsed = get(server, "/v1/exposure/summary/AAPL")
    assert fresh.status_code == 504 and elapsed < DEADLINE + 10
    health, _ = get(server, "/health")
    assert health.status_code == 200
    report = health.json()
    assert report["status"] == "Degraded" and "compute_stuck" in report["reasons"]
    assert report["compute"]["busy"] == report["compute"]["workers"] == 8
    assert report["compute"]["timeouts"] >= len(STALLED) + 1
    sdk = FlashAlpha(KEY, base_url=server.base_url, timeout=20)
    try:
        assert sdk.health()["status"] == "Degraded"
    finally:
        sdk._session.close()
    # the provider recovers: the stuck work finishes, the pool drains, service resumes
    source.release.set()
    deadline = time.monotonic() + 60
    while service.health()["status"] != "Healthy" and time.monotonic() < deadline:
        time.sleep(0.02)
    recovered, _ = get(server, "/v1/exposure/summary/AAPL")
    assert recovered.status_code == 200
    health, _ = get(server, "/health")
    assert health.json() == {"status": "Healthy"}


def test_a_scan_lists_the_symbols_past_the_deadline(
    stalled: tuple[ThreadServer, StallingSource, AnalysisService],
) -> None:
    server, _, _ = stalled
    response, elapsed = get(server, "/v1/scan?symbols=SPX,STALL0")
    assert response.status_code == 200 and elapsed < DEADLINE + 10
    body = response.json()
    assert [row["symbol"] for row in body["rows"]] == ["SPX"]
    assert [e["error"] for e in body["errors"]] == ["upstream_timeout"]


def test_the_request_timeout_setting_bounds_each_request() -> None:
    source = StallingSource()
    service = AnalysisService(source, source_name="demo", ttl=60.0)  # its own deadline: 30 s
    settings = ServerSettings(api_keys=(KEY,), rate_limit=0, request_timeout=0.3)
    try:
        with ThreadServer(create_app(settings=settings, service=service, warm=False)) as server:
            response, elapsed = get(server, "/v1/exposure/levels/STALL9")
        assert response.status_code == 504 and elapsed < 10
        assert response.json()["error"] == "upstream_timeout"
    finally:
        source.release.set()
        service.close()


def test_waiting_work_is_cancelled_when_nobody_waits_for_it() -> None:
    source = StallingSource()
    service = AnalysisService(source, ttl=60.0, workers=1, deadline=0.2)
    try:

        async def scenario() -> list[object]:
            calls = [service.analysis_async(s) for s in ("STALL0", "AAPL", "QQQ")]
            return await asyncio.gather(*calls, return_exceptions=True)

        results = asyncio.run(scenario())
        assert all(isinstance(r, DeadlineExceededError) for r in results)
        stats = service._pool.stats()
        assert (stats.busy, stats.queued) == (1, 0)  # AAPL and QQQ never started
        assert source.snapshots == 0
    finally:
        source.release.set()
        service.close()


def test_the_request_deadline_is_shared_by_every_wait_of_the_request() -> None:
    source = StallingSource()
    service = AnalysisService(source, ttl=60.0, deadline=30.0)
    try:

        async def scenario() -> float:
            started = time.monotonic()
            with deadline_in(0.2):
                with pytest.raises(DeadlineExceededError):
                    await service.analysis_async("STALL1")
                with pytest.raises(DeadlineExceededError):  # already past: no new work
                    await service.analysis_async("AAPL")
            return time.monotonic() - started

        assert asyncio.run(scenario()) < 10
        assert source.snapshots == 0
    finally:
        source.release.set()
        service.close()


def test_the_pool_runs_at_most_its_workers_and_reports_them() -> None:
    pool = ComputePool(2)
    gate = threading.Event()
    try:
        futures = [pool.submit(lambda: gate.wait(30)) for _ in range(3)]
        deadline = time.monotonic() + 30
        while pool.stats().busy < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        stats = pool.stats()
        assert (stats.workers, stats.busy, stats.queued) == (2, 2, 1)
        assert futures[2].cancel()  # still waiting: cancellable
        assert pool.stats().queued == 0
        gate.set()
        assert [f.result(timeout=30) for f in futures[:2]] == [True, True]
        error = pool.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            error.result(timeout=30)
    finally:
        gate.set()
        pool.close()
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)


def test_provider_deadline_errors_map_by_type() -> None:
    timeout = error_for(UpstreamTimeoutError("polygon", "total deadline 30 s"), "SPX")
    invalid = error_for(UpstreamInvalidError("cboe", "body over 50 MB"), "SPX")
    other = error_for(DataSourceError("cboe", "HTTP 503"), "SPX")
    assert timeout is not None and (timeout.status, timeout.code) == (504, "upstream_timeout")
    assert invalid is not None and (invalid.status, invalid.code) == (502, "upstream_invalid")
    assert other is not None and (other.status, other.code) == (502, "upstream_unavailable")
    mapped = error_for(DeadlineExceededError("SPX: past the deadline"), "SPX")
    assert mapped is not None and (mapped.status, mapped.code) == (504, "upstream_timeout")
