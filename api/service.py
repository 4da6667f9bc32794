"""The service layer: (symbol, source, options) -> Analysis, cached and coalesced.

The HTTP routes and the CLI are thin shells over :class:`AnalysisService`, so they always
agree. For each request it asks the configured source for a snapshot, runs
:func:`engine.analyze`, and caches the result for ``ttl`` seconds (15 by default) keyed by
symbol, source, preset and options. Concurrent requests for the same key share one
computation: in threads (``analysis``) through a per-key lock, on the event loop
(``analysis_async``) through one in-flight future per key, with the work itself run in a
worker thread so the loop never blocks (the kernels release the GIL).

Snapshots are cached under the same TTL, so the gex, levels and summary of one symbol
asked within the TTL come from one fetch. Failures are never cached. Expired entries are
swept whenever a new one is stored. ``warm_up`` compiles or loads every kernel before the
first request (the HTTP server's lifespan calls it).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import polars as pl

from data_adapters import Source, get_source
from engine.analysis import Analysis, analyze
from engine.chain import SCHEMA, ChainSnapshot

__all__ = ["DEFAULT_TTL", "AnalysisService", "normalize_symbol", "warm_up"]

DEFAULT_TTL = 15.0
T = TypeVar("T")


def normalize_symbol(symbol: str) -> str:
    """Symbols are case-insensitive on input and upper-case on output (``es=f`` -> ``ES=F``)."""
    return symbol.strip().upper()


@dataclass
class _KeyLock:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


@dataclass
class _Entry:
    expires: float
    value: Any


class _TTLCache:
    """A small LRU cache whose entries expire ``ttl`` seconds after they were stored."""

    def __init__(self, ttl: float, clock: Callable[[], float], max_entries: int = 256) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            entry = self._data.get(key)
            if entry is None or entry.expires <= self.clock():
                self._data.pop(key, None)
                return False, None
            self._data.move_to_end(key)
            return True, entry.value

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value``; expired entries are swept first, so none outlives its TTL long."""
        if self.ttl <= 0:
            return
        with self._lock:
            now = self.clock()
            for stale in [k for k, e in self._data.items() if e.expires <= now]:
                del self._data[stale]
            self._data[key] = _Entry(now + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)


