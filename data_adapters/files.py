"""``files``: canonical chain snapshots kept as Parquet or CSV files, with their history.

Layout, one directory per symbol under the root, one file per snapshot::

    <root>/SPX/2024-01-05T21-00-00Z.parquet
    <root>/SPX/2024-01-05T21-00-00.250000Z.csv      (microseconds only when non-zero)
    <root>/ES%3DF/2024-01-05T21-00-00Z.parquet

The file name is the snapshot's ``as_of`` in UTC. Directory names are
:func:`data_adapters.symbols.folder_name` of the symbol: the upper-case symbol with
everything but ``A-Z 0-9 . _ -`` percent-encoded (``BRK/B`` -> ``BRK%2FB``, ``ES=F`` ->
``ES%3DF``); a symbol outside the grammar of :mod:`data_adapters.symbols` is an
:class:`InvalidSymbolError` before the disk is touched. Stores written before kept ``=``
and ``^`` as they are (``ES=F``): such folders are still read, together with the new one,
and new snapshots go to the new one. Files whose names do not match are ignored.

A write goes through a temporary ``.<name>.<pid>@<host>.<random>.tmp`` file. One left
behind by a killed writer is never listed, and is deleted the next time its folder is opened
(read, listed or written) when its writer is gone: a process of this host that no longer
exists, or any such file older than an hour (other hosts, older names).

The header (``underlying``, ``as_of``, ``spot``, ``source``, ``rate``, ``div_yield`` and,
when the snapshot has them, ``fetched_at`` and ``warnings``) is stored as JSON with
``"version": 1``: in
Parquet under the key-value metadata key ``gex.snapshot``; in CSV as the first line,
``#gex-snapshot <json>``, followed by an ordinary CSV of the canonical columns. ``as_of`` (the
quote time) and ``fetched_at`` (the download or fetch time, absent when the snapshot has
none) are stored as UTC instants to the microsecond and read back as UTC datetimes; a
stored instant without a UTC offset is a corrupt header (a :class:`DataSourceError`), never
read in the machine's local time. Numbers keep their exact value. ``fetched_at`` and
``warnings`` are optional keys of version 1: headers written before them read with
``fetched_at=None`` and no warnings, and older readers ignore them. A round trip is lossless:
every header field, every column, dtype and value, NaN distinct from null, empty string
distinct from null. Rows a source set aside (``ChainSnapshot.set_aside``) are not stored: a
store keeps the chain a source delivered, and the set-aside rows were counted when it was.

Trades (``trades(symbol, day, until=None)``), one file per symbol and New York day, in
``TRADES_SCHEMA`` (``contract, timestamp, price, size, condition, bid, ask``)::

    <root>/SPX/trades/2024-01-05.parquet
    <root>/SPX/trades/2024-01-05.csv        (Parquet wins when both exist)

Parquet: exactly those columns (in any order); lossless widenings (``Int32`` sizes,
``Float32`` prices, timestamps of another unit or zone) are applied, a naive timestamp is
an error. CSV: a header line with those column names; each ``timestamp`` is an ISO instant
with its offset (``2024-01-05T14:30:00.250000Z``, ``...-05:00``). The tape is returned
sorted by timestamp, cut at ``until``. A file that does not fit is an
:class:`UpstreamInvalidError` naming the file; a symbol without a folder is
:class:`SymbolNotFoundError`, a day without a file :class:`NoHistoryError`.

Settings: ``root`` (default ``$XDG_DATA_HOME/gex/snapshots``, else
``~/.local/share/gex/snapshots``) and ``format`` (``parquet`` or ``csv``, the default of
:meth:`FilesSource.write`; default ``parquet``).

``snapshot(symbol, as_of=None)`` returns the latest snapshot at or before ``as_of`` (the
latest of all without it); Parquet wins over CSV at the same instant. Writes are atomic: the
file is written and synced under a temporary name, then renamed into place, so a reader
never sees half a file and a failed write leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, unquote

import polars as pl

from data_adapters.base import TRADES_SCHEMA
from data_adapters.errors import (
    DataSourceError,
    InvalidSymbolError,
    NoHistoryError,
    SourceConfigError,
    SymbolNotFoundError,
    UpstreamInvalidError,
)
from data_adapters.settings import Settings
from data_adapters.symbols import check_symbol, folder_name
from engine.chain import SCHEMA, ChainSnapshot
from engine.errors import SchemaError

__all__ = [
    "FORMATS",
    "HEADER_KEY",
    "SETTING_KEYS",
    "FilesSource",
    "create",
    "default_root",
]

FORMATS: Final = ("parquet", "csv")
HEADER_KEY: Final = "gex.snapshot"
"""Parquet key-value metadata key holding the JSON header."""
CSV_MARKER: Final = "#gex-snapshot "
"""Prefix of the first line of a CSV snapshot (followed by the JSON header)."""
VERSION: Final = 1

_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(?:\.(\d{6}))?Z\.(parquet|csv)$")
_LEGACY_SAFE = "._-=^"
_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32)
_TMP = re.compile(r"^\..+\.(?P<pid>\d+)(?:@(?P<host>[A-Za-z0-9_-]*))?\.[0-9a-f]{32}\.tmp$")
STALE_TMP_SECONDS: Final = 3600.0
"""A temporary file this old is deleted whoever wrote it (module docstring)."""


def default_root() -> Path:
    """``$XDG_DATA_HOME/gex/snapshots``, or ``~/.local/share/gex/snapshots``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "gex" / "snapshots"


