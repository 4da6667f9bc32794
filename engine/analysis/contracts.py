"""Priced contracts as one struct of arrays: what every stage after pricing reads.

A :class:`Contracts` value holds one entry per priced contract, grouped by underlying
(contracts of underlying ``u`` are ``uid == u``, contiguous and ascending): the inputs of
the pricing model — underlying price ``U`` (the spot for ``bsm``, the future for
``black76``), strike ``K``, ``t`` (years), ``iv``, ``rate``, ``carry`` (b, decimals) — the
right, the multiplier, the open interest and the dealer ``position`` (contracts, + = dealers
long: :func:`engine.exposure.dealer.dealer_positions`, the weight the gamma profile and the
hedging estimate reprice with), plus each contract's ``expiration_day`` (days since
1970-01-01). A single chain is a market of one underlying (``uid`` all zero).

The greeks (:func:`engine.greeks.dealer_greeks`), the exposures
(:func:`engine.exposure.dealer.contract_exposures`), the profile terms
(:func:`engine.analysis.profile.terms_of`) and the hedging terms
(:func:`engine.analysis.hedging.hedge_terms_of`) all take one such value instead of nine
parallel arrays; :func:`contracts_of` builds one from the arrays of the older signatures.
Units as in ``docs/conventions.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from engine.exposure.metrics import Exposures
from engine.greeks import DealerGreeks, dealer_greeks
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = ["Contracts", "contracts_of"]


@dataclass(frozen=True, slots=True)
class Contracts:
    """Priced contracts, one entry per contract (see the module docstring)."""

    underlying_price: FloatArray
    strike: FloatArray
    t: FloatArray
    iv: FloatArray
    rate: FloatArray
    carry: FloatArray
    is_call: BoolArray
    multiplier: FloatArray
    open_interest: FloatArray
    position: FloatArray
    expiration_day: IntArray
    uid: IntArray
    n_underlyings: int = 1

    @property
    def size(self) -> int:
        return int(self.strike.shape[0])

    def bounds(self) -> tuple[IntArray, IntArray]:
        """``(starts, stops)``: each underlying's range of contracts."""
        ids = np.arange(self.n_underlyings)
        return (
            np.searchsorted(self.uid, ids, side="left").astype(np.int64),
            np.searchsorted(self.uid, ids, side="right").astype(np.int64),
        )

    def take(self, keep: npt.ArrayLike) -> Contracts:
        """The contracts at ``keep`` (a boolean mask or ascending positions)."""
        index = np.asarray(keep)
        values = {
            f.name: getattr(self, f.name)[index] for f in fields(self) if f.name != "n_underlyings"
        }
        return Contracts(**values, n_underlyings=self.n_underlyings)

    def greeks(self) -> DealerGreeks:
        """Delta, gamma, vanna, charm, speed and vomma of every contract."""
        return dealer_greeks(
            self.underlying_price, self.strike, self.t, self.rate, self.carry, self.iv,
            self.is_call,
        )  # fmt: skip

    def exposures(self, greeks: DealerGreeks | None = None) -> Exposures:
        """Every metric of :data:`engine.exposure.metrics.METRICS` per contract, for the
        dealer ``position`` of each (:mod:`engine.exposure.dealer`)."""
        from engine.exposure.dealer import contract_exposures

        return contract_exposures(
            self.greeks() if greeks is None else greeks,
            open_interest=self.open_interest,
            multiplier=self.multiplier,
            underlying_price=self.underlying_price,
            is_call=self.is_call,
            dealer_model="flow",
            dealer_position=self.position,
        )


def contracts_of(
    underlying_price: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    vol: npt.ArrayLike,
    rate: npt.ArrayLike,
    carry: npt.ArrayLike,
    position: npt.ArrayLike,
    multiplier: npt.ArrayLike,
    is_call: npt.ArrayLike = True,
) -> Contracts:
    """One underlying's :class:`Contracts` from arrays (or scalars) broadcast to one 1-D
    length; open interest ``|position|`` and no expiration (day 0)."""
    floats = [
        np.asarray(a, dtype=np.float64)
        for a in (underlying_price, strike, t, vol, rate, carry, position, multiplier)
    ]
    calls = np.asarray(is_call, dtype=np.bool_)
    shape = np.broadcast_shapes(*(a.shape for a in floats), calls.shape)
    if len(shape) > 1:
        raise ValueError(f"contract arrays must be 1-D, got shape {shape}")
    U, K, T, V, R, B, P, M = (
        np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1) for a in floats
    )
    n = U.shape[0]
    return Contracts(
        underlying_price=U,
        strike=K,
        t=T,
        iv=V,
        rate=R,
        carry=B,
        is_call=np.ascontiguousarray(np.broadcast_to(calls, shape)).reshape(-1),
        multiplier=M,
        open_interest=np.abs(P),
        position=P,
        expiration_day=np.zeros(n, dtype=np.int64),
        uid=np.zeros(n, dtype=np.int64),
    )
