"""The gamma profile: net dealer GEX recomputed at hypothetical spots (docs/conventions.md).

Units and conventions
---------------------
The profile at a hypothetical spot ``S'`` is, in USD of dealer delta change per 1 % move
(the unit of GEX, :mod:`engine.exposure.dealer`)::

    P(S') = Σ_i  w_i · gamma_i(S'_i) · m_i · S'_i² · 0.01,     S'_i = U_i · S' / spot

- ``w_i`` — the dealer position in contracts (:attr:`engine.analysis.contracts.Contracts.position`:
  ``+OI`` for calls and ``-OI`` for puts under ``street``, ``-OI`` under ``short_all``, the
  signed inventory under ``flow``).
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
terms are computed once (:func:`terms_of`) and reused for every grid point, every
refinement step of the flip search (:mod:`engine.analysis.flip`) and every subset
(:meth:`ProfileTerms.select`). Contracts with zero weight are dropped at that point (they
contribute nothing), so their other inputs may be NaN; any other contract must have finite
inputs with ``U, K, T, σ > 0`` or :func:`terms_of` raises ``ValueError`` (the chain
validator quarantines such rows before they get here).

Every evaluation — one chain's grid, a market's grids, the refinement brackets — runs the
one segmented kernel :func:`engine.analysis.segmented.segment_profile` (:func:`profile_at`):
blocks of :data:`BLOCK` contracts in parallel, the loop over points innermost (vectorized,
no reduction in it), blocks summed in a fixed order, so results do not depend on the number
of threads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from engine._math import INV_SQRT_2PI
from engine.analysis.contracts import Contracts, contracts_of
from engine.analysis.segmented import BLOCK, LANES, segment_profile
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "BLOCK",
    "LANES",
    "ContractTerms",
    "ProfileTerms",
    "check_spot",
    "contract_terms",
    "evaluate_profile",
    "gamma_profile",
    "profile_at",
    "profile_terms",
    "terms_of",
]

PCT = 0.01


def kept_terms(keep: npt.ArrayLike, size: int, index: IntArray) -> BoolArray:
    """Which terms (contracts ``index``) a boolean mask over the caller's ``size`` contracts
    keeps; the ``select`` of the profile's and the hedging's terms."""
    mask = np.asarray(keep, dtype=np.bool_)
    if mask.shape != (size,):
        raise ValueError(f"mask has shape {mask.shape}, expected ({size},)")
    return mask[index]


@dataclass(frozen=True)
class ProfileTerms:
    """Per-contract terms of the profile, precomputed once (see the module docstring).

    ``index`` holds the positions, in the caller's arrays of length ``size``, of the
    contracts kept (non-zero weight); ``shift``, ``inv_vst`` and ``coef`` are ``c_i``,
    ``v_i`` and ``a_i`` for those contracts, contiguous float64. Levels are divided by
    ``spot`` (1.0 for the terms of a market, whose rows pass their own spots).
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
        sub = kept_terms(keep, self.size, self.index)
        return ProfileTerms(
            self.spot,
            self.size,
            self.index[sub],
            np.ascontiguousarray(self.shift[sub]),
            np.ascontiguousarray(self.inv_vst[sub]),
            np.ascontiguousarray(self.coef[sub]),
        )


def check_spot(spot: float) -> float:
    """``spot`` as a float; ``ValueError`` unless finite and positive."""
    s = float(spot)
    if not (math.isfinite(s) and s > 0.0):
        raise ValueError(f"spot must be finite and positive, got {spot!r}")
    return s


@dataclass(frozen=True)
class ContractTerms:
    """What the profile and the hedging estimate (:mod:`engine.analysis.hedging`) share, for
    the contracts with a non-zero position (at ``index`` of the ``size`` given): their
    ``uid``, ``position``, ``multiplier``, ``underlying_price`` and ``is_call``, and
    ``shift = ln(U/K) + (b + σ²/2)T``, ``inv_vst = 1/(σ√T)``, ``carry_df = e^{(b-r)T}``."""

    size: int
    n_underlyings: int
    index: IntArray
    uid: IntArray
    position: FloatArray
    multiplier: FloatArray
    underlying_price: FloatArray
    is_call: BoolArray
    shift: FloatArray
    inv_vst: FloatArray
    carry_df: FloatArray

    def select(self, keep: npt.ArrayLike) -> ContractTerms:
        """The terms of the contracts where ``keep`` (a mask over the ``size`` given) holds."""
        sub = np.asarray(keep, dtype=np.bool_)[self.index]
        arrays = {f.name: getattr(self, f.name)[sub] for f in fields(self)[2:]}
        return ContractTerms(self.size, self.n_underlyings, **arrays)


