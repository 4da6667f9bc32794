"""The tool table against the official SDK and the app's routes, and the in-process request
(no server): names are the SDK's methods, arguments are the endpoint's query parameters,
results and errors are the endpoint's body."""

from __future__ import annotations

import inspect
import json

import pytest
from flashalpha import FlashAlpha
from starlette.types import Receive, Scope, Send

from api.mcp.server import Caller, Reply, call_app, report_prompt, tool_result
from api.mcp.tools import PARAMS, TOOLS, ToolSpec
from data_adapters.errors import InvalidSymbolError
from tests.api.mcp.helpers import query_parameters, require_route, run

NAMES = [
    "exposure_summary", "exposure_levels", "gex", "dex", "vex", "chex", "narrative",
    "zero_dte", "max_pain", "exposure_oi_diff", "flow_dealer_risk", "flow_summary", "scan",
]  # fmt: skip
SDK_NAMES = {"top_n": "topN"}  # the SDK's keyword -> the query parameter it sends


def test_the_tools_are_named_after_the_sdk_methods() -> None:
    assert [spec.name for spec in TOOLS] == NAMES
    for spec in TOOLS:
        if spec.name == "scan":  # the one extra endpoint: the SDK has no method for it
            assert not hasattr(FlashAlpha, "scan")
            continue
        method = getattr(FlashAlpha, spec.name)
        sent = {
            SDK_NAMES.get(name, name)
            for name, p in inspect.signature(method).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        assert sent <= set(spec.params), spec.name  # every argument the SDK sends
        assert spec.takes_symbol


def test_every_tool_parameter_is_described() -> None:
    for spec in TOOLS:
        assert spec.description.strip() and spec.path.startswith("/")
        for name in spec.params:
            assert PARAMS[name].description.strip()
        assert len(set(spec.params)) == len(spec.params)


@pytest.mark.parametrize("spec", TOOLS, ids=lambda s: s.name)
def test_a_tool_takes_exactly_its_endpoints_query_parameters(spec: ToolSpec) -> None:
    require_route(spec)
    assert set(spec.params) == query_parameters(spec)


def test_results_are_the_body_and_errors_are_tool_errors() -> None:
    ok = tool_result(Reply(200, b'{"symbol":"SPX","x":1.5}'))
    assert not ok.is_error and ok.structured_content == {"symbol": "SPX", "x": 1.5}
    assert ok.content[0].text == '{"symbol":"SPX","x":1.5}'  # type: ignore[union-attr]
    body = {"error": "symbol_not_found", "message": "No data for NOPE."}
    failed = tool_result(Reply(404, json.dumps(body).encode()))
    assert failed.is_error and failed.structured_content == body
    assert json.loads(failed.content[0].text) == body  # type: ignore[union-attr]
    plain = tool_result(Reply(502, b"Bad Gateway"))
    assert plain.is_error and plain.structured_content is None


def test_the_in_process_request_carries_path_query_key_and_client_as_given() -> None:
    seen: dict[str, object] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(scope)
        assert (await receive())["type"] == "http.request"
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b'{"a":', "more_body": True})
        await send({"type": "http.response.body", "body": b"1}"})
        assert (await receive())["type"] == "http.disconnect"

    caller = Caller("k\u00e9y", ("10.1.2.3", 5))
    reply = run(lambda: call_app(app, "/v1/x/SPY?x=1", [("topN", "5")], caller))
    assert reply == Reply(404, b'{"a":1}')
    assert seen["path"] == "/v1/x/SPY?x=1"  # used as given: routed, not parsed
    assert seen["raw_path"] == b"/v1/x/SPY%3Fx%3D1"
    assert seen["query_string"] == b"topN=5"
    assert (b"x-api-key", "k\u00e9y".encode("latin-1")) in seen["headers"]  # type: ignore[operator]
    assert seen["client"] == ("10.1.2.3", 5)

    run(lambda: call_app(app, "/v1/x", [], Caller("\u20ac-key")))  # not Latin-1: apiKey=
    assert seen["query_string"] == b"apiKey=%E2%82%AC-key"
    assert "secret" not in repr(Caller("secret-key"))


def test_an_app_that_raises_before_answering_is_an_internal_error() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    reply = run(lambda: call_app(app, "/v1/symbols", [], Caller(None)))
    assert reply.status == 500 and json.loads(reply.body)["error"] == "internal_error"


def test_the_report_prompt_names_the_four_tools_and_checks_the_symbol() -> None:
    text = report_prompt("es=f")
    assert "dealer positioning report for ES=F" in text
    for tool in ("exposure_summary", "exposure_levels", "narrative", "flow_dealer_risk"):
        assert f"{tool}" in text and tool in NAMES
    with pytest.raises(InvalidSymbolError):
        report_prompt("SPY?x=1")
