"""Engine and source errors become API.md's bodies over real HTTP; nothing leaks a trace."""

from __future__ import annotations

import logging

import httpx
import pytest

from api.config import ServerSettings
from api.http.app import create_app
from api.service.analysis import AnalysisService
from api.service.errors import error_for
from data_adapters import DataSourceError, SourceConfigError, SymbolNotFoundError, UnreachableError
from data_adapters.errors import InvalidSymbolError, NoHistoryError
from engine.errors import (
    CalendarError,
    ConfigurationError,
    EmptySnapshotError,
    InvalidSpotError,
    NoContractsError,
    OptionError,
    SchemaError,
)
from tests.api.live import RaisingSource, ThreadServer

GENERIC_500 = {"error": "internal_error", "message": "Internal server error; see the server log."}


def answer(error: BaseException, url: str = "/v1/exposure/summary/spx") -> httpx.Response:
    service = AnalysisService(RaisingSource(error), ttl=60.0)
    app = create_app(settings=ServerSettings(), service=service, warm=False)
    with ThreadServer(app) as server, httpx.Client(base_url=server.base_url, timeout=60) as http:
        return http.get(url)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (SymbolNotFoundError("demo", "unknown symbol 'SPX'"), 404, "symbol_not_found"),
        (NoHistoryError("store", "no snapshot of SPX at or before ..."), 404, "no_snapshot"),
        (NoContractsError("SPX: no contract for the filters"), 404, "symbol_not_found"),
        (UnreachableError("polygon", "connection refused"), 502, "upstream_unavailable"),
        (DataSourceError("cboe", "server error", status=503), 502, "upstream_unavailable"),
        (
            SourceConfigError("polygon", "setting 'api_key' is required"),
            502,
            "upstream_unavailable",
        ),
        (EmptySnapshotError("no usable rows"), 503, "insufficient_data"),
        (InvalidSpotError("spot is NaN"), 503, "insufficient_data"),
        (OptionError("min_oi", "min_oi must be >= 0, got -1"), 400, "invalid_min_oi"),
        (OptionError("max_pain_expiration", "must be a date"), 400, "invalid_expiry"),
        # the code comes from the exception's type and parameter, never from its wording
        (ConfigurationError("min_oi looks like an option name"), 400, "invalid_parameter"),
        (ConfigurationError("unknown knob 'foo'"), 400, "invalid_parameter"),
    ],
)
def test_mapped_errors(error: BaseException, status: int, code: str) -> None:
    response = answer(error)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "message"} and body["error"] == code
    assert "Traceback" not in response.text
    mapped = error_for(error, "SPX")  # type: ignore[arg-type]
    assert mapped is not None and mapped.body() == body


def test_no_snapshot_messages_name_the_symbol_once() -> None:
    stored = NoHistoryError("store", "no snapshot of SPX at or before 2026-11-18T00:00:00+00:00")
    assert answer(stored).json()["message"] == (
        "No snapshot of SPX at or before 2026-11-18T00:00:00+00:00."
    )
    demo = NoHistoryError("demo", "the demo market covers 1992-01-02 to 2054-12-31")
    assert answer(demo).json()["message"] == (
        "The demo market covers 1992-01-02 to 2054-12-31 (SPX)."
    )


def test_not_found_messages() -> None:
    assert answer(SymbolNotFoundError("demo", "x")).json()["message"] == "No data for SPX."
    message = answer(NoContractsError("SPX: no contract for expiration 2030-01-02")).json()[
        "message"
    ]
    assert message == "No data for SPX (no contract for expiration 2030-01-02)."


@pytest.mark.parametrize(
    "error",
    [RuntimeError("internal detail /etc/secret"), SchemaError("column iv"), CalendarError("x")],
)
def test_anything_else_is_a_generic_500_logged_server_side(
    error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="api"):
        response = answer(error)
    assert response.status_code == 500 and response.json() == GENERIC_500
    logged = [r for r in caplog.records if r.name == "api" and r.levelno == logging.ERROR]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert type(error).__name__ in logged[0].getMessage()


def test_a_failing_scan_symbol_is_listed_and_an_unexpected_one_is_500() -> None:
    response = answer(UnreachableError("polygon", "down"), "/v1/scan?symbols=SPX,SPY")
    assert response.status_code == 502 and response.json()["error"] == "upstream_unavailable"
    assert answer(RuntimeError("x"), "/v1/scan?symbols=SPX").json() == GENERIC_500


def test_a_logged_500_never_forges_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    from api.http.errors import _log_unhandled

    with caplog.at_level(logging.ERROR, logger="api"):
        _log_unhandled(RuntimeError("x"), "GET", "/v1/exposure/summary/SPY\r\nX-Evil: 1")
    (record,) = [r for r in caplog.records if r.name == "api"]
    line = record.getMessage()
    assert "\r" not in line and "\n" not in line and "SPY\\r\\nX-Evil: 1" in line


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidSymbolError("invalid symbol '..': use 1-24 ASCII letters"), 400, "invalid_symbol"),
    ],
)
def test_invalid_symbols_from_a_source_are_400(error: Exception, status: int, code: str) -> None:
    response = answer(error)
    assert response.status_code == status and response.json()["error"] == code
    assert response.json()["message"].startswith("invalid symbol")


def test_the_providers_own_deadline_and_invalid_errors_map_by_type() -> None:
    from data_adapters.errors import UpstreamInvalidError, UpstreamTimeoutError

    for error, status, code in (
        (
            UpstreamTimeoutError("polygon", "no complete answer within 30 s"),
            504,
            "upstream_timeout",
        ),
        (UpstreamInvalidError("cboe", "body over the size cap"), 502, "upstream_invalid"),
    ):
        response = answer(error)
        assert response.status_code == status and response.json()["error"] == code
