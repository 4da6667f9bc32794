"""Pure-arithmetic pieces of the implied-volatility solver, shared by kernel and twin.

Everything here uses only +, -, *, /, comparisons and branches (no elementary functions), so
the same Python source serves the plain-Python twin (:mod:`engine.iv.twin`) as is and the
compiled kernels (:mod:`engine.iv.kernels`) through :func:`engine._jit.scalar`:

- reason codes of the solver (the public :class:`engine.iv.solve.IVReason` mirrors them);
- the Delbourgo-Gregory rational cubic interpolation and its control parameter, used by
  Jäckel's "Let's Be Rational" (Wilmott 2015) for its initial guess;
- the small-t Taylor series of the normalised Black function;
- Cody's rationals for N(x) with real branches (scalar code evaluates only the one it needs);
- the rational parts of Acklam's inverse normal distribution function;
- the Householder(3) step factor.
"""

from __future__ import annotations

import math

from engine import _math as _m

__all__ = [
    "ABOVE_MAXIMUM",
    "ASK_NOT_ABOVE_BID",
    "BELOW_INTRINSIC",
    "BID_NOT_POSITIVE",
    "CONVERGED_STEP",
    "INVALID_INPUT",
    "MAX_ITERATIONS",
    "NO_CONVERGENCE",
    "OK",
    "T_NOT_POSITIVE",
    "acklam_central",
    "acklam_tail",
    "cody_central_ratio",
    "cody_mid",
    "control_to_fit",
    "far_rational",
    "halley_terms",
    "householder_factor",
    "lower_terms",
    "minimum_control",
    "rational_cubic",
    "small_t_series",
    "start_in_bracket",
    "upper_terms",
]

# Reason codes (int8 in the result arrays).
OK = 0
BID_NOT_POSITIVE = 1
ASK_NOT_ABOVE_BID = 2
BELOW_INTRINSIC = 3
ABOVE_MAXIMUM = 4
T_NOT_POSITIVE = 5
INVALID_INPUT = 6
NO_CONVERGENCE = 7

DBL_EPSILON = 2.220446049250313e-16
DBL_MIN = 2.2250738585072014e-308
DBL_MAX = 1.7976931348623157e308
SQRT_DBL_MIN = 1.4916681462400413e-154
SQRT_2PI = math.sqrt(2.0 * math.pi)
SQRT3 = math.sqrt(3.0)
SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
LOWER_MAP_SCALE = 2.0 * math.pi / math.sqrt(27.0)
# Region thresholds of the normalised Black function (Jäckel 2015): t = s/2 below SMALL_T uses
# the Taylor series in t (2·ε^(1/16)); h + t above H_PLUS_T_DIRECT uses the textbook formula.
SMALL_T = 0.21
H_PLUS_T_DIRECT = 0.85
# A normalised time value below this is not resolvable in float64 (the Black function's
# factors underflow): such a premium is treated as having no time value (BELOW_INTRINSIC).
BETA_MIN = 1e-250
# A time value (or distance to the upper bound) within this many units of roundoff of the
# normalised premium is noise of the intrinsic-value subtraction, not information.
NOISE_ULPS = 16.0 * DBL_EPSILON
# Solver: a Householder step smaller than this (relative to s) leaves an error of order its
# square at worst (fourth power in practice): the iterate is then exact to float64.
CONVERGED_STEP = 1e-5
MAX_ITERATIONS = 64
# Objective of the iteration, by branch (Jäckel 2015, §4-5).
MODE_LOWER = 0  # 1/ln b(s) - 1/ln beta
MODE_PRICE = 1  # b(s) - beta
MODE_UPPER = 2  # ln((b_max - beta)/(b_max - b(s)))
R_MIN = -(1.0 - math.sqrt(DBL_EPSILON))
R_MAX = 2.0 / (DBL_EPSILON * DBL_EPSILON)

_A0, _A1, _A2, _A3, _A4, _A5 = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B0, _B1, _B2, _B3, _B4 = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C0, _C1, _C2, _C3, _C4, _C5 = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D0, _D1, _D2, _D3 = (
    7.784695709041462e-03,
    3.224671290700398e-01,
    2.445134137142996e00,
    3.754408661907416e00,
)
ACKLAM_LOW = 0.02425


def acklam_central(p: float) -> float:
    """N⁻¹(p) for ACKLAM_LOW <= p <= 1 - ACKLAM_LOW (Acklam, ~1e-9 relative)."""
    q = p - 0.5
    r = q * q
    num = (((((_A0 * r + _A1) * r + _A2) * r + _A3) * r + _A4) * r + _A5) * q
    return num / (((((_B0 * r + _B1) * r + _B2) * r + _B3) * r + _B4) * r + 1.0)


