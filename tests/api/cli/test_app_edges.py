"""The ``gex`` command at its edge: a symbol outside the grammar or a loose date is a usage
error — one line on stderr, exit 2 — before any source is built."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

import api.cli.options as cli_options
from api.cli.app import app

HOSTILE = ["..", "SPY?x=1", "SPY#frag", "SPY\r\nX-Evil: 1", "€" * 32, "X" * 25, "-", "", "SP Y"]
COMMANDS = [
    ("summary", "{}"),
    ("levels", "{}"),
    ("narrative", "{}"),
    ("strikes", "{}"),
    ("scan", "SPX {}"),
    ("watch", "{} --polls 1"),
]


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def refuse(source: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(source)
        raise AssertionError("no source may be built")

    monkeypatch.setattr(cli_options, "build_service", refuse)
    return calls


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def usage_error(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return str(lines[0])


@pytest.mark.parametrize("symbol", HOSTILE)
@pytest.mark.parametrize(("command", "template"), COMMANDS)
def test_symbols_outside_the_grammar_are_usage_errors(
    built: list[str], command: str, template: str, symbol: str
) -> None:
    args = [command, *[symbol if part == "{}" else part for part in template.split(" ")]]
    if symbol == "-":
        args.insert(1, "--")  # else a lone dash is an option to the parser
    line = usage_error(run(*args))
    assert "symbol" in line.lower() and "\r" not in line
    assert built == []


@pytest.mark.parametrize(
    "args",
    [
        ("strikes", "SPX", "--expiration", "2026-W51-5"),
        ("strikes", "SPX", "--expiration", "2026-325"),
        ("strikes", "SPX", "--expiration", " 2026-11-20"),
        ("summary", "SPX", "--set", "expiration=2026-W51-5"),
        ("levels", "SPX", "--set", "max_pain_expiration=2026W515"),
    ],
)
def test_dates_are_strictly_yyyy_mm_dd(built: list[str], args: tuple[str, ...]) -> None:
    assert "YYYY-MM-DD" in usage_error(run(*args))
    assert built == []
