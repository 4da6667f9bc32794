"""``gex mcp`` over stdio with the official MCP client (``.venv/bin/gex mcp`` as its
subprocess): the tools answer what the HTTP app answers for the same request (an app built
here with the same options: the demo market with its clock pinned), with the private key
``gex mcp`` gives itself whatever keys the environment configures; errors are tool errors
with the endpoint's code and message; ``--store`` reaches the app; a bad option is one line
on stderr and exit 2, with nothing on stdout."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp_types import TextContent
from starlette.testclient import TestClient

from api.config import ServerSettings
from api.http.app import create_app
from api.mcp.server import PROMPT, SYMBOLS_URI
from tests.api.conftest import FRIDAY_CLOSE, KEY, iso
from tests.api.live import REPO
from tests.api.mcp.helpers import FRIDAY, GEX, mcp_stdio, run
from tests.api.mcp.test_tools import NAMES

NO_CONFIG = {"GEX_CONFIG": "/dev/null"}


@pytest.fixture(autouse=True)
def no_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app built here reads no config file, as the subprocess (``NO_CONFIG``)."""
    monkeypatch.setenv("GEX_CONFIG", "/dev/null")


def rest_client(clock: str, store: Path | None = None) -> TestClient:
    """The HTTP app over the demo market at ``clock`` (and ``store``), in-process."""
    settings = ServerSettings(api_keys=(KEY,), store=None if store is None else str(store))
    app = create_app(settings=settings, source_settings={"clock": clock}, warm=False)
    return TestClient(app, headers={"X-Api-Key": KEY})


@pytest.fixture(scope="module")
def rest() -> Iterator[TestClient]:
    with rest_client(FRIDAY) as client:
        yield client


def text_of(result: Any) -> str:
    (content,) = result.content
    assert isinstance(content, TextContent)
    return content.text


CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("exposure_summary", {"symbol": "SPX"}, "/v1/exposure/summary/SPX"),
    ("gex", {"symbol": "SPY", "min_oi": 1000}, "/v1/exposure/gex/SPY?min_oi=1000"),
    ("zero_dte", {"symbol": "SPX"}, "/v1/exposure/zero-dte/SPX"),
    ("flow_dealer_risk", {"symbol": "SPX"}, "/v1/flow/dealer-risk/SPX"),
    ("scan", {"symbols": ["SPX", "ES=F"]}, "/v1/scan?symbols=SPX,ES%3DF"),
    ("gex", {"symbol": "NOPE"}, "/v1/exposure/gex/NOPE"),
    ("dex", {"symbol": "SPX", "expiration": "2026-02-30"},
     "/v1/exposure/dex/SPX?expiration=2026-02-30"),
]  # fmt: skip


def test_stdio_answers_what_the_http_app_answers(rest: TestClient) -> None:
    env = {**NO_CONFIG, "GEX_API_KEYS": "a-key-of-somebody-else-0123"}  # replaced by its own

    async def scenario() -> dict[str, Any]:
        async with mcp_stdio("--source", "demo", "--source-opt", f"clock={FRIDAY}", env=env) as c:
            return {
                "tools": [tool.name for tool in (await c.list_tools()).tools],
                "calls": [await c.call_tool(name, args) for name, args, _ in CALLS],
                "resource": await c.read_resource(SYMBOLS_URI),
                "prompt": await c.get_prompt(PROMPT, {"symbol": "ndx"}),
            }

    seen = run(scenario)
    assert seen["tools"] == NAMES
    for (name, _, url), result in zip(CALLS, seen["calls"], strict=True):
        answer = rest.get(url)
        assert result.is_error == (answer.status_code != 200), (name, text_of(result))
        assert text_of(result) == answer.text, name
    errors = [json.loads(text_of(r))["error"] for r in seen["calls"] if r.is_error]
    assert errors == ["symbol_not_found", "invalid_expiry"]
    (contents,) = seen["resource"].contents
    listing = rest.get("/v1/symbols").json()
    assert json.loads(contents.text)["symbols"] == listing["symbols"]  # fetched at its own time
    (message,) = seen["prompt"].messages
    assert "dealer positioning report for NDX" in message.content.text


def test_stdio_with_a_store(two_sessions: Path) -> None:
    clock = iso(FRIDAY_CLOSE)
    args = ("--source-opt", f"clock={clock}", "--store", str(two_sessions))

    async def scenario() -> Any:
        async with mcp_stdio(*args, env=NO_CONFIG) as client:
            return await client.call_tool("exposure_oi_diff", {"symbol": "SPX", "topN": 3})

    result = run(scenario)
    with rest_client(clock, two_sessions) as rest:
        answer = rest.get("/v1/exposure/oi-diff/SPX?topN=3")
    assert answer.status_code == 200 and answer.json()["prior_snapshot_available"]
    assert not result.is_error and text_of(result) == answer.text


@pytest.mark.parametrize(
    "args",
    [["--source-opt", "api_key=hunter2-secret"], ["--source", "nope"], ["--preset", "nope"]],
)
def test_a_bad_option_is_one_line_and_nothing_on_stdout(args: list[str]) -> None:
    done = subprocess.run(
        [GEX, "mcp", *args],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), **NO_CONFIG},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (1, 2) and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    assert "hunter2" not in done.stderr
