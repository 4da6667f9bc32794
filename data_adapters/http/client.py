"""``HttpClient``: retries, bounded bodies, same-origin redirects, pagination, typed errors."""

from __future__ import annotations

import contextlib
import json
import logging
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from data_adapters.errors import (
    DataSourceError,
    SymbolNotFoundError,
    UpstreamAuthError,
    UpstreamInvalidError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
)
from data_adapters.http.config import (
    _AUTH_STATUSES,
    _ERROR_BODY_BYTES,
    _FRAMING_HEADERS,
    _SHAPE_ERRORS,
    _STATUS_TEXT,
    HttpConfig,
    T,
    UnreachableError,
    _origin,
    _origin_text,
    _short,
    _size,
    relative_url,
)
from data_adapters.http.responses import (
    _body_detail,
    _content_length,
    _looks_html,
    _parse_retry_after,
)
from data_adapters.http.secrets import _AuthTransport, _forget, _remember
from data_adapters.http.transport import Deadline, _CoreTransport
from engine.errors import GexError

log = logging.getLogger("data_adapters.http")


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
