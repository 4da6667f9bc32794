"""Elementary functions written as plain arithmetic so LLVM can vectorize the loops using them.

``math.exp``, ``math.log`` and ``math.erfc`` compile to scalar libm calls (the PyPI
llvmlite ships no vector math library), which keeps every loop that calls them scalar. These
versions use only +, -, *, /, fused multiply-add (:func:`fma_`), ``sqrt``, comparisons,
integer add/shift/and/or and bit casts, all of which have vector instructions, and are
accurate to about one unit in the last place:

- :func:`exp_` — Cody-Waite reduction by ln 2, a degree-11 minimax polynomial on
  |r| ≤ ln2/2 (Estrin's scheme), and the scale 2^n assembled in the exponent bits. n is
  rounded with the ``1.5·2^52`` shifter: ``t = x·log2(e) + 1.5·2^52`` leaves round(x·log2(e))
  in t's low mantissa bits, ``n = t − 1.5·2^52`` is that integer as a double, and 2^n is the
  int64 view of t plus 1023, shifted left by 52. :func:`exp_neg_` is the same for x ≤ 0.
- :func:`log_` — fdlibm's ``__ieee754_log`` algorithm: exponent and mantissa from the bits,
  mantissa folded into [√2/2, √2), a degree-14 odd series in s = f/(2+f); the exponent
  becomes a double by writing it under the exponent of 2^52 and subtracting 2^52 + 1023.
- :func:`ncdf` — the standard normal distribution function, W. J. Cody's rational
  Chebyshev approximations (ACM TOMS 715, the algorithm of R's ``pnorm``), with the tail
  factor exp(-x²/2) computed from an exact split of x² so the far tails keep full relative
  precision (N(-37) is still accurate to ~1e-15 relative); one division per call.
- :func:`npdf` — the standard normal density with the same exact-square treatment.

No float↔int64 conversion appears in any of them, on purpose: x86 has packed double↔int64
conversions (``vcvttpd2qq``, ``vcvtqq2pd``) only with AVX-512DQ. On AVX2 (every AMD CPU
before Zen 4, Intel client CPUs) LLVM extracts each lane, converts it with scalar
``vcvttsd2si``/``vcvtsi2sd`` and reinserts it, which made the AVX2 kernels 2-2.5x slower
per contract than the AVX-512 build of the same source. The shifter trick relies on IEEE
evaluation order: it must never be compiled with ``fastmath`` (``reassoc`` folds
``(t + c) − c`` to ``t``); :mod:`engine._jit` does not set it, and
``tests/engine/greeks/test_greeks.py`` checks both the rounding and, compiling for ``haswell``,
that no conversion is left.

The kernels calling these are latency-bound (a loop body is longer than the CPU's reorder
window), so the polynomials are written for short dependency chains: fused multiply-adds and
Estrin's scheme instead of Horner's rule. ``fma_`` is ``llvm.fmuladd``: one rounding on every
x86-64 CPU with FMA (Haswell and later, every AVX2 CPU), a multiply and an add elsewhere, so
results can differ by an ulp on pre-AVX2 CPUs; products that must be exact are written so
that fusing them or not gives the same value.

Branches are written as selects over values computed for every lane, so the loop body has no
control flow. The Python twins (``engine/greeks/twins.py``) use ``math`` instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from engine._jit import scalar

__all__ = [
    "EXP_K",
    "exp_",
    "exp_constants",
    "exp_neg_",
    "fma_",
    "gauss",
    "log_",
    "ncdf",
    "ncdf_from_gauss",
    "npdf",
]

LN2_HI = 6.93147180369123816490e-01  # ln 2, upper bits (exact n*LN2_HI for |n| < 2^11)
LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
LOG2E = 1.4426950408889634074
INV_SQRT_2PI = 0.398942280401432677939946059934
SQRT32 = 5.656854249492380195206754896838
SPLIT = 134217729.0  # 2^27 + 1, Dekker's splitter
FAR_CAP = 40.0  # |x| beyond which exp(-x²/2) underflows to 0 (from 37.7 on)

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
# exp: e^r = 1 + r + r²·(EXP_P0 + EXP_P1·r + … + EXP_P9·r⁹), minimax relative on |r| <= ln2/2
EXP_P0 = 0.5000000000000011
EXP_P1 = 0.16666666666666413
EXP_P2 = 0.04166666666653024
EXP_P3 = 0.008333333333494349
EXP_P4 = 0.0013888888943604592
EXP_P5 = 0.0001984126950677007
EXP_P6 = 2.4801493128919025e-05
EXP_P7 = 2.7557586258930278e-06
EXP_P8 = 2.7630236550583157e-07
EXP_P9 = 2.500007899396402e-08
SHIFTER = 6755399441055744.0  # 1.5·2^52: x + SHIFTER rounds x to an integer (|x| < 2^51)
TWO52_BIAS = 4503599627371519.0  # 2^52 + 1023
EXP_FIELD = np.int64(0x4330000000000000)  # the exponent field of 2^52
# the constants of exp, in the order _exp_reduced reads them
EXP_K = (EXP_MIN, LOG2E, SHIFTER, -LN2_HI, -LN2_LO, EXP_P0, EXP_P1, EXP_P2, EXP_P3, EXP_P4,
         EXP_P5, EXP_P6, EXP_P7, EXP_P8, EXP_P9, 1.0)  # fmt: skip
_EXP_K_ARRAY = np.array(EXP_K)


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


@intrinsic
def _fma(typingctx, a, b, c):  # type: ignore[no-untyped-def]
    """a·b + c with one rounding where the CPU has FMA (``llvm.fmuladd``: fused on every
    x86-64 CPU since Haswell / Piledriver, a multiply and an add elsewhere); vectorizable."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        dbl = context.get_value_type(types.float64)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(dbl, [dbl, dbl, dbl]), "llvm.fmuladd.f64"
        )
        return builder.call(fn, args)

    return sig, codegen


