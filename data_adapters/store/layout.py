"""Where everything lives under a store root, and the names of its files.

::

    <root>/_store.json                                  format marker and schema version
    <root>/_writer.lock                                 the writer lock (fcntl.flock)
    <root>/_writer.journal                              partitions the current writer touches
    <root>/symbol=SPX/date=2026-11-20/_manifest.json    what the partition lists
    <root>/symbol=SPX/date=2026-11-20/2026-11-20T21-00-00Z.0123456789abcdef.parquet
    <root>/symbol=SPX/date=2026-11-20/trades.0123456789abcdef.parquet   the day's trade tape
    <root>/symbol=ES%3DF/date=2026-11-20/...

Partitions are Hive-style (``symbol=``, ``date=``) so that other tools can scan the data
files directly. The symbol folder is :func:`data_adapters.symbols.folder_name` (percent-
encoded, reversible); the date is the New York date of the snapshot's ``as_of`` (its
session date for every snapshot taken on a trading day). A data file is named by its
``as_of`` in UTC (the ``files`` source's stamp) and the first 16 hex digits of the SHA-256
of its bytes, so a replaced snapshot never overwrites the file a manifest still lists. A partition's trade
tape (at most one) is ``trades.<sha256[:16]>.parquet``, for the same reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final
from urllib.parse import unquote

from data_adapters.errors import InvalidSymbolError
from data_adapters.files import _file_name
from data_adapters.symbols import check_symbol, folder_name
from engine.settlement import NEW_YORK

__all__ = [
    "JOURNAL_FILE",
    "LOCK_FILE",
    "MANIFEST_FILE",
    "STORE_ENV",
    "STORE_FILE",
    "data_file_name",
    "is_data_file",
    "is_tape_file",
    "is_temp_file",
    "new_york_date",
    "parse_partition_dir",
    "parse_symbol_dir",
    "partition_dir",
    "resolve_root",
    "symbol_dir",
    "tape_file_name",
]

STORE_ENV: Final = "GEX_STORE"
STORE_FILE: Final = "_store.json"
LOCK_FILE: Final = "_writer.lock"
JOURNAL_FILE: Final = "_writer.journal"
MANIFEST_FILE: Final = "_manifest.json"

_DATA = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d{6})?Z\.[0-9a-f]{16}\.parquet$")
_TAPE = re.compile(r"^trades\.[0-9a-f]{16}\.parquet$")
_TEMP = re.compile(r"^\..+\.tmp$")
_DATE = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


def resolve_root(
    root: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The store root: ``root`` when given, else ``$GEX_STORE``, else
    ``$XDG_DATA_HOME/gex-engine/store`` (``~/.local/share/gex-engine/store``)."""
    env = os.environ if environ is None else environ
    if root is not None and str(root) != "":
        return Path(root).expanduser()
    if env.get(STORE_ENV):
        return Path(env[STORE_ENV]).expanduser()
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base).expanduser() / "gex-engine" / "store"


def new_york_date(instant: datetime) -> date:
    """The New York calendar date of a timezone-aware instant (the partition date)."""
    return instant.astimezone(NEW_YORK).date()


def symbol_dir(symbol: str) -> str:
    """``SPX`` -> ``symbol=SPX``; ``ES=F`` -> ``symbol=ES%3DF`` (checked symbol)."""
    return f"symbol={folder_name(symbol)}"


def parse_symbol_dir(name: str) -> str | None:
    """The symbol of a ``symbol=...`` folder name, or None for anything else."""
    if not name.startswith("symbol="):
        return None
    encoded = name.removeprefix("symbol=")
    try:
        symbol = check_symbol(unquote(encoded))
    except InvalidSymbolError:
        return None
    return symbol if folder_name(symbol) == encoded else None


def partition_dir(day: date) -> str:
    return f"date={day.isoformat()}"


def parse_partition_dir(name: str) -> date | None:
    m = _DATE.match(name)
    if m is None:
        return None
    try:
        return date.fromisoformat(m.group(1))
    except ValueError:
        return None


def data_file_name(as_of: datetime, sha256: str) -> str:
    """``2026-11-20T21-00-00Z.<16 hex>.parquet`` (microseconds only when non-zero)."""
    stamp = _file_name(as_of.astimezone(UTC), "parquet").removesuffix(".parquet")
    return f"{stamp}.{sha256[:16]}.parquet"


def is_data_file(name: str) -> bool:
    return _DATA.match(name) is not None


def tape_file_name(sha256: str) -> str:
    """``trades.<16 hex>.parquet``: a partition's trade tape."""
    return f"trades.{sha256[:16]}.parquet"


def is_tape_file(name: str) -> bool:
    return _TAPE.match(name) is not None


def is_temp_file(name: str) -> bool:
    """A temporary file of an atomic write (``.<name>.<pid>.<uuid>.tmp``)."""
    return _TEMP.match(name) is not None
