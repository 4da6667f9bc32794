"""Drop-in compatibility: the vendor's official Python SDK against the real server process.

``flashalpha.FlashAlpha(key, base_url=...)`` drives a uvicorn subprocess serving the demo
source, for an equity (AAPL), an index (SPX) and a future (ES=F, which the SDK sends
URL-escaped). The checks are types and invariants that hold at any instant: strike rows
sum to the totals, ``notional_usd = |shares| · underlying_price``, the regime agrees with
the sign of net GEX; and errors arrive as the SDK's typed exceptions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date

import pytest
from flashalpha import AuthenticationError, FlashAlpha, NotFoundError, RateLimitError

from tests.api.conftest import KEY, OTHER_KEY
from tests.api.live import ServerProcess

SYMBOLS = ["AAPL", "SPX", "ES=F"]
REGIMES = {"positive_gamma", "negative_gamma", "unknown"}


def close(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, scale))


@pytest.fixture(scope="module")
def fa(live_server: ServerProcess) -> Iterator[FlashAlpha]:
    client = FlashAlpha(KEY, base_url=live_server.base_url, timeout=60)
    yield client
    client._session.close()


def check_head(body: dict, symbol: str) -> None:
    assert body["symbol"] == symbol
    assert isinstance(body["underlying_price"], float) and body["underlying_price"] > 0
    assert body["as_of"].endswith("Z")
    assert isinstance(body["data_quality"]["contracts_used"], int)


def check_rows_sum(rows: list[dict], column: str, total: float) -> None:
    values = [row[column] for row in rows]
    assert all(isinstance(v, float) for v in values)
    scale = sum(abs(v) for v in values)
    assert close(math.fsum(values), total, scale)


def check_regime(regime: str, net_gex: float) -> None:
    assert regime in REGIMES
    if net_gex > 0:
        assert regime == "positive_gamma"
    elif net_gex < 0:
        assert regime == "negative_gamma"


# units of the underlying per hedge unit: futures options hedge in contracts (ES: 50 × F)
UNIT_SIZE = {"shares": 1.0, "index_units": 1.0, "contracts": 50.0}


def check_hedge(move: dict, spot: float, unit: str = "shares") -> None:
    shares = move["dealer_shares_to_trade"]
    assert move["direction"] == ("buy" if shares >= 0 else "sell")
    notional = abs(shares) * spot * UNIT_SIZE[unit]
    assert close(move["notional_usd"], notional, notional)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_summary(fa: FlashAlpha, symbol: str) -> None:
    body = fa.exposure_summary(symbol)
    check_head(body, symbol)
    exposures = body["exposures"]
    assert set(exposures) == {"net_gex", "net_dex", "net_vex", "net_chex", "net_speed", "net_vomma"}
    check_regime(body["regime"], exposures["net_gex"])
    assert set(body["interpretation"]) == {"gamma", "vanna", "charm", "speed", "vomma"}
    unit = body["hedge_unit"]
    assert unit == {"SPX": "index_units", "ES=F": "contracts"}.get(symbol, "shares")
    for name in ("spot_down_1pct", "spot_up_1pct"):
        check_hedge(body["hedging_estimate"][name], body["underlying_price"], unit)
    flows = body["hedge_flows"]
    for key, net in (("vol_up_1pt", exposures["net_vex"]), ("one_day", exposures["net_chex"])):
        assert flows[key]["direction"] == ("sell" if net > 0 else "buy")
        assert close(flows[key]["notional_usd"], abs(net), abs(net))
    assert body["dealer_model"] == "street"
    zero = body["zero_dte"]
    assert zero["expiration"] is None or date.fromisoformat(zero["expiration"])


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_gex_whole_chain_and_filtered(fa: FlashAlpha, symbol: str) -> None:
    whole = fa.gex(symbol)
    check_head(whole, symbol)
    rows = whole["strikes"]
    assert rows and [r["strike"] for r in rows] == sorted(r["strike"] for r in rows)
    check_rows_sum(rows, "net_gex", whole["net_gex"])
    for row in rows:
        assert row["put_gex"] <= 0.0
        assert close(row["call_gex"] + row["put_gex"], row["net_gex"], abs(row["call_gex"]))
        assert row["call_oi_change"] is None and row["put_oi_change"] is None
    assert whole["net_gex_label"] == ("positive" if whole["net_gex"] >= 0 else "negative")

    expiration = fa.options(symbol)["expirations"][1]["expiration"]
    filtered = fa.gex(symbol, expiration=expiration, min_oi=500)
    check_rows_sum(filtered["strikes"], "net_gex", filtered["net_gex"])
    assert all(r["call_oi"] + r["put_oi"] >= 500 for r in filtered["strikes"])
    assert len(filtered["strikes"]) < len(rows)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_dex_vex_chex_rows_sum_to_the_net(fa: FlashAlpha, symbol: str) -> None:
    for method, name in ((fa.dex, "dex"), (fa.vex, "vex"), (fa.chex, "chex")):
        body = method(symbol)
        check_head(body, symbol)
        check_rows_sum(body["strikes"], f"net_{name}", body[f"net_{name}"])
        for row in body["strikes"]:
            total = row[f"call_{name}"] + row[f"put_{name}"]
            assert close(total, row[f"net_{name}"], abs(row[f"call_{name}"]))
    assert isinstance(fa.vex(symbol)["vex_interpretation"], str)
    assert isinstance(fa.chex(symbol)["chex_interpretation"], str)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_levels_agree_with_summary_and_gex(fa: FlashAlpha, symbol: str) -> None:
    levels = fa.exposure_levels(symbol)["levels"]
    summary = fa.exposure_summary(symbol)
    assert levels["gamma_flip"] == summary["gamma_flip"]
    assert levels["gamma_flip_status"] == summary["gamma_flip_status"]
    strikes = {row["strike"] for row in fa.gex(symbol)["strikes"]}
    for name in ("call_wall", "put_wall", "max_positive_gamma", "highest_oi_strike"):
        assert levels[name] is None or levels[name] in strikes
    if summary["zero_dte"]["expiration"] is None:
        assert levels["zero_dte_magnet"] is None


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_narrative_without_history(fa: FlashAlpha, symbol: str) -> None:
    body = fa.narrative(symbol)
    check_head(body, symbol)
    story = body["narrative"]
    data = story["data"]
    assert data["net_gex_prior"] is None and data["net_gex_change_pct"] is None
    assert data["top_oi_changes"] == []
    assert "no prior session is stored" in story["gex_change"]
    check_regime(data["regime"], data["net_gex"])
    for field in ("regime", "key_levels", "flow", "vanna", "charm", "zero_dte", "outlook"):
        assert isinstance(story[field], str) and story[field]


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_zero_dte_today_and_a_named_expiry(fa: FlashAlpha, symbol: str) -> None:
    today = fa.zero_dte(symbol)
    check_head(today, symbol)
    if today["no_zero_dte"]:
        assert today["expiration"] is None and isinstance(today["message"], str)
        expiry = today["next_zero_dte_expiry"]
    else:
        expiry = today["expiration"]
    body = fa.zero_dte(symbol, expiry=expiry, strike_range=0.02)
    assert body["no_zero_dte"] is False and body["expiration"] == expiry
    spot = body["underlying_price"]
    assert set(body["hedging"]) == {
        f"spot_{side}_{size}"
        for side in ("up", "down")
        for size in ("10bp", "25bp", "half_pct", "1pct")
    }
    for move in body["hedging"].values():
        check_hedge(move, spot, body["hedge_unit"])
    assert all(abs(row["strike"] / spot - 1.0) <= 0.02 + 1e-12 for row in body["strikes"])
    exposures = body["exposures"]
    share = 100.0 * exposures["net_gex"] / exposures["total_chain_net_gex"]
    assert close(exposures["pct_of_total_gex"], share, abs(share))
    check_regime(body["regime"]["label"], exposures["net_gex"])


def test_symbols_quote_and_options(fa: FlashAlpha) -> None:
    listing = fa.symbols()
    assert set(SYMBOLS) <= set(listing["symbols"]) and listing["count"] == len(listing["symbols"])
    quote = fa.stock_quote("ES=F")
    assert quote["ticker"] == "ES=F" and quote["bid"] == quote["ask"] == quote["lastPrice"]
    chain = fa.options("spx")
    assert chain["symbol"] == "SPX" and chain["expiration_count"] == len(chain["expirations"])


def test_errors_arrive_as_typed_exceptions(live_server: ServerProcess, fa: FlashAlpha) -> None:
    with pytest.raises(NotFoundError, match="No data for XYZ"):
        fa.exposure_summary("XYZ")
    for wrong in ("wrong-key", ""):
        stranger = FlashAlpha(wrong, base_url=live_server.base_url, timeout=60)
        try:
            with pytest.raises(AuthenticationError, match="Invalid API key"):
                stranger.exposure_summary("SPX")
        finally:
            stranger._session.close()
    other = FlashAlpha(OTHER_KEY, base_url=live_server.base_url, timeout=60)
    try:
        assert other.symbols()["count"] > 0
    finally:
        other._session.close()


def test_rate_limit_is_a_rate_limit_error_with_retry_after() -> None:
    env = {"GEX_API_KEYS": KEY, "GEX_RATE_LIMIT": "3", "GEX_RATE_WINDOW": "3600"}
    with ServerProcess(env=env) as server:
        client = FlashAlpha(KEY, base_url=server.base_url, timeout=60)
        try:
            for _ in range(3):
                client.symbols()
            with pytest.raises(RateLimitError) as caught:
                client.symbols()
        finally:
            client._session.close()
    assert caught.value.retry_after is not None and 1 <= caught.value.retry_after <= 3600
    body = caught.value.response
    assert body["error"] == "rate_limited" and body["limit"] == 3 and body["status"] == "ERROR"
