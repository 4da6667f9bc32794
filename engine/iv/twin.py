"""Plain-Python twin of the implied-volatility kernels (:mod:`engine.iv.kernels`).

The same algorithm step for step — Jäckel's "Let's Be Rational" in normalised form, see
:mod:`engine.iv.kernels` for the description — written with ``math`` functions and real
branches; N(x) is the textbook Cody of :mod:`engine.greeks.twins`, and Y = N/n and the other
pure-arithmetic pieces come from :mod:`engine.iv._lbr`, as in the kernels. Used by the tests
(twin and kernel must agree) and when ``GEX_ENGINE_PURE_PYTHON=1`` is set.
"""

from __future__ import annotations

import math
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from engine import _math as m
from engine.greeks.twins import ncdf_twin
from engine.iv import _lbr as lbr
from engine.typing import BoolArray, FloatArray

Int8Array: TypeAlias = npt.NDArray[np.int8]

__all__ = [
    "black_price_twin",
    "black_vega",
    "implied_vol_quotes_twin",
    "implied_vol_twin",
    "normalised_intrinsic",
    "solve_normalised",
]

INV_SQRT_2PI = m.INV_SQRT_2PI


def _tail(y: float) -> float:
    """N(-y)·exp(y²/2) for y >= 0.67448975 (Cody's middle or far rational)."""
    if y <= m.SQRT32:
        return lbr.cody_mid(y)
    iy = 1.0 / y
    return (INV_SQRT_2PI - lbr.far_rational(iy * iy)) * iy


def _y(z: float) -> float:
    """Y(z) = N(z)/n(z) for z <= 0.85, without the exponential in the tail."""
    if z < -0.67448975:
        return lbr.SQRT_2PI * _tail(-z)
    g = math.exp(-0.5 * z * z)
    cdf = 0.5 + z * lbr.cody_central_ratio(z * z) if z <= 0.67448975 else 1.0 - g * _tail(z)
    return cdf / (INV_SQRT_2PI * g)


def _a(h: float) -> float:
    """a = 1 + h·Y(h) for h <= 0; in the far tail from Cody's asymptotic rational directly."""
    if h < -m.SQRT32:
        return lbr.SQRT_2PI * lbr.far_rational(1.0 / (h * h))
    return 1.0 + h * _y(h)


def _inflection(x: float, y: float, b_max: float) -> tuple[float, float]:
    """(b, db/ds) at the inflection point s_c = y = √(2|x|), in closed form (h + t = 0)."""
    if y > 0.67448975:
        b = b_max * (0.5 - _tail(y))
    else:
        b = -0.5 * normalised_intrinsic(-x) + y * lbr.cody_central_ratio(y * y) / b_max
    return b, INV_SQRT_2PI * b_max


def black_vega(x: float, s: float) -> tuple[float, float]:
    """(b(x, s), db/ds) for x <= 0 (the out-of-the-money call); db/ds = e^{-(h²+t²)/2}/√(2π)."""
    if not s > 0.0:
        return 0.0, (INV_SQRT_2PI if x == 0.0 else 0.0)
    h = x / s
    t = 0.5 * s
    vega = INV_SQRT_2PI * math.exp(-0.5 * (h * h + t * t))
    if t < lbr.SMALL_T:
        b = vega * 2.0 * t * lbr.small_t_series(_a(h), h * h, t * t)
    elif h + t > lbr.H_PLUS_T_DIRECT:
        bmax = math.exp(0.5 * x)
        b = ncdf_twin(h + t) * bmax - ncdf_twin(h - t) / bmax
    else:
        b = vega * (_y(h + t) - _y(h - t))
    return max(b, 0.0), vega


def normalised_intrinsic(x: float) -> float:
    """e^{x/2} - e^{-x/2} for x > 0 (series near 0), else 0."""
    if x <= 0.0:
        return 0.0
    x2 = x * x
    if x2 < 0.0119:
        p = 1.0 / 322560.0 + x2 / 92897280.0
        return x * (1.0 + x2 * (1.0 / 24.0 + x2 * (1.0 / 1920.0 + x2 * p)))
    return math.exp(0.5 * x) - math.exp(-0.5 * x)


