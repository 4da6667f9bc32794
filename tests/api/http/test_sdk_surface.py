"""The rest of the SDK's dealer-positioning surface through the vendor's official Python SDK
against the real server process (the demo source): every field of the SDK's response types
is present, with a value of the declared kind (``Literal`` values among the declared ones),
for the sheet, the term structure, the basket, max pain, tickers, options, the stock quote
and the pricing calculators; and the SDK methods this server does not serve raise the SDK's
``NotFoundError`` with a message that says so.

The SDK's envelope (``endpoint_version``, ``data_as_of``) is not sent by this server.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Iterator
from typing import Any, Literal, Union

import pytest
from flashalpha import FlashAlpha, NotFoundError
from flashalpha import types as sdk

from tests.api.conftest import KEY
from tests.api.live import ServerProcess

ENVELOPE = {"endpoint_version", "data_as_of"}
SYMBOLS = ["SPX", "AAPL", "ES=F"]


@pytest.fixture(scope="module")
def fa(live_server: ServerProcess) -> Iterator[FlashAlpha]:
    client = FlashAlpha(KEY, base_url=live_server.base_url, timeout=120)
    yield client
    client._session.close()


def _is_typed_dict(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__total__")


def _check(value: Any, hint: Any, where: str) -> None:
    """``value`` is of the kind ``hint`` declares (recursing into TypedDicts and lists)."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in typing.get_args(hint):
            return
        options = [h for h in typing.get_args(hint) if h is not type(None)]
        assert len(options) == 1, where
        _check(value, options[0], where)
        return
    if origin is Literal:
        assert value in typing.get_args(hint), (where, value)
        return
    if origin in (list, typing.List):  # noqa: UP006 (the SDK's spelling)
        assert isinstance(value, list), where
        for i, item in enumerate(value[:50]):
            _check(item, typing.get_args(hint)[0], f"{where}[{i}]")
        return
    if _is_typed_dict(hint):
        check_shape(value, hint, where)
        return
    if hint is float:
        assert isinstance(value, int | float) and math.isfinite(value), (where, value)
    elif hint is int:
        assert isinstance(value, int) and not isinstance(value, bool), (where, value)
    elif hint in (str, bool):
        assert isinstance(value, hint), (where, value)


def check_shape(body: Any, typed: type, where: str = "") -> None:
    """Every field of the SDK's ``typed`` (a TypedDict) is in ``body`` with its kind."""
    assert isinstance(body, dict), where
    hints = typing.get_type_hints(typed)
    missing = set(hints) - ENVELOPE - set(body)
    assert not missing, (where or typed.__name__, sorted(missing))
    for key, hint in hints.items():
        if key not in ENVELOPE:
            _check(body[key], hint, f"{where}.{key}")


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_exposure_sheet(fa: FlashAlpha, symbol: str) -> None:
    body = fa.exposure_sheet(symbol)
    check_shape(body, sdk.ExposureSheetResponse)
    assert body["symbol"] == symbol and body["strikes"] and body["expiration"] is None
    expiration = fa.options(symbol)["expirations"][1]["expiration"]
    one = fa.exposure_sheet(symbol, expiration=expiration, min_oi=100)
    check_shape(one, sdk.ExposureSheetResponse)
    assert one["expiration"] == expiration and isinstance(one["is_opex"], bool)
    assert all(r["call_oi"] + r["put_oi"] >= 100 for r in one["strikes"])
    gex = fa.gex(symbol, expiration=expiration, min_oi=100)
    assert one["totals"]["net_gex"] == pytest.approx(gex["net_gex"], rel=1e-9)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_exposure_term_structure(fa: FlashAlpha, symbol: str) -> None:
    body = fa.exposure_term_structure(symbol)
    check_shape(body, sdk.ExposureTermStructureResponse)
    total = math.fsum(e["net_gex"] for e in body["by_expiry"])
    net = fa.exposure_summary(symbol)["exposures"]["net_gex"]
    assert total == pytest.approx(net, rel=1e-9, abs=1e-6 * abs(net))
    assert {b["bucket"] for b in body["by_dte_bucket"]} <= {
        "0-7d", "8-30d", "31-60d", "61-180d", "180d+",
    }  # fmt: skip


