"""Replay recorded provider bodies: a real HTTP server on 127.0.0.1 and an httpx mock transport.

Both serve the same :class:`Routes`: a path (optionally with ``?key=value`` parameters that
must be present) maps to a list of :class:`Reply`; each request takes the next reply, the last
one repeating. Every request is recorded (path, query, headers) for assertions.

The server binds an ephemeral port, answers from a thread, and is bounded: ``Reply.delay``
waits on an event that closing the server sets, handler errors (a client that timed out and
left) are swallowed, and closing joins every thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

import httpx


@dataclass(frozen=True)
class Reply:
    """One recorded answer. ``delay`` (s) simulates a slow server; ``truncate`` announces a
    longer body than it sends and closes the connection."""

    status: int = 200
    body: bytes | str = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False

    @property
    def data(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class Seen:
    """A request as the server saw it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


NOT_FOUND = Reply(404, b'{"status":"NOT_FOUND","message":"no such route"}')


class Routes:
    """Path (+ required query parameters) -> replies served in order, the last repeating."""

    def __init__(self, routes: Mapping[str, Reply | Sequence[Reply]]) -> None:
        self._queues: dict[str, list[Reply]] = {}
        self._match: list[tuple[str, dict[str, str], str]] = []
        for key, replies in routes.items():
            self._queues[key] = [replies] if isinstance(replies, Reply) else list(replies)
            path, _, query = key.partition("?")
            self._match.append((path, dict(parse_qsl(query)), key))
        self._match.sort(key=lambda m: -len(m[1]))  # most specific first
        self.requests: list[Seen] = []
        self._lock = threading.Lock()

    def answer(self, path: str, query: dict[str, str], headers: Mapping[str, str]) -> Reply:
        with self._lock:
            self.requests.append(
                Seen(path, dict(query), {k.lower(): v for k, v in headers.items()})
            )
            for want_path, want_query, key in self._match:
                if want_path == path and all(query.get(k) == v for k, v in want_query.items()):
                    queue = self._queues[key]
                    return queue.pop(0) if len(queue) > 1 else queue[0]
            return NOT_FOUND

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]


def mock_transport(routes: Routes) -> httpx.MockTransport:
    """The same replies through :class:`httpx.MockTransport` (delays raise a read timeout,
    truncation a protocol error, as a real connection would)."""

    def handler(request: httpx.Request) -> httpx.Response:
        query = dict(parse_qsl(request.url.query.decode()))
        reply = routes.answer(request.url.path, query, request.headers)
        if reply.delay:
            raise httpx.ReadTimeout("timed out", request=request)
        if reply.truncate:
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        headers = {"content-type": reply.content_type, **reply.headers}
        return httpx.Response(reply.status, content=reply.data, headers=headers)

    return httpx.MockTransport(handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 5

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        reply = self.server.routes.answer(parts.path, query, dict(self.headers.items()))
        if reply.delay and self.server.stopping.wait(reply.delay):
            return
        data = reply.data
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(data) + (100 if reply.truncate else 0)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (timeout) and closed the socket
            return
        if reply.truncate:
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins every handler thread
    block_on_close = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], **attributes: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        for name, value in attributes.items():
            setattr(self, name, value)  # what the handler reads as ``self.server.<name>``
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that disconnected mid-reply is expected in the failure tests."""


class LoopbackServer:
    """Context manager: ``handler`` serving on 127.0.0.1 from a thread; ``attributes`` are set
    on the server, where the handler reads them (``self.server.routes``)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], **attributes: Any) -> None:
        self._server = _Server(handler, **attributes)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class ReplayServer(LoopbackServer):
    """A loopback HTTP server replaying ``routes`` from a thread."""

    def __init__(self, routes: Routes) -> None:
        self.routes = routes
        super().__init__(_Handler, routes=routes)


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
