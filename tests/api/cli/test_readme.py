"""The README as a new user reads it: its sections exist, and every ``gex`` command it shows
works.

Every fenced shell block of ``README.md`` (but the Quick start, which
``tests/api/http/test_quickstart.py`` runs for real) is read line by line: ``export VAR=value``
lines and ``VAR=value`` prefixes set the environment, ``&&`` separates commands, ``#``
starts a comment. Each ``gex ...`` command is then, in the README's order:

- **run** in-process against the demo market with its clock frozen at
  ``2026-11-20T15:00:00Z`` (:mod:`tests.api.cli.frozen`), with ``HOME`` a fresh folder (so
  ``~/gex-store`` is a new store, filled by the README's own ``ingest`` and ``backfill``
  commands before ``store list``, ``history``, ``oi-diff`` and ``--at`` read it) holding a
  ``files`` folder ``~/gex-files`` with one demo snapshot, and the working folder holding the
  Cboe quote tables the README names (``spx.csv``, ``~/Downloads/SPX_quotedata.csv``: the real
  SPX download of ``../shared/data/cboe-csv`` when present); it must exit 0;
- or **parsed only** (the command line is checked against the command's options and
  arguments, callbacks included, and not executed) when running it would serve forever or
  reach the network: ``gex serve``, ``gex mcp`` (reads stdin), ``gex watch ... --webhook``,
  ``gex bench`` (minutes of benchmarks), a collector (``--every``), a Dask cluster
  (``--scheduler``), the network sources (``--source polygon``, ``thetadata``, ``databento``,
  ``cboe`` without ``--file``), and a Cboe file command when the real download is absent.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.core import TyperGroup

from api.cli.app import app
from api.cli.console import busy
from tests.api.cli.frozen import CLOCK, freeze, gex, lines_of
from tests.conftest import SHARED

REPO = Path(__file__).resolve().parents[3]
README = REPO / "README.md"
REAL_SPX = SHARED / "data" / "cboe-csv" / "spx_2024-01-05_close.csv"
NETWORK = {"polygon", "thetadata", "databento"}
FOREVER = {"serve", "mcp", "bench"}


@dataclass(frozen=True)
class Shown:
    """One ``gex`` command of the README."""

    section: str
    line: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


def _blocks(text: str) -> list[tuple[str, str]]:
    """(section heading, body) of every fenced block without a language, Quick start aside."""
    found, section = [], ""
    for match in re.finditer(r"^(#{2,3} [^\n]*)$|^```([^\n]*)\n(.*?)^```", text, re.M | re.S):
        if match.group(1):
            section = match.group(1).lstrip("# ").strip()
        elif not match.group(2).strip() and section != "Quick start":
            found.append((section, match.group(3)))
    return found


def readme_commands() -> list[Shown]:
    """Every ``gex`` command of the README, in order (module docstring)."""
    shown: list[Shown] = []
    exported: dict[str, str] = {}
    for section, body in _blocks(README.read_text(encoding="utf-8")):
        for line in body.splitlines():
            tokens = shlex.split(line, comments=True)
            if tokens[:1] == ["export"]:
                exported.update(t.split("=", 1) for t in tokens[1:] if "=" in t)  # type: ignore[misc]
                continue
            command: list[str] = []
            for token in [*tokens, "&&"]:
                if token != "&&":
                    command.append(token)
                    continue
                env = dict(exported)
                while command and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", command[0]):
                    key, value = command.pop(0).split("=", 1)
                    env[key] = value
                if command[:1] == ["gex"]:
                    shown.append(Shown(section, line.strip(), tuple(command[1:]), env))
                command = []
    return shown


def _option(argv: tuple[str, ...], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv[:-1] else None


def parse_only_reason(argv: tuple[str, ...]) -> str | None:
    """Why a README command is parsed and not run (None: it is run)."""
    source = _option(argv, "--source") or "demo"
    if argv[:1] and argv[0] in FOREVER:
        return f"gex {argv[0]} serves or runs for minutes"
    if argv[:1] == ("watch",) and "--webhook" in argv:
        return "a watcher posting to a webhook runs until stopped"
    if "--every" in argv or "--scheduler" in argv:
        return "a collector, or a Dask cluster"
    if source in NETWORK or (source == "cboe" and "--file" not in argv):
        return f"the network source {source}"
    if source == "cboe" and not REAL_SPX.is_file():
        return f"{REAL_SPX} is absent"
    return None


def parse(argv: tuple[str, ...]) -> dict[str, Any]:
    """Parse ``gex argv`` down to its command (options, arguments, callbacks) without
    running it; the command's parameters."""
    command: Any = typer.main.get_group(app)
    ctx = command.make_context("gex", list(argv))
    try:
        while isinstance(command, TyperGroup):
            args = [*ctx._protected_args, *ctx.args]
            if not args:
                break
            name, command, rest = command.resolve_command(ctx, args)
            ctx = command.make_context(name, rest, parent=ctx)
    finally:
        busy.stop()
    return dict(ctx.params)


