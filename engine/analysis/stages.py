"""The stages after pricing, written once for one chain and for a market (docs/conventions.md).

:func:`engine.analyze` runs them on one underlying, :func:`engine.analyze_market` on many;
every stage takes the priced contracts as one :class:`~engine.analysis.contracts.Contracts`
value grouped by underlying:

=========================  ==================================================================
:func:`priced_contracts`   the priced rows of :func:`engine.pricing.rows.price_market` and
                           their dealer positions
:func:`segment_sum`        per-underlying sums of a per-contract array
:func:`strike_sums_of`     per (underlying, strike): call and put sums of every metric (the
                           segmented kernels :func:`engine.analysis.segmented.strike_groups`
                           and :func:`engine.analysis.segmented.strike_sums`)
:func:`profile_grid`       the profile terms and every underlying's first grid with its
                           spot (the regime); :meth:`ProfileGrid.crossings` the crossings
                           and flip (:func:`engine.analysis.flip.search`)
=========================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.analysis.contracts import Contracts
from engine.analysis.flip import Crossings, Evaluator, grid_levels, search, terms_evaluator
from engine.analysis.profile import ContractTerms, ProfileTerms, contract_terms, terms_of
from engine.analysis.segmented import strike_groups, strike_sums
from engine.chain.market import MarketRows
from engine.exposure.dealer import dealer_positions
from engine.pricing.rows import MarketPriced
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "ProfileGrid",
    "StrikeSums",
    "priced_contracts",
    "profile_grid",
    "segment_sum",
    "strike_sums_of",
]


def priced_contracts(
    r: MarketRows,
    p: MarketPriced,
    dealer_model: str,
    dealer_position: FloatArray | None = None,
) -> Contracts:
    """The priced contracts (rows ``p.keep`` of ``r``) with their dealer positions
    (:func:`engine.exposure.dealer.dealer_positions`; ``dealer_position`` per row of ``r``
    under ``flow``)."""
    keep = p.keep
    every = keep.shape[0] == r.size

    def kept(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return a if every else a[keep]

    calls, oi = kept(r.is_call), kept(r.open_interest)
    inventory = None if dealer_position is None else kept(np.asarray(dealer_position))
    return Contracts(
        underlying_price=kept(r.underlying_price),
        strike=kept(r.strike),
        t=p.t,
        iv=p.iv,
        rate=p.rate,
        carry=p.carry,
        is_call=calls,
        multiplier=kept(r.multiplier),
        open_interest=oi,
        position=np.asarray(dealer_positions(dealer_model, calls, oi, inventory), np.float64),
        expiration_day=kept(r.expiration_day),
        uid=p.uid,
        n_underlyings=r.n_underlyings,
    )


def segment_sum(values: FloatArray, starts: IntArray, stops: IntArray) -> FloatArray:
    """Sum of ``values[starts[u]:stops[u]]`` per segment (segments tile the array in order)."""
    out = np.zeros(starts.shape[0])
    filled = stops > starts
    if filled.any():
        out[filled] = np.add.reduceat(values, starts[filled])
    return out


@dataclass(frozen=True, slots=True)
class StrikeSums:
    """One entry per (underlying, strike), ascending: ``uid``, ``strike``, ``sums`` (2 × M ×
    S: call and put sums of each of the M value rows); ``group``: each contract's entry,
    ``starts`` / ``stops``: each underlying's contracts."""

    uid: IntArray
    strike: FloatArray
    sums: FloatArray
    group: IntArray
    starts: IntArray
    stops: IntArray

    def more_sums(
        self, values: npt.NDArray[np.generic], calls: BoolArray
    ) -> npt.NDArray[np.generic]:
        """Call and put sums (2 × M × S) of other value rows (M × n; integer rows sum exactly)."""
        return strike_sums(self.starts, self.stops, self.group, self.strike.shape[0], calls, values)


def strike_sums_of(c: Contracts, values: FloatArray) -> StrikeSums:
    """Call and put sums of each row of ``values`` (M × n, one row per metric) per
    (underlying, strike), added in contract order."""
    starts, stops = c.bounds()
    group, owner, head = strike_groups(starts, stops, c.strike)
    sums = np.asarray(
        strike_sums(starts, stops, group, head.shape[0], c.is_call, values), np.float64
    )
    return StrikeSums(owner, c.strike[head], sums, group, starts, stops)


@dataclass(frozen=True, slots=True)
class ProfileGrid:
    """The profile ``terms`` of the contracts (spot 1: rows pass their own spots) with each
    underlying's range ``lo`` / ``hi`` in them, the profile at spot of every underlying
    (``at_spot``, USD per 1 %: the regime), and for the searched underlyings ``active``
    their profile on the first grid (``first``) and its evaluator."""

    terms: ProfileTerms
    lo: IntArray
    hi: IntArray
    at_spot: FloatArray
    spots: FloatArray
    active: IntArray
    first: FloatArray
    evaluate: Evaluator
    zero: BoolArray

    def crossings(self, widths: Sequence[float], points: int, tol: float) -> Crossings:
        """Brackets, widening and refinement (:func:`engine.analysis.flip.search`)."""
        return search(
            self.evaluate, self.spots, self.active, self.first, widths=widths, points=points,
            tol=tol, zero=self.zero,
        )  # fmt: skip


def _ranges(owner: IntArray, n: int) -> tuple[IntArray, IntArray]:
    ids = np.arange(n)
    return (
        np.searchsorted(owner, ids, side="left").astype(np.int64),
        np.searchsorted(owner, ids, side="right").astype(np.int64),
    )


def profile_grid(
    c: Contracts | ContractTerms,
    spots: FloatArray,
    active: IntArray,
    width: float,
    points: int,
    subset: BoolArray | None = None,
) -> ProfileGrid:
    """Profile terms and the first grid (±``width``) of every ``active`` underlying, with
    its spot in the same kernel call (the padding of the row holds it).

    ``c``: the contracts, or their :class:`~engine.analysis.profile.ContractTerms` (shared
    with the hedging estimate). ``subset`` (a mask over the contracts): those whose profile
    is searched for crossings (the ``profile`` option of :func:`engine.analyze`); the regime
    still reads every contract's profile at spot.
    """
    base = c if isinstance(c, ContractTerms) else contract_terms(c)
    n = base.n_underlyings
    terms = terms_of(base, 1.0)
    lo, hi = _ranges(base.uid, n)
    grid = grid_levels(spots[active], width, points)
    at_spot = np.zeros(n)
    every = terms_evaluator(terms, lo, hi, spots)
    if subset is None:
        values = every(active, np.concatenate([grid, spots[active, None]], axis=1))
        at_spot[active] = values[:, -1]
        return ProfileGrid(terms, lo, hi, at_spot, spots, active, values[:, :-1], every, hi <= lo)
    at_spot[active] = every(active, spots[active, None])[:, 0]
    searched = terms.select(subset)
    s_lo, s_hi = _ranges(base.uid[np.asarray(subset, dtype=np.bool_)[base.index]], n)
    evaluate = terms_evaluator(searched, s_lo, s_hi, spots)
    first = evaluate(active, grid)
    return ProfileGrid(terms, lo, hi, at_spot, spots, active, first, evaluate, s_hi <= s_lo)
