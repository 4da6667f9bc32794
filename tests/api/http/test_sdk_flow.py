"""The official SDK's ``flow_*`` methods against the real server process, on the demo market
with its clock frozen inside a session (a Friday, 14:00 New York: SPX has a same-day expiry
and 328,000 prints on the tape so far).

Invariants: live − settled = adjustment, pct shift = adjustment / |settled|, the label
follows the rules of docs/api.md, official + delta = simulated, the settled numbers are the
exposure endpoints' own, every body agrees with the others, and a malformed or absent
expiry is the SDK's 400 / ``NotFoundError``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from flashalpha import FlashAlpha, FlashAlphaError, NotFoundError

from api.views.flow import pct_text, usd
from tests.api.conftest import KEY, KEYS_ENV
from tests.api.live import ServerProcess

CLOCK = "2026-11-20T19:00:00Z"
TODAY = "2026-11-20"
MONTHLY = "2026-12-18"
SATURDAY = "2026-11-21"


@pytest.fixture(scope="module")
def fa() -> Iterator[FlashAlpha]:
    env = {**KEYS_ENV, "GEX_DEMO_CLOCK": CLOCK}
    with ServerProcess(env=env, source="demo", ttl=3600.0) as server:
        client = FlashAlpha(KEY, base_url=server.base_url, timeout=120)
        yield client
        client._session.close()


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def label(settled: float, live: float, moved: bool) -> str:
    """docs/api.md's rules, written again."""
    if not moved:
        return "no_flow"
    if live != 0 and (settled == 0 or math.copysign(1, settled) != math.copysign(1, live)):
        return "regime_flip"
    if abs((live - settled) / abs(settled)) < 0.05:
        return "neutral"
    return "amplifying" if abs(live) > abs(settled) else "dampening"


def check_shift(body: dict[str, Any], name: str) -> None:
    settled, live = body[f"settled_net_{name}"], body[f"live_net_{name}"]
    adjustment, pct = body[f"flow_{name}_adjustment"], body[f"flow_{name}_pct_shift"]
    assert close(live - settled, adjustment)
    assert settled != 0 and close(pct, adjustment / abs(settled))


def check_block(body: dict[str, Any], moved: bool) -> None:
    check_shift(body, "gex")
    check_shift(body, "dex")
    settled, live = body["settled_net_gex"], body["live_net_gex"]
    assert body["flow_direction"] == label(settled, live, moved)
    text = body["description"]
    assert usd(settled) in text and usd(live) in text
    assert pct_text(body["flow_gex_pct_shift"]) in text


def check_oi(oi: dict[str, Any]) -> None:
    assert oi["official_oi"] + oi["intraday_oi_delta"] == oi["simulated_oi"]
    assert oi["effective_oi"] >= 0 and oi["oi_delta_confidence"] == 0.43
    assert 0 < oi["contracts_with_flow"] <= oi["contracts_total"]


@pytest.fixture(scope="module")
def risk(fa: FlashAlpha) -> dict[str, Any]:
    return dict(fa.flow_dealer_risk("SPX"))


def test_dealer_risk(fa: FlashAlpha, risk: dict[str, Any]) -> None:
    assert risk["symbol"] == "SPX" and risk["as_of"] == CLOCK and risk["expiry"] is None
    check_block(risk, moved=risk["contracts_with_flow"] > 0)
    check_oi(risk["oi"])
    assert risk["oi"]["contracts_with_flow"] == risk["contracts_with_flow"]
    # vendor rule: open interest only grows, so |effective − settled| sums to the delta
    assert risk["total_abs_delta_contracts"] == risk["oi"]["intraday_oi_delta"] > 0
    # flow never changes a settled number
    summary = fa.exposure_summary("SPX")
    assert summary["as_of"] == CLOCK
    assert risk["settled_net_gex"] == summary["exposures"]["net_gex"]
    assert risk["settled_net_dex"] == summary["exposures"]["net_dex"]


