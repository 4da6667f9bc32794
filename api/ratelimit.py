"""Per-key moving-window rate limit, in memory.

A key may make ``limit`` requests in any ``window`` seconds: each accepted request's time
is kept (at most ``limit`` per key), and a request is refused while ``limit`` of them lie
within the last ``window`` seconds. Refused requests are not recorded, so a client that
keeps retrying is admitted as soon as its oldest request leaves the window.

Times come from ``clock`` (unix seconds, :func:`time.time` by default; tests inject one).
The headers follow API.md: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` (after this
request), ``X-RateLimit-Reset`` (unix seconds, rounded up, when the oldest request counted
leaves the window) and, on refusal, ``Retry-After`` (whole seconds, at least 1).

The limiter is used from the event loop only (no locking).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Decision", "MovingWindowLimiter"]


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one request against the limit."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # unix seconds
    retry_after: int  # seconds; 0 when allowed

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


class MovingWindowLimiter:
    """``limit`` requests per ``window`` seconds per key (see the module docstring)."""

    MAX_KEYS = 4096  # idle keys are dropped when this many are tracked

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        if not window > 0:
            raise ValueError(f"window must be > 0, got {window}")
        self.limit = int(limit)
        self.window = float(window)
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> Decision:
        """Count one request of ``key`` if the window allows it."""
        now = self.clock()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.MAX_KEYS:
                self.forget_idle()
            hits = self._hits[key] = deque()
        horizon = now - self.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= self.limit:
            leaves = hits[0] + self.window
            return Decision(
                False, self.limit, 0, math.ceil(leaves), max(1, math.ceil(leaves - now))
            )
        hits.append(now)
        return Decision(
            True, self.limit, self.limit - len(hits), math.ceil(hits[0] + self.window), 0
        )

    def forget_idle(self) -> None:
        """Drop the keys with no request inside the window (bounds memory)."""
        horizon = self.clock() - self.window
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= horizon]:
            del self._hits[key]