fma_ = cast(Callable[[float, float, float], float], _fma)  # the intrinsic, typed for mypy


@scalar
def _exp_reduced(xc, k):  # type: ignore[no-untyped-def]
    """e**xc for xc in [EXP_MIN, EXP_MAX] (no checks): 2^n · e^r, |r| <= ln2/2.

    ``k`` holds the constants (:data:`EXP_K`, or :func:`exp_constants` in a kernel).
    """
    # n = round(xc/ln 2) (ties to even) without a float->int conversion: t's low mantissa
    # bits hold n, and t - SHIFTER is n exactly as a double (|n| <= 1023)
    t = fma_(xc, k[1], k[2])
    n = t - k[2]
    r = fma_(n, k[4], fma_(n, k[3], xc))  # n·LN2_HI is exact (|n| < 2^11)
    # e^r = 1 + r + r²·P(r), P of degree 9 (minimax for the relative error of e^r on
    # |r| <= ln2/2: 1.1e-17 with these double coefficients), by Estrin's scheme: 5 fused
    # steps deep instead of Horner's 10
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q0 = fma_(r, k[6], k[5])
    q1 = fma_(r, k[8], k[7])
    q2 = fma_(r, k[10], k[9])
    q3 = fma_(r, k[12], k[11])
    q4 = fma_(r, k[14], k[13])
    u0 = fma_(r4, fma_(r2, q3, q2), fma_(r2, q1, q0))
    p = k[15] + fma_(r2, fma_(r8, q4, u0), r)
    # bits(t) = 0x4338000000000000 + n; adding the bias 1023 and shifting the sum left by 52
    # leaves exactly (n + 1023) << 52, the bits of 2^n (the constant's bits shift out)
    scale = _i64_as_f64((_f64_as_i64(t) + np.int64(1023)) << np.int64(52))
    return p * scale


@scalar
def exp_(x: float) -> float:
    """e**x to ~1 ulp for x in [-708.3, 709]; 0 below, exp(709) above, NaN for NaN."""
    y = _exp_reduced(min(max(x, EXP_MIN), EXP_MAX), EXP_K)
    y = 0.0 if x < EXP_MIN else y
    return x if x != x else y


@scalar
def exp_neg_(x, k=EXP_K):  # type: ignore[no-untyped-def]
    """:func:`exp_` for x <= 0 only (Gaussian factors): the same value where x <= 0, with
    neither the upper clamp nor the NaN select (NaN gives 0). ``k``: see :func:`exp_constants`.
    """
    y = _exp_reduced(max(x, k[0]), k)
    return y if x >= k[0] else 0.0


