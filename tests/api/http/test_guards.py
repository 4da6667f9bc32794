"""Failed-key throttling per client address, a scan counted as N requests, and the docs'
key setting — over real HTTP (uvicorn in a thread; clients on 127.0.0.1 and 127.0.0.2)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from api.config import ServerSettings
from api.http.app import create_app
from api.http.ratelimit import FailureThrottle, MovingWindowLimiter
from api.service.analysis import AnalysisService
from tests.api.conftest import KEY
from tests.api.live import PinnedSource, ThreadServer


def app_with(**settings: object) -> object:
    service = AnalysisService(PinnedSource(), source_name="demo", ttl=3600.0)
    base: dict[str, object] = {"api_keys": (KEY,), "rate_limit": 1_000_000}
    return create_app(settings=ServerSettings(**{**base, **settings}), service=service, warm=False)  # type: ignore[arg-type]


def client_from(server: ThreadServer, address: str = "127.0.0.1") -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.base_url, transport=transport, timeout=60.0)


@pytest.fixture
def throttled() -> Iterator[ThreadServer]:
    with ThreadServer(app_with(auth_failure_limit=3, auth_failure_window=600.0)) as server:
        yield server


def test_failed_keys_are_throttled_per_client_address(throttled: ThreadServer) -> None:
    with client_from(throttled) as http, client_from(throttled, "127.0.0.2") as other:
        for wrong in ("a", "b", None):
            headers = {"X-Api-Key": wrong} if wrong else {}
            assert http.get("/v1/exposure/levels/SPY", headers=headers).status_code == 401
        for headers in ({"X-Api-Key": "c"}, {"X-Api-Key": KEY}):  # even the right key
            refused = http.get("/v1/exposure/levels/SPY", headers=headers)
            assert refused.status_code == 429
            body = refused.json()
            assert body["error"] == "rate_limited" and body["limit"] == 3
            assert body["status"] == "ERROR" and body["reset_at"].endswith("Z")
            assert 1 <= int(refused.headers["retry-after"]) <= 600
            assert KEY not in refused.text
        refused = http.get(f"/v1/symbols?apiKey={KEY}")
        assert refused.status_code == 429
        assert http.get("/health").status_code == 200  # never needs a key
        allowed = other.get("/v1/exposure/levels/SPY", headers={"X-Api-Key": KEY})
        assert allowed.status_code == 200  # another address is not affected


def test_right_keys_do_not_count_as_failures(throttled: ThreadServer) -> None:
    with client_from(throttled, "127.0.0.3") as http:
        for _ in range(10):
            assert http.get("/v1/symbols", headers={"X-Api-Key": KEY}).status_code == 200
        for _ in range(2):
            assert http.get("/v1/symbols").status_code == 401
        assert http.get("/v1/symbols", headers={"X-Api-Key": KEY}).status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_throttle_lifts_when_the_oldest_failure_leaves_the_window() -> None:
    clock = Clock()
    throttle = FailureThrottle(2, 60.0, clock)
    assert throttle.check("10.0.0.1") is None
    throttle.failed("10.0.0.1")
    clock.now += 10.0
    throttle.failed("10.0.0.1")
    refused = throttle.check("10.0.0.1")
    assert refused is not None and refused.retry_after == 50 and not refused.allowed
    assert throttle.check("10.0.0.2") is None
    clock.now += 50.0  # the first failure leaves the window
    assert throttle.check("10.0.0.1") is None


def test_a_cost_counts_several_requests_and_is_clamped_to_the_limit() -> None:
    clock = Clock()
    limiter = MovingWindowLimiter(10, 60.0, clock)
    assert limiter.hit("k", 4).remaining == 6
    refused = limiter.hit("k", 7)
    assert not refused.allowed and refused.remaining == 6
    assert limiter.hit("k", 6).remaining == 0
    clock.now += 61.0
    whole = limiter.hit("k", 50)  # more than the limit: the whole window
    assert whole.allowed and whole.remaining == 0


def test_a_scan_of_n_symbols_counts_n() -> None:
    with ThreadServer(app_with(rate_limit=5)) as server, client_from(server) as http:
        headers = {"X-Api-Key": KEY}
        first = http.get("/v1/scan?symbols=SPX,SPY,QQQ,spx", headers=headers)
        assert first.status_code == 200
        assert first.headers["x-ratelimit-remaining"] == "2"  # 3 distinct symbols
        refused = http.get("/v1/scan?symbols=SPX,SPY,QQQ", headers=headers)
        assert refused.status_code == 429 and "retry-after" in refused.headers
        assert http.get("/v1/exposure/levels/SPY", headers=headers).status_code == 200
        bad = http.get("/v1/scan?symbols=SPX,..", headers=headers)
        assert bad.status_code == 400  # a malformed list is not counted
        assert http.get("/v1/exposure/levels/SPY", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_docs_are_public_by_default(path: str) -> None:
    with ThreadServer(app_with()) as server, client_from(server) as http:
        assert http.get(path).status_code == 200


def test_docs_can_require_a_key() -> None:
    with ThreadServer(app_with(docs_public=False)) as server, client_from(server) as http:
        assert http.get("/openapi.json").status_code == 401
        answer = http.get("/openapi.json", headers={"X-Api-Key": KEY})
        assert answer.status_code == 200 and "paths" in answer.json()
        assert "x-ratelimit-remaining" in answer.headers
        for path in ("/docs", "/redoc"):
            response = http.get(path, headers={"X-Api-Key": KEY})
            assert response.status_code == 404 and response.json()["error"] == "not_found"
