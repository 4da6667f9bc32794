"""``gex watch``: poll analyses, detect regime changes and flip crossings, alert, POST webhooks.

The pieces are separate so each can be tested without a network or a clock:

:class:`Observation`
    What one poll of one symbol says: ``as_of``, regime, spot and gamma flip.
:func:`detect`
    The events between two consecutive observations of a symbol: ``regime_change`` when
    the regime differs, ``flip_cross`` when spot moved to the other side of the gamma flip
    (side ``above`` when spot ≥ flip, ``below`` otherwise; no side while the flip is
    unknown). The first observation of a symbol only records its state.
:class:`WebhookSender`
    POSTs an event as JSON, retrying with exponential backoff (bounded attempts, delays
    capped, ``Retry-After`` honoured up to the cap) on connection errors, timeouts, HTTP 5xx
    and 429; any other status is final. The HTTP transport and ``sleep`` are injectable.
:class:`Watcher`
    The polling loop: every ``interval`` seconds (measured from the start of each poll with
    an injectable ``clock``) it fetches each symbol, detects, reports and delivers; it runs
    until interrupted, or for ``iterations`` polls when asked. A data error on one symbol is
    reported and the symbol retried at the next poll (its last good observation is kept);
    a :class:`~engine.errors.ConfigurationError` stops the loop, since it cannot heal.

Event body (``WatchEvent.to_json``)::

    {"event": "regime_change" | "flip_cross", "symbol": "SPX", "as_of": "...Z",
     "previous": "positive_gamma" | "above" ..., "current": ..., "spot": float,
     "gamma_flip": float | null}
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from api.views import finite, iso_utc
from engine.analysis.single import Analysis
from engine.errors import ConfigurationError, GexError

__all__ = [
    "Delivery",
    "Observation",
    "WatchEvent",
    "Watcher",
    "WebhookSender",
    "detect",
    "redact_url",
    "retryable",
]


def retryable(status: int) -> bool:
    """Whether a webhook answer with ``status`` is worth another attempt (429 or 5xx)."""
    return status == 429 or status >= 500


@dataclass(frozen=True, slots=True)
class Observation:
    """One poll of one symbol."""

    symbol: str
    as_of: str
    regime: str
    spot: float | None
    gamma_flip: float | None

    @classmethod
    def of(cls, analysis: Analysis) -> Observation:
        """The observation an analysis makes (``as_of`` as UTC ISO-8601 with ``Z``)."""
        return cls(
            symbol=analysis.symbol,
            as_of=iso_utc(analysis.as_of),
            regime=analysis.regime,
            spot=finite(analysis.underlying_price),
            gamma_flip=finite(analysis.gamma_flip),
        )

    @property
    def side(self) -> str | None:
        """``above`` (spot ≥ flip), ``below``, or None when spot or flip is unknown."""
        if self.spot is None or self.gamma_flip is None:
            return None
        return "above" if self.spot >= self.gamma_flip else "below"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """An alert: ``event`` is ``regime_change`` or ``flip_cross``."""

    event: str
    symbol: str
    as_of: str
    previous: str
    current: str
    spot: float | None
    gamma_flip: float | None

    def to_json(self) -> dict[str, Any]:
        """The webhook body (and the ``--json`` line of ``gex watch``)."""
        return {
            "event": self.event,
            "symbol": self.symbol,
            "as_of": self.as_of,
            "previous": self.previous,
            "current": self.current,
            "spot": self.spot,
            "gamma_flip": self.gamma_flip,
        }

    def describe(self) -> str:
        """One readable line: ``SPX regime change: positive_gamma -> negative_gamma ...``."""
        what = "regime change" if self.event == "regime_change" else "spot crossed the flip"
        spot = "—" if self.spot is None else f"{self.spot:,.2f}"
        flip = "—" if self.gamma_flip is None else f"{self.gamma_flip:,.2f}"
        return (
            f"{self.as_of} {self.symbol} {what}: {self.previous} -> {self.current} "
            f"(spot {spot}, flip {flip})"
        )


def detect(previous: Observation | None, current: Observation) -> list[WatchEvent]:
    """Events between two consecutive observations of one symbol (none for the first)."""
    if previous is None:
        return []

    def event(kind: str, before: str, after: str) -> WatchEvent:
        return WatchEvent(
            kind, current.symbol, current.as_of, before, after, current.spot, current.gamma_flip
        )

    events = []
    if previous.regime != current.regime:
        events.append(event("regime_change", previous.regime, current.regime))
    before, after = previous.side, current.side
    if before is not None and after is not None and before != after:
        events.append(event("flip_cross", before, after))
    return events


def redact_url(url: str) -> str:
    """``scheme://host[:port]`` only: webhook paths and queries often carry tokens."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one :meth:`WebhookSender.send`."""

    ok: bool
    attempts: int
    status: int | None
    error: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"delivered (HTTP {self.status}, {self.attempts} attempt(s))"
        reason = self.error or f"HTTP {self.status}"
        return f"not delivered after {self.attempts} attempt(s): {reason}"


