"""Implied volatility: Jäckel's "Let's Be Rational" solver, scalar and vectorized.

=======================  ==================================================================
module                   what it holds
=======================  ==================================================================
``engine.iv.solve``      the public functions: :func:`implied_vol`, from quotes, reasons
``engine.iv.kernels``    the compiled solver loops
``engine.iv.vector``     the vectorized passes (initial guess and Householder steps)
``engine.iv.twin``       the plain-Python twin of the kernels
``engine.iv._lbr``       the rational approximations of the normalized Black function
=======================  ==================================================================
"""

from __future__ import annotations

from engine.iv.solve import (
    REASON_NAMES,
    IVReason,
    IVResult,
    black_price,
    implied_vol,
    implied_vol_from_quotes,
    reason_counts,
)

__all__ = [
    "REASON_NAMES",
    "IVReason",
    "IVResult",
    "black_price",
    "implied_vol",
    "implied_vol_from_quotes",
    "reason_counts",
]
