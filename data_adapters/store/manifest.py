"""Manifests: what a partition lists, and the store's format marker.

A partition's ``_manifest.json`` (compact JSON, sorted keys, one trailing newline)::

    {"date": "2026-11-20", "schema": 1, "symbol": "SPX",
     "snapshots": [
        {"as_of": "2026-11-20T21:00:00.000000+00:00",
         "bytes": 912345, "file": "2026-11-20T21-00-00Z.0123456789abcdef.parquet",
         "rows": 22035, "sha256": "0123...(64 hex)",
         "summary": {"call_wall": 5900.0, "contracts": 22035, "contracts_used": 21990, ...}}
     ]}

``snapshots`` are sorted by ``as_of`` and unique in it. A partition that holds the day's
trade tape lists it under the optional key ``trades`` (absent otherwise, so a manifest
without a tape is byte for byte what earlier versions wrote, and they ignore the key)::

    "trades": {"bytes": 81234, "file": "trades.0123456789abcdef.parquet", "rows": 5120,
               "sha256": "0123...(64 hex)", "until": "2026-11-20T19:00:00.000000+00:00"}

``until`` is the instant up to which the tape is complete (``null``: the whole day). A
manifest is written only after
every file it lists is in place (each synced and renamed), and is itself replaced
atomically, so whatever a reader finds listed is whole. ``_store.json`` is
``{"format": "gex-engine-store", "schema": 1}``; a store without it has never been written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from data_adapters.store.errors import StoreError
from data_adapters.store.records import SCHEMA_VERSION, decode_summary

__all__ = [
    "FORMAT",
    "Entry",
    "TapeEntry",
    "encode_manifest",
    "parse_manifest",
    "parse_partition",
    "read_manifest",
    "read_partition",
]

FORMAT: Final = "gex-engine-store"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed snapshot of a partition. ``summary`` is the JSON-ready summary."""

    as_of: datetime
    file: str
    rows: int
    bytes: int
    sha256: str
    summary: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.astimezone(UTC).isoformat(timespec="microseconds"),
            "file": self.file,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "summary": self.summary,
        }

    @classmethod
    def from_json(cls, fields: object) -> Entry:
        if not isinstance(fields, dict):
            raise ValueError("an entry must be a JSON object")
        as_of = datetime.fromisoformat(fields["as_of"])
        if as_of.tzinfo is None:
            raise ValueError(f"as_of {fields['as_of']!r} has no time zone")
        sha = fields["sha256"]
        name = fields["file"]
        rows, size = fields["rows"], fields["bytes"]
        if not (isinstance(sha, str) and len(sha) == 64 and set(sha) <= _HEX):
            raise ValueError(f"bad sha256 {sha!r}")
        if not isinstance(name, str) or "/" in name or name.startswith("."):
            raise ValueError(f"bad file name {name!r}")
        for value in (rows, size):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"bad count {value!r}")
        summary = fields["summary"]
        decode_summary(summary)  # checked here, kept JSON-ready
        return cls(as_of.astimezone(UTC), name, rows, size, sha, summary)


@dataclass(frozen=True, slots=True)
class TapeEntry:
    """A partition's stored trade tape: its file, row count, size, SHA-256 and ``until``
    (the instant up to which it is complete; None: the whole day)."""

    file: str
    rows: int
    bytes: int
    sha256: str
    until: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "until": None
            if self.until is None
            else self.until.astimezone(UTC).isoformat(timespec="microseconds"),
        }

    @classmethod
    def from_json(cls, fields: object) -> TapeEntry:
        if not isinstance(fields, dict):
            raise ValueError("'trades' must be a JSON object")
        sha, name = fields["sha256"], fields["file"]
        rows, size = fields["rows"], fields["bytes"]
        if not (isinstance(sha, str) and len(sha) == 64 and set(sha) <= _HEX):
            raise ValueError(f"bad sha256 {sha!r}")
        if not isinstance(name, str) or "/" in name or name.startswith("."):
            raise ValueError(f"bad file name {name!r}")
        for value in (rows, size):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"bad count {value!r}")
        raw_until = fields.get("until")
        until = None
        if raw_until is not None:
            if not isinstance(raw_until, str):
                raise ValueError(f"bad until {raw_until!r}")
            until = datetime.fromisoformat(raw_until)
            if until.tzinfo is None:
                raise ValueError(f"until {raw_until!r} has no time zone")
            until = until.astimezone(UTC)
        return cls(name, rows, size, sha, until)


def encode_manifest(
    symbol: str, day: date, entries: list[Entry], tape: TapeEntry | None = None
) -> bytes:
    """The manifest bytes of a partition (entries sorted by ``as_of``; ``tape`` under
    ``trades`` when given)."""
    body: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "symbol": symbol,
        "date": day.isoformat(),
        "snapshots": [e.to_json() for e in sorted(entries, key=lambda e: e.as_of)],
    }
    if tape is not None:
        body["trades"] = tape.to_json()
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return (text + "\n").encode()


def parse_manifest(raw: bytes, symbol: str, day: date) -> list[Entry]:
    """Entries of a manifest's bytes; ValueError when malformed or not this partition's."""
    return parse_partition(raw, symbol, day)[0]


def parse_partition(raw: bytes, symbol: str, day: date) -> tuple[list[Entry], TapeEntry | None]:
    """Entries and trade tape of a manifest's bytes; ValueError when malformed or not this
    partition's."""
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise ValueError("a manifest must be a JSON object")
    if body.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"unsupported manifest schema {body.get('schema')!r}")
    if body.get("symbol") != symbol or body.get("date") != day.isoformat():
        raise ValueError(
            f"manifest of {body.get('symbol')!r} {body.get('date')!r} in the folder of "
            f"{symbol} {day}"
        )
    snapshots = body.get("snapshots")
    if not isinstance(snapshots, list):
        raise ValueError("'snapshots' must be a list")
    entries = [Entry.from_json(e) for e in snapshots]
    stamps = [e.as_of for e in entries]
    if stamps != sorted(set(stamps)):
        raise ValueError("snapshots are not sorted by as_of and unique")
    tape = body.get("trades")
    return entries, None if tape is None else TapeEntry.from_json(tape)


def read_manifest(path: Path, symbol: str, day: date) -> list[Entry] | None:
    """The entries of the manifest at ``path``; None when there is none; StoreError when
    it cannot be read."""
    found = read_partition(path, symbol, day)
    return None if found is None else found[0]


def read_partition(
    path: Path, symbol: str, day: date
) -> tuple[list[Entry], TapeEntry | None] | None:
    """The entries and trade tape of the manifest at ``path``; None when there is none;
    StoreError when it cannot be read."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    try:
        return parse_partition(raw, symbol, day)
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: corrupt manifest ({exc})") from exc
