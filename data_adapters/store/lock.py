"""The writer lock: one writer per store at a time, across processes (``fcntl.flock``).

The lock is an exclusive ``flock`` on ``<root>/_writer.lock``, held for the writer's whole
life; the holder's pid is written into the file for the error message. The kernel releases
it when the holder exits or is killed, so a crashed writer never leaves the store locked.
Readers take no lock. ``flock`` is POSIX; on a network file system it is only as reliable
as that file system's locking (use a local disk for the store).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from data_adapters.store.errors import StoreError, StoreLockedError

__all__ = ["WriterLock"]


class WriterLock:
    """An exclusive lock on ``path``; :meth:`acquire` waits up to ``timeout`` seconds.

    ``clock`` (monotonic seconds) and ``sleep`` are injectable so that a test can wait
    without a real clock.
    """

    def __init__(
        self,
        path: Path,
        timeout: float = 0.0,
        *,
        poll: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if not timeout >= 0:
            raise StoreError(f"the lock timeout must be >= 0 seconds, not {timeout!r}")
        self.path = path
        self.timeout = float(timeout)
        self.poll = max(float(poll), 1e-3)
        self._clock = clock
        self._sleep = sleep
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def _holder(self) -> int | None:
        with contextlib.suppress(OSError, ValueError):
            return int(self.path.read_text().strip() or "x")
        return None

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout`` seconds; StoreLockedError when held."""
        import fcntl

        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot open the writer lock {self.path}: {exc}") from exc
        start = self._clock()
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = self._clock() - start
                    if waited >= self.timeout:
                        pid = self._holder()
                        who = f"process {pid}" if pid is not None else "another process"
                        waits = f" after waiting {waited:.1f} s" if self.timeout else ""
                        raise StoreLockedError(
                            f"the store {self.path.parent} is being written by {who} "
                            f"(lock {self.path}){waits}; one writer at a time: wait for it "
                            "to finish or give a lock timeout",
                            pid,
                        ) from None
                    self._sleep(min(self.poll, self.timeout - waited))
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        import fcntl

        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
