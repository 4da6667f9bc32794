"""Errors raised by data sources.

::

    GexError (engine.errors)
    └── DataSourceError          a provider or file could not give a usable chain
        ├── SourceConfigError    missing or invalid settings (no API key, bad base URL)
        ├── SymbolNotFoundError  the source has no data for the symbol (or the expiry)
        ├── NoHistoryError       a past as_of was asked of a source that keeps no history
        └── InvalidSymbolError   a symbol outside the grammar (data_adapters.symbols)

``DataSourceError`` carries ``provider`` (source name), ``status`` (HTTP status or None) and a
readable message. Secrets never appear in the message, the repr or the args.
"""

from __future__ import annotations

from engine.errors import GexError

__all__ = [
    "DataSourceError",
    "InvalidSymbolError",
    "NoHistoryError",
    "SourceConfigError",
    "SymbolNotFoundError",
]


class DataSourceError(GexError):
    """A provider or file failed to give a usable chain."""

    def __init__(self, provider: str, message: str, status: int | None = None) -> None:
        self.provider = provider
        self.status = status
        self.message = message
        super().__init__(f"{provider}: {message}" + (f" (HTTP {status})" if status else ""))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.provider!r}, status={self.status!r}, message={self.message!r})"


class SourceConfigError(DataSourceError):
    """A source's settings are missing or invalid."""


class SymbolNotFoundError(DataSourceError):
    """The source has no data for the symbol (or the requested expiry)."""


class NoHistoryError(DataSourceError):
    """A past ``as_of`` was asked of a source that keeps no history."""


class InvalidSymbolError(DataSourceError):
    """A symbol outside the one grammar of :mod:`data_adapters.symbols`."""

    def __init__(self, message: str) -> None:
        super().__init__("symbol", message)
