"""Pricing calculator views: ``GET /v1/pricing/greeks`` and ``GET /v1/pricing/iv`` (docs/api.md).

One European option under Black-Scholes-Merton with a continuous dividend yield: ``spot``
and ``strike`` in the underlying's units, ``dte`` calendar days (``T = dte / 365`` years),
``sigma``, ``r`` and ``q`` decimals (0.2 = 20 %). Price, delta, gamma, vega, vanna, charm
and theta come from the kernels of :func:`engine.greeks.bsm` (the premium through
:func:`engine.iv.solve.black_price`, exact in the wings), speed and vomma from
:func:`engine.greeks.dealer_greeks`, the rest from :mod:`engine.greeks.higher`; the implied
vol from :func:`engine.iv.solve.implied_vol`. The SDK's units (its ``PricingGreeksResponse``):

=================  ==========================================================================
theoretical_price  premium per unit of underlying
delta, gamma       dV/dS, d²V/dS²
theta              dV/dt per calendar day (time running forward: negative for decay)
vega               dV/dσ per vol point (0.01 of σ)
rho                dV/dr per basis point (0.0001 of r), the dividend yield held
vanna              dDelta/dσ per vol point
charm              dDelta/dt per calendar day
vomma              dVega/dσ: d²V/dσ² per vol point squared
dual_delta         dV/dK
speed              dGamma/dS
zomma              dGamma/dσ per vol point
color              dGamma/dt per calendar day
ultima             d³V/dσ³ per vol point cubed
lambda             elasticity ``delta · spot / price`` (null when the price is 0)
veta               dVega/dt: vega per vol point, per calendar day
=================  ==========================================================================

``inputs`` echoes the request: ``sigma`` in percentage points (the SDK's convention: 0.2 in
the query is 20.0 here), ``risk_free_rate`` and ``dividend_yield`` as decimals. A number
that cannot be computed is ``None``.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from api.service.errors import ApiError
from api.views._common import finite
from engine.greeks import bsm, dealer_greeks
from engine.greeks.higher import higher_greeks
from engine.iv.solve import REASON_NAMES, IVReason, black_price, implied_vol

__all__ = ["DAYS_PER_YEAR", "greeks_view", "iv_view", "option_type"]

DAYS_PER_YEAR: Final = 365.0
"""Calendar days per year of ``dte`` (and of every per-day greek)."""
VOL_POINT: Final = 0.01
BASIS_POINT: Final = 1e-4

_TYPES: Final = {"call": "call", "c": "call", "put": "put", "p": "put"}


def option_type(raw: str) -> str:
    """``call``/``put`` (also ``c``/``p``, any case); anything else is 400 ``invalid_type``."""
    value = _TYPES.get(raw.strip().lower())
    if value is None:
        raise ApiError(400, "invalid_type", "type must be call or put.")
    return value


def _inputs(
    spot: float, strike: float, dte: float, extra: tuple[str, float], call: bool, r: float, q: float
) -> dict[str, Any]:
    """The echo, in the SDK's order (``extra``: ``sigma`` or ``price`` after ``dte``)."""
    return {"spot": finite(spot), "strike": finite(strike), "dte": finite(dte),
            extra[0]: finite(extra[1]), "type": "call" if call else "put",
            "risk_free_rate": finite(r), "dividend_yield": finite(q)}  # fmt: skip


def _one(value: Any) -> float | None:
    return finite(float(np.asarray(value).reshape(-1)[0]))


def greeks_view(
    spot: float, strike: float, dte: float, sigma: float, kind: str, r: float = 0.0, q: float = 0.0
) -> dict[str, Any]:
    """``GET /v1/pricing/greeks``: premium and greeks of one option (module docstring)."""
    call = option_type(kind) == "call"
    t = dte / DAYS_PER_YEAR
    g = bsm(spot, strike, t, r, q, sigma, call)
    d = dealer_greeks(spot, strike, t, r, r - q, sigma, call)
    h = higher_greeks(spot, strike, t, r, q, sigma, call)
    price = _one(black_price(spot, strike, t, r, r - q, sigma, call))
    delta = _one(g.delta)
    leverage = None
    if price is not None and delta is not None and price > 0.0:
        leverage = finite(delta * spot / price)
    return {
        "inputs": _inputs(spot, strike, dte, ("sigma", sigma * 100.0), call, r, q),
        "theoretical_price": price,
        "first_order": {
            "delta": delta,
            "gamma": _one(g.gamma),
            "theta": _one(g.theta / DAYS_PER_YEAR),
            "vega": _one(g.vega * VOL_POINT),
            "rho": _one(h.rho * BASIS_POINT),
        },
        "second_order": {
            "vanna": _one(g.vanna * VOL_POINT),
            "charm": _one(g.charm / DAYS_PER_YEAR),
            "vomma": _one(d.vomma * VOL_POINT**2),
            "dual_delta": _one(h.dual_delta),
        },
        "third_order": {
            "speed": _one(d.speed),
            "zomma": _one(h.zomma * VOL_POINT),
            "color": _one(h.color / DAYS_PER_YEAR),
            "ultima": _one(h.ultima * VOL_POINT**3),
        },
        "additional": {
            "lambda": leverage,
            "veta": _one(h.veta * VOL_POINT / DAYS_PER_YEAR),
        },
    }


_WHY: Final[dict[int, str]] = {
    IVReason.BELOW_INTRINSIC: "is at or below the option's intrinsic value (no time value to "
    "invert)",
    IVReason.ABOVE_MAXIMUM: "is at or above the most the option can be worth (the discounted "
    "forward for a call, the discounted strike for a put)",
    IVReason.T_NOT_POSITIVE: "leaves no time to expiry",
    IVReason.INVALID_INPUT: "cannot be inverted with these inputs",
    IVReason.NO_CONVERGENCE: "did not converge to an implied volatility",
}


def iv_view(
    spot: float, strike: float, dte: float, price: float, kind: str, r: float = 0.0, q: float = 0.0
) -> dict[str, Any]:
    """``GET /v1/pricing/iv``: the volatility whose BSM premium is ``price``, as a decimal and
    in percent. A price outside the no-arbitrage bounds is 400 ``invalid_price`` (the
    message says which bound)."""
    call = option_type(kind) == "call"
    t = dte / DAYS_PER_YEAR
    result = implied_vol(price, spot, strike, t, r, r - q, call)
    code = int(np.asarray(result.reason).reshape(-1)[0])
    vol = _one(result.iv)
    if code != IVReason.OK or vol is None:
        why = _WHY.get(code, REASON_NAMES.get(code, "cannot be inverted"))
        raise ApiError(400, "invalid_price", f"price {price:g} {why}.")
    return {
        "inputs": _inputs(spot, strike, dte, ("price", price), call, r, q),
        "implied_volatility": vol,
        "implied_volatility_pct": finite(vol * 100.0),
    }
