"""Resilient HTTP shared by every provider adapter (DESIGN §6): one implementation, no copies.

:class:`HttpClient` wraps an :class:`httpx.Client` and adds, for every GET:

- **Timeouts**: ``HttpConfig.timeout`` seconds for connect, read, write and pool each.
- **Retries** on connection errors, timeouts, broken bodies, HTTP 429 and 5xx (except the
  statuses a provider marks as final), at most ``max_attempts`` attempts in all. The wait
  before attempt *n+1* is ``min(backoff_max, backoff_base * 2**(n-1))`` scaled by a jitter
  factor in [0.5, 1); a ``Retry-After`` header (seconds or an HTTP date) raises the wait to
  what the server asks. A server asking for more than ``retry_after_max`` seconds gets no
  retry: the call fails at once with the wait in the message.
- **Pagination** (:meth:`HttpClient.paginate`): the caller says how to find the next page;
  more than ``max_pages`` pages is an error, never a silent truncation. Pages are collected
  in memory, so a failure on any page raises and nothing partial is returned or written.
- **Typed failures**: every failure is a :class:`DataSourceError` carrying the provider, the
  HTTP status (``None`` for transport failures) and a readable message; ``404`` gives
  :class:`SymbolNotFoundError`, a connection that cannot be opened :class:`UnreachableError`.
- **Secrets**: credentials are attached by a transport wrapper only to requests for the
  configured host, so they never sit in ``request.url`` (which httpx logs at INFO and puts in
  its exceptions); every message is also scrubbed of the secret values. Errors are raised
  ``from None``, so no httpx exception holding a request is chained to them.

All sleeping goes through ``HttpConfig.sleep`` and jitter through ``HttpConfig.rng``, so tests
inject both and never wait for real.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from data_adapters.errors import DataSourceError, SymbolNotFoundError

__all__ = ["HttpClient", "HttpConfig", "UnreachableError", "relative_url"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_STATUS_TEXT = {
    400: "bad request",
    401: "authentication failed (check the API key)",
    403: "not authorized for this data (plan or entitlement)",
    404: "not found",
    429: "rate limited",
}


class UnreachableError(DataSourceError):
    """No connection could be opened to the provider (refused, DNS failure, no route)."""


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """Knobs of the shared client; every duration is in seconds."""

    timeout: float = 15.0
    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    max_pages: int = 1000
    sleep: Callable[[float], None] = time.sleep
    rng: Callable[[], float] = random.random
    transport: httpx.BaseTransport | None = None


def relative_url(url: str) -> str:
    """Path and query of an absolute URL (``next_url`` pages are re-requested on our base)."""
    parsed = httpx.URL(url)
    query = parsed.query.decode("ascii")
    return parsed.path + (f"?{query}" if query else "")


class _AuthTransport(httpx.BaseTransport):
    """Adds secret headers and query parameters to requests for one host, on the way out."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        host: str,
        headers: Mapping[str, str],
        params: Mapping[str, str],
    ) -> None:
        self._inner = inner
        self._host = host
        self._headers = dict(headers)
        self._params = dict(params)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == self._host and (self._headers or self._params):
            headers = request.headers.copy()
            headers.update(self._headers)
            url = request.url.copy_merge_params(self._params) if self._params else request.url
            request = httpx.Request(
                request.method,
                url,
                headers=headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class HttpClient:
    """GET with timeouts, retries, pagination and typed, secret-free errors (see module doc).

    ``secret_headers``/``secret_params`` hold credentials; ``final_statuses`` are 5xx-range
    statuses that must not be retried; ``empty_statuses`` mean "no data" and make
    :meth:`get` return ``None``; ``status_names`` label provider-specific statuses.
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        config: HttpConfig | None = None,
        headers: Mapping[str, str] | None = None,
        secret_headers: Mapping[str, str] | None = None,
        secret_params: Mapping[str, str] | None = None,
        final_statuses: Collection[int] = (),
        empty_statuses: Collection[int] = (),
        status_names: Mapping[int, str] | None = None,
    ) -> None:
        self.provider = provider
        self.config = config or HttpConfig()
        self._secrets = [
            s for s in [*(secret_headers or {}).values(), *(secret_params or {}).values()] if s
        ]
        for value in list(self._secrets):
            if value.lower().startswith("bearer "):
                self._secrets.append(value[7:])
        self._secret_params = tuple(secret_params or {})
        self._final = frozenset(final_statuses)
        self._empty = frozenset(empty_statuses)
        self._names = dict(status_names or {})
        try:
            base = httpx.URL(base_url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise DataSourceError(provider, f"invalid base URL: {self._scrub(str(exc))}") from None
        if base.scheme not in ("http", "https") or not base.host:
            raise DataSourceError(provider, f"invalid base URL {self._scrub(base_url)!r}")
        inner = self.config.transport or httpx.HTTPTransport()
        auth = _AuthTransport(inner, base.host, secret_headers or {}, secret_params or {})
        self._client = httpx.Client(
            base_url=base,
            headers=dict(headers or {}),
            timeout=self.config.timeout,
            transport=auth,
            follow_redirects=True,
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"HttpClient(provider={self.provider!r}, base_url={str(self._client.base_url)!r})"

    # -- errors ---------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def error(
        self, message: str, status: int | None = None, cls: type[DataSourceError] | None = None
    ) -> DataSourceError:
        """A :class:`DataSourceError` of this provider with secrets scrubbed from the text."""
        return (cls or DataSourceError)(self.provider, self._scrub(message), status)

    def _show(self, url: str, params: Mapping[str, Any] | None) -> str:
        shown = httpx.URL(url)
        if params:
            shown = shown.copy_merge_params({k: str(v) for k, v in params.items()})
        query = shown.query.decode("ascii", "replace")
        return shown.path + (f"?{query}" if query else "")

    def _status_error(self, response: httpx.Response, shown: str) -> DataSourceError:
        status = response.status_code
        label = self._names.get(status) or _STATUS_TEXT.get(status)
        label = label or ("server error" if status >= 500 else "request failed")
        detail = _body_detail(response)
        message = f"GET {shown}: {label}" + (f": {detail}" if detail else "")
        cls = SymbolNotFoundError if status == 404 else DataSourceError
        return self.error(message, status, cls)

    # -- requests -------------------------------------------------------------------------

    def _retryable(self, status: int) -> bool:
        return (status == 429 or 500 <= status <= 599) and status not in self._final

    def _delay(self, attempt: int, retry_after: str | None, shown: str) -> float:
        cfg = self.config
        base = min(cfg.backoff_max, cfg.backoff_base * 2 ** (attempt - 1))
        delay = base * (0.5 + 0.5 * cfg.rng())
        wanted = _parse_retry_after(retry_after)
        if wanted is not None:
            if wanted > cfg.retry_after_max:
                raise self.error(
                    f"GET {shown}: rate limited; the server asks to retry after {wanted:.0f} s",
                    429,
                )
            delay = max(delay, wanted)
        return delay

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response | None:
        """GET ``url`` (relative to the base URL) with retries; ``None`` for an empty status."""
        shown = self._show(url, params)
        attempts = max(1, self.config.max_attempts)
        for attempt in range(1, attempts + 1):
            cls: type[DataSourceError] = DataSourceError
            retry_after = None
            try:
                response = self._client.get(url, params=params)
            except httpx.TimeoutException:
                failure = f"timed out after {self.config.timeout:g} s"
            except httpx.ConnectError as exc:
                failure, cls = (
                    f"cannot connect ({self._scrub(str(exc)) or 'refused'})",
                    UnreachableError,
                )
            except httpx.TransportError as exc:
                failure = f"connection broken ({type(exc).__name__}: {self._scrub(str(exc))})"
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status in self._empty:
                    log.debug("%s GET %s: HTTP %s means no data", self.provider, shown, status)
                    return None
                if attempt == attempts or not self._retryable(status):
                    error = self._status_error(response, shown)
                    suffix = f" (after {attempt} attempts)" if attempt > 1 else ""
                    raise self.error(error.message + suffix, status, type(error))
                failure, retry_after = f"HTTP {status}", response.headers.get("retry-after")
            if attempt == attempts:
                raise self.error(f"GET {shown}: {failure} (after {attempt} attempts)", None, cls)
            delay = self._delay(attempt, retry_after, shown)
            log.warning(
                "%s GET %s: %s, retry %d/%d in %.2f s",
                self.provider, shown, failure, attempt, attempts - 1, delay,
            )  # fmt: skip
            self.config.sleep(delay)
        raise AssertionError("the retry loop always returns or raises")  # pragma: no cover

    def text(self, response: httpx.Response, what: str = "body") -> str:
        """The body as text; an HTML page (a login, proxy or error page) is an error."""
        shown = self._show(str(response.url), None)
        if _looks_html(response):
            raise self.error(f"GET {shown}: got an HTML page, not the {what}")
        return response.content.decode(response.encoding or "utf-8", "replace")

    def json(self, response: httpx.Response) -> Any:
        """The body parsed as JSON; empty, HTML or truncated bodies are clear errors."""
        shown = self._show(str(response.url), None)
        body = response.content
        if not body.strip():
            raise self.error(
                f"GET {shown}: empty body where JSON was expected", response.status_code
            )
        if _looks_html(response):
            raise self.error(f"GET {shown}: got an HTML page, not JSON", response.status_code)
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise self.error(
                f"GET {shown}: invalid JSON ({exc.msg} at byte {exc.pos} of {len(body)}; "
                "truncated body?)",
                response.status_code,
            ) from None
        except UnicodeDecodeError:
            raise self.error(f"GET {shown}: body is not UTF-8 JSON", response.status_code) from None

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        """:meth:`get` then :meth:`json`; ``None`` for an empty status."""
        response = self.get(url, params)
        return None if response is None else self.json(response)

    def paginate(
        self,
        url: str,
        params: Mapping[str, Any] | None,
        parse: Callable[[httpx.Response], T],
        next_page: Callable[[httpx.Response, T], str | None],
    ) -> list[T]:
        """Every page, in order. ``next_page`` gives a URL (absolute URLs are re-requested by
        path and query on the base URL, so credentials never go elsewhere) or ``None``."""
        pages: list[T] = []
        current: str | None = url
        current_params = params
        while current is not None:
            if len(pages) >= self.config.max_pages:
                raise self.error(
                    f"GET {self._show(url, params)}: more than {self.config.max_pages} pages; "
                    "narrow the request (expiry or strike filters)"
                )
            response = self.get(current, current_params)
            if response is None:
                break
            page = parse(response)
            pages.append(page)
            link = next_page(response, page)
            current = relative_url(link) if link and "://" in link else link or None
            for name in self._secret_params if current else ():  # never echo a key into logs
                current = str(httpx.URL(current).copy_remove_param(name))
            current_params = None
        return pages


def _looks_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    head = response.content[:64].lstrip().lower()
    return "html" in ctype or head.startswith(b"<")


def _body_detail(response: httpx.Response) -> str:
    """A short readable reason from an error body (JSON ``error``/``message`` or text)."""
    body = response.content
    if not body.strip():
        return ""
    if _looks_html(response):
        return "(an HTML/XML error page)"
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "error_msg", "detail"):
            if isinstance(data.get(key), str) and data[key]:
                return data[key][:300]
    text = body.decode("utf-8", "replace").strip().lstrip(":").strip()
    return " ".join(text.split())[:300]


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())
