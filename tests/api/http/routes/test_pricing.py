"""``/v1/pricing/greeks`` and ``/v1/pricing/iv`` over real HTTP: the view's JSON, the SDK's
units checked by finite differences of the view's own premium, the implied vol's round
trip, and the 400s."""

from __future__ import annotations

import math
from collections.abc import Callable

import httpx
import pytest

from api.views.pricing import greeks_view, iv_view

BASE = {"spot": 580.0, "strike": 600.0, "dte": 30.0, "sigma": 0.18, "r": 0.045, "q": 0.013}


def test_greeks_is_the_view(client: httpx.Client) -> None:
    response = client.get("/v1/pricing/greeks", params={**BASE, "type": "put"})
    assert response.status_code == 200
    body = response.json()
    assert body == greeks_view(580.0, 600.0, 30.0, 0.18, "put", 0.045, 0.013)
    assert body["inputs"] == {
        "spot": 580.0, "strike": 600.0, "dte": 30.0, "sigma": 18.0, "type": "put",
        "risk_free_rate": 0.045, "dividend_yield": 0.013,
    }  # fmt: skip
    assert set(body) == {
        "inputs", "theoretical_price", "first_order", "second_order", "third_order", "additional",
    }  # fmt: skip
    assert set(body["additional"]) == {"lambda", "veta"}


def _value(field: str, **change: float) -> float:
    args = {**BASE, **change}
    body = greeks_view(args["spot"], args["strike"], args["dte"], args["sigma"], "call",
                       args["r"], args["q"])  # fmt: skip
    if field == "price":
        return float(body["theoretical_price"])
    for block in ("first_order", "second_order", "third_order", "additional"):
        if field in body[block]:
            return float(body[block][field])
    raise KeyError(field)


def _slope(field: str, name: str, h: float) -> float:
    """Central difference of ``field`` in the input ``name``."""
    up = _value(field, **{name: BASE[name] + h})
    down = _value(field, **{name: BASE[name] - h})
    return (up - down) / (2.0 * h)


# (greek, its definition as a derivative of another output) in the SDK's units
DEFINITIONS: list[tuple[str, Callable[[], float]]] = [
    ("delta", lambda: _slope("price", "spot", 1e-3)),
    ("gamma", lambda: _slope("delta", "spot", 1e-3)),
    ("theta", lambda: -_slope("price", "dte", 1e-3)),  # per calendar day, time forward
    ("vega", lambda: _slope("price", "sigma", 1e-5) * 0.01),  # per vol point
    ("rho", lambda: _slope("price", "r", 1e-5) * 1e-4),  # per basis point
    ("vanna", lambda: _slope("delta", "sigma", 1e-5) * 0.01),
    ("charm", lambda: -_slope("delta", "dte", 1e-3)),
    ("vomma", lambda: _slope("vega", "sigma", 1e-5) * 0.01),  # vega per point, per point
    ("dual_delta", lambda: _slope("price", "strike", 1e-3)),
    ("speed", lambda: _slope("gamma", "spot", 1e-3)),
    ("zomma", lambda: _slope("gamma", "sigma", 1e-5) * 0.01),
    ("color", lambda: -_slope("gamma", "dte", 1e-3)),
    ("ultima", lambda: _slope("vomma", "sigma", 1e-5) * 0.01),
    ("veta", lambda: -_slope("vega", "dte", 1e-3)),
]


@pytest.mark.parametrize(("greek", "definition"), DEFINITIONS, ids=[d[0] for d in DEFINITIONS])
def test_units_are_the_sdks(greek: str, definition: Callable[[], float]) -> None:
    got = _value(greek)
    want = definition()
    assert got == pytest.approx(want, rel=2e-5, abs=1e-12), (greek, got, want)


def test_lambda_is_the_elasticity() -> None:
    assert _value("lambda") == pytest.approx(_value("delta") * 580.0 / _value("price"), rel=1e-12)


