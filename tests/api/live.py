"""Real servers for the API tests: a uvicorn subprocess, or uvicorn in a thread.

``ServerProcess`` runs ``api.http.server.serve`` (or any command) in a child process on a free
loopback port, waits (bounded) until ``/health`` answers, and on exit terminates it, then
kills it if it does not stop in time; its output goes to a temporary log file whose tail is
shown when it fails to start. ``ThreadServer`` serves an app object (for injected sources)
from a thread on a socket bound to port 0. Neither leaks a process, a thread or a socket.

``PinnedSource`` is the deterministic demo market frozen at one instant (a Friday morning,
so the index options have a same-day expiry); ``RaisingSource`` raises a given error.
``raw_request`` sends bytes exactly as given over one connection (no client-side URL
normalization: ``%2e%2e`` stays ``%2e%2e``) and parses the answer.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from data_adapters import get_source
from engine.chain import ChainSnapshot

REPO = Path(__file__).resolve().parents[2]
FRIDAY = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 10:00 New York
START_TIMEOUT = 120.0  # seconds; a cold kernel cache compiles for a while
ISOLATED_ENV = frozenset({"GEX_STORE", "GEX_DEMO_CLOCK"})
"""Variables a child server does not inherit (a developer's own store or clock would change
what it answers); a test passes them in ``env`` when it means to."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(base_url: str, deadline: float, alive: Any = None) -> None:
    """Poll ``/health`` until 200, ``alive()`` turns false, or ``deadline`` (monotonic)."""
    with httpx.Client(base_url=base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if alive is not None and not alive():
                raise RuntimeError("the server exited before answering")
            try:
                if client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"no answer from {base_url}/health in time")


class ServerProcess:
    """``serve(port=..., **kwargs)`` in a child process with ``env`` added to the environment;
    or ``argv`` (``{port}`` replaced by the free port) instead of ``serve``."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        argv: list[str] | None = None,
        **serve_kwargs: Any,
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        kwargs = {"port": self.port, "log_level": "warning", **serve_kwargs}
        self.command = (
            [a.replace("{port}", str(self.port)) for a in argv]
            if argv is not None
            else [sys.executable, "-c", f"from api.http.server import serve; serve(**{kwargs!r})"]
        )
        inherited = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
        self.env = {**inherited, **(env or {})}
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self.process = subprocess.Popen(
            self.command, cwd=REPO, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            wait_healthy(self.base_url, time.monotonic() + START_TIMEOUT, self.alive)
        except RuntimeError as exc:
            self.__exit__(None, None, None)
            raise RuntimeError(f"{exc}; server output:\n{self.output()[-4000:]}") from None
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=15)
            self.process = None
        if not self._log.closed:
            self._log.close()


class ThreadServer:
    """uvicorn serving ``app`` from a thread on 127.0.0.1 (an ephemeral port)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("the threaded server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


class PinnedSource:
    """The demo market, every snapshot taken at ``as_of`` unless another is asked for."""

    name = "demo"

    def __init__(self, as_of: datetime = FRIDAY, **settings: Any) -> None:
        self.inner = get_source("demo", **settings)
        self.as_of = as_of
        self.snapshots = 0

    def symbols(self) -> list[str]:
        return list(self.inner.symbols())

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        self.snapshots += 1
        return self.inner.snapshot(symbol, as_of or self.as_of)


class RaisingSource:
    """A source whose snapshots raise ``error`` (symbols still list ``SPX``)."""

    name = "raising"

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def symbols(self) -> list[str]:
        return ["SPX"]

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        raise self.error


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def raw_request(port: int, data: bytes, timeout: float = 30.0) -> RawResponse:
    """Send ``data`` to 127.0.0.1:``port``, read until the server closes, parse HTTP/1.1."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # the server may answer and close before reading everything: read the answer anyway
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(status, headers, body)


def get_request(target: str, headers: Mapping[str, str] | None = None) -> bytes:
    """A ``GET target HTTP/1.1`` request (``Connection: close``) with ``headers``."""
    given = dict(headers or {})
    lines = [f"GET {target} HTTP/1.1", f"Host: {given.pop('Host', '127.0.0.1')}"]
    lines += [f"{name}: {value}" for name, value in given.items()]
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")