def test_one_expiry(fa: FlashAlpha, risk: dict[str, Any]) -> None:
    day = fa.flow_dealer_risk("SPX", expiry=TODAY)
    assert day["expiry"] == TODAY
    check_block(day, moved=day["contracts_with_flow"] > 0)
    assert day["oi"]["contracts_total"] < risk["oi"]["contracts_total"]
    assert day["settled_net_gex"] == fa.gex("SPX", expiration=TODAY)["net_gex"]
    with pytest.raises(NotFoundError):
        fa.flow_dealer_risk("SPX", expiry=SATURDAY)
    with pytest.raises(FlashAlphaError) as bad:
        fa.flow_gex("SPX", expiry="2026-W47-5")
    assert bad.value.status_code == 400 and bad.value.response["error"] == "invalid_expiry"  # type: ignore[index]
    with pytest.raises(NotFoundError):
        fa.flow_oi("NOPE")


def test_gex_and_dex(fa: FlashAlpha, risk: dict[str, Any]) -> None:
    gex = fa.flow_gex("SPX")
    assert gex["live_net_gex"] == risk["live_net_gex"]
    assert gex["settled_net_gex"] == risk["settled_net_gex"]
    assert gex["live_net_gex_label"] == ("positive" if gex["live_net_gex"] >= 0 else "negative")
    rows = gex["strikes"]
    assert [r["strike"] for r in rows] == sorted(r["strike"] for r in rows)
    assert close(math.fsum(r["net_gex"] for r in rows), gex["live_net_gex"])
    settled = {r["strike"]: r for r in fa.gex("SPX")["strikes"]}
    for row in rows:
        assert row["call_oi_change"] == row["call_oi"] - settled[row["strike"]]["call_oi"]
        assert row["put_oi_change"] == row["put_oi"] - settled[row["strike"]]["put_oi"]
        assert row["call_oi_change"] >= 0 and row["put_oi_change"] >= 0  # the vendor rule
    # the rows cover the contracts the analysis prices; the open interest counts every
    # contract of the chain (expired and unpriced ones too)
    moved = sum(r["call_oi_change"] + r["put_oi_change"] for r in rows)
    assert 0.99 * risk["oi"]["intraday_oi_delta"] <= moved <= risk["oi"]["intraday_oi_delta"]
    dex = fa.flow_dex("SPX")
    assert dex["live_net_dex"] == risk["live_net_dex"]
    assert close(math.fsum(r["net_dex"] for r in dex["strikes"]), dex["live_net_dex"])


def test_summary_levels_and_oi(fa: FlashAlpha, risk: dict[str, Any]) -> None:
    summary = fa.flow_summary("SPX")
    assert summary["flow_direction"] == risk["flow_direction"]
    assert summary["live_gex"] == risk["live_net_gex"]
    assert summary["flow_gex_pct_shift"] == risk["flow_gex_pct_shift"]
    assert summary["intraday_oi_delta"] == risk["oi"]["intraday_oi_delta"]
    assert summary["contracts_total"] == risk["oi"]["contracts_total"]
    levels = fa.flow_levels("SPX")
    assert levels["gamma_flip_status"] in {"available", "no_boundary"} or levels[
        "gamma_flip_status"
    ].startswith("insufficient")
    assert levels["live_max_pain"] is not None and levels["live_call_wall"] is not None
    settled = fa.exposure_levels("SPX")["levels"]
    assert levels["settled"]["call_wall"] == settled["call_wall"]
    assert levels["settled"]["gamma_flip"] == settled["gamma_flip"]
    oi = fa.flow_oi("SPX")
    assert "underlying_price" not in oi
    check_oi(oi)
    assert {k: oi[k] for k in risk["oi"]} == risk["oi"]
    trades = oi["trades"]
    assert trades["trades_seen"] == sum(
        trades[k]
        for k in ("customer_buys", "customer_sells", "unclassified", "excluded_condition",
                  "unmatched_contract", "invalid")
    )  # fmt: skip
    assert oi["last_trade_at"] <= CLOCK and oi["session_day"] == TODAY