def test_exposure_basket(fa: FlashAlpha) -> None:
    body = fa.exposure_basket(["SPX", "SPY", "NOPE"], weights=[0.7, 0.3, 1.0])
    check_shape(body, sdk.ExposureBasketResponse)
    assert body["missing_symbols"] == ["NOPE"] and body["constituent_count"] == 2
    assert math.fsum(c["weight"] for c in body["constituents"]) == pytest.approx(1.0)
    equal = fa.exposure_basket("QQQ,IWM")
    check_shape(equal, sdk.ExposureBasketResponse)
    assert [c["weight"] for c in equal["constituents"]] == [0.5, 0.5]
    with pytest.raises(NotFoundError, match="No data for NOPE"):
        fa.exposure_basket(["NOPE"])


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_max_pain(fa: FlashAlpha, symbol: str) -> None:
    body = fa.max_pain(symbol)
    check_shape(body, sdk.MaxPainResponse)
    assert body["max_pain_by_expiration"] and body["max_pain_strike"] in {
        r["strike"] for r in body["pain_curve"]
    }
    expiration = body["max_pain_by_expiration"][0]["expiration"]
    one = fa.max_pain(symbol, expiration=expiration)
    check_shape(one, sdk.MaxPainResponse)
    assert one["max_pain_by_expiration"] is None
    assert one["max_pain_strike"] == body["max_pain_by_expiration"][0]["max_pain_strike"]


def test_reference_data(fa: FlashAlpha) -> None:
    tickers = fa.tickers()
    check_shape(tickers, sdk.TickersResponse)
    assert set(SYMBOLS) <= set(tickers["tickers"]) and tickers["count"] == len(tickers["tickers"])
    for symbol in SYMBOLS:
        check_shape(fa.options(symbol), sdk.OptionsMetaResponse)
        quote = fa.stock_quote(symbol)
        check_shape(quote, sdk.StockQuoteResponse)
        assert quote["ticker"] == symbol


@pytest.mark.parametrize("kind", ["call", "put"])
def test_pricing_calculators(fa: FlashAlpha, kind: str) -> None:
    greeks = fa.greeks(spot=580, strike=590, dte=30, sigma=0.2, type=kind, r=0.04, q=0.01)
    check_shape(greeks, sdk.PricingGreeksResponse)
    assert greeks["inputs"]["sigma"] == 20.0 and greeks["inputs"]["type"] == kind
    delta = greeks["first_order"]["delta"]
    assert (0 < delta < 1) if kind == "call" else (-1 < delta < 0)
    assert greeks["first_order"]["theta"] < 0 and greeks["first_order"]["vega"] > 0
    iv = fa.iv(spot=580, strike=590, dte=30, price=greeks["theoretical_price"], type=kind,
               r=0.04, q=0.01)  # fmt: skip
    check_shape(iv, sdk.PricingIvResponse)
    assert iv["implied_volatility"] == pytest.approx(0.2, rel=1e-12)
    plain = fa.greeks(spot=100, strike=100, dte=7, sigma=0.3)
    assert plain["inputs"]["risk_free_rate"] == 0.0 and plain["inputs"]["type"] == "call"


NOT_SERVED = [
    pytest.param("volatility_forecast", lambda fa: fa.volatility_forecast("SPY"), id="vol"),
    pytest.param("realized_volatility", lambda fa: fa.realized_volatility("SPY"), id="rv"),
    pytest.param("screener", lambda fa: fa.screener(limit=5), id="screener"),
    pytest.param("screener_fields", lambda fa: fa.screener_fields(), id="fields"),
    pytest.param("strategy_*", lambda fa: fa.strategy_skew("SPY"), id="skew"),
    pytest.param("strategy_*", lambda fa: fa.strategy_term_structure("SPY"), id="term"),
    pytest.param("vrp", lambda fa: fa.vrp("SPY"), id="vrp"),
    pytest.param("vrp_history", lambda fa: fa.vrp_history("SPY", days=30), id="vrp_history"),
    pytest.param("flow_stock_recent", lambda fa: fa.flow_stock_recent("SPY"), id="recent"),
    pytest.param(
        "flow_stock_bars", lambda fa: fa.flow_stock_bars("SPY", resolution="1m"), id="bars"
    ),
    pytest.param("flow_stocks_leaderboard", lambda fa: fa.flow_stocks_leaderboard(), id="lead"),
]


@pytest.mark.parametrize(("name", "call"), NOT_SERVED)
def test_unserved_methods_say_so(fa: FlashAlpha, name: str, call: Any) -> None:
    with pytest.raises(NotFoundError, match=f"does not serve {name.replace('*', '[*]')}") as err:
        call(fa)
    assert err.value.response["error"] == "not_served"