def _inverse_ncdf(p: float) -> float:
    """Acklam's N⁻¹(p) (~1e-9 relative): enough for a first guess."""
    if lbr.ACKLAM_LOW <= p <= 1.0 - lbr.ACKLAM_LOW:
        return lbr.acklam_central(p)
    z = lbr.acklam_tail(math.sqrt(-2.0 * math.log(min(p, 1.0 - p))))
    return -z if p < 0.5 else z


def _lower_map(x: float, s: float) -> tuple[float, float, float]:
    """Jäckel's lower map f = c·|x|·N(-z)³, z = |x|/(√3 s), with df/dβ and d²f/dβ²."""
    ax = abs(x)
    z = ax / (lbr.SQRT3 * s)
    y = z * z
    s2 = s * s
    cdf = ncdf_twin(-z)
    pdf = INV_SQRT_2PI * math.exp(-0.5 * y)
    fpp = (math.pi / 6.0) * y / (s2 * s) * cdf
    fpp *= 8.0 * lbr.SQRT3 * s * ax + (3.0 * s2 * (s2 - 8.0) - 8.0 * x * x) * cdf / pdf
    fpp *= math.exp(2.0 * y + 0.25 * s2)
    fp = 2.0 * math.pi * y * cdf * cdf * math.exp(y + 0.125 * s2)
    return lbr.LOWER_MAP_SCALE * ax * cdf * cdf * cdf, fp, fpp


def _upper_map(x: float, s: float) -> tuple[float, float, float]:
    """Jäckel's upper map f = N(-s/2), with df/dβ and d²f/dβ²."""
    w = (x / s) * (x / s)
    fp = -0.5 * math.exp(0.5 * w)
    fpp = lbr.SQRT_HALF_PI * math.exp(w + 0.125 * s * s) * w / s
    return ncdf_twin(-0.5 * s), fp, fpp


def _control(
    xl: float,
    xr: float,
    yl: float,
    yr: float,
    dl: float,
    dr: float,
    d2: float,
    left: bool,
    shape: bool,
) -> float:
    """Convex rational-cubic control parameter fitting ``d2`` at the left/right end."""
    r = lbr.control_to_fit(xl, xr, yl, yr, dl, dr, d2, left)
    return max(r, lbr.minimum_control(dl, dr, (yr - yl) / (xr - xl), shape))