def _dir_names(symbol: str) -> tuple[str, ...]:
    """The folder of ``symbol`` (:func:`folder_name`), then its name in stores written
    before (``=`` and ``^`` unencoded) when that differs; InvalidSymbolError first."""
    name = folder_name(symbol)
    legacy = quote(check_symbol(symbol), safe=_LEGACY_SAFE)
    return (name,) if legacy == name else (name, legacy)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", socket.gethostname())[:40]


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (POSIX; elsewhere: assume it does)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _stale(path: Path, now: float) -> bool:
    """A temporary file whose writer is gone (module docstring)."""
    m = _TMP.match(path.name)
    if m is None:
        return False
    try:
        age = now - path.stat().st_mtime
    except OSError:
        return False
    if age > STALE_TMP_SECONDS:
        return True
    pid = int(m.group("pid"))
    mine = m.group("host") is not None and m.group("host") == _host()
    return mine and pid != os.getpid() and not _alive(pid)


def _clean(folder: Path) -> None:
    """Delete the stale temporary files of ``folder`` (never raises)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            if path.name.endswith(".tmp") and _stale(path, now):
                with contextlib.suppress(OSError):
                    path.unlink()


def _file_name(as_of: datetime, fmt: str) -> str:
    t = as_of.astimezone(UTC)
    micro = f".{t.microsecond:06d}" if t.microsecond else ""
    return f"{t:%Y-%m-%dT%H-%M-%S}{micro}Z.{fmt}"


def _parse_name(name: str) -> tuple[datetime, str] | None:
    m = _NAME.match(name)
    if m is None:
        return None
    day, hh, mm, ss, micro, fmt = m.groups()
    try:
        stamp = datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss}.{micro or '000000'}+00:00")
    except ValueError:
        return None
    return stamp, fmt


def _aware(value: object) -> bool:
    return (
        isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None
    )


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _header(snapshot: ChainSnapshot) -> str:
    as_of, fetched_at = snapshot.as_of, snapshot.fetched_at
    if not _aware(as_of):
        raise DataSourceError("files", f"{snapshot.underlying}: as_of must be timezone-aware")
    if fetched_at is not None and not _aware(fetched_at):
        raise DataSourceError("files", f"{snapshot.underlying}: fetched_at must be timezone-aware")
    fields: dict[str, Any] = {
        "version": VERSION,
        "underlying": snapshot.underlying,
        "as_of": _instant(as_of),
        "spot": snapshot.spot,
        "source": snapshot.source,
        "rate": snapshot.rate,
        "div_yield": snapshot.div_yield,
    }
    if fetched_at is not None:
        fields["fetched_at"] = _instant(fetched_at)
    if snapshot.warnings:
        fields["warnings"] = list(snapshot.warnings)
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=True)


def _stored_instant(fields: dict[str, Any], key: str) -> datetime:
    """A stored instant, which must carry its UTC offset (never read as local time)."""
    text = fields[key]
    if not isinstance(text, str):
        raise ValueError(f"{key} is not an ISO instant: {text!r}")
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError(f"{key} {text!r} has no UTC offset")
    return stamp.astimezone(UTC)


def _from_header(text: str, frame: pl.DataFrame) -> ChainSnapshot:
    fields = json.loads(text)
    if not isinstance(fields, dict) or fields.get("version") != VERSION:
        raise ValueError(f"unsupported header {text[:80]!r}")
    warnings = fields.get("warnings", [])  # optional, like fetched_at
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise ValueError("warnings is not a list of strings")
    return ChainSnapshot(
        underlying=fields["underlying"],
        as_of=_stored_instant(fields, "as_of"),
        spot=fields["spot"],
        source=fields["source"],
        frame=frame,
        rate=fields["rate"],
        div_yield=fields["div_yield"],
        fetched_at=None
        if fields.get("fetched_at") is None
        else _stored_instant(fields, "fetched_at"),
        warnings=tuple(warnings),
    )


def _canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """The canonical columns in canonical order; lossless widenings applied, else SchemaError."""
    if not isinstance(frame, pl.DataFrame):
        raise SchemaError("snapshot.frame must be a polars DataFrame")
    missing = [c for c in SCHEMA if c not in frame.columns]
    extra = [c for c in frame.columns if c not in SCHEMA]
    if missing or extra:
        raise SchemaError(f"not a canonical chain frame: missing {missing}, unexpected {extra}")
    casts = []
    for name, want in SCHEMA.items():
        have = frame.schema[name]
        if have == want:
            continue
        lossless = (
            (want == pl.Int64 and isinstance(have, _INTEGERS))
            or (want == pl.Float64 and have == pl.Float32)
            or have == pl.Null
        )
        if not lossless:
            raise SchemaError(f"column {name!r} has dtype {have}, expected {want}")
        casts.append(pl.col(name).cast(want))
    return frame.with_columns(casts).select(list(SCHEMA))


def _write_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a synced temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}@{_host()}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError, AttributeError):  # directory sync: POSIX only
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _encode(snapshot: ChainSnapshot, fmt: str) -> bytes:
    frame = _canonical(snapshot.frame)
    header = _header(snapshot)
    buf = io.BytesIO()
    if fmt == "parquet":
        frame.write_parquet(buf, metadata={HEADER_KEY: header})
    else:
        buf.write(f"{CSV_MARKER}{header}\n".encode())
        frame.write_csv(buf, quote_style="necessary")
    return buf.getvalue()


def _decode(path: Path, fmt: str) -> ChainSnapshot:
    if fmt == "parquet":
        meta = pl.read_parquet_metadata(path)
        if HEADER_KEY not in meta:
            raise ValueError(f"no {HEADER_KEY!r} metadata")
        frame = pl.read_parquet(path)
        header = meta[HEADER_KEY]
    else:
        raw = path.read_bytes()
        first, _, body = raw.partition(b"\n")
        if not first.startswith(CSV_MARKER.encode()):
            raise ValueError(f"the first line does not start with {CSV_MARKER!r}")
        header = first[len(CSV_MARKER) :].decode()
        frame = pl.read_csv(io.BytesIO(body), schema_overrides=dict(SCHEMA))
    if frame.schema != pl.Schema(dict(SCHEMA)):
        raise ValueError(f"columns {dict(frame.schema)} are not the canonical schema")
    return _from_header(header, frame)


TRADES_DIR: Final = "trades"
"""The folder of a symbol's trade tapes (module docstring)."""
_OFFSET = r"(Z|z|[+-]\d{2}(:?\d{2})?)$"


