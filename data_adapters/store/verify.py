"""``SnapshotStore.verify()``: read every listed file back and check it against its manifest.

A bad file is a :class:`Problem` in the report, never an exception. Checks, per listed
snapshot: the file exists; its size and SHA-256 are the manifest's; it decodes as a data
file of this schema (canonical columns, header, ``gex.store`` metadata); its header's
symbol and ``as_of`` are the entry's and its partition's; its row count is the manifest's;
its embedded summary is the manifest's; its name is the one its ``as_of`` and hash give.
Per store and partition: the marker and every manifest parse. Per listed trade tape: the
file exists; its size and SHA-256 are the manifest's; its name is the one its hash gives;
it reads as a tape (``tapes``: the ``gex.trades`` header, exactly ``TRADES_SCHEMA``,
timestamps present and sorted); its header's symbol and date are its partition's; its row
count is the manifest's.

A listed file that disappears while being checked because a writer replaced it (and the
manifest no longer lists it) is not a problem: verify() can run while a writer works.
Files that no manifest lists (a write in progress, or what a killed writer left behind
until the next writer opens) are reported in ``unlisted``: readers never see them, so they
are not problems.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from data_adapters.store.errors import StoreError
from data_adapters.store.layout import (
    JOURNAL_FILE,
    LOCK_FILE,
    MANIFEST_FILE,
    STORE_FILE,
    data_file_name,
    new_york_date,
    parse_partition_dir,
    parse_symbol_dir,
    tape_file_name,
)
from data_adapters.store.manifest import Entry, TapeEntry, read_manifest, read_partition
from data_adapters.store.records import decode, decode_summary
from data_adapters.symbols import check_symbol

if TYPE_CHECKING:
    from data_adapters.store.store import SnapshotStore

__all__ = ["Problem", "VerifyReport", "verify"]

_ROOT_FILES = frozenset({STORE_FILE, LOCK_FILE, JOURNAL_FILE})


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong: ``kind`` is a short code (``hash_mismatch``, ``missing_file`` …)."""

    path: str
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What :func:`verify` found; ``ok`` when there is no problem."""

    root: str
    snapshots: int
    bytes: int
    problems: tuple[Problem, ...]
    unlisted: tuple[str, ...]
    tapes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = (
            f"{self.root}: {self.snapshots} snapshots, {self.tapes} trade tape(s), "
            f"{self.bytes} bytes checked, "
            f"{len(self.problems)} problem(s), {len(self.unlisted)} unlisted file(s)"
        )
        return "\n".join([head, *(f"  {p.kind}: {p.path}: {p.detail}" for p in self.problems)])


def _check_entry(path: Path, symbol: str, folder_day: object, entry: Entry) -> Problem | None:
    def bad(kind: str, detail: str) -> Problem:
        return Problem(str(path), kind, detail)

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return bad("missing_file", "listed in the manifest but absent")
    except OSError as exc:
        return bad("unreadable", str(exc))
    if len(raw) != entry.bytes:
        return bad("size_mismatch", f"{len(raw)} bytes, the manifest says {entry.bytes}")
    digest = hashlib.sha256(raw).hexdigest()
    if digest != entry.sha256:
        return bad("hash_mismatch", f"SHA-256 {digest}, the manifest says {entry.sha256}")
    if path.name != data_file_name(entry.as_of, entry.sha256):
        return bad("bad_file_name", f"expected {data_file_name(entry.as_of, entry.sha256)}")
    if new_york_date(entry.as_of) != folder_day:
        return bad("wrong_partition", f"as_of {entry.as_of.isoformat()} in {folder_day}")
    try:
        snapshot, summary = decode(raw)
    except Exception as exc:  # any decoding failure is a finding, never a crash
        return bad("unreadable", f"{type(exc).__name__}: {exc}")
    try:
        underlying = check_symbol(snapshot.underlying)
    except Exception:
        underlying = repr(snapshot.underlying)
    if underlying != symbol or snapshot.as_of != entry.as_of:
        return bad(
            "header_mismatch",
            f"holds {snapshot.underlying} at {snapshot.as_of.isoformat()}, listed as {symbol} "
            f"at {entry.as_of.isoformat()}",
        )
    if snapshot.frame.height != entry.rows:
        return bad(
            "row_count_mismatch", f"{snapshot.frame.height} rows, the manifest says {entry.rows}"
        )
    if summary != decode_summary(entry.summary):
        return bad("summary_mismatch", "the embedded summary differs from the manifest's")
    return None


def _check_tape(path: Path, symbol: str, day: date, tape: TapeEntry) -> Problem | None:
    from data_adapters.store.tapes import decode_tape

    def bad(kind: str, detail: str) -> Problem:
        return Problem(str(path), kind, detail)

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return bad("missing_file", "listed in the manifest but absent")
    except OSError as exc:
        return bad("unreadable", str(exc))
    if len(raw) != tape.bytes:
        return bad("size_mismatch", f"{len(raw)} bytes, the manifest says {tape.bytes}")
    digest = hashlib.sha256(raw).hexdigest()
    if digest != tape.sha256:
        return bad("hash_mismatch", f"SHA-256 {digest}, the manifest says {tape.sha256}")
    if path.name != tape_file_name(tape.sha256):
        return bad("bad_file_name", f"expected {tape_file_name(tape.sha256)}")
    try:
        frame, held_symbol, held_day = decode_tape(raw)
    except Exception as exc:  # any decoding failure is a finding, never a crash
        return bad("unreadable", f"{type(exc).__name__}: {exc}")
    if held_symbol != symbol or held_day != day:
        return bad(
            "header_mismatch",
            f"holds the trades of {held_symbol} on {held_day}, listed as {symbol} on {day}",
        )
    if frame.height != tape.rows:
        return bad("row_count_mismatch", f"{frame.height} rows, the manifest says {tape.rows}")
    return None


def _tape_unless_replaced(
    found: Problem, folder: Path, symbol: str, day: date, file: str
) -> Problem | None:
    """A listed tape that vanished because a writer replaced it meanwhile is no problem."""
    try:
        now = read_partition(folder / MANIFEST_FILE, symbol, day)
    except StoreError:
        return found
    return found if now is not None and now[1] is not None and now[1].file == file else None


def _unless_replaced(
    found: Problem, folder: Path, symbol: str, day: date, entry: Entry
) -> Problem | None:
    """A listed file that vanished because a writer replaced it meanwhile is no problem."""
    try:
        now = read_manifest(folder / MANIFEST_FILE, symbol, day) or []
    except StoreError:
        return found
    return found if any(e.file == entry.file for e in now) else None


def _names(folder: Path, problems: list[Problem]) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError as exc:
        problems.append(Problem(str(folder), "unreadable", str(exc)))
        return []


def verify(store: SnapshotStore) -> VerifyReport:
    """Check every listed snapshot of ``store`` (module docstring)."""
    root = store.root
    problems: list[Problem] = []
    unlisted: list[str] = []
    count = size = tapes = 0

    def report() -> VerifyReport:
        return VerifyReport(str(root), count, size, tuple(problems), tuple(sorted(unlisted)), tapes)

    try:
        names = sorted(os.listdir(root))
    except FileNotFoundError:
        return report()
    except OSError as exc:
        problems.append(Problem(str(root), "unreadable", str(exc)))
        return report()
    try:
        opened = store.exists()
    except StoreError as exc:
        problems.append(Problem(str(root / STORE_FILE), "bad_store_file", exc.message))
        return report()
    symbol_dirs = []
    for name in names:
        path = root / name
        symbol = parse_symbol_dir(name)
        if symbol is not None and path.is_dir():
            symbol_dirs.append((symbol, path))
        elif name not in _ROOT_FILES:
            unlisted.append(str(path))
    if symbol_dirs and not opened:
        problems.append(Problem(str(root / STORE_FILE), "bad_store_file", "missing"))
    for symbol, sym_path in symbol_dirs:
        for part_name in sorted(_names(sym_path, problems)):
            folder = sym_path / part_name
            day = parse_partition_dir(part_name)
            if day is None or not folder.is_dir():
                unlisted.append(str(folder))
                continue
            try:
                entries, tape = read_partition(folder / MANIFEST_FILE, symbol, day) or (None, None)
            except StoreError as exc:
                problems.append(Problem(str(folder / MANIFEST_FILE), "bad_manifest", exc.message))
                entries, tape = None, None
            listed = set()
            if tape is not None:
                listed.add(tape.file)
                tapes += 1
                size += tape.bytes
                try:
                    found = _check_tape(folder / tape.file, symbol, day, tape)
                except Exception as exc:  # never an exception for a bad file
                    found = Problem(str(folder / tape.file), "unreadable", repr(exc))
                if found is not None and found.kind == "missing_file":
                    found = _tape_unless_replaced(found, folder, symbol, day, tape.file)
                if found is not None:
                    problems.append(found)
            for entry in entries or []:
                listed.add(entry.file)
                count += 1
                size += entry.bytes
                try:
                    found = _check_entry(folder / entry.file, symbol, day, entry)
                except Exception as exc:  # never an exception for a bad file
                    found = Problem(str(folder / entry.file), "unreadable", repr(exc))
                if found is not None and found.kind == "missing_file":
                    found = _unless_replaced(found, folder, symbol, day, entry)
                if found is not None:
                    problems.append(found)
            unlisted += [
                str(folder / name)
                for name in sorted(_names(folder, problems))
                if name != MANIFEST_FILE and name not in listed
            ]
    return report()
