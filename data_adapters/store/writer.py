"""``StoreWriter``: the one writer of a snapshot store — journal, recovery, atomic commits.

See the package docstring (:mod:`data_adapters.store`) for the layout and the guarantees.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeAlias

from data_adapters.files import _write_atomic
from data_adapters.store.errors import StoreError
from data_adapters.store.layout import (
    JOURNAL_FILE,
    LOCK_FILE,
    MANIFEST_FILE,
    STORE_FILE,
    data_file_name,
    is_data_file,
    is_tape_file,
    is_temp_file,
    new_york_date,
    parse_partition_dir,
    parse_symbol_dir,
    partition_dir,
    symbol_dir,
    tape_file_name,
)
from data_adapters.store.lock import WriterLock
from data_adapters.store.manifest import (
    FORMAT,
    Entry,
    TapeEntry,
    encode_manifest,
    read_partition,
)
from data_adapters.store.records import (
    SCHEMA_VERSION,
    StoredRecord,
    make_record,
)
from data_adapters.store.tapes import EncodedTape, encode_tape
from data_adapters.symbols import check_symbol
from engine.chain import ChainSnapshot

if TYPE_CHECKING:
    import polars as pl

from data_adapters.store.store import (
    SnapshotStore,
    _aware,
    _fsync_dir,
    _mkdirs,
)

__all__ = ["Recovery", "StoreWriter"]

_CACHED_PARTITIONS: Final = 4096
"""Manifests a writer keeps in memory (a year-long backfill touches millions)."""
_JOURNALED_PARTITIONS: Final = 1024
"""Partitions the journal names at most before it is emptied between two commits."""


_Partition: TypeAlias = "tuple[builtins.list[Entry], TapeEntry | None]"
"""A partition's listed snapshots and trade tape."""


@dataclass(frozen=True, slots=True)
class Recovery:
    """What a writer's open cleaned up after a writer that did not finish (killed)."""

    temp_files: tuple[str, ...] = ()
    orphans: tuple[str, ...] = ()
    partitions: int = 0