@pytest.mark.parametrize("kind", ["call", "put"])
def test_iv_inverts_the_greeks_premium(client: httpx.Client, kind: str) -> None:
    priced = client.get("/v1/pricing/greeks", params={**BASE, "type": kind}).json()
    params = {k: v for k, v in BASE.items() if k != "sigma"}
    response = client.get(
        "/v1/pricing/iv", params={**params, "price": priced["theoretical_price"], "type": kind}
    )
    assert response.status_code == 200
    body = response.json()
    assert body == iv_view(580.0, 600.0, 30.0, priced["theoretical_price"], kind, 0.045, 0.013)
    assert body["implied_volatility"] == pytest.approx(0.18, rel=1e-12)
    assert body["implied_volatility_pct"] == pytest.approx(18.0, rel=1e-12)
    assert body["inputs"]["price"] == priced["theoretical_price"]
    assert body["inputs"]["type"] == kind


def test_defaults_and_type_aliases(client: httpx.Client) -> None:
    plain = client.get("/v1/pricing/greeks?spot=100&strike=100&dte=10&sigma=0.3").json()
    assert plain["inputs"]["type"] == "call"
    assert plain["inputs"]["risk_free_rate"] == 0.0 and plain["inputs"]["dividend_yield"] == 0.0
    for alias, kind in (("P", "put"), ("Put", "put"), ("c", "call"), ("CALL", "call")):
        body = client.get(f"/v1/pricing/greeks?spot=100&strike=100&dte=10&sigma=0.3&type={alias}")
        assert body.status_code == 200 and body.json()["inputs"]["type"] == kind


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("strike=100&dte=10&sigma=0.3", "invalid_spot"),
        ("spot=0&strike=100&dte=10&sigma=0.3", "invalid_spot"),
        ("spot=nan&strike=100&dte=10&sigma=0.3", "invalid_spot"),
        ("spot=100&strike=inf&dte=10&sigma=0.3", "invalid_strike"),
        ("spot=100&strike=100&dte=0&sigma=0.3", "invalid_dte"),
        ("spot=100&strike=100&dte=10&sigma=18", "invalid_sigma"),  # percent by mistake
        ("spot=100&strike=100&dte=10&sigma=0.3&type=straddle", "invalid_type"),
        ("spot=100&strike=100&dte=10&sigma=0.3&r=2", "invalid_r"),
        ("spot=100&strike=100&dte=10&sigma=0.3&q=x", "invalid_q"),
    ],
)
def test_bad_greeks_queries_are_400(client: httpx.Client, query: str, code: str) -> None:
    response = client.get(f"/v1/pricing/greeks?{query}")
    assert response.status_code == 400 and response.json()["error"] == code


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("spot=100&strike=80&dte=30&price=19", "intrinsic"),  # worth at least 20
        ("spot=100&strike=80&dte=30&price=101", "most the option can be worth"),
        ("spot=100&strike=120&dte=30&price=130&type=put", "most the option can be worth"),
    ],
)
def test_premiums_outside_the_bounds_are_400(client: httpx.Client, query: str, words: str) -> None:
    response = client.get(f"/v1/pricing/iv?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_price" and words in body["message"]


def test_extreme_inputs_answer_numbers_or_null(client: httpx.Client) -> None:
    for query in (
        "spot=1e9&strike=1e-300&dte=36500&sigma=5",
        "spot=1e-300&strike=1e9&dte=1e-9&sigma=1e-300&r=-1&q=1",
        "spot=100&strike=100&dte=1e-12&sigma=5&type=put",
    ):
        response = client.get(f"/v1/pricing/greeks?{query}")
        assert response.status_code == 200, query
        for block in ("first_order", "second_order", "third_order", "additional"):
            for value in response.json()[block].values():
                assert value is None or math.isfinite(value)


def test_a_key_is_required(client: httpx.Client) -> None:
    response = httpx.get(f"{client.base_url}/v1/pricing/greeks", params={**BASE})
    assert response.status_code == 401
