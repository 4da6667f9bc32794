"""Compiled implied-volatility kernels: Jäckel's "Let's Be Rational" in normalised form.

Every contract is reduced to the normalised Black function of an out-of-the-money call,

    b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2),   x = ln(F/K) <= 0, s = σ√T,

with F = S·e^{bT} the forward and prices divided by e^{-rT}·√(FK). An in-the-money option
becomes the out-of-the-money one by subtracting the normalised intrinsic value
e^{|x|/2} - e^{-|x|/2} (put-call parity), and a put with x becomes a call with -x.

``b`` is evaluated without cancellation (Jäckel 2015, "Let's Be Rational", Wilmott): for
t = s/2 < 0.21 a 13th-order Taylor series in t of Y(h+t) - Y(h-t), Y = N/n, h = x/s; for
h + t > 0.85 the textbook formula; otherwise exp(-(h²+t²)/2)/√(2π)·[Y(h+t) - Y(h-t)] with Y
from Cody's scaled rational tail. Accuracy ~2e-14 relative for |h| <= 12.

The scalar solver (this module) takes Jäckel's four-branch initial guess (rational cubic interpolation of
transformed price maps around the inflection point s_c = √(2|x|)) and iterates Householder's
third-order method on the branch's objective — 1/ln b in the lowest branch, ln(b_max - b) in
the highest, b itself in between — inside a bracket that falls back to bisection. Two
iterations reach float64 precision on typical inputs; a step below 1e-5·s ends the loop (the
error left is of order its fourth power).

It is latency-bound (~0.5 µs per option), so :mod:`engine.iv.solve` runs the vectorized passes of
:mod:`engine.iv.vector` and uses this solver only for the options they leave unconverged.
At b's inflection point s_c, h + t = 0 and b has the closed form used by ``_inflection``.

The pure-arithmetic parts are shared with the twin (:mod:`engine.iv._lbr`); the twin is
:mod:`engine.iv.twin`; the public entry points are in :mod:`engine.iv.solve`.
"""

from __future__ import annotations

import math

from numba import prange

from engine._jit import kernel, scalar
from engine._math import INV_SQRT_2PI, SQRT32, exp_, gauss, log_
from engine.iv import _lbr as lbr

__all__ = ["black_vega", "implied_vol_kernel", "solve_normalised"]

_central_ratio = scalar(lbr.cody_central_ratio)
_cody_mid = scalar(lbr.cody_mid)
_far_rational = scalar(lbr.far_rational)
_rational_cubic = scalar(lbr.rational_cubic)
_control_to_fit = scalar(lbr.control_to_fit)
_minimum_control = scalar(lbr.minimum_control)
_small_t_series = scalar(lbr.small_t_series)
_householder = scalar(lbr.householder_factor)
_halley_terms = scalar(lbr.halley_terms)
_lower_terms = scalar(lbr.lower_terms)
_upper_terms = scalar(lbr.upper_terms)
_acklam_central = scalar(lbr.acklam_central)
_acklam_tail = scalar(lbr.acklam_tail)
_start_in_bracket = scalar(lbr.start_in_bracket)

# The large routines are compiled as called functions, not inlined at numba's IR level:
# ``scalar`` (inline="always") copies every nested body into every call site, and the solver
# calls the Black function from several places -- that took minutes to compile. As separate
# functions they compile in seconds and cost a call each (a few ns against ~40 ns of work).
function = kernel(parallel=False)


@scalar
def _tail(y: float) -> float:
    """N(-y)·exp(y²/2) for y >= 0.67448975 (Cody's middle or far rational)."""
    if y <= SQRT32:
        return _cody_mid(y)
    iy = 1.0 / y
    return (INV_SQRT_2PI - _far_rational(iy * iy)) * iy


@function
def _ncdf(x: float) -> float:
    """N(x), Cody's algorithm with real branches: only the rational x needs is evaluated."""
    y = abs(x)
    if y <= 0.67448975:
        return 0.5 + x * _central_ratio(x * x)
    tail = gauss(x) * _tail(y)
    return tail if x < 0.0 else 1.0 - tail


