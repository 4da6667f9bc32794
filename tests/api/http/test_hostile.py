"""Hostile requests at the HTTP edge: symbols outside the grammar, loose dates, trailing-slash
redirects, unparseable requests and oversized heads.

Requests are sent as raw bytes (:func:`tests.api.live.raw_request`), so that nothing on the
client side normalizes ``%2e%2e`` or encodes a header. The app runs in a thread over a
source that counts its snapshots ("before any provider is called" means the count does
not move); what depends on uvicorn's own parser runs against the real ``gex serve``
process (``live_server``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.config import ServerSettings
from api.http.app import create_app
from api.http.guards import BAD_REQUEST
from api.service.analysis import AnalysisService
from data_adapters.errors import InvalidSymbolError
from data_adapters.symbols import check_symbol
from engine.chain import ChainSnapshot
from tests.api.conftest import KEY
from tests.api.live import PinnedSource, ServerProcess, ThreadServer, get_request, raw_request


class CountingSource(PinnedSource):
    """The pinned demo market, recording every symbol a snapshot is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        self.asked.append(symbol)
        return super().snapshot(symbol, as_of)


@pytest.fixture(scope="module")
def counting() -> Iterator[tuple[ThreadServer, CountingSource]]:
    source = CountingSource()
    service = AnalysisService(source, source_name="demo", ttl=3600.0)
    settings = ServerSettings(api_keys=(KEY,), rate_limit=1_000_000, auth_failure_limit=0)
    with ThreadServer(create_app(settings=settings, service=service, warm=False)) as server:
        yield server, source


def get(server: ThreadServer, target: str, **headers: str) -> object:
    return raw_request(server.port, get_request(target, {"X-Api-Key": KEY, **headers}))


NON_ASCII = "%E2%82%AC" * 32  # 32 euro signs, UTF-8, percent-encoded
HOSTILE_SYMBOLS = [
    "%2e%2e",  # ..
    "..",
    ".SPY",
    "SPY%3Fx%3D1",  # SPY?x=1
    "SPY%23frag",  # SPY#frag
    "SPY%0D%0AX-Evil:%201",  # a forged header / log line
    NON_ASCII,
    "%C3%89" * 3,  # ÉÉÉ
    "X" * 25,
    "%20SPY",
    "SPY%20",
    "SPY%00",
    "SPY%09",
    "SP%2BY",  # SP+Y
    "%FF%FE",  # not UTF-8
]


@pytest.mark.parametrize("symbol", HOSTILE_SYMBOLS)
@pytest.mark.parametrize(
    "template",
    [
        "/v1/exposure/summary/{}",
        "/v1/exposure/gex/{}?min_oi=1",
        "/v1/exposure/zero-dte/{}",
        "/v1/options/{}",
        "/stockquote/{}",
    ],
)
def test_path_symbols_outside_the_grammar_are_400_before_any_provider(
    counting: tuple[ThreadServer, CountingSource], template: str, symbol: str
) -> None:
    server, source = counting
    before = list(source.asked)
    response = get(server, template.format(symbol))
    assert response.status == 400, response.body  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error", "message"} and body["error"] == "invalid_symbol"
    assert "\r" not in body["message"] and "\n" not in body["message"]
    assert body["message"].isascii()
    assert source.asked == before


@pytest.mark.parametrize(
    "symbols",
    ["SPY,%2e%2e", "SPY%3Fx%3D1", "SPY,SPY%23frag", "SPY%0D%0AX", NON_ASCII, "SPY,%20QQQ"],
)
def test_symbol_lists_outside_the_grammar_are_400_before_any_provider(
    counting: tuple[ThreadServer, CountingSource], symbols: str
) -> None:
    server, source = counting
    before = list(source.asked)
    response = get(server, f"/v1/scan?symbols={symbols}")
    assert response.status == 400  # type: ignore[attr-defined]
    assert response.json()["error"] == "invalid_symbol"  # type: ignore[attr-defined]
    assert source.asked == before


@pytest.mark.parametrize("symbol", ["SPX", "spx", "ES%3DF", "ES=F", "BRK.B", "%5EVIX", "A-B"])
def test_symbols_of_the_grammar_reach_the_source(
    counting: tuple[ThreadServer, CountingSource], symbol: str
) -> None:
    server, _ = counting
    response = get(server, f"/v1/exposure/levels/{symbol}")
    assert response.status in (200, 404)  # type: ignore[attr-defined]
    if response.status == 404:  # type: ignore[attr-defined]
        assert response.json()["error"] == "symbol_not_found"  # type: ignore[attr-defined]


def test_the_grammar_is_the_pattern_of_the_openapi_document(
    counting: tuple[ThreadServer, CountingSource],
) -> None:
    from data_adapters.symbols import SYMBOL_PATTERN

    server, _ = counting
    with httpx.Client(base_url=server.base_url) as http:
        document = http.get("/openapi.json").json()
    for path, item in document["paths"].items():
        for parameter in item["get"].get("parameters", []):
            if parameter["name"] in ("symbol", "ticker"):
                assert parameter["schema"]["pattern"] == SYMBOL_PATTERN, path
                assert parameter["schema"]["maxLength"] == 24
                assert "invalid_symbol" in parameter["description"]
            if parameter["name"] in ("expiration", "expiry"):
                text = parameter["schema"]["anyOf"][0]
                assert text["pattern"] == r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", path


