"""Fixtures of the API tests: real servers (a subprocess, or threads with injected sources).

``live_server``: ``api.http.server.serve`` in a child process over the demo source (cache TTL
one hour, so consecutive calls see one snapshot), with two API
keys configured (``KEY``, ``OTHER_KEY``), a rate limit high enough for every test and no
failed-key throttle (tests send wrong keys on purpose; ``test_limits`` covers the throttle).
``pinned_server``: the app over the demo market frozen on a Friday morning, in a thread,
with ``KEY``; ``client`` is an httpx client on it that sends ``KEY``.

``two_sessions``: a snapshot store holding SPX and SPY at the close of two sessions
(Thursday and Friday, 2026-11-19/20, 16:15 New York), written by ``gex ingest`` from the
demo market with its clock frozen at each close. Every test runs without ``GEX_STORE`` and
``GEX_DEMO_CLOCK`` from the developer's environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.config import ServerSettings
from api.http.app import create_app
from api.service.analysis import AnalysisService
from tests.api.live import ISOLATED_ENV, PinnedSource, ServerProcess, ThreadServer

KEY = "test-key-0123456789abcdef"
OTHER_KEY = "other-key-fedcba9876543210"
KEYS_ENV = {
    "GEX_API_KEYS": f"{KEY},{OTHER_KEY}",
    "GEX_RATE_LIMIT": "1000000",
    "GEX_AUTH_FAILURE_LIMIT": "0",  # test_auth tries hundreds of wrong keys
}


THURSDAY_CLOSE = datetime(2026, 11, 19, 21, 15, tzinfo=UTC)  # 16:15 New York
FRIDAY_CLOSE = datetime(2026, 11, 20, 21, 15, tzinfo=UTC)
STORED = ("SPX", "SPY")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ISOLATED_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def two_sessions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from api.cli.app import app

    root = tmp_path_factory.mktemp("two-sessions") / "store"
    for close in (THURSDAY_CLOSE, FRIDAY_CLOSE):
        result = CliRunner().invoke(
            app,
            ["ingest", *STORED, "--source", "demo", "--source-opt", f"clock={iso(close)}",
             "--store", str(root)],
            env={name: None for name in ISOLATED_ENV},
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="session")
def live_server() -> Iterator[ServerProcess]:
    with ServerProcess(env=KEYS_ENV, source="demo", ttl=3600.0) as server:
        yield server


def pinned_app(**settings: object) -> object:
    service = AnalysisService(PinnedSource(), source_name="demo", ttl=3600.0)
    base = {"api_keys": (KEY,), "rate_limit": 1000000, "auth_failure_limit": 0}
    server_settings = ServerSettings(**{**base, **settings})  # type: ignore[arg-type]
    return create_app(settings=server_settings, service=service)


@pytest.fixture(scope="session")
def pinned_server() -> Iterator[ThreadServer]:
    with ThreadServer(pinned_app()) as server:
        yield server


@pytest.fixture
def client(pinned_server: ThreadServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=pinned_server.base_url, headers={"X-Api-Key": KEY}, timeout=60.0
    ) as http:
        yield http