def solve_normalised(beta: float, x: float) -> tuple[float, bool]:
    """s = σ√T with b(x, s) = beta, for x <= 0 and 0 < beta < e^{x/2}: (s, converged)."""
    b_max = math.exp(0.5 * x)
    s_c = math.sqrt(abs(2.0 * x))
    b_c, v_c = _inflection(x, s_c, b_max)
    s_left = lbr.DBL_MIN
    s_right = lbr.DBL_MAX
    mode = lbr.MODE_PRICE
    if beta < b_c:
        s_l = s_c - b_c / v_c
        b_l, v_l = black_vega(x, s_l)
        if beta < b_l:
            f_l, fp_l, fpp_l = _lower_map(x, s_l)
            r = _control(0.0, b_l, 0.0, f_l, 1.0, fp_l, fpp_l, False, True)
            f = lbr.rational_cubic(beta, 0.0, b_l, 0.0, f_l, 1.0, fp_l, r)
            if not f > 0.0:
                u = beta / b_l
                f = (f_l * u + b_l * (1.0 - u)) * u
            p = math.exp(math.log(f / (lbr.LOWER_MAP_SCALE * abs(x))) / 3.0)
            s = abs(x / (lbr.SQRT3 * _inverse_ncdf(p)))
            s_right = s_l
            mode = lbr.MODE_LOWER
        else:
            r = _control(b_l, b_c, s_l, s_c, 1 / v_l, 1 / v_c, 0.0, False, False)
            s = lbr.rational_cubic(beta, b_l, b_c, s_l, s_c, 1.0 / v_l, 1.0 / v_c, r)
            s_left = s_l
            s_right = s_c
    else:
        s_h = s_c + (b_max - b_c) / v_c if v_c > lbr.DBL_MIN else s_c
        b_h, v_h = black_vega(x, s_h)
        if beta <= b_h:
            r = _control(b_c, b_h, s_c, s_h, 1 / v_c, 1 / v_h, 0.0, True, False)
            s = lbr.rational_cubic(beta, b_c, b_h, s_c, s_h, 1.0 / v_c, 1.0 / v_h, r)
            s_left = s_c
            s_right = s_h
        else:
            f_h, fp_h, fpp_h = _upper_map(x, s_h)
            r = _control(b_h, b_max, f_h, 0.0, fp_h, -0.5, fpp_h, True, True)
            f = lbr.rational_cubic(beta, b_h, b_max, f_h, 0.0, fp_h, -0.5, r)
            if not f > 0.0:
                hh = b_max - b_h
                u = (beta - b_h) / hh
                f = (f_h * (1.0 - u) + 0.5 * hh * u) * (1.0 - u)
            s = -2.0 * _inverse_ncdf(f)
            s_left = s_h
            mode = lbr.MODE_UPPER if beta > 0.5 * b_max else lbr.MODE_PRICE
    s = lbr.start_in_bracket(s, s_left, s_right, s_c)
    return _iterate(beta, x, b_max, s, s_left, s_right, mode)


def _iterate(
    beta: float, x: float, b_max: float, s: float, s_left: float, s_right: float, mode: int
) -> tuple[float, bool]:
    """Householder(3) steps on the branch's objective; bisection when a step leaves the bracket."""
    ds = lbr.DBL_MAX
    ds_prev = 0.0
    reversals = 0
    ln_beta = math.log(beta)
    for it in range(lbr.MAX_ITERATIONS):
        if ds * ds_prev < 0.0:
            reversals += 1
        bisect = it > 0 and (reversals == 3 or not (s_left < s < s_right))
        if bisect:
            s = 0.5 * (s_left + s_right)
            if s_right - s_left <= lbr.DBL_EPSILON * s:
                return s, True
            reversals = 0
            ds = 0.0
        ds_prev = ds
        b, bp = black_vega(x, s)
        if b > beta and s < s_right:
            s_right = s
        elif b < beta and s > s_left:
            s_left = s
        stepped = True
        b_halley, b_hh3 = lbr.halley_terms(x, s)
        if mode == lbr.MODE_LOWER and b > 0.0 and bp > 0.0:
            terms = lbr.lower_terms(b_halley, b_hh3, b, bp, math.log(b), ln_beta)
        elif mode == lbr.MODE_UPPER and b < b_max and bp > lbr.DBL_MIN:
            gap = b_max - b
            g = math.log((b_max - beta) / gap)
            terms = lbr.upper_terms(b_halley, b_hh3, bp, gap, g)
        elif mode == lbr.MODE_PRICE and bp > 0.0:
            terms = ((beta - b) / bp, b_halley, b_hh3)
        else:
            stepped = False
        midpoint = 0.5 * (s_left + s_right) - s
        ds = terms[0] * lbr.householder_factor(*terms) if stepped else midpoint
        ds = max(-0.5 * s, ds)
        s += ds
        if stepped and not bisect and abs(ds) <= lbr.CONVERGED_STEP * s:
            return s, True
    return s, False


def _contract_reason(S: float, K: float, T: float, r: float, b: float) -> int:
    finite = all(math.isfinite(z) for z in (S, K, T, r, b))
    if not (finite and S > 0.0 and K > 0.0):
        return lbr.INVALID_INPUT
    return lbr.OK if T > 0.0 else lbr.T_NOT_POSITIVE