@pytest.fixture
def readme_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh ``HOME`` and working folder as the module docstring says."""
    from data_adapters import get_source

    home, work = tmp_path / "home", tmp_path / "work"
    (home / "Downloads").mkdir(parents=True)
    work.mkdir()
    if REAL_SPX.is_file():
        shutil.copy(REAL_SPX, work / "spx.csv")
        shutil.copy(REAL_SPX, home / "Downloads" / "SPX_quotedata.csv")
    files = get_source("files", root=str(home / "gex-files"), format="csv")
    files.write(get_source("demo", clock=CLOCK).snapshot("SPX"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.chdir(work)
    return home


def test_the_readme_shows_every_command() -> None:
    commands = {shown.argv[0] for shown in readme_commands() if shown.argv}
    assert {
        "summary", "levels", "strikes", "chart", "profile", "expirations", "zero-dte", "scan",
        "watch", "flow", "mcp", "serve", "ingest", "backfill", "store", "history", "oi-diff",
        "bench", "--version",
    } <= commands  # fmt: skip
    lines = [shown.line for shown in readme_commands()]
    assert any("--cumulative" in x for x in lines) and any("scan --all" in x for x in lines)


def test_every_readme_command_works(monkeypatch: pytest.MonkeyPatch, readme_home: Path) -> None:
    freeze(monkeypatch)
    ran, parsed = [], []
    for shown in readme_commands():
        reason = parse_only_reason(shown.argv)
        if reason is not None:
            params = parse(shown.argv)
            assert params is not None, shown.line
            parsed.append((shown.line, reason))
            continue
        env = {k: v for k, v in shown.env.items() if k != "GEX_DEMO_CLOCK"}
        result = gex(monkeypatch, *shown.argv, env=env)
        assert result.exit_code == 0, f"{shown.line}\n{result.output}"
        assert result.stdout.strip(), shown.line
        ran.append(shown.line)
    assert len(ran) >= 20 and len(parsed) >= 8, (ran, parsed)
    assert (readme_home / "gex-store" / "_store.json").is_file()


def test_parse_only_commands_are_checked() -> None:
    assert parse(("serve", "--host", "0.0.0.0"))["host"] == "0.0.0.0"
    assert parse(("watch", "SPX", "--interval", "30", "--webhook", "https://x.invalid"))[
        "symbols"
    ] == ["SPX"]
    with pytest.raises(Exception, match="No such option"):
        parse(("serve", "--no-such-option"))


# -- the sections -----------------------------------------------------------------------------


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^##+ {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match is not None, f"README.md has no section {title!r}"
    return match.group(1)


def test_user_sections_come_first() -> None:
    text = README.read_text(encoding="utf-8")
    heads = re.findall(r"^## (.*)$", text, re.M)
    assert heads[:5] == [
        "Quick start", "A first look", "What the numbers mean", "Getting real data in",
        "The command line",
    ]  # fmt: skip
    assert "Numba kernels" not in heads and "Benchmarks" not in heads
    moved = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert "## Numba kernels" in moved and "analyze_market" in moved and "bench_cli" in moved
    assert "docs/benchmarks.md" in text


def test_the_levels_and_the_hedging_estimate_are_defined() -> None:
    body = _section("What the numbers mean")
    for term in ("gamma flip", "regime", "call wall", "put wall", "max +gamma / max −gamma",
                 "highest OI", "0DTE magnet", "max pain", "positive_gamma", "negative_gamma"):  # fmt: skip
        assert f"**{term}**" in body or term in body, term
    for unit in ("**shares**", "**index units**", "**contracts**", "sticky strike"):
        assert unit in body, unit
    assert "docs/conventions.md" in body


def test_getting_data_in() -> None:
    body = _section("Getting real data in")
    for text in ("Download CSV", "date line", "fetched_at", "docs/quote-time.md", "25503",
                 "25510", "`max_dte` = 60", "`strike_band` = ±25 %", "#gex-snapshot",
                 "open_interest", "docs/configuration.md", "config.toml", "gex ingest"):  # fmt: skip
        assert text in body, text


def test_the_new_features_are_linked() -> None:
    text = README.read_text(encoding="utf-8")
    for doc in ("docs/flow.md", "docs/mcp.md", "docs/dashboard.md", "docs/databento.md",
                "docs/metrics.md", "docs/benchmarks.md"):  # fmt: skip
        assert doc in text and (REPO / doc).is_file(), doc
    for text_ in ("speed", "vomma", "/v1/scan", "gex scan --all", "/dashboard", "gex mcp"):
        assert text_ in text, text_


def _shape(line: str) -> str:
    return re.sub(r"[0-9]", "9", line)


def test_the_sample_output_is_what_gex_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    body = _section("A first look")
    sample = re.findall(r"^```\n(SPX summary.*?)^```", body, re.M | re.S)
    assert sample, "no sample output of gex summary SPX"
    shown = [x for x in sample[0].splitlines() if x != "..."]
    freeze(monkeypatch)
    printed = lines_of(gex(monkeypatch, "summary", "SPX").stdout)
    assert [_shape(x) for x in shown] == [_shape(x) for x in printed[: len(shown)]]
