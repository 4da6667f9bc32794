"""What went wrong in a call of the official client, as one typed, one-line failure.

Mapping (docs/databento.md): 401, 402, 403 -> :class:`UpstreamAuthError`; 422 about symbols ->
:class:`SymbolNotFoundError`; 429 -> :class:`UpstreamRateLimitedError` (retried, honouring
``Retry-After``); 408, 504 and timeouts -> :class:`UpstreamTimeoutError` (retried); other 5xx
-> :class:`DataSourceError` (retried); refused connections -> :class:`UnreachableError`
(retried); a body cut off while streaming -> :class:`UpstreamInvalidError` (retried); a body
that is not a readable DBN stream -> :class:`UpstreamInvalidError`; other 4xx ->
:class:`DataSourceError` quoting the service's reason.
"""

from __future__ import annotations

import email.utils
import math
import time
from dataclasses import dataclass
from typing import Any, Final

import databento_dbn as dbn

from data_adapters.errors import (
    DataSourceError,
    SourceConfigError,
    SymbolNotFoundError,
    UpstreamAuthError,
    UpstreamInvalidError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
)
from data_adapters.http import UnreachableError

__all__ = ["Failure", "classify", "http_failure", "retry_after", "short"]

STATUS_TEXT: Final = {
    400: "bad request",
    401: "authentication failed (check the API key)",
    402: "payment required (account credits or billing)",
    403: "not authorized for this dataset or schema (plan or license)",
    404: "not found (check the gateway)",
    408: "request timed out at the gateway",
    422: "request refused",
    429: "rate limited",
}
_RETRY_STATUSES: Final = frozenset({408, 429})
_AUTH_STATUSES: Final = frozenset({401, 402, 403})


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed attempt: the error class, its one-line message, the HTTP status, whether
    another attempt may help, and the wait the service asked for."""

    cls: type[DataSourceError]
    message: str
    status: int | None
    retry: bool
    retry_after: float | None = None


def classify(exc: BaseException, shown: str, timeout: float) -> Failure:
    """What went wrong, as a typed, one-line failure (and whether to retry)."""
    import requests
    from databento.common.error import BentoError, BentoHttpError
    from databento.common.zstd import ZstdError

    if isinstance(exc, BentoHttpError):
        return http_failure(exc, shown)
    if isinstance(exc, requests.exceptions.Timeout):
        return Failure(UpstreamTimeoutError, f"{shown}: timed out after {timeout:g} s", None, True)
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = _root_reason(exc)
        if _refused(exc):
            return Failure(UnreachableError, f"{shown}: cannot connect ({reason})", None, True)
        return Failure(DataSourceError, f"{shown}: connection broken ({reason})", None, True)
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):  # fmt: skip
        return Failure(SourceConfigError, f"{shown}: invalid gateway URL", None, False)
    if isinstance(exc, requests.exceptions.RequestException):
        return Failure(DataSourceError, f"{shown}: request failed ({short(exc)})", None, True)
    if isinstance(exc, BentoError):
        text = short(exc)
        if text.startswith("Error streaming response"):
            if "timed out" in text.lower():
                return Failure(UpstreamTimeoutError, f"{shown}: timed out while reading the body", None, True)  # fmt: skip
            return Failure(UpstreamInvalidError, f"{shown}: body cut off while streaming", None, True)  # fmt: skip
        return Failure(UpstreamInvalidError, f"{shown}: not a DBN stream ({text})", None, False)
    if isinstance(exc, (dbn.DBNError, ZstdError, ValueError, EOFError, OSError,
                        IndexError, KeyError, TypeError)):  # fmt: skip
        return Failure(
            UpstreamInvalidError,
            f"{shown}: unreadable DBN stream ({type(exc).__name__}: {short(exc)})",
            None,
            False,
        )
    raise exc


def http_failure(exc: Any, shown: str) -> Failure:
    """A ``BentoHttpError`` (the client's error for a 4xx/5xx answer) as a failure."""
    status = int(getattr(exc, "http_status", 0) or 0)
    detail = short(getattr(exc, "message", None) or "", 300)
    label = STATUS_TEXT.get(status) or ("server error" if status >= 500 else "request failed")
    message = f"{shown}: {label}" + (f": {detail}" if detail else "")
    headers = getattr(exc, "headers", None) or {}
    wait = retry_after(headers.get("Retry-After") or headers.get("retry-after"))
    if status == 429:
        return Failure(UpstreamRateLimitedError, message, 429, True, wait)
    if status in _AUTH_STATUSES:
        return Failure(UpstreamAuthError, message, status, False)
    if status == 422 and "symbol" in detail.lower():
        return Failure(SymbolNotFoundError, message, status, False)
    if status == 408:
        return Failure(UpstreamTimeoutError, message, status, True, wait)
    if status == 504:
        return Failure(UpstreamTimeoutError, message, status, True, wait)
    if 500 <= status <= 599:
        return Failure(DataSourceError, message, status, True, wait)
    return Failure(DataSourceError, message, status or None, status in _RETRY_STATUSES)


def short(exc: object, limit: int = 200) -> str:
    """The text of ``exc`` on one line, at most ``limit`` characters."""
    return " ".join(str(exc).split())[:limit]


def _root_reason(exc: BaseException) -> str:
    """The innermost readable reason of a ``requests`` connection error."""
    inner: Any = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", inner)
    text = short(reason, 160)
    return text.split(": ", 1)[-1] if "Connection refused" not in text else "connection refused"


def _refused(exc: BaseException) -> bool:
    """Whether no connection could be opened (refused, no such host, no route)."""
    text = str(exc)
    return any(
        word in text
        for word in ("Connection refused", "NewConnectionError", "NameResolutionError",
                     "Name or service not known", "No route to host", "getaddrinfo failed")
    )  # fmt: skip


def retry_after(value: object) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None or when.tzinfo is None:
            return None
        return max(0.0, when.timestamp() - time.time())
    return max(0.0, seconds) if math.isfinite(seconds) else None