def test_pin_risk_and_live(fa: FlashAlpha, risk: dict[str, Any]) -> None:
    pin = fa.flow_pin_risk("SPX")
    assert pin["expiration"] == TODAY and 0 <= pin["live_pin_risk"] <= 100
    scores = pin["breakdown"]
    assert pin["live_pin_risk"] == math.floor(sum(scores.values()) / 4 + 0.5)
    assert pin["time_to_close_hours"] == pytest.approx(2.25)  # SPX options close at 16:15
    assert abs(pin["distance_to_magnet_pct"]) < 5
    monthly = fa.flow_pin_risk("SPX", expiry=MONTHLY)
    assert monthly["expiration"] == MONTHLY and monthly["breakdown"]["time_score"] == 0
    live = fa.flow_live("SPX")
    assert live["live_pin_risk"] == pin["live_pin_risk"]
    assert (
        live["live_gex"] == risk["live_net_gex"] and live["live_gex_delta"] == risk["live_net_dex"]
    )
    assert live["contracts"] == risk["oi"]["contracts_total"]
    for key in ("official_oi", "simulated_oi", "intraday_oi_delta", "effective_oi"):
        assert live[key] == risk["oi"][key]
    block = live["flow_adjusted_dealer_risk"]
    assert block == {k: risk[k] for k in block}
    assert "contracts_with_flow" not in block


def test_dealer_premium(fa: FlashAlpha) -> None:
    hour = fa.flow_dealer_premium("SPX")
    assert hour["window_minutes"] == 60 and hour["expiry"] is None
    session = fa.flow_dealer_premium("SPX", window_minutes=390)
    today = fa.flow_dealer_premium("SPX", window_minutes=390, expiry=TODAY)
    for body in (hour, session, today):
        assert close(body["net_dealer_premium"],
                     body["dealer_buy_premium"] - body["dealer_write_premium"])  # fmt: skip
        assert close(
            body["total_premium"], body["dealer_buy_premium"] + body["dealer_write_premium"]
        )
        assert body["trade_count"] >= body["classified_count"] > 0
    assert (
        hour["trade_count"] < session["trade_count"]
        and today["trade_count"] < session["trade_count"]
    )
    assert 50 <= hour["bucket_count"] <= 60 and session["window_start"] == "2026-11-20T12:31:00Z"
    with pytest.raises(NotFoundError):
        fa.flow_dealer_premium("SPX", expiry=SATURDAY)


def test_zero_dte_snapshot(fa: FlashAlpha) -> None:
    snap = fa.flow_zero_dte_snapshot("SPX")
    assert snap["expiration"] == TODAY and snap["no_zero_dte"] is False and snap["expiry"] is None
    block = snap["flow_direction"]
    day = fa.flow_dealer_risk("SPX", expiry=TODAY)
    assert block["label"] == day["flow_direction"]
    assert block["live_net_gex"] == day["live_net_gex"] == snap["exposures"]["net_gex"]
    assert block["settled_net_gex"] == fa.zero_dte("SPX")["exposures"]["net_gex"]
    assert block["contracts_with_flow"] == day["contracts_with_flow"]
    assert block["description"] == day["description"]
    assert snap["exposures"]["total_chain_net_gex"] == fa.flow_dealer_risk("SPX")["live_net_gex"]
    monthly = fa.flow_zero_dte_snapshot("SPX", expiry=MONTHLY)
    assert monthly["expiration"] == MONTHLY and monthly["expiry"] == MONTHLY


def test_an_equity(fa: FlashAlpha) -> None:
    body = fa.flow_dealer_risk("AAPL")
    assert body["symbol"] == "AAPL"
    check_block(body, moved=body["contracts_with_flow"] > 0)
    check_oi(body["oi"])
