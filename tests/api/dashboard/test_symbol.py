"""The symbol page in Chromium: it loads offline without errors, its charts and panels hold
exactly what the endpoints answer, and the expiry filter and dealer-model switch change the
requests (and so the charts)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from tests.api.dashboard.conftest import PHONE, Recorded, open_recorded
from tests.api.live import ServerProcess

SPX = "/dashboard/symbol/SPX"
WHOLE_CHAIN = ("summary", "narrative", "zero-dte")
"""Endpoints of the whole chain: the expiry filter never reaches them."""
FILTERED = ("levels", "profile", "gex")
"""Exposure endpoints the expiry filter reaches as ?expiration=."""


@pytest.fixture(scope="module")
def spx(browser: Browser, dashboard_server: ServerProcess) -> Iterator[Recorded]:
    """The SPX page, loaded once for the read-only checks of this module."""
    recorded = open_recorded(browser, dashboard_server.base_url)
    recorded.page.goto(dashboard_server.base_url + SPX)
    recorded.wait_loads(1)
    try:
        yield recorded
    finally:
        recorded.page.context.close()


def _get(api: httpx.Client, path: str, **params: str) -> Any:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _lines(figure: dict[str, Any]) -> dict[str, list[float]]:
    """The vertical lines of a figure by what they mark ("gamma flip 5,694.14" -> "gamma flip")."""
    found: dict[str, list[float]] = {}
    for shape in figure["shapes"]:
        assert shape["x0"] == shape["x1"]
        found.setdefault(shape["name"].rsplit(" ", 1)[0], []).append(shape["x0"])
    return found


def _trace(figure: dict[str, Any], meta: str) -> dict[str, Any]:
    (trace,) = [t for t in figure["data"] if t["meta"] == meta]
    return trace


def _values(page: Page, selector: str) -> list[float | None]:
    raw = page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.value ?? null)")
    return [None if v in (None, "") else float(v) for v in raw]


def _value(page: Page, selector: str) -> float | None:
    (value,) = _values(page, selector)
    return value


def _check_profile(
    recorded: Recorded, api: httpx.Client, symbol: str, params: dict[str, str]
) -> None:
    """The profile chart holds /v1/exposure/profile, and its lines the levels and max pain."""
    profile = _get(api, f"/v1/exposure/profile/{symbol}", **params)
    levels = _get(api, f"/v1/exposure/levels/{symbol}", **params)
    maxpain = _get(api, f"/v1/maxpain/{symbol}", **params)
    figure = recorded.figure("profile-chart")
    line = _trace(figure, "profile")
    assert line["x"] == profile["levels"] and line["y"] == profile["net_gex"]
    above = _trace(figure, "profile-positive")["y"]
    below = _trace(figure, "profile-negative")["y"]
    assert above == [None if v is None else max(v, 0.0) for v in profile["net_gex"]]
    assert below == [None if v is None else min(v, 0.0) for v in profile["net_gex"]]
    lines = _lines(figure)
    marks = levels["levels"]
    assert lines["spot"] == [levels["underlying_price"]]
    for name, value in (
        ("gamma flip", marks["gamma_flip"]),
        ("call wall", marks["call_wall"]),
        ("put wall", marks["put_wall"]),
        ("max pain", maxpain["max_pain_strike"]),
    ):
        assert lines.get(name, []) == ([] if value is None else [value]), name  # null: no line
    others = [c for c in profile["crossings"] if c != marks["gamma_flip"]]
    assert lines.get("other flip", []) == others
    assert profile["gamma_flip"] == marks["gamma_flip"]


def _check_strikes(recorded: Recorded, api: httpx.Client, metric: str, **params: str) -> None:
    body = _get(api, f"/v1/exposure/{metric}/SPX", **params)
    figure = recorded.figure("strikes-chart")
    assert figure["meta"] == {"metric": metric}
    strikes = [row["strike"] for row in body["strikes"]]
    for meta, column in (("calls", "call"), ("puts", "put"), ("net", "net")):
        trace = _trace(figure, meta)
        assert trace["x"] == strikes, metric
        assert trace["y"] == [row[f"{column}_{metric}"] for row in body["strikes"]], metric
    lines = _lines(figure)
    assert lines["spot"] == [body["underlying_price"]]


def test_the_page_loads_from_the_server_alone_without_errors(
    spx: Recorded, shoot: Callable[..., Path]
) -> None:
    spx.clean()
    urls = spx.urls()
    origin = spx.origin
    assert f"{origin}/dashboard/vendor/plotly.min.js" in urls
    assert f"{origin}/dashboard/static/symbol.js" in urls
    assert f"{origin}/dashboard/config.json" in urls
    street = {"dealer_model": ["street"]}
    for name in (*WHOLE_CHAIN, *FILTERED):
        assert spx.api(f"/v1/exposure/{name}/SPX") == [street], name
    assert spx.api("/v1/maxpain/SPX") == [street]
    assert spx.api("/v1/flow/dealer-risk/SPX") == [street]
    assert spx.api("/v1/flow/summary/SPX") == [street]
    assert spx.api("/v1/exposure/oi-diff/SPX") == [{"topN": ["15"]}]
    assert spx.api("/v1/options/SPX") == [{}]
    assert spx.page.title() == "gex-engine · SPX"
    shoot(spx.page, "symbol-laptop")


def test_the_gamma_profile_holds_the_profile_flip_walls_and_max_pain(
    spx: Recorded, api: httpx.Client
) -> None:
    levels = _get(api, "/v1/exposure/levels/SPX", dealer_model="street")["levels"]
    assert None not in (levels["gamma_flip"], levels["call_wall"], levels["put_wall"])
    _check_profile(spx, api, "SPX", {"dealer_model": "street"})


def test_the_panels_show_the_endpoints_numbers(spx: Recorded, api: httpx.Client) -> None:
    page = spx.page
    street = {"dealer_model": "street"}
    summary = _get(api, "/v1/exposure/summary/SPX", **street)
    levels = _get(api, "/v1/exposure/levels/SPX", **street)
    maxpain = _get(api, "/v1/maxpain/SPX", **street)
    zero_dte = _get(api, "/v1/exposure/zero-dte/SPX", **street)
    risk = _get(api, "/v1/flow/dealer-risk/SPX", **street)
    narrative = _get(api, "/v1/exposure/narrative/SPX", **street)
    oi_diff = _get(api, "/v1/exposure/oi-diff/SPX", topN="15")

    assert page.get_attribute("#regime-badge", "data-regime") == summary["regime"]
    assert page.get_attribute("#as-of", "data-value") == summary["as_of"]
    assert _value(page, "#spot") == levels["underlying_price"]
    for name, value in levels["levels"].items():
        if name != "gamma_flip_status":
            assert _value(page, f'#levels-table tr[data-field="{name}"] td.value') == value, name
    assert (
        _value(page, '#levels-table tr[data-field="max_pain"] td.value')
        == (maxpain["max_pain_strike"])
    )
    for name, value in summary["exposures"].items():
        assert _value(page, f'#exposures-table tr[data-field="{name}"] td.value') == value, name
    for move, estimate in summary["hedging_estimate"].items():
        assert _values(page, f'#hedging-table tr[data-field="{move}"] td.num') == [
            estimate["dealer_shares_to_trade"],
            estimate["notional_usd"],
        ]

    assert zero_dte["no_zero_dte"] is False  # the frozen Friday has a same-day expiry
    assert page.get_attribute("#zero-dte-body", "data-state") == "available"
    assert (
        _value(page, '#zero-dte-body tr[data-field="net_gex"] td.value')
        == (zero_dte["exposures"]["net_gex"])
    )
    assert page.get_attribute("#flow-panel", "data-state") == "live"
    for role in ("settled", "live"):
        cell = f'#flow-body tr[data-field="net_gex"] td[data-role="{role}"]'
        assert _value(page, cell) == risk[f"{role}_net_gex"]
    assert (
        _value(page, '#flow-body tr[data-field="net_gex"] td[data-role="adjustment"]')
        == (risk["flow_gex_adjustment"])
    )
    assert page.get_attribute("#flow-direction", "data-direction") == risk["flow_direction"]

    assert oi_diff["prior_snapshot_available"] is True  # the store holds Thursday's close
    assert page.get_attribute("#oi-body", "data-state") == "available"
    shown = page.eval_on_selector_all(
        "#oi-table tbody tr",
        "rows => rows.map(r => [Number(r.dataset.strike), r.dataset.type, r.dataset.expiry,"
        " Number(r.lastElementChild.dataset.value)])",
    )
    assert shown == [
        [c["strike"], c["type"], c["expiry"], c["oi_change"]] for c in oi_diff["top_oi_changes"]
    ]
    assert shown  # two sessions apart, open interest moved
    for topic, text in narrative["narrative"].items():
        if isinstance(text, str):
            assert page.inner_text(f'#narrative-list dd[data-topic="{topic}"]') == text


def test_every_metric_tab_fetches_and_plots_its_endpoint(spx: Recorded, api: httpx.Client) -> None:
    page = spx.page
    summary = _get(api, "/v1/exposure/summary/SPX", dealer_model="street")
    metrics = [key.removeprefix("net_") for key in summary["exposures"]]
    assert {"gex", "dex", "vex", "chex", "speed", "vomma"} <= set(metrics)
    tabs = page.eval_on_selector_all("#metric-tabs .tab", "ts => ts.map(t => t.dataset.metric)")
    assert tabs == metrics
    _check_strikes(spx, api, "gex", dealer_model="street")
    for metric in metrics[1:]:
        page.click(f'#metric-tabs .tab[data-metric="{metric}"]')
        page.wait_for_function(
            "m => document.body.dataset.strikesMetric === m", arg=metric, timeout=60_000
        )
        assert spx.api(f"/v1/exposure/{metric}/SPX") == [{"dealer_model": ["street"]}]
        assert page.get_attribute(f'.tab[data-metric="{metric}"]', "aria-selected") == "true"
        _check_strikes(spx, api, metric, dealer_model="street")
        assert f"metric={metric}" in page.url
    spx.clean()


def _since(recorded: Recorded, start: int) -> dict[str, list[dict[str, list[str]]]]:
    """The query parameters of each API path requested after the ``start``-th request."""
    found: dict[str, list[dict[str, list[str]]]] = {}
    for url, _ in recorded.requests[start:]:
        parts = urlsplit(url)
        if parts.path.startswith("/v1/"):
            found.setdefault(parts.path, []).append(parse_qs(parts.query))
    return found


def test_the_expiry_filter_changes_the_requests_and_the_charts(
    recorded: Recorded, api: httpx.Client
) -> None:
    page = recorded.page
    page.goto(recorded.origin + SPX)
    recorded.wait_loads(1)
    listed = [e["expiration"] for e in _get(api, "/v1/options/SPX")["expirations"]]
    day = "2026-12-18" if "2026-12-18" in listed else listed[len(listed) // 3]
    options = page.eval_on_selector_all("#expiry-select option", "os => os.map(o => o.value)")
    assert options == ["", *listed]
    start = len(recorded.requests)
    page.select_option("#expiry-select", day)
    recorded.wait_loads(2)
    asked = _since(recorded, start)
    for name in FILTERED:
        assert asked[f"/v1/exposure/{name}/SPX"] == [
            {"expiration": [day], "dealer_model": ["street"]}
        ], name
    assert asked["/v1/maxpain/SPX"] == [{"expiration": [day], "dealer_model": ["street"]}]
    for name in ("dealer-risk", "summary"):
        assert asked[f"/v1/flow/{name}/SPX"] == [{"expiry": [day], "dealer_model": ["street"]}]
    for name in WHOLE_CHAIN:
        assert asked[f"/v1/exposure/{name}/SPX"] == [{"dealer_model": ["street"]}], name
    assert f"expiration={day}" in page.url
    params = {"expiration": day, "dealer_model": "street"}
    _check_profile(recorded, api, "SPX", params)
    _check_strikes(recorded, api, "gex", **params)
    recorded.clean()


def test_the_dealer_model_switch_changes_the_requests_and_the_charts(
    recorded: Recorded, api: httpx.Client
) -> None:
    page = recorded.page
    page.goto(recorded.origin + SPX)
    recorded.wait_loads(1)
    start = len(recorded.requests)
    page.select_option("#model-select", "short_all")
    recorded.wait_loads(2)
    asked = _since(recorded, start)
    short = {"dealer_model": ["short_all"]}
    for name in (*WHOLE_CHAIN, *FILTERED):
        assert asked[f"/v1/exposure/{name}/SPX"] == [short], name
    for path in ("/v1/maxpain/SPX", "/v1/flow/dealer-risk/SPX", "/v1/flow/summary/SPX"):
        assert asked[path] == [short], path
    assert asked["/v1/exposure/oi-diff/SPX"] == [{"topN": ["15"]}]  # takes no dealer model
    _check_profile(recorded, api, "SPX", {"dealer_model": "short_all"})
    _check_strikes(recorded, api, "gex", dealer_model="short_all")
    summary = _get(api, "/v1/exposure/summary/SPX", dealer_model="short_all")
    assert page.get_attribute("#regime-badge", "data-regime") == summary["regime"]

    page.reload()  # the switch is kept in the page's URL
    recorded.wait_loads(1)
    assert page.input_value("#model-select") == "short_all"
    assert recorded.api("/v1/exposure/summary/SPX")[-1] == short
    recorded.clean()


def test_an_error_from_the_flow_endpoints_shows_no_intraday_flow(
    recorded: Recorded, shoot: Callable[..., Path]
) -> None:
    body = {"error": "no_trades", "message": "SPX: this source has no trade tape."}

    def refuse(route: Route) -> None:
        route.fulfill(status=404, content_type="application/json", body=json.dumps(body))

    page = recorded.page
    page.route("**/v1/flow/**", refuse)
    page.goto(recorded.origin + SPX)
    recorded.wait_loads(1)
    assert page.get_attribute("#flow-panel", "data-state") == "no-flow"
    text = page.inner_text("#flow-body")
    assert "No intraday flow" in text and body["message"] in text
    assert page.get_attribute("#flow-reason", "data-code") == "no_trades"
    assert page.is_hidden("#flow-badge")
    assert page.get_attribute("#regime-badge", "data-regime") != "unknown"  # the rest stands
    shoot(page, "symbol-no-flow")
    recorded.clean(allowed=lambda error: "404" in error and "/v1/flow/" in error)


def test_phone_width_and_the_symbol_query_form(
    browser: Browser, dashboard_server: ServerProcess, shoot: Callable[..., Path]
) -> None:
    recorded = open_recorded(browser, dashboard_server.base_url, PHONE)
    page = recorded.page
    try:
        page.goto(dashboard_server.base_url + "/dashboard?symbol=SPY")
        recorded.wait_loads(1)
        assert page.inner_text("#symbol-title") == "SPY"
        assert recorded.api("/v1/exposure/summary/SPY") == [{"dealer_model": ["street"]}]
        width, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width <= inner  # nothing sticks out sideways at phone width
        assert page.is_visible("#profile-chart .main-svg")
        assert page.is_visible(".legend-key")  # the legend moves out of the chart
        shoot(page, "symbol-phone")
        recorded.clean()
    finally:
        page.context.close()
