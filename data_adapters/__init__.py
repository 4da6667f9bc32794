"""Everything that turns a provider's bytes into the canonical ChainSnapshot.

Sources are looked up by name and built from their settings (``data_adapters.settings``:
keyword arguments, then ``GEX_<SOURCE>_<KEY>`` environment variables, then the config file)::

    from data_adapters import get_source

    demo = get_source("demo", seed=7)
    chain = demo.snapshot("SPX")

==============  ========================================================================
name            module (imported only when asked for)
==============  ========================================================================
``demo``        ``data_adapters.demo``: the deterministic synthetic market (default)
``files``       ``data_adapters.files``: canonical snapshots in Parquet/CSV files
``cboe``        ``data_adapters.cboe``: Cboe delayed quotes
``polygon``     ``data_adapters.polygon``: Polygon/Massive REST
``thetadata``   ``data_adapters.thetadata``: a local Theta Terminal
``databento``   ``data_adapters.databento``: Databento historical (OPRA, CME futures options)
``store``       ``data_adapters.store``: the durable snapshot store (history, summaries)
==============  ========================================================================

Each module exposes ``create(settings: Settings) -> Source``. Every error a source raises on
purpose is a :class:`DataSourceError`; ``UnreachableError`` (no connection to a provider)
comes from ``data_adapters.http`` and is imported only when first asked for, so that using
the demo or files never imports the HTTP stack.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from data_adapters.errors import (
    DataSourceError,
    InvalidSymbolError,
    NoHistoryError,
    SourceConfigError,
    SymbolNotFoundError,
    UpstreamAuthError,
    UpstreamInvalidError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
)

if TYPE_CHECKING:
    from data_adapters.base import TRADES_SCHEMA, Source, TradesSource
    from data_adapters.http import UnreachableError
    from data_adapters.settings import Settings

__all__ = [
    "REGISTRY",
    "TRADES_SCHEMA",
    "DataSourceError",
    "InvalidSymbolError",
    "NoHistoryError",
    "Settings",
    "Source",
    "SourceConfigError",
    "SymbolNotFoundError",
    "TradesSource",
    "UnreachableError",
    "UpstreamAuthError",
    "UpstreamInvalidError",
    "UpstreamRateLimitedError",
    "UpstreamTimeoutError",
    "available_sources",
    "get_source",
]

REGISTRY: Final = MappingProxyType(
    {
        "demo": "data_adapters.demo",
        "files": "data_adapters.files",
        "cboe": "data_adapters.cboe",
        "polygon": "data_adapters.polygon",
        "thetadata": "data_adapters.thetadata",
        "databento": "data_adapters.databento",
        "store": "data_adapters.store",
    }
)
"""Source name -> module exposing ``create(settings) -> Source``."""


def available_sources() -> list[str]:
    """The names :func:`get_source` knows, sorted."""
    return sorted(REGISTRY)


def get_source(name: str, **settings: Any) -> Source:
    """Build the source called ``name`` (case-insensitive) with ``settings`` as overrides.

    Keyword settings take precedence over the environment and the config file; ``None``
    values are ignored (so a CLI can pass its unset options through). Raises
    :class:`SourceConfigError` for an unknown name or invalid settings.
    """
    key = name.strip().lower() if isinstance(name, str) else ""
    if key not in REGISTRY:
        known = ", ".join(available_sources())
        raise SourceConfigError(str(name), f"unknown source {name!r}; known sources: {known}")
    from data_adapters.settings import Settings

    module = importlib.import_module(REGISTRY[key])
    return module.create(Settings(key, overrides=settings))  # type: ignore[no-any-return]


_LAZY: Final = MappingProxyType(
    {
        "TRADES_SCHEMA": "data_adapters.base",
        "Source": "data_adapters.base",
        "TradesSource": "data_adapters.base",
        "Settings": "data_adapters.settings",
        "UnreachableError": "data_adapters.http",
    }
)
"""Re-exports loaded on first use (PEP 562): importing ``data_adapters`` (for its errors or
the symbol grammar) loads neither polars nor the engine nor the HTTP stack."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
