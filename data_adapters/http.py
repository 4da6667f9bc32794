"""Resilient HTTP shared by every provider adapter (docs/providers.md): one implementation, no copies.

:class:`HttpClient` wraps an :class:`httpx.Client` and adds, for every GET:

- **A total deadline** (``HttpConfig.deadline``, default 60 s) for the whole provider call:
  one client serves one source call (a snapshot or a day of trades), and connecting, every
  read of every page, every retry and every backoff sleep come out of the same budget. The
  built-in transport lowers each socket operation's timeout to what is left of the deadline,
  so a server that drips a byte at a time, in the headers or in the body, cannot hold a
  call past it; an injected ``transport`` (tests) is checked between attempts and chunks.
  Past the deadline: :class:`UpstreamTimeoutError`. DNS resolution is the one step no
  timeout covers (the system resolver's own limits apply).
- **Timeouts**: ``HttpConfig.timeout`` seconds for connect, read, write and pool each.
- **Bounded bodies**: responses are streamed and at most ``HttpConfig.max_body_bytes``
  (default 64 MiB, counted after content decoding) are kept; a ``Content-Length`` above the
  cap fails before any byte is read, a body growing past it stops being read at the cap.
  Either is an :class:`UpstreamInvalidError`. A body shorter than its ``Content-Length``
  (truncated) is retried, then an :class:`UpstreamInvalidError`; so are empty, HTML, non-JSON
  and too deeply nested JSON bodies (:meth:`HttpClient.json`), and values of the wrong types
  met while an adapter reads a body (:meth:`HttpClient.parsing`).
- **Redirects**: followed only within the origin of the base URL (same scheme, host and
  port), at most ``max_redirects`` hops, with the credentials attached again; a redirect to
  any other origin (another host, another port, http <-> https) is refused with an
  :class:`UpstreamInvalidError` naming the target, so credentials never go anywhere but the
  configured origin and a moved provider is a clear configuration error (set ``base_url``
  to its new address) rather than a silent hop. A redirect loop, or more hops than allowed,
  is an :class:`UpstreamInvalidError` too. Provider APIs live at one origin; refusing is the
  safer of the two choices (stripping credentials would still send requests, and the
  caller's query, to wherever the server points).
- **Retries** on connection errors, timeouts, broken bodies, HTTP 429 and 5xx (except the
  statuses a provider marks as final), at most ``max_attempts`` attempts in all. The wait
  before attempt *n+1* is ``min(backoff_max, backoff_base * 2**(n-1))`` scaled by a jitter
  factor in [0.5, 1); a ``Retry-After`` header (seconds or an HTTP date) raises the wait to
  what the server asks. A wait that would pass the deadline is not taken: the call fails at
  once (:class:`UpstreamTimeoutError`, or :class:`UpstreamRateLimitedError` when the server
  asked for it); so does a server asking for more than ``retry_after_max`` seconds.
- **Pagination** (:meth:`HttpClient.paginate`): the caller says how to find the next page;
  more than ``max_pages`` pages is an error, never a silent truncation. Pages are collected
  in memory, so a failure on any page raises and nothing partial is returned or written.
- **Typed failures**: every failure is a :class:`DataSourceError` carrying the provider, the
  HTTP status (``None`` for transport failures) and a readable message; ``404`` gives
  :class:`SymbolNotFoundError`, 401/403 (and a provider's ``auth_statuses``)
  :class:`UpstreamAuthError`, a 429 that outlasts the retries
  :class:`UpstreamRateLimitedError`, a connection that cannot be opened
  :class:`UnreachableError`; the other classes are named above (tree in
  :mod:`data_adapters.errors`).
- **Secrets**: credentials are attached by a transport wrapper only to requests for the
  configured origin, so they never sit in ``request.url`` (which httpx logs at INFO and puts
  in its exceptions); every message is also scrubbed of the secret values, and so are the
  records of the ``httpx``/``httpcore`` loggers while a client holding secrets is open (they
  log response headers at DEBUG, and a server may echo a key in a ``Location``). Secret query
  parameters echoed in a redirect or a next-page link are removed before it is followed.
  Errors are raised ``from None``, so no httpx exception holding a request is chained to
  them.

All sleeping goes through ``HttpConfig.sleep``, jitter through ``HttpConfig.rng`` and the
deadline's clock through ``HttpConfig.clock``, so tests inject them and never wait for real.
Per source, the settings ``deadline`` (seconds) and ``max_body_bytes`` apply through
:func:`with_limits`.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import math
import random
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

import httpcore
import httpx

from data_adapters.errors import (
    DataSourceError,
    SourceConfigError,
    SymbolNotFoundError,
    UpstreamAuthError,
    UpstreamInvalidError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
)
from data_adapters.settings import Settings
from engine.errors import GexError

__all__ = [
    "Deadline",
    "HttpClient",
    "HttpConfig",
    "UnreachableError",
    "relative_url",
    "with_limits",
]

log = logging.getLogger(__name__)

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


class Deadline:
    """The instant a provider call must be over: ``seconds`` after creation on ``clock``.

    :meth:`bound` lowers a socket timeout to what is left and remembers (``bounded``) that
    the deadline, not the per-read timeout, has become the limit; a timeout after that is
    the deadline's.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = float(seconds)
        self._clock = clock
        self._end = clock() + self.seconds
        self.bounded = False

    def remaining(self) -> float:
        return self._end - self._clock()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def bound(self, timeout: float | None) -> float | None:
        left = self.remaining()
        if timeout is None or left < timeout:
            self.bounded = True
            return max(left, 0.001)  # 0 would make the socket non-blocking, not timed
        return timeout

    def __repr__(self) -> str:
        return f"Deadline(seconds={self.seconds:g}, remaining={self.remaining():.3f})"


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the owner's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, owner: _DeadlineBackend) -> None:
        self._inner = inner
        self._owner = owner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._owner.bound(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._owner.bound(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._owner.bound(timeout))
        return _DeadlineStream(inner, self._owner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync sockets with every timeout bounded by ``deadline`` (when set)."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self.deadline: Deadline | None = None

    def bound(self, timeout: float | None) -> float | None:
        return timeout if self.deadline is None else self.deadline.bound(timeout)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, self.bound(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - no provider is reached over a socket file
        stream = self._inner.connect_unix_socket(path, self.bound(timeout), socket_options)
        return _DeadlineStream(stream, self)

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore retries are off
        self._inner.sleep(seconds)


_CORE_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """httpcore's exceptions as the httpx ones (the most specific first)."""
    try:
        yield
    except Exception as exc:
        for core, mapped in _CORE_ERRORS:
            if isinstance(exc, core):
                raise mapped(str(exc)) from None
        raise


class _CoreStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class _CoreTransport(httpx.BaseTransport):
    """HTTP/1.1 over an httpcore pool on :class:`_DeadlineBackend` (httpx's own transport
    takes no network backend)."""

    def __init__(self, deadline: Deadline) -> None:
        self.backend = _DeadlineBackend()
        self.backend.deadline = deadline
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=self.backend
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = self._pool.handle_request(core)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            response.status,
            headers=response.headers,
            stream=_CoreStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


# -- secrets ----------------------------------------------------------------------------------

_LIVE_SECRETS: Counter[str] = Counter()
_LIVE_LOCK = threading.Lock()


def _remember(secrets: Collection[str]) -> None:
    with _LIVE_LOCK:
        _LIVE_SECRETS.update(secrets)


def _forget(secrets: Collection[str]) -> None:
    with _LIVE_LOCK:
        _LIVE_SECRETS.subtract(secrets)
        for secret in [s for s, n in _LIVE_SECRETS.items() if n <= 0]:
            del _LIVE_SECRETS[secret]


class _ScrubSecrets(logging.Filter):
    """Replaces the secrets of every open client in log records of the HTTP stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _LIVE_SECRETS:
            return True
        with _LIVE_LOCK:
            secrets = sorted(_LIVE_SECRETS, key=len, reverse=True)
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is the logging module's business
            return True
        clean = text
        for secret in secrets:
            clean = clean.replace(secret, "***")
        if clean != text:
            record.msg, record.args = clean, None
        return True


_SCRUB = _ScrubSecrets()
for _name in ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2",
              "httpcore.proxy", "httpcore.socks", __name__):  # fmt: skip
    logging.getLogger(_name).addFilter(_SCRUB)


class _AuthTransport(httpx.BaseTransport):
    """Adds secret headers and query parameters to requests for one origin, on the way out."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        origin: tuple[str, str, int | None],
        headers: Mapping[str, str],
        params: Mapping[str, str],
    ) -> None:
        self._inner = inner
        self._origin = origin
        self._headers = dict(headers)
        self._params = dict(params)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if _origin(request.url) == self._origin and (self._headers or self._params):
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
    """GET with a deadline, timeouts, retries, capped bodies, pagination and typed,
    secret-free errors (see the module doc).

    ``secret_headers``/``secret_params`` hold credentials; ``final_statuses`` are 5xx-range
    statuses that must not be retried; ``empty_statuses`` mean "no data" and make
    :meth:`get` return ``None``; ``auth_statuses`` are provider statuses meaning "refused
    credentials or plan" (besides 401 and 403); ``status_names`` label provider-specific
    statuses. ``deadline`` shares one deadline between clients (else one starts now).
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
        auth_statuses: Collection[int] = (),
        status_names: Mapping[int, str] | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        self.provider = provider
        self.config = config or HttpConfig()
        values = [
            s for s in [*(secret_headers or {}).values(), *(secret_params or {}).values()] if s
        ]
        values += [v[7:] for v in values if v.lower().startswith("bearer ") and v[7:]]
        encoded = [form for v in values for form in (quote(v, safe=""), quote_plus(v, safe=""))]
        self._secrets = sorted(set(values + encoded), key=len, reverse=True)
        self._secret_params = tuple(secret_params or {})
        self._final = frozenset(final_statuses)
        self._empty = frozenset(empty_statuses)
        self._auth = _AUTH_STATUSES | frozenset(auth_statuses)
        self._names = dict(status_names or {})
        try:
            base = httpx.URL(base_url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise DataSourceError(provider, f"invalid base URL: {self._scrub(str(exc))}") from None
        if base.scheme not in ("http", "https") or not base.host:
            raise DataSourceError(provider, f"invalid base URL {self._scrub(base_url)!r}")
        self._origin = _origin(base)
        self.deadline = deadline or Deadline(self.config.deadline, self.config.clock)
        inner = self.config.transport or _CoreTransport(self.deadline)
        auth = _AuthTransport(inner, self._origin, secret_headers or {}, secret_params or {})
        self._client = httpx.Client(
            base_url=base,
            headers=dict(headers or {}),
            timeout=self.config.timeout,
            transport=auth,
            follow_redirects=False,  # followed by _fetch, within the origin only
        )
        _remember(self._secrets)
        self._release = weakref.finalize(self, _forget, tuple(self._secrets))

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()
        self._release()

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

    def invalid(self, message: str, status: int | None = None) -> DataSourceError:
        """An :class:`UpstreamInvalidError` (an unusable body) with secrets scrubbed."""
        return self.error(message, status, UpstreamInvalidError)

    @contextlib.contextmanager
    def parsing(self, what: str, errors: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
        """Reading a body: values of the wrong type or shape (``TypeError``, ``KeyError``…,
        plus ``errors``) become an :class:`UpstreamInvalidError` about ``what``; errors
        raised on purpose (:class:`GexError`) pass unchanged."""
        try:
            yield
        except GexError:
            raise
        except (*_SHAPE_ERRORS, *errors) as exc:
            detail = _short(str(exc))
            raise self.invalid(
                f"{what}: unexpected body ({type(exc).__name__}"
                + (f": {detail})" if detail else ")")
            ) from None

    def _show(self, url: str, params: Mapping[str, Any] | None) -> str:
        shown = httpx.URL(url)
        if params:
            shown = shown.copy_merge_params({k: str(v) for k, v in params.items()})
        query = shown.query.decode("ascii", "replace")
        return shown.path + (f"?{query}" if query else "")

    def _status_error(self, response: httpx.Response, shown: str, attempt: int) -> DataSourceError:
        status = response.status_code
        label = self._names.get(status) or _STATUS_TEXT.get(status)
        label = label or ("server error" if status >= 500 else "request failed")
        detail = _body_detail(response)
        suffix = f" (after {attempt} attempts)" if attempt > 1 else ""
        message = f"GET {shown}: {label}" + (f": {detail}" if detail else "") + suffix
        if status == 429:
            wait = _parse_retry_after(response.headers.get("retry-after"))
            return UpstreamRateLimitedError(self.provider, self._scrub(message), 429, wait)
        cls = (
            SymbolNotFoundError
            if status == 404
            else UpstreamAuthError
            if status in self._auth
            else DataSourceError
        )
        return self.error(message, status, cls)

    def _past_deadline(self, shown: str, attempts: int) -> DataSourceError:
        tries = f"; {attempts} attempt{'s' if attempts != 1 else ''}" if attempts else ""
        return self.error(
            f"GET {shown}: no complete answer within the {self.deadline.seconds:g} s deadline "
            f"of this call (a slow or stalled provider{tries})",
            None,
            UpstreamTimeoutError,
        )

    # -- requests -------------------------------------------------------------------------

    def _retryable(self, status: int) -> bool:
        return (status == 429 or 500 <= status <= 599) and status not in self._final

    def _delay(
        self, attempt: int, retry_after: str | None, status: int | None, shown: str
    ) -> float:
        """The wait before the next attempt; a ``Retry-After`` the call cannot honour raises."""
        cfg = self.config
        base = min(cfg.backoff_max, cfg.backoff_base * 2 ** (attempt - 1))
        delay = base * (0.5 + 0.5 * cfg.rng())
        wanted = _parse_retry_after(retry_after)
        if wanted is None:
            return delay
        if wanted > cfg.retry_after_max:
            why = f"more than the {cfg.retry_after_max:g} s allowed"
        elif wanted >= self.deadline.remaining():
            why = f"past the {self.deadline.seconds:g} s deadline of this call"
        else:
            return max(delay, wanted)
        message = f"GET {shown}: the server asks to retry after {wanted:.0f} s, {why}"
        if status == 429:
            raise UpstreamRateLimitedError(
                self.provider, self._scrub(f"{message} (rate limited)"), 429, wanted
            )
        raise self.error(message, status)

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response | None:
        """GET ``url`` (relative to the base URL) with retries; ``None`` for an empty status.

        The response returned is read in full (at most ``max_body_bytes``)."""
        shown = self._show(url, params)
        attempts = max(1, self.config.max_attempts)
        for attempt in range(1, attempts + 1):
            if self.deadline.expired():
                raise self._past_deadline(shown, attempt - 1)
            cls: type[DataSourceError] = DataSourceError
            retry_after, status = None, None
            try:
                response = self._fetch(url, params, shown)
            except httpx.TimeoutException:
                if self.deadline.bounded or self.deadline.expired():
                    raise self._past_deadline(shown, attempt) from None
                failure = f"timed out after {self.config.timeout:g} s"
                cls = UpstreamTimeoutError
            except httpx.ConnectError as exc:
                failure = f"cannot connect ({self._scrub(str(exc)) or 'refused'})"
                cls = UnreachableError
            except httpx.RemoteProtocolError as exc:
                failure = f"body truncated or malformed ({self._scrub(_short(str(exc)))})"
                cls = UpstreamInvalidError
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
                    raise self._status_error(response, shown, attempt)
                failure, retry_after = f"HTTP {status}", response.headers.get("retry-after")
            if attempt == attempts:
                raise self.error(f"GET {shown}: {failure} (after {attempt} attempts)", None, cls)
            delay = self._delay(attempt, retry_after, status, shown)
            if delay >= self.deadline.remaining():  # a provider that cannot be reached stays so
                raise self.error(
                    f"GET {shown}: {failure}; the next retry (in {delay:.2f} s) would pass the "
                    f"{self.deadline.seconds:g} s deadline of this call (after {attempt} "
                    f"attempt{'s' if attempt != 1 else ''})",
                    None,
                    UnreachableError if cls is UnreachableError else UpstreamTimeoutError,
                )
            log.warning(
                "%s GET %s: %s, retry %d/%d in %.2f s",
                self.provider, shown, failure, attempt, attempts - 1, delay,
            )  # fmt: skip
            self.config.sleep(delay)
        raise AssertionError("the retry loop always returns or raises")  # pragma: no cover

    def _fetch(self, url: str, params: Mapping[str, Any] | None, shown: str) -> httpx.Response:
        """One attempt: the request, redirects within the origin, the body read under the cap."""
        target, query = url, params
        visited: list[str] = []
        while True:
            try:
                with self._client.stream("GET", target, params=query) as response:
                    if not response.is_redirect:
                        return self._read(response, shown)
                    status, here = response.status_code, response.url
                    there = here.join(response.headers["location"])
            except (httpx.RemoteProtocolError, httpx.InvalidURL) as exc:
                # httpx prepares the next request of a redirect even when not following it
                if isinstance(exc, httpx.RemoteProtocolError) and "location header" not in str(exc):
                    raise
                raise self.invalid(f"GET {shown}: redirect to an invalid URL") from None
            there = self._without_secrets(there)  # never echo a key into a followed URL or a log
            if _origin(there) != self._origin:
                raise self.invalid(
                    f"GET {shown}: redirected to another origin ({_origin_text(there)}); not "
                    "followed, so no credentials leave the configured base URL (set base_url "
                    "to the provider's current address)",
                    status,
                )
            visited.append(str(here))
            if str(there) in visited:
                hops = " -> ".join([*(httpx.URL(v).path for v in visited), there.path])
                raise self.invalid(f"GET {shown}: redirect loop ({hops})", status)
            if len(visited) > self.config.max_redirects:
                raise self.invalid(
                    f"GET {shown}: more than {self.config.max_redirects} redirects "
                    f"(last to {there.path})",
                    status,
                )
            target, query = str(there), None

    def _without_secrets(self, url: httpx.URL) -> httpx.URL:
        """``url`` without the secret query parameters, nor any parameter holding a secret."""
        items = url.params.multi_items()
        kept = [(k, v) for k, v in items if k not in self._secret_params and v not in self._secrets]
        return url if len(kept) == len(items) else url.copy_with(params=kept)

    def _read(self, response: httpx.Response, shown: str) -> httpx.Response:
        """The body in memory, at most ``max_body_bytes`` of it, as a complete response."""
        status = response.status_code
        failed = status >= 400
        cap = (
            min(self.config.max_body_bytes, _ERROR_BODY_BYTES)
            if failed
            else self.config.max_body_bytes
        )
        declared = _content_length(response)
        if not failed and declared is not None and declared > cap:
            raise self.invalid(
                f"GET {shown}: the body ({_size(declared)}) is larger than the "
                f"{_size(cap)} cap (max_body_bytes); not read"
            )
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > cap:
                if failed:  # only a short reason is wanted from an error page
                    del body[cap:]
                    break
                raise self.invalid(
                    f"GET {shown}: the body is larger than the {_size(cap)} cap "
                    "(max_body_bytes); reading stopped there"
                )
            if self.deadline.expired():
                raise self._past_deadline(shown, 0)
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in _FRAMING_HEADERS
        ]
        return httpx.Response(
            status, headers=headers, content=bytes(body), request=response.request
        )

    def text(self, response: httpx.Response, what: str = "body") -> str:
        """The body as text; an HTML page (a login, proxy or error page) is an error."""
        shown = self._show(str(response.url), None)
        if _looks_html(response):
            raise self.invalid(f"GET {shown}: got an HTML page, not the {what}")
        return response.content.decode(response.encoding or "utf-8", "replace")

    def json(self, response: httpx.Response) -> Any:
        """The body parsed as JSON; empty, HTML, truncated, non-JSON or too deeply nested
        bodies are an :class:`UpstreamInvalidError`."""
        shown = self._show(str(response.url), None)
        body = response.content
        status = response.status_code
        if not body.strip():
            raise self.invalid(f"GET {shown}: empty body where JSON was expected", status)
        if _looks_html(response):
            raise self.invalid(f"GET {shown}: got an HTML page, not JSON", status)
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise self.invalid(
                f"GET {shown}: invalid JSON ({exc.msg} at byte {exc.pos} of {len(body)}; "
                "truncated body?)",
                status,
            ) from None
        except UnicodeDecodeError:
            raise self.invalid(f"GET {shown}: body is not UTF-8 JSON", status) from None
        except RecursionError:
            raise self.invalid(f"GET {shown}: JSON nested too deeply to read", status) from None
        except ValueError as exc:  # e.g. an integer of more digits than Python converts
            raise self.invalid(f"GET {shown}: invalid JSON ({_short(str(exc))})", status) from None

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
            if link is not None and not isinstance(link, str):
                raise self.invalid(f"GET {self._show(current, current_params)}: bad next-page link")
            try:
                current = relative_url(link) if link and "://" in link else link or None
                if current:  # never echo a key into a request or the logs
                    current = str(self._without_secrets(httpx.URL(current)))
            except httpx.InvalidURL:
                raise self.invalid(
                    f"GET {self._show(url, params)}: invalid next-page link"
                ) from None
            current_params = None
        return pages


def _content_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length", "").strip()
    return int(raw) if raw.isdigit() else None


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
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "error_msg", "detail"):
            if isinstance(data.get(key), str) and data[key]:
                return " ".join(data[key].split())[:300]
    text = body.decode("utf-8", "replace").strip().lstrip(":").strip()
    return " ".join(text.split())[:300]


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())
