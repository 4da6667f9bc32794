"""The README's Quick start, checked from the README itself.

The section holds two fenced commands: the first sets up a virtualenv and runs
``.venv/bin/gex serve`` (the main job), the second runs the checks and the tests — that one is
CI itself and is never run here. The server part of the first is run for real with the
current environment's ``gex``: it must answer ``/health`` and a summary, then stop cleanly
on Ctrl-C (SIGINT).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[3]
STARTUP_BOUND_S = 60.0
"""Longest wait for the server to answer /health (a bound, not a measured assertion)."""


def quick_start_commands() -> list[str]:
    """The fenced blocks of the README's ``## Quick start`` section, stripped."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Quick start\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match is not None, "README.md has no '## Quick start' section"
    return [b.strip() for b in re.findall(r"^```[^\n]*\n(.*?)^```", match.group(1), re.M | re.S)]


def serve_argv(command: str) -> list[str]:
    """The last ``&&`` step of the first command, as argv (``['.venv/bin/gex', 'serve']``)."""
    return shlex.split(command.split("&&")[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_quick_start_has_the_main_job_then_the_tests() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    main_job, tests = commands
    assert main_job.endswith("gex serve"), main_job
    assert main_job.startswith("python3 -m venv .venv")
    argv = serve_argv(main_job)
    assert Path(argv[0]).name == "gex" and argv[1:] == ["serve"]
    assert "pytest" in tests and "gex serve" not in tests


def test_quick_start_server_answers(tmp_path: Path) -> None:
    assert (REPO / "api" / "http" / "server.py").is_file()
    argv = serve_argv(quick_start_commands()[0])
    assert Path(argv[0]).name == "gex" and argv[1:] == ["serve"], argv
    gex = Path(sys.executable).parent / "gex"
    assert gex.is_file(), f"{gex} is not installed (pip install -e .)"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEX_")}  # a clean clone
    env["GEX_CONFIG"] = "/dev/null"
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(gex), *argv[1:], "--port", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + STARTUP_BOUND_S
            healthy = False
            while not healthy and time.monotonic() < deadline:
                if server.poll() is not None:
                    break
                with contextlib.suppress(httpx.TransportError):
                    healthy = httpx.get(f"{base}/health", timeout=2.0).status_code == 200
                if not healthy:
                    time.sleep(0.25)
            assert healthy, f"no healthy server on {base}: {log_path.read_text()[-2000:]}"
            summary = httpx.get(f"{base}/v1/exposure/summary/SPX", timeout=60.0)
            assert summary.status_code == 200, summary.text
            assert summary.headers["content-type"].startswith("application/json")
            body = summary.json()
            assert body["symbol"] == "SPX" and "regime" in body
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
    output = log_path.read_text()
    assert server.returncode == 0, output[-2000:]
    assert f"{base}/docs" in output and f"{base}/dashboard" in output
    assert f"{base}/mcp" in output
    assert "Traceback" not in output
