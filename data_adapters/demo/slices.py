"""The unit the demo chain builder works on: one *slice* per (underlying, root, expiration).

A :class:`Slices` holds ``n`` slices as parallel numpy arrays (one entry per slice), so the
same vectorized code builds one symbol's chain (about 50 slices) or the whole synthetic
market (about 100,000). Units: prices in the underlying's units, vols and rates as continuous
annual decimals, instants in UTC epoch microseconds, strikes in thousandths ("milli").
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import numpy.typing as npt

from engine.time import MIN_T_SECONDS, SECONDS_PER_YEAR

__all__ = ["Slices", "concat", "years"]

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]

KIND_OI_WEIGHT: Final = np.array([2.5, 1.2, 1.6, 0.9, 0.8, 0.5])
"""Open-interest weight per expiry kind, in the order of ``expiries.KINDS``."""


def years(settlement_us: Int, as_of_us: int | Int) -> Float:
    """Year fraction to settlement as the engine computes it, floored at one minute."""
    seconds = (settlement_us - as_of_us) / 1e6
    return np.maximum(seconds, MIN_T_SECONDS) / SECONDS_PER_YEAR


@dataclass(frozen=True, slots=True)
class Slices:
    """``n`` expiry slices (every field an array of length n, ``steps_milli`` (n, 3)).

    ``owner``: position of the slice's underlying in the caller's list. ``key``: noise key.
    ``root``/``style``/``model``: canonical strings. ``osi``: OSI contract ids (else CME
    style). ``expiration``: datetime64[D]. ``settlement_us``: from engine.settlement.
    ``kind``: index into ``expiries.KINDS``. ``underlying``: price of the contracts' own
    underlying at ``as_of`` (spot, or the futures price), ``reference``: the same at the
    previous close (grid and open-interest centre). ``q``: dividend yield (BSM) or the rate
    (Black-76, carry 0). ``atm_short``/``atm_long``/``wing``/``skew``: smile parameters. ``grid_vol``: the vol
    that sizes the strike grid (the symbol's base vol: listings do not follow the regime).
    ``round_milli``: increment whose multiples draw open interest. ``width``: grid width
    multiplier. ``oi_scale``: near-the-money open interest of a monthly strike.
    ``scheme``: index into ``pricing.TICK_SCHEMES``.
    """

    owner: Int
    key: npt.NDArray[np.uint64]
    root: npt.NDArray[np.str_]
    style: npt.NDArray[np.str_]
    model: npt.NDArray[np.str_]
    osi: npt.NDArray[np.bool_]
    expiration: npt.NDArray[np.datetime64]
    settlement_us: Int
    kind: npt.NDArray[np.int8]
    multiplier: Float
    underlying: Float
    reference: Float
    q: Float
    atm_short: Float
    atm_long: Float
    wing: Float
    skew: Float
    grid_vol: Float
    steps_milli: Int
    round_milli: Int
    width: Float
    oi_scale: Float
    scheme: npt.NDArray[np.int8]

    @property
    def size(self) -> int:
        return int(self.owner.size)

    def take(self, index: npt.ArrayLike) -> Slices:
        """The slices at ``index`` (an integer array or a boolean mask)."""
        return Slices(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def concat(parts: list[Slices]) -> Slices:
    """Concatenate slice sets (``owner`` values are kept as they are)."""
    return Slices(
        **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Slices)}
    )