@function
def _y(z: float) -> float:
    """Y(z) = N(z)/n(z) for z <= 0.85, without the exponential in the tail."""
    if z < -0.67448975:
        return lbr.SQRT_2PI * _tail(-z)
    g = gauss(z)
    cdf = 0.5 + z * _central_ratio(z * z) if z <= 0.67448975 else 1.0 - g * _tail(z)
    return cdf / (INV_SQRT_2PI * g)


@scalar
def _a(h: float) -> float:
    """a = 1 + h·Y(h) for h <= 0; in the far tail from Cody's asymptotic rational directly."""
    if h < -SQRT32:
        return lbr.SQRT_2PI * _far_rational(1.0 / (h * h))
    return 1.0 + h * _y(h)


@function
def black_vega(x: float, s: float):  # type: ignore[no-untyped-def]
    """(b(x, s), db/ds) for x <= 0 (the out-of-the-money call); db/ds = e^{-(h²+t²)/2}/√(2π)."""
    if not s > 0.0:
        return 0.0, (INV_SQRT_2PI if x == 0.0 else 0.0)
    h = x / s
    t = 0.5 * s
    vega = INV_SQRT_2PI * exp_(-0.5 * (h * h + t * t))
    if t < lbr.SMALL_T:
        b = vega * 2.0 * t * _small_t_series(_a(h), h * h, t * t)
    elif h + t > lbr.H_PLUS_T_DIRECT:
        bmax = exp_(0.5 * x)
        b = _ncdf(h + t) * bmax - _ncdf(h - t) / bmax
    else:
        b = vega * (_y(h + t) - _y(h - t))
    return max(b, 0.0), vega


@scalar
def _intrinsic(x: float) -> float:
    """e^{x/2} - e^{-x/2} for x > 0 (Taylor series near 0), else 0."""
    if x <= 0.0:
        return 0.0
    x2 = x * x
    if x2 < 0.0119:
        p = 1.0 / 322560.0 + x2 / 92897280.0
        return x * (1.0 + x2 * (1.0 / 24.0 + x2 * (1.0 / 1920.0 + x2 * p)))
    return exp_(0.5 * x) - exp_(-0.5 * x)


@scalar
def _inflection(x: float, y: float, b_max: float):  # type: ignore[no-untyped-def]
    """(b, db/ds) at the inflection point s_c = y = √(2|x|), where h + t = 0, in closed form:
    b = e^{x/2}/2 - e^{-x/2} N(-y), i.e. b_max·(1/2 - N(-y)e^{y²/2}), or, near x = 0 without
    cancellation, -(e^{|x|/2} - e^{-|x|/2})/2 + y·R(y²)/b_max (N = 1/2 + y·R); db/ds =
    b_max/√(2π)."""
    if y > 0.67448975:
        b = b_max * (0.5 - _tail(y))
    else:
        b = -0.5 * _intrinsic(-x) + y * _central_ratio(y * y) / b_max
    return b, INV_SQRT_2PI * b_max


@scalar
def _inverse_ncdf(p: float) -> float:
    if lbr.ACKLAM_LOW <= p <= 1.0 - lbr.ACKLAM_LOW:
        return _acklam_central(p)
    z = _acklam_tail(math.sqrt(-2.0 * log_(min(p, 1.0 - p))))
    return -z if p < 0.5 else z


@scalar
def _control(xl, xr, yl, yr, dl, dr, d2, left, shape):  # type: ignore[no-untyped-def]
    r = _control_to_fit(xl, xr, yl, yr, dl, dr, d2, left)
    return max(r, _minimum_control(dl, dr, (yr - yl) / (xr - xl), shape))


