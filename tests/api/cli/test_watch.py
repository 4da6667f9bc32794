"""``api.cli.watch``: event detection, the polling loop and webhook delivery with retries.

Analyses are scripted (objects with the fields an :class:`Observation` reads), sleeps and
clocks are injected, and webhooks go to a real HTTP server on 127.0.0.1 (ephemeral port)
or to an :class:`httpx.MockTransport`.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from api.cli.watch import (
    Delivery,
    Observation,
    Watcher,
    WatchEvent,
    WebhookSender,
    detect,
    redact_url,
    retryable,
)
from data_adapters.errors import SymbolNotFoundError
from engine.errors import ConfigurationError, GexError

START = datetime(2024, 1, 5, 15, 0, tzinfo=UTC)


def fake_analysis(
    step: int, regime: str, spot: float, flip: float | None, symbol: str = "SPX"
) -> Any:
    """What :meth:`Observation.of` reads from an :class:`~engine.analysis.single.Analysis`."""
    return SimpleNamespace(
        symbol=symbol,
        as_of=START + timedelta(minutes=step),
        regime=regime,
        underlying_price=spot,
        gamma_flip=flip,
    )


def observation(regime: str, spot: float | None, flip: float | None) -> Observation:
    return Observation("SPX", "2024-01-05T15:00:00Z", regime, spot, flip)


class WebhookServer:
    """A loopback HTTP server that answers POSTs with scripted statuses (the last repeats)
    and records every body. Use as a context manager; it binds an ephemeral port."""

    def __init__(self, statuses: Sequence[int] = (200,)) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with owner._lock:
                    owner.bodies.append(json.loads(body))
                    owner.paths.append(self.path)
                    status = owner.statuses.pop(0) if len(owner.statuses) > 1 else owner.statuses[0]
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_args: object) -> None:  # keep test output clean
                return

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/secret-token"

    def __enter__(self) -> WebhookServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def sender_factory(sleeps: list[float]) -> Iterator[Any]:
    made: list[WebhookSender] = []

    def make(url: str, **kwargs: Any) -> WebhookSender:
        sender = WebhookSender(url, sleep=sleeps.append, timeout=5.0, **kwargs)
        made.append(sender)
        return sender

    yield make
    for sender in made:
        sender.close()


# -- detection ----------------------------------------------------------------------------


def test_first_observation_only_records() -> None:
    assert detect(None, observation("positive_gamma", 100.0, 99.0)) == []


def test_regime_change_is_detected() -> None:
    events = detect(
        observation("positive_gamma", 100.0, None), observation("negative_gamma", 100.0, None)
    )
    assert [(e.event, e.previous, e.current) for e in events] == [
        ("regime_change", "positive_gamma", "negative_gamma")
    ]


def test_flip_crossing_both_ways() -> None:
    above = observation("positive_gamma", 101.0, 100.0)
    below = observation("positive_gamma", 99.0, 100.5)
    down = detect(above, below)
    assert [(e.event, e.previous, e.current) for e in down] == [("flip_cross", "above", "below")]
    assert down[0].spot == 99.0 and down[0].gamma_flip == 100.5
    up = detect(below, above)
    assert [(e.previous, e.current) for e in up] == [("below", "above")]


def test_no_crossing_when_side_is_unchanged_or_flip_unknown() -> None:
    assert (
        detect(
            observation("positive_gamma", 101.0, 100.0), observation("positive_gamma", 105.0, 99.0)
        )
        == []
    )
    assert (
        detect(
            observation("positive_gamma", 101.0, 100.0), observation("positive_gamma", 95.0, None)
        )
        == []
    )
    assert observation("unknown", 100.0, 100.0).side == "above"
    assert observation("unknown", None, 100.0).side is None


def test_regime_change_and_crossing_together() -> None:
    events = detect(
        observation("positive_gamma", 101.0, 100.0), observation("negative_gamma", 99.0, 100.0)
    )
    assert [e.event for e in events] == ["regime_change", "flip_cross"]


def test_event_json_has_the_documented_fields() -> None:
    event = WatchEvent("flip_cross", "SPX", "2024-01-05T15:00:00Z", "above", "below", 99.0, None)
    assert event.to_json() == {
        "event": "flip_cross",
        "symbol": "SPX",
        "as_of": "2024-01-05T15:00:00Z",
        "previous": "above",
        "current": "below",
        "spot": 99.0,
        "gamma_flip": None,
    }
    json.dumps(event.to_json(), allow_nan=False)
    assert "SPX" in event.describe() and "above -> below" in event.describe()


def test_observation_of_an_analysis_drops_non_finite_numbers() -> None:
    seen = Observation.of(fake_analysis(0, "unknown", 100.0, float("nan")))
    assert seen.gamma_flip is None and seen.as_of == "2024-01-05T15:00:00Z"


# -- the loop -------------------------------------------------------------------------------


class Script:
    """``fetch`` returning scripted analyses per symbol, one per call."""

    def __init__(self, steps: dict[str, list[Any]]) -> None:
        self.steps = {k: list(v) for k, v in steps.items()}
        self.calls: list[str] = []

    def __call__(self, symbol: str) -> Any:
        self.calls.append(symbol)
        step = self.steps[symbol].pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def test_watcher_detects_from_a_scripted_sequence(sleeps: list[float]) -> None:
    script = Script(
        {
            "SPX": [
                fake_analysis(0, "positive_gamma", 4700.0, 4650.0),
                fake_analysis(1, "positive_gamma", 4690.0, 4650.0),  # nothing
                fake_analysis(2, "positive_gamma", 4640.0, 4650.0),  # crosses below
                fake_analysis(3, "negative_gamma", 4630.0, 4650.0),  # regime change
            ]
        }
    )
    seen: list[tuple[WatchEvent, Delivery | None]] = []
    polls: list[Observation] = []
    watcher = Watcher(
        script, ["SPX"], interval=30.0, sleep=sleeps.append, clock=lambda: 0.0,
        on_event=lambda e, d: seen.append((e, d)), on_poll=polls.append,
    )  # fmt: skip
    assert watcher.run(iterations=4) == 4
    assert [(e.event, e.previous, e.current, e.as_of) for e, _ in seen] == [
        ("flip_cross", "above", "below", "2024-01-05T15:02:00Z"),
        ("regime_change", "positive_gamma", "negative_gamma", "2024-01-05T15:03:00Z"),
    ]
    assert all(d is None for _, d in seen)
    assert len(polls) == 4 and watcher.events == [e for e, _ in seen]
    assert sleeps == [30.0, 30.0, 30.0]  # no sleep after the last poll


def test_watcher_sleeps_what_is_left_of_the_interval(sleeps: list[float]) -> None:
    ticks = iter([0.0, 4.0, 30.0, 45.0, 60.0, 61.0])
    script = Script({"SPX": [fake_analysis(i, "positive_gamma", 1.0, None) for i in range(3)]})
    watcher = Watcher(
        script, ["SPX"], interval=30.0, sleep=sleeps.append, clock=lambda: next(ticks)
    )
    watcher.run(iterations=3)
    assert sleeps == [26.0, 15.0]


def test_watcher_reports_data_errors_and_keeps_the_last_state(sleeps: list[float]) -> None:
    script = Script(
        {
            "SPX": [
                fake_analysis(0, "positive_gamma", 101.0, 100.0),
                SymbolNotFoundError("demo", "no data right now"),
                fake_analysis(2, "negative_gamma", 101.0, 100.0),
            ]
        }
    )
    errors: list[tuple[str, GexError]] = []
    watcher = Watcher(
        script, ["SPX"], interval=0.0, sleep=sleeps.append,
        on_error=lambda s, e: errors.append((s, e)),
    )  # fmt: skip
    watcher.run(iterations=3)
    assert [s for s, _ in errors] == ["SPX"]
    assert [e.event for e in watcher.events] == ["regime_change"]


def test_configuration_errors_stop_the_loop(sleeps: list[float]) -> None:
    script = Script({"SPX": [ConfigurationError("unknown preset 'x'")]})
    with pytest.raises(ConfigurationError):
        Watcher(script, ["SPX"], sleep=sleeps.append).run(iterations=5)


def test_keyboard_interrupt_propagates_from_the_sleep() -> None:
    def interrupt(_seconds: float) -> None:
        raise KeyboardInterrupt

    script = Script({"SPX": [fake_analysis(0, "positive_gamma", 1.0, None)]})
    with pytest.raises(KeyboardInterrupt):
        Watcher(script, ["SPX"], sleep=interrupt).run()


def test_watcher_rejects_bad_settings() -> None:
    with pytest.raises(ConfigurationError):
        Watcher(Script({}), [])
    with pytest.raises(ConfigurationError):
        Watcher(Script({}), ["SPX"], interval=float("nan"))


# -- webhooks -------------------------------------------------------------------------------


def test_webhook_retries_a_500_then_delivers(sender_factory: Any, sleeps: list[float]) -> None:
    event = WatchEvent("regime_change", "SPX", "2024-01-05T15:00:00Z", "a", "b", 1.0, 2.0)
    with WebhookServer([500, 200]) as server:
        delivery = sender_factory(server.url, backoff=0.25).send(event.to_json())
    assert delivery == Delivery(True, 2, 200)
    assert server.bodies == [event.to_json(), event.to_json()]
    assert server.paths == ["/hooks/secret-token"] * 2
    assert sleeps == [0.25]


def test_webhook_gives_up_after_bounded_attempts(sender_factory: Any, sleeps: list[float]) -> None:
    with WebhookServer([503]) as server:
        delivery = sender_factory(server.url, max_attempts=3, backoff=1.0, max_delay=1.5).send(
            {"event": "x"}
        )
    assert not delivery.ok and delivery.attempts == 3 and delivery.status == 503
    assert len(server.bodies) == 3
    assert sleeps == [1.0, 1.5]  # 1, 2 capped at 1.5
    assert "503" in delivery.describe()


def test_webhook_does_not_retry_a_client_error(sender_factory: Any, sleeps: list[float]) -> None:
    with WebhookServer([404]) as server:
        delivery = sender_factory(server.url).send({"event": "x"})
    assert (delivery.ok, delivery.attempts, delivery.status) == (False, 1, 404)
    assert sleeps == []


def test_webhook_retries_connection_errors(sender_factory: Any, sleeps: list[float]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delivery = sender_factory(f"http://127.0.0.1:{port}/hook", max_attempts=2).send({"e": 1})
    assert not delivery.ok and delivery.attempts == 2 and delivery.status is None
    assert delivery.error is not None and "hook" not in delivery.error
    assert sleeps == [0.5]


def test_webhook_honours_retry_after_on_429(sender_factory: Any, sleeps: list[float]) -> None:
    answers = iter([httpx.Response(429, headers={"retry-after": "7"}), httpx.Response(204)])
    transport = httpx.MockTransport(lambda _request: next(answers))
    delivery = sender_factory("https://hooks.example/x", transport=transport).send({"e": 1})
    assert delivery == Delivery(True, 2, 204)
    assert sleeps == [7.0]


def test_watcher_posts_events_to_the_webhook(sender_factory: Any, sleeps: list[float]) -> None:
    script = Script(
        {
            "SPX": [
                fake_analysis(0, "positive_gamma", 101.0, 100.0),
                fake_analysis(1, "positive_gamma", 99.0, 100.0),
            ],
            "QQQ": [
                fake_analysis(0, "negative_gamma", 400.0, None, "QQQ"),
                fake_analysis(1, "negative_gamma", 400.0, None, "QQQ"),
            ],
        }
    )
    deliveries: list[Delivery | None] = []
    with WebhookServer([500, 200]) as server:
        watcher = Watcher(
            script, ["SPX", "QQQ"], interval=0.0, sleep=sleeps.append,
            sender=sender_factory(server.url), on_event=lambda _e, d: deliveries.append(d),
        )  # fmt: skip
        watcher.run(iterations=2)
    assert [b["event"] for b in server.bodies] == ["flip_cross", "flip_cross"]  # retried once
    assert server.bodies[-1] == {
        "event": "flip_cross",
        "symbol": "SPX",
        "as_of": "2024-01-05T15:01:00Z",
        "previous": "above",
        "current": "below",
        "spot": 99.0,
        "gamma_flip": 100.0,
    }
    assert deliveries == [Delivery(True, 2, 200)]


def test_webhook_url_is_checked_and_redacted() -> None:
    with pytest.raises(ConfigurationError):
        WebhookSender("ftp://example.com/x")
    with pytest.raises(ConfigurationError):
        WebhookSender("https://example.com/x", max_attempts=0)
    assert redact_url("https://hooks.example:8443/T000/B000/abcd?token=1") == (
        "https://hooks.example:8443/…"
    )
    assert retryable(429) and retryable(502) and not retryable(404)
