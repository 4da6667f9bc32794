"""The ``gex`` command as a trader meets it: charts, the strikes table, the commands over the
API's other endpoints, errors that say what went wrong, and one output convention.

Charts are snapshot-tested: the demo market with its clock frozen (``tests/api/cli/frozen.py``)
rendered at 80 and 160 columns (stdout a terminal) and piped; the expected text is in
``tests/api/cli/snapshots/``. When the engine's numbers change on purpose, rewrite them with
``GEX_UPDATE_SNAPSHOTS=1 python -m pytest tests/api/cli/test_terminal.py`` and read the diff.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import api.cli.options as cli_options
from api.cli.app import ScanSort, app
from api.cli.charts import strike_chart
from api.cli.console import PIPE_CHART_WIDTH, when
from api.cli.lazy import GexApp, metric_names
from api.cli.render import fixed, money, pct, scan_table
from api.cli.render_store import history_table
from api.cli.sources import known_keys
from api.views import SCAN_SORTS
from data_adapters import REGISTRY
from engine.exposure.metrics import METRICS
from tests.api.cli.frozen import CLOCK, cached_build, freeze, gex, lines_of, one_line_error

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("GEX_UPDATE_SNAPSHOTS") == "1"
REPO = Path(__file__).resolve().parents[3]
SATURDAY = "2026-11-21T15:00:00Z"


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch)


def run(monkeypatch: pytest.MonkeyPatch, *args: str, **kwargs: Any) -> Any:
    result = gex(monkeypatch, *args, **kwargs)
    assert result.exit_code == 0, result.output
    return result


def snapshot(name: str, text: str) -> None:
    """``text`` (line ends stripped) equals ``snapshots/<name>.txt``."""
    path = SNAPSHOTS / f"{name}.txt"
    got = "\n".join(lines_of(text)) + "\n"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: GEX_UPDATE_SNAPSHOTS=1 writes it"
    assert got == path.read_text(encoding="utf-8"), f"{name} differs from {path}"


# -- charts ---------------------------------------------------------------------------------

CHARTS = [
    ("chart_gex", ("chart", "SPX")),
    ("chart_vex", ("chart", "SPX", "--greek", "vex", "--expiration", "2026-12-18", "--rows", "12")),
    ("profile", ("profile", "SPX")),
]


@pytest.mark.parametrize("mode", ["80", "160", "piped"])
@pytest.mark.parametrize(("name", "args"), CHARTS, ids=[c[0] for c in CHARTS])
def test_chart_snapshots(
    monkeypatch: pytest.MonkeyPatch, name: str, args: tuple[str, ...], mode: str
) -> None:
    if mode == "piped":
        result = run(monkeypatch, *args)
    else:
        result = run(monkeypatch, *args, columns=int(mode), terminal=True)
    assert result.stderr == ""
    lines = lines_of(result.stdout)
    if mode == "piped":
        title, *body = lines
        assert "New York" in title
        assert all(len(line) <= PIPE_CHART_WIDTH and line.isascii() for line in body), body
    else:
        assert all(len(line) <= int(mode) for line in lines)
        assert any(len(line) > int(mode) - 10 for line in lines)  # it uses the width
    snapshot(f"{name}_{mode}", result.stdout)


def test_the_gex_chart_marks_every_level(monkeypatch: pytest.MonkeyPatch) -> None:
    text = run(monkeypatch, "chart", "SPX", columns=160, terminal=True).stdout
    for mark in ("spot", "gamma flip", "call wall", "put wall", "highest OI", "max pain"):
        assert mark in text, mark
    for glyph in ("█", "▓", "◆"):
        assert glyph in text
    piped = run(monkeypatch, "chart", "SPX").stdout
    assert "# calls  = puts  * net" in piped


@pytest.mark.parametrize("metric", [m.name for m in METRICS])
def test_every_metric_charts(monkeypatch: pytest.MonkeyPatch, metric: str) -> None:
    result = run(monkeypatch, "chart", "QQQ", "--greek", metric, columns=80, terminal=True)
    assert f"QQQ {metric.upper()} by strike" in result.stdout
    assert all(len(line) <= 80 for line in lines_of(result.stdout))


def test_the_greek_choices_are_the_registry() -> None:
    assert metric_names() == tuple(m.name for m in METRICS)
    assert tuple(ScanSort.__members__) == tuple(SCAN_SORTS)


def test_a_chart_with_crossings_and_opposite_bars() -> None:
    view = {
        "symbol": "TOY",
        "underlying_price": 100.0,
        "strikes": [
            {"strike": 90.0, "call_gex": 1e6, "put_gex": -3e6, "net_gex": -2e6},
            {"strike": 100.0, "call_gex": 4e6, "put_gex": -1e6, "net_gex": 3e6},
            {"strike": 110.0, "call_gex": 2e6, "put_gex": 1e6, "net_gex": 3e6},
        ],
    }
    levels = {"gamma_flip": 95.0, "call_wall": 110.0, "put_wall": 90.0}
    text = strike_chart(view, "gex", levels, [95.0, 105.0], 100.0, width=60, plain=True).plain
    lines = text.splitlines()
    assert [line.split()[0] for line in lines[1:-1]] == [
        "110.00", "105.00", "100.00", "100.00", "95.00", "90.00"
    ]  # fmt: skip
    assert "crossing" in lines[2] and "spot" in lines[3] and "gamma flip" in lines[5]
    assert "max pain" in lines[4] and "call wall" in lines[1] and "put wall" in lines[6]
    assert "#=" in lines[1]  # both positive: stacked on the right
    assert all(len(line) <= 60 for line in lines)


# -- gex strikes ----------------------------------------------------------------------------


def _rows(text: str) -> dict[str, str]:
    """Table line by its first cell (a strike, or ``spot``/``flip``)."""
    rows = {}
    for line in lines_of(text):
        cells = line.split()
        if cells and (re.fullmatch(r"[0-9,]+\.[0-9]{2}", cells[0]) or cells[0] in ("spot", "flip")):
            rows[cells[0]] = line
    return rows


def test_strikes_always_show_the_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    levels = json.loads(run(monkeypatch, "levels", "SPX", "--json").stdout)["levels"]
    body = json.loads(run(monkeypatch, "strikes", "SPX", "--json").stdout)
    text = run(monkeypatch, "strikes", "SPX", "--limit", "3").stdout
    rows = _rows(text)
    every = sorted(r["strike"] for r in body["strikes"])
    below = max(k for k in every if k <= levels["gamma_flip"])
    above = min(k for k in every if k > levels["gamma_flip"])
    for strike, mark in (
        (levels["call_wall"], "call wall"),
        (levels["put_wall"], "put wall"),
        (levels["highest_oi_strike"], "highest OI"),
        (below, ""),
        (above, ""),
    ):
        assert f"{strike:,.2f}" in rows, strike
        assert mark in rows[f"{strike:,.2f}"]
    assert "spot" in rows and "flip" in rows
    order = [line.split()[0] for line in lines_of(text) if line.split() and line.split()[0] in rows]
    flip_at = order.index("flip")
    assert order[flip_at - 1] == f"{below:,.2f}" and order[flip_at + 1] == f"{above:,.2f}"
    spot = body["underlying_price"]
    nearest = sorted(every, key=lambda k: abs(k - spot))[:3]
    assert all(f"{k:,.2f}" in rows for k in nearest)
    assert "the 3 nearest spot" in text


def test_strikes_cumulative(monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.loads(run(monkeypatch, "strikes", "SPY", "--json").stdout)
    text = run(monkeypatch, "strikes", "SPY", "--cumulative", "--limit", "4").stdout
    assert "cumulative net gex" in text
    rows = _rows(text)
    for key, line in rows.items():
        if key in ("spot", "flip"):
            continue
        strike = float(key.replace(",", ""))
        total = sum(r["net_gex"] or 0.0 for r in body["strikes"] if r["strike"] <= strike)
        assert line.split()[4] == money(total), line
    every = run(monkeypatch, "strikes", "SPY", "--limit", "0").stdout
    assert f"{len(body['strikes'])} strikes" in every


# -- commands over the API's other endpoints ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("expirations", "SPX"), "/v1/options/SPX"),
        (("zero-dte", "SPX"), "/v1/exposure/zero-dte/SPX"),
        (("zero-dte", "SPX", "--expiration", "2026-11-23"),
         "/v1/exposure/zero-dte/SPX?expiry=2026-11-23"),
        (("profile", "SPX"), "/v1/exposure/profile/SPX"),
        (("profile", "QQQ", "--expiration", "2026-12-18"),
         "/v1/exposure/profile/QQQ?expiration=2026-12-18"),
        (("chart", "SPX"), "/v1/exposure/gex/SPX"),
        (("chart", "SPX", "--greek", "vomma"), "/v1/exposure/vomma/SPX"),
    ],
)  # fmt: skip
def test_json_is_the_http_body(
    monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], path: str
) -> None:
    fastapi_testclient = pytest.importorskip("fastapi.testclient")
    from api.config import ServerSettings
    from api.http.app import create_app

    service = cached_build("demo", {}, "native", 0.0)
    monkeypatch.setattr(cli_options, "build_service", lambda *_args, **_kw: service)
    app_ = create_app(
        settings=ServerSettings(api_keys=("k",), rate_limit=0), service=service, warm=False
    )
    with fastapi_testclient.TestClient(app_) as http:
        answer = http.get(path, headers={"X-Api-Key": "k"})
    assert answer.status_code == 200, answer.text
    assert json.loads(run(monkeypatch, *args, "--json").stdout) == answer.json()


def test_the_new_commands_as_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    expirations = run(monkeypatch, "expirations", "SPX").stdout
    assert "2026-11-20" in expirations and "DTE" in expirations and "parity" in expirations
    zero = run(monkeypatch, "zero-dte", "SPX").stdout
    for text in ("0DTE, expiration 2026-11-20", "Pin magnet", "Max pain", "spot +0.5%"):
        assert text in zero, text
    profile = run(monkeypatch, "profile", "SPX").stdout
    assert "crossings: 5," in profile and "gamma flip" in profile


def test_zero_dte_without_a_same_day_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, SATURDAY)
    text = run(monkeypatch, "zero-dte", "SPX").stdout
    assert "No SPX options expire today (2026-11-21)" in text
    assert "Next expiration: 2026-11-23" in text


@pytest.mark.parametrize("command", ["strikes", "chart", "profile", "zero-dte"])
def test_a_bad_expiration_lists_the_nearest(monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    line = one_line_error(gex(monkeypatch, command, "SPX", "--expiration", "2026-12-17"), 1)
    assert "no contract expires 2026-12-17" in line
    assert "2026-12-18" in line and "2026-12-11" in line and "gex expirations SPX" in line


# -- no silent mistakes ---------------------------------------------------------------------


def test_unknown_source_opt_keys_are_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    line = one_line_error(gex(monkeypatch, "summary", "SPX", "--source-opt", "sed=7"), 2)
    assert "unknown --source-opt sed for --source demo" in line
    assert "clock, market_size, rate, seed, universe" in line
    polygon = one_line_error(
        gex(monkeypatch, "levels", "SPY", "--source", "polygon", "--source-opt", "max_dt=0"), 2
    )
    assert "max_dte" in polygon and "strike_band" in polygon
    assert "api_key from GEX_POLYGON_<KEY>" in polygon
    for args in (("serve",), ("ingest", "SPX"), ("scan", "SPX")):
        assert "seed" in one_line_error(gex(monkeypatch, *args, "--source-opt", "sed=7"), 2)
    assert run(monkeypatch, "levels", "SPX", "--source-opt", "seed=0", "--json").stdout


def _source_texts(source: str) -> str:
    from data_adapters import REGISTRY

    module = REGISTRY[source].replace(".", "/")
    paths = [REPO / f"{module}.py", *(REPO / module).glob("*.py")]
    shared = REPO / "data_adapters"
    paths += [shared / "_frames.py", shared / "http.py", *(shared / "http").glob("*.py")]
    return "".join(p.read_text("utf-8") for p in paths if p.is_file())


@pytest.mark.parametrize("source", sorted(REGISTRY))
def test_the_known_keys_are_read_by_the_source(source: str) -> None:
    """Every source declares the settings its ``create`` reads, and reads every one."""
    text = _source_texts(source)
    keys = known_keys(source)
    assert keys is not None
    assert [k for k in keys if f'"{k}"' not in text] == []


def test_a_missing_or_broken_config_file_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = str(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[sources.demo\nseed=", encoding="utf-8")
    for args in (("summary", "SPX"), ("store", "list"), ("ingest", "SPX"), ("scan",)):
        line = one_line_error(gex(monkeypatch, *args, env={"GEX_CONFIG": missing}), 1)
        assert "nope.toml does not exist" in line, args
        line = one_line_error(gex(monkeypatch, *args, env={"GEX_CONFIG": str(broken)}), 1)
        assert "cannot read config file" in line and "broken.toml" in line


def test_an_empty_files_folder_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    for extra in ((), ("--json",)):
        line = one_line_error(
            gex(monkeypatch, "scan", "--source", "files", "--source-opt", f"root={root}", *extra), 1
        )
        assert f"the files source holds no snapshots under {root}" in line
    line = one_line_error(gex(monkeypatch, "store", "list", "--store", str(tmp_path / "s")), 1)
    assert "no snapshots in the store" in line


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cboe_without_a_file_says_where_it_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    result = gex(
        monkeypatch, "summary", "SPX", "--source", "cboe",
        "--source-opt", f"base_url=http://127.0.0.1:{port}/api/global/delayed_quotes/options",
        "--source-opt", "max_attempts=2",
    )  # fmt: skip
    assert result.exit_code == 1 and result.stdout == ""
    notice, error = result.stderr.strip().splitlines()
    assert notice.startswith("gex: fetching SPX from the network: Cboe delayed quotes at ")
    assert f"127.0.0.1:{port}" in notice and "--file" in notice
    assert error.startswith("error: cboe: ") and "--file PATH" in error


def test_a_provider_failure_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    v3, v2 = _closed_port(), _closed_port()
    result = gex(
        monkeypatch, "summary", "SPX", "--source", "thetadata",
        "--source-opt", f"base_url=http://127.0.0.1:{v3}",
        "--source-opt", f"v2_base_url=http://127.0.0.1:{v2}", "--source-opt", "max_attempts=2",
    )  # fmt: skip
    line = one_line_error(result, 1)
    assert "thetadata" in line and "Theta Terminal" in line


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    module = types.ModuleType("api.http.server")
    module.serve = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "api.http.server", module)
    yield calls


def test_serve_checks_the_port_first(
    monkeypatch: pytest.MonkeyPatch, fake_server: list[dict[str, Any]]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        line = one_line_error(gex(monkeypatch, "serve", "--port", str(port)), 1)
    assert f"cannot listen on 127.0.0.1:{port}" in line and "another --port" in line
    assert fake_server == []
    free = _closed_port()
    result = run(monkeypatch, "serve", "--port", str(free))
    assert f"http://127.0.0.1:{free}/docs" in result.stdout and fake_server[0]["port"] == free
    line = one_line_error(gex(monkeypatch, "serve", "--host", "no-such-host.invalid"), 1)
    assert "cannot listen on no-such-host.invalid:8000" in line


def test_json_is_a_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    for command in ("summary", "strikes", "chart", "scan", "store list"):
        help_text = run(monkeypatch, *command.split(), "--help").stdout
        (line,) = [x for x in help_text.splitlines() if re.match(r"\s+--json\s+Print", x)]
        assert "<bool>" not in line
    line = one_line_error(gex(monkeypatch, "summary", "SPX", "--json", "true"), 2)
    assert "true" in line


# -- one output convention ------------------------------------------------------------------


def test_money_and_numbers_have_one_format() -> None:
    assert money(-548.1e6) == "-$548.1M"
    assert money(17.94e9) == "$17.9B"
    assert money(999_960.0) == "$1.0M"
    assert money(512.4) == "$512.40"
    assert money(-0.001) == "$0" and money(0.0) == "$0"
    assert money(None) == "—" and money(float("nan")) == "—"
    assert fixed(-0.04, 1) == "0.0" and fixed(-0.0, 2) == "0.00" and fixed(1234.5, 1) == "1,234.5"
    assert pct(-0.001) == "0.00%" and pct(1.234) == "+1.23%"


def test_the_scan_table_has_no_negative_zero() -> None:
    from rich.console import Console

    row = {
        "symbol": "XYZ", "underlying_price": 10.0, "regime": "negative_gamma", "net_gex": -1e6,
        "gamma_flip": 10.0, "distance_to_flip_pct": -0.001, "call_wall": 11.0,
        "put_wall": 9.0, "zero_dte_pct": -0.04,
    }  # fmt: skip
    console = Console(width=200, record=True, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(scan_table([row]))
    text = console.export_text()
    console.file.close()
    assert "-0.0" not in text and "negative_gamma" in text and "0.00%" in text


NEGATIVE_ZERO = re.compile(r"(?<![0-9.,])-0\.0+(?![0-9])|-\$0(?![.0-9])|\$-")


@pytest.mark.parametrize(
    "args",
    [
        ("summary", "SPX"), ("levels", "SPX"), ("strikes", "SPX", "--greek", "chex"),
        ("chart", "SPX"), ("profile", "SPX"), ("zero-dte", "SPX"), ("expirations", "SPY"),
        ("scan",), ("narrative", "QQQ"),
    ],
)  # fmt: skip
def test_no_negative_zero_and_one_money_format(
    monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    text = run(monkeypatch, *args).stdout
    assert NEGATIVE_ZERO.findall(text) == []


def test_one_regime_vocabulary(monkeypatch: pytest.MonkeyPatch) -> None:
    scan = run(monkeypatch, "scan", "SPX", "QQQ").stdout
    assert "positive_gamma" in scan
    view = {
        "symbol": "SPX", "from": "2026-11-19", "to": "2026-11-20",
        "history": [{"as_of": "2026-11-20T21:15:00Z", "status": "ok", "regime": "negative_gamma",
                     "underlying_price": 1.0, "net_gex": 1.0, "gamma_flip": 1.0,
                     "call_wall": 1.0, "put_wall": 1.0}],
    }  # fmt: skip
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(history_table(view))
    text = console.export_text()
    console.file.close()
    assert "negative_gamma" in text and "2026-11-20 16:15" in text


def test_titles_wrap_at_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    text = run(monkeypatch, "levels", "SPX", "--preset", "perfiliev", columns=70, terminal=True)
    lines = lines_of(text.stdout)
    table_width = max(len(x) for x in lines if "Gamma flip" in x)
    assert lines[0].startswith("SPX levels") and table_width < len(lines[0]) <= 70
    assert lines[1].strip() and "preset perfiliev" in " ".join(lines[:3])


def test_piped_output_does_not_wrap(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = lines_of(run(monkeypatch, "summary", "SPX").stdout)
    (gamma,) = [x for x in lines if x.startswith("Gamma:")]
    assert len(gamma) > 80 and gamma.endswith(".")
    assert max(len(x) for x in lines) > 100
    narrow = lines_of(run(monkeypatch, "summary", "SPX", env={"COLUMNS": "60"}).stdout)
    assert max(len(x) for x in narrow) <= 60


def test_times_are_new_york_beside_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    assert when("2026-11-20T15:00:00Z") == "2026-11-20 10:00 New York (15:00 UTC)"
    assert when("2026-11-21T01:30:15Z") == "2026-11-20 20:30:15 New York (2026-11-21 01:30:15 UTC)"
    text = run(monkeypatch, "summary", "SPX").stdout
    assert "as of 2026-11-20 10:00 New York (15:00 UTC)" in text


def test_the_demo_explains_an_as_of_outside_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Demo market" not in run(monkeypatch, "levels", "SPX").stdout
    freeze(monkeypatch, SATURDAY)
    text = run(monkeypatch, "levels", "SPX").stdout
    assert "Demo market: as of 2026-11-21 10:00 New York (15:00 UTC)" in text
    assert "Saturday 2026-11-21 has no session" in text and "Monday 2026-11-23" in text
    freeze(monkeypatch, "2026-11-20T22:00:00Z")
    assert "it is after the close" in run(monkeypatch, "summary", "SPX").stdout
    assert "Demo market" not in run(monkeypatch, "summary", "SPX", "--json").stdout


# -- start-up -------------------------------------------------------------------------------

HEAVY = (
    "numba",
    "numpy",
    "polars",
    "fastapi",
    "pydantic_settings",
    "api.service",
    "engine.analysis",
)
_PROBE = """
import sys
sys.argv = ["gex", *sys.argv[1:]]
from api.cli.app import main
try:
    main()
