"""Closed forms of the Black-Scholes-Merton greeks the kernels do not compute.

The pricing calculator (``GET /v1/pricing/greeks``) reports first-, second- and third-order
greeks of one option. Price, delta, gamma, vega, vanna, charm and theta come from
:func:`engine.greeks.bsm`, speed and vomma from :func:`engine.greeks.dealer_greeks`; this
module adds the rest as plain numpy closed forms of the generalized BSM model with carry
``b = rate - div_yield`` (Haug, *The Complete Guide to Option Pricing Formulas*, 2nd ed.,
ch. 2), in the raw units of :mod:`engine.greeks`:

============  ===========================================================================
rho           dV/dr with the dividend yield held: ``φ·K·T·e^{-rT}·N(φ·d2)`` (per 1.00)
dual_delta    dV/dK: ``-φ·e^{-rT}·N(φ·d2)``
zomma         dGamma/dσ: ``Γ·(d1·d2 - 1)/σ`` (per 1.00 of vol)
color         dGamma/dt, calendar time running forward (per year):
              ``Γ·(q + b·d1/(σ√T) + (1 - d1·d2)/(2T))``
ultima        d³V/dσ³: ``-vega/σ²·(d1·d2·(1 - d1·d2) + d1² + d2²)`` (per 1.00 of vol, cubed)
veta          dVega/dt, calendar time running forward (per year, vega per 1.00 of vol):
              ``vega·(q + b·d1/(σ√T) - (1 + d1·d2)/(2T))``
============  ===========================================================================

with ``φ = +1`` for a call and ``-1`` for a put, ``d1 = (ln(S/K) + (b + σ²/2)T)/(σ√T)``,
``d2 = d1 - σ√T``, ``Γ = e^{(b-r)T}·n(d1)/(S·σ√T)`` and ``vega = S·e^{(b-r)T}·n(d1)·√T``.
Arguments are numpy arrays or scalars, broadcast against each other; invalid inputs (S, K,
t or vol not strictly positive, or not finite) give NaN in every field, as the kernels do.
Each closed form is checked against 50-digit numerical derivatives of the price.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from engine.typing import FloatArray

__all__ = ["HigherGreeks", "higher_greeks"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class HigherGreeks(NamedTuple):
    """The greeks of the module docstring, raw units, one array each."""

    rho: FloatArray
    dual_delta: FloatArray
    zomma: FloatArray
    color: FloatArray
    ultima: FloatArray
    veta: FloatArray


def higher_greeks(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    rate: npt.ArrayLike,
    div_yield: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> HigherGreeks:
    """Rho, dual delta, zomma, color, ultima and veta (see the module docstring)."""
    S, K, T, r, q, v = (np.asarray(a, dtype=np.float64) for a in (spot, strike, t, rate,
                                                                   div_yield, vol))  # fmt: skip
    phi = np.where(np.asarray(is_call, dtype=np.bool_), 1.0, -1.0)
    valid = (
        np.isfinite(S) & np.isfinite(K) & np.isfinite(T) & np.isfinite(v)
        & np.isfinite(r) & np.isfinite(q) & (S > 0) & (K > 0) & (T > 0) & (v > 0)
    )  # fmt: skip
    with np.errstate(all="ignore"):
        b = r - q
        root_t = np.sqrt(T)
        vst = v * root_t
        d1 = (np.log(S / K) + (b + 0.5 * v * v) * T) / vst
        d2 = d1 - vst
        density = np.exp(-0.5 * d1 * d1) * _INV_SQRT_2PI
        carry_discount = np.exp(-q * T)  # e^{(b-r)T}
        discount = np.exp(-r * T)
        gamma = carry_discount * density / (S * vst)
        vega = S * carry_discount * density * root_t
        d12 = d1 * d2
        n_d2 = ndtr(phi * d2)
        fields = (
            phi * K * T * discount * n_d2,
            -phi * discount * n_d2,
            gamma * (d12 - 1.0) / v,
            gamma * (q + b * d1 / vst + (1.0 - d12) / (2.0 * T)),
            -vega / (v * v) * (d12 * (1.0 - d12) + d1 * d1 + d2 * d2),
            vega * (q + b * d1 / vst - (1.0 + d12) / (2.0 * T)),
        )
    return HigherGreeks(*(np.where(valid, f, np.nan) for f in fields))
