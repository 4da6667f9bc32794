"""Every HTTP source against a provider that misbehaves on purpose (fault_provider.py).

For each fault and each source (Polygon with the key in a header and in the query, ThetaData
v3 and v2, Cboe JSON over HTTP) the outcome must be a typed :class:`DataSourceError`, in
bounded time (real seconds for the slow modes, the injected clock and sleep for retries),
and the key must appear in no error text and no log record captured at DEBUG.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest

from data_adapters.cboe import CboeSource
from data_adapters.errors import (
    DataSourceError,
    InvalidSymbolError,
    SymbolNotFoundError,
    UpstreamAuthError,
    UpstreamInvalidError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
)
from data_adapters.http import HttpConfig, UnreachableError
from data_adapters.polygon import PolygonSource
from data_adapters.thetadata import ThetaDataSource
from tests.data_adapters.fault_provider import Fault, FaultProvider
from tests.fake_clock import FakeClock

KEY = "pk_fault_5e4d3c2b1a0f9e8d7c6b"
NOW = datetime(2025, 12, 17, 17, 0, tzinfo=UTC)
SOURCES = ("polygon-header", "polygon-query", "thetadata-v3", "thetadata-v2", "cboe")


def build(source: str, url: str, http: HttpConfig) -> Any:
    if source.startswith("polygon"):
        auth = source.split("-")[1]
        return PolygonSource(KEY, base_url=url, auth=auth, http=http, clock=lambda: NOW)
    if source.startswith("thetadata"):
        return ThetaDataSource(version=source.split("-")[1], base_url=url, http=http)
    return CboeSource(base_url=url, http=http)


def provider_of(source: str) -> str:
    return source.split("-")[0]


@dataclass
class Outcome:
    error: DataSourceError
    seconds: float
    sleeps: list[float]
    provider: FaultProvider
    texts: list[str] = field(default_factory=list)


def run(
    source: str,
    fault: Fault,
    caplog: pytest.LogCaptureFixture,
    *,
    call: Callable[[Any], object] = lambda s: s.snapshot("SPY"),
    clock: FakeClock | None = None,
    **config: Any,
) -> Outcome:
    """``call`` on ``source`` against ``fault``; the typed error it must raise, with checks
    common to every fault: provider name, no key in any text or log record."""
    sleeps: list[float] = [] if clock is None else clock.sleeps
    settings: dict[str, Any] = {"timeout": 2.0, "max_attempts": 4, "rng": lambda: 0.5,
                                "sleep": sleeps.append if clock is None else clock.sleep}  # fmt: skip
    if clock is not None:
        settings["clock"] = clock
    http = HttpConfig(**{**settings, **config})
    caplog.set_level(logging.DEBUG)
    with FaultProvider(fault) as provider:
        started = time.monotonic()
        with pytest.raises(DataSourceError) as info:
            call(build(source, provider.url, http))
        seconds = time.monotonic() - started
    err = info.value
    texts = [str(err), repr(err), err.message, *map(str, err.args)]
    for text in texts:
        assert KEY not in text
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)
    assert KEY not in caplog.text
    assert all(KEY not in r.getMessage() for r in caplog.records)
    assert err.provider == provider_of(source)
    return Outcome(err, seconds, sleeps, provider, texts)


@pytest.fixture(params=SOURCES)
def source(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- slow and endless answers -----------------------------------------------------------------


def test_slow_drip_ends_at_the_deadline(source: str, caplog: pytest.LogCaptureFixture) -> None:
    # one byte every 0.2 s never trips the 2 s read timeout: only the total deadline ends it
    out = run(source, Fault("drip", interval=0.2), caplog, deadline=0.8)
    assert type(out.error) is UpstreamTimeoutError
    assert "0.8 s deadline" in out.error.message
    assert 0.7 <= out.seconds < 2.5
    assert len(out.provider.requests) == 1 and out.sleeps == []


@pytest.mark.parametrize("source", ["polygon-query", "thetadata-v3"])
def test_headers_dripped_end_at_the_deadline(source: str, caplog: pytest.LogCaptureFixture) -> None:
    out = run(source, Fault("drip_headers", interval=0.2), caplog, deadline=0.8)
    assert type(out.error) is UpstreamTimeoutError and 0.7 <= out.seconds < 2.5


def test_retries_and_backoff_stay_inside_the_deadline(
    source: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    fault = Fault("reply", status=503, body=b"busy", content_type="text/plain")
    out = run(source, fault, caplog, clock=clock, deadline=2.0, max_attempts=10)
    assert (
        type(out.error) is UpstreamTimeoutError
        and "would pass the 2 s deadline" in out.error.message
    )
    assert clock.sleeps == [0.375, 0.75]  # the third wait (1.5 s) would end past 2 s
    assert clock.now <= 2.0 and len(out.provider.requests) == 3


# -- oversized and broken bodies ----------------------------------------------------------------


def test_huge_declared_body_is_refused_unread(
    source: str, caplog: pytest.LogCaptureFixture
) -> None:
    out = run(source, Fault("huge"), caplog)  # 800 MiB announced, the default 64 MiB cap
    assert type(out.error) is UpstreamInvalidError
    assert "(800 MiB) is larger than the 64 MiB cap" in out.error.message
    assert out.provider.sent < 64 * 2**20 and out.seconds < 5


def test_huge_chunked_body_stops_at_the_cap(source: str, caplog: pytest.LogCaptureFixture) -> None:
    out = run(source, Fault("huge", chunked=True), caplog, max_body_bytes=2**20)
    assert type(out.error) is UpstreamInvalidError
    assert "larger than the 1 MiB cap (max_body_bytes); reading stopped" in out.error.message
    assert out.provider.sent < 64 * 2**20 and out.seconds < 5  # of 800 MiB on offer


def test_truncated_body(source: str, caplog: pytest.LogCaptureFixture) -> None:
    out = run(source, Fault("truncated", body=b'{"status":"OK","results":['), caplog)
    assert type(out.error) is UpstreamInvalidError
    assert "body truncated" in out.error.message and "after 4 attempts" in out.error.message
    assert out.sleeps == [0.375, 0.75, 1.5] and len(out.provider.requests) == 4


@pytest.mark.parametrize(
    ("body", "json_text", "csv_text"),
    [
        (b"[" * 100_000, "JSON nested too deeply", "lacks column(s)"),
        (b"OK, here is your data", "invalid JSON", "lacks column(s)"),
        (b'{"status":"OK","results":[' + b"7" * 5000 + b"]}", "invalid JSON (Exceeds", "lacks"),
        (b"\xff\xfe\x00garbage", "JSON", "CSV"),
    ],
    ids=["deep", "text", "huge-int", "binary"],
)
def test_unreadable_bodies(
    source: str, caplog: pytest.LogCaptureFixture, body: bytes, json_text: str, csv_text: str
) -> None:
    out = run(source, Fault("reply", body=body, content_type="text/plain"), caplog)
    assert type(out.error) is UpstreamInvalidError
    assert (csv_text if source == "thetadata-v3" else json_text) in out.error.message
    assert out.sleeps == [] and out.seconds < 5


# -- redirects ----------------------------------------------------------------------------------


def test_redirect_to_another_port_is_refused(source: str, caplog: pytest.LogCaptureFixture) -> None:
    out = run(source, Fault("redirect_away"), caplog)
    assert type(out.error) is UpstreamInvalidError and out.error.status == 302
    assert f"another origin ({out.provider.elsewhere_url}/" in out.error.message
    assert out.provider.elsewhere == []  # no request, so no credentials, went there
    if source == "polygon-query":  # the Location echoed the key: scrubbed from the DEBUG log
        assert "apiKey=***" in caplog.text


@pytest.mark.parametrize(
    ("kind", "text", "requests"),
    [("redirect_loop", "redirect loop", 1), ("redirect_chain", "more than 5 redirects", 6)],
)
def test_redirect_loops_end(
    source: str, caplog: pytest.LogCaptureFixture, kind: str, text: str, requests: int
) -> None:
    out = run(source, Fault(kind), caplog)
    assert type(out.error) is UpstreamInvalidError and text in out.error.message
    assert len(out.provider.requests) == requests and out.sleeps == []
    if source == "polygon-header":  # followed within the origin: the key goes along there
        assert all(s.headers["authorization"] == f"Bearer {KEY}" for s in out.provider.requests)


# -- rate limits and server errors ------------------------------------------------------------


def test_429_with_retry_after_is_honoured_then_reported(
    source: str, caplog: pytest.LogCaptureFixture
) -> None:
    fault = Fault("reply", status=429, body=b"", headers={"Retry-After": "2"})
    out = run(source, fault, caplog)
    assert type(out.error) is UpstreamRateLimitedError and out.error.status == 429
    assert out.error.retry_after == 2.0 and "after 4 attempts" in out.error.message
    assert out.sleeps == [2.0, 2.0, 2.0] and out.seconds < 5


def test_429_asking_past_the_deadline_fails_at_once(
    source: str, caplog: pytest.LogCaptureFixture
) -> None:
    fault = Fault("reply", status=429, body=b"", headers={"Retry-After": "90"})
    out = run(source, fault, caplog, deadline=60.0)
    assert type(out.error) is UpstreamRateLimitedError and out.error.retry_after == 90.0
    assert "past the 60 s deadline" in out.error.message
    assert out.sleeps == [] and len(out.provider.requests) == 1


def test_5xx_is_retried_then_reported(source: str, caplog: pytest.LogCaptureFixture) -> None:
    out = run(
        source, Fault("reply", status=502, body=b"Bad Gateway", content_type="text/plain"), caplog
    )
    assert type(out.error) is DataSourceError and out.error.status == 502
    assert "Bad Gateway (after 4 attempts)" in out.error.message
    assert out.sleeps == [0.375, 0.75, 1.5]


# -- the provider's own error bodies and wrong types ------------------------------------------

STATUS_ERRORS = {
    "polygon-header": Fault("reply", body=json.dumps({
        "status": "NOT_AUTHORIZED", "request_id": "r",
        "message": "You are not entitled to this data. Please upgrade your plan at https://massive.com/pricing",
    }).encode()),
    "polygon-query": Fault("reply", status=403, body=json.dumps({
        "status": "NOT_AUTHORIZED", "request_id": "r", "message": f"Unknown API Key {KEY}",
    }).encode()),
    "thetadata-v3": Fault("reply", status=471, body=b":PERMISSION", content_type="text/plain"),
    "thetadata-v2": Fault("reply", body=json.dumps({
        "header": {"latency_ms": 3, "error_type": "PERMISSION",
                   "error_msg": "Your subscription does not include this data", "next_page": "null",
                   "format": []},
        "response": [],
    }).encode()),
    "cboe": Fault("reply", status=401, body=b'{"error":"unauthorized"}'),
}  # fmt: skip


def test_provider_error_bodies_are_auth_errors(
    source: str, caplog: pytest.LogCaptureFixture
) -> None:
    out = run(source, STATUS_ERRORS[source], caplog)
    assert type(out.error) is UpstreamAuthError  # never "symbol not found"
    text = {"polygon-header": "NOT_AUTHORIZED: You are not entitled to this data",
            "polygon-query": "Unknown API Key ***", "thetadata-v3": "permission denied",
            "thetadata-v2": "PERMISSION: Your subscription does not include this data",
            "cboe": "authentication failed"}[source]  # fmt: skip
    assert text in out.error.message
    assert out.sleeps == [] and len(out.provider.requests) == 1


BAD_TYPES = {
    "polygon": json.dumps({"status": "OK", "results": [{
        "details": {"strike_price": "650", "expiration_date": {"y": 2025}, "contract_type": 7,
                    "ticker": ["O:SPY251219C00650000"], "exercise_style": [1]},
        "underlying_asset": {"price": "653.35", "last_updated": "soon"},
        "open_interest": [1], "last_quote": {"bid": "1.0", "ask": {"a": 1}}, "day": [],
    }]}).encode(),
    "thetadata-v3": (
        b"timestamp,symbol,expiration,strike,right,bid,ask,open_interest,volume,close,"
        b"implied_vol,delta,gamma,underlying_price\r\n"
        b"soon,{x},never,high,MAYBE,a,b,c,d,e,f,g,h,i\r\n"
    ),
    "thetadata-v2": json.dumps({
        "header": {"format": ["ms_of_day", "bid", "ask", "date", "open_interest", "volume",
                              "close", "delta", "implied_vol", "underlying_price", "gamma"],
                   "next_page": "null", "error_type": "null"},
        "response": [{"contract": {"root": {"x": 1}, "expiration": "soon", "strike": "high",
                                   "right": 7},
                      "ticks": [["a", {"b": 1}, [2], "d", True, None, "g", "h", "i", "j", "k"]]}],
    }).encode(),
    "cboe": json.dumps({"timestamp": "2025-12-17 21:00:00", "data": {
        "symbol": "SPY", "current_price": 650.0,
        "options": [{"option": {"x": 1}, "bid": "a", "open_interest": [1]}],
    }}).encode(),
}  # fmt: skip


@pytest.mark.parametrize("source", [s for s in SOURCES if s != "cboe"])
def test_wrong_types_are_typed_errors(source: str, caplog: pytest.LogCaptureFixture) -> None:
    body = BAD_TYPES.get(source) or BAD_TYPES["polygon"]
    ctype = "text/csv" if source == "thetadata-v3" else "application/json"
    out = run(source, Fault("reply", body=body, content_type=ctype), caplog)
    assert type(out.error) is UpstreamInvalidError
    assert (
        "no underlying price" if source.startswith("polygon") else "no spot"
    ) in out.error.message


def test_cboe_wrong_types_never_escape_untyped(caplog: pytest.LogCaptureFixture) -> None:
    # cboe.py (not in this change) sets such rows aside; whatever it does, a polars error
    # (the API's 500) must not come out of it: a typed error or no contract from the row
    caplog.set_level(logging.DEBUG)
    with FaultProvider(Fault("reply", body=BAD_TYPES["cboe"])) as provider:
        source = build("cboe", provider.url, HttpConfig(sleep=lambda _: None))
        try:
            snap = source.snapshot("SPY")
        except DataSourceError as exc:
            assert exc.provider == "cboe"
        else:
            assert snap.frame.height == 0  # the malformed row is no contract
    assert len(provider.requests) == 1


# -- symbols never reach the provider ----------------------------------------------------------

BAD_SYMBOLS = ["..", "SPY?x=1", "SPY#frag", "../../v2/list", "SP Y", "SPY\x00"]


@pytest.mark.parametrize("symbol", BAD_SYMBOLS)
@pytest.mark.parametrize(
    "source", ["polygon-header", "polygon-query", "thetadata-v3", "thetadata-v2"]
)
def test_bad_symbols_never_reach_the_provider(source: str, symbol: str) -> None:
    with FaultProvider(Fault("reply")) as provider:
        built = build(source, provider.url, HttpConfig(sleep=lambda _: None))
        with pytest.raises(InvalidSymbolError):
            built.snapshot(symbol)
        if source.startswith("thetadata"):
            with pytest.raises(InvalidSymbolError):
                built.trades(symbol, date(2025, 12, 17))
    assert provider.requests == []


@pytest.mark.parametrize("symbol", ["..", "SPY?x=1", "SPY#frag"])
def test_cboe_bad_symbols_never_reach_the_provider(symbol: str) -> None:
    with FaultProvider(Fault("reply")) as provider, pytest.raises(DataSourceError):
        build("cboe", provider.url, HttpConfig(sleep=lambda _: None)).snapshot(symbol)
    assert provider.requests == []


def test_polygon_trades_contract_is_one_encoded_segment() -> None:
    fault = Fault("reply", body=b'{"status":"OK","results":[]}')
    with FaultProvider(fault) as provider:
        source = build("polygon-header", provider.url, HttpConfig(sleep=lambda _: None))
        source.trades("O:SPY   251219C00650000", date(2025, 12, 17))  # an OSI-padded root
        with pytest.raises(DataSourceError, match="option contract"):
            source.trades("O:SPY251219C00650000/../../x", date(2025, 12, 17))
    assert [s.path for s in provider.requests] == ["/v3/trades/O:SPY251219C00650000"]


def test_nothing_listening_is_unreachable_and_quick(source: str) -> None:
    with FaultProvider(Fault("reply")) as provider:
        url = provider.url
    sleeps: list[float] = []
    built = build(source, url, HttpConfig(max_attempts=2, sleep=sleeps.append, rng=lambda: 0.5))
    with pytest.raises(UnreachableError) as info:
        built.snapshot("SPY")
    assert KEY not in str(info.value) and len(sleeps) in (1, 2)


def test_symbol_not_found_stays_not_found(source: str, caplog: pytest.LogCaptureFixture) -> None:
    fault = Fault("reply", status=404, body=b'{"status":"NOT_FOUND","message":"no such ticker"}')
    out = run(source, fault, caplog)
    assert type(out.error) is SymbolNotFoundError and out.error.status == 404
