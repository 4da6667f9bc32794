"""Bounded memory: the one TTL cache is bounded in bytes, analyses are stored compact (and
every view of a compact analysis is the view of the full one), and distinct ``min_oi``
values from one key cannot grow the server's caches past ``cache_max_bytes``.

Deterministic: bytes are counted with :func:`api.service.cache.estimate_size` (frames'
``estimated_size()``, arrays' ``nbytes``), never read from the process's RSS.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from api import views
from api.config import ServerSettings
from api.http.app import create_app, split_cache_budget
from api.service.analysis import AnalysisService, compact
from api.service.cache import TTLCache, estimate_size
from engine.analysis.single import analyze
from tests.api.conftest import KEY
from tests.api.live import FRIDAY, PinnedSource, ThreadServer

MIB = 1024**2


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_are_evicted_least_recently_used_first_to_stay_within_the_bytes() -> None:
    clock = Clock()
    cache = TTLCache(60.0, clock, max_entries=100, max_bytes=1000, sizeof=len)
    for key in "abcd":
        assert cache.put(key, b"x" * 300)
    assert cache.keys() == ["b", "c", "d"] and cache.nbytes == 900 and cache.evictions == 1
    assert cache.get("b") == (True, b"x" * 300)  # b is now the most recent
    cache.put("e", b"y" * 500)
    assert cache.keys() == ["b", "e"] and cache.nbytes == 800
    cache.put("b", b"z" * 100)  # replacing an entry replaces its bytes
    assert cache.nbytes == 600
    assert not cache.put("huge", b"h" * 1001)  # alone over the bound: not stored
    assert cache.keys() == ["e", "b"] and cache.nbytes == 600
    clock.now = 60.0
    assert cache.get("e") == (False, None) and cache.nbytes == 100  # expired entries leave
    cache.put("f", b"f")
    assert cache.keys() == ["f"] and cache.nbytes == 1
    assert not TTLCache(0.0, clock).put("k", b"v")


def test_sizes_count_frames_and_arrays_once() -> None:
    snapshot = PinnedSource().snapshot("SPX")
    full = analyze(snapshot)
    frames = (
        full.strikes.estimated_size()
        + full.priced.contracts.estimated_size()
        + full.priced.validated.used.estimated_size()
        + full.profile_levels.nbytes
        + full.profile_values.nbytes
    )
    assert estimate_size(full) >= frames
    assert estimate_size((full, full)) < estimate_size(full) + 1000  # shared: counted once
    small = compact(full)
    assert estimate_size(small) < estimate_size(full) / 10
    assert small.priced.contracts.columns == ["expiration", "strike"]
    assert small.priced.validated.used.height == small.priced.snapshot.frame.height == 0


def same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("symbol", ["SPX", "AAPL", "ES=F"])
def test_every_view_of_a_compact_analysis_is_the_view_of_the_full_one(symbol: str) -> None:
    snapshot = PinnedSource().snapshot(symbol)
    full, day_full = analyze(snapshot), analyze(snapshot, expiration=FRIDAY.date())
    small, day_small = compact(full), compact(day_full)
    for view in (
        views.summary_view, views.gex_view, views.dex_view, views.vex_view, views.chex_view,
        views.levels_view, views.narrative_view, views.profile_view, views.options_view,
        views.quote_view, views.scan_row, views.no_zero_dte_view,
    ):  # fmt: skip
        same(view(small), view(full))
    same(views.zero_dte_view(small, day_small, 0.03), views.zero_dte_view(full, day_full, 0.03))


def test_distinct_min_oi_values_stay_within_the_service_bound() -> None:
    bound = 4 * MIB
    service = AnalysisService(PinnedSource(), ttl=3600.0, clock=Clock(), max_bytes=bound)
    peak = 0
    for min_oi in range(60):
        service.analysis("SPX", min_oi=min_oi)
        peak = max(peak, service.cache.nbytes)
        assert service.cache.nbytes <= bound
    one = estimate_size(service.analysis("SPX", min_oi=59))
    assert service.cache.evictions > 0 and len(service.cache) < 60
    assert peak > bound - 2 * one  # the bound is used, not a tiny cache
    print(f"cache: {len(service.cache)} entries, {service.cache.nbytes} bytes, peak {peak}")


def test_the_servers_caches_together_stay_within_cache_max_bytes() -> None:
    total = 8 * MIB
    analyses, rendered = split_cache_budget(total)
    service = AnalysisService(PinnedSource(), source_name="demo", ttl=3600.0, max_bytes=analyses)
    settings = ServerSettings(api_keys=(KEY,), rate_limit=0, cache_max_bytes=total)
    app: Any = create_app(settings=settings, service=service, warm=False)
    memo = app.state.views
    assert memo.cache.max_bytes == rendered == 2 * MIB
    with (
        ThreadServer(app) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Api-Key": KEY}, timeout=60) as http,
    ):
        for min_oi in range(40):
            assert http.get("/v1/exposure/gex/SPX", params={"min_oi": min_oi}).status_code == 200
            held = service.cache.nbytes + memo.cache.nbytes
            assert held <= total
    assert service.cache.evictions > 0 and memo.cache.evictions > 0
    print(f"held {service.cache.nbytes} + {memo.cache.nbytes} bytes of {total}")


def test_the_default_bound_and_its_setting() -> None:
    settings = ServerSettings.load(environ={"GEX_CACHE_MAX_BYTES": "1GiB"}, config={})
    assert settings.cache_max_bytes == 1024**3
    assert ServerSettings.load(environ={}, config={}).cache_max_bytes == 512 * MIB
    app: Any = create_app(settings=ServerSettings(cache_max_bytes=100 * MIB), warm=False)
    assert app.state.service.cache.max_bytes == 75 * MIB
    assert app.state.views.cache.max_bytes == 25 * MIB
