"""``/v1/exposure/sheet``, ``/v1/exposure/term-structure`` and ``/v1/exposure/basket`` over
real HTTP (the demo market pinned on a Friday morning): the views' JSON, their agreement with
the other exposure endpoints, and the definitions of :mod:`api.views.sheet`."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date

import httpx
import polars as pl
import pytest

from api.config import ServerSettings
from api.http.app import create_app
from api.service.analysis import AnalysisService
from api.service.errors import ApiError
from api.views.sheet import (
    DTE_BUCKETS,
    basket_view,
    dte_bucket,
    is_opex,
    is_triple_witching,
    line_in_the_sand,
    parse_weights,
    peaks,
    sheet_view,
    term_structure_view,
)
from engine.analysis.options import restrict
from engine.analysis.single import analyze
from tests.api.conftest import KEY, pinned_app
from tests.api.live import PinnedSource, ThreadServer

METRICS = ("gex", "dex", "vex", "chex")


@pytest.fixture(scope="module")
def service(pinned_server: ThreadServer) -> AnalysisService:
    return pinned_server.app.state.service  # type: ignore[no-any-return]


def close(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, scale))


def check_sum(rows: list[dict], column: str, total: float) -> None:
    values = [r[column] for r in rows]
    assert close(math.fsum(values), total, math.fsum(abs(v) for v in values)), column


# -- sheet ----------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["", "?expiration=2026-12-18&dealer_model=short_all"])
def test_sheet_is_the_view_and_agrees_with_the_metric_endpoints(
    client: httpx.Client, service: AnalysisService, query: str
) -> None:
    response = client.get(f"/v1/exposure/sheet/SPX{query}")
    assert response.status_code == 200
    body = response.json()
    options = {"expiration": date(2026, 12, 18), "dealer_model": "short_all"}
    a = analyze(service.snapshot("SPX"), service.preset, **(options if query else {}))
    assert body == sheet_view(a)
    rows = body["strikes"]
    assert [r["strike"] for r in rows] == sorted(r["strike"] for r in rows)
    for name in METRICS:
        other = client.get(f"/v1/exposure/{name}/SPX{query}").json()
        assert body["totals"][f"net_{name}"] == other[f"net_{name}"]
        assert [r[f"net_{name}"] for r in rows] == [r[f"net_{name}"] for r in other["strikes"]]
        check_sum(rows, f"net_{name}", body["totals"][f"net_{name}"])
    check_sum(rows, "dag", body["totals"]["net_dag"])
    # DAG per strike: Σ |delta| · GEX of the analysed contracts
    contracts = restrict(a.priced.contracts, a.options)
    for row in rows[:: max(1, len(rows) // 12)]:
        at = contracts.filter(pl.col("strike") == row["strike"])
        want = math.fsum(abs(d) * g for d, g in zip(at["delta"], at["gex"], strict=True))
        assert close(row["dag"], want, abs(want)), row["strike"]
    assert body["dealer_model"] == ("short_all" if query else "street")
    assert body["data_quality"]["contracts_used"] == contracts.height


def test_sheet_min_oi_is_the_gex_endpoints(client: httpx.Client) -> None:
    query = "?expiration=2026-12-18&min_oi=300"
    body = client.get(f"/v1/exposure/sheet/SPX{query}").json()
    gex = client.get(f"/v1/exposure/gex/SPX{query}").json()
    assert body["totals"]["net_gex"] == gex["net_gex"]
    assert [r["strike"] for r in body["strikes"]] == [r["strike"] for r in gex["strikes"]]
    assert all(r["call_oi"] + r["put_oi"] >= 300 for r in body["strikes"])
    assert body["data_quality"]["filtered_out"] == gex["data_quality"]["filtered_out"]


def test_sheet_levels_and_flags(client: httpx.Client) -> None:
    body = client.get("/v1/exposure/sheet/SPX").json()
    assert body["expiration"] is None and body["is_opex"] is None
    strikes = [r["strike"] for r in body["strikes"]]
    assert body["lis"]["strike"] in strikes and body["lis"]["magnitude"] == 1.0
    top = max(body["strikes"], key=lambda r: abs(r["net_gex"]))
    assert body["peaks"][0]["strike"] == top["strike"] and body["peaks"][0]["strength"] == 1.0
    for peak in body["peaks"]:
        assert 0.1 <= peak["strength"] <= 1.0 and peak["strike"] in strikes
        assert peak["side"] == ("call_wall" if peak["net_gex"] >= 0 else "put_wall")
    monthly = client.get("/v1/exposure/sheet/SPX?expiration=2026-12-18").json()
    assert monthly["is_opex"] is True and monthly["is_triple_witching"] is True
    weekly = client.get("/v1/exposure/sheet/SPX?expiration=2026-11-27").json()
    assert weekly["is_opex"] is False and weekly["is_triple_witching"] is False


def test_sheet_errors(client: httpx.Client) -> None:
    missing = client.get("/v1/exposure/sheet/SPX?expiration=2020-01-17")
    assert missing.status_code == 404 and missing.json()["error"] == "symbol_not_found"
    assert client.get("/v1/exposure/sheet/NOPE").status_code == 404
    bad = client.get("/v1/exposure/sheet/SPX?expiration=2026-W51-5")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_expiry"
    model = client.get("/v1/exposure/sheet/SPX?dealer_model=flow")
    assert model.status_code == 400 and model.json()["error"] == "invalid_dealer_model"


def test_line_in_the_sand_and_peaks() -> None:
    # uneven spacing: the second derivative, not the second difference
    # (second differences alone would pick 12: 1 - 2·11 + 0 = -21)
    assert line_in_the_sand([0, 1, 2, 12, 22], [0, 0, 1, 11, 0], spot=10.0) == 1.0
    assert line_in_the_sand([1, 2, 3], [1, 2, 3], spot=2.0) is None  # linear
    assert line_in_the_sand([1, 2], [1, -1], spot=2.0) is None
    assert line_in_the_sand([1, 2, 3, 4], [0, 1, 0, 1], spot=3.4) == 3.0  # tie: nearest spot
    found = peaks([1, 2, 3, 4, 5, 6], [1, 10, 2, -8, -8, 0.5])
    # 1 is below its upper neighbour; 5 only ties its lower one (a plateau counts once)
    assert [(p["strike"], p["side"], p["strength"]) for p in found] == [
        (2.0, "call_wall", 1.0), (4.0, "put_wall", 0.8),
    ]  # fmt: skip
    assert peaks([1, 2], [0.0, 0.0]) == [] and peaks([], []) == []
    assert [p["strike"] for p in peaks([1, 2, 3], [0.05, 0.0, 1.0])] == [3.0]  # 0.05 < 0.1


def test_opex_calendar() -> None:
    assert is_opex(date(2026, 12, 18)) and is_triple_witching(date(2026, 12, 18))
    assert is_opex(date(2026, 11, 20)) and not is_triple_witching(date(2026, 11, 20))
    assert not is_opex(date(2026, 11, 27)) and not is_opex(date(2026, 12, 17))
    # Good Friday 2025-04-18 is the third Friday and a holiday: Thursday is the expiry
    assert is_opex(date(2025, 4, 17)) and not is_opex(date(2025, 4, 16))
    assert is_opex(date(2025, 4, 18))  # still the standard date


def test_dte_buckets() -> None:
    assert [dte_bucket(d)[0] for d in (-1, 0, 7, 8, 30, 31, 60, 61, 180, 181, 5000)] == [
        "0-7d", "0-7d", "0-7d", "8-30d", "8-30d", "31-60d", "31-60d", "61-180d", "61-180d",
        "180d+", "180d+",
    ]  # fmt: skip
    assert DTE_BUCKETS[-1][2] == 2_147_483_647


# -- term structure -------------------------------------------------------------------------
@pytest.mark.parametrize("symbol", ["SPX", "ES%3DF"])
def test_term_structure_adds_up(
    client: httpx.Client, service: AnalysisService, symbol: str
) -> None:
    name = symbol.replace("%3D", "=")
    response = client.get(f"/v1/exposure/term-structure/{symbol}")
    assert response.status_code == 200
    body = response.json()
    assert body == term_structure_view(analyze(service.snapshot(name), service.preset))
    summary = client.get(f"/v1/exposure/summary/{symbol}").json()
    expiries = body["by_expiry"]
    assert [e["expiration"] for e in expiries] == sorted(e["expiration"] for e in expiries)
    today = date(2026, 11, 20)  # the pinned Friday, New York
    for e in expiries:
        assert e["dte"] == (date.fromisoformat(e["expiration"]) - today).days
    for name_ in METRICS:
        check_sum(expiries, f"net_{name_}", summary["exposures"][f"net_{name_}"])
        check_sum(body["by_dte_bucket"], f"net_{name_}", summary["exposures"][f"net_{name_}"])
    assert close(math.fsum(e["pct_of_chain_gex"] for e in expiries), 100.0, 100.0)
    counts = sum(b["contract_count"] for b in body["by_dte_bucket"])
    assert counts == body["data_quality"]["contracts_used"]
    for bucket in body["by_dte_bucket"]:
        lo, hi = bucket["dte_range"]
        members = [e for e in expiries if lo <= e["dte"] <= hi]
        assert members and close(
            math.fsum(e["net_gex"] for e in members), bucket["net_gex"], abs(bucket["net_gex"])
        )
    for e in expiries[:2] + expiries[-1:]:  # what ?expiration= answers
        one = client.get(f"/v1/exposure/gex/{symbol}?expiration={e['expiration']}").json()
        assert close(e["net_gex"], one["net_gex"], abs(one["net_gex"]))


@pytest.fixture(scope="module")
def perfiliev_server() -> Iterator[ThreadServer]:
    service = AnalysisService(PinnedSource(), source_name="demo", ttl=3600.0, preset="perfiliev")
    settings = ServerSettings(api_keys=(KEY,), rate_limit=1000000, auth_failure_limit=0)
    with ThreadServer(create_app(settings=settings, service=service, warm=False)) as server:
        yield server


def test_term_structure_under_a_preset_of_its_own(perfiliev_server: ThreadServer) -> None:
    with httpx.Client(base_url=perfiliev_server.base_url, headers={"X-Api-Key": KEY},
                      timeout=120) as http:  # fmt: skip
        body = http.get("/v1/exposure/term-structure/SPY").json()
        expiries = body["by_expiry"]
        for e in (expiries[0], expiries[-1]):
            one = http.get(f"/v1/exposure/gex/SPY?expiration={e['expiration']}").json()
            assert e["net_gex"] == one["net_gex"]  # the preset's own per-expiry GEX


# -- basket ---------------------------------------------------------------------------------
def test_basket_weights_renormalise(client: httpx.Client) -> None:
    response = client.get("/v1/exposure/basket?symbols=SPX,spy,NOPE&weights=2,1,5")
    assert response.status_code == 200
    body = response.json()
    assert body["constituent_count"] == 2 and body["missing_symbols"] == ["NOPE"]
    assert body["errors"] == [
        {"symbol": "NOPE", "error": "symbol_not_found", "message": "No data for NOPE."}
    ]
    spx, spy = body["constituents"]
    assert (spx["symbol"], spy["symbol"]) == ("SPX", "SPY")
    assert spx["weight"] == pytest.approx(2 / 3) and spy["weight"] == pytest.approx(1 / 3)
    for name in METRICS:
        nets = [client.get(f"/v1/exposure/summary/{s}").json()["exposures"][f"net_{name}"]
                for s in ("SPX", "SPY")]  # fmt: skip
        assert spx[f"net_{name}"] == nets[0] and spy[f"net_{name}"] == nets[1]
        want = 2 / 3 * nets[0] + 1 / 3 * nets[1]
        assert close(body["aggregate"][f"net_{name}"], want, abs(want))
    shares = [abs(c["weight"] * c["net_gex"]) for c in body["constituents"]]
    for c, share in zip(body["constituents"], shares, strict=True):
        assert c["contribution_pct"] == pytest.approx(100 * share / sum(shares))
        assert c["regime"] == ("positive_gamma" if c["net_gex"] >= 0 else "negative_gamma")
    used = body["data_quality"]["contracts_used"]
    assert used == sum(
        client.get(f"/v1/exposure/summary/{s}").json()["data_quality"]["contracts_used"]
        for s in ("SPX", "SPY")
    )


def test_basket_defaults_to_equal_weights_and_repeats_add_up(client: httpx.Client) -> None:
    equal = client.get("/v1/exposure/basket?symbols=SPX,SPY,SPX").json()
    assert [c["weight"] for c in equal["constituents"]] == [0.5, 0.5]
    added = client.get("/v1/exposure/basket?symbols=SPX,SPY,SPX&weights=1,1,1").json()
    assert [c["weight"] for c in added["constituents"]] == pytest.approx([2 / 3, 1 / 3])


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("symbols=SPX,SPY&weights=1", 400, "invalid_weights"),
        ("symbols=SPX&weights=-1", 400, "invalid_weights"),
        ("symbols=SPX&weights=nan", 400, "invalid_weights"),
        ("symbols=SPX&weights=1e999", 400, "invalid_weights"),
        ("symbols=SPX,SPY&weights=0,0", 400, "invalid_weights"),
        ("weights=1", 400, "invalid_symbols"),
        ("symbols=SPX,..", 400, "invalid_symbol"),
        ("symbols=NOPE,NADA", 404, "symbol_not_found"),
        ("symbols=SPX&dealer_model=flow", 400, "invalid_dealer_model"),
    ],
)
def test_basket_errors(client: httpx.Client, query: str, status: int, code: str) -> None:
    response = client.get(f"/v1/exposure/basket?{query}")
    assert response.status_code == status and response.json()["error"] == code


def test_basket_weight_of_a_dropped_symbol_does_not_count() -> None:
    assert parse_weights("1,2", ["A", "B"]) == {"A": 1.0, "B": 2.0}
    assert parse_weights(None, ["A", "B", "A"]) == {"A": 1.0, "B": 1.0}
    with pytest.raises(ApiError):
        basket_view([], ["A"])


def test_basket_counts_each_symbol_against_the_rate_limit() -> None:
    with ThreadServer(pinned_app(rate_limit=4)) as server, httpx.Client(
        base_url=server.base_url, headers={"X-Api-Key": KEY}, timeout=60
    ) as http:  # fmt: skip
        first = http.get("/v1/exposure/basket?symbols=SPX,SPY,QQQ,spx")
        assert first.status_code == 200 and first.headers["x-ratelimit-remaining"] == "1"
        refused = http.get("/v1/exposure/basket?symbols=SPX,SPY")
        assert refused.status_code == 429
