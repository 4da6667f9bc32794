"""``/health`` and the OpenAPI document over real HTTP."""

from __future__ import annotations

import httpx

from tests.api.live import ThreadServer


def test_health_needs_no_key(pinned_server: ThreadServer) -> None:
    with httpx.Client(base_url=pinned_server.base_url) as http:
        response = http.get("/health")
        refused = http.get("/v1/symbols")
    assert response.status_code == 200 and response.json() == {"status": "Healthy"}
    assert refused.status_code == 401


def test_openapi_declares_ids_tags_security_and_every_status(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    operations = {
        op["operationId"]: (path, op)
        for path, item in document["paths"].items()
        for op in item.values()
    }
    assert set(operations) == {
        "exposure_summary", "exposure_gex", "exposure_dex", "exposure_vex", "exposure_chex",
        "exposure_speed", "exposure_vomma",
        "exposure_levels", "exposure_narrative", "exposure_zero_dte", "exposure_profile",
        "exposure_oi_diff", "exposure_history", "symbols", "options", "stock_quote", "scan",
        "health",
        "flow_dealer_risk", "flow_gex", "flow_dex", "flow_summary", "flow_levels", "flow_oi",
        "flow_pin_risk", "flow_live", "flow_dealer_premium", "flow_zero_dte_snapshot",
        "exposure_sheet", "exposure_term_structure", "exposure_basket", "max_pain", "tickers",
        "pricing_greeks", "pricing_iv",
    }  # fmt: skip
    schemes = document["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == {"X-Api-Key", "apiKey"}
    for op_id, (path, op) in operations.items():
        assert op["tags"], op_id
        statuses = set(op["responses"])
        assert "422" not in statuses
        if op_id == "health":
            assert "security" not in op and statuses == {"200"}
            continue
        assert {"200", "400", "401", "429", "500"} <= statuses, op_id
        assert "Retry-After" in op["responses"]["429"]["headers"]
        if "{" in path:
            assert {"404", "502", "503"} <= statuses, op_id
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_unknown_paths_are_json_404(client: httpx.Client) -> None:
    response = client.get("/v1/nope")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
