"""The ``gex`` command on the demo market with its clock frozen, for the tests of the terminal
output (charts, tables, errors) and of the README's commands.

:func:`frozen_services` routes every command through one real service per (source,
settings, preset, store, clock) — built by the real ``build_service`` with a long TTL — so
that repeated commands see one snapshot and the suite stays fast. :func:`gex` runs a command
with a chosen output: ``terminal=True`` makes the command line believe stdout is a terminal
(rich then renders at ``COLUMNS`` columns, without colour since the runner's stream is not a
TTY), otherwise it is piped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pytest
from typer.testing import CliRunner

import api.cli.console as cli_console
import api.cli.options as cli_options
from api.cli.app import app
from api.service.analysis import AnalysisService

CLOCK = "2026-11-20T15:00:00Z"
"""A Friday, 10:00 New York: inside a session, SPX has a same-day expiry."""
_REAL_BUILD = cli_options.build_service
_SERVICES: dict[tuple[Any, ...], AnalysisService] = {}


def cached_build(
    source: str, settings: dict[str, Any], preset: str, ttl: float, store: str | None = None
) -> AnalysisService:
    """The real factory, memoized per settings and clock, with a long TTL."""
    clock = os.environ.get("GEX_DEMO_CLOCK")
    key = (source, tuple(sorted(settings.items())), preset, store, clock)
    if key not in _SERVICES:
        _SERVICES[key] = _REAL_BUILD(source, settings, preset, 3600.0, store=store)
    return _SERVICES[key]


def freeze(monkeypatch: pytest.MonkeyPatch, clock: str = CLOCK) -> None:
    """The demo clock at ``clock``, no config file, no store, memoized services."""
    monkeypatch.setenv("GEX_DEMO_CLOCK", clock)
    monkeypatch.setenv("GEX_CONFIG", "/dev/null")
    monkeypatch.delenv("GEX_STORE", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(cli_options, "build_service", cached_build)


def gex(
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    columns: int | None = None,
    terminal: bool = False,
    env: Mapping[str, str | None] | None = None,
) -> Any:
    """Run ``gex args`` (stdout a terminal of ``columns`` columns, or piped)."""
    monkeypatch.setattr(cli_console, "is_terminal", lambda: terminal)
    variables: dict[str, str | None] = {"COLUMNS": None if columns is None else str(columns)}
    variables.update(env or {})
    return CliRunner().invoke(app, list(args), env=variables)


def one_line_error(result: Any, code: int) -> str:
    """Assert a single ``error:`` line on stderr, nothing on stdout, exit ``code``."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert result.stdout == ""
    return str(lines[0])


def lines_of(text: str) -> list[str]:
    """The lines of ``text`` without the padding at their ends."""
    return [line.rstrip() for line in text.splitlines()]
