"""Start-up of the ``gex`` command line, each process timed from spawn to exit (or to its
first byte of output), best of N, against ``python -c "import typer"`` in the same run.

Rows (unit: one process):

- ``gex --help`` and ``gex --version`` against ``import typer`` (target: at most 2×): the
  command line imports typer and the standard library only (:mod:`api.cli.app`).
- ``gex summary --no-such-flag`` (a usage error the parser finds) against ``import typer``
  (target: at most 2×).
- ``gex summary`` (a missing argument) against ``import typer``: this fork of typer converts
  parameters with pydantic, so any error found while converting costs its import (~0.1 s).
- ``gex summary SPX`` on the demo (clock frozen, ``GEX_DEMO_CLOCK``), **time to first
  output** on a terminal (a pseudo-terminal: the spinner's first frame on stderr) against
  the same run's time to the end of the output; and piped (no spinner: the first output is
  the table) against the same.

The child processes run ``python -c "from api.cli.app import main; main()"`` (what the
``gex`` console script runs) from the repository root, with ``GEX_CONFIG=/dev/null`` and the
numba cache warm (one untimed run first).
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import Row

__all__ = ["notes", "run"]

ROOT = Path(__file__).resolve().parents[1]
CLOCK = "2026-11-20T15:00:00Z"
GEX = [sys.executable, "-c", "from api.cli.app import main; main()"]
TYPER = [sys.executable, "-c", "import typer"]
_NOTES: list[str] = []


def _env(root: Path = ROOT) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEX_")}
    env.update(GEX_CONFIG="/dev/null", GEX_DEMO_CLOCK=CLOCK, PYTHONPATH=str(root))
    env.pop("COLUMNS", None)
    return env


def _wall(argv: list[str], root: Path = ROOT) -> float:
    """Seconds from spawn to exit, output discarded."""
    start = time.perf_counter()
    subprocess.run(
        argv, cwd=root, env=_env(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        check=False,
    )  # fmt: skip
    return time.perf_counter() - start


def _best(argv: list[str], repeat: int, root: Path = ROOT) -> float:
    return min(_wall(argv, root) for _ in range(repeat))


def first_output(argv: list[str], terminal: bool, root: Path = ROOT) -> tuple[float, float]:
    """(seconds to the first byte on stdout or stderr, seconds to exit); ``terminal``: both
    on a pseudo-terminal (so the spinner runs), else pipes."""
    if terminal:
        master, slave = pty.openpty()
        env = dict(_env(root), COLUMNS="100", LINES="40")
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=root, env=env, stdout=slave, stderr=slave)
        os.close(slave)
        readers = [master]
    else:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=root, env=_env(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert proc.stdout is not None and proc.stderr is not None
        readers = [proc.stdout.fileno(), proc.stderr.fileno()]
    first = None
    while readers:
        ready, _, _ = select.select(readers, [], [], 60.0)
        if not ready:
            break
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # a pseudo-terminal whose child has exited
                chunk = b""
            if chunk and first is None:
                first = time.perf_counter() - start
            if not chunk:
                readers.remove(fd)
    proc.wait()
    end = time.perf_counter() - start
    if terminal:
        os.close(master)
    return (end if first is None else first), end


def run(quick: bool = False) -> list[Row]:
    repeat = 3 if quick else 7
    _NOTES.clear()
    _wall([*GEX, "summary", "SPX"])  # warm the numba cache and the page cache
    typer = _best(TYPER, repeat)
    rows = []
    for label, args in (
        ("gex --help", ["--help"]),
        ("gex --version", ["--version"]),
        ("gex summary --no-such-flag", ["summary", "--no-such-flag"]),
        ("gex summary (missing argument)", ["summary"]),
    ):
        took = _best([*GEX, *args], repeat)
        rows.append(Row("cli start-up", label, "import typer", 1, 1, "process", took, typer, "n/a"))
    summary = [*GEX, "summary", "SPX"]
    for terminal, where in ((True, "terminal"), (False, "piped")):
        trials = [first_output(summary, terminal) for _ in range(max(2, repeat // 2))]
        first = min(t[0] for t in trials)
        whole = min(t[1] for t in trials)
        subject = f"first output, {where}"
        rows.append(
            Row("cli summary SPX", subject, "whole run", 1, 1, "process", first, whole, "n/a")
        )
    _NOTES.append(f"import typer alone: {typer * 1000:.0f} ms; each start-up over it:")
    for row in rows[:4]:
        _NOTES.append(
            f"  {row.subject}: {row.subject_s * 1000:.0f} ms = {row.subject_s / typer:.2f}x"
        )
    for row in rows[4:]:
        _NOTES.append(
            f"  summary SPX, {row.subject}: {row.subject_s * 1000:.0f} ms "
            f"(whole run {row.baseline_s * 1000:.0f} ms)"  # type: ignore[operator]
        )
    return rows


def notes() -> list[str]:
    return list(_NOTES)