def acklam_tail(q: float) -> float:
    """-N⁻¹(p) for p < ACKLAM_LOW, given q = sqrt(-2 ln p)."""
    num = ((((_C0 * q + _C1) * q + _C2) * q + _C3) * q + _C4) * q + _C5
    return -num / ((((_D0 * q + _D1) * q + _D2) * q + _D3) * q + 1.0)


def small_t_series(a: float, h2: float, w: float) -> float:
    """Σₖ Y⁽²ᵏ⁺¹⁾(h) t²ᵏ/(2k+1)!, k = 0..6, with a = 1 + h·Y(h), h2 = h², w = t².

    Y(z) = N(z)/n(z) satisfies Y' = 1 + zY, so every derivative is a polynomial in h and a;
    the coefficients below come from that recursion (they are Jäckel's). Then
    b(x, s) = 2t·n-factor·series, accurate to float64 for t < SMALL_T and h <= 0.
    """
    c1 = (-1.0 + 3.0 * a + a * h2) * (1.0 / 6.0)
    c2 = (-7.0 + 15.0 * a + h2 * (-1.0 + 10.0 * a + a * h2)) * (1.0 / 120.0)
    c3 = (-57.0 + 105.0 * a + h2 * (-18.0 + 105.0 * a + h2 * (-1.0 + 21.0 * a + a * h2))) * (
        1.0 / 5040.0
    )
    c4 = (
        -561.0
        + 945.0 * a
        + h2 * (-285.0 + 1260.0 * a + h2 * (-33.0 + 378.0 * a + h2 * (-1.0 + 36.0 * a + a * h2)))
    ) * (1.0 / 362880.0)
    c5 = (
        -6555.0
        + 10395.0 * a
        + h2
        * (
            -4680.0
            + 17325.0 * a
            + h2
            * (-840.0 + 6930.0 * a + h2 * (-52.0 + 990.0 * a + h2 * (-1.0 + 55.0 * a + a * h2)))
        )
    ) * (1.0 / 39916800.0)
    c6 = (
        -89055.0
        + 135135.0 * a
        + h2
        * (
            -82845.0
            + 270270.0 * a
            + h2
            * (
                -20370.0
                + 135135.0 * a
                + h2
                * (
                    -1926.0
                    + 25740.0 * a
                    + h2 * (-75.0 + 2145.0 * a + h2 * (-1.0 + 78.0 * a + a * h2))
                )
            )
        )
    ) * (1.0 / 6227020800.0)
    return a + w * (c1 + w * (c2 + w * (c3 + w * (c4 + w * (c5 + w * c6)))))


def householder_factor(newton: float, halley: float, hh3: float) -> float:
    """Factor turning a Newton step into a Householder(3) step, given g''/g' and g'''/g'."""
    return (1.0 + 0.5 * halley * newton) / (1.0 + newton * (halley + hh3 * newton / 6.0))


def rational_cubic(
    x: float, xl: float, xr: float, yl: float, yr: float, dl: float, dr: float, r: float
) -> float:
    """Delbourgo-Gregory rational cubic through (xl, yl), (xr, yr) with end slopes dl, dr."""
    h = xr - xl
    if abs(h) <= 0.0:
        return 0.5 * (yl + yr)
    t = (x - xl) / h
    if r < R_MAX:
        omt = 1.0 - t
        t2 = t * t
        omt2 = omt * omt
        num = yr * t2 * t + (r * yr - h * dr) * t2 * omt + (r * yl + h * dl) * t * omt2
        return (num + yl * omt2 * omt) / (1.0 + (r - 3.0) * t * omt)
    return yr * t + yl * (1.0 - t)


def minimum_control(dl: float, dr: float, s: float, shape: bool) -> float:
    """Smallest control parameter keeping the interpolant monotone/convex (Delbourgo-Gregory
    1985, (3.8) and (3.18)); ``s`` is the secant slope, ``shape`` prefers linear interpolation
    to a shape violation."""
    monotonic = (dl * s >= 0.0) and (dr * s >= 0.0)
    convex = (dl <= s) and (s <= dr)
    concave = (dl >= s) and (s >= dr)
    if not monotonic and not convex and not concave:
        return R_MIN
    r1 = -DBL_MAX
    r2 = -DBL_MAX
    if monotonic:
        if s != 0.0:
            r1 = (dr + dl) / s
        elif shape:
            r1 = R_MAX
    if convex or concave:
        if (s - dl) != 0.0 and (dr - s) != 0.0:
            r2 = max(abs((dr - dl) / (dr - s)), abs((dr - dl) / (s - dl)))
        elif shape:
            r2 = R_MAX
    elif monotonic and shape:
        r2 = R_MAX
    return max(R_MIN, max(r1, r2))