@scalar
def exp_constants():  # type: ignore[no-untyped-def]
    """:data:`EXP_K` read from an array at run time, for a kernel to pass to :func:`exp_neg_`.

    Called before a ``prange`` loop, the tuple reaches the loop's body (a separate compiled
    function) as an argument, so LLVM cannot see the values: it broadcasts them once before
    the loop and keeps them in registers or stack slots. As literal constants they are
    re-loaded from the constant pool in every iteration where registers are short (AVX2 has
    16 vector registers): an address load plus a broadcast per constant, a third of the
    instructions of the profile's inner loop (14 % slower on AVX2; AVX-512 folds broadcast
    constants into the arithmetic and has 32 registers).
    """
    a = _EXP_K_ARRAY
    return (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7],
            a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15])  # fmt: skip


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
    t1 = w * fma_(w, fma_(w, LG6, LG4), LG2)
    t2 = z * fma_(w, fma_(w, fma_(w, LG7, LG5), LG3), LG1)
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
    # the products xh², 2·xh·xl are exact, so fusing them changes nothing
    lo = fma_(xl, xl, fma_(2.0 * xh, xl, fma_(xh, xh, -hi)))
    e = exp_neg_(-0.5 * hi)  # NaN x gives 0 here and NaN through lo below
    return fma_(-0.5 * lo, e, e)


@scalar
def npdf(x: float) -> float:
    """Standard normal density exp(-x²/2)/√(2π)."""
    return INV_SQRT_2PI * gauss(x)


@scalar
def ncdf_from_gauss(x: float, g: float) -> float:
    """N(x) given g = gauss(x) (saves the exponential when the caller already has it).

    All three rationals are evaluated for every lane; the numerator and denominator of the
    one that applies are selected *before* dividing, so N(x) costs one division. The
    polynomials use fused multiply-adds and Estrin's scheme, which keeps their dependency
    chains short (the loops calling N are latency-bound).
    """
    y = abs(x)
    # |x| <= 0.67448975: N = 0.5 + x·R(x²), R = (A4 u⁴ + A0 u³ + A1 u² + A2 u + A3)
    # / (u⁴ + B0 u³ + B1 u² + B2 u + B3) in u = x²
    u = x * x
    u3 = u * (u * u)
    num_c = x * fma_(fma_(_A4, u, _A0), u3, fma_(fma_(_A1, u, _A2), u, _A3))
    den_c = fma_(u + _B0, u3, fma_(fma_(_B1, u, _B2), u, _B3))
    # 0.67448975 < |x| <= √32: tail = exp(-x²/2)·R(|x|), R = (C8 y⁸ + C0 y⁷ + … + C6 y + C7)
    # / (y⁸ + D0 y⁷ + … + D6 y + D7)
    y2 = y * y
    y4 = y2 * y2
    y8 = y4 * y4
    n_lo = fma_(fma_(C4, y, C5), y2, fma_(C6, y, C7))
    n_hi = fma_(fma_(C0, y, C1), y2, fma_(C2, y, C3))
    num_m = fma_(C8, y8, fma_(n_hi, y4, n_lo))
    d_lo = fma_(fma_(D4, y, D5), y2, fma_(D6, y, D7))
    d_hi = fma_(fma_(D0, y, D1), y2, fma_(D2, y, D3))
    den_m = y8 + fma_(d_hi, y4, d_lo)
    # |x| > √32: tail = exp(-x²/2)·(1/√(2π) - R(1/x²)/x²)/|x|. Cody's rational in 1/x² is
    # multiplied through by x^10 (numerator and denominator alike), so no reciprocal is
    # needed: R = N(z)/D(z) with z = x², N = P5 + P0 z + … + P4 z⁵, D = 1 + Q0 z + … + Q4 z⁵.
    # |x| is capped at FAR_CAP, past which g = 0 anyway, so z⁵ stays finite.
    yf = min(y, FAR_CAP)
    z = yf * yf
    n3 = fma_(fma_(fma_(fma_(fma_(P4, z, P3), z, P2), z, P1), z, P0), z, P5)
    d3 = fma_(fma_(fma_(fma_(fma_(Q4, z, Q3), z, Q2), z, Q1), z, Q0), z, 1.0)
    zd = z * d3
    num_f = INV_SQRT_2PI * zd - n3
    den_f = zd * yf
    central = y <= 0.67448975
    middle = y <= SQRT32
    ratio = (num_c if central else (num_m if middle else num_f)) / (
        den_c if central else (den_m if middle else den_f)
    )
    tail = g * ratio
    lower = tail if x < 0.0 else 1.0 - tail
    return 0.5 + ratio if central else lower


@scalar
def ncdf(x: float) -> float:
    """Standard normal distribution function N(x); ~1e-15 relative for x < 0 (the small side)."""
    return ncdf_from_gauss(x, gauss(x))
