"""Plain-Python twins of the greek kernels: the same formulas, ``math`` functions, plain loops.

Used by the tests (the compiled kernels must agree with these to 1e-13 relative) and when
``GEX_ENGINE_PURE_PYTHON=1`` is set. The normal distribution function here is Cody's
algorithm written the textbook way (real branches, ``math.exp`` with the ``trunc(16x)/16``
split of R's ``pnorm``), so it also checks the branch-free select logic of
:mod:`engine._math`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from engine import _math as m
from engine.typing import BoolArray, FloatArray

__all__ = ["all_greeks_twin", "dealer_greeks_twin", "ncdf_twin", "npdf_twin"]


def npdf_twin(x: float) -> float:
    """Standard normal density."""
    return m.INV_SQRT_2PI * math.exp(-0.5 * x * x)


def ncdf_twin(x: float) -> float:
    """Standard normal distribution function, Cody (1993) as in R's ``pnorm``."""
    if math.isnan(x):
        return math.nan
    y = abs(x)
    if y <= 0.67448975:
        xsq = x * x
        num = m._A4 * xsq
        den = xsq
        for a, b in ((m._A0, m._B0), (m._A1, m._B1), (m._A2, m._B2)):
            num = (num + a) * xsq
            den = (den + b) * xsq
        return 0.5 + x * (num + m._A3) / (den + m._B3)
    if y <= m.SQRT32:
        num = m._C[8] * y
        den = y
        for i in range(7):
            num = (num + m._C[i]) * y
            den = (den + m._D[i]) * y
        rational = (num + m._C[7]) / (den + m._D[7])
    else:
        xsq = 1.0 / (x * x)
        num = m._P[5] * xsq
        den = xsq
        for i in range(4):
            num = (num + m._P[i]) * xsq
            den = (den + m._Q[i]) * xsq
        rational = (m.INV_SQRT_2PI - xsq * (num + m._P[4]) / (den + m._Q[4])) / y
    ysq = math.trunc(y * 16.0) / 16.0
    delta_sq = (y - ysq) * (y + ysq)
    tail = math.exp(-ysq * ysq * 0.5) * math.exp(-delta_sq * 0.5) * rational
    return tail if x < 0.0 else 1.0 - tail


def _one(
    s: float, k: float, t: float, r: float, b: float, vol: float, call: bool
) -> tuple[float, ...]:
    finite = all(math.isfinite(z) for z in (s, k, t, r, b, vol))
    if not (finite and s > 0.0 and k > 0.0 and t > 0.0 and vol > 0.0):
        return (math.nan,) * 7
    phi = 1.0 if call else -1.0
    sqt = math.sqrt(t)
    vst = vol * sqt
    d1 = (math.log(s / k) + (b + 0.5 * vol * vol) * t) / vst
    d2 = d1 - vst
    carry_df = math.exp((b - r) * t)
    df = math.exp(-r * t)
    n1 = npdf_twin(d1)
    nd1 = ncdf_twin(phi * d1)
    nd2 = ncdf_twin(phi * d2)
    price = phi * (s * carry_df * nd1 - k * df * nd2)
    delta = phi * carry_df * nd1
    gamma = carry_df * n1 / (s * vst)
    vega = s * carry_df * n1 * sqt
    vanna = -carry_df * n1 * d2 / vol
    charm = -carry_df * (n1 * (b / vst - d2 / (2.0 * t)) + phi * (b - r) * nd1)
    theta = (
        -s * carry_df * n1 * vol / (2.0 * sqt)
        - phi * (b - r) * s * carry_df * nd1
        - phi * r * k * df * nd2
    )
    return price, delta, gamma, vega, vanna, charm, theta


def all_greeks_twin(
    S: FloatArray,
    K: FloatArray,
    T: FloatArray,
    r: FloatArray,
    b: FloatArray,
    v: FloatArray,
    is_call: BoolArray,
    out: FloatArray | Sequence[FloatArray],
) -> None:
    """Twin of :func:`engine.greeks.kernels.all_greeks_kernel` (``out``: (7, n) or 7 arrays)."""
    for i in range(S.shape[0]):
        values = _one(S[i], K[i], T[i], r[i], b[i], v[i], bool(is_call[i]))
        for row, value in zip(out, values, strict=True):
            row[i] = value


def dealer_greeks_twin(
    S: FloatArray,
    K: FloatArray,
    T: FloatArray,
    r: FloatArray,
    b: FloatArray,
    v: FloatArray,
    is_call: BoolArray,
    out: FloatArray | Sequence[FloatArray],
) -> None:
    """Twin of :func:`engine.greeks.kernels.dealer_greeks_kernel` (delta, gamma, vanna, charm,
    speed, vomma)."""
    full = np.empty((7, S.shape[0]))
    all_greeks_twin(S, K, T, r, b, v, is_call, full)
    for row, field in zip(out[:4], (1, 2, 4, 5), strict=True):
        row[:] = full[field]
    for i in range(S.shape[0]):
        gamma, vega = full[2][i], full[3][i]
        if not math.isfinite(gamma):
            out[4][i] = out[5][i] = math.nan
            continue
        vst = v[i] * math.sqrt(T[i])
        d1 = (math.log(S[i] / K[i]) + (b[i] + 0.5 * v[i] * v[i]) * T[i]) / vst
        d2 = d1 - vst
        out[4][i] = -gamma / S[i] * (1.0 + d1 / vst)
        out[5][i] = vega * d1 * d2 / v[i]
