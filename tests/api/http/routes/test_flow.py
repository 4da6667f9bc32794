"""``/v1/flow/*`` views and routes on hand-made chains and tapes (``tests.api.service.test_flow``).

The views: each ``flow_direction`` from a state built for it (no flow, a regime flip, a
neutral shift, amplifying, dampening, and a zero settled net GEX whose shift has no
percentage), the arithmetic of the comparison, and every body exactly its response model.
The routes over real HTTP (a threaded server): every endpoint answers its model, a
malformed ``expiry`` is 400, an expiry without contracts 404, a source without trades 404
``no_trades``, and the extra parameters are checked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from api.config import ServerSettings
from api.http.app import create_app
from api.schemas.flow import (
    FlowDealerPremiumResponse,
    FlowDealerRiskResponse,
    FlowDexResponse,
    FlowGexResponse,
    FlowLevelsResponse,
    FlowLiveResponse,
    FlowNoZeroDteResponse,
    FlowOiResponse,
    FlowPinRiskResponse,
    FlowSummaryResponse,
    FlowZeroDteResponse,
)
from api.service.analysis import AnalysisService
from api.service.flow import FlowResult, FlowService, FlowSettings
from api.views import ZERO_DTE_MOVES
from api.views.flow import (
    NEUTRAL_BAND,
    dealer_premium_view,
    dealer_risk_view,
    describe,
    flow_dex_view,
    flow_direction,
    flow_gex_view,
    flow_levels_view,
    flow_live_view,
    flow_no_zero_dte_view,
    flow_oi_view,
    flow_summary_view,
    flow_zero_dte_view,
    pct_text,
    pin_risk_view,
    shift,
    usd,
)
from tests.api.conftest import KEY
from tests.api.live import ThreadServer
from tests.api.service.test_flow import (
    CALL,
    EXPIRY,
    PUT,
    NoTapeSource,
    ToySource,
    flow_of,
    toy_snapshot,
    toy_tape,
)

ENDPOINTS = (
    "dealer-risk/TOY", "gex/TOY", "dex/TOY", "summary/TOY", "levels/TOY", "oi/TOY",
    "pin-risk/TOY", "live/TOY", "options/TOY/dealer-premium", "zero-dte/snapshot/TOY",
)  # fmt: skip


def exact(model: type[BaseModel], body: dict[str, Any]) -> None:
    """``body`` is valid JSON for ``model`` with no key the model does not declare."""
    text = json.dumps(body, allow_nan=False)
    assert json.loads(model.model_validate_json(text).model_dump_json()) == json.loads(text)


def scenario(
    prints: list[tuple[str, int, str]], call_oi: int = 1000, put_oi: int = 800
) -> FlowResult:
    snap = toy_snapshot(call_oi, put_oi)
    return flow_of(ToySource(snap, toy_tape(snap, prints))).result("TOY")


# -- the comparison -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prints", "label"),
    [
        ([], "no_flow"),
        ([(CALL, 1, "buy"), (PUT, 50, "mid")], "no_flow"),  # 0.43 rounds to 0; the mid adds 0
        ([(CALL, 10, "buy")], "neutral"),
        ([(CALL, 2000, "buy")], "amplifying"),
        ([(PUT, 300, "buy")], "dampening"),
        ([(PUT, 2000, "buy")], "regime_flip"),
    ],
)
def test_each_flow_direction_from_a_state_built_for_it(
    prints: list[tuple[str, int, str]], label: str
) -> None:
    r = scenario(prints)
    body = dealer_risk_view(r)
    exact(FlowDealerRiskResponse, body)
    assert body["flow_direction"] == label
    settled, live = body["settled_net_gex"], body["live_net_gex"]
    assert settled > 0
    assert body["flow_gex_adjustment"] == pytest.approx(live - settled, rel=1e-12)
    assert body["flow_gex_pct_shift"] == pytest.approx((live - settled) / abs(settled), rel=1e-12)
    assert body["flow_dex_adjustment"] == pytest.approx(
        body["live_net_dex"] - body["settled_net_dex"], rel=1e-12
    )
    if label == "no_flow":
        assert live == settled and body["contracts_with_flow"] == 0
        assert body["total_abs_delta_contracts"] == 0 and body["flow_gex_pct_shift"] == 0.0
    elif label == "neutral":
        assert abs(body["flow_gex_pct_shift"]) < NEUTRAL_BAND
    elif label == "regime_flip":
        assert live < 0
    else:
        assert (abs(live) > abs(settled)) == (label == "amplifying")
        assert abs(body["flow_gex_pct_shift"]) >= NEUTRAL_BAND
    assert usd(settled) in body["description"]
    if label != "no_flow":
        assert (
            usd(live) in body["description"]
            and pct_text(body["flow_gex_pct_shift"]) in body["description"]
        )
    oi = body["oi"]
    assert oi["official_oi"] + oi["intraday_oi_delta"] == oi["simulated_oi"]
    assert oi["contracts_with_flow"] == body["contracts_with_flow"]


def test_a_zero_settled_gex_has_no_percentage_shift() -> None:
    r = scenario([(CALL, 100, "buy")], call_oi=0, put_oi=0)
    body = dealer_risk_view(r)
    exact(FlowDealerRiskResponse, body)
    assert body["settled_net_gex"] == 0.0 and body["live_net_gex"] > 0.0
    assert body["flow_gex_pct_shift"] is None and body["flow_direction"] == "regime_flip"
    assert "no percentage" in body["description"]
    assert body["flow_gex_adjustment"] == body["live_net_gex"]


def test_the_arithmetic_of_a_shift() -> None:
    assert shift(100.0, 109.4) == (pytest.approx(9.4), pytest.approx(0.094))
    assert shift(-100.0, -50.0) == (50.0, 0.5)
    assert shift(0.0, 0.0) == (0.0, 0.0)
    assert shift(0.0, 5.0) == (5.0, None)
    assert shift(None, 5.0) == (None, None) and shift(5.0, None) == (None, None)
    assert shift(1e308, -1e308) == (None, None)  # not finite: null, never Infinity
    assert flow_direction(1.0, 1.0, moved=False) == "no_flow"
    assert flow_direction(1.0, -1.0, moved=True) == "regime_flip"
    assert flow_direction(-1.0, 1.0, moved=True) == "regime_flip"
    assert flow_direction(0.0, 1.0, moved=True) == "regime_flip"
    assert flow_direction(0.0, 0.0, moved=True) == "neutral"
    assert flow_direction(100.0, 104.99, moved=True) == "neutral"
    assert flow_direction(100.0, 105.0, moved=True) == "amplifying"
    assert flow_direction(-100.0, -95.0, moved=True) == "dampening"
    assert flow_direction(100.0, 0.0, moved=True) == "dampening"
    assert flow_direction(None, 1.0, moved=True) == "neutral"
    assert usd(1.234e9) == "$1.23B" and usd(-4567.0) == "-$4.57K" and usd(950.4) == "$950"
    assert pct_text(0.094) == "+9.4%" and pct_text(-1.5) == "-150.0%"
    text = describe("dampening", 2e9, 1e9)
    assert "$2.00B" in text and "$1.00B" in text and "-$1.00B" in text and "-50.0%" in text
    assert describe("neutral", None, None).endswith("cannot be computed to compare.")


# -- every view, exactly its model ----------------------------------------------------------------


@pytest.fixture(scope="module")
def busy() -> tuple[FlowService, FlowResult]:
    snap = toy_snapshot()
    prints = [(CALL, 400, "buy"), (PUT, 120, "sell"), ("TOY261218C00105", 30, "mid")]
    flow = flow_of(ToySource(snap, toy_tape(snap, prints)))
    return flow, flow.result("TOY")


def test_every_view_is_exactly_its_model(busy: tuple[FlowService, FlowResult]) -> None:
    flow, r = busy
    day = flow.live_day(r, EXPIRY, ZERO_DTE_MOVES)
    settled_day = flow.settled_day(r, EXPIRY, ZERO_DTE_MOVES)
    gex = flow_gex_view(r)
    exact(FlowGexResponse, gex)
    for row in gex["strikes"]:
        assert row["call_oi_change"] == {100.0: 172}.get(row["strike"], 0)
        assert row["put_oi_change"] == {100.0: 52}.get(row["strike"], 0)
    assert math.fsum(row["net_gex"] for row in gex["strikes"]) == pytest.approx(gex["live_net_gex"])
    dex = flow_dex_view(r)
    exact(FlowDexResponse, dex)
    assert math.fsum(row["net_dex"] for row in dex["strikes"]) == pytest.approx(dex["live_net_dex"])
    exact(FlowSummaryResponse, flow_summary_view(r))
    exact(FlowLevelsResponse, flow_levels_view(r))
    oi = flow_oi_view(r)
    exact(FlowOiResponse, oi)
    assert "underlying_price" not in oi and oi["trades"]["trades_seen"] == 3
    assert oi["intraday_oi_delta"] == 172 + 52 and oi["classified_share"] == pytest.approx(
        520 / 550
    )
    pin = pin_risk_view(r, day, EXPIRY)
    exact(FlowPinRiskResponse, pin)
    scores = pin["breakdown"]
    assert pin["live_pin_risk"] == math.floor(sum(scores.values()) / 4 + 0.5)
    assert pin["magnet_strike"] == 100.0 and scores["proximity_score"] == 100
    assert scores["time_score"] == 0  # a month to expiry
    live = flow_live_view(r, day, EXPIRY)
    exact(FlowLiveResponse, live)
    assert live["live_pin_risk"] == pin["live_pin_risk"]
    premium = dealer_premium_view(r.book, r.book.premium(60), None)
    exact(FlowDealerPremiumResponse, premium)
    zero = flow_zero_dte_view(r, settled_day, day, r.book.totals(EXPIRY), 0.03, EXPIRY)
    exact(FlowZeroDteResponse, zero)
    assert zero["flow_direction"]["label"] == dealer_risk_view(r)["flow_direction"]
    exact(FlowNoZeroDteResponse, flow_no_zero_dte_view(r))


# -- the routes ---------------------------------------------------------------------------------


def _app(source: Any) -> Any:
    service = AnalysisService(source, source_name=source.name, ttl=3600.0)
    settings = ServerSettings(api_keys=(KEY,), rate_limit=1000000, auth_failure_limit=0)
    app = create_app(settings=settings, service=service, warm=False)
    app.state.flow = FlowService(service, FlowSettings())  # not the developer's GEX_FLOW_*
    return app


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    snap = toy_snapshot()
    prints = [(CALL, 400, "buy"), (PUT, 120, "sell"), ("TOY261218C00105", 30, "mid")]
    with (
        ThreadServer(_app(ToySource(snap, toy_tape(snap, prints)))) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Api-Key": KEY}, timeout=60) as client,
    ):
        yield client


MODELS: dict[str, type[BaseModel]] = {
    "dealer-risk": FlowDealerRiskResponse, "gex": FlowGexResponse, "dex": FlowDexResponse,
    "summary": FlowSummaryResponse, "levels": FlowLevelsResponse, "oi": FlowOiResponse,
    "pin-risk": FlowPinRiskResponse, "live": FlowLiveResponse,
    "options": FlowDealerPremiumResponse, "zero-dte": FlowNoZeroDteResponse,
}  # fmt: skip


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_answers_its_model_and_checks_expiry(http: httpx.Client, path: str) -> None:
    model = MODELS[path.split("/")[0]]
    body = http.get(f"/v1/flow/{path}").json()
    exact(model, body)
    assert body["expiry"] is None and body["symbol"] == "TOY"
    chosen = http.get(f"/v1/flow/{path}", params={"expiry": "2026-12-18"})
    assert chosen.status_code == 200 and chosen.json()["expiry"] == "2026-12-18"
    if path.startswith("zero-dte"):
        exact(FlowZeroDteResponse, chosen.json())
    for bad in ("2026-12-1", "2026-W51-5", "2026-13-01", "tomorrow"):
        answer = http.get(f"/v1/flow/{path}", params={"expiry": bad})
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_expiry", bad
    absent = http.get(f"/v1/flow/{path}", params={"expiry": "2026-12-19"})
    assert absent.status_code == 404 and absent.json()["error"] == "symbol_not_found"
    assert "2026-12-19" in absent.json()["message"]
    unknown = http.get(f"/v1/flow/{path.replace('TOY', 'NOPE')}")
    assert unknown.status_code == 404 and unknown.json()["error"] == "symbol_not_found"
    assert http.get(f"/v1/flow/{path.replace('TOY', 'B@D')}").status_code == 400


def test_rule_confidence_and_dealer_model_reach_the_service(http: httpx.Client) -> None:
    vendor = http.get("/v1/flow/oi/TOY").json()
    assert (vendor["oi_rule"], vendor["oi_confidence"]) == ("vendor", 0.43)
    net = http.get("/v1/flow/oi/TOY", params={"rule": "net", "confidence": "1"}).json()
    assert (net["oi_rule"], net["oi_delta_confidence"]) == ("net", 1.0)
    assert net["intraday_oi_delta"] == 400 - 120 and vendor["intraday_oi_delta"] == 172 + 52
    short = http.get("/v1/flow/dealer-risk/TOY", params={"dealer_model": "short_all"}).json()
    street = http.get("/v1/flow/dealer-risk/TOY").json()
    assert short["dealer_model"] == "short_all" and street["dealer_model"] == "street"
    assert short["settled_net_gex"] != street["settled_net_gex"]
    # the flow model: settled = the street book (no trade has moved it yet); live = the
    # dealers' inventory after the day's customer flow
    flowed = http.get("/v1/flow/dealer-risk/TOY", params={"dealer_model": "flow"}).json()
    assert flowed["dealer_model"] == "flow"
    assert flowed["settled_net_gex"] == street["settled_net_gex"]
    assert flowed["live_net_gex"] - flowed["settled_net_gex"] == pytest.approx(
        flowed["flow_gex_adjustment"], rel=1e-12, abs=1e-6
    )
    for params, code in (
        ({"rule": "gross"}, "invalid_rule"),
        ({"confidence": "0"}, "invalid_confidence"),
        ({"confidence": "1.5"}, "invalid_confidence"),
        ({"dealer_model": "long_all"}, "invalid_dealer_model"),
    ):
        answer = http.get("/v1/flow/dealer-risk/TOY", params=params)
        assert answer.status_code == 400 and answer.json()["error"] == code, params
    for minutes in ("0", "10081", "x"):
        answer = http.get("/v1/flow/options/TOY/dealer-premium", params={"windowMinutes": minutes})
        assert answer.status_code == 400, minutes
    window = http.get("/v1/flow/options/TOY/dealer-premium", params={"windowMinutes": "120"})
    body = window.json()
    assert body["window_minutes"] == 120 and body["trade_count"] == 3
    assert body["net_dealer_premium"] == pytest.approx(
        body["dealer_buy_premium"] - body["dealer_write_premium"]
    )


def test_the_server_loads_the_simulator_kernels_at_start(http: httpx.Client) -> None:
    from api.service.flow import warm_up

    assert warm_up.cache_info().currsize == 1


def test_a_source_without_trades_answers_404_no_trades() -> None:
    with (
        ThreadServer(_app(NoTapeSource(toy_snapshot()))) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Api-Key": KEY}, timeout=60) as client,
    ):
        for path in ENDPOINTS:
            answer = client.get(f"/v1/flow/{path}")
            assert answer.status_code == 404, path
            assert answer.json()["error"] == "no_trades"
            assert "serves no trade tape" in answer.json()["message"]
        assert client.get("/v1/exposure/summary/TOY").status_code == 200


def test_the_app_reads_the_flow_settings_of_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from api.config import ServerConfigError

    monkeypatch.setenv("GEX_CONFIG", "/dev/null")
    monkeypatch.setenv("GEX_FLOW_RULE", "net")
    monkeypatch.setenv("GEX_FLOW_CONFIDENCE", "0.25")
    settings = ServerSettings.load(api_keys=(KEY,))
    source = ToySource(toy_snapshot())
    app = create_app(settings=settings, service=AnalysisService(source), warm=False)
    assert app.state.flow.settings == FlowSettings("net", 0.25)
    monkeypatch.setenv("GEX_FLOW_CONFIDENCE", "2")
    with pytest.raises(ServerConfigError, match="GEX_FLOW_CONFIDENCE"):
        ServerSettings.load(api_keys=(KEY,))
    monkeypatch.setenv("GEX_FLOW_CONFIDENCE", "0.25")
    monkeypatch.setenv("GEX_FLOW_RULE", "gross")
    with pytest.raises(ServerConfigError, match="GEX_FLOW_RULE"):
        ServerSettings.load(api_keys=(KEY,))


def test_dates_in_the_bodies(busy: tuple[FlowService, FlowResult]) -> None:
    _, r = busy
    oi = flow_oi_view(r)
    assert oi["session_day"] == "2026-11-18" and oi["as_of"] == "2026-11-18T15:00:00Z"
    assert oi["last_trade_at"] == "2026-11-18T14:30:02Z"
    premium = dealer_premium_view(r.book, r.book.premium(60, EXPIRY), EXPIRY)
    assert (premium["window_start"], premium["window_end"]) == (
        "2026-11-18T14:01:00Z",
        "2026-11-18T15:01:00Z",
    )
    assert premium["data_quality"]["contracts_per_expiry"] == {EXPIRY.isoformat(): 6}
    assert date.fromisoformat(flow_levels_view(r)["live_max_pain_expiration"]) == EXPIRY
