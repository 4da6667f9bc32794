"""What ``gex`` knows about each data source before building it: the settings a source reads
(so that a mistyped ``--source-opt`` is an error, not silently ignored), where a network
source fetches from, and the hint its failures carry.

Known keys: a source module that defines ``SETTING_KEYS`` (the keys its ``create(settings)``
reads) is the authority; until every module does, :data:`KNOWN_KEYS` lists them as
docs/configuration.md does. Imports nothing heavy: the source module is imported only to read
``SETTING_KEYS`` when a ``--source-opt`` is actually given.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = ["HTTP_KEYS", "KNOWN_KEYS", "failure_hint", "fetch_notice", "known_keys"]

HTTP_KEYS: Final = (
    "rate", "div_yield", "symbols", "timeout", "max_attempts", "max_pages", "deadline",
    "max_body_bytes",
)  # fmt: skip
"""The keys every HTTP source reads (``data_adapters._frames``: rates, symbols, the client)."""

KNOWN_KEYS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "demo": ("seed", "universe", "rate", "market_size", "clock"),
        "files": ("root", "format"),
        "store": ("root",),
        "cboe": ("file", "base_url", *HTTP_KEYS),
        "polygon": ("api_key", "base_url", "auth", "max_dte", "strike_band", *HTTP_KEYS),
        "thetadata": ("version", "base_url", "v2_base_url", "greeks", "max_dte", *HTTP_KEYS),
        "databento": (
            "api_key", "key", "gateway", "base_url", "opra_dataset", "futures_dataset",
            "equities_dataset", "opra_quotes_schema", "futures_quotes_schema",
            "equities_quotes_schema", "futures_trades_schema", "quote_window",
            "oi_lookback_days", *HTTP_KEYS,
        ),
    }
)  # fmt: skip
"""Source name -> the setting keys its ``create(settings)`` reads (docs/configuration.md)."""


def known_keys(source: str) -> tuple[str, ...] | None:
    """The setting keys of ``source`` (None for a source this table does not know: the
    source itself then says whether it exists)."""
    from data_adapters import REGISTRY

    name = source.strip().lower()
    if name not in REGISTRY:
        return None
    declared = getattr(importlib.import_module(REGISTRY[name]), "SETTING_KEYS", None)
    if declared is not None:
        return tuple(sorted(str(k).lower() for k in declared))
    keys = KNOWN_KEYS.get(name)
    return None if keys is None else tuple(sorted(keys))


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def fetch_notice(source_name: str, source: Any, symbol: str) -> str | None:
    """``fetching SPX from the network: Cboe delayed quotes at cdn.cboe.com …`` when the
    ``cboe`` source has no ``file`` (it then reads the network, where the other sources are
    plainly network sources or plainly local); None otherwise."""
    base = getattr(source, "base_url", None)
    if source_name != "cboe" or not base or getattr(source, "file", None) is not None:
        return None
    return (
        f"fetching {symbol} from the network: Cboe delayed quotes at {_host(str(base))} "
        "(about 15 minutes delayed); --file PATH reads a saved quote-table download instead"
    )


def failure_hint(source_name: str, source: Any) -> str | None:
    """What to try when a network fetch of ``source`` fails (None: nothing to add)."""
    if source_name == "cboe" and getattr(source, "file", None) is None:
        host = _host(str(getattr(source, "base_url", "") or "cdn.cboe.com"))
        return (
            f"no chain from {host}: without network access, download the quote table "
            "(cboe.com, Delayed Quotes, Options, Download CSV) and pass it with --file PATH"
        )
    return None
