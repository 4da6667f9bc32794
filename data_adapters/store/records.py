"""One stored snapshot as bytes: the chain, its header, and its computed summary row.

A data file is one Parquet file, written exactly as the ``files`` source writes one (the
canonical frame, lossless; the header as JSON under the key-value metadata key
``gex.snapshot``, ``fetched_at`` included) plus a second metadata key ``gex.store`` holding
``{"schema": 1, "summary": {...}}``: the summary row of the snapshot, computed once at
ingest with ``engine.analyze`` (``native`` preset, default options).

The quarantine is not stored: it is re-derived, losslessly, by
``engine.chain.validate(snapshot)``. The validator is a pure function of the header and the
frame (it reads no clock; "expired" is judged against the stored ``as_of``), and both are
stored bit for bit, so the re-derived quarantine is exactly the one the summary was
computed from. Storing it would copy every quarantined row a second time. The summary keeps
its counts (``quarantine``: reason -> rows), so a later validator that judged differently
would be visible by comparing them with a fresh ``validate``.

A summary is JSON with exact floats (``repr`` round trip); a non-finite float is written as
the string ``"nan"``, ``"inf"`` or ``"-inf"``. When the analysis fails on purpose (a chain
with no usable contract: an ``engine.errors.GexError``) the snapshot is still stored, with
``status`` ``"<ErrorName>: <message>"`` and null numbers.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

import polars as pl
from polars._typing import PolarsDataType

from data_adapters.files import HEADER_KEY, _canonical, _from_header, _header
from data_adapters.store.errors import StoreError
from data_adapters.symbols import check_symbol
from engine.chain import SCHEMA, ChainSnapshot
from engine.exposure.metrics import METRICS

__all__ = [
    "HISTORY_SCHEMA",
    "SCHEMA_VERSION",
    "STORE_KEY",
    "SUMMARY_FLOATS",
    "StoredRecord",
    "decode",
    "decode_summary",
    "encode_summary",
    "make_record",
    "summarize",
    "summary_row",
]

SCHEMA_VERSION: Final = 1
"""Version of the store's layout, manifests and ``gex.store`` metadata."""
STORE_KEY: Final = "gex.store"
"""Parquet key-value metadata key of the store's own JSON (schema version and summary)."""
PRESET: Final = "native"

STORED_METRICS: Final = tuple(m.net for m in METRICS if m.wire)
"""The net exposures a summary row keeps: the vendor API's four (``net_gex`` … ``net_chex``).
The store's schema version 1 fixes them; the extra metrics are recomputed from the chain."""

SUMMARY_FLOATS: Final = (
    "spot",
    *STORED_METRICS,
    "gamma_flip",
    "call_wall",
    "put_wall",
)
_SUMMARY_INTS: Final = ("contracts", "contracts_used", "quarantined")
_SUMMARY_TEXT: Final = ("status", "preset", "source", "regime", "gamma_flip_status")

_HISTORY_COLUMNS: dict[str, PolarsDataType] = {
    "symbol": pl.String,
    "as_of": pl.Datetime("us", "UTC"),
    "date": pl.Date,
    "fetched_at": pl.Datetime("us", "UTC"),
    "source": pl.String,
    "spot": pl.Float64,
    **dict.fromkeys(STORED_METRICS, pl.Float64),
    "gamma_flip": pl.Float64,
    "gamma_flip_status": pl.String,
    "call_wall": pl.Float64,
    "put_wall": pl.Float64,
    "regime": pl.String,
    "contracts": pl.Int64,
    "contracts_used": pl.Int64,
    "quarantined": pl.Int64,
    "status": pl.String,
}
HISTORY_SCHEMA: Final = pl.Schema(_HISTORY_COLUMNS)
"""Columns of ``SnapshotStore.history``: one row per stored snapshot, oldest first. ``date``
is the New York date of ``as_of`` (the partition); ``status`` is ``"ok"`` or the analysis
error."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A snapshot ready to be written: the exact file bytes and what the manifest lists.

    Built by :func:`make_record` wherever the snapshot is computed (a backfill worker on
    another machine included) and written, unchanged, by the one writer.
    """

    symbol: str
    as_of: datetime
    payload: bytes = field(repr=False)
    rows: int
    sha256: str
    summary: Mapping[str, Any]


