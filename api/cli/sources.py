"""What ``gex`` knows about each data source before building it: the settings a source reads
(so that a mistyped ``--source-opt`` is an error, not silently ignored), where a network
source fetches from, and the hint its failures carry.

Known keys: each source module's ``SETTING_KEYS`` (the keys its ``create(settings)`` reads)
is the one list. Imports nothing heavy: the source module is imported only to read
``SETTING_KEYS`` when a ``--source-opt`` is actually given.
"""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import urlsplit

__all__ = ["failure_hint", "fetch_notice", "known_keys"]


def known_keys(source: str) -> tuple[str, ...] | None:
    """The setting keys of ``source`` (None for a source this table does not know: the
    source itself then says whether it exists)."""
    from data_adapters import REGISTRY

    name = source.strip().lower()
    if name not in REGISTRY:
        return None
    declared = importlib.import_module(REGISTRY[name]).SETTING_KEYS
    return tuple(sorted(str(k).lower() for k in declared))


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
