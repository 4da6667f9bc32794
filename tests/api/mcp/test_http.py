"""``/mcp`` over streamable HTTP with the official MCP client, against the real server process
(``live_server``: demo source, keys configured): every tool's result is the REST body of the
same request (compared byte for byte with httpx against the same server), errors are tool
errors with the endpoint's code and message, the tool list and input schemas, the symbols
resource, the report prompt, and the REST API's 401 without a key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent

from api.mcp.server import PROMPT, SYMBOLS_URI
from api.mcp.tools import TOOLS
from tests.api.conftest import KEY, OTHER_KEY
from tests.api.live import ServerProcess
from tests.api.mcp.helpers import flat, mcp_http, require_route, run
from tests.api.mcp.test_tools import NAMES

BY_NAME = {spec.name: spec for spec in TOOLS}
UNAUTHORIZED = {"title": "Unauthorized", "status": 401, "detail": "Invalid API key."}
JSON_RPC = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}

# tool, arguments, the REST request they stand for (written out, not derived from the table)
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("exposure_summary", {"symbol": "SPX"}, "/v1/exposure/summary/SPX"),
    ("exposure_summary", {"symbol": "spy", "dealer_model": "short_all"},
     "/v1/exposure/summary/spy?dealer_model=short_all"),
    ("exposure_levels", {"symbol": "SPY"}, "/v1/exposure/levels/SPY"),
    ("gex", {"symbol": "SPX", "min_oi": 500, "dealer_model": "street"},
     "/v1/exposure/gex/SPX?min_oi=500&dealer_model=street"),
    ("dex", {"symbol": "AAPL"}, "/v1/exposure/dex/AAPL"),
    ("vex", {"symbol": "ES=F"}, "/v1/exposure/vex/ES%3DF"),
    ("chex", {"symbol": "QQQ"}, "/v1/exposure/chex/QQQ"),
    ("narrative", {"symbol": "SPX"}, "/v1/exposure/narrative/SPX"),
    ("zero_dte", {"symbol": "SPX", "strike_range": 0.02},
     "/v1/exposure/zero-dte/SPX?strike_range=0.02"),
    ("max_pain", {"symbol": "SPX"}, "/v1/maxpain/SPX"),
    ("exposure_oi_diff", {"symbol": "SPX", "topN": 5}, "/v1/exposure/oi-diff/SPX?topN=5"),
    ("flow_dealer_risk", {"symbol": "SPX"}, "/v1/flow/dealer-risk/SPX"),
    ("flow_summary", {"symbol": "SPY", "rule": "net", "confidence": 0.5},
     "/v1/flow/summary/SPY?rule=net&confidence=0.5"),
    ("scan", {"symbols": ["SPX", "SPY", "QQQ"], "sort": "net_gex", "limit": 2},
     "/v1/scan?symbols=SPX,SPY,QQQ&sort=net_gex&limit=2"),
    ("scan", {"symbols": "SPX,IWM"}, "/v1/scan?symbols=SPX,IWM"),
]  # fmt: skip

# tool, arguments, REST request, status and error code the REST API answers
ERRORS: list[tuple[str, dict[str, Any], str, int, str]] = [
    ("gex", {"symbol": "NOPE"}, "/v1/exposure/gex/NOPE", 404, "symbol_not_found"),
    ("exposure_summary", {"symbol": "nope"}, "/v1/exposure/summary/nope", 404,
     "symbol_not_found"),
    ("scan", {"symbols": ["NOPE"]}, "/v1/scan?symbols=NOPE", 404, "symbol_not_found"),
    ("max_pain", {"symbol": "NOPE"}, "/v1/maxpain/NOPE", 404, "symbol_not_found"),
    ("gex", {"symbol": "SPX", "expiration": "2026-13-45"},
     "/v1/exposure/gex/SPX?expiration=2026-13-45", 400, "invalid_expiry"),
    ("zero_dte", {"symbol": "SPX", "expiry": "2026-W51-5"},
     "/v1/exposure/zero-dte/SPX?expiry=2026-W51-5", 400, "invalid_expiry"),
    ("flow_summary", {"symbol": "SPX", "expiry": "20261218"},
     "/v1/flow/summary/SPX?expiry=20261218", 400, "invalid_expiry"),
    ("exposure_levels", {"symbol": "SPY?x=1"}, "/v1/exposure/levels/SPY%3Fx%3D1", 400,
     "invalid_symbol"),
    ("dex", {"symbol": "SPX", "dealer_model": "flow"}, "/v1/exposure/dex/SPX?dealer_model=flow",
     400, "invalid_dealer_model"),
    ("exposure_oi_diff", {"symbol": "SPX", "topN": 0}, "/v1/exposure/oi-diff/SPX?topN=0", 400,
     "invalid_topn"),
    ("exposure_summary", {"symbol": "SPX", "at": "2026-11-20T21:00:00"},
     "/v1/exposure/summary/SPX?at=2026-11-20T21:00:00", 400, "invalid_at"),
]  # fmt: skip


@pytest.fixture(scope="module")
def http(live_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.base_url, timeout=120.0) as client:
        yield client


def call(base_url: str, name: str, arguments: dict[str, Any], key: str = KEY) -> CallToolResult:
    async def scenario() -> CallToolResult:
        async with mcp_http(base_url, key) as client:
            return await client.call_tool(name, arguments)

    return run(scenario)


def text_of(result: CallToolResult) -> str:
    assert len(result.content) == 1 and isinstance(result.content[0], TextContent)
    return result.content[0].text


def test_every_tool_has_a_case() -> None:
    assert {name for name, _, _ in CASES} == set(NAMES)
    assert {name for name, *_ in ERRORS} <= set(NAMES)


@pytest.mark.parametrize(("name", "arguments", "url"), CASES, ids=[c[2] for c in CASES])
def test_a_tool_answers_exactly_the_rest_body(
    live_server: ServerProcess, http: httpx.Client, name: str, arguments: dict[str, Any], url: str
) -> None:
    require_route(BY_NAME[name])
    rest = http.get(url, headers={"X-Api-Key": KEY})
    assert rest.status_code == 200, rest.text
    result = call(live_server.base_url, name, arguments)
    assert not result.is_error, text_of(result)
    assert text_of(result) == rest.text  # the same bytes
    assert result.structured_content == rest.json()


def test_expiration_arguments_reach_the_endpoint(
    live_server: ServerProcess, http: httpx.Client
) -> None:
    headers = {"X-Api-Key": OTHER_KEY}
    expiration = http.get("/v1/options/SPX", headers=headers).json()["expirations"][1]
    day = expiration["expiration"]
    cases = [
        ("gex", f"/v1/exposure/gex/SPX?expiration={day}"),
        ("exposure_levels", f"/v1/exposure/levels/SPX?expiration={day}"),
        ("chex", f"/v1/exposure/chex/SPX?expiration={day}"),
    ]
    for name, url in cases:
        result = call(live_server.base_url, name, {"symbol": "SPX", "expiration": day}, OTHER_KEY)
        rest = http.get(url, headers=headers)
        assert rest.status_code == 200 and text_of(result) == rest.text, name
    whole = http.get("/v1/exposure/gex/SPX", headers=headers).json()
    assert len(json.loads(text_of(result))["strikes"]) < len(whole["strikes"])  # filtered
    zero = call(live_server.base_url, "zero_dte", {"symbol": "SPX", "expiry": day})
    rest = http.get(f"/v1/exposure/zero-dte/SPX?expiry={day}", headers=headers)
    assert text_of(zero) == rest.text and rest.json()["expiration"] == day


@pytest.mark.parametrize(
    ("name", "arguments", "url", "status", "code"), ERRORS, ids=[e[2] for e in ERRORS]
)
def test_an_error_is_a_tool_error_with_the_endpoints_code_and_message(
    live_server: ServerProcess,
    http: httpx.Client,
    name: str,
    arguments: dict[str, Any],
    url: str,
    status: int,
    code: str,
) -> None:
    require_route(BY_NAME[name])
    rest = http.get(url, headers={"X-Api-Key": KEY})
    assert rest.status_code == status and rest.json()["error"] == code, rest.text
    result = call(live_server.base_url, name, arguments)
    assert result.is_error
    assert json.loads(text_of(result)) == rest.json()  # {"error": code, "message": ...}
    assert result.structured_content == rest.json()


def _post(http: httpx.Client, message: dict[str, Any], **kwargs: Any) -> httpx.Response:
    headers = {**JSON_RPC, **kwargs.pop("headers", {})}
    return http.post("/mcp", json=message, headers=headers, **kwargs)


LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}


def test_without_a_key_mcp_is_the_rest_apis_401(
    live_server: ServerProcess, http: httpx.Client
) -> None:
    rest = http.get("/v1/symbols")
    assert rest.status_code == 401 and rest.json() == UNAUTHORIZED
    for response in (
        _post(http, LIST_TOOLS),
        _post(http, LIST_TOOLS, headers={"X-Api-Key": "wrong"}),
        _post(http, LIST_TOOLS, headers={"X-Api-Key": KEY[:-1]}),
        _post(http, LIST_TOOLS, params={"apiKey": "wrong"}),
        http.get("/mcp"),
        http.delete("/mcp"),
    ):
        assert response.status_code == 401 and response.json() == UNAUTHORIZED
        assert "wrong" not in response.text

    async def without_key() -> None:
        async with mcp_http(live_server.base_url, key=None) as client:
            await client.list_tools()

    with pytest.raises(BaseException) as refused:
        run(without_key)
    assert any(isinstance(e, MCPError) for e in flat(refused.value))


def test_a_key_in_the_query_is_accepted_and_forwarded(http: httpx.Client) -> None:
    message = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "exposure_levels", "arguments": {"symbol": "SPX"}},
    }
    response = _post(http, message, params={"apiKey": OTHER_KEY})
    assert response.status_code == 200
    assert int(response.headers["x-ratelimit-limit"]) > 0  # counted like a REST request
    result = response.json()["result"]
    rest = http.get("/v1/exposure/levels/SPX", params={"apiKey": OTHER_KEY})
    assert not result.get("isError") and result["content"][0]["text"] == rest.text


def test_list_tools_names_and_input_schemas(live_server: ServerProcess) -> None:
    async def scenario() -> Any:
        async with mcp_http(live_server.base_url) as client:
            return (await client.list_tools()).tools

    tools = run(scenario)
    assert [tool.name for tool in tools] == NAMES
    for tool in tools:
        spec = BY_NAME[tool.name]
        schema = tool.input_schema
        assert tool.description == spec.description
        assert tool.annotations is not None and tool.annotations.read_only_hint
        assert schema["type"] == "object"
        expected = ({"symbol"} if spec.takes_symbol else set()) | set(spec.params)
        assert set(schema["properties"]) == expected, tool.name
        assert schema.get("required", []) == (["symbol"] if spec.takes_symbol else [])
        for name, prop in schema["properties"].items():
            assert prop["description"], (tool.name, name)
            if name != "symbol":
                assert prop["default"] is None
    props = {tool.name: tool.input_schema["properties"] for tool in tools}
    assert props["gex"]["symbol"]["type"] == "string"
    assert {"type": "integer", "minimum": 0, "maximum": 10**12} in props["gex"]["min_oi"]["anyOf"]
    assert {"type": "string", "enum": ["street", "short_all"]} in props["dex"]["dealer_model"][
        "anyOf"
    ]
    assert {"type": "number", "minimum": 0.001, "maximum": 0.1} in props["zero_dte"][
        "strike_range"
    ]["anyOf"]
    expiry = props["zero_dte"]["expiry"]["anyOf"][0]
    assert expiry["type"] == "string" and expiry["format"] == "date"
    assert props["exposure_oi_diff"]["topN"]["anyOf"][0]["type"] == "integer"
    scan_types = {branch["type"] for branch in props["scan"]["symbols"]["anyOf"]}
    assert scan_types == {"array", "string", "null"}
    assert set(props["scan"]["sort"]["anyOf"][0]["enum"]) == {
        "flip_distance", "net_gex", "zero_dte", "symbol",
    }  # fmt: skip


def test_the_symbols_resource_is_the_symbols_body(
    live_server: ServerProcess, http: httpx.Client
) -> None:
    async def scenario() -> Any:
        async with mcp_http(live_server.base_url) as client:
            return (await client.list_resources()).resources, await client.read_resource(
                SYMBOLS_URI
            )

    resources, read = run(scenario)
    assert [(str(r.uri), r.mime_type) for r in resources] == [(SYMBOLS_URI, "application/json")]
    rest = http.get("/v1/symbols", headers={"X-Api-Key": KEY})
    (contents,) = read.contents
    assert contents.mime_type == "application/json"
    assert contents.text == rest.text and "SPX" in rest.json()["symbols"]


def test_the_report_prompt(live_server: ServerProcess) -> None:
    async def scenario() -> Any:
        async with mcp_http(live_server.base_url) as client:
            prompts = (await client.list_prompts()).prompts
            got = await client.get_prompt(PROMPT, {"symbol": "spy"})
            try:
                await client.get_prompt(PROMPT, {"symbol": "SPY?x=1"})
            except MCPError as exc:
                return prompts, got, exc
            return prompts, got, None

    prompts, got, refused = run(scenario)
    (prompt,) = prompts
    assert prompt.name == PROMPT and "SYMBOL" in (prompt.description or "")
    assert [(a.name, a.required) for a in prompt.arguments or []] == [("symbol", True)]
    (message,) = got.messages
    assert message.role == "user" and isinstance(message.content, TextContent)
    text = message.content.text
    assert "dealer positioning report for SPY" in text
    for tool in ("exposure_summary", "exposure_levels", "narrative", "flow_dealer_risk"):
        assert tool in text
    assert refused is not None and "invalid symbol" in refused.error.message
    assert refused.error.data == {"error": "invalid_symbol"}


def test_get_and_delete_are_refused_without_hanging(http: httpx.Client) -> None:
    streamed = http.get("/mcp", headers={"X-Api-Key": KEY, "Accept": "text/event-stream"})
    assert streamed.status_code == 405 and streamed.headers["allow"] == "POST"
    assert streamed.json()["error"]["code"] == -32600  # a JSON-RPC error, no SSE stream
    ended = http.delete("/mcp", headers={"X-Api-Key": KEY})
    assert ended.status_code == 405  # no sessions to end
    assert http.post("/mcp/", headers={"X-Api-Key": KEY}).json()["error"] == "not_found"