class AnalysisService:
    """Snapshots and analyses of one source, cached for ``ttl`` seconds and coalesced."""

    def __init__(
        self,
        source: Source,
        *,
        source_name: str | None = None,
        preset: str = "native",
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.source_name = source_name or getattr(source, "name", type(source).__name__)
        self.preset = preset
        self.ttl = ttl
        self._cache = _TTLCache(ttl, clock)
        self._locks: dict[Hashable, _KeyLock] = {}
        self._locks_guard = threading.Lock()
        self._inflight: dict[Hashable, asyncio.Future[Any]] = {}
        self.computations = 0  # analyses actually computed (not served from cache)

    @classmethod
    def from_source_name(cls, name: str, *, ttl: float = DEFAULT_TTL, preset: str = "native",
                         **settings: Any) -> AnalysisService:  # fmt: skip
        """Build the source with :func:`data_adapters.get_source` and wrap it."""
        return cls(get_source(name, **settings), source_name=name, ttl=ttl, preset=preset)

    # -- keys -------------------------------------------------------------------------
    def _key(
        self, kind: str, symbol: str, preset: str | None, options: Mapping[str, Any]
    ) -> Hashable:
        frozen = tuple(sorted((k, repr(v)) for k, v in options.items() if v is not None))
        return (kind, self.source_name, normalize_symbol(symbol), preset or self.preset, frozen)

    @contextmanager
    def _key_lock(self, key: Hashable) -> Iterator[None]:
        """One lock per key while anyone holds or waits for it (then dropped: no growth)."""
        with self._locks_guard:
            entry = self._locks.setdefault(key, _KeyLock())
            entry.users += 1
        try:
            with entry.lock:
                yield
        finally:
            with self._locks_guard:
                entry.users -= 1
                if entry.users == 0:
                    del self._locks[key]

    def _cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        hit, value = self._cache.get(key)
        if hit:
            return value  # type: ignore[no-any-return]
        with self._key_lock(key):
            hit, value = self._cache.get(key)
            if hit:
                return value  # type: ignore[no-any-return]
            value = compute()
            self._cache.put(key, value)
            return value

    # -- synchronous API (CLI, worker threads) ------------------------------------------
    def symbols(self) -> list[str]:
        return self._cached(("symbols", self.source_name), self.source.symbols)

    def snapshot(self, symbol: str) -> ChainSnapshot:
        """The source's current snapshot of ``symbol`` (cached for the TTL)."""
        sym = normalize_symbol(symbol)
        return self._cached(self._key("snapshot", sym, "", {}), lambda: self.source.snapshot(sym))

    def analysis(self, symbol: str, preset: str | None = None, **options: Any) -> Analysis:
        """``engine.analyze`` of the current snapshot under ``preset`` with ``options``."""
        key = self._key("analysis", symbol, preset, options)

        def compute() -> Analysis:
            self.computations += 1
            clean = {k: v for k, v in options.items() if v is not None}
            return analyze(self.snapshot(symbol), preset or self.preset, **clean)

        return self._cached(key, compute)

    # -- asynchronous API (the HTTP server) ----------------------------------------------
    async def _coalesced(self, key: Hashable, work: Callable[[], T]) -> T:
        hit, value = self._cache.get(key)
        if hit:
            return value  # type: ignore[no-any-return]
        pending = self._inflight.get(key)
        if pending is None:
            loop = asyncio.get_running_loop()
            pending = loop.run_in_executor(None, work)
            self._inflight[key] = pending

            def finished(future: asyncio.Future[Any]) -> None:
                self._inflight.pop(key, None)
                if not future.cancelled():
                    future.exception()  # retrieved here: every waiter may have gone

            pending.add_done_callback(finished)
        return await asyncio.shield(pending)  # type: ignore[no-any-return]

    async def analysis_async(
        self, symbol: str, preset: str | None = None, **options: Any
    ) -> Analysis:
        key = self._key("analysis", symbol, preset, options)
        return await self._coalesced(key, lambda: self.analysis(symbol, preset, **options))

    async def snapshot_async(self, symbol: str) -> ChainSnapshot:
        key = self._key("snapshot", symbol, "", {})
        return await self._coalesced(key, lambda: self.snapshot(symbol))

    async def symbols_async(self) -> list[str]:
        return await self._coalesced(("symbols", self.source_name), self.symbols)

    def symbols_listing(self) -> tuple[list[str], datetime]:
        """The source's symbols and when they were fetched (UTC), cached for the TTL."""

        def fetch() -> tuple[list[str], datetime]:
            return list(self.source.symbols()), datetime.now(UTC)

        return self._cached(("symbols_listing", self.source_name), fetch)

    async def symbols_listing_async(self) -> tuple[list[str], datetime]:
        key = ("symbols_listing", self.source_name)
        return await self._coalesced(key, self.symbols_listing)

    def warm_up(self) -> None:
        """Compile or load every kernel the analyses of this service run (see :func:`warm_up`)."""
        warm_up(self.preset)


def _warm_snapshot() -> ChainSnapshot:
    """A ten-contract chain with a same-day and a later expiry, some IVs left to solve."""
    as_of = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)  # a Monday, 11:00 New York
    rows: dict[str, list[Any]] = {name: [] for name in SCHEMA}
    for expiration, iv in ((date(2025, 6, 2), 0.25), (date(2025, 7, 18), float("nan"))):
        for strike in (90.0, 95.0, 100.0, 105.0, 110.0):
            for is_call in (True, False):
                intrinsic = max(0.0, (100.0 - strike) if is_call else (strike - 100.0))
                rows["contract"].append(f"WARM{expiration:%y%m%d}{'CP'[not is_call]}{strike:g}")
                rows["root"].append("WARM")
                rows["expiration"].append(expiration)
                rows["settlement"].append(
                    datetime.combine(expiration, datetime.min.time(), UTC).replace(hour=20)
                )
                rows["strike"].append(strike)
                rows["is_call"].append(is_call)
                rows["style"].append("european")
                rows["model"].append("bsm")
                rows["multiplier"].append(100.0)
                rows["underlying_price"].append(100.0)
                rows["open_interest"].append(100 + int(strike))
                rows["volume"].append(10)
                rows["bid"].append(intrinsic + 1.0)
                rows["ask"].append(intrinsic + 1.2)
                rows["last"].append(float("nan"))
                rows["iv"].append(iv)
                rows["vendor_delta"].append(float("nan"))
                rows["vendor_gamma"].append(0.02)
    frame = pl.DataFrame(rows, schema=dict(SCHEMA))
    return ChainSnapshot("WARM", as_of, 100.0, "warm-up", frame, rate=0.04)


def warm_up(preset: str = "native") -> None:
    """Compile or load from the cache every kernel a request can run, before the first one.

    Runs :func:`engine.warmup.compile_all`, then one whole analysis of a tiny built-in chain
    under ``preset`` (pricing, IV, profile and flip search, hedging, 0DTE), so no request pays
    for compilation or for loading machine code.
    """
    from engine.warmup import compile_all

    compile_all()
    analyze(_warm_snapshot(), preset)
