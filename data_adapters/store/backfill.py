"""Filling the store: :func:`ingest` here and now, :func:`backfill` over many sessions.

``backfill`` splits the work into one task per (symbol, session): the snapshots of that
symbol at each of ``times_ny`` (New York wall-clock times) on that NYSE session. A task
runs wherever the mode puts it — in this process (serial), on a local process pool
(``workers=N``, ``spawn`` start method) or on an existing Dask ``distributed`` cluster
(``scheduler="tcp://host:port"``, the real ``distributed.Client``) — and returns its
snapshots already encoded (:class:`~data_adapters.store.records.StoredRecord`: the exact
bytes of each data file and its summary row, computed on the worker). The caller is the one
writer: it writes each task's records as they come back, so the store's lock stays
single-writer however many machines compute. Because a record's bytes depend only on the
snapshot, and manifests are sorted by ``as_of``, a store filled by any mode is byte for
byte the store a serial run writes.

Before dispatching, instants already stored are dropped (a rerun computes nothing twice).
A task that fails — an exception on the worker, a worker that dies — is resubmitted up to
``retries`` times and, if it still fails, reported in :attr:`BackfillResult.failures` with
every error; it is never silently dropped. Tasks that needed a retry and then succeeded are
listed in :attr:`BackfillResult.retried`.

Trade tapes (``trades``, default on): where the source has ``trades(symbol, day)``, a task
also fetches the session's tape, cut at its last instant (``until``, passed to sources that
take it), encodes it on the worker and the caller stores it beside the snapshots
(:meth:`StoreWriter.put_trades`); a rerun skips a tape stored that far. A source without
trades stores none; a tape the source fails to give is reported in
:attr:`BackfillResult.tape_failures` (the snapshots are kept, ``ok`` is about them alone).

Workers build the source themselves, from ``source_name`` (a registry name, or a picklable
factory called as ``factory(**source_settings)``) and ``source_settings``; settings not given
explicitly resolve on the worker (its environment and config file), so secrets such as an
API key can stay in the workers' environment. A Dask worker needs gex-engine installed (the
task function is ``data_adapters.store.backfill.run_task``). The local pool starts its
processes with ``spawn``, which re-imports the calling script: a script that calls
``backfill(..., workers=N)`` needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any, Protocol, TypeAlias

from data_adapters.base import Source
from data_adapters.store.calendar import sessions_between
from data_adapters.store.errors import StoreError
from data_adapters.store.layout import new_york_date
from data_adapters.store.records import StoredRecord, make_record
from data_adapters.store.store import SnapshotStore
from data_adapters.store.tapes import EncodedTape, encode_tape
from data_adapters.store.writer import StoreWriter
from data_adapters.symbols import check_symbol
from engine.settlement import NEW_YORK

__all__ = [
    "BackfillProgress",
    "BackfillResult",
    "Failure",
    "IngestResult",
    "SourceSpec",
    "Task",
    "TaskOutput",
    "TaskReport",
    "backfill",
    "ingest",
    "plan",
    "run_task",
    "trades_of",
]

SourceSpec: TypeAlias = "str | Callable[..., Source]"
"""A registry name (``"demo"``) or a picklable factory ``factory(**settings) -> Source``."""


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _aware(value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"instants must be timezone-aware datetimes, not {value!r}")
    return value.astimezone(UTC)


def _symbols(symbols: Iterable[str]) -> list[str]:
    if isinstance(symbols, str):
        symbols = [symbols]
    out = list(dict.fromkeys(check_symbol(s) for s in symbols))
    if not out:
        raise StoreError("no symbols given")
    return out


@contextlib.contextmanager
def _writing(store: SnapshotStore | StoreWriter, lock_timeout: float) -> Iterator[StoreWriter]:
    if isinstance(store, StoreWriter):
        yield store  # the caller's writer: the caller closes it
        return
    with store.writer(lock_timeout) as writer:
        yield writer


def trades_of(source: object) -> Callable[[str, date, datetime], Any] | None:
    """``fetch(symbol, day, until)`` of a source that serves trades (``until`` passed where
    its ``trades`` takes it, else the day's tape is cut here), or None."""
    fetch = getattr(source, "trades", None)
    if not callable(fetch):
        return None
    try:
        takes_until = "until" in inspect.signature(fetch).parameters
    except (TypeError, ValueError):
        takes_until = False

    def get(symbol: str, day: date, until: datetime) -> Any:
        import polars as pl

        frame = fetch(symbol, day, until=until) if takes_until else fetch(symbol, day)
        if isinstance(frame, pl.DataFrame) and "timestamp" in frame.columns:
            frame = frame.filter(pl.col("timestamp") <= until)
        return frame

    return get


# -- ingest ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Failure:
    """A snapshot :func:`ingest` could not get: ``when`` is the instant asked for."""

    symbol: str
    when: datetime
    error: str


@dataclass(frozen=True, slots=True)
class IngestResult:
    """Counts of snapshots and of trade tapes (``tapes_written`` counts replaced ones too);
    ``ok`` is about the snapshots (``tape_failures`` are reported beside them)."""

    written: int = 0
    skipped: int = 0
    replaced: int = 0
    failures: tuple[Failure, ...] = ()
    tapes_written: int = 0
    tapes_skipped: int = 0
    tape_failures: tuple[Failure, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures


def ingest(
    store: SnapshotStore | StoreWriter,
    source: Source,
    symbols: Iterable[str],
    instants: Iterable[datetime],
    *,
    replace: bool = False,
    lock_timeout: float = 0.0,
    trades: bool | None = None,
) -> IngestResult:
    """Fetch ``source.snapshot(symbol, instant)`` for every symbol and instant (oldest
    instant first), compute its summary and store it. Idempotent: an instant already stored
    for a symbol is skipped without fetching (unless ``replace``), and a snapshot whose
    ``as_of`` is already stored is kept as it is. A snapshot the source cannot give is a
    :class:`Failure` in the result; the rest go on. ``store`` is a store (its writer is
    opened, waiting up to ``lock_timeout`` seconds, and closed) or an open writer.

    ``trades`` (default: whether the source has ``trades``): also store, for each symbol
    and New York day with a stored snapshot, that day's trade tape up to the latest of its
    instants (:meth:`StoreWriter.put_trades`; skipped without fetching when a tape stored
    that far is there, unless ``replace``). ``trades=True`` with a source without trades is
    a StoreError; a tape the source cannot give is a ``tape_failures`` entry."""
    syms = _symbols(symbols)
    stamps = sorted({_aware(t) for t in instants})
    fetch_trades = trades_of(source) if trades is not False else None
    if trades and fetch_trades is None:
        raise StoreError(f"the {getattr(source, 'name', 'given')} source serves no trades")
    counts = {"written": 0, "skipped": 0, "replaced": 0, "tapes_written": 0, "tapes_skipped": 0}
    failures = []
    tape_failures = []
    days: dict[tuple[str, date], datetime] = {}
    with _writing(store, lock_timeout) as writer:
        for instant in stamps:
            for sym in syms:
                if not replace and writer.contains(sym, instant):
                    counts["skipped"] += 1
                    days[(sym, new_york_date(instant))] = instant
                    continue
                try:
                    record = make_record(source.snapshot(sym, instant))
                except Exception as exc:  # reported, never dropped; the others go on
                    failures.append(Failure(sym, instant, _describe(exc)))
                    continue
                counts[writer.put(record, replace=replace)] += 1
                days[(sym, new_york_date(instant))] = instant
        if fetch_trades is not None:
            for (sym, day), until in sorted(days.items()):
                if not replace and writer.covers(sym, day, until):
                    counts["tapes_skipped"] += 1
                    continue
                try:
                    tape = encode_tape(sym, day, fetch_trades(sym, day, until))
                except Exception as exc:  # reported; the snapshots are kept
                    tape_failures.append(Failure(sym, until, _describe(exc)))
                    continue
                status = writer.put_trades(sym, day, tape, until=until, replace=replace)
                counts["tapes_skipped" if status == "skipped" else "tapes_written"] += 1
    return IngestResult(failures=tuple(failures), tape_failures=tuple(tape_failures), **counts)


# -- tasks -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Task:
    """The snapshots of one symbol on one session, at the given instants (UTC)."""

    symbol: str
    session: date
    instants: tuple[datetime, ...]
    tape_until: datetime | None = None
    """Also fetch the session's trade tape up to this instant (None: no tape)."""


@dataclass(frozen=True, slots=True)
class TaskOutput:
    """What a worker sends back: the encoded records (and the encoded trade tape, None when
    none was asked for or the source has no trades; ``tape_error`` when it failed), or the
    error (``"Type: message"``)."""

    task: Task
    records: tuple[StoredRecord, ...] = ()
    error: str | None = None
    tape: EncodedTape | None = None
    tape_error: str | None = None


_SOURCES: dict[Any, Source] = {}


def _source(spec: SourceSpec, settings: Mapping[str, Any]) -> Source:
    """The source of a task, built once per worker process (and settings)."""
    try:
        key: Any = (spec, tuple(sorted(settings.items())))
        hash(key)
    except TypeError:
        key = None
    if key is not None and key in _SOURCES:
        return _SOURCES[key]
    if isinstance(spec, str):
        from data_adapters import get_source

        built = get_source(spec, **settings)
    else:
        built = spec(**settings)
    if key is not None:
        _SOURCES[key] = built
    return built


def run_task(spec: SourceSpec, settings: Mapping[str, Any] | None, task: Task) -> TaskOutput:
    """Compute one task's records (runs on a worker). Never raises: an error travels back
    as text, so that no exception type has to survive pickling."""
    try:
        source = _source(spec, settings or {})
        records = tuple(make_record(source.snapshot(task.symbol, t)) for t in task.instants)
    except Exception as exc:
        return TaskOutput(task, error=_describe(exc))
    fetch = trades_of(source) if task.tape_until is not None else None
    if fetch is None or task.tape_until is None:
        return TaskOutput(task, records)
    try:
        frame = fetch(task.symbol, task.session, task.tape_until)
        tape = encode_tape(task.symbol, task.session, frame)
    except Exception as exc:
        return TaskOutput(task, records, tape_error=_describe(exc))
    return TaskOutput(task, records, tape=tape)


def _times(times_ny: Sequence[str] | str) -> list[time]:
    if isinstance(times_ny, str):
        times_ny = [t for t in times_ny.split(",") if t.strip()]
    out = []
    for text in times_ny:
        try:
            value = time.fromisoformat(str(text).strip())
        except ValueError:
            raise StoreError(f"a time of day must be HH:MM (New York), not {text!r}") from None
        if value.tzinfo is not None:
            raise StoreError(f"times are New York wall-clock times, without a zone: {text!r}")
        out.append(value)
    if not out:
        raise StoreError("no times of day given")
    return sorted(set(out))


def _day(value: date | str, name: str) -> date:
    if isinstance(value, datetime):
        raise StoreError(f"{name} must be a date, not a datetime")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise StoreError(f"{name} must be a date YYYY-MM-DD, not {value!r}") from None


@dataclass(frozen=True, slots=True)
class _Plan:
    symbols: tuple[str, ...]
    sessions: tuple[date, ...]
    times: tuple[time, ...]
    trades: bool = True

    def __len__(self) -> int:
        return len(self.symbols) * len(self.sessions)

    def __iter__(self) -> Iterator[Task]:
        """The tasks, made as they are needed (a year of minutes is millions of instants)."""
        for session in self.sessions:
            instants = tuple(
                datetime.combine(session, t, tzinfo=NEW_YORK).astimezone(UTC) for t in self.times
            )
            for sym in self.symbols:
                yield Task(sym, session, instants, instants[-1] if self.trades else None)


def _plan(
    symbols: Iterable[str],
    start_date: date | str,
    end_date: date | str,
    times_ny: Sequence[str] | str,
    trades: bool = True,
) -> _Plan:
    syms = _symbols(symbols)
    start, end = _day(start_date, "start_date"), _day(end_date, "end_date")
    if start > end:
        raise StoreError(f"start_date {start} is after end_date {end}")
    times = _times(times_ny)
    return _Plan(tuple(syms), tuple(sessions_between(start, end)), tuple(times), trades)


def plan(
    symbols: Iterable[str],
    start_date: date | str,
    end_date: date | str,
    times_ny: Sequence[str] | str = ("16:00",),
    *,
    trades: bool = True,
) -> list[Task]:
    """The tasks of a backfill: one per (session, symbol), sessions oldest first (each
    asking for the session's trade tape up to its last instant, unless ``trades=False``)."""
    return list(_plan(symbols, start_date, end_date, times_ny, trades))


# -- runners ---------------------------------------------------------------------------------
Outcome: TypeAlias = "TaskOutput | BaseException"


class _Runner(Protocol):
    capacity: int
    mode: str
    workers: int

    @property
    def in_flight(self) -> int: ...

    def submit(self, task: Task) -> None: ...

    def next_done(self) -> tuple[Task, Outcome]: ...

    def close(self) -> None: ...


class _Serial:
    mode = "serial"
    workers = 1
    capacity = 1

    def __init__(self, spec: SourceSpec, settings: Mapping[str, Any]) -> None:
        self._spec, self._settings = spec, settings
        self._queue: deque[Task] = deque()

    @property
    def in_flight(self) -> int:
        return len(self._queue)

    def submit(self, task: Task) -> None:
        self._queue.append(task)

    def next_done(self) -> tuple[Task, Outcome]:
        task = self._queue.popleft()
        return task, run_task(self._spec, self._settings, task)

    def close(self) -> None:
        self._queue.clear()


class _Pool:
    mode = "processes"

    def __init__(self, spec: SourceSpec, settings: Mapping[str, Any], workers: int) -> None:
        self._spec, self._settings = spec, settings
        self.workers = workers
        self.capacity = 2 * workers
        self._futures: dict[Any, tuple[Task, Any]] = {}
        self._executor = self._start()

    def _start(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, never fork: the parent runs polars' and OpenMP's thread pools.
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    @property
    def in_flight(self) -> int:
        return len(self._futures)

    def submit(self, task: Task) -> None:
        future = self._executor.submit(run_task, self._spec, self._settings, task)
        self._futures[future] = (task, self._executor)

    def next_done(self) -> tuple[Task, Outcome]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
        future = next(f for f in self._futures if f in done)  # the oldest finished
        task, executor = self._futures.pop(future)
        try:
            return task, future.result()
        except BrokenProcessPool as exc:  # a worker died: start a fresh pool once
            if executor is self._executor:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._start()
            return task, exc
        except Exception as exc:
            return task, exc

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class _Dask:
    mode = "dask"

    def __init__(self, spec: SourceSpec, settings: Mapping[str, Any], address: str) -> None:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise StoreError(
                "a backfill on a Dask cluster needs the optional package 'distributed': "
                "pip install 'gex-engine[cluster]'"
            ) from None
        self._spec, self._settings = spec, settings
        try:
            self._client = Client(address, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise StoreError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        self.workers = max(1, sum(self._client.nthreads().values()))
        self.capacity = 2 * self.workers
        self._done = as_completed(loop=self._client.loop)
        self._tasks: dict[Any, Task] = {}

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def submit(self, task: Task) -> None:
        key = f"gex-backfill-{task.symbol}-{task.session}-{uuid.uuid4().hex}"
        future = self._client.submit(
            run_task, self._spec, self._settings, task, key=key, pure=False, retries=0
        )
        self._tasks[future.key] = task
        self._done.add(future)

    def next_done(self) -> tuple[Task, Outcome]:
        future = next(self._done)
        task = self._tasks.pop(future.key)
        try:
            return task, future.result()
        except Exception as exc:  # the worker died or the result could not travel
            return task, exc
        finally:
            future.release()

    def close(self) -> None:
        self._client.close()


# -- backfill --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TaskReport:
    """A task that failed at least once: how many attempts it took and every error."""

    symbol: str
    session: date
    attempts: int
    errors: tuple[str, ...]

    @property
    def error(self) -> str:
        return self.errors[-1] if self.errors else ""


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """Given to the progress callback after each task outcome. ``event``: ``"done"``,
    ``"skipped"`` (everything already stored), ``"retry"`` (failed, resubmitted) or
    ``"failed"`` (out of retries)."""

    event: str
    task: Task
    tasks_total: int
    tasks_done: int
    tasks_failed: int
    snapshots_written: int
    snapshots_skipped: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BackfillResult:
    """What a backfill did. ``mode``: ``serial``, ``processes`` or ``dask``; ``workers``:
    the processes (or Dask worker threads) it ran on."""

    mode: str
    workers: int
    tasks: int
    snapshots_written: int
    snapshots_skipped: int
    failures: tuple[TaskReport, ...] = ()
    retried: tuple[TaskReport, ...] = field(default=())
    tapes_written: int = 0
    tapes_skipped: int = 0
    tape_failures: tuple[TaskReport, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures


def backfill(
    symbols: Iterable[str],
    source_name: SourceSpec,
    source_settings: Mapping[str, Any] | None,
    start_date: date | str,
    end_date: date | str,
    times_ny: Sequence[str] | str = ("16:00",),
    *,
    store: SnapshotStore | StoreWriter | str | os.PathLike[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = 2,
    progress: Callable[[BackfillProgress], None] | None = None,
    lock_timeout: float = 0.0,
    trades: bool = True,
) -> BackfillResult:
    """Store the snapshots of ``symbols`` at ``times_ny`` (New York) on every NYSE session
    from ``start_date`` to ``end_date`` (both included). See the module docstring.

    ``store``: a store, an open writer, or a root (default :func:`resolve_root`).
    ``workers``: run on a local pool of that many processes; ``scheduler``: on the Dask
    cluster at that address (not both; neither = serial, in this process). ``retries``:
    resubmissions of a failed task. ``progress(BackfillProgress)`` is called in this thread
    after each task. ``trades``: also store each session's trade tape where the source has
    trades (module docstring). Raises StoreError for invalid arguments, an unreachable scheduler or a
    failed write (the store stays consistent: what was written before is kept).
    """
    if workers is not None and scheduler is not None:
        raise StoreError("give either workers (a local pool) or scheduler (Dask), not both")
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise StoreError(f"workers must be a positive number of processes, not {workers!r}")
    if isinstance(retries, bool) or int(retries) < 0:
        raise StoreError(f"retries must be >= 0, not {retries!r}")
    if isinstance(source_name, str):
        from data_adapters import REGISTRY, SourceConfigError, available_sources

        if source_name.strip().lower() not in REGISTRY:
            known = ", ".join(available_sources())
            raise SourceConfigError(
                source_name, f"unknown source {source_name!r}; known sources: {known}"
            )
    elif not callable(source_name):
        raise StoreError(f"source_name must be a source name or a factory, not {source_name!r}")
    settings = dict(source_settings or {})
    tasks = _plan(symbols, start_date, end_date, times_ny, bool(trades))
    target: SnapshotStore | StoreWriter = (
        store if isinstance(store, SnapshotStore | StoreWriter) else SnapshotStore(store)
    )
    mode = "dask" if scheduler is not None else "processes" if workers is not None else "serial"

    def start() -> _Runner:
        if scheduler is not None:
            return _Dask(source_name, settings, scheduler)
        if workers is not None:
            return _Pool(source_name, settings, int(workers))
        return _Serial(source_name, settings)

    with _writing(target, lock_timeout) as writer:
        return _run(writer, tasks, mode, start, int(retries), progress)


def _run(
    writer: StoreWriter,
    tasks: _Plan,
    mode: str,
    start: Callable[[], _Runner],
    retries: int,
    progress: Callable[[BackfillProgress], None] | None,
) -> BackfillResult:
    state = {"done": 0, "failed": 0, "written": 0, "skipped": 0, "tapes": 0, "tapes_skipped": 0}
    tape_failures: list[TaskReport] = []
    total = len(tasks)

    def emit(event: str, task: Task, error: str | None = None) -> None:
        if progress is not None:
            progress(
                BackfillProgress(
                    event, task, total, state["done"], state["failed"],
                    state["written"], state["skipped"], error,
                )
            )  # fmt: skip

    planned = iter(tasks)
    again: deque[Task] = deque()  # failed tasks waiting for another attempt

    def next_task() -> Task | None:
        """The next task with something left to compute (instants already stored are
        dropped here, just before it would be sent)."""
        if again:
            return again.popleft()
        for task in planned:
            missing = tuple(t for t in task.instants if not writer.contains(task.symbol, t))
            state["skipped"] += len(task.instants) - len(missing)
            until = task.tape_until
            if until is not None and writer.covers(task.symbol, task.session, until):
                state["tapes_skipped"] += 1
                until = None
            if missing or until is not None:
                return replace(task, instants=missing, tape_until=until)
            state["done"] += 1
            emit("skipped", task)
        return None

    failures: list[TaskReport] = []
    retried: list[TaskReport] = []
    errors: dict[Task, list[str]] = {}
    runner: _Runner | None = None  # started on the first task to compute: none for a rerun
    try:
        while True:
            while runner is None or runner.in_flight < runner.capacity:
                task = next_task()
                if task is None:
                    break
                if runner is None:
                    runner = start()
                runner.submit(task)
            if runner is None or not runner.in_flight:
                break
            task, outcome = runner.next_done()
            if isinstance(outcome, TaskOutput) and outcome.error is None:
                statuses = writer.put_many(outcome.records)
                state["written"] += sum(s != "skipped" for s in statuses)
                state["skipped"] += statuses.count("skipped")
                if outcome.tape is not None:
                    tape_status = writer.put_trades(
                        task.symbol, task.session, outcome.tape, until=task.tape_until
                    )
                    state["tapes" if tape_status != "skipped" else "tapes_skipped"] += 1
                elif outcome.tape_error is not None:
                    tape_failures.append(_report(task, [outcome.tape_error], 1))
                state["done"] += 1
                if task in errors:
                    past = errors.pop(task)
                    retried.append(_report(task, past, len(past) + 1))
                emit("done", task)
                continue
            error = outcome.error if isinstance(outcome, TaskOutput) else _describe(outcome)
            assert error is not None
            errors.setdefault(task, []).append(error)
            if len(errors[task]) <= retries:
                again.append(task)
                emit("retry", task, error)
            else:
                state["done"] += 1
                state["failed"] += 1
                past = errors.pop(task)
                failures.append(_report(task, past, len(past)))
                emit("failed", task, error)
    finally:
        if runner is not None:
            runner.close()
    return BackfillResult(
        mode=mode,
        workers=0 if runner is None else runner.workers,
        tasks=total,
        snapshots_written=state["written"],
        snapshots_skipped=state["skipped"],
        failures=tuple(failures),
        retried=tuple(retried),
        tapes_written=state["tapes"],
        tapes_skipped=state["tapes_skipped"],
        tape_failures=tuple(tape_failures),
    )


def _report(task: Task, errors: list[str], attempts: int) -> TaskReport:
    return TaskReport(task.symbol, task.session, attempts, tuple(errors))
