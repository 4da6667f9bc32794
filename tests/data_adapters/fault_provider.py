"""A provider that misbehaves on purpose: a real HTTP server on 127.0.0.1 with fault modes.

:class:`FaultProvider` answers every GET, whatever the path, with one :class:`Fault`:

==================  ===========================================================================
``drip``            200 and headers at once, then one body byte every ``interval`` seconds
``drip_headers``    the status line and headers themselves one byte every ``interval`` seconds
``huge``            ``size`` bytes of JSON whitespace, generated 1 MiB at a time (never stored),
                    with that ``Content-Length``, or chunked without any when ``chunked``
``truncated``       ``body`` announced with a ``Content-Length`` 100 bytes longer, then closed
``redirect_away``   302 to the same path and query on a second listener (another port)
``redirect_loop``   302 to the very URL asked for
``redirect_chain``  302 to ``/hop/<n+1>``, for ever (distinct URLs)
``reply``           ``status``, ``body``, ``content_type`` and ``headers`` as given (an error
                    body, wrong types, deep or non-JSON, 429 with ``Retry-After``, 5xx)
==================  ===========================================================================

The second listener (``elsewhere``) records every request it gets, headers included, so a
test can tell whether credentials followed a redirect; it answers ``{}``. Every request to
either is recorded (:class:`tests.data_adapters.loopback.Seen`), and ``sent`` counts the body
bytes the provider managed to write, so a test can see where a client stopped reading.

Bounded: each slow loop waits on an event that closing the provider sets, stops at the first
failed write (the client left), and closing joins every handler thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from tests.data_adapters.loopback import Seen

__all__ = ["KINDS", "Fault", "FaultProvider"]

KINDS: Final = ("drip", "drip_headers", "huge", "truncated", "redirect_away", "redirect_loop",
                "redirect_chain", "reply")  # fmt: skip
_CHUNK: Final = b" " * 2**20


@dataclass(frozen=True)
class Fault:
    """One way to misbehave (see the module doc for each ``kind``)."""

    kind: str
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    interval: float = 0.2
    size: int = 800 * 2**20
    chunked: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; known: {', '.join(KINDS)}")


class _Recorder:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.sent = 0
        self._lock = threading.Lock()

    def seen(self, handler: BaseHTTPRequestHandler) -> Seen:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        seen = Seen(parts.path, query, headers)
        with self._lock:
            self.requests.append(seen)
        return seen

    def wrote(self, n: int) -> None:
        with self._lock:
            self.sent += n


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 10

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log."""

    def _write(self, data: bytes) -> bool:
        """Send ``data`` now; False once the client has gone."""
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return False
        self.server.recorder.wrote(len(data))
        return True

    def _head(self, status: int, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Connection": "close"}.items():
            self.send_header(name, value)
        self.end_headers()

    def do_GET(self) -> None:
        self.server.recorder.seen(self)
        fault, stop = self.server.fault, self.server.stopping
        kind = fault.kind
        try:
            if kind == "drip":
                self._head(200, {"Content-Type": fault.content_type, "Content-Length": "1000"})
                for _ in range(1000):
                    if stop.wait(fault.interval) or not self._write(b" "):
                        break
            elif kind == "drip_headers":
                head = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + b"X-Pad: "
                    + (b"a" * 500)
                )
                for byte in head:
                    if stop.wait(fault.interval) or not self._write(bytes([byte])):
                        break
            elif kind == "huge":
                framing = (
                    {"Transfer-Encoding": "chunked"}
                    if fault.chunked
                    else {"Content-Length": str(fault.size)}
                )
                self._head(200, {"Content-Type": "application/json", **framing})
                left = fault.size
                while left > 0 and not stop.is_set():
                    piece = _CHUNK[: min(left, len(_CHUNK))]
                    frame = b"%x\r\n%s\r\n" % (len(piece), piece) if fault.chunked else piece
                    if not self._write(frame):
                        break
                    left -= len(piece)
                if fault.chunked and left <= 0:
                    self._write(b"0\r\n\r\n")
            elif kind == "truncated":
                self._head(200, {"Content-Type": fault.content_type,
                                 "Content-Length": str(len(fault.body) + 100)})  # fmt: skip
                self._write(fault.body)
            elif kind.startswith("redirect"):
                if kind == "redirect_away":
                    target = self.server.elsewhere_url + self.path
                elif kind == "redirect_loop":
                    target = self.path
                else:
                    last = self.path.rsplit("/", 1)[-1].split("?")[0]
                    target = f"/hop/{int(last) + 1 if last.isdigit() else 1}"
                self._head(302, {"Location": target, "Content-Length": "0"})
            else:
                self._head(fault.status, {"Content-Type": fault.content_type,
                                          "Content-Length": str(len(fault.body)),
                                          **fault.headers})  # fmt: skip
                self._write(fault.body)
        except OSError:  # the client gave up mid-answer (a deadline, a cap)
            pass
        self.close_connection = True  # one answer per connection: no thread waits for more


class _ElsewhereHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 10

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log."""

    def do_GET(self) -> None:
        self.server.recorder.seen(self)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"{}")
        except OSError:
            pass
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins every handler thread
    block_on_close = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], fault: Fault | None) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.fault = fault or Fault("reply")
        self.recorder = _Recorder()
        self.stopping = threading.Event()
        self.elsewhere_url = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that disconnected mid-answer is the point of these faults."""


class FaultProvider:
    """Context manager: the faulty provider (``url``) and a second listener (``elsewhere``)."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self._main = _Server(_Handler, fault)
        self._other = _Server(_ElsewhereHandler, None)
        self._main.elsewhere_url = self._other.url
        self._threads = [
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            for s in (self._main, self._other)
        ]

    @property
    def url(self) -> str:
        return self._main.url

    @property
    def elsewhere_url(self) -> str:
        return self._other.url

    @property
    def requests(self) -> list[Seen]:
        return self._main.recorder.requests

    @property
    def elsewhere(self) -> list[Seen]:
        """Requests the second listener got (a redirect that was followed)."""
        return self._other.recorder.requests

    @property
    def sent(self) -> int:
        """Bytes of answer the provider wrote before the client stopped reading."""
        return self._main.recorder.sent

    def __enter__(self) -> FaultProvider:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in (self._main, self._other):
            server.stopping.set()
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
