"""The service layer: (symbol, source, options) -> Analysis, cached and coalesced.

The HTTP routes and the CLI are thin shells over :class:`AnalysisService`, so they always
agree. For each request it asks the configured source for a snapshot, runs
:func:`engine.analyze`, and caches the result for ``ttl`` seconds (15 by default) keyed by
symbol, source, preset and options. Every symbol is checked against the one grammar
(:func:`data_adapters.symbols.check_symbol`) before any provider is asked: anything else
is an :class:`~data_adapters.errors.InvalidSymbolError`.

Concurrent requests for the same key share one computation: in threads (``analysis``)
through a per-key lock, on the event loop (``analysis_async``) through one in-flight
future per key. On the event loop the work runs on the service's own bounded
:class:`~api.service.compute.ComputePool` (``workers`` threads), never on asyncio's default
executor, and each wait is bounded by the request's deadline (``deadline`` seconds from
its arrival, :mod:`api.service.compute`): past it the request gets
:class:`~api.service.compute.DeadlineExceededError` (HTTP 504) while the work, once started, runs
on; work that nobody waits for any more and has not started is cancelled.
:meth:`AnalysisService.health` reports the pool honestly: ``Degraded`` while work is
queued behind busy threads or an item has run past the deadline.

The cache (:class:`api.service.cache.TTLCache`) is bounded in entries and in bytes
(``max_bytes``). Analyses are returned and cached compact (:func:`compact`): every frame of
the input chain they carry (the snapshot's rows, the validated, quarantined and set-aside
rows) is emptied and the priced contracts keep the columns of
:data:`CACHED_CONTRACT_COLUMNS` only — about 0.35 MB instead of 11.5 MB for the demo SPX;
every number of the analysis and every view is unchanged. Callers that need per-contract
data run :func:`engine.analyze` themselves. Snapshots are cached under the same TTL, so the gex,
levels and summary of one symbol asked within the TTL come from one fetch. Failures are
never cached. ``warm_up`` compiles or loads every kernel before the first request (the
HTTP server's lifespan calls it).

Time (docs/store.md): ``at`` on :meth:`~AnalysisService.snapshot` and
:meth:`~AnalysisService.analysis` asks for the snapshot as of a past instant — from the
service's snapshot store when it has one (``history``), else from the source's own history
(``NoHistoryError`` from a source without one). Analyses of a past instant are cached by
the ``as_of`` of the snapshot they read, so two instants that resolve to one stored
snapshot share one computation. A *store-aware* service (``history`` set; a ``store``
source is its own history) also answers what changed since the prior session:
:meth:`~AnalysisService.prior` is the last stored snapshot of the session before a
snapshot's (``SnapshotStore.prior_session``), kept as its open interest per contract;
:meth:`~AnalysisService.oi_changes` the per-contract open-interest changes of the contracts
behind an analysis's strike rows (:mod:`engine.analysis.changes`); and
:meth:`~AnalysisService.prior_net_gex` the prior session's net GEX under the same preset
and options (its stored summary for the native defaults, else recomputed). Because the
OI changes are computed from the analysis's own contracts, a store-aware service's cached
analyses keep :data:`HISTORY_CONTRACT_COLUMNS` too (about 0.7 MB more for the demo SPX).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, TypeVar

import polars as pl

from api.service.cache import TTLCache
from api.service.compute import ComputePool, DeadlineExceededError, request_deadline
from data_adapters import Source, get_source
from data_adapters.errors import NoHistoryError, SymbolNotFoundError
from data_adapters.store import SnapshotStore
from data_adapters.symbols import check_symbol
from engine.analysis.changes import analysed_contracts, contract_changes, prior_open_interest
from engine.analysis.market import MarketAnalysis, analyze_market
from engine.analysis.options import AnalysisOptions, parse_options
from engine.analysis.presets import get_preset
from engine.analysis.single import Analysis, analyze
from engine.chain import SCHEMA, ChainSnapshot
from engine.errors import ConfigurationError, EmptySnapshotError, InvalidSpotError, NoContractsError
from engine.settlement import CALENDAR_RANGE, NEW_YORK

__all__ = [
    "CACHED_CONTRACT_COLUMNS",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TTL",
    "DEFAULT_WORKERS",
    "HISTORY_CONTRACT_COLUMNS",
    "AnalysisService",
    "PriorSession",
    "compact",
    "warm_up",
]

DEFAULT_TTL = 15.0
DEFAULT_WORKERS = 8
DEFAULT_DEADLINE = 30.0
DEFAULT_MAX_BYTES = 384 * 1024**2  # the server gives 3/4 of GEX_CACHE_MAX_BYTES (512 MiB)
CACHED_CONTRACT_COLUMNS: Final = ("expiration", "strike")
"""Columns of ``priced.contracts`` a cached analysis keeps (what :mod:`api.views` reads)."""
HISTORY_CONTRACT_COLUMNS: Final = ("root", "is_call", "open_interest", "volume")
"""Columns a store-aware service's cached analyses keep as well: with ``expiration`` and
``strike`` they identify the contracts behind each strike row and their open interest
(:func:`engine.analysis.changes.analysed_contracts`)."""
_NO_PRIOR_ERRORS = (NoContractsError, EmptySnapshotError, InvalidSpotError)
"""An analysis of the prior snapshot that fails with these has no net GEX to compare."""
T = TypeVar("T")
_LATE = "the data provider or the computation did not finish before the request's deadline"


def _emptied(record: Any) -> Any:
    """``record`` (a dataclass) with every polars frame field emptied (schema kept)."""
    frames = {
        f.name: value.clear()
        for f in dataclasses.fields(record)
        if isinstance(value := getattr(record, f.name), pl.DataFrame)
    }
    return dataclasses.replace(record, **frames)


def compact(a: Analysis, columns: tuple[str, ...] = CACHED_CONTRACT_COLUMNS) -> Analysis:
    """``a`` without the copies of its input chain, its priced contracts cut to ``columns``
    (see the module docstring)."""
    priced = a.priced
    validated = priced.validated
    keep = [c for c in columns if c in priced.contracts.columns]
    slim = dataclasses.replace(
        priced,
        validated=dataclasses.replace(_emptied(validated), snapshot=_emptied(validated.snapshot)),
        contracts=priced.contracts.select(keep),
    )
    return dataclasses.replace(a, priced=slim)


def _instant(at: datetime | None) -> datetime | None:
    """``at`` in UTC; a naive datetime is a :class:`ConfigurationError`, and an instant
    outside the session calendar (:data:`engine.settlement.CALENDAR_RANGE`), where no
    source or store can hold a snapshot, a :class:`NoHistoryError`."""
    if at is None:
        return None
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ConfigurationError(f"at must be a timezone-aware instant, not {at!r}")
    try:
        day = at.astimezone(NEW_YORK).date()
    except OverflowError:
        day = None
    if day is None or not CALENDAR_RANGE[0] <= day <= CALENDAR_RANGE[1]:
        first, last = CALENDAR_RANGE
        raise NoHistoryError(
            "history", f"{at.isoformat()} is outside the session calendar ({first} to {last})"
        )
    return at.astimezone(UTC)


def _is_native_default(preset: str, options: AnalysisOptions) -> bool:
    """Whether net GEX under ``preset``/``options`` is the one a stored summary holds
    (``native``, every option that changes net GEX at its default)."""
    d = AnalysisOptions()
    return preset == "native" and (
        options.expiration,
        options.min_oi,
        options.dealer_model,
        options.forward,
    ) == (d.expiration, d.min_oi, d.dealer_model, d.forward)


@dataclass(frozen=True, slots=True, eq=False)
class PriorSession:
    """The last stored snapshot of the session before a snapshot's, as the service keeps it:
    its instant, its open interest per contract (:func:`engine.analysis.changes.prior_open_interest`)
    and the net GEX of its stored summary (None when that analysis failed)."""

    symbol: str
    as_of: datetime
    open_interest: pl.DataFrame
    summary_net_gex: float | None


@dataclass
class _KeyLock:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


@dataclass
class _Flight:
    """One computation on the pool and the requests waiting for it."""

    work: Future[Any]
    future: asyncio.Future[Any]
    waiters: int = 0


class AnalysisService:
    """Snapshots and analyses of one source, cached for ``ttl`` seconds and coalesced.

    ``workers`` threads compute for the event loop, each request waits at most
    ``deadline`` seconds (None or 0: no deadline), and the cache holds at most
    ``max_bytes`` (see the module docstring). ``history`` is the snapshot store that makes
    the service store-aware (a ``store`` source is its own).
    """

    def __init__(
        self,
        source: Source,
        *,
        source_name: str | None = None,
        preset: str = "native",
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
        workers: int = DEFAULT_WORKERS,
        deadline: float | None = DEFAULT_DEADLINE,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
        history: SnapshotStore | None = None,
    ) -> None:
        self.source = source
        if history is None and isinstance(source, SnapshotStore):
            history = source  # a store source is its own history
        self.history = history
        self._contract_columns = CACHED_CONTRACT_COLUMNS + (
            HISTORY_CONTRACT_COLUMNS if history is not None else ()
        )
        self.source_name = source_name or getattr(source, "name", type(source).__name__)
        self.preset = preset
        self.ttl = ttl
        self.deadline = deadline if deadline and deadline > 0 else None
        self._cache = TTLCache(ttl, clock, max_bytes=max_bytes)
        self._pool = ComputePool(workers)
        self._locks: dict[Hashable, _KeyLock] = {}
        self._locks_guard = threading.Lock()
        self._inflight: dict[Hashable, _Flight] = {}
        self.computations = 0  # analyses actually computed (not served from cache)
        self.timeouts = 0  # requests answered DeadlineExceededError

    @classmethod
    def from_source_name(cls, name: str, *, ttl: float = DEFAULT_TTL, preset: str = "native",
                         workers: int = DEFAULT_WORKERS,
                         deadline: float | None = DEFAULT_DEADLINE,
                         max_bytes: int | None = DEFAULT_MAX_BYTES,
                         store: str | os.PathLike[str] | None = None,
                         **settings: Any) -> AnalysisService:  # fmt: skip
        """Build the source with :func:`data_adapters.get_source` and wrap it; ``store``
        (a root folder) makes the service store-aware."""
        history = None if store is None or str(store) == "" else SnapshotStore(store)
        return cls(get_source(name, **settings), source_name=name, ttl=ttl, preset=preset,
                   workers=workers, deadline=deadline, max_bytes=max_bytes,
                   history=history)  # fmt: skip

    @property
    def cache(self) -> TTLCache:
        """The result cache (its ``nbytes``, ``len`` and ``max_bytes`` for reports and tests)."""
        return self._cache

    def close(self) -> None:
        """Cancel queued work and let the pool's threads end (the server's shutdown)."""
        self._pool.close()

    # -- keys -------------------------------------------------------------------------
    def _key(
        self, kind: str, symbol: str, preset: str | None, options: Mapping[str, Any]
    ) -> Hashable:
        frozen = tuple(sorted((k, repr(v)) for k, v in options.items() if v is not None))
        return (kind, self.source_name, check_symbol(symbol), preset or self.preset, frozen)

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

    @property
    def store_aware(self) -> bool:
        """Whether this service has a snapshot store (prior sessions, OI changes, history)."""
        return self.history is not None

    def _fetch(self, symbol: str, at: datetime | None) -> ChainSnapshot:
        if at is None:
            return self.source.snapshot(symbol)
        if self.history is not None:
            return self.history.snapshot(symbol, at)
        return self.source.snapshot(symbol, at)

    def snapshot(self, symbol: str, at: datetime | None = None) -> ChainSnapshot:
        """The source's current snapshot of ``symbol``, or the one as of ``at`` (the store's
        latest at or before it, else the source's history); cached for the TTL."""
        sym = check_symbol(symbol)
        when = _instant(at)
        key = self._key("snapshot", sym, "", {"@at": when})
        return self._cached(key, lambda: self._fetch(sym, when))

    def analysis(
        self, symbol: str, preset: str | None = None, *, at: datetime | None = None, **options: Any
    ) -> Analysis:
        """``engine.analyze`` of the current snapshot (or the one as of ``at``) under
        ``preset`` with ``options`` (compact: see :func:`compact`)."""
        when = _instant(at)
        if when is None:
            key = self._key("analysis", symbol, preset, options)
        else:  # keyed by the snapshot it reads: instants that resolve alike share it
            as_of = self.snapshot(symbol, when).as_of
            key = self._key("analysis", symbol, preset, {**options, "@as_of": as_of})

        def compute() -> Analysis:
            self.computations += 1
            clean = {k: v for k, v in options.items() if v is not None}
            chosen = preset or self.preset
            return compact(
                analyze(self.snapshot(symbol, when), chosen, **clean), self._contract_columns
            )

        return self._cached(key, compute)

    # -- the whole market ---------------------------------------------------------------
    @property
    def has_market(self) -> bool:
        """Whether the source delivers a whole market in one frame (``source.market``) and
        the preset is the native one: then a whole-market scan runs on the batched path."""
        return callable(getattr(self.source, "market", None)) and self.preset == "native"

    def market(self, at: datetime | None = None) -> MarketAnalysis:
        """:func:`engine.analysis.market.analyze_market` of the source's market frame now
        (or as of ``at``), cached for the TTL without its per-strike tables (a scan reads
        the summary, the exclusions and the IV sources)."""
        if not self.has_market:
            raise ConfigurationError(
                f"the {self.source_name} source has no market frame for a batched scan"
            )
        when = _instant(at)

        def compute() -> MarketAnalysis:
            self.computations += 1
            m = self.source.market(when)  # type: ignore[attr-defined]
            result = analyze_market(
                m.frame, m.offsets, m.symbols, m.spots, m.div_yields, m.as_of, m.rate
            )
            return dataclasses.replace(
                result, strikes=result.strikes.clear(), crossings=result.crossings.clear()
            )

        return self._cached(("market", self.source_name, when), compute)

    # -- history (a store-aware service) -------------------------------------------------
    def prior(self, symbol: str, as_of: datetime) -> PriorSession | None:
        """The prior session's last stored snapshot of ``symbol`` relative to ``as_of``
        (``SnapshotStore.prior_session``), or None: no store, the symbol never stored, or
        nothing stored from that session. Cached for the TTL."""
        if self.history is None:
            return None
        store = self.history
        sym = check_symbol(symbol)
        when = _instant(as_of)
        assert when is not None

        def fetch() -> PriorSession | None:
            try:
                snap = store.prior_session(sym, when)
            except SymbolNotFoundError:
                return None
            if snap is None:
                return None
            rows = store.history(sym, snap.as_of, snap.as_of)
            net = None
            if rows.height and rows["status"][-1] == "ok":
                value = rows["net_gex"][-1]
                net = None if value is None or not math.isfinite(value) else float(value)
            return PriorSession(sym, snap.as_of, prior_open_interest(snap.frame), net)

        return self._cached(self._key("prior", sym, "", {"as_of": when}), fetch)

    def oi_changes(self, a: Analysis, prior: PriorSession | None = None) -> pl.DataFrame | None:
        """Per-contract open-interest changes of the contracts behind the strike rows of
        ``a`` (an analysis of this service) against ``prior`` (default: :meth:`prior` of
        ``a``'s snapshot), :func:`engine.analysis.changes.contract_changes`; None without one."""
        prior = prior if prior is not None else self.prior(a.symbol, a.as_of)
        if prior is None:
            return None
        return contract_changes(analysed_contracts(a), prior.open_interest)

    def prior_net_gex(
        self, symbol: str, as_of: datetime, preset: str | None = None, **options: Any
    ) -> float | None:
        """Net GEX of the prior session's last stored snapshot under ``preset`` and
        ``options``: its stored summary's for the native defaults, else recomputed (cached).
        None without a prior session, or when its analysis has nothing to compute from."""
        prior = self.prior(symbol, as_of)
        if prior is None or self.history is None:
            return None
        store = self.history
        chosen = get_preset(preset or self.preset).name
        clean = {k: v for k, v in options.items() if v is not None}
        parsed, _ = parse_options(clean)
        if _is_native_default(chosen, parsed):
            return prior.summary_net_gex

        def compute() -> float | None:
            try:
                a = analyze(store.snapshot(prior.symbol, prior.as_of), chosen, **clean)
            except _NO_PRIOR_ERRORS:
                return None
            value = float(a.exposures["net_gex"])
            return value if math.isfinite(value) else None

        key = self._key("prior_net_gex", prior.symbol, chosen, {**clean, "@as_of": prior.as_of})
        return self._cached(key, compute)

    def history_rows(
        self, symbol: str, start: date | None, end: date | None, days: int | None
    ) -> tuple[pl.DataFrame, date, date]:
        """The stored summary rows of ``symbol`` from ``start`` to ``end`` (New York days,
        both included), newest last, with the bounds used: ``end`` defaults to the day of
        the newest stored snapshot, ``start`` to ``days`` (default 30) days back from
        ``end`` (``days`` is ignored when ``start`` is given; ``start`` after ``end`` gives
        no rows). NoHistoryError without a store; SymbolNotFoundError for a symbol never
        stored."""
        if self.history is None:
            raise NoHistoryError(
                "store",
                "this server keeps no snapshot history: start it with --store DIR "
                "(or set GEX_STORE)",
            )
        store = self.history
        sym = check_symbol(symbol)
        last = end if end is not None else _newest_day(store, sym)
        if start is not None:
            first = start
        else:
            span = timedelta(days=(days or 30) - 1)
            first = last - span if last - date.min > span else date.min
        frame = self._cached(
            self._key("history", sym, "", {"start": first, "end": last}),
            lambda: store.history(sym, first, last),
        )
        return frame, first, last

    # -- asynchronous API (the HTTP server) ----------------------------------------------
    def _remaining(self) -> float | None:
        """Seconds left to the current request's deadline (or this service's own)."""
        deadline = request_deadline()
        if deadline is None:
            return self.deadline
        return deadline - time.monotonic()

    async def _coalesced(self, key: Hashable, work: Callable[[], T]) -> T:
        hit, value = self._cache.get(key)
        if hit:
            return value  # type: ignore[no-any-return]
        timeout = self._remaining()
        if timeout is not None and timeout <= 0:
            self.timeouts += 1
            raise DeadlineExceededError(_LATE)
        flight = self._inflight.get(key)
        if flight is None or flight.work.cancelled():
            submitted = self._pool.submit(work)
            flight = _Flight(submitted, asyncio.wrap_future(submitted))
            self._inflight[key] = flight

            def finished(future: asyncio.Future[Any], flight: _Flight = flight) -> None:
                if self._inflight.get(key) is flight:
                    del self._inflight[key]
                if not future.cancelled():
                    future.exception()  # retrieved here: every waiter may have gone

            flight.future.add_done_callback(finished)
        flight.waiters += 1
        try:
            return await asyncio.wait_for(asyncio.shield(flight.future), timeout)  # type: ignore[no-any-return]
        except TimeoutError:
            self.timeouts += 1
            raise DeadlineExceededError(_LATE) from None
        finally:
            flight.waiters -= 1
            # nobody waits any more: drop the work if no thread has taken it yet
            if (
                flight.waiters == 0
                and not flight.future.done()
                and flight.work.cancel()
                and self._inflight.get(key) is flight
            ):
                del self._inflight[key]

    async def analysis_async(
        self, symbol: str, preset: str | None = None, *, at: datetime | None = None, **options: Any
    ) -> Analysis:
        when = _instant(at)
        key = self._key("analysis", symbol, preset, {**options, "@at": when})
        return await self._coalesced(key, lambda: self.analysis(symbol, preset, at=when, **options))

    async def snapshot_async(self, symbol: str, at: datetime | None = None) -> ChainSnapshot:
        when = _instant(at)
        key = self._key("snapshot", symbol, "", {"@at": when})
        return await self._coalesced(key, lambda: self.snapshot(symbol, when))

    async def prior_async(self, symbol: str, as_of: datetime) -> PriorSession | None:
        if self.history is None:
            return None
        key = self._key("prior", symbol, "", {"as_of": _instant(as_of)})
        return await self._coalesced(key, lambda: self.prior(symbol, as_of))

    async def prior_net_gex_async(
        self, symbol: str, as_of: datetime, preset: str | None = None, **options: Any
    ) -> float | None:
        if self.history is None:
            return None
        key = self._key("prior_net_gex_call", symbol, preset, {**options, "@as_of": as_of})
        return await self._coalesced(
            key, lambda: self.prior_net_gex(symbol, as_of, preset, **options)
        )

    async def history_rows_async(
        self, symbol: str, start: date | None, end: date | None, days: int | None
    ) -> tuple[pl.DataFrame, date, date]:
        key = self._key("history_call", symbol, "", {"start": start, "end": end, "days": days})
        return await self._coalesced(key, lambda: self.history_rows(symbol, start, end, days))

    async def market_async(self, at: datetime | None = None) -> MarketAnalysis:
        when = _instant(at)
        return await self._coalesced(
            ("market_call", self.source_name, when), lambda: self.market(when)
        )

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

    # -- health -----------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """``{"status": "Healthy"}``, or ``{"status": "Degraded", "reasons": [...],
        "compute": {...}}`` while work waits behind busy threads (a new symbol would wait)
        or an item has run past the deadline (a stuck provider)."""
        stats = self._pool.stats()
        reasons = []
        if stats.queued and stats.busy >= stats.workers:
            reasons.append("compute_saturated")
        if self.deadline is not None and stats.oldest_running > self.deadline:
            reasons.append("compute_stuck")
        if not reasons:
            return {"status": "Healthy"}
        return {
            "status": "Degraded",
            "reasons": reasons,
            "compute": {
                "workers": stats.workers,
                "busy": stats.busy,
                "queued": stats.queued,
                "oldest_running_s": round(stats.oldest_running, 3),
                "timeouts": self.timeouts,
            },
        }

    def warm_up(self) -> None:
        """Compile or load every kernel the analyses of this service run (see :func:`warm_up`)."""
        warm_up(self.preset)


def _newest_day(store: SnapshotStore, symbol: str) -> date:
    """The New York date of the newest stored snapshot of ``symbol``, from the manifests
    alone: windows reaching back 8, 16, 32 … days from today (any snapshot after the
    window's start is in it, so a store dated in the future is found at once), then the
    whole store. SymbolNotFoundError for a symbol never stored."""
    today = datetime.now(UTC).astimezone(NEW_YORK).date()
    span = 8
    while span <= 8192:
        rows = store.history(symbol, today - timedelta(days=span))
        if rows.height:
            return rows["date"][-1]  # type: ignore[no-any-return]
        span *= 2
    rows = store.history(symbol)
    if not rows.height:
        raise SymbolNotFoundError("store", f"no snapshots of {symbol} in the store {store.root}")
    return rows["date"][-1]  # type: ignore[no-any-return]


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
