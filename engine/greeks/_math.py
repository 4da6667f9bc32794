"""Elementary functions written as plain arithmetic so LLVM can vectorize the loops using them.

``math.exp``, ``math.log`` and ``math.erfc`` compile to scalar libm calls (the PyPI
llvmlite ships no vector math library), which keeps every loop that calls them scalar. These
versions use only +, -, *, /, ``sqrt``, ``floor``, comparisons and bit casts, all of which
have vector instructions, and are accurate to about one unit in the last place:

- :func:`exp_` — Cody-Waite reduction by ln 2, a degree-13 Taylor polynomial on
  |r| ≤ ln2/2, and the scale 2^n assembled in the exponent bits. n is rounded with the
  ``1.5·2^52`` shifter: ``t = x·log2(e) + 1.5·2^52`` leaves round(x·log2(e)) in t's low
  mantissa bits, ``n = t − 1.5·2^52`` is that integer as a double, and 2^n is the int64 view
  of t plus 1023, shifted left by 52 — no float↔int conversion anywhere.
- :func:`log_` — fdlibm's ``__ieee754_log`` algorithm: exponent and mantissa from the bits,
  mantissa folded into [√2/2, √2), a degree-14 odd series in s = f/(2+f); the exponent
  becomes a double by writing it under the exponent of 2^52 and subtracting 2^52 + 1023.

No float↔int64 conversion appears in any of them, on purpose: x86 has packed double↔int64
conversions (``vcvttpd2qq``, ``vcvtqq2pd``) only with AVX-512DQ. On AVX2 (every AMD CPU
before Zen 4, Intel client CPUs) LLVM extracts each lane, converts it with scalar
``vcvttsd2si``/``vcvtsi2sd`` and reinserts it, which made the AVX2 kernels 2.5-3.5x slower
per contract than the AVX-512 build of the same source. The shifter trick relies on IEEE
evaluation order: it must never be compiled with ``fastmath`` (``reassoc`` folds
``(t + c) − c`` to ``t``); :mod:`engine._jit` does not set it, and a test checks the
rounding.
- :func:`ncdf` — the standard normal distribution function, W. J. Cody's rational
  Chebyshev approximations (ACM TOMS 715, the algorithm of R's ``pnorm``), with the tail
  factor exp(-x²/2) computed from an exact split of x² so the far tails keep full relative
  precision (N(-37) is still accurate to ~1e-15 relative).
- :func:`npdf` — the standard normal density with the same exact-square treatment.

Branches are written as selects over values computed for every lane, so the loop body has no
control flow. The Python twins (``engine/greeks/twins.py``) use ``math`` instead.
"""

from __future__ import annotations

import math

import numpy as np
from numba import types
from numba.extending import intrinsic

from engine._jit import scalar

__all__ = ["exp_", "gauss", "log_", "ncdf", "ncdf_from_gauss", "npdf"]

LN2_HI = 6.93147180369123816490e-01  # ln 2, upper bits (exact n*LN2_HI for |n| < 2^11)
LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
LOG2E = 1.4426950408889634074
INV_SQRT_2PI = 0.398942280401432677939946059934
SQRT32 = 5.656854249492380195206754896838
SPLIT = 134217729.0  # 2^27 + 1, Dekker's splitter

# Cody (1993), TOMS 715, ANORM coefficients.
_A0, _A1, _A2, _A3, _A4 = (
    2.2352520354606839287,
    161.02823106855587881,
    1067.6894854603709582,
    18154.981253343561249,
    0.065682337918207449113,
)
_B0, _B1, _B2, _B3 = (
    47.20258190468824187,
    976.09855173777669322,
    10260.932208618978205,
    45507.789335026729956,
)
_C = (
    0.39894151208813466764,
    8.8831497943883759412,
    93.506656132177855979,
    597.27027639480026226,
    2494.5375852903726711,
    6848.1904505362823326,
    11602.651437647350124,
    9842.7148383839780218,
    1.0765576773720192317e-8,
)
_D = (
    22.266688044328115691,
    235.38790178262499861,
    1519.377599407554805,
    6485.558298266760755,
    18615.571640885098091,
    34900.952721145977266,
    38912.003286093271411,
    19685.429676859990727,
)
_P = (
    0.21589853405795699,
    0.1274011611602473639,
    0.022235277870649807,
    0.001421619193227893466,
    2.9112874951168792e-5,
    0.02307344176494017303,
)
_Q = (
    1.28426009614491121,
    0.468238212480865118,
    0.0659881378689285515,
    0.00378239633202758244,
    7.29751555083966205e-5,
)
C0, C1, C2, C3, C4, C5, C6, C7, C8 = _C
D0, D1, D2, D3, D4, D5, D6, D7 = _D
P0, P1, P2, P3, P4, P5 = _P
Q0, Q1, Q2, Q3, Q4 = _Q

# fdlibm log series coefficients.
LG1 = 6.666666666666735130e-01
LG2 = 3.999999999940941908e-01
LG3 = 2.857142874366239149e-01
LG4 = 2.222219843214978396e-01
LG5 = 1.818357216161805012e-01
LG6 = 1.531383769920937332e-01
LG7 = 1.479819860511658591e-01
SQRT2 = 1.4142135623730951

EXP_MIN = -708.3  # below: result is subnormal or zero; returned as 0
EXP_MAX = 709.0
SHIFTER = 6755399441055744.0  # 1.5·2^52: x + SHIFTER rounds x to an integer (|x| < 2^51)
TWO52_BIAS = 4503599627371519.0  # 2^52 + 1023
EXP_FIELD = np.int64(0x4330000000000000)  # the exponent field of 2^52


