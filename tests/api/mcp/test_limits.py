"""``/mcp`` behind the REST API's rate limit and loopback rule, on uvicorn serving an app of
this process (each test its own app, so its own moving window): each request to ``/mcp``
counts one, with the ``X-RateLimit-*`` headers; a tool call also counts its endpoint's
request (``scan``: one per symbol); a full window is the REST ``429`` (the request) or a
tool error with the REST ``429`` body (the tool's own request); without keys only loopback
names are answered (DNS-rebinding protection)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import KEY, pinned_app
from tests.api.live import ThreadServer

JSON_RPC = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments}
    return {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": params}


@pytest.fixture
def limited() -> Iterator[httpx.Client]:
    with (
        ThreadServer(pinned_app(rate_limit=12, rate_window=600.0)) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Api-Key": KEY}, timeout=120.0) as c,
    ):
        yield c


def remaining(response: httpx.Response) -> int:
    return int(response.headers["x-ratelimit-remaining"])


def test_each_request_and_each_tool_request_counts(limited: httpx.Client) -> None:
    listed = limited.post("/mcp", json=LIST_TOOLS, headers=JSON_RPC)
    assert listed.status_code == 200 and listed.headers["x-ratelimit-limit"] == "12"
    assert remaining(listed) == 11
    called = limited.post("/mcp", json=tool_call("exposure_summary", {"symbol": "SPX"}),
                          headers=JSON_RPC)  # fmt: skip
    assert called.status_code == 200 and remaining(called) == 10  # this request
    assert not called.json()["result"].get("isError")
    assert remaining(limited.get("/v1/symbols")) == 8  # + the tool's request, + this one
    scanned = limited.post("/mcp", json=tool_call("scan", {"symbols": ["SPX", "SPY", "QQQ"]}),
                           headers=JSON_RPC)  # fmt: skip
    assert remaining(scanned) == 7 and not scanned.json()["result"].get("isError")
    assert remaining(limited.get("/v1/symbols")) == 3  # three symbols, + this one


def test_a_full_window_is_the_rest_429(limited: httpx.Client) -> None:
    for left in range(11, 0, -1):
        response = limited.post("/mcp", json=LIST_TOOLS, headers=JSON_RPC)
        assert response.status_code == 200 and remaining(response) == left
    last = limited.post("/mcp", json=tool_call("gex", {"symbol": "SPX"}), headers=JSON_RPC)
    assert last.status_code == 200 and remaining(last) == 0  # the request took the last one
    result = last.json()["result"]  # ... so the tool's own request is refused
    assert result["isError"] and result["structuredContent"]["error"] == "rate_limited"
    refused = limited.post("/mcp", json=LIST_TOOLS, headers=JSON_RPC)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    rest = limited.get("/v1/symbols")
    assert rest.status_code == 429 and refused.json()["error"] == "rate_limited"

    def without_message(response: httpx.Response) -> dict[str, Any]:
        return {k: v for k, v in response.json().items() if k != "message"}  # "retry in N s"

    assert without_message(refused) == without_message(rest)


def test_without_keys_loopback_names_only() -> None:
    with (
        ThreadServer(pinned_app(api_keys=())) as server,
        httpx.Client(base_url=server.base_url, timeout=120.0) as http,
    ):
        served = http.post("/mcp", json=tool_call("exposure_levels", {"symbol": "SPX"}),
                           headers=JSON_RPC)  # fmt: skip
        rest = http.get("/v1/exposure/levels/SPX")
        assert served.status_code == 200 and rest.status_code == 200
        assert served.json()["result"]["content"][0]["text"] == rest.text
        for version in ("2025-06-18", "2026-07-28"):  # the handshake era and the modern one
            headers = {**JSON_RPC, "MCP-Protocol-Version": version}
            rebound = http.post("/mcp", json=LIST_TOOLS,
                                headers={**headers, "Host": "attacker.example"})  # fmt: skip
            assert rebound.status_code == 421, version
            foreign = http.post("/mcp", json=LIST_TOOLS,
                                headers={**headers, "Origin": "http://attacker.example"})  # fmt: skip
            assert foreign.status_code == 403, version
