"""Hostile or broken requests get docs/api.md's JSON error bodies, at the ASGI edge and below it.

**In the app** (any ASGI server): :class:`HeaderLimitMiddleware` answers before routing

==========================================================  ====  ======================
request                                                     HTTP  ``error``
==========================================================  ====  ======================
path + query longer than :data:`MAX_URL_BYTES` (8 KiB)       414   ``uri_too_long``
more than :data:`MAX_HEADERS` (100) header fields             431   ``headers_too_large``
request target + header fields over ``max_header_bytes``     431   ``headers_too_large``
(``GEX_MAX_HEADER_BYTES``, 16 KiB by default)
==========================================================  ====  ======================

**Below the app**: uvicorn's own HTTP parser answers some requests before any ASGI app
sees them — a request it cannot parse (bad request line, bad header syntax, an unknown
HTTP version, ...) is ``400`` ``text/plain`` "Invalid HTTP request received.", and with
h11 a head over ``h11_max_incomplete_event_size`` is the same 400. ``gex serve``
(:func:`api.http.server.serve`) runs uvicorn with :func:`json_protocol`, a subclass of
uvicorn's parser protocol that answers those with ``{"error": "bad_request", "message":
"Invalid HTTP request received."}`` (``application/json``), and with httptools also counts
the request target and headers while they are parsed, answering 431
``headers_too_large`` (JSON) as soon as they pass the limit, before the rest is buffered.
``uvicorn api.http.app:create_app --factory`` uses uvicorn's stock protocol (its ``--http``
option takes no class): there the parser's 400 stays plain text, and oversized heads are
caught by :class:`HeaderLimitMiddleware` after uvicorn has read them.
"""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "BAD_REQUEST",
    "MAX_HEADERS",
    "MAX_URL_BYTES",
    "HeaderLimitMiddleware",
    "json_protocol",
]

MAX_URL_BYTES: Final = 8 * 1024
MAX_HEADERS: Final = 100
BAD_REQUEST: Final = {"error": "bad_request", "message": "Invalid HTTP request received."}


def _too_large(limit: int) -> dict[str, str]:
    return {
        "error": "headers_too_large",
        "message": f"The request target and headers exceed {limit} bytes or {MAX_HEADERS} fields.",
    }


_URI_TOO_LONG = {
    "error": "uri_too_long",
    "message": f"The request target exceeds {MAX_URL_BYTES} bytes.",
}


def _body(payload: dict[str, str]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


class HeaderLimitMiddleware:
    """414/431 with a JSON body for oversized request targets and heads (pure ASGI)."""

    def __init__(self, app: ASGIApp, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        headers = scope.get("headers") or []
        size = target + sum(len(name) + len(value) + 4 for name, value in headers)
        if target > MAX_URL_BYTES:
            await _answer(send, 414, _URI_TOO_LONG)
        elif len(headers) > MAX_HEADERS or size > self.max_header_bytes:
            await _answer(send, 431, _too_large(self.max_header_bytes))
        else:
            await self.app(scope, receive, send)


async def _answer(send: Send, status: int, payload: dict[str, str]) -> None:
    body = _body(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _HeadTooLargeError(Exception):
    """Raised from a parser callback: the head passed the limit."""


_REASONS = {400: b"Bad Request", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


def json_protocol(max_header_bytes: int) -> type[Any]:
    """uvicorn's HTTP protocol class (httptools when installed, else h11) answering its
    parser errors with JSON, and (httptools) a head over ``max_header_bytes`` with 431."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # no httptools: h11, whose own limit is set by the caller
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return _json_400(H11Protocol, max_header_bytes)
    return _json_400(HttpToolsProtocol, max_header_bytes)


def _json_400(base: type[Any], limit: int) -> type[Any]:
    counting = hasattr(base, "on_header")

    class JsonErrorsProtocol(base):  # type: ignore[misc, valid-type]
        """uvicorn's protocol with JSON bodies for the answers it gives on its own."""

        _gex_url = 0
        _gex_head = 0
        _gex_fields = 0
        _gex_refusal: tuple[int, dict[str, str]] | None = None

        def send_400_response(self, msg: str) -> None:
            status, payload = self._gex_refusal or (400, BAD_REQUEST)
            body = _body(payload)
            head = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])]
            for name, value in self.server_state.default_headers:
                head += [name, b": ", value, b"\r\n"]
            head += [
                b"content-type: application/json\r\n",
                b"content-length: %d\r\n" % len(body),
                b"connection: close\r\n\r\n",
            ]
            self.transport.write(b"".join(head) + body)
            self.transport.close()

        if counting:

            def on_message_begin(self) -> None:
                self._gex_url = self._gex_head = self._gex_fields = 0
                super().on_message_begin()

            def _gex_count(self, size: int, fields: int = 0) -> None:
                self._gex_head += size
                self._gex_fields += fields
                if self._gex_head > limit or self._gex_fields > MAX_HEADERS:
                    self._gex_refusal = (431, _too_large(limit))
                    raise _HeadTooLargeError

            def on_url(self, url: bytes) -> None:
                self._gex_url += len(url)
                if self._gex_url > MAX_URL_BYTES:
                    self._gex_refusal = (414, _URI_TOO_LONG)
                    raise _HeadTooLargeError
                self._gex_count(len(url))
                super().on_url(url)

            def on_header(self, name: bytes, value: bytes) -> None:
                self._gex_count(len(name) + len(value) + 4, 1)
                super().on_header(name, value)

    JsonErrorsProtocol.__name__ = JsonErrorsProtocol.__qualname__ = f"JsonErrors{base.__name__}"
    return JsonErrorsProtocol
