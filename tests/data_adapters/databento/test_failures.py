"""Databento failures: typed, one-line, retried where it helps, and never holding the key."""

from __future__ import annotations

import logging

import pytest
from databento.common.error import BentoWarning

from data_adapters.databento import DatabentoSource
from data_adapters.errors import (
    DataSourceError,
    SourceConfigError,
    SymbolNotFoundError,
    UpstreamAuthError,
    UpstreamInvalidError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
)
from data_adapters.http import HttpConfig, UnreachableError
from tests.data_adapters.databento.conftest import AS_OF, KEY, ServeFactory, spy_replies
from tests.data_adapters.databento.server import FIXTURES, dbn_reply
from tests.data_adapters.loopback import Reply, closed_port_url

DEFS = "OPRA.PILLAR|definition|SPY.OPT"
AUTH_BODY = (
    b'{"detail":{"case":"auth_invalid_key","message":"Authentication failed: the API key '
    + KEY.encode()
    + b' is not valid.","status_code":401,"docs":null,"payload":null}}'
)


def check_clean(err: BaseException) -> None:
    text, shown = str(err), repr(err)
    assert KEY not in text and KEY not in shown
    assert "\n" not in text and err.__cause__ is None
    assert err.__context__ is None or err.__suppress_context__


@pytest.mark.parametrize(
    ("reply", "error", "text", "status"),
    [
        (Reply(401, AUTH_BODY), UpstreamAuthError, "authentication failed (check the API key)", 401),
        (Reply(403, b'{"detail":"Your license does not cover OPRA.PILLAR."}'), UpstreamAuthError,
         "license does not cover", 403),
        (Reply(402, b'{"detail":"Insufficient credits."}'), UpstreamAuthError, "credits", 402),
        (Reply(400, b'{"detail":"Invalid schema."}'), DataSourceError, "bad request", 400),
        (Reply(422, b'{"detail":"The end of the request is after the available end."}'),
         DataSourceError, "available end", 422),
    ],
)  # fmt: skip
def test_refusals_are_typed_and_not_retried(
    serve: ServeFactory, reply, error, text, status
) -> None:
    served = serve({DEFS: reply})
    with pytest.raises(DataSourceError) as info:
        served.source().snapshot("SPY", AS_OF)
    err = info.value
    assert type(err) is error and err.provider == "databento" and err.status == status
    assert text in err.message
    check_clean(err)
    assert len(served.gateway.requests) == 1 and served.sleeps == []


def test_the_key_echoed_by_the_service_is_scrubbed(serve: ServeFactory) -> None:
    served = serve({DEFS: Reply(401, AUTH_BODY)})
    with pytest.raises(UpstreamAuthError) as info:
        served.source().snapshot("SPY", AS_OF)
    assert "the API key *** is not valid" in info.value.message


def test_rate_limited_then_served(serve: ServeFactory) -> None:
    limited = Reply(429, b'{"detail":"Too many requests."}', headers={"Retry-After": "7"})
    replies = spy_replies()
    replies[DEFS] = [limited, replies[DEFS]]
    served = serve(replies)
    assert served.source().snapshot("SPY", AS_OF).frame.height == 10
    assert served.sleeps == [7.0]  # the server's wait, above the 0.375 s backoff


def test_rate_limited_to_the_end(serve: ServeFactory) -> None:
    served = serve({DEFS: Reply(429, b'{"detail":"Too many requests."}')}, max_attempts=3)
    with pytest.raises(UpstreamRateLimitedError, match="after 3 attempts") as info:
        served.source().snapshot("SPY", AS_OF)
    assert info.value.status == 429 and served.sleeps == [0.375, 0.75]
    check_clean(info.value)


def test_a_wait_longer_than_allowed_fails_at_once(serve: ServeFactory) -> None:
    served = serve({DEFS: Reply(429, b"{}", headers={"Retry-After": "3600"})})
    with pytest.raises(UpstreamRateLimitedError, match="retry after 3600 s") as info:
        served.source().snapshot("SPY", AS_OF)
    assert info.value.retry_after == 3600.0 and served.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(serve: ServeFactory, status: int) -> None:
    replies = spy_replies()
    replies[DEFS] = [Reply(status, b'{"detail":"Internal error."}'), replies[DEFS]]
    served = serve(replies)
    assert served.source().snapshot("SPY", AS_OF).frame.height == 10
    assert served.sleeps == [0.375]


