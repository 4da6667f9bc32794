"""Dealer hedging estimate for spot moves, by repricing delta (docs/conventions.md).

Units and conventions
---------------------
Dealer share delta at a hypothetical spot ``S'``, in shares (units of the underlying)::

    D(S') = Σ_i  w_i · delta_i(S'_i) · m_i,     S'_i = U_i · S' / spot

with the same signed GEX weight ``w_i`` (contracts) as the gamma profile
(:mod:`engine.analysis.profile`), the multiplier ``m_i`` and ``delta = φ e^{(b-r)T} N(φ d1)``
(φ = +1 call, -1 put) at the contract's own underlying moved by the same factor as spot.
Sticky strike: each contract keeps its implied vol, T, rate and carry.

For a signed move ``x`` (a fraction: ``-0.01`` is spot down 1 %), dealers trade
``-[D(S(1+x)) - D(S)]`` shares to stay delta-flat (+ = buy). The estimate is the repriced
difference, not the linear shortcut, so the convexity of short-dated options and the
up/down asymmetry are kept; to first order it is ``-(x / 0.01) · Σ_i GEX_i / U_i``
(``-net_gex · (x / 0.01) / S`` when every underlying is the spot). ``notional_usd`` is
``|shares| · S``. With positive gamma dealers buy the dip and sell the rip.

``direction`` is ``"buy"`` for a non-negative number of shares and ``"sell"`` otherwise.

The kernel writes each contract's position delta at every level (levels outer, contracts
in parallel and vectorized inside); the moved-minus-base difference is taken per contract
before summing, so small moves do not lose digits to the size of the book. Contracts with
zero weight are dropped; the others must have valid inputs (``ValueError`` otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from numba import prange

from engine._jit import kernel, use_twins
from engine._math import ncdf
from engine.analysis.contracts import Contracts, contracts_of
from engine.analysis.profile import ContractTerms, check_spot, contract_terms, kept_terms
from engine.greeks.twins import ncdf_twin
from engine.typing import FloatArray, IntArray

__all__ = [
    "HedgeEstimate",
    "HedgeTerms",
    "dealer_share_delta",
    "estimates_from_terms",
    "hedge_delta_kernel",
    "hedge_delta_twin",
    "hedge_terms",
    "hedge_terms_of",
    "hedging_estimate",
    "signed_moves",
]

Direction = Literal["buy", "sell"]


class HedgeEstimate(NamedTuple):
    """What dealers trade to stay delta-flat when spot moves by ``move`` (a signed fraction)."""

    move: float
    level: float  # spot after the move, S·(1 + move)
    dealer_shares_to_trade: float  # signed, + = buy
    direction: Direction
    notional_usd: float  # |shares| · spot


@dataclass(frozen=True)
class HedgeTerms:
    """Per-contract terms of ``D(S')`` for the contracts with non-zero weight.

    ``shift = ln(U/K) + (b + σ²/2)T``, ``inv_vst = 1/(σ√T)``, ``phi = ±1``,
    ``coef = w · m · φ · e^{(b-r)T}`` (shares per unit of N(φ d1)); ``index`` maps to the
    caller's arrays of length ``size``.
    """

    spot: float
    size: int
    index: IntArray
    shift: FloatArray
    inv_vst: FloatArray
    phi: FloatArray
    coef: FloatArray

    def select(self, keep: npt.ArrayLike) -> HedgeTerms:
        """Terms of the subset ``keep`` (boolean mask over the caller's ``size`` contracts)."""
        sub = kept_terms(keep, self.size, self.index)
        return HedgeTerms(
            self.spot,
            self.size,
            self.index[sub],
            np.ascontiguousarray(self.shift[sub]),
            np.ascontiguousarray(self.inv_vst[sub]),
            np.ascontiguousarray(self.phi[sub]),
            np.ascontiguousarray(self.coef[sub]),
        )


def hedge_terms_of(c: Contracts | ContractTerms, spot: float) -> HedgeTerms:
    """Precompute the terms of ``D(S')`` of the contracts ``c`` (one underlying) around
    ``spot``; the weight is each contract's dealer ``position``."""
    s = check_spot(spot)
    base = c if isinstance(c, ContractTerms) else contract_terms(c)
    phi = np.where(base.is_call, 1.0, -1.0)
    coef = base.position * base.multiplier * phi * base.carry_df
    return HedgeTerms(s, base.size, base.index, base.shift, base.inv_vst, phi, coef)


def hedge_terms(
    spot: float,
    underlying_price: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    vol: npt.ArrayLike,
    rate: npt.ArrayLike,
    carry: npt.ArrayLike,
    weight: npt.ArrayLike,
    multiplier: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> HedgeTerms:
    """:func:`hedge_terms_of` of contracts given as arrays (broadcast to one 1-D length)."""
    c = contracts_of(underlying_price, strike, t, vol, rate, carry, weight, multiplier, is_call)
    return hedge_terms_of(c, spot)


@kernel()
def hedge_delta_kernel(lnx, shift, inv_vst, phi, coef, out):  # type: ignore[no-untyped-def]
    """``out[g, i] = coef[i] · N(phi[i] · (lnx[g] + shift[i]) · inv_vst[i])`` (shares)."""
    G = lnx.shape[0]
    n = shift.shape[0]
    for g in range(G):
        lx = lnx[g]
        for i in prange(n):
            out[g, i] = coef[i] * ncdf(phi[i] * ((lx + shift[i]) * inv_vst[i]))


def hedge_delta_twin(
    lnx: FloatArray,
    shift: FloatArray,
    inv_vst: FloatArray,
    phi: FloatArray,
    coef: FloatArray,
    out: FloatArray,
) -> None:
    """Plain-Python twin of :func:`hedge_delta_kernel`."""
    for g in range(lnx.shape[0]):
        lx = float(lnx[g])
        for i in range(shift.shape[0]):
            d = (lx + float(shift[i])) * float(inv_vst[i])
            out[g, i] = float(coef[i]) * ncdf_twin(float(phi[i]) * d)


def _position_deltas(terms: HedgeTerms, ratios: FloatArray) -> FloatArray:
    """Per-contract position delta (shares), one row per spot ratio ``S'/spot``."""
    lnx = np.log(np.ascontiguousarray(ratios, dtype=np.float64))
    out = np.zeros((lnx.shape[0], terms.shift.shape[0]))
    if out.size:
        run = hedge_delta_twin if use_twins() else hedge_delta_kernel
        run(lnx, terms.shift, terms.inv_vst, terms.phi, terms.coef, out)
    return out


def dealer_share_delta(terms: HedgeTerms, levels: npt.ArrayLike) -> FloatArray:
    """``D(S')`` in shares at each hypothetical spot in ``levels`` (1-D)."""
    lv = np.asarray(levels, dtype=np.float64).reshape(-1)
    if not (np.isfinite(lv).all() and (lv > 0.0).all()):
        raise ValueError("levels must be finite and positive")
    return _position_deltas(terms, lv / terms.spot).sum(axis=1)


def signed_moves(moves: Sequence[float]) -> list[float]:
    """``-|x|`` and ``+|x|`` for every move, ascending and without duplicates."""
    out: set[float] = set()
    for m in moves:
        x = abs(float(m))
        if not (math.isfinite(x) and 0.0 < x < 1.0):
            raise ValueError(f"a move must be a non-zero fraction of spot below 1, got {m!r}")
        out.update((-x, x))
    return sorted(out)


def estimates_from_terms(terms: HedgeTerms, moves: Sequence[float]) -> dict[float, HedgeEstimate]:
    """Hedging estimate per signed move (both signs of each ``moves`` entry) from ``terms``."""
    keys = signed_moves(moves)
    ratios = np.array([1.0, *(1.0 + x for x in keys)])
    deltas = _position_deltas(terms, ratios)
    change = (deltas[1:] - deltas[0]).sum(axis=1)  # per-contract difference, then the sum
    result: dict[float, HedgeEstimate] = {}
    for x, dd in zip(keys, change, strict=True):
        shares = -float(dd) + 0.0  # + 0.0 turns -0.0 into 0.0
        direction: Direction = "sell" if shares < 0.0 else "buy"
        level = terms.spot * (1.0 + x)
        result[x] = HedgeEstimate(x, level, shares, direction, abs(shares) * terms.spot)
    return result


def hedging_estimate(
    moves: Sequence[float],
    spot: float,
    underlying_price: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    vol: npt.ArrayLike,
    rate: npt.ArrayLike,
    carry: npt.ArrayLike,
    weight: npt.ArrayLike,
    multiplier: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> dict[float, HedgeEstimate]:
    """Dealer hedging per signed move: ``moves=[0.01]`` gives keys ``-0.01`` and ``0.01``.

    ``weight`` is the signed GEX position weight in contracts (``+OI`` calls, ``-OI`` puts
    under ``street``); ``carry`` is ``r - q`` for BSM and 0 for Black-76.
    """
    terms = hedge_terms(
        spot, underlying_price, strike, t, vol, rate, carry, weight, multiplier, is_call
    )
    return estimates_from_terms(terms, moves)