@intrinsic
def _i64_as_f64(typingctx, x):  # type: ignore[no-untyped-def]
    """Reinterpret the bits of an int64 as a float64 (a register move, vectorizable)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return sig, codegen


@intrinsic
def _f64_as_i64(typingctx, x):  # type: ignore[no-untyped-def]
    """Reinterpret the bits of a float64 as an int64."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return sig, codegen


@scalar
def exp_(x: float) -> float:
    """e**x to ~1 ulp for x in [-708.3, 709]; 0 below, exp(709) above, NaN for NaN."""
    xc = min(max(x, EXP_MIN), EXP_MAX)
    # n = round(xc/ln 2) (ties to even) without a float->int conversion: t's low mantissa
    # bits hold n, and t - SHIFTER is n exactly as a double (|n| <= 1023)
    t = xc * LOG2E + SHIFTER
    n = t - SHIFTER
    r = (xc - n * LN2_HI) - n * LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # bits(t) = 0x4338000000000000 + n; adding the bias 1023 and shifting the sum left by 52
    # leaves exactly (n + 1023) << 52, the bits of 2^n (the constant's bits shift out)
    scale: float = _i64_as_f64((_f64_as_i64(t) + np.int64(1023)) << np.int64(52))  # type: ignore[call-arg]
    y = p * scale
    y = 0.0 if x < EXP_MIN else y
    return x if x != x else y


@scalar
def log_(x: float) -> float:
    """Natural log to ~1 ulp for positive normal x; NaN for x <= 0 or NaN."""
    bits: int = _f64_as_i64(x)  # type: ignore[call-arg]
    # the biased exponent e (0..2046 for positive x) written under the exponent of 2^52 is
    # the double 2^52 + e; subtracting 2^52 + 1023 leaves e - 1023 exactly, with no
    # int->float conversion (negative x give garbage here and NaN below)
    e2 = _i64_as_f64(((bits >> np.int64(52)) & np.int64(0x7FF)) | EXP_FIELD)  # type: ignore[call-arg]
    dk = e2 - TWO52_BIAS
    m = _i64_as_f64((bits & np.int64(0x000FFFFFFFFFFFFF)) | np.int64(0x3FF0000000000000))  # type: ignore[call-arg]
    big = m > SQRT2
    m = m * 0.5 if big else m
    dk = dk + 1.0 if big else dk
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (LG2 + w * (LG4 + w * LG6))
    t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)))
    R = t2 + t1
    hfsq = 0.5 * f * f
    y = dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f)
    return y if x > 0.0 else math.nan


@scalar
def gauss(x: float) -> float:
    """exp(-x²/2) to ~1 ulp even for large |x|: x² is split exactly (Dekker) into hi + lo."""
    hi = x * x
    c = SPLIT * x
    xh = c - (c - x)
    xl = x - xh
    lo = ((xh * xh - hi) + 2.0 * xh * xl) + xl * xl
    return exp_(-0.5 * hi) * (1.0 - 0.5 * lo)


@scalar
def npdf(x: float) -> float:
    """Standard normal density exp(-x²/2)/√(2π)."""
    return INV_SQRT_2PI * gauss(x)


@scalar
def ncdf_from_gauss(x: float, g: float) -> float:
    """N(x) given g = gauss(x) (saves the exponential when the caller already has it)."""
    y = abs(x)
    # |x| <= 0.67448975: N = 0.5 + x·R(x²)
    xsq = x * x
    num = _A4 * xsq
    den = xsq
    num = (num + _A0) * xsq
    den = (den + _B0) * xsq
    num = (num + _A1) * xsq
    den = (den + _B1) * xsq
    num = (num + _A2) * xsq
    den = (den + _B2) * xsq
    central = 0.5 + x * (num + _A3) / (den + _B3)
    # 0.67448975 < |x| <= √32: tail = exp(-x²/2)·R(|x|)
    n2 = C8 * y
    d2 = y
    n2 = (n2 + C0) * y
    d2 = (d2 + D0) * y
    n2 = (n2 + C1) * y
    d2 = (d2 + D1) * y
    n2 = (n2 + C2) * y
    d2 = (d2 + D2) * y
    n2 = (n2 + C3) * y
    d2 = (d2 + D3) * y
    n2 = (n2 + C4) * y
    d2 = (d2 + D4) * y
    n2 = (n2 + C5) * y
    d2 = (d2 + D5) * y
    n2 = (n2 + C6) * y
    d2 = (d2 + D6) * y
    mid = (n2 + C7) / (d2 + D7)
    # |x| > √32: tail = exp(-x²/2)·(1/√(2π) - R(1/x²))/|x|
    ysq = 1.0 / xsq
    n3 = P5 * ysq
    d3 = ysq
    n3 = (n3 + P0) * ysq
    d3 = (d3 + Q0) * ysq
    n3 = (n3 + P1) * ysq
    d3 = (d3 + Q1) * ysq
    n3 = (n3 + P2) * ysq
    d3 = (d3 + Q2) * ysq
    n3 = (n3 + P3) * ysq
    d3 = (d3 + Q3) * ysq
    far = (INV_SQRT_2PI - ysq * (n3 + P4) / (d3 + Q4)) / y
    rational = mid if y <= SQRT32 else far
    tail = g * rational
    lower = tail if x < 0.0 else 1.0 - tail
    return central if y <= 0.67448975 else lower


@scalar
def ncdf(x: float) -> float:
    """Standard normal distribution function N(x); ~1e-15 relative for x < 0 (the small side)."""
    return ncdf_from_gauss(x, gauss(x))