def test_the_files_source_never_sees_a_symbol_outside_the_grammar(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    service = AnalysisService.from_source_name("files", root=str(root), ttl=60.0)
    settings = ServerSettings(api_keys=(KEY,), auth_failure_limit=0)
    with ThreadServer(create_app(settings=settings, service=service, warm=False)) as server:
        answers = [
            get(server, f"/v1/exposure/summary/{symbol}")
            for symbol in (NON_ASCII, "%2e%2e", "..", "%2e", "root")
        ]
        unknown = get(server, "/v1/exposure/summary/SPY")
    for bad in answers[:4]:
        assert bad.status == 400 and bad.json()["error"] == "invalid_symbol"  # type: ignore[attr-defined]
    assert answers[4].status == unknown.status == 404  # type: ignore[attr-defined]


# -- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["2026-W51-5", "2026W515", "2026-325", "%202026-11-20", "2026-11-20%20", "2026-11-2", "+2026-11-20",
     "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-11-20"],  # fullwidth digits
)  # fmt: skip
@pytest.mark.parametrize(("path", "name"), [("gex", "expiration"), ("zero-dte", "expiry")])
def test_dates_are_strictly_yyyy_mm_dd(
    counting: tuple[ThreadServer, CountingSource], path: str, name: str, value: str
) -> None:
    server, _ = counting
    response = get(server, f"/v1/exposure/{path}/SPX?{name}={value}")
    assert response.status == 400, response.body  # type: ignore[attr-defined]
    assert response.json() == {  # type: ignore[attr-defined]
        "error": "invalid_expiry",
        "message": f"{name} must be a date YYYY-MM-DD.",
    }


# -- trailing slashes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        f"/v1/exposure/levels/SPY/?apiKey={KEY}",
        f"/v1/symbols/?apiKey={KEY}",
        "/health/",
        f"//evil.example/v1/symbols/?apiKey={KEY}",
    ],
)
def test_a_trailing_slash_is_404_json_never_a_redirect(
    counting: tuple[ThreadServer, CountingSource], target: str
) -> None:
    server, _ = counting
    response = raw_request(server.port, get_request(target, {"Host": "evil.example:666"}))
    assert response.status == 404
    assert "location" not in response.headers
    assert response.json()["error"] == "not_found"
    assert b"evil" not in response.body and KEY.encode() not in response.body


# -- below the app: uvicorn's parser, and oversized heads ----------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    ],
)
def test_unparseable_requests_get_the_json_error_body(
    live_server: ServerProcess, data: bytes
) -> None:
    response = raw_request(live_server.port, data)
    assert response.status == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == BAD_REQUEST


def _oversized() -> list[tuple[bytes, int]]:
    big = b"a" * 20_000
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    return [
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n", 431),
        (b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n", 431),
        (b"GET /health?" + b"q" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2_000_000 + b"\r\n\r\n", 431),
    ]


@pytest.mark.parametrize(("data", "status"), _oversized())
def test_oversized_heads_get_a_json_431_or_414_from_gex_serve(
    live_server: ServerProcess, data: bytes, status: int
) -> None:
    response = raw_request(live_server.port, data)
    assert response.status == status
    assert response.headers["content-type"] == "application/json"
    code = "uri_too_long" if status == 414 else "headers_too_large"
    assert response.json()["error"] == code


@pytest.mark.parametrize(("data", "status"), _oversized()[:3])
def test_oversized_heads_get_a_json_431_or_414_from_the_app_under_stock_uvicorn(
    counting: tuple[ThreadServer, CountingSource], data: bytes, status: int
) -> None:
    server, _ = counting
    response = raw_request(server.port, data)
    assert response.status == status
    assert response.headers["content-type"] == "application/json"


def test_a_head_within_the_limit_is_served(live_server: ServerProcess) -> None:
    data = get_request("/health", {"X-Padding": "p" * 12_000})
    response = raw_request(live_server.port, data)
    assert response.status == 200 and response.json() == {"status": "Healthy"}


def test_stock_uvicorn_answers_unparseable_requests_itself(
    counting: tuple[ThreadServer, CountingSource],
) -> None:
    """Documented: without ``gex serve``'s protocol class (``uvicorn --factory``), uvicorn's
    parser answers before the app exists for the request: 400 text/plain."""
    server, _ = counting
    response = raw_request(server.port, b"GARBAGE\r\n\r\n")
    assert response.status == 400
    assert response.headers["content-type"].startswith("text/plain")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(min_size=1, max_size=30))
def test_fuzzed_path_symbols_are_answered_in_json_never_a_500(
    counting: tuple[ThreadServer, CountingSource], text: str
) -> None:
    """Any text in the path: a JSON answer — 400 invalid_symbol for text outside the grammar
    (the provider never asked), else what the source says about that symbol."""
    server, source = counting
    before = len(source.asked)
    response = get(server, "/v1/exposure/levels/" + quote(text, safe=""))
    status = response.status  # type: ignore[attr-defined]
    assert status in (200, 400, 404), (text, status)
    body = response.json()  # type: ignore[attr-defined]
    try:
        check_symbol(text)
    except InvalidSymbolError:
        assert status == 400 and body["error"] == "invalid_symbol"
        assert len(source.asked) == before
