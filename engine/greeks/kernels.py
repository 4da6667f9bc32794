"""Compiled greek kernels: one loop over contracts, vectorized by LLVM.

Generalized Black-Scholes-Merton with cost of carry ``b`` (docs/conventions.md): equity, ETF and index
options use ``b = r - q``; Black-76 on a future uses ``b = 0`` with the future as ``S``.
Units are raw and analytic: price per unit of underlying, vega and vanna per 1.00 of vol,
charm = dDelta/dt with calendar time running forward (per year), theta per year.

Invalid inputs (non-finite, or S, K, T, vol not strictly positive) give NaN in every output
of that contract, never a number.

The plain-Python twins are in :mod:`engine.greeks.twins`; the public entry points that
choose between them are in :mod:`engine.greeks` (``bsm``, ``black76``).
"""

from __future__ import annotations

import math

from numba import prange

from engine._jit import kernel, scalar
from engine._math import INV_SQRT_2PI, exp_, gauss, log_, ncdf, ncdf_from_gauss

__all__ = ["all_greeks_kernel", "dealer_greeks_kernel"]


@scalar
def _valid(S: float, K: float, T: float, v: float, r: float, b: float) -> bool:
    ok = (S > 0.0) & (K > 0.0) & (T > 0.0) & (v > 0.0)
    ok = ok & (math.inf > S) & (math.inf > K) & (math.inf > T) & (v < math.inf)
    return ok & (abs(r) < math.inf) & (abs(b) < math.inf)


@kernel()
def all_greeks_kernel(S, K, T, r, b, v, is_call, out):  # type: ignore[no-untyped-def]
    """Fill ``out[0..6][i]`` with price, delta, gamma, vega, vanna, charm, theta.

    ``out`` is a (7, n) float64 array or a tuple of seven float64 arrays of length n (one
    compiled specialization each; the public functions always pass the tuple).
    """
    n = S.shape[0]
    # one row per statement: with Numba 0.68, ``a, b, c, d = out[0], out[1], out[2], out[3]``
    # before a prange loop silently drops the loop's writes to those arrays
    o_price = out[0]
    o_delta = out[1]
    o_gamma = out[2]
    o_vega = out[3]
    o_vanna = out[4]
    o_charm = out[5]
    o_theta = out[6]
    for i in prange(n):
        s = S[i]
        k = K[i]
        t = T[i]
        vol = v[i]
        rr = r[i]
        bb = b[i]
        phi = 1.0 if is_call[i] else -1.0
        sqt = math.sqrt(t)
        vst = vol * sqt
        d1 = (log_(s / k) + (bb + 0.5 * vol * vol) * t) / vst
        d2 = d1 - vst
        cdf_ = exp_((bb - rr) * t)
        df = exp_(-rr * t)
        g1 = gauss(d1)
        n1 = INV_SQRT_2PI * g1
        nd1 = ncdf_from_gauss(phi * d1, g1)
        nd2 = ncdf(phi * d2)
        cn1 = cdf_ * n1
        price = phi * (s * cdf_ * nd1 - k * df * nd2)
        delta = phi * cdf_ * nd1
        gamma = cn1 / (s * vst)
        vega = s * cn1 * sqt
        vanna = -cn1 * d2 / vol
        charm = -(cn1 * (bb / vst - d2 / (2.0 * t)) + phi * (bb - rr) * cdf_ * nd1)
        theta = (
            -s * cn1 * vol / (2.0 * sqt)
            - phi * (bb - rr) * s * cdf_ * nd1
            - phi * rr * k * df * nd2
        )
        nan = math.nan
        ok = _valid(s, k, t, vol, rr, bb)
        o_price[i] = price if ok else nan
        o_delta[i] = delta if ok else nan
        o_gamma[i] = gamma if ok else nan
        o_vega[i] = vega if ok else nan
        o_vanna[i] = vanna if ok else nan
        o_charm[i] = charm if ok else nan
        o_theta[i] = theta if ok else nan


@kernel()
def dealer_greeks_kernel(S, K, T, r, b, v, is_call, out):  # type: ignore[no-untyped-def]
    """Fill ``out[0..5][i]`` with delta, gamma, vanna, charm, speed, vomma: what the dealer
    exposures of :mod:`engine.exposure.metrics` read.

    Saves the second normal distribution call and the price/theta arithmetic of
    :func:`all_greeks_kernel`; delta, gamma, vanna and charm are bit-identical to its rows
    1, 2, 4, 5. ``speed = dGamma/dS = −gamma/S · (1 + d1/(σ√T))`` and ``vomma = dVega/dσ =
    vega · d1 · d2 / σ`` (per 1.00 of vol squared). ``out`` is a (6, n) float64 array or a
    tuple of six float64 arrays of length n.
    """
    n = S.shape[0]
    o_delta = out[0]  # one row per statement (see all_greeks_kernel)
    o_gamma = out[1]
    o_vanna = out[2]
    o_charm = out[3]
    o_speed = out[4]
    o_vomma = out[5]
    for i in prange(n):
        s = S[i]
        k = K[i]
        t = T[i]
        vol = v[i]
        rr = r[i]
        bb = b[i]
        phi = 1.0 if is_call[i] else -1.0
        sqt = math.sqrt(t)
        vst = vol * sqt
        d1 = (log_(s / k) + (bb + 0.5 * vol * vol) * t) / vst
        d2 = d1 - vst
        cdf_ = exp_((bb - rr) * t)
        g1 = gauss(d1)
        n1 = INV_SQRT_2PI * g1
        nd1 = ncdf_from_gauss(phi * d1, g1)
        cn1 = cdf_ * n1
        delta = phi * cdf_ * nd1
        gamma = cn1 / (s * vst)
        vanna = -cn1 * d2 / vol
        charm = -(cn1 * (bb / vst - d2 / (2.0 * t)) + phi * (bb - rr) * cdf_ * nd1)
        speed = -gamma / s * (1.0 + d1 / vst)
        vomma = s * cn1 * sqt * d1 * d2 / vol
        nan = math.nan
        ok = _valid(s, k, t, vol, rr, bb)
        o_delta[i] = delta if ok else nan
        o_gamma[i] = gamma if ok else nan
        o_vanna[i] = vanna if ok else nan
        o_charm[i] = charm if ok else nan
        o_speed[i] = speed if ok else nan
        o_vomma[i] = vomma if ok else nan
