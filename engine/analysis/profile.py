"""The gamma profile: net dealer GEX recomputed at hypothetical spots (docs/conventions.md).

Units and conventions
---------------------
The profile at a hypothetical spot ``S'`` is, in USD of dealer delta change per 1 % move
(the unit of GEX, :mod:`engine.exposure.dealer`)::

    P(S') = Σ_i  w_i · gamma_i(S'_i) · m_i · S'_i² · 0.01,     S'_i = U_i · S' / spot

- ``w_i`` — the signed GEX position weight in contracts, supplied by the caller
  (``+OI`` for calls and ``-OI`` for puts under ``street``, ``-OI`` under ``short_all``,
  the signed inventory under ``flow``: :func:`engine.exposure.dealer.dealer_signs` times OI).
- ``m_i`` — the multiplier; ``U_i`` — the contract's own underlying price (the spot for
  ``bsm``, the future for ``black76``). A move of the spot by a factor moves every
  underlying by the same factor, so Black-76 contracts follow their future.
- Sticky strike: each contract keeps its own implied vol ``σ_i``, time ``T_i`` (years),
  rate ``r_i`` and carry ``b_i`` (``r - q`` for BSM, 0 for Black-76).
- ``gamma = e^{(b-r)T} n(d1) / (S' σ√T)``, ``d1 = [ln(S'/K) + (b + σ²/2)T] / (σ√T)``.

At ``S' = spot`` the profile equals the chain's net GEX.

Computation
-----------
Per contract, with ``x = S'/spot``, ``d1 = (ln x + c_i) · v_i`` and
``P = x · Σ_i a_i · exp(-d1²/2)`` where ``c_i = ln(U_i/K_i) + (b_i + σ_i²/2)T_i``,
``v_i = 1/(σ_i√T_i)`` and ``a_i = 0.01 · w_i m_i e^{(b_i-r_i)T_i} U_i v_i / √(2π)``. These
terms are computed once (:func:`profile_terms`) and reused for every grid point, every
refinement step of the flip search (:mod:`engine.analysis.flip`) and every subset (:meth:`ProfileTerms.select`).
Contracts with zero weight are dropped at that point (they contribute nothing), so their
other inputs may be NaN; any other contract must have finite inputs with ``U, K, T, σ > 0``
or :func:`profile_terms` raises ``ValueError`` (the chain validator quarantines such rows
before they get here).

The kernel runs over fixed blocks of :data:`BLOCK` contracts in parallel; within a block the
loop over grid points is innermost, so each contract's terms are loaded once and the
grid loop vectorizes with no floating-point reduction in it (each lane owns one grid point).
Blocks are summed in a fixed order, so results do not depend on the number of threads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from numba import prange

from engine._jit import kernel, use_twins
from engine._math import INV_SQRT_2PI, exp_constants, exp_neg_
from engine.typing import FloatArray, IntArray

__all__ = [
    "BLOCK",
    "LANES",
    "ContractArrays",
    "ProfileTerms",
    "check_spot",
    "contract_arrays",
    "evaluate_profile",
    "gamma_profile",
    "profile_kernel",
    "profile_terms",
    "profile_twin",
]

BLOCK: Final = 256  # contracts per parallel task of the profile kernel
LANES: Final = 8  # grid points per vector (AVX-512 doubles; a multiple of AVX2's 4)
PCT: Final = 0.01


@dataclass(frozen=True)
class ProfileTerms:
    """Per-contract terms of the profile, precomputed once (see the module docstring).

    ``index`` holds the positions, in the caller's arrays of length ``size``, of the
    contracts kept (non-zero weight); ``shift``, ``inv_vst`` and ``coef`` are ``c_i``,
    ``v_i`` and ``a_i`` for those contracts, contiguous float64.
    """

    spot: float
    size: int
    index: IntArray
    shift: FloatArray
    inv_vst: FloatArray
    coef: FloatArray

    @property
    def count(self) -> int:
        """Number of contracts that contribute (non-zero weight)."""
        return int(self.index.shape[0])

    def select(self, keep: npt.ArrayLike) -> ProfileTerms:
        """Terms of the subset ``keep`` (a boolean mask over the caller's ``size`` contracts).

        Only the three term arrays of the kept contracts are copied; nothing is recomputed.
        Used for the profiles that exclude 0DTE or the next expiry.
        """
        mask = np.asarray(keep, dtype=np.bool_)
        if mask.shape != (self.size,):
            raise ValueError(f"mask has shape {mask.shape}, expected ({self.size},)")
        sub = mask[self.index]
        return ProfileTerms(
            self.spot,
            self.size,
            self.index[sub],
            np.ascontiguousarray(self.shift[sub]),
            np.ascontiguousarray(self.inv_vst[sub]),
            np.ascontiguousarray(self.coef[sub]),
        )


@dataclass(frozen=True)
class ContractArrays:
    """Validated per-contract inputs of the contracts with non-zero weight (float64, 1-D)."""

    size: int
    index: IntArray
    underlying: FloatArray
    strike: FloatArray
    t: FloatArray
    vol: FloatArray
    rate: FloatArray
    carry: FloatArray
    weight: FloatArray
    multiplier: FloatArray


def check_spot(spot: float) -> float:
    """``spot`` as a float; ``ValueError`` unless finite and positive."""
    s = float(spot)
    if not (math.isfinite(s) and s > 0.0):
        raise ValueError(f"spot must be finite and positive, got {spot!r}")
    return s


def contract_arrays(
    underlying_price: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    vol: npt.ArrayLike,
    rate: npt.ArrayLike,
    carry: npt.ArrayLike,
    weight: npt.ArrayLike,
    multiplier: npt.ArrayLike,
    *extra: npt.ArrayLike,
) -> tuple[ContractArrays, list[npt.NDArray[np.generic]]]:
    """Broadcast to 1-D, drop zero-weight contracts, validate the rest.

    ``extra`` arrays (e.g. ``is_call``) are broadcast and filtered the same way.
    """
    floats = [
        np.asarray(a, dtype=np.float64)
        for a in (underlying_price, strike, t, vol, rate, carry, weight, multiplier)
    ]
    others = [np.asarray(a) for a in extra]
    shape = np.broadcast_shapes(*(a.shape for a in floats), *(a.shape for a in others))
    if len(shape) > 1:
        raise ValueError(f"contract arrays must be 1-D, got shape {shape}")
    flat = [np.broadcast_to(a, shape).reshape(-1) for a in floats]
    flat_extra = [np.broadcast_to(a, shape).reshape(-1) for a in others]
    size = int(flat[0].shape[0])
    index = np.flatnonzero(flat[6] != 0.0).astype(np.int64)
    U, K, T, V, R, B, W, M = (np.ascontiguousarray(a[index]) for a in flat)
    ok = (U > 0.0) & (K > 0.0) & (T > 0.0) & (V > 0.0)
    ok &= np.isfinite(U) & np.isfinite(K) & np.isfinite(T) & np.isfinite(V)
    ok &= np.isfinite(R) & np.isfinite(B) & np.isfinite(W) & np.isfinite(M)
    if not ok.all():
        bad = index[~ok]
        raise ValueError(
            f"{bad.size} contract(s) with non-zero weight have invalid inputs "
            f"(first at position {int(bad[0])}): underlying, strike, t and vol must be "
            "finite and positive; rate, carry, weight and multiplier finite"
        )
    arrays = ContractArrays(size, index, U, K, T, V, R, B, W, M)
    return arrays, [np.ascontiguousarray(a[index]) for a in flat_extra]


def profile_terms(
    spot: float,
    underlying_price: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    vol: npt.ArrayLike,
    rate: npt.ArrayLike,
    carry: npt.ArrayLike,
    weight: npt.ArrayLike,
    multiplier: npt.ArrayLike,
) -> ProfileTerms:
    """Precompute the profile's per-contract terms (arrays broadcast to one 1-D length)."""
    s = check_spot(spot)
    c, _ = contract_arrays(underlying_price, strike, t, vol, rate, carry, weight, multiplier)
    vst = c.vol * np.sqrt(c.t)
    inv_vst = 1.0 / vst
    shift = np.log(c.underlying / c.strike) + (c.carry + 0.5 * c.vol * c.vol) * c.t
    carry_df = np.exp((c.carry - c.rate) * c.t)
    coef = (PCT * INV_SQRT_2PI) * c.weight * c.multiplier * carry_df * c.underlying * inv_vst
    return ProfileTerms(s, c.size, c.index, shift, inv_vst, coef)


@kernel()
def profile_kernel(lnx, x, shift, inv_vst, coef, out):  # type: ignore[no-untyped-def]
    """``out[g] = x[g] · Σ_i coef[i] · exp(-½((lnx[g] + shift[i]) · inv_vst[i])²)``.

    ``lnx = ln x`` and ``x = S'/spot`` per grid point. Parallel over blocks of
    :data:`BLOCK` contracts; the grid loop is innermost (vectorized, no reduction).
    """
    G = lnx.shape[0]
    n = shift.shape[0]
    blocks = (n + BLOCK - 1) // BLOCK
    partial = np.zeros((blocks, G))
    k = exp_constants()  # run-time values in the loop body (see exp_constants)
    for blk in prange(blocks):
        lo = blk * BLOCK
        hi = min(lo + BLOCK, n)
        acc = partial[blk]
        for i in range(lo, hi):
            s = shift[i]
            v = inv_vst[i]
            a = coef[i]
            for g in range(G):
                d = (lnx[g] + s) * v
                acc[g] += a * exp_neg_(-0.5 * d * d, k)
    for g in range(G):
        total = 0.0
        for blk in range(blocks):
            total += partial[blk, g]
        out[g] = x[g] * total


def profile_twin(
    lnx: FloatArray,
    x: FloatArray,
    shift: FloatArray,
    inv_vst: FloatArray,
    coef: FloatArray,
    out: FloatArray,
) -> None:
    """Plain-Python twin of :func:`profile_kernel` (same blocks and order, ``math.exp``)."""
    G = lnx.shape[0]
    n = shift.shape[0]
    blocks = (n + BLOCK - 1) // BLOCK
    partial = [[0.0] * G for _ in range(blocks)]
    lx = [float(z) for z in lnx]
    for blk in range(blocks):
        acc = partial[blk]
        for i in range(blk * BLOCK, min(blk * BLOCK + BLOCK, n)):
            s, v, a = float(shift[i]), float(inv_vst[i]), float(coef[i])
            for g in range(G):
                d = (lx[g] + s) * v
                acc[g] += a * math.exp(-0.5 * d * d)
    for g in range(G):
        total = 0.0
        for blk in range(blocks):
            total += partial[blk][g]
        out[g] = x[g] * total


def evaluate_profile(terms: ProfileTerms, levels: npt.ArrayLike) -> FloatArray:
    """The profile (USD per 1 % move) at each hypothetical spot in ``levels`` (any shape)."""
    lv = np.asarray(levels, dtype=np.float64)
    if not (np.isfinite(lv).all() and (lv > 0.0).all()):
        raise ValueError("profile levels must be finite and positive")
    G = lv.size
    # pad the grid to whole vectors (dummy points at x = 1): a partial vector would run
    # the kernel's scalar remainder loop, several times slower per point
    x = np.ones(-(-G // LANES) * LANES)
    x[:G] = lv.reshape(-1) / terms.spot
    lnx = np.log(x)
    out = np.zeros(x.shape[0])
    if G and terms.count:
        run = profile_twin if use_twins() else profile_kernel
        run(lnx, x, terms.shift, terms.inv_vst, terms.coef, out)
    return out[:G].reshape(lv.shape)


def gamma_profile(
    levels: npt.ArrayLike,
    spot: float,
    underlying_price: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    vol: npt.ArrayLike,
    rate: npt.ArrayLike,
    carry: npt.ArrayLike,
    weight: npt.ArrayLike,
    multiplier: npt.ArrayLike,
) -> FloatArray:
    """Net dealer GEX (USD per 1 % move) at each hypothetical spot in ``levels``.

    Contract arrays broadcast to one 1-D length; ``weight`` is the signed GEX position
    weight in contracts (see the module docstring). Equivalent to
    ``evaluate_profile(profile_terms(spot, ...), levels)``.
    """
    terms = profile_terms(spot, underlying_price, strike, t, vol, rate, carry, weight, multiplier)
    return evaluate_profile(terms, levels)
