"""``store``: a durable store of canonical snapshots and their computed summaries.

Parquet files under one root (:func:`resolve_root`: an explicit ``root``, else ``$GEX_STORE``,
else ``$XDG_DATA_HOME/gex-engine/store``, i.e. ``~/.local/share/gex-engine/store``),
partitioned by symbol and New York date (``layout``)::

    <root>/_store.json                      {"format": "gex-engine-store", "schema": 1}
    <root>/_writer.lock                     the writer lock (fcntl.flock; holder's pid inside)
    <root>/_writer.journal                  partitions the current writer touches
    <root>/symbol=SPX/date=2026-11-20/_manifest.json
    <root>/symbol=SPX/date=2026-11-20/2026-11-20T21-00-00Z.<sha256[:16]>.parquet
    <root>/symbol=SPX/date=2026-11-20/trades.<sha256[:16]>.parquet     the day's trade tape

A data file holds one snapshot exactly as the ``files`` source writes it (lossless: header
with ``fetched_at``, every column, dtype and bit) plus its summary row (``records``); a
partition's manifest lists its snapshots with size, SHA-256, row count and summary
(``manifest``), and its trade tape when one is stored (``tapes``: ``TRADES_SCHEMA``,
sorted by timestamp, complete up to the manifest's ``until``). The quarantine is re-derived, losslessly, with ``engine.chain.validate``
(``records`` says why). Everything is schema-versioned (``SCHEMA_VERSION``); a reader
refuses a newer schema with a clear error.

Durability (a ``kill -9`` at any moment, and power loss on a file system that honours
``fsync``):

1. The writer takes ``_writer.lock`` (one writer at a time; :class:`StoreLockedError`
   at once, or after waiting ``timeout`` seconds). Readers take no lock.
2. Before its first write into a partition it appends that partition to the journal and
   syncs it.
3. Each data file is written to a temporary file, synced, renamed into place, and the
   folder synced (``files._write_atomic``). A name carries the hash, so a replacement
   never overwrites a listed file.
4. Only then is the manifest rewritten, the same atomic way. Readers see only what a
   manifest lists, so nothing half-written is ever listed.
5. A replaced snapshot's (or trade tape's) old file is removed after the manifest no
   longer lists it. A tape is written exactly like a snapshot (steps 2-5): readers see the
   old tape or the new one, whole.
6. On close (and between two commits once it names 1,024 partitions) the journal is
   emptied. When a writer opens and finds it not empty (the last
   writer was killed), it removes the temporary files and unlisted data files of the
   partitions it names, then empties it (:attr:`StoreWriter.recovered`).

Re-ingesting a stored (symbol, as_of) is a no-op, so writes are idempotent.

As a source (``get_source("store", root=...)``; settings ``root``, or ``GEX_STORE``)::

    store = SnapshotStore("/data/gex")
    store.snapshot("SPX", as_of)              # latest at or before as_of; NoHistoryError before the first
    store.prior_session("SPX", as_of)         # last snapshot of the previous NYSE session, or None
    store.history("SPX", start, end)          # polars frame of summary rows, newest last
    store.trades("SPX", day, until=None)      # the stored tape; NoHistoryError for a day without one
    store.list("SPX"); store.tapes("SPX"); store.verify()  # listings; integrity report
    with store.writer(timeout=30) as w:       # the one writer
        w.put(snapshot)
        w.put_trades("SPX", day, frame, until=as_of)  # the day's tape (TRADES_SCHEMA)
    ingest(store, get_source("demo"), ["SPX"], instants)
    backfill(["SPX", "SPY"], "demo", {}, "2026-01-02", "2026-03-31", ("10:00", "16:00"),
             store=store, scheduler="tcp://10.0.0.5:8786")
"""

from __future__ import annotations

from typing import Final

from data_adapters.settings import Settings
from data_adapters.store.backfill import (
    BackfillProgress,
    BackfillResult,
    Failure,
    IngestResult,
    Task,
    TaskOutput,
    TaskReport,
    backfill,
    ingest,
    plan,
    run_task,
)
from data_adapters.store.calendar import session_before, session_of, sessions_between
from data_adapters.store.errors import StoreError, StoreLockedError
from data_adapters.store.layout import STORE_ENV, resolve_root
from data_adapters.store.records import (
    HISTORY_SCHEMA,
    SCHEMA_VERSION,
    StoredRecord,
    make_record,
    summarize,
)
from data_adapters.store.store import SnapshotStore, StoredSnapshot, StoredTape
from data_adapters.store.verify import Problem, VerifyReport
from data_adapters.store.writer import Recovery, StoreWriter

__all__ = [
    "HISTORY_SCHEMA",
    "SCHEMA_VERSION",
    "SETTING_KEYS",
    "STORE_ENV",
    "BackfillProgress",
    "BackfillResult",
    "Failure",
    "IngestResult",
    "Problem",
    "Recovery",
    "SnapshotStore",
    "StoreError",
    "StoreLockedError",
    "StoreWriter",
    "StoredRecord",
    "StoredSnapshot",
    "StoredTape",
    "Task",
    "TaskOutput",
    "TaskReport",
    "VerifyReport",
    "backfill",
    "create",
    "ingest",
    "make_record",
    "plan",
    "resolve_root",
    "run_task",
    "session_before",
    "session_of",
    "sessions_between",
    "summarize",
]


SETTING_KEYS: Final = ("root",)
"""The settings ``create`` reads (docs/configuration.md); ``gex --source-opt`` checks
against them."""


def create(settings: Settings) -> SnapshotStore:
    """The ``store`` source from its settings: ``root`` (keyword, ``GEX_STORE_ROOT`` or the
    config file), else :func:`resolve_root` (``GEX_STORE``, then the XDG default)."""
    root = settings.get("root", None)
    return SnapshotStore(None if root in (None, "") else root)