def _solve(
    price: float, S: float, K: float, T: float, r: float, b: float, call: bool
) -> tuple[float, int]:
    """(iv, reason) for one contract whose contract-level inputs are valid."""
    if not math.isfinite(price):
        return math.nan, lbr.INVALID_INPUT
    F = S * math.exp(b * T)
    x = math.log(F / K)
    beta = price / (math.exp(-r * T) * math.sqrt(F) * math.sqrt(K))
    itm = x > 0.0 if call else x < 0.0
    noise = lbr.NOISE_ULPS * beta
    beta = beta - normalised_intrinsic(abs(x)) if itm else beta
    xo = -abs(x)
    if not (beta >= lbr.BETA_MIN and beta > noise):
        return math.nan, lbr.BELOW_INTRINSIC
    if beta >= math.exp(0.5 * xo) - noise:
        return math.nan, lbr.ABOVE_MAXIMUM
    s, converged = solve_normalised(beta, xo)
    vol = s / math.sqrt(T)
    if not (converged and math.isfinite(vol) and vol > 0.0):
        return math.nan, lbr.NO_CONVERGENCE
    return vol, lbr.OK


def implied_vol_twin(
    price: FloatArray,
    S: FloatArray,
    K: FloatArray,
    T: FloatArray,
    r: FloatArray,
    b: FloatArray,
    is_call: BoolArray,
    iv: FloatArray,
    reason: Int8Array,
) -> None:
    """Twin of :func:`engine.iv.kernels.implied_vol_kernel`."""
    for i in range(S.shape[0]):
        code = _contract_reason(S[i], K[i], T[i], r[i], b[i])
        vol = math.nan
        if code == lbr.OK:
            vol, code = _solve(price[i], S[i], K[i], T[i], r[i], b[i], bool(is_call[i]))
        iv[i] = vol
        reason[i] = code


def implied_vol_quotes_twin(
    bid: FloatArray,
    ask: FloatArray,
    S: FloatArray,
    K: FloatArray,
    T: FloatArray,
    r: FloatArray,
    b: FloatArray,
    is_call: BoolArray,
    iv: FloatArray,
    reason: Int8Array,
) -> None:
    """Twin of :func:`engine.iv.kernels.implied_vol_quotes_kernel`."""
    for i in range(S.shape[0]):
        code = _contract_reason(S[i], K[i], T[i], r[i], b[i])
        vol = math.nan
        if code == lbr.OK and not bid[i] > 0.0:
            code = lbr.BID_NOT_POSITIVE
        if code == lbr.OK and not (bid[i] < ask[i] < math.inf):
            code = lbr.ASK_NOT_ABOVE_BID
        if code == lbr.OK:
            mid = 0.5 * (bid[i] + ask[i])
            vol, code = _solve(mid, S[i], K[i], T[i], r[i], b[i], bool(is_call[i]))
        iv[i] = vol
        reason[i] = code


def black_price_twin(
    S: FloatArray,
    K: FloatArray,
    T: FloatArray,
    r: FloatArray,
    b: FloatArray,
    v: FloatArray,
    is_call: BoolArray,
    out: FloatArray,
) -> None:
    """Twin of :func:`engine.iv.kernels.black_price_kernel`."""
    for i in range(S.shape[0]):
        ok = _contract_reason(S[i], K[i], T[i], r[i], b[i]) == lbr.OK
        vol = v[i]
        if not (ok and math.isfinite(vol) and vol > 0.0):
            out[i] = math.nan
            continue
        F = S[i] * math.exp(b[i] * T[i])
        x = math.log(F / K[i])
        itm = x > 0.0 if is_call[i] else x < 0.0
        bn = black_vega(-abs(x), vol * math.sqrt(T[i]))[0]
        bn = bn + normalised_intrinsic(abs(x)) if itm else bn
        out[i] = bn * math.exp(-r[i] * T[i]) * math.sqrt(F) * math.sqrt(K[i])