def contract_terms(c: Contracts) -> ContractTerms:
    """:class:`ContractTerms` of the contracts ``c``; ``ValueError`` unless every contract
    with a position has valid inputs (see the module docstring)."""
    weighted = c.position != 0.0
    U, K, T, V = c.underlying_price, c.strike, c.t, c.iv
    with np.errstate(all="ignore"):  # contracts without a position may hold anything
        ok = (U > 0.0) & (K > 0.0) & (T > 0.0) & (V > 0.0)
        ok &= np.isfinite(U) & np.isfinite(K) & np.isfinite(T) & np.isfinite(V)
        for x in (c.rate, c.carry, c.position, c.multiplier):
            ok &= np.isfinite(x)
        bad = np.flatnonzero(weighted & ~ok)
        if bad.size:
            raise ValueError(
                f"{bad.size} contract(s) with non-zero weight have invalid inputs "
                f"(first at position {int(bad[0])}): underlying, strike, t and vol must be "
                "finite and positive; rate, carry, weight and multiplier finite"
            )
        inv_vst = 1.0 / (V * np.sqrt(T))
        shift = np.log(U / K) + (c.carry + 0.5 * V * V) * T
        carry_df = np.exp((c.carry - c.rate) * T)
    index = np.flatnonzero(weighted).astype(np.int64)
    if index.shape[0] < c.size:
        uid, position, multiplier = c.uid[index], c.position[index], c.multiplier[index]
        U, is_call = U[index], c.is_call[index]
        shift, inv_vst, carry_df = shift[index], inv_vst[index], carry_df[index]
    else:
        uid, position, multiplier, is_call = c.uid, c.position, c.multiplier, c.is_call
    return ContractTerms(
        c.size, c.n_underlyings, index, uid, position, multiplier, U, is_call, shift, inv_vst,
        carry_df,
    )  # fmt: skip


def terms_of(c: Contracts | ContractTerms, spot: float = 1.0) -> ProfileTerms:
    """Precompute the profile's per-contract terms of the contracts ``c``."""
    s = check_spot(spot)
    base = c if isinstance(c, ContractTerms) else contract_terms(c)
    coef = (
        (PCT * INV_SQRT_2PI) * base.position * base.multiplier * base.carry_df
        * base.underlying_price * base.inv_vst
    )  # fmt: skip
    return ProfileTerms(s, base.size, base.index, base.shift, base.inv_vst, coef)


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
    """:func:`terms_of` of one underlying's contracts given as arrays (broadcast to one 1-D
    length); ``weight`` is the dealer position."""
    c = contracts_of(underlying_price, strike, t, vol, rate, carry, weight, multiplier)
    return terms_of(c, spot)


def profile_at(
    terms: ProfileTerms, lo: IntArray, hi: IntArray, levels: FloatArray, spots: FloatArray
) -> FloatArray:
    """Profile of row ``r`` (contracts ``[lo[r], hi[r])`` of ``terms``) at ``levels[r, :]``,
    hypothetical spots of an underlying whose spot is ``spots[r]`` (``terms.spot`` times);
    (R × L) USD per 1 %. Levels must be finite and positive."""
    x = levels / (spots[:, None] * terms.spot)
    return segment_profile(lo, hi, x, terms.shift, terms.inv_vst, terms.coef)


def evaluate_profile(terms: ProfileTerms, levels: npt.ArrayLike) -> FloatArray:
    """The profile (USD per 1 % move) of one underlying's terms at each hypothetical spot
    in ``levels`` (any shape)."""
    lv = np.asarray(levels, dtype=np.float64)
    if not (np.isfinite(lv).all() and (lv > 0.0).all()):
        raise ValueError("profile levels must be finite and positive")
    rows = profile_at(
        terms,
        np.zeros(1, dtype=np.int64),
        np.full(1, terms.count, dtype=np.int64),
        lv.reshape(1, -1),
        np.ones(1),
    )
    return rows[0].reshape(lv.shape)


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

    Contract arrays broadcast to one 1-D length; ``weight`` is the dealer position in
    contracts (see the module docstring). Equivalent to
    ``evaluate_profile(profile_terms(spot, ...), levels)``.
    """
    terms = profile_terms(spot, underlying_price, strike, t, vol, rate, carry, weight, multiplier)
    return evaluate_profile(terms, levels)
