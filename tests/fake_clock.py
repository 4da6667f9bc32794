"""A monotonic clock for tests that advances only when the code under test sleeps."""

from __future__ import annotations


class FakeClock:
    """Monotonic seconds (``clock()``) that move only through :meth:`sleep` (or a test
    setting ``now``); every sleep is recorded in ``sleeps``."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