class WebhookSender:
    """POST JSON events to ``url`` with bounded retries (see the module docstring).

    ``max_attempts`` counts the first try; the n-th retry waits
    ``min(backoff · 2^(n-1), max_delay)`` seconds, or ``Retry-After`` when the server sends
    one (capped at ``max_delay``). ``transport`` replaces httpx's network transport (tests
    pass an :class:`httpx.MockTransport`); ``sleep`` replaces :func:`time.sleep`.
    """

    def __init__(
        self,
        url: str,
        *,
        max_attempts: int = 4,
        backoff: float = 0.5,
        max_delay: float = 30.0,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError("webhook must be an http:// or https:// URL with a host")
        if max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be >= 1, got {max_attempts}")
        self.url = url
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_delay = max_delay
        self.sleep = sleep
        self._client = httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            headers={"content-type": "application/json", "user-agent": "gex-engine watch"},
        )

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        delay = self.backoff * 2.0 ** (attempt - 1)
        if response is not None:
            raw = response.headers.get("retry-after", "")
            try:
                announced = float(raw)
            except ValueError:
                announced = math.nan
            if math.isfinite(announced) and announced >= 0:
                delay = announced
        return max(0.0, min(delay, self.max_delay))

    def send(self, payload: Mapping[str, Any]) -> Delivery:
        """POST ``payload``; never raises for network or HTTP failures (see :class:`Delivery`)."""
        body = json.dumps(payload, allow_nan=False).encode()
        status: int | None = None
        error: str | None = None
        for attempt in range(1, self.max_attempts + 1):
            response: httpx.Response | None = None
            try:
                response = self._client.post(self.url, content=body)
            except httpx.TransportError as exc:
                status, error = None, f"{type(exc).__name__} reaching {redact_url(self.url)}"
            else:
                status, error = response.status_code, None
                if response.is_success:
                    return Delivery(True, attempt, status)
                if not retryable(status):
                    return Delivery(False, attempt, status, f"HTTP {status} (not retried)")
            if attempt < self.max_attempts:
                self.sleep(self._delay(attempt, response))
        return Delivery(False, self.max_attempts, status, error)


class Watcher:
    """Poll ``symbols`` through ``fetch`` and report (see the module docstring).

    Callbacks: ``on_poll(observation)`` after each successful fetch, ``on_event(event,
    delivery)`` for each event (``delivery`` None without a sender), ``on_error(symbol,
    error)`` for a data error that the next poll may heal.
    """

    def __init__(
        self,
        fetch: Callable[[str], Analysis],
        symbols: Iterable[str],
        *,
        interval: float = 30.0,
        sender: WebhookSender | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_poll: Callable[[Observation], None] | None = None,
        on_event: Callable[[WatchEvent, Delivery | None], None] | None = None,
        on_error: Callable[[str, GexError], None] | None = None,
    ) -> None:
        self.fetch = fetch
        self.symbols: Sequence[str] = tuple(symbols)
        if not self.symbols:
            raise ConfigurationError("watch needs at least one symbol")
        if not (math.isfinite(interval) and interval >= 0):
            raise ConfigurationError(f"interval must be a finite number >= 0, got {interval}")
        self.interval = interval
        self.sender = sender
        self.clock = clock
        self.sleep = sleep
        self.on_poll = on_poll
        self.on_event = on_event
        self.on_error = on_error
        self.last: dict[str, Observation] = {}
        self.events: list[WatchEvent] = []

    def poll_once(self) -> list[WatchEvent]:
        """Fetch every symbol once; return (and report, and deliver) the new events."""
        found: list[WatchEvent] = []
        for symbol in self.symbols:
            try:
                current = Observation.of(self.fetch(symbol))
            except ConfigurationError:
                raise
            except GexError as exc:
                if self.on_error is not None:
                    self.on_error(symbol, exc)
                continue
            if self.on_poll is not None:
                self.on_poll(current)
            for event in detect(self.last.get(symbol), current):
                delivery = None if self.sender is None else self.sender.send(event.to_json())
                if self.on_event is not None:
                    self.on_event(event, delivery)
                found.append(event)
            self.last[symbol] = current
        self.events.extend(found)
        return found

    def run(self, iterations: int | None = None) -> int:
        """Poll every ``interval`` seconds until interrupted, or ``iterations`` times.

        Returns the number of polls made. ``KeyboardInterrupt`` propagates to the caller.
        """
        done = 0
        while iterations is None or done < iterations:
            started = self.clock()
            self.poll_once()
            done += 1
            if iterations is not None and done >= iterations:
                break
            remaining = self.interval - (self.clock() - started)
            if remaining > 0:
                self.sleep(remaining)
        return done