def test_server_errors_to_the_end(serve: ServeFactory) -> None:
    served = serve({DEFS: Reply(500, b"oops", "text/plain")}, max_attempts=2)
    with pytest.raises(DataSourceError, match=r"server error.*after 2 attempts") as info:
        served.source().snapshot("SPY", AS_OF)
    assert type(info.value) is DataSourceError and info.value.status == 500


def test_gateway_timeout_is_a_timeout(serve: ServeFactory) -> None:
    served = serve({DEFS: Reply(504, b"")}, max_attempts=2)
    with pytest.raises(UpstreamTimeoutError, match="gateway timed out"):
        served.source().snapshot("SPY", AS_OF)


@pytest.mark.parametrize(
    ("reply", "text"),
    [
        (Reply(200, b"<html>maintenance</html>", "text/html"), "not a DBN stream"),
        (Reply(200, b"DBN\x03" + b"\x00" * 40), "unreadable DBN stream"),
        (Reply(200, b""), "unreadable DBN stream"),
        (dbn_reply("truncated_cbbo-1m"), "ends inside a record"),
        (Reply(200, (FIXTURES / "opra_spy_definition.dbn.zst").read_bytes()[:-40]),
         "unreadable DBN stream"),
    ],
)  # fmt: skip
def test_malformed_dbn_is_invalid(serve: ServeFactory, reply: Reply, text: str) -> None:
    served = serve({DEFS: reply})
    with pytest.raises(UpstreamInvalidError, match=text) as info:
        served.source().snapshot("SPY", AS_OF)
    check_clean(info.value)
    assert len(served.gateway.requests) == 1  # a body that arrived whole is not retried


def test_a_stream_over_the_cap_is_refused(serve: ServeFactory) -> None:
    served = serve(spy_replies())
    source = served.source(http=HttpConfig(max_body_bytes=512, sleep=served.sleeps.append))
    with pytest.raises(UpstreamInvalidError, match="larger than the 512 bytes cap"):
        source.snapshot("SPY", AS_OF)


def test_a_silent_server_times_out(serve: ServeFactory) -> None:
    served = serve({DEFS: Reply(200, b"", delay=5.0)}, timeout=0.2, max_attempts=2)
    with pytest.raises(UpstreamTimeoutError, match=r"timed out after 0\.2 s.*after 2 attempts"):
        served.source().snapshot("SPY", AS_OF)
    assert served.sleeps == [0.375]


def test_the_deadline_bounds_the_call(serve: ServeFactory) -> None:
    served = serve({DEFS: Reply(503, b"")}, deadline=0.3, max_attempts=5)
    with pytest.raises(UpstreamTimeoutError, match=r"would pass the 0\.3 s deadline"):
        served.source().snapshot("SPY", AS_OF)


def test_connection_refused_is_unreachable() -> None:
    sleeps: list[float] = []
    http = HttpConfig(max_attempts=2, sleep=sleeps.append, rng=lambda: 0.5)
    source = DatabentoSource(KEY, gateway=closed_port_url(), http=http)
    with pytest.raises(UnreachableError, match="cannot connect") as info:
        source.snapshot("SPY", AS_OF)
    check_clean(info.value)
    assert sleeps == [0.375]


def test_symbols_the_service_cannot_resolve(serve: ServeFactory) -> None:
    with pytest.raises(SymbolNotFoundError):
        serve({}).source().trades("SPY241218C00777000", AS_OF.date())


def test_service_warnings_stay_warnings(serve: ServeFactory) -> None:
    warning = '["BentoWarning: The following symbols could not be resolved: E5A.OPT"]'
    replies = spy_replies()
    replies[DEFS] = dbn_reply("opra_spy_definition", headers={"X-Warning": warning})
    with pytest.warns(BentoWarning, match="could not be resolved: E5A.OPT"):
        snap = serve(replies).source().snapshot("SPY", AS_OF)
    assert snap.frame.height == 10


def test_the_key_is_in_no_log_record(serve: ServeFactory, caplog: pytest.LogCaptureFixture) -> None:
    replies = spy_replies()
    replies[DEFS] = [Reply(503, AUTH_BODY), Reply(401, AUTH_BODY)]
    with caplog.at_level(logging.DEBUG), pytest.raises(UpstreamAuthError):
        serve(replies).source().snapshot("SPY", AS_OF)
    assert caplog.records and all(KEY not in r.getMessage() for r in caplog.records)


def test_a_missing_key_is_a_config_error() -> None:
    with pytest.raises(SourceConfigError, match="API key is required"):
        DatabentoSource("", gateway="https://hist.databento.com")
    with pytest.raises(SourceConfigError, match="spaces"):
        DatabentoSource("db-abc def", gateway="https://hist.databento.com")