@function
def _lower_guess(beta: float, x: float, s_l: float, b_l: float) -> float:
    """Initial guess in the lowest branch: rational cubic in Jäckel's lower map, inverted."""
    ax = abs(x)
    z = ax / (lbr.SQRT3 * s_l)
    y = z * z
    s2 = s_l * s_l
    cdf = _ncdf(-z)
    pdf = INV_SQRT_2PI * gauss(z)
    fpp = (math.pi / 6.0) * y / (s2 * s_l) * cdf
    fpp *= 8.0 * lbr.SQRT3 * s_l * ax + (3.0 * s2 * (s2 - 8.0) - 8.0 * x * x) * cdf / pdf
    fpp *= exp_(2.0 * y + 0.25 * s2)
    fp = 2.0 * math.pi * y * cdf * cdf * exp_(y + 0.125 * s2)
    f_l = lbr.LOWER_MAP_SCALE * ax * cdf * cdf * cdf
    r = _control(0.0, b_l, 0.0, f_l, 1.0, fp, fpp, False, True)
    f = _rational_cubic(beta, 0.0, b_l, 0.0, f_l, 1.0, fp, r)
    if not f > 0.0:
        u = beta / b_l
        f = (f_l * u + b_l * (1.0 - u)) * u
    p = exp_(log_(f / (lbr.LOWER_MAP_SCALE * ax)) / 3.0)
    return abs(x / (lbr.SQRT3 * _inverse_ncdf(p)))


@function
def _upper_guess(beta: float, x: float, s_h: float, b_h: float, b_max: float) -> float:
    """Initial guess in the highest branch: rational cubic in the upper map N(-s/2), inverted."""
    w = (x / s_h) * (x / s_h)
    fp = -0.5 * exp_(0.5 * w)
    fpp = lbr.SQRT_HALF_PI * exp_(w + 0.125 * s_h * s_h) * w / s_h
    f_h = _ncdf(-0.5 * s_h)
    r = _control(b_h, b_max, f_h, 0.0, fp, -0.5, fpp, True, True)
    f = _rational_cubic(beta, b_h, b_max, f_h, 0.0, fp, -0.5, r)
    if not f > 0.0:
        hh = b_max - b_h
        u = (beta - b_h) / hh
        f = (f_h * (1.0 - u) + 0.5 * hh * u) * (1.0 - u)
    return -2.0 * _inverse_ncdf(f)


@function
def _iterate(beta, x, b_max, s, s_left, s_right, mode):  # type: ignore[no-untyped-def]
    """Householder(3) steps on the branch's objective; bisection when a step leaves the bracket."""
    ds = lbr.DBL_MAX
    ds_prev = 0.0
    reversals = 0
    ln_beta = log_(beta)
    converged = False
    for it in range(lbr.MAX_ITERATIONS):
        if ds * ds_prev < 0.0:
            reversals += 1
        bisect = it > 0 and (reversals == 3 or not (s_left < s < s_right))
        if bisect:
            s = 0.5 * (s_left + s_right)
            if s_right - s_left <= lbr.DBL_EPSILON * s:
                converged = True
                break
            reversals = 0
            ds = 0.0
        ds_prev = ds
        b, bp = black_vega(x, s)
        if b > beta and s < s_right:
            s_right = s
        elif b < beta and s > s_left:
            s_left = s
        b_halley, b_hh3 = _halley_terms(x, s)
        stepped = True
        newton = 0.0
        halley = 0.0
        hh3 = 0.0
        if mode == lbr.MODE_LOWER and b > 0.0 and bp > 0.0:
            newton, halley, hh3 = _lower_terms(b_halley, b_hh3, b, bp, log_(b), ln_beta)
        elif mode == lbr.MODE_UPPER and b < b_max and bp > lbr.DBL_MIN:
            gap = b_max - b
            g = log_((b_max - beta) / gap)
            newton, halley, hh3 = _upper_terms(b_halley, b_hh3, bp, gap, g)
        elif mode == lbr.MODE_PRICE and bp > 0.0:
            newton = (beta - b) / bp
            halley = b_halley
            hh3 = b_hh3
        else:
            stepped = False
        midpoint = 0.5 * (s_left + s_right) - s
        ds = newton * _householder(newton, halley, hh3) if stepped else midpoint
        ds = max(-0.5 * s, ds)
        s += ds
        if stepped and not bisect and abs(ds) <= lbr.CONVERGED_STEP * s:
            converged = True
            break
    return s, converged


