"""The snapshot store: a :class:`SnapshotStore` reads (any number of processes), a
:class:`StoreWriter` writes (one process at a time). The package docstring describes the
layout, the durability protocol and the recovery after a crash."""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from data_adapters.errors import DataSourceError, NoHistoryError, SymbolNotFoundError
from data_adapters.store.calendar import session_before, session_of
from data_adapters.store.errors import StoreError
from data_adapters.store.layout import (
    MANIFEST_FILE,
    STORE_FILE,
    new_york_date,
    parse_partition_dir,
    parse_symbol_dir,
    partition_dir,
    resolve_root,
    symbol_dir,
)
from data_adapters.store.manifest import FORMAT, Entry, TapeEntry, read_manifest, read_partition
from data_adapters.store.records import (
    HISTORY_SCHEMA,
    SCHEMA_VERSION,
    decode,
    decode_summary,
    summary_row,
)
from data_adapters.symbols import check_symbol
from engine.chain import ChainSnapshot

if TYPE_CHECKING:
    from data_adapters.store.verify import VerifyReport
    from data_adapters.store.writer import StoreWriter

__all__ = ["SnapshotStore", "StoredSnapshot", "StoredTape"]

_READ_ATTEMPTS: Final = 3


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """One listed snapshot: where its file is and what its manifest says about it.

    ``day`` is the New York date of ``as_of`` (its partition); ``summary`` is the decoded
    summary (floats, ``fetched_at`` as a UTC datetime; see ``records``).
    """

    symbol: str
    as_of: datetime
    day: date
    path: Path
    rows: int
    bytes: int
    sha256: str
    summary: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StoredTape:
    """One listed trade tape: the trades of ``symbol`` on the New York date ``day``,
    complete up to ``until`` (None: the whole day)."""

    symbol: str
    day: date
    path: Path
    rows: int
    bytes: int
    sha256: str
    until: datetime | None


def _aware(as_of: datetime | None, name: str = "as_of") -> datetime | None:
    if as_of is None:
        return None
    if not isinstance(as_of, datetime) or as_of.tzinfo is None or as_of.utcoffset() is None:
        raise StoreError(f"{name} must be a timezone-aware datetime")
    return as_of.astimezone(UTC)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _mkdirs(path: Path) -> None:
    """Create ``path`` and its missing parents, syncing each new entry's parent."""
    missing = []
    probe = path
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
        _fsync_dir(folder.parent)


def _listed(symbol: str, day: date, folder: Path, entry: Entry) -> StoredSnapshot:
    return StoredSnapshot(
        symbol=symbol,
        as_of=entry.as_of,
        day=day,
        path=folder / entry.file,
        rows=entry.rows,
        bytes=entry.bytes,
        sha256=entry.sha256,
        summary=decode_summary(entry.summary),
    )


