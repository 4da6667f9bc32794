"""Credentials: attached only for the configured origin, scrubbed from every message and log record."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Collection, Mapping

import httpx

from data_adapters.http.config import _origin

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
