"""Fixtures for the adapter tests: recorded bodies, and one way to serve them two ways.

``serve(routes)`` returns a :class:`Served` whose ``url`` and ``http`` (an
:class:`HttpConfig` with an instant, recording ``sleep``) point either at an
:class:`httpx.MockTransport` or at a real loopback server; the ``serve`` fixture is
parametrized over both, so every adapter test runs through both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from data_adapters.http import HttpConfig
from tests.data_adapters.loopback import ReplayServer, Reply, Routes, mock_transport

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def fixture_bytes(name: str) -> bytes:
    """A recorded body from ``tests/data_adapters/fixtures``."""
    return (FIXTURES / name).read_bytes()


def json_reply(name: str, status: int = 200, **kw: object) -> Reply:
    return Reply(status, fixture_bytes(name), "application/json", **kw)  # type: ignore[arg-type]


def csv_reply(name: str, status: int = 200) -> Reply:
    return Reply(status, fixture_bytes(name), "text/csv")


@dataclass
class Served:
    """Where a test's client should go, and what the server saw."""

    kind: str
    url: str
    routes: Routes
    http: HttpConfig
    sleeps: list[float] = field(default_factory=list)


ServeFactory = Callable[..., Served]


@pytest.fixture(params=["mock", "loopback"])
def serve(request: pytest.FixtureRequest) -> Iterator[ServeFactory]:
    with contextlib.ExitStack() as stack:

        def start(
            routes: Mapping[str, Reply | Sequence[Reply]],
            *,
            timeout: float = 2.0,
            max_attempts: int = 4,
            host: str = "provider.test",
        ) -> Served:
            table = Routes(routes)
            sleeps: list[float] = []
            if request.param == "mock":
                url, transport = f"http://{host}", mock_transport(table)
            else:
                server = stack.enter_context(ReplayServer(table))
                url, transport = server.url, None
            config = HttpConfig(
                timeout=timeout,
                max_attempts=max_attempts,
                sleep=sleeps.append,
                rng=lambda: 0.5,
                transport=transport,
            )
            return Served(request.param, url, table, config, sleeps)

        yield start


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` beside the repository, or a skip when a fresh clone lacks it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent (only in the workspace)")
    return SHARED_DATA
