"""The ``gex`` command through typer's CliRunner: demo market and the real Cboe CSV.

``--json`` output must equal the :mod:`api.views` object of the same analysis. The demo
snapshot follows the clock, so the tests route every command through one cached
:class:`~api.service.analysis.AnalysisService` per (source, settings, preset) — built by the real
``build_service`` — and compare against the analysis that service returns for the same
arguments. Errors must be one line on stderr with the documented exit code.
"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import api.cli.options as cli_options
from api.cli.app import app
from api.cli.watch import Watcher
from api.service.analysis import AnalysisService
from api.views import (
    chex_view,
    dex_view,
    gex_view,
    levels_view,
    narrative_view,
    scan_row,
    scan_view,
    summary_view,
    vex_view,
)
from engine.errors import ConfigurationError
from engine.exposure.metrics import METRICS
from tests.api.cli.frozen import _REAL_BUILD, cached_build, one_line_error
from tests.api.cli.test_watch import WebhookServer, fake_analysis
from tests.conftest import shared_path

CSV_NAME = "spx_2024-01-05_close.csv"


@pytest.fixture(autouse=True)
def shared_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_options, "build_service", cached_build)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def csv_file() -> Path:
    return shared_path("data", "cboe-csv", CSV_NAME)


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, list(args))


def ok_json(runner: CliRunner, *args: str) -> Any:
    result = invoke(runner, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def demo(preset: str = "native") -> AnalysisService:
    return cached_build("demo", {}, preset, 0.0)


def cboe(path: Path, preset: str = "native") -> AnalysisService:
    return cached_build("cboe", {"file": str(path)}, preset, 0.0)


# -- --json equals the endpoint views --------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "view"),
    [("summary", summary_view), ("levels", levels_view), ("narrative", narrative_view)],
)
def test_json_equals_the_view_on_demo(runner: CliRunner, command: str, view: Any) -> None:
    body = ok_json(runner, command, "spx")
    assert body == view(demo().analysis("SPX", "native"))


@pytest.mark.parametrize(
    ("greek", "view"),
    [("gex", gex_view), ("dex", dex_view), ("vex", vex_view), ("chex", chex_view)],
)
def test_strikes_json_is_the_greek_view(runner: CliRunner, greek: str, view: Any) -> None:
    body = ok_json(runner, "strikes", "QQQ", "--greek", greek)
    assert body == view(demo().analysis("QQQ", "native"))


def test_summary_json_on_the_cboe_csv_with_perfiliev(runner: CliRunner, csv_file: Path) -> None:
    body = ok_json(
        runner,
        "summary",
        "SPX",
        "--source",
        "cboe",
        "--file",
        str(csv_file),
        "--preset",
        "perfiliev",
    )
    assert body == summary_view(cboe(csv_file, "perfiliev").analysis("SPX", "perfiliev"))
    assert body["symbol"] == "SPX" and body["as_of"].endswith("Z")
    assert set(body["exposures"]) == {m.net for m in METRICS}


def test_real_factory_gives_the_same_json(
    runner: CliRunner, csv_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_options, "build_service", _REAL_BUILD)
    body = ok_json(runner, "levels", "SPX", "--source", "cboe", "--file", str(csv_file))
    assert body == levels_view(cboe(csv_file).analysis("SPX", "native"))


def test_expiration_and_min_oi_reach_the_engine(runner: CliRunner, csv_file: Path) -> None:
    args = ("strikes", "SPX", "--source", "cboe", "--file", str(csv_file))
    full = ok_json(runner, *args)
    narrow = ok_json(runner, *args, "--expiration", "2024-01-19", "--min-oi", "5000")
    expected = cboe(csv_file).analysis("SPX", "native", expiration="2024-01-19", min_oi=5000)
    assert narrow == gex_view(expected)
    assert len(narrow["strikes"]) < len(full["strikes"])
    assert all(r["call_oi"] + r["put_oi"] >= 5000 for r in narrow["strikes"])


def test_set_knobs_reach_the_engine_on_the_cboe_csv(runner: CliRunner, csv_file: Path) -> None:
    args = ("summary", "SPX", "--source", "cboe", "--file", str(csv_file), "--preset", "perfiliev")
    default = ok_json(runner, *args)
    tuned = ok_json(runner, *args, "--set", "year_days=252")
    assert tuned["gamma_flip"] != default["gamma_flip"]
    expected = cboe(csv_file, "perfiliev").analysis("SPX", "perfiliev", year_days="252")
    assert tuned == summary_view(expected)


def test_set_knobs_reach_the_engine_on_demo(runner: CliRunner) -> None:
    base = ("levels", "SPX", "--preset", "perfiliev")
    default = ok_json(runner, *base)
    tuned = ok_json(runner, *base, "--set", "year-days=200", "--set", "zero_dte_floor=false")
    assert tuned["levels"]["gamma_flip"] != default["levels"]["gamma_flip"]
    expected = demo("perfiliev").analysis(
        "SPX", "perfiliev", year_days="200", zero_dte_floor="false"
    )
    assert tuned == levels_view(expected)


def test_scan_json_is_the_scan_endpoint_body(runner: CliRunner) -> None:
    body = ok_json(runner, "scan", "SPX", "qqq", "IWM", "SPX")
    service = demo()
    rows = [scan_row(service.analysis(s, "native")) for s in ("SPX", "QQQ", "IWM")]
    assert body == scan_view(rows, [])
    distances = [abs(r["distance_to_flip_pct"]) for r in body["rows"]]
    assert distances == sorted(distances) and body["count"] == 3


def test_scan_lists_failed_symbols_and_keeps_the_rest(runner: CliRunner) -> None:
    result = invoke(runner, "scan", "SPX", "NOPE", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [r["symbol"] for r in body["rows"]] == ["SPX"]
    assert body["errors"] == [
        {"symbol": "NOPE", "error": "symbol_not_found", "message": "No data for NOPE."}
    ]
    assert result.stderr.startswith("warning: NOPE: ") and len(result.stderr.splitlines()) == 1


def test_scan_fails_when_every_symbol_fails(runner: CliRunner) -> None:
    assert "NOPE" in one_line_error(invoke(runner, "scan", "NOPE", "ZZZZ", "--json"), 1)


def test_scan_without_symbols_scans_the_whole_source(runner: CliRunner) -> None:
    body = ok_json(runner, "scan", "--workers", "2")
    assert sorted(r["symbol"] for r in body["rows"]) == sorted(demo().symbols())


# -- tables ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("summary", "SPX"), ["Regime", "Gamma flip", "Net GEX", "per 1% move", "Hedging"]),
        (("levels", "SPX"), ["Call wall", "Put wall", "0DTE magnet", "vs spot"]),
        (("narrative", "SPX"), ["Outlook:", "Key levels"]),
        (("strikes", "SPX", "--greek", "vex", "--limit", "5"), ["VEX by strike", "the 5 nearest"]),
        (("scan", "SPX", "QQQ"), ["Scan", "SPX", "QQQ"]),
    ],
)
def test_tables(runner: CliRunner, args: tuple[str, ...], expected: list[str]) -> None:
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    for text in expected:
        assert text in result.stdout
    assert result.stderr == ""


# -- errors ---------------------------------------------------------------------------------


def test_unknown_set_name_is_one_line(runner: CliRunner) -> None:
    line = one_line_error(invoke(runner, "summary", "SPX", "--set", "bogus=1"), 1)
    assert "bogus" in line and "year_days" not in line  # native has no knobs


def test_bad_set_value_and_unknown_preset_are_one_line(runner: CliRunner) -> None:
    assert "year_days" in one_line_error(
        invoke(runner, "summary", "SPX", "--preset", "perfiliev", "--set", "year_days=abc"), 1
    )
    assert "preset" in one_line_error(invoke(runner, "levels", "SPX", "--preset", "nope"), 1)


def test_set_needs_key_value(runner: CliRunner) -> None:
    assert "KEY=VALUE" in one_line_error(invoke(runner, "summary", "SPX", "--set", "x"), 2)


def test_secrets_are_refused_in_source_opt(runner: CliRunner) -> None:
    for key in ("api_key", "apikey", "secret", "token", "password", "API-KEY"):
        result = invoke(
            runner, "summary", "SPX", "--source", "polygon", "--source-opt", f"{key}=SEKRIT"
        )
        line = one_line_error(result, 2)
        assert "GEX_POLYGON_" in line and "environment" in line
        assert "SEKRIT" not in result.output
    result = invoke(runner, "summary", "SPX", "--source-opt", "SEKRIT")
    assert "SEKRIT" not in one_line_error(result, 2)


def test_missing_file_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "absent.csv"
    line = one_line_error(
        invoke(runner, "summary", "SPX", "--source", "cboe", "--file", str(missing)), 1
    )
    assert "absent.csv" in line


def test_file_needs_a_file_source(runner: CliRunner, tmp_path: Path) -> None:
    line = one_line_error(invoke(runner, "summary", "SPX", "--file", str(tmp_path / "x")), 2)
    assert "--source cboe" in line


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("summary", "NOPE"), 1, "NOPE"),
        (("summary", "SPX", "--source", "nosuch"), 1, "unknown source"),
        (("summary",), 2, "Missing argument"),
        (("strikes", "SPX", "--greek", "theta"), 2, "theta"),
        (("strikes", "SPX", "--expiration", "2024-13-01"), 2, "expiration"),
        (("strikes", "SPX", "--expiration", "2024-01-19", "--set", "expiration=x"), 2, "twice"),
        (("summary", "SPX", "--no-such-flag"), 2, "--no-such-flag"),
        (("watch", "SPX", "--polls", "1", "--webhook", "ftp://x"), 1, "webhook"),
    ],
)
def test_errors_are_one_line(
    runner: CliRunner, args: tuple[str, ...], code: int, fragment: str
) -> None:
    assert fragment in one_line_error(invoke(runner, *args), code)


def test_unexpected_errors_are_one_line(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.delenv("GEX_DEBUG", raising=False)
    monkeypatch.setattr(cli_options, "build_service", broken)
    line = one_line_error(invoke(runner, "summary", "SPX"), 1)
    assert "RuntimeError" in line and "disk on fire" in line


def test_bare_gex_prints_help(runner: CliRunner) -> None:
    result = invoke(runner)
    assert result.exit_code == 0
    assert "summary" in result.output and "serve" in result.output


# -- serve ----------------------------------------------------------------------------------


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    module = types.ModuleType("api.http.server")

    def serve(**kwargs: Any) -> None:
        calls.append(kwargs)
        if kwargs["host"] == "0.0.0.0":
            raise ConfigurationError("refusing to bind 0.0.0.0 without API keys")

    module.serve = serve  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "api.http.server", module)
    monkeypatch.setattr("api.cli.app.port_problem", lambda *_args: None)  # 8000 may be taken
    yield calls


def test_serve_defaults_to_the_demo_on_loopback(
    runner: CliRunner, fake_server: list[dict[str, Any]]
) -> None:
    result = invoke(runner, "serve")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000/docs" in result.stdout
    assert fake_server == [
        {
            "source": "demo",
            "host": "127.0.0.1",
            "port": 8000,
            "source_settings": None,
            "preset": "native",
            "ttl": 15.0,
            "log_level": "info",
            "store": None,
        }
    ]


def test_serve_passes_source_settings(
    runner: CliRunner, fake_server: list[dict[str, Any]], tmp_path: Path
) -> None:
    chain = tmp_path / "chain.csv"
    result = invoke(
        runner, "serve", "--source", "cboe", "--file", str(chain), "--source-opt", "rate=0.05",
        "--host", "::1", "--port", "9001", "--preset", "perfiliev", "--ttl", "5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "http://[::1]:9001/docs" in result.stdout
    call = fake_server[0]
    assert call["source_settings"] == {"file": str(chain), "rate": "0.05"}
    assert (call["host"], call["port"], call["preset"], call["ttl"]) == (
        "::1",
        9001,
        "perfiliev",
        5.0,
    )
    assert call["store"] is None


def test_serve_passes_the_store(
    runner: CliRunner, fake_server: list[dict[str, Any]], tmp_path: Path
) -> None:
    result = invoke(runner, "serve", "--store", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    assert fake_server[0]["store"] == str(tmp_path / "store")
    stored = invoke(runner, "serve", "--source", "store", "--store", str(tmp_path))
    assert stored.exit_code == 0, stored.output
    assert fake_server[1]["source_settings"] == {"root": str(tmp_path)}


def test_serve_errors_are_one_line(runner: CliRunner, fake_server: list[dict[str, Any]]) -> None:
    result = invoke(runner, "serve", "--host", "0.0.0.0")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: refusing to bind 0.0.0.0 without API keys"
    assert one_line_error(invoke(runner, "serve", "--port", "0"), 2)
    assert fake_server[-1]["host"] == "0.0.0.0"


def test_serve_without_the_server_module(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "api.http.server", None)
    assert "api.http.server" in one_line_error(invoke(runner, "serve"), 1)


# -- watch ----------------------------------------------------------------------------------


class ScriptedService:
    """Stands in for the service: a fixed sequence of analyses per symbol."""

    def __init__(self, steps: dict[str, list[Any]]) -> None:
        self.steps = steps

    def analysis(self, symbol: str, _preset: str | None = None, **_options: Any) -> Any:
        return self.steps[symbol].pop(0)


def test_watch_polls_the_demo(runner: CliRunner) -> None:
    result = invoke(runner, "watch", "SPX", "qqq", "--polls", "2", "--interval", "0")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 4 and "SPX" in lines[0] and "QQQ" in lines[1]


def test_watch_alerts_and_posts_events(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = {
        "SPX": [
            fake_analysis(0, "positive_gamma", 101.0, 100.0),
            fake_analysis(1, "negative_gamma", 99.0, 100.0),
        ]
    }
    monkeypatch.setattr(cli_options, "build_service", lambda *_a: ScriptedService(steps))
    with WebhookServer([200]) as server:
        result = invoke(
            runner, "watch", "SPX", "--polls", "2", "--interval", "0", "--webhook", server.url,
            "--json",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["event"] for e in events] == ["regime_change", "flip_cross"]
    assert server.bodies == events


def test_watch_reports_undelivered_events(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = {
        "SPX": [fake_analysis(0, "positive_gamma", 1, None), fake_analysis(1, "unknown", 1, None)]
    }
    monkeypatch.setattr(cli_options, "build_service", lambda *_a: ScriptedService(steps))
    with WebhookServer([404]) as server:
        result = invoke(
            runner, "watch", "SPX", "--polls", "2", "--interval", "0", "--webhook", server.url
        )
    assert result.exit_code == 0, result.output
    assert "ALERT" in result.stdout and "regime change" in result.stdout
    assert "warning: webhook http://127.0.0.1" in result.stderr and "404" in result.stderr
    assert "secret-token" not in result.output


def test_watch_stops_cleanly_on_ctrl_c(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: Watcher, iterations: int | None = None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(Watcher, "run", interrupted)
    result = invoke(runner, "watch", "SPX")
    assert result.exit_code == 0
    assert result.stderr.strip() == "stopped watching"


# -- bench ----------------------------------------------------------------------------------


def test_bench_runs_the_benchmarks(runner: CliRunner, capfd: pytest.CaptureFixture[str]) -> None:
    result = invoke(runner, "bench", "greeks", "--quick")
    assert result.exit_code == 0, result.output
    out = capfd.readouterr().out
    assert "machine:" in out and "greeks" in out


def test_bench_errors(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "available" in one_line_error(invoke(runner, "bench", "nosuch"), 2)
    monkeypatch.setattr("api.cli.app._benchmarks_root", lambda: None)
    assert "not importable" in one_line_error(invoke(runner, "bench"), 1)


# -- the CLI and the HTTP API agree ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("summary", "SPX"), "/v1/exposure/summary/SPX"),
        (("levels", "spx"), "/v1/exposure/levels/SPX"),
        (("narrative", "SPX"), "/v1/exposure/narrative/SPX"),
        (("strikes", "SPX"), "/v1/exposure/gex/SPX"),
        (("strikes", "SPX", "--greek", "dex"), "/v1/exposure/dex/SPX"),
        (("strikes", "SPX", "--greek", "vex"), "/v1/exposure/vex/SPX"),
        (("strikes", "SPX", "--greek", "chex"), "/v1/exposure/chex/SPX"),
        (("strikes", "ES=F", "--min-oi", "500"), "/v1/exposure/gex/ES%3DF?min_oi=500"),
        (("scan", "SPX", "NOPE", "QQQ"), "/v1/scan?symbols=SPX,NOPE,QQQ"),
    ],
)
def test_json_equals_the_http_endpoint(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], path: str
) -> None:
    fastapi_testclient = pytest.importorskip("fastapi.testclient")
    from api.config import ServerSettings
    from api.http.app import create_app

    service = demo()  # one service (one cached snapshot) behind both faces
    monkeypatch.setattr(cli_options, "build_service", lambda *_args: service)
    settings = ServerSettings(api_keys=("k",), rate_limit=0)
    app_ = create_app(settings=settings, service=service, warm=False)
    with fastapi_testclient.TestClient(app_) as http:
        answer = http.get(path, headers={"X-Api-Key": "k"})
    assert answer.status_code == 200, answer.text
    assert ok_json(runner, *args) == answer.json()
