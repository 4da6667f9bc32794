"""The shared resilient client, through a mock transport and a real loopback server."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from data_adapters.errors import DataSourceError, SymbolNotFoundError
from data_adapters.http import HttpClient, HttpConfig, UnreachableError, relative_url
from tests.data_adapters.conftest import ServeFactory
from tests.data_adapters.loopback import Reply, closed_port_url

OK = Reply(200, b'{"status":"OK","results":[1,2]}')
KEY = "sk-live-0123456789abcdef"


def client(served, **kw) -> HttpClient:
    return HttpClient("demo", served.url, config=served.http, **kw)


def test_plain_get_and_headers(serve: ServeFactory) -> None:
    served = serve({"/v1/x": OK})
    with client(served, headers={"User-Agent": "gex-test"}) as http:
        assert http.get_json("/v1/x", {"a": 1}) == {"status": "OK", "results": [1, 2]}
    seen = served.routes.requests[0]
    assert seen.query == {"a": "1"} and seen.headers["user-agent"] == "gex-test"
    assert served.sleeps == []


def test_429_then_200_honours_retry_after(serve: ServeFactory) -> None:
    limited = Reply(429, b"", headers={"Retry-After": "3"})
    served = serve({"/v1/x": [limited, OK]})
    with client(served) as http:
        assert http.get_json("/v1/x")["results"] == [1, 2]
    assert served.sleeps == [3.0]  # the server's wait, above the 0.375 s backoff
    assert len(served.routes.requests) == 2


def test_retry_after_as_http_date(serve: ServeFactory) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    served = serve({"/v1/x": [Reply(503, b"busy", "text/plain", {"Retry-After": when}), OK]})
    with client(served) as http:
        http.get_json("/v1/x")
    assert 15 < served.sleeps[0] <= 20


def test_retry_after_beyond_the_cap_fails_at_once(serve: ServeFactory) -> None:
    body = json.dumps({"status": "ERROR", "error": "You've exceeded the maximum requests"})
    served = serve({"/v1/x": Reply(429, body, headers={"Retry-After": "3600"})})
    with client(served) as http, pytest.raises(DataSourceError) as info:
        http.get("/v1/x")
    assert info.value.status == 429 and "3600" in info.value.message
    assert served.sleeps == [] and len(served.routes.requests) == 1


def test_repeated_500_gives_up_with_exponential_backoff(serve: ServeFactory) -> None:
    served = serve({"/v1/x": Reply(500, b"Internal Server Error", "text/plain")})
    with client(served) as http, pytest.raises(DataSourceError) as info:
        http.get("/v1/x")
    err = info.value
    assert type(err) is DataSourceError and err.status == 500 and err.provider == "demo"
    assert "after 4 attempts" in err.message and "Internal Server Error" in err.message
    assert served.sleeps == [0.375, 0.75, 1.5]  # 0.5 * 2**n, jitter factor 0.75
    assert len(served.routes.requests) == 4


def test_backoff_is_capped_and_jittered() -> None:
    sleeps: list[float] = []
    rolls = iter([0.0, 0.999, 0.5])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502)

    config = HttpConfig(
        max_attempts=4, backoff_base=10, backoff_max=15, sleep=sleeps.append,
        rng=lambda: next(rolls), transport=httpx.MockTransport(handler),
    )  # fmt: skip
    with HttpClient("demo", "http://x.test", config=config) as http, pytest.raises(DataSourceError):
        http.get("/")
    assert sleeps == [5.0, pytest.approx(14.9925), 11.25]


def test_5xx_then_success(serve: ServeFactory) -> None:
    served = serve({"/v1/x": [Reply(503), Reply(502), OK]})
    with client(served) as http:
        assert http.get_json("/v1/x")["status"] == "OK"
    assert len(served.sleeps) == 2


def test_timeout_is_retried_then_reported(serve: ServeFactory) -> None:
    served = serve({"/v1/x": Reply(200, b"{}", delay=5.0)}, timeout=0.2, max_attempts=2)
    with client(served) as http, pytest.raises(DataSourceError) as info:
        http.get("/v1/x")
    assert info.value.status is None
    assert "timed out after 0.2 s (after 2 attempts)" in info.value.message
    assert len(served.sleeps) == 1


def test_truncated_body_is_a_broken_connection(serve: ServeFactory) -> None:
    served = serve({"/v1/x": Reply(200, b'{"results": [', truncate=True)}, max_attempts=2)
    with client(served) as http, pytest.raises(DataSourceError) as info:
        http.get("/v1/x")
    assert "connection broken" in info.value.message and info.value.status is None


def test_truncated_json_is_a_clear_error(serve: ServeFactory) -> None:
    served = serve({"/v1/x": Reply(200, b'{"status":"OK","results":[{"a":1},{"a"')})
    with client(served) as http, pytest.raises(DataSourceError) as info:
        http.get_json("/v1/x")
    assert "invalid JSON" in info.value.message and "truncated" in info.value.message


def test_html_instead_of_json(serve: ServeFactory) -> None:
    page = b"<!DOCTYPE html><html><body>Please log in</body></html>"
    served = serve({"/v1/x": Reply(200, page, "text/html; charset=utf-8")})
    with client(served) as http:
        with pytest.raises(DataSourceError, match="HTML page, not JSON"):
            http.get_json("/v1/x")
        response = http.get("/v1/x")
        assert response is not None
        with pytest.raises(DataSourceError, match="HTML page, not the CSV"):
            http.text(response, "CSV")


def test_empty_body_is_not_json(serve: ServeFactory) -> None:
    served = serve({"/v1/x": Reply(200, b"  ")})
    with client(served) as http, pytest.raises(DataSourceError, match="empty body"):
        http.get_json("/v1/x")


def test_401_is_not_retried(serve: ServeFactory) -> None:
    body = b'{"status":"ERROR","request_id":"x","error":"Unknown API Key"}'
    served = serve({"/v1/x": Reply(401, body)})
    with client(served) as http, pytest.raises(DataSourceError) as info:
        http.get("/v1/x")
    assert info.value.status == 401 and "Unknown API Key" in str(info.value)
    assert "authentication failed" in info.value.message
    assert len(served.routes.requests) == 1 and served.sleeps == []


def test_404_is_symbol_not_found(serve: ServeFactory) -> None:
    served = serve({})
    with client(served) as http, pytest.raises(SymbolNotFoundError) as info:
        http.get("/v1/nothing")
    assert info.value.status == 404


def test_empty_and_final_statuses(serve: ServeFactory) -> None:
    served = serve({"/none": Reply(472, b":No data for the specified timeframe & contract.",
                               "text/plain"),
                    "/big": Reply(570, b":Request too large", "text/plain")})  # fmt: skip
    with client(served, empty_statuses=(472,), final_statuses=(570,),
                status_names={570: "request too large"}) as http:  # fmt: skip
        assert http.get("/none") is None
        with pytest.raises(DataSourceError) as info:
            http.get("/big")
    assert info.value.status == 570 and "request too large: Request too large" in info.value.message
    assert served.sleeps == []


def test_connection_refused_is_unreachable() -> None:
    sleeps: list[float] = []
    config = HttpConfig(max_attempts=3, sleep=sleeps.append, rng=lambda: 0.5)
    http = HttpClient("demo", closed_port_url(), config=config)
    with http, pytest.raises(UnreachableError) as info:
        http.get("/v1/x")
    assert "cannot connect" in info.value.message and "after 3 attempts" in info.value.message
    assert len(sleeps) == 2


def test_pagination_follows_absolute_links_on_the_base_host(serve: ServeFactory) -> None:
    def page(n: int, link: str | None) -> Reply:
        return Reply(200, json.dumps({"results": [n], "next_url": link}))

    served = serve({
        "/v3/items": page(1, "https://elsewhere.example/v3/items?cursor=p2"),
        "/v3/items?cursor=p2": page(2, "/v3/items?cursor=p3"),
        "/v3/items?cursor=p3": page(3, None),
    })  # fmt: skip
    with client(served) as http:
        pages = http.paginate(
            "/v3/items", {"limit": 2}, http.json, lambda _, body: body.get("next_url")
        )
    assert [p["results"][0] for p in pages] == [1, 2, 3]
    assert [s.query for s in served.routes.requests] == [
        {"limit": "2"}, {"cursor": "p2"}, {"cursor": "p3"},
    ]  # fmt: skip


def test_pagination_page_limit(serve: ServeFactory) -> None:
    served = serve({"/v3/items": Reply(200, b'{"results":[],"next_url":"/v3/items?c=1"}')})
    config = dataclasses.replace(served.http, max_pages=3)
    http = HttpClient("demo", served.url, config=config)
    with http, pytest.raises(DataSourceError, match="more than 3 pages"):
        http.paginate("/v3/items", None, http.json, lambda _, b: b.get("next_url"))
    assert len(served.routes.requests) == 3


@pytest.mark.parametrize("auth", ["header", "query"])
def test_secret_never_leaks(
    serve: ServeFactory, auth: str, caplog: pytest.LogCaptureFixture
) -> None:
    echo = json.dumps({"status": "ERROR", "error": f"Unknown API Key {KEY}"})
    served = serve({"/v1/ok": OK, "/v1/fail": Reply(401, echo), "/v1/busy": Reply(503)})
    secrets = (
        {"secret_headers": {"Authorization": f"Bearer {KEY}"}}
        if auth == "header"
        else {"secret_params": {"apiKey": KEY}}
    )
    caplog.set_level(logging.DEBUG)
    with client(served, **secrets) as http:
        http.get("/v1/ok", {"q": 1})
        errors = []
        for path in ("/v1/fail", "/v1/busy"):
            with pytest.raises(DataSourceError) as info:
                http.get(path)
            errors.append(info.value)
        assert KEY not in repr(http)
    seen = served.routes.requests[0]
    if auth == "header":
        assert seen.headers["authorization"] == f"Bearer {KEY}" and "apiKey" not in seen.query
    else:
        assert seen.query == {"q": "1", "apiKey": KEY} and "authorization" not in seen.headers
    for err in errors:
        for text in (str(err), repr(err), err.message, *map(str, err.args)):
            assert KEY not in text
        assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)
    assert "***" in errors[0].message
    assert "HTTP Request: GET" in caplog.text  # httpx logs every URL: without the key
    assert KEY not in caplog.text


def test_invalid_base_url() -> None:
    with pytest.raises(DataSourceError, match="invalid base URL"):
        HttpClient("demo", "ftp://example.com")


def test_relative_url() -> None:
    assert relative_url("https://api.massive.com/v3/x?cursor=a%3D") == "/v3/x?cursor=a%3D"
    assert relative_url("http://127.0.0.1:25510/v2/page/1") == "/v2/page/1"


def test_a_key_echoed_in_a_next_link_is_replaced(
    serve: ServeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    served = serve({
        "/v3/items": Reply(200, b'{"next_url":"https://api.massive.com/v3/items?cursor=2&apiKey=old"}'),
        "/v3/items?cursor=2": Reply(200, b"{}"),
    })  # fmt: skip
    caplog.set_level(logging.INFO)
    with client(served, secret_params={"apiKey": KEY}) as http:
        http.paginate("/v3/items", None, http.json, lambda _, body: body.get("next_url"))
    assert served.routes.requests[1].query == {"cursor": "2", "apiKey": KEY}
    assert "apiKey" not in caplog.text
