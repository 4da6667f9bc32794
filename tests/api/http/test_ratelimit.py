"""The moving-window limiter, on an injected clock (unix seconds)."""

from __future__ import annotations

import pytest

from api.http.ratelimit import MovingWindowLimiter


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_limit_per_window_then_refused_with_retry_after() -> None:
    clock = Clock()
    limiter = MovingWindowLimiter(3, 60.0, clock)
    decisions = []
    for step in range(3):
        clock.now = 1_000_000.0 + 10.0 * step
        decisions.append(limiter.hit("key:0"))
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert {d.reset for d in decisions} == {1_000_060}  # the oldest request leaves then
    clock.now = 1_000_025.5
    refused = limiter.hit("key:0")
    assert not refused.allowed and refused.remaining == 0
    assert refused.retry_after == 35  # ceil(1_000_060 - 1_000_025.5)
    headers = refused.headers()
    assert headers["Retry-After"] == "35" and headers["X-RateLimit-Limit"] == "3"
    assert "Retry-After" not in decisions[0].headers()


def test_the_window_moves_and_refusals_are_not_counted() -> None:
    clock = Clock()
    limiter = MovingWindowLimiter(2, 10.0, clock)
    assert limiter.hit("a").allowed
    clock.now += 4.0
    assert limiter.hit("a").allowed
    for _ in range(5):
        assert not limiter.hit("a").allowed
    clock.now += 6.0  # the first request leaves the window exactly now
    again = limiter.hit("a")
    assert again.allowed and again.remaining == 0
    assert not limiter.hit("a").allowed


def test_keys_are_independent_and_idle_keys_are_forgotten() -> None:
    clock = Clock()
    limiter = MovingWindowLimiter(1, 10.0, clock)
    assert limiter.hit("a").allowed
    assert limiter.hit("b").allowed
    assert not limiter.hit("a").allowed
    clock.now += 11.0
    limiter.forget_idle()
    assert limiter._hits == {}
    assert limiter.hit("a").allowed


def test_retry_after_is_at_least_one_second() -> None:
    clock = Clock()
    limiter = MovingWindowLimiter(1, 0.5, clock)
    limiter.hit("a")
    clock.now += 0.25
    assert limiter.hit("a").retry_after == 1


@pytest.mark.parametrize(("limit", "window"), [(0, 1.0), (-1, 1.0), (1, 0.0), (1, -2.0)])
def test_bad_settings_are_refused(limit: int, window: float) -> None:
    with pytest.raises(ValueError):
        MovingWindowLimiter(limit, window)
