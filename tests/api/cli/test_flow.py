"""``gex flow``: ``--json`` is exactly the ``/v1/flow/dealer-risk`` body (the demo market with
its clock frozen inside a session, against a real server of the same market), the tables,
and the errors (one line, exit 2 for usage, 1 for data)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import api.cli.options as cli_options
from api.cli.app import app
from api.config import ServerSettings
from api.http.app import create_app
from api.service.analysis import AnalysisService
from api.service.flow import FlowService, FlowSettings
from data_adapters import get_source
from tests.api.conftest import KEY
from tests.api.live import ThreadServer
from tests.api.service.test_flow import CALL, NoTapeSource, ToySource, toy_snapshot, toy_tape

CLOCK = "2026-11-20T19:00:00Z"


@pytest.fixture(autouse=True)
def no_flow_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GEX_FLOW_RULE", "GEX_FLOW_CONFIDENCE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def server() -> Iterator[httpx.Client]:
    service = AnalysisService(get_source("demo", clock=CLOCK), source_name="demo", ttl=3600.0)
    settings = ServerSettings(api_keys=(KEY,), rate_limit=1000000, auth_failure_limit=0)
    web = create_app(settings=settings, service=service, warm=False)
    web.state.flow = FlowService(service, FlowSettings())
    with (
        ThreadServer(web) as running,
        httpx.Client(base_url=running.base_url, headers={"X-Api-Key": KEY}, timeout=120) as http,
    ):
        yield http


def gex(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_json_is_the_endpoint_body(server: httpx.Client) -> None:
    for args, params in (
        ((), {}),
        (("--expiry", "2026-11-20", "--rule", "net", "--confidence", "0.6"),
         {"expiry": "2026-11-20", "rule": "net", "confidence": "0.6"}),
    ):  # fmt: skip
        result = gex("flow", "aapl", "--source-opt", f"clock={CLOCK}", *args, "--json")
        assert result.exit_code == 0, result.output
        body = server.get("/v1/flow/dealer-risk/AAPL", params=params)
        assert body.status_code == 200
        assert json.loads(result.stdout) == body.json()


def _toy(monkeypatch: pytest.MonkeyPatch, source: Any) -> None:
    def build(*_: Any, **__: Any) -> AnalysisService:
        return AnalysisService(source, source_name=source.name, ttl=60.0)

    monkeypatch.setattr(cli_options, "build_service", build)


def test_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    snap = toy_snapshot()
    _toy(monkeypatch, ToySource(snap, toy_tape(snap, [(CALL, 2000, "buy")])))
    result = gex("flow", "TOY")
    assert result.exit_code == 0, result.output
    for text in ("TOY flow", "net GEX", "net DEX", "settled", "live", "amplifying",
                 "open interest · rule vendor, confidence 0.43", "5,400", "6,260", "860"):  # fmt: skip
        assert text in result.stdout, text


def test_errors_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for args in (("--expiry", "2026-W47-5"), ("--confidence", "0"), ("--rule", "gross")):
        result = gex("flow", "TOY", *args)
        assert result.exit_code == 2, args
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    _toy(monkeypatch, NoTapeSource(toy_snapshot()))
    result = gex("flow", "TOY")
    assert result.exit_code == 1 and "serves no trade tape" in result.stderr
    _toy(monkeypatch, ToySource(toy_snapshot()))
    result = gex("flow", "TOY", "--expiry", "2026-12-19")
    assert result.exit_code == 1 and "2026-12-19" in result.stderr
    result = gex("flow", "TOY", "--dealer-model", "flow")
    assert result.exit_code == 2
