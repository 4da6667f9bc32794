"""The server's own bounded compute pool, and the deadline of a request.

:class:`ComputePool` runs the blocking work of the service (a provider fetch, then
:func:`engine.analyze`) on at most ``workers`` threads, separate from asyncio's default
executor and from Starlette's thread pool, so a slow provider can occupy at most this
pool. Threads are daemons, started on demand and ended after a while idle: a provider
call that never returns cannot keep the process from exiting. Work that has not started
yet can be cancelled (its future's ``cancel()``); work that has started runs to its end.
:meth:`ComputePool.stats` says how many threads are busy, how much work waits, and for
how long the oldest running item has run (the ``/health`` report is built from it).

The deadline of a request is a monotonic instant in a context variable
(:func:`request_deadline`), set by :class:`DeadlineMiddleware` when the request arrives:
every wait of the service inside that request shares it, and waiting past it raises
:class:`DeadlineExceededError` (HTTP 504 ``upstream_timeout``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

from engine.errors import GexError

__all__ = [
    "ComputePool",
    "DeadlineExceededError",
    "DeadlineMiddleware",
    "PoolStats",
    "request_deadline",
]

T = TypeVar("T")
_DEADLINE: ContextVar[float | None] = ContextVar("gex_request_deadline", default=None)
IDLE_SECONDS = 30.0  # an idle worker thread ends after this long


class DeadlineExceededError(GexError):
    """The request's data or computation was not ready before its deadline (HTTP 504)."""


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A moment of the pool: threads, busy ones, waiting work, the oldest running item."""

    workers: int
    busy: int
    queued: int
    oldest_running: float  # seconds the longest-running item has run (0 when none)


def request_deadline() -> float | None:
    """The current request's deadline (``time.monotonic()`` seconds), or None."""
    return _DEADLINE.get()


@contextmanager
def deadline_in(seconds: float | None) -> Iterator[None]:
    """Within the block, the request deadline is ``seconds`` from now (None: no deadline)."""
    token = _DEADLINE.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class DeadlineMiddleware:
    """Sets the request deadline to ``timeout`` seconds after the request arrives (pure
    ASGI; ``timeout`` None or <= 0: no deadline)."""

    def __init__(self, app: ASGIApp, timeout: float | None) -> None:
        self.app = app
        self.timeout = timeout if timeout and timeout > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.timeout is None:
            await self.app(scope, receive, send)
            return
        with deadline_in(self.timeout):
            await self.app(scope, receive, send)


class ComputePool:
    """At most ``workers`` daemon threads running submitted callables (module docstring)."""

    def __init__(self, workers: int, clock: Callable[[], float] = time.monotonic) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = int(workers)
        self.clock = clock
        self._queue: deque[tuple[Future[Any], Callable[[], Any]]] = deque()
        self._cond = threading.Condition()
        self._threads = 0
        self._idle = 0
        self._running: dict[int, float] = {}
        self._closed = False

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn``; its future resolves with its result or exception."""
        future: Future[T] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the compute pool is closed")
            if len(self._queue) >= 4 * self.workers:  # drop items whose waiters gave up
                self._queue = deque(item for item in self._queue if not item[0].cancelled())
            self._queue.append((future, fn))
            if self._idle == 0 and self._threads < self.workers:
                self._threads += 1
                threading.Thread(target=self._work, name="gex-compute", daemon=True).start()
            else:
                self._cond.notify()
        return future

    def stats(self) -> PoolStats:
        now = self.clock()
        with self._cond:
            queued = sum(1 for future, _ in self._queue if not future.cancelled())
            oldest = max((now - t for t in self._running.values()), default=0.0)
            return PoolStats(self.workers, len(self._running), queued, oldest)

    def close(self) -> None:
        """Cancel queued work and let the threads end (running work finishes)."""
        with self._cond:
            self._closed = True
            while self._queue:
                self._queue.popleft()[0].cancel()
            self._cond.notify_all()

    def _next(self) -> tuple[Future[Any], Callable[[], Any]] | None:
        with self._cond:
            self._idle += 1
            try:
                while not self._queue:
                    if self._closed or not self._cond.wait(IDLE_SECONDS):
                        break
                if not self._queue:
                    self._threads -= 1
                    return None
                return self._queue.popleft()
            finally:
                self._idle -= 1

    def _work(self) -> None:
        while True:
            item = self._next()
            if item is None:
                return
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            token = object()
            with self._cond:
                self._running[id(token)] = self.clock()
            try:
                result = fn()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)
            finally:
                with self._cond:
                    del self._running[id(token)]
                del token