except SystemExit:
    pass
heavy = {heavy!r}
print("LOADED:" + ",".join(m for m in heavy if m in sys.modules))
"""


@pytest.mark.parametrize(
    "args",
    [("--help",), ("--version",), ("summary", "--no-such-flag"), ("strikes", "--help"),
     ("chart", "--help"), ("nosuch",)],
)  # fmt: skip
def test_help_and_usage_errors_import_nothing_heavy(args: tuple[str, ...]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEX_")}
    probe = _PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    (loaded,) = [x for x in done.stdout.splitlines() if x.startswith("LOADED:")]
    assert loaded == "LOADED:", (args, loaded)


def test_lazy_commands_are_listed_with_their_own_help() -> None:
    import typer.main

    group = typer.main.get_group(app)
    ctx = group.make_context("gex", ["--help"], resilient_parsing=True)
    for name in GexApp.modules:
        listed = group._listed(ctx, name)  # type: ignore[attr-defined]
        loaded = group.get_command(ctx, name)
        assert listed is not None and loaded is not None
        assert listed.get_short_help_str(80) == loaded.get_short_help_str(80)
    help_text = CliRunner().invoke(app, ["--help"]).stdout
    assert "flow" in help_text and "mcp" in help_text and "chart" in help_text


def test_the_clock_of_these_tests_is_inside_a_session() -> None:
    assert CLOCK.startswith("2026-11-20T15")