class StoreWriter:
    """The one writer of a store (a context manager; not for use from several threads).

    Opening takes the writer lock (``timeout`` seconds of waiting, 0 = fail at once with
    :class:`~data_adapters.store.StoreLockedError`), creates the store when new, and
    cleans up after a writer that was killed (:attr:`recovered`). Writes are durable when
    :meth:`put` returns.
    """

    def __init__(
        self,
        store: SnapshotStore,
        timeout: float = 0.0,
        *,
        poll: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.store = store
        self.root = store.root
        try:
            _mkdirs(self.root)
        except OSError as exc:
            raise StoreError(f"cannot create the store {self.root}: {exc}") from exc
        self._lock = WriterLock(self.root / LOCK_FILE, timeout, poll=poll, clock=clock, sleep=sleep)
        self._lock.acquire()
        try:
            if not store.exists():
                marker = {"format": FORMAT, "schema": SCHEMA_VERSION}
                _write_atomic(self.root / STORE_FILE, (json.dumps(marker) + "\n").encode())
            self.recovered = self._recover()
        except OSError as exc:
            self._lock.release()
            raise StoreError(f"cannot open the store {self.root} for writing: {exc}") from exc
        except BaseException:
            self._lock.release()
            raise
        self._journaled: set[tuple[str, date]] = set()
        self._cache: OrderedDict[tuple[str, date], _Partition] = OrderedDict()
        self._dirty = False
        self._closed = False

    def __repr__(self) -> str:
        return f"StoreWriter(root={str(self.root)!r}, closed={self._closed})"

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- recovery --------------------------------------------------------------------------
    def _journal_path(self) -> Path:
        return self.root / JOURNAL_FILE

    def _recover(self) -> Recovery:
        """Remove temporary files and unlisted data files from every partition the journal
        names (the partitions an unfinished writer touched), then empty the journal."""
        temps = [self.root / n for n in os.listdir(self.root) if is_temp_file(n)]
        orphans: builtins.list[Path] = []
        try:
            raw = self._journal_path().read_bytes()
        except FileNotFoundError:
            raw = b""
        touched = set()
        for line in raw.split(b"\n")[:-1]:  # only complete lines: a torn last line wrote nothing
            key = _parse_journal_line(line)
            if key is not None:
                touched.add(key)
        for path in temps:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        for sym, day in sorted(touched):
            t, o = self._clean(sym, day)
            temps += t
            orphans += o
        self._reset_journal()
        return Recovery(
            temp_files=tuple(str(p) for p in temps),
            orphans=tuple(str(p) for p in orphans),
            partitions=len(touched),
        )

    def _clean(self, symbol: str, day: date) -> tuple[builtins.list[Path], builtins.list[Path]]:
        """Remove the partition's temporary files and unlisted data files (and the folder
        when a first write left it empty); return what was removed."""
        sym_folder = self.root / symbol_dir(symbol)
        folder = sym_folder / partition_dir(day)
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return [], []
        temps = [folder / n for n in names if is_temp_file(n)]
        try:
            entries, tape = read_partition(folder / MANIFEST_FILE, symbol, day) or ([], None)
            listed = {e.file for e in entries} | ({tape.file} if tape is not None else set())
            orphans = [
                folder / n
                for n in names
                if (is_data_file(n) or is_tape_file(n)) and n not in listed
            ]
        except StoreError:
            orphans = []  # a damaged manifest: leave its files alone for verify to report
        for path in temps + orphans:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        if temps or orphans:
            _fsync_dir(folder)
        if not (folder / MANIFEST_FILE).exists():
            with contextlib.suppress(OSError):  # only when empty
                folder.rmdir()
                sym_folder.rmdir()
        return temps, orphans

    def _reset_journal(self) -> None:
        path = self._journal_path()
        with open(path, "wb") as fh:
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(self.root)

    def _journal(self, symbol: str, day: date) -> None:
        """Record, durably, that this writer is about to write into a partition."""
        if (symbol, day) in self._journaled:
            return
        if len(self._journaled) >= _JOURNALED_PARTITIONS and not self._dirty:
            # every earlier commit finished (no temp file, nothing unlisted): start afresh,
            # so that the journal, and a recovery, stay small during a long backfill
            self._reset_journal()
            self._journaled.clear()
        line = f"{symbol_dir(symbol)}/{partition_dir(day)}\n".encode()
        with open(self._journal_path(), "ab") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self._journaled.add((symbol, day))

    # -- writing ---------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store writer is closed")

    def _partition(self, symbol: str, day: date) -> _Partition:
        """The partition's entries and tape, from a bounded cache (this is the only writer,
        so what it read or wrote last is what is on disk)."""
        key = (symbol, day)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        folder = self.root / symbol_dir(symbol) / partition_dir(day)
        entries, tape = read_partition(folder / MANIFEST_FILE, symbol, day) or ([], None)
        return self._remember(key, (entries, tape))

    def _entries(self, symbol: str, day: date) -> builtins.list[Entry]:
        return self._partition(symbol, day)[0]

    def _remember(self, key: tuple[str, date], part: _Partition) -> _Partition:
        self._cache[key] = part
        self._cache.move_to_end(key)
        while len(self._cache) > _CACHED_PARTITIONS:
            self._cache.popitem(last=False)
        return part

    def contains(self, symbol: str, as_of: datetime) -> bool:
        """Whether a snapshot of ``symbol`` at exactly ``as_of`` is stored."""
        instant = _aware(as_of)
        assert instant is not None
        sym = check_symbol(symbol)
        return any(e.as_of == instant for e in self._entries(sym, new_york_date(instant)))

    def put(self, item: ChainSnapshot | StoredRecord, *, replace: bool = False) -> str:
        """Store one snapshot (or a record made by :func:`make_record`); see :meth:`put_many`."""
        return self.put_many([item], replace=replace)[0]

    def put_many(
        self, items: Iterable[ChainSnapshot | StoredRecord], *, replace: bool = False
    ) -> builtins.list[str]:
        """Store snapshots; one status per item: ``"written"``, ``"skipped"`` (that symbol
        and as_of is already stored: the stored one is kept unless ``replace``, and an
        identical one is always skipped) or ``"replaced"``. Each partition's files are
        written and synced first, then its manifest, once per call."""
        self._check_open()
        records = [i if isinstance(i, StoredRecord) else make_record(i) for i in items]
        statuses = ["skipped"] * len(records)
        groups: dict[tuple[str, date], builtins.list[int]] = {}
        for i, rec in enumerate(records):
            groups.setdefault((rec.symbol, new_york_date(rec.as_of)), []).append(i)
        for (sym, day), indices in groups.items():
            try:
                self._commit(sym, day, [(i, records[i]) for i in indices], statuses, replace)
            except OSError as exc:
                self._dirty = True
                raise StoreError(f"cannot write {sym} {day} into {self.root}: {exc}") from exc
            except BaseException:
                self._dirty = True
                raise
        return statuses

    def _commit(
        self,
        symbol: str,
        day: date,
        group: builtins.list[tuple[int, StoredRecord]],
        statuses: builtins.list[str],
        replace: bool,
    ) -> None:
        listed, tape = self._partition(symbol, day)
        current = {e.as_of: e for e in listed}
        new: dict[datetime, StoredRecord] = {}
        for i, rec in group:
            old = current.get(rec.as_of)
            if rec.as_of in new or (old is not None and (not replace or old.sha256 == rec.sha256)):
                continue
            new[rec.as_of] = rec
            statuses[i] = "written" if old is None else "replaced"
        if not new:
            return
        folder = self.root / symbol_dir(symbol) / partition_dir(day)
        self._journal(symbol, day)
        _mkdirs(folder)
        merged = dict(current)
        for as_of, rec in new.items():
            name = data_file_name(as_of, rec.sha256)
            _write_atomic(folder / name, rec.payload)
            merged[as_of] = Entry(
                as_of, name, rec.rows, len(rec.payload), rec.sha256, dict(rec.summary)
            )
        entries = sorted(merged.values(), key=lambda e: e.as_of)
        _write_atomic(folder / MANIFEST_FILE, encode_manifest(symbol, day, entries, tape))
        self._remember((symbol, day), (entries, tape))
        stale = [current[t].file for t in new if t in current and current[t].file != merged[t].file]
        for name in stale:
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()
        if stale:
            _fsync_dir(folder)

    # -- trade tapes -----------------------------------------------------------------------
    def tape(self, symbol: str, day: date) -> TapeEntry | None:
        """The manifest's entry of the stored tape of ``symbol`` on ``day``, or None."""
        return self._partition(check_symbol(symbol), _day(day))[1]

    def covers(self, symbol: str, day: date, until: datetime | None = None) -> bool:
        """Whether the stored tape of ``symbol`` on ``day`` reaches ``until`` (None: the
        whole day): it was stored for the whole day, or up to ``until`` or later."""
        tape = self.tape(symbol, day)
        if tape is None:
            return False
        target = _aware(until, "until")
        return tape.until is None or (target is not None and tape.until >= target)

    def put_trades(
        self,
        symbol: str,
        day: date,
        frame: pl.DataFrame | EncodedTape,
        *,
        until: datetime | None = None,
        replace: bool = False,
    ) -> str:
        """Store the trade tape of ``symbol`` on ``day`` (New York date: the partition)
        — ``frame`` in ``TRADES_SCHEMA``, sorted here by timestamp — complete up to
        ``until`` (None: the whole day). A partition holds one tape; the status is
        ``"written"`` (none was stored), ``"replaced"`` or ``"skipped"``: an identical tape
        is always skipped, and without ``replace`` so is one that reaches no further than
        the stored one (:meth:`covers`), so a partial day's tape grows as it is stored
        again later. ``frame`` may also be the tape already encoded (:func:`~data_adapters.
        store.tapes.encode_tape`, as a backfill's workers send it). Durable when it returns: the file is written like a snapshot's (temp
        file, sync, rename, folder sync), then the manifest, then the old file removed."""
        self._check_open()
        sym = check_symbol(symbol)
        d = _day(day)
        stop = _aware(until, "until")
        encoded = frame if isinstance(frame, EncodedTape) else encode_tape(sym, d, frame)
        if (encoded.symbol, encoded.day) != (sym, d):
            raise StoreError(
                f"the tape of {encoded.symbol} on {encoded.day} cannot be stored as {sym} on {d}"
            )
        entries, old = self._partition(sym, d)
        if old is not None and (
            old.sha256 == encoded.sha256 or (not replace and self.covers(sym, d, stop))
        ):
            return "skipped"
        folder = self.root / symbol_dir(sym) / partition_dir(d)
        name = tape_file_name(encoded.sha256)
        new = TapeEntry(name, encoded.rows, len(encoded.payload), encoded.sha256, stop)
        try:
            self._journal(sym, d)
            _mkdirs(folder)
            _write_atomic(folder / name, encoded.payload)
            _write_atomic(folder / MANIFEST_FILE, encode_manifest(sym, d, entries, new))
            self._remember((sym, d), (entries, new))
            if old is not None and old.file != name:
                with contextlib.suppress(FileNotFoundError):
                    (folder / old.file).unlink()
                _fsync_dir(folder)
        except OSError as exc:
            self._dirty = True
            raise StoreError(
                f"cannot write the trades of {sym} {d} into {self.root}: {exc}"
            ) from exc
        except BaseException:
            self._dirty = True
            raise
        return "written" if old is None else "replaced"

    def close(self) -> None:
        """Finish: empty the journal (after cleaning up if a write failed midway) and
        release the lock. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._dirty:
                for sym, day in sorted(self._journaled):
                    self._clean(sym, day)
            self._reset_journal()
        finally:
            self._lock.release()


def _day(value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise StoreError(f"a tape's day must be a date (New York), not {value!r}")
    return value


def _parse_journal_line(line: bytes) -> tuple[str, date] | None:
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError:
        return None
    head, sep, tail = text.partition("/")
    symbol = parse_symbol_dir(head) if sep else None
    day = parse_partition_dir(tail)
    return None if symbol is None or day is None else (symbol, day)