@function
def solve_normalised(beta: float, x: float):  # type: ignore[no-untyped-def]
    """s = σ√T with b(x, s) = beta, for x <= 0 and 0 < beta < e^{x/2}: (s, converged)."""
    b_max = exp_(0.5 * x)
    s_c = math.sqrt(abs(2.0 * x))
    b_c, v_c = _inflection(x, s_c, b_max)
    s_left = lbr.DBL_MIN
    s_right = lbr.DBL_MAX
    mode = lbr.MODE_PRICE
    if beta < b_c:
        s_l = s_c - b_c / v_c
        b_l, v_l = black_vega(x, s_l)
        if beta < b_l:
            s = _lower_guess(beta, x, s_l, b_l)
            s_right = s_l
            mode = lbr.MODE_LOWER
        else:
            r = _control(b_l, b_c, s_l, s_c, 1.0 / v_l, 1.0 / v_c, 0.0, False, False)
            s = _rational_cubic(beta, b_l, b_c, s_l, s_c, 1.0 / v_l, 1.0 / v_c, r)
            s_left = s_l
            s_right = s_c
    else:
        s_h = s_c + (b_max - b_c) / v_c if v_c > lbr.DBL_MIN else s_c
        b_h, v_h = black_vega(x, s_h)
        if beta <= b_h:
            r = _control(b_c, b_h, s_c, s_h, 1.0 / v_c, 1.0 / v_h, 0.0, True, False)
            s = _rational_cubic(beta, b_c, b_h, s_c, s_h, 1.0 / v_c, 1.0 / v_h, r)
            s_left = s_c
            s_right = s_h
        else:
            s = _upper_guess(beta, x, s_h, b_h, b_max)
            s_left = s_h
            mode = lbr.MODE_UPPER if beta > 0.5 * b_max else lbr.MODE_PRICE
    s = _start_in_bracket(s, s_left, s_right, s_c)
    return _iterate(beta, x, b_max, s, s_left, s_right, mode)


@scalar
def _contract_reason(S: float, K: float, T: float, r: float, b: float) -> int:
    finite = (abs(S) < math.inf) & (abs(K) < math.inf) & (abs(T) < math.inf)
    finite = finite & (abs(r) < math.inf) & (abs(b) < math.inf)
    if not (finite and S > 0.0 and K > 0.0):
        return lbr.INVALID_INPUT
    return lbr.OK if T > 0.0 else lbr.T_NOT_POSITIVE


@function
def _solve(price, S, K, T, r, b, call):  # type: ignore[no-untyped-def]
    """(iv, reason) for one contract whose contract-level inputs are valid."""
    if not abs(price) < math.inf:
        return math.nan, lbr.INVALID_INPUT
    F = S * exp_(b * T)
    x = log_(F / K)
    beta = price / (exp_(-r * T) * math.sqrt(F) * math.sqrt(K))
    itm = x > 0.0 if call else x < 0.0
    noise = lbr.NOISE_ULPS * beta
    beta = beta - _intrinsic(abs(x)) if itm else beta
    xo = -abs(x)
    if not (beta >= lbr.BETA_MIN and beta > noise):
        return math.nan, lbr.BELOW_INTRINSIC
    if beta >= exp_(0.5 * xo) - noise:
        return math.nan, lbr.ABOVE_MAXIMUM
    s, converged = solve_normalised(beta, xo)
    vol = s / math.sqrt(T)
    if not (converged and abs(vol) < math.inf and vol > 0.0):
        return math.nan, lbr.NO_CONVERGENCE
    return vol, lbr.OK


@kernel()
def implied_vol_kernel(price, S, K, T, r, b, is_call, iv, reason):  # type: ignore[no-untyped-def]
    """Fill ``iv[i]`` (NaN when unsolvable) and ``reason[i]`` (int8 code) from premiums."""
    for i in prange(S.shape[0]):
        code = _contract_reason(S[i], K[i], T[i], r[i], b[i])
        vol = math.nan
        if code == lbr.OK:
            vol, code = _solve(price[i], S[i], K[i], T[i], r[i], b[i], is_call[i])
        iv[i] = vol
        reason[i] = code