def _trades_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A tape in TRADES_SCHEMA (lossless widenings applied); ValueError otherwise."""
    missing = [c for c in TRADES_SCHEMA if c not in frame.columns]
    extra = [c for c in frame.columns if c not in TRADES_SCHEMA]
    if missing or extra:
        raise ValueError(f"not a trade tape (TRADES_SCHEMA): missing {missing}, unexpected {extra}")
    casts = []
    for name, want in TRADES_SCHEMA.items():
        have = frame.schema[name]
        if have == want:
            continue
        if isinstance(want, pl.Datetime):
            if not isinstance(have, pl.Datetime) or have.time_zone is None:
                raise ValueError(f"column 'timestamp' has dtype {have}, expected {want}")
            casts.append(pl.col(name).dt.convert_time_zone("UTC").dt.cast_time_unit("us"))
            continue
        lossless = (
            (want == pl.Int64 and isinstance(have, _INTEGERS))
            or (want == pl.Float64 and have == pl.Float32)
            or have == pl.Null
        )
        if not lossless:
            raise ValueError(f"column {name!r} has dtype {have}, expected {want}")
        casts.append(pl.col(name).cast(want))
    tape = frame.with_columns(casts).select(list(TRADES_SCHEMA))
    if tape["timestamp"].null_count():
        raise ValueError("a trade without a timestamp")
    return tape.sort("timestamp", maintain_order=True)


def _read_trades(path: Path, fmt: str) -> pl.DataFrame:
    if fmt == "parquet":
        return _trades_frame(pl.read_parquet(path))
    header = pl.read_csv(path, n_rows=0).columns
    overrides = {c: (pl.String if c == "timestamp" else t) for c, t in TRADES_SCHEMA.items()}
    frame = pl.read_csv(path, schema_overrides={c: overrides[c] for c in header if c in overrides})
    if "timestamp" in frame.columns:
        stamps = frame["timestamp"]
        if not stamps.drop_nulls().str.contains(_OFFSET).all():
            raise ValueError("every timestamp must be an ISO instant with its UTC offset")
        frame = frame.with_columns(
            pl.col("timestamp").str.to_datetime(time_unit="us", time_zone="UTC")
        )
    return _trades_frame(frame)


class FilesSource:
    """Snapshots on disk under ``root`` (see the module docstring)."""

    name = "files"

    def __init__(self, root: str | os.PathLike[str] | None = None, fmt: str = "parquet") -> None:
        if fmt not in FORMATS:
            raise SourceConfigError(self.name, f"format must be one of {FORMATS}, not {fmt!r}")
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.fmt = fmt

    def __repr__(self) -> str:
        return f"FilesSource(root={str(self.root)!r}, fmt={self.fmt!r})"

    def _folders(self, symbol: str) -> Iterator[Path]:
        """The existing folders of ``symbol`` (new name first), cleaned of stale temp files."""
        for name in _dir_names(symbol):
            folder = self.root / name
            if folder.is_dir():
                _clean(folder)
                yield folder

    def _entries(self, symbol: str) -> list[tuple[datetime, int, Path, str]]:
        folders = list(self._folders(symbol))
        if not folders:
            raise SymbolNotFoundError(self.name, f"no snapshots of {symbol!r} under {self.root}")
        out = []
        for rank, folder in enumerate(folders):
            for path in folder.iterdir():
                parsed = _parse_name(path.name)
                if parsed is not None and path.is_file():
                    stamp, fmt = parsed
                    out.append((stamp, FORMATS.index(fmt), rank, path, fmt))
        out.sort(key=lambda e: (e[0], -e[1], -e[2]))  # new folder wins a tie
        return [(stamp, order, path, fmt) for stamp, order, _, path, fmt in out]

    def symbols(self) -> list[str]:
        """Symbols with at least one snapshot, sorted (folders of old and new names merged;
        folders whose name is not a valid symbol are skipped)."""
        if not self.root.is_dir():
            return []
        found = set()
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            try:
                symbol = check_symbol(unquote(folder.name))
            except InvalidSymbolError:
                continue
            if folder.name not in _dir_names(symbol):
                continue
            _clean(folder)
            if any(_parse_name(p.name) for p in folder.iterdir()):
                found.add(symbol)
        return sorted(found)

    def history(self, symbol: str) -> list[datetime]:
        """The instants (UTC) at which ``symbol`` has a snapshot, oldest first."""
        return sorted({stamp for stamp, *_ in self._entries(symbol)})

    def read(self, path: str | os.PathLike[str]) -> ChainSnapshot:
        """Read one snapshot file; DataSourceError when it is corrupt or not a snapshot."""
        path = Path(path)
        parsed = _parse_name(path.name)
        fmt = parsed[1] if parsed else path.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise DataSourceError(self.name, f"{path}: not a .parquet or .csv snapshot file")
        try:
            return _decode(path, fmt)
        except FileNotFoundError:
            raise SymbolNotFoundError(self.name, f"{path} does not exist") from None
        except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as exc:
            raise DataSourceError(
                self.name, f"{path}: corrupt or unreadable snapshot ({exc})"
            ) from exc

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        """The latest snapshot of ``symbol`` at or before ``as_of`` (tz-aware; default: any)."""
        if as_of is not None and (as_of.tzinfo is None or as_of.utcoffset() is None):
            raise DataSourceError(self.name, "as_of must be a timezone-aware datetime")
        entries = self._entries(symbol)
        if as_of is not None:
            entries = [e for e in entries if e[0] <= as_of]
        if not entries:
            when = f" at or before {as_of.isoformat()}" if as_of is not None else ""
            raise SymbolNotFoundError(
                self.name, f"no snapshot of {symbol!r}{when} under {self.root}"
            )
        latest = entries[-1][0]
        best = [e for e in entries if e[0] == latest][-1]  # parquet first, new folder first
        return self.read(best[2])

    def trades(self, symbol: str, day: date, until: datetime | None = None) -> pl.DataFrame:
        """The trades of ``symbol`` on ``day`` from ``<folder>/trades/<day>.parquet`` (or
        ``.csv``), in TRADES_SCHEMA, sorted by timestamp; ``until`` (tz-aware) keeps those
        at or before it. SymbolNotFoundError without a folder of the symbol,
        NoHistoryError without a file for the day, UpstreamInvalidError (naming the file)
        for a file that is not a trade tape."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise DataSourceError(self.name, f"day must be a date, not {day!r}")
        if until is not None and not _aware(until):
            raise DataSourceError(self.name, "until must be a timezone-aware datetime")
        folders = list(self._folders(symbol))
        if not folders:
            raise SymbolNotFoundError(self.name, f"no folder of {symbol!r} under {self.root}")
        found = [
            (path, fmt)
            for fmt in FORMATS
            for folder in folders
            if (path := folder / TRADES_DIR / f"{day.isoformat()}.{fmt}").is_file()
        ]
        if not found:
            where = folders[0] / TRADES_DIR / f"{day.isoformat()}.parquet"
            raise NoHistoryError(
                self.name, f"no trades of {symbol!r} on {day}: no {where} (or .csv)"
            )
        path, fmt = found[0]
        try:
            tape = _read_trades(path, fmt)
        except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as exc:
            raise UpstreamInvalidError(self.name, f"{path}: not a trade tape ({exc})") from exc
        if until is None:
            return tape
        cut = tape["timestamp"].search_sorted(until.astimezone(UTC), side="right")
        return tape.slice(0, int(cut))

    def write(self, snapshot: ChainSnapshot, fmt: str | None = None) -> Path:
        """Store ``snapshot`` (atomically) and return its path; same instant = replaced."""
        fmt = fmt or self.fmt
        if fmt not in FORMATS:
            raise SourceConfigError(self.name, f"format must be one of {FORMATS}, not {fmt!r}")
        folder = self.root / folder_name(snapshot.underlying)
        payload = _encode(snapshot, fmt)
        path = folder / _file_name(snapshot.as_of, fmt)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _clean(folder)
            _write_atomic(path, payload)
        except OSError as exc:
            raise DataSourceError(self.name, f"cannot write {path}: {exc}") from exc
        return path


def _setting(settings: Settings, key: str, default: Any) -> Any:
    value = settings.get(key, default)
    return default if value in (None, "") else value


SETTING_KEYS: Final = ("root", "format")
"""The settings ``create`` reads (docs/configuration.md); ``gex --source-opt`` checks
against them."""


def create(settings: Settings) -> FilesSource:
    """The ``files`` source from its settings (``root``, ``format``)."""
    root = _setting(settings, "root", None)
    fmt = str(_setting(settings, "format", "parquet")).strip().lower()
    return FilesSource(root=root, fmt=fmt)
