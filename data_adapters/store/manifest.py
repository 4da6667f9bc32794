"""Manifests: what a partition lists, and the store's format marker.

A partition's ``_manifest.json`` (compact JSON, sorted keys, one trailing newline)::

    {"date": "2026-11-20", "schema": 1, "symbol": "SPX",
     "snapshots": [
        {"as_of": "2026-11-20T21:00:00.000000+00:00",
         "bytes": 912345, "file": "2026-11-20T21-00-00Z.0123456789abcdef.parquet",
         "rows": 22035, "sha256": "0123...(64 hex)",
         "summary": {"call_wall": 5900.0, "contracts": 22035, "contracts_used": 21990, ...}}
     ]}

``snapshots`` are sorted by ``as_of`` and unique in it. A manifest is written only after
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

__all__ = ["FORMAT", "Entry", "encode_manifest", "parse_manifest", "read_manifest"]

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


def encode_manifest(symbol: str, day: date, entries: list[Entry]) -> bytes:
    """The manifest bytes of a partition (entries sorted by ``as_of``)."""
    body = {
        "schema": SCHEMA_VERSION,
        "symbol": symbol,
        "date": day.isoformat(),
        "snapshots": [e.to_json() for e in sorted(entries, key=lambda e: e.as_of)],
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return (text + "\n").encode()


def parse_manifest(raw: bytes, symbol: str, day: date) -> list[Entry]:
    """Entries of a manifest's bytes; ValueError when malformed or not this partition's."""
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
    return entries


def read_manifest(path: Path, symbol: str, day: date) -> list[Entry] | None:
    """The entries of the manifest at ``path``; None when there is none; StoreError when
    it cannot be read."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    try:
        return parse_manifest(raw, symbol, day)
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: corrupt manifest ({exc})") from exc
