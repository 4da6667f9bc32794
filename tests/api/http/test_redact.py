"""API keys never reach the server's log, in any encoding, at any log level.

One real ``gex serve`` process per uvicorn log level (critical .. trace), all started
together, each with its stdout and stderr captured. Every process gets the same requests,
carrying the key — and a wrong key — in the header, in ``apiKey=``, under a
percent-encoded parameter name (``api%4Bey``, ``%61%70%69%4B%65%79``), percent-encoded as a
value, in a different case, in the path, behind a trailing slash, with a forged log line
and in an unparseable request. Then no form of either key may appear in the output, while
the requests themselves do show at the levels that log them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import quote

import pytest

from api.http.redact import RedactKeys, redact
from api.http.server import LOG_LEVELS
from tests.api.live import ServerProcess, get_request, raw_request

KEY = "LogKey-7c1e9a2b5d-0f3e8a"
WRONG = "WrongKey-33aa55bb77cc99"


def encodings(secret: str) -> set[str]:
    every = "".join(f"%{b:02X}" for b in secret.encode())
    return {secret, quote(secret, safe=""), every, every.lower(), secret[4:], secret[:-4]}


def _requests() -> list[tuple[bytes, int]]:
    every_key = "".join(f"%{b:02X}" for b in KEY.encode())
    spelled = "%61%70%69%4B%65%79"  # apiKey, every letter encoded
    targets = [
        ("/v1/exposure/levels/SPY", {"X-Api-Key": KEY}, 200),
        (f"/v1/exposure/levels/SPY?apiKey={KEY}", {}, 200),
        (f"/v1/exposure/levels/SPY?api%4Bey={KEY}", {}, 200),
        (f"/v1/exposure/levels/SPY?{spelled}={KEY}", {}, 200),
        (f"/v1/exposure/levels/SPY?apiKey={every_key}", {}, 200),
        (f"/v1/exposure/levels/SPY?min_oi=1&api%4Bey={every_key}&x=1", {}, 200),
        (f"/v1/exposure/levels/SPY?api%254Bey={KEY}", {"X-Api-Key": KEY}, 200),
        (f"/v1/exposure/levels/SPY?APIKEY={KEY}", {}, 401),
        (f"/v1/exposure/levels/SPY?apiKey={WRONG}", {}, 401),
        (f"/v1/exposure/levels/SPY?api%4Bey={WRONG}", {}, 401),
        ("/v1/exposure/levels/SPY", {"X-Api-Key": WRONG}, 401),
        (f"/v1/exposure/levels/NOPE?apiKey={KEY}", {}, 404),
        (f"/v1/exposure/levels/SPY%0D%0AX-Evil:%201?apiKey={KEY}", {}, 400),
        (f"/v1/exposure/levels/{KEY}?apiKey={KEY}", {}, 404),  # 24 characters: a symbol
        (f"/v1/exposure/levels/{quote(KEY + '~', safe='')}", {"X-Api-Key": KEY}, 400),
        (f"/v1/exposure/levels/SPY/?apiKey={KEY}", {}, 404),
        (f"/v1/{KEY}", {"X-Api-Key": KEY}, 404),
    ]
    out = [(get_request(t, headers), status) for t, headers, status in targets]
    out.append((f"GARBAGE /?apiKey={KEY} HTTP/1.1\r\n\r\n".encode(), 400))
    return out


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ServerProcess]]:
    env = {"GEX_API_KEYS": KEY, "GEX_RATE_LIMIT": "0", "GEX_AUTH_FAILURE_LIMIT": "0"}
    with ExitStack() as stack:
        started = {
            level: ServerProcess(env=env, source="demo", ttl=3600.0, log_level=level)
            for level in LOG_LEVELS
        }
        for server in started.values():
            stack.enter_context(server)
        yield started


@pytest.mark.parametrize("level", LOG_LEVELS)
def test_no_key_in_any_log_line(servers: dict[str, ServerProcess], level: str) -> None:
    server = servers[level]
    for data, status in _requests():
        assert raw_request(server.port, data).status == status, data[:80]
    output = server.output()
    for secret in (KEY, WRONG):
        for form in encodings(secret):
            assert form not in output, (level, form)
    assert "\nX-Evil" not in output  # no forged log line
    if level in ("info", "debug", "trace"):  # the access log is there, redacted
        assert re.search(r"GET /v1/exposure/levels/SPY\?apiKey=\*\*\* HTTP/1.1\" 200", output)
        assert "api%4Bey=***" in output
    if level == "trace":  # uvicorn dumps each ASGI scope, query string included
        assert "'query_string': b'apiKey=***'" in output


def test_redact_on_its_own() -> None:
    secrets = [KEY]
    assert redact(f"GET /x?apiKey={KEY}&a=1", secrets) == "GET /x?apiKey=***&a=1"
    assert redact("GET /x?api%4Bey=abc&min_oi=5", ()) == "GET /x?api%4Bey=***&min_oi=5"
    assert redact("/x?access_token=t0k&expiration=2026-01-02") == (
        "/x?access_token=***&expiration=2026-01-02"
    )
    assert redact("(b'x-api-key', b'abcdef')") == "(b'x-api-key', b'***')"
    assert KEY not in redact(f"/v1/exposure/summary/{KEY}", secrets)
    twice = quote("".join(f"%{b:02X}" for b in KEY.encode()), safe="")  # %254C%256F...
    assert redact(f"path {twice} end", secrets).startswith("[log line withheld")
    assert redact("GET /v1/exposure/gex/SPY?expiration=2026-01-02&min_oi=5 HTTP/1.1", secrets) == (
        "GET /v1/exposure/gex/SPY?expiration=2026-01-02&min_oi=5 HTTP/1.1"
    )


def test_the_filter_keeps_the_access_log_arguments_and_redacts_any_argument() -> None:
    import logging

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/symbols?api%4Bey=s3cr3t&x=1", "1.1", 200), None,
    )  # fmt: skip
    assert RedactKeys().filter(record)
    assert len(record.args) == 5 and record.args[4] == 200  # type: ignore[arg-type]
    assert "s3cr3t" not in record.getMessage() and "api%4Bey=***&x=1" in record.getMessage()
    scope = {"path": "/v1/symbols", "query_string": b"apiKey=s3cr3t"}
    record = logging.LogRecord(
        "uvicorn.asgi", 5, __file__, 1, "%sASGI [%d] Started scope=%s", ("", 3, scope), None
    )
    assert RedactKeys().filter(record)
    assert "s3cr3t" not in record.getMessage() and "apiKey=***" in record.getMessage()
