"""A loopback stand-in for Databento's historical gateway, serving recorded DBN bodies.

It speaks the two endpoints the official client calls: ``POST /v0/timeseries.get_range``
(form-encoded body) and ``GET /v0/metadata.get_dataset_range`` (query). Replies are looked up
by ``dataset|schema|symbols`` (the form fields as sent) or ``range|dataset``; each request
takes the next reply of its list, the last one repeating; anything else is a 422 like the
service's symbology errors. Every request is recorded (method, path, fields, headers).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.data_adapters.loopback import LoopbackServer, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "databento"
UNRESOLVED = Reply(
    422,
    b'{"detail":{"case":"symbology_invalid_request","message":"None of the symbols could be '
    b'resolved.","status_code":422,"docs":null,"payload":null}}',
)


def dbn_reply(name: str, **kw: Any) -> Reply:
    """A recorded DBN stream from ``tests/data_adapters/fixtures/databento``."""
    data = (FIXTURES / f"{name}.dbn.zst").read_bytes()
    return Reply(200, data, "application/octet-stream", **kw)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    fields: dict[str, str]
    headers: dict[str, str]

    @property
    def key(self) -> str:
        if self.path.endswith("metadata.get_dataset_range"):
            return f"range|{self.fields.get('dataset', '')}"
        f = self.fields
        return f"{f.get('dataset', '')}|{f.get('schema', '')}|{f.get('symbols', '')}"


class Gateway:
    """Replies by request key, and the requests seen."""

    def __init__(self, replies: Mapping[str, Reply | Sequence[Reply]]) -> None:
        self._queues = {k: [v] if isinstance(v, Reply) else list(v) for k, v in replies.items()}
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            queue = self._queues.get(request.key)
            if not queue:
                return UNRESOLVED
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def schemas(self) -> list[str]:
        return [r.fields.get("schema", "range") for r in self.requests]


class _Handler(BaseHTTPRequestHandler):
    server: Any  # the loopback server: .gateway, .stopping
    timeout = 5

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log."""

    def _serve(self, method: str, fields: dict[str, str]) -> None:
        path = urlsplit(self.path).path
        request = Request(method, path, fields, {k.lower(): v for k, v in self.headers.items()})
        reply = self.server.gateway.answer(request)
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

    def do_GET(self) -> None:
        self._serve("GET", dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("ascii", "replace")
        self._serve("POST", dict(parse_qsl(body, keep_blank_values=True)))


class GatewayServer(LoopbackServer):
    """The stand-in gateway on 127.0.0.1, answering from a thread."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__(_Handler, gateway=gateway)
