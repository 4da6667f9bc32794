"""Settings, constants and small helpers of the provider HTTP client (docs/providers.md)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import httpx

from data_adapters.errors import (
    DataSourceError,
    SourceConfigError,
)
from data_adapters.settings import Settings

T = TypeVar("T")

_STATUS_TEXT = {
    400: "bad request",
    401: "authentication failed (check the API key)",
    403: "not authorized for this data (plan or entitlement)",
    404: "not found",
    429: "rate limited",
}
_AUTH_STATUSES = frozenset({401, 403})
_ERROR_BODY_BYTES = 64 * 1024
"""Of an error answer only a short reason is shown: at most this much of its body is read."""
_FRAMING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_SHAPE_ERRORS: tuple[type[BaseException], ...] = (
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    RecursionError,
    OverflowError,
)


class UnreachableError(DataSourceError):
    """No connection could be opened to the provider (refused, DNS failure, no route)."""


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """Knobs of the shared client; every duration is in seconds.

    ``deadline`` bounds a whole provider call (one client: every page, retry and sleep);
    ``max_body_bytes`` caps each decoded response body; ``clock`` is the monotonic clock the
    deadline is measured on (tests inject it with ``sleep``).
    """

    timeout: float = 15.0
    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    max_pages: int = 1000
    sleep: Callable[[float], None] = time.sleep
    rng: Callable[[], float] = random.random
    transport: httpx.BaseTransport | None = None
    deadline: float = 60.0
    max_body_bytes: int = 64 * 2**20
    max_redirects: int = 5
    clock: Callable[[], float] = time.monotonic


def with_limits(settings: Settings, config: HttpConfig) -> HttpConfig:
    """``config`` with a source's ``deadline`` (seconds) and ``max_body_bytes`` settings."""
    found: dict[str, Any] = {}
    for key in ("deadline", "max_body_bytes"):
        raw = settings.get(key, None)
        if raw is None:
            continue
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise SourceConfigError(settings.source, f"setting {key!r} must be a number") from None
        if not (math.isfinite(value) and value > 0) or (key == "max_body_bytes" and value < 1):
            raise SourceConfigError(settings.source, f"setting {key!r} must be > 0")
        found[key] = value if key == "deadline" else int(value)
    return replace(config, **found) if found else config


def relative_url(url: str) -> str:
    """Path and query of an absolute URL (``next_url`` pages are re-requested on our base)."""
    parsed = httpx.URL(url)
    query = parsed.query.decode("ascii")
    return parsed.path + (f"?{query}" if query else "")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _origin_text(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


def _short(text: str, limit: int = 200) -> str:
    line = " ".join(text.strip().splitlines()[:1]) if text.strip() else ""
    return line[:limit]


# -- the deadline ---------------------------------------------------------------------------
