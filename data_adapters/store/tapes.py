"""Trade tapes in the store: a partition's day of trades as one Parquet file.

A tape file holds a frame of :data:`data_adapters.base.TRADES_SCHEMA` (those columns, in
that order, with those dtypes), sorted by ``timestamp`` (stable: prints at the same
microsecond keep the source's order), no null timestamp, and the key-value metadata
``gex.trades`` = ``{"version": 1, "symbol": "SPX", "date": "2026-11-20"}``. Its name is
``trades.<sha256[:16]>.parquet`` (``layout.tape_file_name``) and the partition's manifest
lists it (``manifest.TapeEntry``). The bytes depend only on the trades, the symbol and the
date (the frame is rechunked first: how polars happened to chunk it does not show), so
storing the same tape twice is a no-op.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import polars as pl

from data_adapters.base import TRADES_SCHEMA
from data_adapters.store.errors import StoreError

__all__ = ["TAPE_KEY", "EncodedTape", "check_tape", "decode_tape", "empty_tape", "encode_tape"]

TAPE_KEY: Final = "gex.trades"
"""Parquet key-value metadata key of a tape's header."""
_VERSION: Final = 1
_SCHEMA: Final = pl.Schema(TRADES_SCHEMA)


@dataclass(frozen=True, slots=True)
class EncodedTape:
    """A tape ready to write (made by :func:`encode_tape`, possibly on a backfill worker):
    whose and which day's it is, its bytes, row count and SHA-256."""

    symbol: str
    day: date
    payload: bytes
    rows: int
    sha256: str


def empty_tape() -> pl.DataFrame:
    """A tape without trades."""
    return pl.DataFrame(schema=TRADES_SCHEMA)


def check_tape(frame: Any, what: str) -> pl.DataFrame:
    """``frame`` as a stored tape: the TRADES_SCHEMA columns in order, sorted by
    ``timestamp``; StoreError (naming ``what``) for a missing or extra column, a wrong
    dtype or a null timestamp."""
    if not isinstance(frame, pl.DataFrame):
        raise StoreError(f"{what}: a trade tape must be a polars DataFrame, not {type(frame)}")
    missing = [c for c in TRADES_SCHEMA if c not in frame.columns]
    extra = [c for c in frame.columns if c not in TRADES_SCHEMA]
    if missing or extra:
        raise StoreError(
            f"{what}: not a trade tape (TRADES_SCHEMA): missing {missing}, unexpected {extra}"
        )
    for name, want in TRADES_SCHEMA.items():
        have = frame.schema[name]
        if have != want and not (have == pl.Null and frame.height == 0):
            raise StoreError(f"{what}: column {name!r} has dtype {have}, expected {want}")
    tape = frame.select(list(TRADES_SCHEMA)).cast(TRADES_SCHEMA)  # type: ignore[arg-type]
    if tape["timestamp"].null_count():
        raise StoreError(f"{what}: {tape['timestamp'].null_count()} trade(s) without a timestamp")
    if not tape["timestamp"].is_sorted():
        tape = tape.sort("timestamp", maintain_order=True)
    return tape.rechunk()  # one chunk: the file's bytes depend on the trades alone


def encode_tape(symbol: str, day: date, frame: pl.DataFrame) -> EncodedTape:
    """The file of a checked tape (:func:`check_tape`)."""
    tape = check_tape(frame, f"the trades of {symbol} on {day}")
    header = json.dumps(
        {"version": _VERSION, "symbol": symbol, "date": day.isoformat()},
        sort_keys=True,
        separators=(",", ":"),
    )
    buf = io.BytesIO()
    tape.write_parquet(buf, metadata={TAPE_KEY: header})
    payload = buf.getvalue()
    return EncodedTape(symbol, day, payload, tape.height, hashlib.sha256(payload).hexdigest())


def decode_tape(raw: bytes) -> tuple[pl.DataFrame, str, date]:
    """(frame, symbol, date) of a tape file's bytes; ValueError (or a polars error) when it
    is not one: no header, another version, another schema, unsorted or null timestamps."""
    meta = pl.read_parquet_metadata(io.BytesIO(raw))
    if TAPE_KEY not in meta:
        raise ValueError(f"no {TAPE_KEY!r} metadata")
    header = json.loads(meta[TAPE_KEY])
    if not isinstance(header, dict) or header.get("version") != _VERSION:
        raise ValueError(f"unsupported tape header {meta[TAPE_KEY][:80]!r}")
    symbol, day = header["symbol"], date.fromisoformat(header["date"])
    frame = pl.read_parquet(io.BytesIO(raw))
    if frame.schema != _SCHEMA:
        raise ValueError(f"columns {dict(frame.schema)} are not TRADES_SCHEMA")
    if frame["timestamp"].null_count():
        raise ValueError("a trade without a timestamp")
    if not frame["timestamp"].is_sorted():
        raise ValueError("the trades are not sorted by timestamp")
    return frame, symbol, day