def control_to_fit(
    xl: float, xr: float, yl: float, yr: float, dl: float, dr: float, d2: float, left: bool
) -> float:
    """Control parameter giving the rational cubic the second derivative ``d2`` at its left
    (or right) end; callers take the max with :func:`minimum_control` to keep it convex."""
    h = xr - xl
    num = 0.5 * h * d2 + (dr - dl)
    den = ((yr - yl) / h - dl) if left else (dr - (yr - yl) / h)
    if num == 0.0:
        return 0.0
    if den == 0.0:
        return R_MAX if num > 0.0 else R_MIN
    return num / den


def start_in_bracket(s: float, s_left: float, s_right: float, s_c: float) -> float:
    """The initial guess if it lies strictly inside the bracket (and is not NaN), else a safe one."""
    if s_left < s < s_right:
        return s
    if s_left < s_c < s_right:
        return s_c
    if s_right < DBL_MAX:
        return 0.5 * (s_left + s_right)
    return 2.0 * s_left


def halley_terms(x: float, s: float) -> tuple[float, float]:
    """(b''/b', b'''/b') of the normalised Black function b(x, s) in s."""
    h = x / s
    b_halley = h * h / s - 0.25 * s
    return b_halley, b_halley * b_halley - 3.0 * (h / s) * (h / s) - 0.25


def lower_terms(
    b_halley: float, b_hh3: float, b: float, bp: float, ln_b: float, ln_beta: float
) -> tuple[float, float, float]:
    """(Newton step, g''/g', g'''/g') for g(s) = 1/ln b(s) - 1/ln beta (the lowest branch)."""
    bpob = bp / b
    newton = (ln_beta - ln_b) * ln_b / ln_beta / bpob
    k = 1.0 + 2.0 / ln_b
    halley = b_halley - bpob * k
    hh3 = (
        b_hh3
        + 2.0 * bpob * bpob * (1.0 + 3.0 / ln_b * (1.0 + 1.0 / ln_b))
        - 3.0 * b_halley * bpob * k
    )
    return newton, halley, hh3


def upper_terms(
    b_halley: float, b_hh3: float, bp: float, gap: float, g: float
) -> tuple[float, float, float]:
    """(Newton step, g''/g', g'''/g') for g(s) = ln((b_max - beta)/(b_max - b(s))), the highest
    branch, given gap = b_max - b(s) and the value g."""
    gp = bp / gap
    return -g / gp, b_halley + gp, b_hh3 + gp * (2.0 * gp + 3.0 * b_halley)


def cody_central_ratio(xsq: float) -> float:
    """R(x²) with N(x) = 1/2 + x·R(x²) for |x| <= 0.67448975 (Cody's central rational)."""
    num = _m._A4 * xsq
    den = xsq
    num = (num + _m._A0) * xsq
    den = (den + _m._B0) * xsq
    num = (num + _m._A1) * xsq
    den = (den + _m._B1) * xsq
    num = (num + _m._A2) * xsq
    den = (den + _m._B2) * xsq
    return (num + _m._A3) / (den + _m._B3)


def cody_mid(y: float) -> float:
    """N(-y)·exp(y²/2) for 0.67448975 <= y <= √32: Cody's middle rational, no exponential.

    With :func:`cody_central_ratio` and :func:`far_rational` this is Cody's N(x) split into its
    branches, so scalar code evaluates only the rational it needs (the branch-free
    :func:`engine._math.ncdf` evaluates all three)."""
    num = _m.C8 * y
    den = y
    num = (num + _m.C0) * y
    den = (den + _m.D0) * y
    num = (num + _m.C1) * y
    den = (den + _m.D1) * y
    num = (num + _m.C2) * y
    den = (den + _m.D2) * y
    num = (num + _m.C3) * y
    den = (den + _m.D3) * y
    num = (num + _m.C4) * y
    den = (den + _m.D4) * y
    num = (num + _m.C5) * y
    den = (den + _m.D5) * y
    num = (num + _m.C6) * y
    den = (den + _m.D6) * y
    return (num + _m.C7) / (den + _m.D7)


def far_rational(ysq: float) -> float:
    """R(1/y²)/y² of Cody's far tail, given ysq = 1/y² (y > √32):
    N(-y)·exp(y²/2) = (1/√(2π) - far_rational(1/y²))/y."""
    num = _m.P5 * ysq
    den = ysq
    num = (num + _m.P0) * ysq
    den = (den + _m.Q0) * ysq
    num = (num + _m.P1) * ysq
    den = (den + _m.Q1) * ysq
    num = (num + _m.P2) * ysq
    den = (den + _m.Q2) * ysq
    num = (num + _m.P3) * ysq
    den = (den + _m.Q3) * ysq
    return ysq * (num + _m.P4) / (den + _m.Q4)