class SnapshotStore:
    """Stored snapshots under ``root`` (default :func:`~data_adapters.store.resolve_root`).

    A :class:`~data_adapters.base.Source`: ``snapshot(symbol, as_of=None)`` is the latest
    stored snapshot at or before ``as_of``. Reading takes no lock and sees only what a
    manifest lists, so it is safe while a writer works.
    """

    name = "store"

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = resolve_root(root)

    def __repr__(self) -> str:
        return f"SnapshotStore(root={str(self.root)!r})"

    # -- the layout ------------------------------------------------------------------------
    def exists(self) -> bool:
        """Whether a writer ever opened this store (``_store.json`` present and readable);
        StoreError when that file is corrupt or of a newer schema."""
        path = self.root / STORE_FILE
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc}") from exc
        try:
            body = json.loads(raw)
            fmt, schema = body["format"], body["schema"]
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{path}: not a gex-engine store marker ({exc})") from None
        if fmt != FORMAT:
            raise StoreError(f"{path}: not a gex-engine store (format {fmt!r})")
        if schema != SCHEMA_VERSION:
            raise StoreError(
                f"{path}: store schema {schema!r}; this gex-engine reads schema {SCHEMA_VERSION}"
            )
        return True

    def _symbol_dirs(self) -> dict[str, Path]:
        if not self.exists():
            return {}
        out = {}
        for path in self.root.iterdir():
            symbol = parse_symbol_dir(path.name)
            if symbol is not None and path.is_dir():
                out[symbol] = path
        return out

    def _partitions(self, symbol: str) -> list[tuple[date, Path]]:
        """(date, folder) of the partition folders of ``symbol``, oldest first. A folder
        without a manifest (a first write in progress) lists nothing."""
        if not self.exists():
            return []
        folder = self.root / symbol_dir(symbol)
        try:
            names = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return []
        found = [(d, folder / n) for n in names if (d := parse_partition_dir(n)) is not None]
        return sorted(found)

    def _require(self, symbol: str) -> tuple[str, list[tuple[date, Path]]]:
        sym = check_symbol(symbol)
        parts = self._partitions(sym)
        if not parts:
            raise SymbolNotFoundError(self.name, f"no snapshots of {sym} in the store {self.root}")
        return sym, parts

    @staticmethod
    def _entries(symbol: str, day: date, folder: Path) -> list[Entry]:
        return read_manifest(folder / MANIFEST_FILE, symbol, day) or []

    def _at_or_before(
        self, symbol: str, parts: list[tuple[date, Path]], as_of: datetime | None
    ) -> StoredSnapshot | None:
        last_day = None if as_of is None else new_york_date(as_of)
        for day, folder in reversed(parts):
            if last_day is not None and day > last_day:
                continue
            entries = self._entries(symbol, day, folder)
            if as_of is not None:
                entries = [e for e in entries if e.as_of <= as_of]
            if entries:
                return _listed(symbol, day, folder, entries[-1])
        return None

    def _first(self, symbol: str, parts: list[tuple[date, Path]]) -> datetime | None:
        for day, folder in parts:
            entries = self._entries(symbol, day, folder)
            if entries:
                return entries[0].as_of
        return None

    # -- reading ---------------------------------------------------------------------------
    def symbols(self) -> builtins.list[str]:
        """Symbols with at least one stored snapshot, sorted."""
        return sorted(
            s
            for s in self._symbol_dirs()
            if any((p / MANIFEST_FILE).is_file() for _, p in self._partitions(s))
        )

    def _read(self, item: StoredSnapshot) -> ChainSnapshot:
        raw = item.path.read_bytes()  # FileNotFoundError: replaced meanwhile, the caller retries
        if len(raw) != item.bytes or hashlib.sha256(raw).hexdigest() != item.sha256:
            raise StoreError(
                f"{item.path}: the file does not match its manifest (size or SHA-256); run verify"
            )
        try:
            snapshot, _ = decode(raw)
        except (ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as exc:
            raise StoreError(f"{item.path}: corrupt snapshot ({exc})") from exc
        if check_symbol(snapshot.underlying) != item.symbol or snapshot.as_of != item.as_of:
            raise StoreError(
                f"{item.path}: holds {snapshot.underlying} at {snapshot.as_of.isoformat()}, "
                f"the manifest says {item.symbol} at {item.as_of.isoformat()}"
            )
        return snapshot

    def read(self, item: StoredSnapshot) -> ChainSnapshot:
        """The snapshot of a listed entry (from :meth:`list`), checked against its size and
        SHA-256; StoreError when it does not match or is gone."""
        try:
            return self._read(item)
        except FileNotFoundError:
            raise StoreError(f"{item.path} is no longer in the store") from None

    def _retrying(
        self, symbol: str, pick: Callable[[str, list[tuple[date, Path]]], StoredSnapshot | None]
    ) -> ChainSnapshot | None:
        for _ in range(_READ_ATTEMPTS):
            sym, parts = self._require(symbol)
            item = pick(sym, parts)
            if item is None:
                return None
            try:
                return self._read(item)
            except FileNotFoundError:
                continue  # a writer replaced it between the manifest and the file: look again
        raise StoreError(f"{symbol}: the snapshot kept changing while being read")

    def find(self, symbol: str, as_of: datetime | None = None) -> StoredSnapshot:
        """The listing (summary included) of the snapshot :meth:`snapshot` would return,
        without reading its chain."""
        target = _aware(as_of)
        sym, parts = self._require(symbol)
        item = self._at_or_before(sym, parts, target)
        if item is None:
            raise self._no_history(sym, parts, target)
        return item

    def _no_history(
        self, symbol: str, parts: list[tuple[date, Path]], as_of: datetime | None
    ) -> DataSourceError:
        first = self._first(symbol, parts)
        if first is None or as_of is None:
            return SymbolNotFoundError(self.name, f"no snapshots of {symbol} in {self.root}")
        return NoHistoryError(
            self.name,
            f"no snapshot of {symbol} at or before {as_of.isoformat()}; the first stored "
            f"is at {first.isoformat()}",
        )

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        """The latest stored snapshot of ``symbol`` at or before ``as_of`` (tz-aware; default:
        the latest of all). SymbolNotFoundError for a symbol never stored, NoHistoryError
        before its first snapshot (the message names the first stored instant)."""
        target = _aware(as_of)
        found = self._retrying(symbol, lambda s, p: self._at_or_before(s, p, target))
        if found is None:
            sym, parts = self._require(symbol)
            raise self._no_history(sym, parts, target)
        return found

    def quarantine(self, symbol: str, as_of: datetime | None = None) -> pl.DataFrame:
        """The validator's quarantine of :meth:`snapshot` (re-derived: see ``records``)."""
        from engine.chain import validate

        return validate(self.snapshot(symbol, as_of)).quarantine

    def prior_session(self, symbol: str, as_of: datetime) -> ChainSnapshot | None:
        """The last stored snapshot of the session before the New York session of ``as_of``
        (``calendar.session_of``: a weekend or holiday instant belongs to the session before
        it); None when the store has nothing from that session."""
        target = _aware(as_of)
        if target is None:
            raise StoreError("prior_session needs an as_of")
        current = session_of(target)
        previous = session_before(current)
        if previous is None:
            return None

        def pick(sym: str, parts: list[tuple[date, Path]]) -> StoredSnapshot | None:
            for day, folder in reversed(parts):
                if previous <= day < current:
                    entries = self._entries(sym, day, folder)
                    if entries:
                        return _listed(sym, day, folder, entries[-1])
                elif day < previous:
                    break
            return None

        return self._retrying(symbol, pick)

    def history(
        self,
        symbol: str,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
    ) -> pl.DataFrame:
        """The summary rows of ``symbol`` with ``start <= as_of <= end``, oldest first
        (newest last), in :data:`~data_adapters.store.HISTORY_SCHEMA`. A ``date`` bound is a
        whole New York day. Read from the manifests alone: no chain is opened."""
        lo_day, lo = _bound(start, "start")
        hi_day, hi = _bound(end, "end")
        sym, parts = self._require(symbol)
        rows = []
        for day, folder in parts:
            if (lo_day is not None and day < lo_day) or (hi_day is not None and day > hi_day):
                continue
            for e in self._entries(sym, day, folder):
                if (lo is None or e.as_of >= lo) and (hi is None or e.as_of <= hi):
                    rows.append(summary_row(sym, e.as_of, day, decode_summary(e.summary)))
        return pl.DataFrame(rows, schema=HISTORY_SCHEMA)

    def list(self, symbol: str | None = None) -> builtins.list[StoredSnapshot]:
        """Every listed snapshot (of ``symbol``, or of all symbols), by symbol then as_of."""
        symbols = [check_symbol(symbol)] if symbol is not None else self.symbols()
        out = []
        for sym in symbols:
            for day, folder in self._partitions(sym):
                out += [_listed(sym, day, folder, e) for e in self._entries(sym, day, folder)]
        return out

    # -- trade tapes -----------------------------------------------------------------------
    def _tape_at(self, symbol: str, day: date) -> StoredTape | None:
        folder = self.root / symbol_dir(symbol) / partition_dir(day)
        _, tape = read_partition(folder / MANIFEST_FILE, symbol, day) or ([], None)
        return None if tape is None else _listed_tape(symbol, day, folder, tape)

    def tapes(self, symbol: str | None = None) -> builtins.list[StoredTape]:
        """Every stored trade tape (of ``symbol``, or of all symbols), by symbol then day."""
        symbols = [check_symbol(symbol)] if symbol is not None else self.symbols()
        out = []
        for sym in symbols:
            for day, _ in self._partitions(sym):
                found = self._tape_at(sym, day)
                if found is not None:
                    out.append(found)
        return out

    def read_trades(self, item: StoredTape) -> pl.DataFrame:
        """The trades of a listed tape (from :meth:`tapes`), checked against its size and
        SHA-256; StoreError when it does not match, is corrupt or is gone."""
        try:
            return self._read_tape(item)
        except FileNotFoundError:
            raise StoreError(f"{item.path} is no longer in the store") from None

    def _read_tape(self, item: StoredTape) -> pl.DataFrame:
        from data_adapters.store.tapes import decode_tape

        raw = item.path.read_bytes()  # FileNotFoundError: replaced meanwhile
        if len(raw) != item.bytes or hashlib.sha256(raw).hexdigest() != item.sha256:
            raise StoreError(
                f"{item.path}: the file does not match its manifest (size or SHA-256); run verify"
            )
        try:
            frame, symbol, day = decode_tape(raw)
        except (ValueError, KeyError, TypeError, OSError, pl.exceptions.PolarsError) as exc:
            raise StoreError(f"{item.path}: corrupt trade tape ({exc})") from exc
        if symbol != item.symbol or day != item.day:
            raise StoreError(
                f"{item.path}: holds the trades of {symbol} on {day}, the manifest says "
                f"{item.symbol} on {item.day}"
            )
        return frame

    def trades(self, symbol: str, day: date, until: datetime | None = None) -> pl.DataFrame:
        """The stored trade tape of ``symbol`` on ``day`` (New York date) in
        ``TRADES_SCHEMA``, sorted by timestamp; ``until`` (tz-aware) keeps the trades at or
        before it. A stored empty tape (a day without trades) is an empty frame.
        SymbolNotFoundError for a symbol never stored; NoHistoryError for a day without a
        stored tape (the message names the stored days around it), never an empty frame
        that would pass for a day without trades."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise StoreError(f"day must be a date (New York), not {day!r}")
        stop = _aware(until, "until")
        for _ in range(_READ_ATTEMPTS):
            sym, parts = self._require(symbol)
            item = self._tape_at(sym, day)
            if item is None:
                raise self._no_tape(sym, parts, day)
            try:
                frame = self._read_tape(item)
            except FileNotFoundError:
                continue  # a writer replaced it between the manifest and the file
            if stop is None:
                return frame
            cut = frame["timestamp"].search_sorted(stop, side="right")
            return frame.slice(0, int(cut))
        raise StoreError(f"{symbol}: the trade tape of {day} kept changing while being read")

    def _no_tape(self, symbol: str, parts: list[tuple[date, Path]], day: date) -> NoHistoryError:
        days = [d for d, _ in parts if self._tape_at(symbol, d) is not None]
        if not days:
            where = "no trade tape is stored for it"
        else:
            before = [d for d in days if d < day]
            after = [d for d in days if d > day]
            near = [f"the last before is {before[-1]}"] if before else []
            near += [f"the first after is {after[0]}"] if after else []
            where = f"{len(days)} day(s) with a stored tape; " + ", ".join(near)
        return NoHistoryError(
            self.name, f"no trade tape of {symbol} on {day} in the store {self.root} ({where})"
        )

    def verify(self) -> VerifyReport:
        """Read every listed file and check it against its manifest (see ``verify``)."""
        from data_adapters.store.verify import verify

        return verify(self)

    def writer(
        self,
        timeout: float = 0.0,
        *,
        poll: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> StoreWriter:
        """Open the one writer (see :class:`data_adapters.store.writer.StoreWriter`)."""
        from data_adapters.store.writer import StoreWriter

        return StoreWriter(self, timeout, poll=poll, clock=clock, sleep=sleep)


def _listed_tape(symbol: str, day: date, folder: Path, tape: TapeEntry) -> StoredTape:
    return StoredTape(
        symbol=symbol,
        day=day,
        path=folder / tape.file,
        rows=tape.rows,
        bytes=tape.bytes,
        sha256=tape.sha256,
        until=tape.until,
    )


def _bound(value: datetime | date | None, name: str) -> tuple[date | None, datetime | None]:
    """(New York day, instant) limits of a history bound."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        instant = _aware(value, name)
        assert instant is not None
        return new_york_date(instant), instant
    if isinstance(value, date):
        return value, None
    raise StoreError(f"{name} must be a datetime or a date, not {value!r}")