def _float(value: object) -> float | str | None:
    if value is None:
        return None
    x = float(value)  # type: ignore[arg-type]
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _unfloat(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in ("nan", "inf", "-inf"):
            raise ValueError(f"not a stored float: {value!r}")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a stored float: {value!r}")
    return float(value)


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")


def summarize(snapshot: ChainSnapshot) -> dict[str, Any]:
    """The summary row of ``snapshot``: ``engine.analyze`` (native preset, default options)
    plus the validator's quarantine counts; JSON-ready (see the module docstring)."""
    from engine.analysis.single import analyze  # deferred: the engine's kernels load here
    from engine.chain import validate
    from engine.errors import GexError

    out: dict[str, Any] = {
        "status": "ok",
        "preset": PRESET,
        "source": snapshot.source,
        "fetched_at": _instant(snapshot.fetched_at),
        "spot": _float(snapshot.spot),
        "contracts": snapshot.frame.height,
        "contracts_used": None,
        "quarantined": None,
        "quarantine": None,
        "regime": None,
        "gamma_flip_status": None,
        **dict.fromkeys(SUMMARY_FLOATS[1:]),
    }
    try:
        a = analyze(snapshot, PRESET)
    except GexError as exc:
        out["status"] = f"{type(exc).__name__}: {exc}"
        try:
            validated = validate(snapshot)
        except GexError:
            return out  # not even a quarantine: the chain is unusable as a whole
    else:
        validated = a.priced.validated  # the validation the analysis ran on
    out["quarantined"] = validated.quarantine.height
    out["quarantine"] = dict(validated.excluded)
    if out["status"] != "ok":
        return out
    out.update(
        {
            "spot": _float(a.underlying_price),
            **{name: _float(a.exposures[name]) for name in STORED_METRICS},
            "gamma_flip": _float(a.gamma_flip),
            "gamma_flip_status": a.gamma_flip_status,
            "call_wall": _float(a.levels.call_wall),
            "put_wall": _float(a.levels.put_wall),
            "regime": a.regime,
            "contracts_used": int(a.data_quality["contracts_used"]),  # type: ignore[call-overload]
        }
    )
    return out


def encode_summary(summary: Mapping[str, Any]) -> str:
    """Canonical JSON of a summary (sorted keys, exact floats): the same bytes everywhere."""
    return json.dumps(dict(summary), sort_keys=True, separators=(",", ":"), allow_nan=False)


def decode_summary(fields: object) -> dict[str, Any]:
    """A summary read back from JSON, checked; ValueError when malformed."""
    if not isinstance(fields, dict):
        raise ValueError("a summary must be a JSON object")
    out = dict(fields)
    for name in SUMMARY_FLOATS:
        out[name] = _unfloat(out.get(name))
    for name in _SUMMARY_INTS:
        value = out.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"summary field {name!r} is not an integer: {value!r}")
    for name in _SUMMARY_TEXT:
        value = out.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"summary field {name!r} is not text: {value!r}")
    if not isinstance(out.get("status"), str):
        raise ValueError("a summary needs a status")
    fetched = out.get("fetched_at")
    out["fetched_at"] = None if fetched is None else datetime.fromisoformat(fetched)
    quarantine = out.get("quarantine")
    if quarantine is not None and not (
        isinstance(quarantine, dict) and all(isinstance(v, int) for v in quarantine.values())
    ):
        raise ValueError(f"summary field 'quarantine' is malformed: {quarantine!r}")
    return out


def make_record(snapshot: ChainSnapshot) -> StoredRecord:
    """Encode ``snapshot`` and its summary into the exact bytes of its data file."""
    for name in ("as_of", "fetched_at"):
        stamp = getattr(snapshot, name)
        if stamp is not None and (
            not isinstance(stamp, datetime) or stamp.tzinfo is None or stamp.utcoffset() is None
        ):
            raise StoreError(f"{snapshot.underlying}: {name} must be a timezone-aware datetime")
    symbol = check_symbol(snapshot.underlying)
    frame = _canonical(snapshot.frame)
    header = _header(snapshot)
    summary = summarize(snapshot)
    meta = json.dumps(
        {"schema": SCHEMA_VERSION, "summary": summary},
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )
    buf = io.BytesIO()
    frame.write_parquet(buf, metadata={HEADER_KEY: header, STORE_KEY: meta})
    payload = buf.getvalue()
    return StoredRecord(
        symbol=symbol,
        as_of=snapshot.as_of.astimezone(UTC),
        payload=payload,
        rows=frame.height,
        sha256=hashlib.sha256(payload).hexdigest(),
        summary=summary,
    )


def decode(payload: bytes) -> tuple[ChainSnapshot, dict[str, Any]]:
    """The snapshot and the decoded summary of a data file's bytes; ValueError (or a polars
    error) when they are not a data file of this schema."""
    meta = pl.read_parquet_metadata(io.BytesIO(payload))
    if HEADER_KEY not in meta or STORE_KEY not in meta:
        raise ValueError(f"no {HEADER_KEY!r} or {STORE_KEY!r} metadata")
    store = json.loads(meta[STORE_KEY])
    if not isinstance(store, dict) or store.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"unsupported {STORE_KEY!r} metadata {meta[STORE_KEY][:80]!r}")
    frame = pl.read_parquet(io.BytesIO(payload))
    if frame.schema != pl.Schema(dict(SCHEMA)):
        raise ValueError(f"columns {dict(frame.schema)} are not the canonical schema")
    return _from_header(meta[HEADER_KEY], frame), decode_summary(store.get("summary"))


def summary_row(
    symbol: str, as_of: datetime, day: date, summary: Mapping[str, Any]
) -> dict[str, Any]:
    """One row of :data:`HISTORY_SCHEMA`."""
    row = {name: summary.get(name) for name in HISTORY_SCHEMA.names()}
    row.update(symbol=symbol, as_of=as_of, date=day)
    return row
