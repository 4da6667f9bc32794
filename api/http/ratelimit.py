"""Per-key moving-window rate limit, in memory.

A key may make ``limit`` requests in any ``window`` seconds: each accepted request's time
is kept (at most ``limit`` per key), and a request is refused while ``limit`` of them lie
within the last ``window`` seconds. Refused requests are not recorded, so a client that
keeps retrying is admitted as soon as its oldest request leaves the window.

Times come from ``clock`` (unix seconds, :func:`time.time` by default; tests inject one).
The headers follow docs/api.md: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` (after this
request), ``X-RateLimit-Reset`` (unix seconds, rounded up, when the oldest request counted
leaves the window) and, on refusal, ``Retry-After`` (whole seconds, at least 1).

A request may cost more than one (``hit(key, cost)``): ``/v1/scan`` counts one per symbol.
A cost above ``limit`` is clamped to ``limit`` (the request fills a whole window rather
than being refused forever).

:class:`FailureThrottle` counts failed authentications per client address in a moving
window: after ``limit`` of them the address is refused (``check`` returns the refusal)
until the oldest failure leaves the window. Refused requests are not counted again, so a
client that keeps hammering is admitted as soon as the window allows.

Both are used from the event loop only (no locking).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Decision", "FailureThrottle", "MovingWindowLimiter"]


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

    def hit(self, key: str, cost: int = 1) -> Decision:
        """Count ``cost`` requests of ``key`` (clamped to 1..limit) if the window allows."""
        cost = min(max(1, int(cost)), self.limit)
        now = self.clock()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.MAX_KEYS:
                self.forget_idle()
            hits = self._hits[key] = deque()
        horizon = now - self.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) + cost > self.limit:
            leaves = hits[len(hits) + cost - self.limit - 1] + self.window
            return Decision(
                False,
                self.limit,
                max(0, self.limit - len(hits)),
                math.ceil(hits[0] + self.window),
                max(1, math.ceil(leaves - now)),
            )
        hits.extend([now] * cost)
        return Decision(
            True, self.limit, self.limit - len(hits), math.ceil(hits[0] + self.window), 0
        )

    def forget_idle(self) -> None:
        """Drop the keys with no request inside the window (bounds memory)."""
        horizon = self.clock() - self.window
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= horizon]:
            del self._hits[key]


class FailureThrottle:
    """``limit`` failed authentications per ``window`` seconds per client address."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        self._failures = MovingWindowLimiter(limit, window, clock)
        self.limit = self._failures.limit
        self.window = self._failures.window

    def check(self, address: str) -> Decision | None:
        """The refusal while ``address`` is over its limit, else None (nothing counted)."""
        failures = self._failures
        hits = failures._hits.get(address)
        if not hits:
            return None
        now = failures.clock()
        horizon = now - failures.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) < failures.limit:
            return None
        leaves = hits[0] + failures.window
        return Decision(
            False, failures.limit, 0, math.ceil(leaves), max(1, math.ceil(leaves - now))
        )

    def failed(self, address: str) -> None:
        """Count one failed authentication of ``address``."""
        self._failures.hit(address)
