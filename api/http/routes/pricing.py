"""The pricing calculators: ``GET /v1/pricing/greeks`` and ``GET /v1/pricing/iv`` (docs/api.md).

Pure functions of the query (no chain, no cache): Black-Scholes-Merton premium and first-,
second- and third-order greeks of one European option, and the implied volatility of a
premium (:mod:`api.views.pricing`, units there). ``sigma``, ``r`` and ``q`` are decimals,
``dte`` calendar days; ``type`` is ``call`` or ``put`` (``c``/``p``, any case). Values out of
range are 400 ``invalid_<parameter>``; a premium outside the no-arbitrage bounds is 400
``invalid_price``. The computation is microseconds of compiled kernels, so it runs on the
event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from api.http.deps import Authorized
from api.http.errors import AUTH_RESPONSES
from api.http.routes._respond import json_response
from api.schemas.pricing import GreeksResponse, IvResponse
from api.views.pricing import greeks_view, iv_view

__all__ = ["router"]

router = APIRouter(prefix="/v1/pricing", tags=["pricing"], responses=AUTH_RESPONSES)

TYPE_PATTERN = r"^([cC]([aA][lL][lL])?|[pP]([uU][tT])?)$"


def _positive(description: str, upper: float, example: float) -> Any:
    return Query(gt=0, le=upper, allow_inf_nan=False, description=description,
                 examples=[example])  # fmt: skip


Spot = Annotated[float, _positive("Underlying price (> 0).", 1e9, 580.0)]
Strike = Annotated[float, _positive("Strike, in the underlying's units (> 0).", 1e9, 580.0)]
Dte = Annotated[
    float, _positive("Calendar days to expiry (> 0; fractions allowed; T = dte/365).", 36_500, 30)
]
Sigma = Annotated[
    float,
    _positive("Volatility as a decimal, 0 < sigma <= 5 (0.18 = 18 %).", 5.0, 0.18),
]
Price = Annotated[float, _positive("Option premium per unit of underlying (> 0).", 1e9, 10.5)]
OptionType = Annotated[
    str,
    Query(pattern=TYPE_PATTERN, description="call or put (also c, p; any case).",
          examples=["call"]),
]  # fmt: skip
Rate = Annotated[
    float,
    Query(ge=-1.0, le=1.0, allow_inf_nan=False, examples=[0.045],
          description="Risk-free rate, continuous, decimal (default 0)."),
]  # fmt: skip
Yield = Annotated[
    float,
    Query(ge=-1.0, le=1.0, allow_inf_nan=False, examples=[0.013],
          description="Dividend yield, continuous, decimal (default 0)."),
]  # fmt: skip


@router.get("/greeks", operation_id="pricing_greeks", response_model=GreeksResponse)
async def greeks(
    _: Authorized,
    spot: Spot,
    strike: Strike,
    dte: Dte,
    sigma: Sigma,
    type: OptionType = "call",
    r: Rate = 0.0,
    q: Yield = 0.0,
) -> Response:
    """Black-Scholes-Merton premium and greeks of one European option: first order (delta,
    gamma, theta per day, vega per vol point, rho per basis point), second (vanna, charm,
    vomma, dual delta), third (speed, zomma, color, ultima), lambda and veta. The SDK's
    ``greeks``."""
    return json_response(greeks_view(spot, strike, dte, sigma, type, r, q))


@router.get("/iv", operation_id="pricing_iv", response_model=IvResponse)
async def iv(
    _: Authorized,
    spot: Spot,
    strike: Strike,
    dte: Dte,
    price: Price,
    type: OptionType = "call",
    r: Rate = 0.0,
    q: Yield = 0.0,
) -> Response:
    """The implied volatility of a premium under Black-Scholes-Merton (Jäckel's "Let's Be
    Rational"), as a decimal and in percent. A premium at or below intrinsic value, or at or
    above the option's maximum, is 400 ``invalid_price``. The SDK's ``iv``."""
    return json_response(iv_view(spot, strike, dte, price, type, r, q))
