"""Errors raised by data sources.

::

    GexError (engine.errors)
    └── DataSourceError             a provider or file could not give a usable chain
        ├── SourceConfigError       missing or invalid settings (no API key, bad base URL)
        ├── SymbolNotFoundError     the source has no data for the symbol (or the expiry)
        ├── NoHistoryError          a past as_of was asked of a source that keeps no history
        ├── InvalidSymbolError      a symbol outside the grammar (data_adapters.symbols)
        ├── UpstreamTimeoutError    no complete answer within the call's total deadline
        ├── UpstreamInvalidError    an unusable answer: too large, truncated, not JSON, too
        │                           deeply nested, wrong types, a redirect loop or a redirect
        │                           to another origin
        ├── UpstreamAuthError       the provider refused the credentials or the plan
        │                           (401/403, Polygon ``NOT_AUTHORIZED``, ThetaData 471)
        ├── UpstreamRateLimitedError  still rate limited after the retries, or asked to wait
        │                           longer than the call may (``retry_after`` in seconds)
        └── UnreachableError        no connection to the provider (in data_adapters.http)

``DataSourceError`` carries ``provider`` (source name), ``status`` (HTTP status or None) and a
readable message. Secrets never appear in the message, the repr or the args.

Suggested HTTP answers of the API: ``UpstreamTimeoutError`` 504 ``upstream_timeout``;
``UpstreamInvalidError`` 502 ``upstream_invalid``; ``UpstreamAuthError`` 502
``upstream_auth``; ``UpstreamRateLimitedError`` 503 ``upstream_rate_limited`` (with
``Retry-After`` when known); any other provider failure 502 ``upstream_unavailable``.
"""

from __future__ import annotations

from engine.errors import GexError

__all__ = [
    "DataSourceError",
    "InvalidSymbolError",
    "NoHistoryError",
    "SourceConfigError",
    "SymbolNotFoundError",
    "UpstreamAuthError",
    "UpstreamInvalidError",
    "UpstreamRateLimitedError",
    "UpstreamTimeoutError",
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


class UpstreamTimeoutError(DataSourceError):
    """The provider gave no complete answer within the call's total deadline (connect, every
    read, every retry and backoff sleep together), or kept timing out on every attempt."""


class UpstreamInvalidError(DataSourceError):
    """The provider answered something unusable: a body over the size cap, a truncated body,
    an empty, HTML, non-JSON or too deeply nested body, values of the wrong type, a redirect
    loop or a redirect to another origin."""


class UpstreamAuthError(DataSourceError):
    """The provider refused the credentials or the subscription (HTTP 401/403, a Polygon
    ``NOT_AUTHORIZED`` body, ThetaData permission errors)."""


class UpstreamRateLimitedError(DataSourceError):
    """The provider still rate limits after the retries, or asks for a longer wait than the
    call may take; ``retry_after`` is the wait it asked for in seconds (None if unknown)."""

    def __init__(
        self,
        provider: str,
        message: str,
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(provider, message, status)
        self.retry_after = retry_after
