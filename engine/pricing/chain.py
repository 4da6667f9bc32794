"""From a validated chain to priced contracts: T, forwards, implied vols, greeks, exposures.

This is the ``native`` pipeline (``docs/conventions.md``) for one chain, the step every
analysis starts from; a chain is priced as a market of one underlying, by the same stages
as :func:`engine.analysis.analyze_market`:

1. :func:`engine.chain.validate` splits usable rows from quarantined ones.
2. ``t`` — exact year fraction to each row's settlement instant (:mod:`engine.time`).
3. Forward and discount rate per expiry, IV of every row from its own mid quote, one smile
   per expiry (:func:`engine.pricing.rows.price_market`): the parity fit of
   :mod:`engine.pricing.forward`, then :mod:`engine.pricing.smile`. Each row's ``iv_source``
   says where its IV came from. Rows that still have no IV cannot be priced: they are
   excluded and counted as ``no_iv``.
4. Delta, gamma, vanna, charm (:func:`engine.greeks.dealer_greeks`) and the dealer
   exposures of every metric under the chosen dealer model (:mod:`engine.exposure.dealer`),
   plus ``gex_weight`` — the dealer position (contracts) the gamma profile and the hedging
   estimate reprice with.

The :class:`PricedChain` keeps its frames (``contracts``, ``forwards``) unbuilt until they
are read (:mod:`engine.chain.lazy`): :func:`engine.analyze` works on the arrays and returns
the priced chain for the callers that want the frame.

Pure computation: no I/O, no clock; ``as_of`` comes from the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import polars as pl

from engine.chain import ChainSnapshot, ValidatedChain, validate
from engine.chain.lazy import Deferred, LazyField
from engine.chain.validate import ChainFrames, validated_rows
from engine.errors import ConfigurationError, EmptySnapshotError
from engine.exposure.dealer import DEALER_MODELS, contract_exposures, dealer_positions
from engine.greeks import dealer_greeks
from engine.pricing.forward import FORWARD_METHOD_NAMES, FORWARD_MODES
from engine.pricing.rows import CARRY_METHOD, FUTURE_METHOD, MarketPriced, price_market
from engine.pricing.smile import SMILE_SOURCE_NAMES
from engine.typing import FloatArray

__all__ = [
    "FORWARD_MODES",
    "GREEK_COLUMNS",
    "PricedChain",
    "price_chain",
    "price_validated",
    "priced_chain",
    "priced_rows",
]

GREEK_COLUMNS: Final = ("delta", "gamma", "vanna", "charm")
"""The raw greeks kept per priced contract (``speed`` and ``vomma`` live on only in their
exposures, whose columns carry the metric names of :mod:`engine.exposure.metrics`)."""


@dataclass(frozen=True)
class PricedChain:
    """Priced contracts of one snapshot and what was left out.

    ``contracts`` holds the canonical columns of the usable rows plus ``t`` (years),
    ``forward`` (the expiry's forward, underlying units), ``rate`` (the expiry's discount
    rate, decimal), ``carry`` (b, decimal),
    ``iv`` (filled, decimal), ``iv_source``, ``delta``, ``gamma``, ``vanna``, ``charm`` (raw
    units), one column per metric of :mod:`engine.exposure.metrics` (``gex`` … ``vomma``, USD) and
    ``gex_weight`` (the dealer position, contracts), in the order of ``validated.used``.
    ``forwards`` has one row per expiry: ``root``, ``expiration``, ``settlement``, ``t``,
    ``forward``, ``rate`` (fitted where ``method`` is ``parity_fit``, else the configured
    one), ``method``, ``pairs``.
    """

    validated: ValidatedChain
    contracts: LazyField[pl.DataFrame] = LazyField()  # noqa: RUF009 (a descriptor, engine.chain.lazy)
    forwards: LazyField[pl.DataFrame] = LazyField()  # noqa: RUF009 (a descriptor, engine.chain.lazy)
    excluded: LazyField[dict[str, int]] = LazyField()  # noqa: RUF009 (a descriptor, engine.chain.lazy)
    iv_sources: LazyField[dict[str, int]] = LazyField()  # noqa: RUF009 (a descriptor, engine.chain.lazy)
    dealer_model: str = "street"

    @property
    def snapshot(self) -> ChainSnapshot:
        return self.validated.snapshot

    @property
    def as_of(self) -> datetime:
        return self.validated.snapshot.as_of

    @property
    def spot(self) -> float:
        return self.validated.snapshot.spot

    def data_quality(self) -> dict[str, object]:
        """``{"contracts_used": int, "excluded": {reason: count}}`` (the API's ``data_quality``)."""
        return {"contracts_used": self.contracts.height, "excluded": dict(self.excluded)}


def priced_rows(validated: ValidatedChain, forward: str = "implied") -> MarketPriced:
    """Steps 2–3 of the module docstring on the usable rows of ``validated`` (frame order);
    ``EmptySnapshotError`` when no row has an implied vol."""
    if forward not in FORWARD_MODES:
        raise ConfigurationError(f"unknown forward mode {forward!r}; choose one of {FORWARD_MODES}")
    snap = validated.snapshot
    p = price_market(
        validated_rows(validated).rows, np.array([snap.spot]), np.array([snap.div_yield]),
        snap.as_of, snap.rate, forward,
    )  # fmt: skip
    if p.keep.shape[0] == 0:
        raise EmptySnapshotError(
            f"{snap.underlying}: no contract has a usable implied volatility "
            f"(excluded: {_excluded(validated, p)})"
        )
    return p


def _excluded(validated: ValidatedChain, p: MarketPriced) -> dict[str, int]:
    excluded = dict(validated.excluded)
    if int(p.no_iv[0]):
        excluded["no_iv"] = int(p.no_iv[0])
    return excluded


def _iv_sources(p: MarketPriced) -> dict[str, int]:
    codes, counts = np.unique(p.iv_source, return_counts=True)
    return {SMILE_SOURCE_NAMES[int(c)]: int(k) for c, k in zip(codes, counts, strict=True)}


def _forward_table(frames: ChainFrames, p: MarketPriced) -> pl.DataFrame:
    """One row per expiry group: root, expiration, settlement, t, forward, rate, method, pairs."""
    g = p.rows
    heads = frames.rows.frame[frames.rows.rows[g.group_row]].select(
        "root", "expiration", "settlement"
    )
    special = {-1: CARRY_METHOD, -2: FUTURE_METHOD}
    methods = [FORWARD_METHOD_NAMES.get(int(m)) or special[int(m)] for m in g.group_method]
    return heads.with_columns(
        pl.Series("t", g.group_t, dtype=pl.Float64),
        pl.Series("forward", g.group_forward, dtype=pl.Float64),
        pl.Series("rate", g.group_rate, dtype=pl.Float64),
        pl.Series("method", methods, dtype=pl.String),
        pl.Series("pairs", g.group_pairs, dtype=pl.Int64),
    ).sort("settlement", "root")


def _contract_table(
    frames: ChainFrames,
    p: MarketPriced,
    dealer_model: str,
    dealer_position: FloatArray | None,
) -> pl.DataFrame:
    """Step 4 for every priced row, as the ``contracts`` frame (rows in ``used`` order)."""
    r, g, order = frames.rows, p.rows, frames.order
    priced = np.zeros(r.size, dtype=np.bool_)
    priced[p.keep] = True
    sel = order[priced[order]]  # priced rows, in the order of the used frame
    kept = frames.used.filter(pl.Series(priced[order]))
    calls, oi, u = r.is_call[sel], r.open_interest[sel], r.underlying_price[sel]
    position = None
    if dealer_position is not None:  # given in the order of the used frame
        by_row = np.empty(r.size)
        by_row[order] = np.asarray(dealer_position, dtype=np.float64)
        position = by_row[sel]
    greeks = dealer_greeks(u, r.strike[sel], g.t[sel], g.rate[sel], g.carry[sel], g.iv[sel], calls)
    exposures = contract_exposures(
        greeks, open_interest=oi, multiplier=r.multiplier[sel], underlying_price=u,
        is_call=calls, dealer_model=dealer_model, dealer_position=position,
    )  # fmt: skip
    weight = dealer_positions(dealer_model, calls, oi, position)
    names = np.array([SMILE_SOURCE_NAMES[i] for i in range(len(SMILE_SOURCE_NAMES))], object)
    return kept.with_columns(
        pl.Series("t", g.t[sel]),
        pl.Series("forward", g.forward[sel]),
        pl.Series("rate", g.rate[sel]),
        pl.Series("carry", g.carry[sel]),
        pl.Series("iv", g.iv[sel]),
        pl.Series("iv_source", names[g.iv_source[sel]], dtype=pl.String),
        *(pl.Series(name, getattr(greeks, name)) for name in GREEK_COLUMNS),
        *(pl.Series(name, values) for name, values in exposures.items()),
        pl.Series("gex_weight", np.asarray(weight, dtype=np.float64)),
    )


def priced_chain(
    validated: ValidatedChain,
    p: MarketPriced,
    dealer_model: str = "street",
    dealer_position: FloatArray | None = None,
) -> PricedChain:
    """The :class:`PricedChain` of ``validated`` priced as ``p`` (:func:`priced_rows`),
    its frames built when first read."""
    frames = validated_rows(validated)
    if dealer_position is not None and len(dealer_position) != frames.rows.size:
        raise ConfigurationError(
            f"dealer_position has {len(dealer_position)} entries for {frames.rows.size} contracts"
        )
    return PricedChain(
        validated,
        contracts=Deferred(lambda: _contract_table(frames, p, dealer_model, dealer_position)),  # type: ignore[arg-type]
        forwards=Deferred(lambda: _forward_table(frames, p)),  # type: ignore[arg-type]
        excluded=Deferred(lambda: _excluded(validated, p)),
        iv_sources=Deferred(lambda: _iv_sources(p)),
        dealer_model=dealer_model,
    )


def price_validated(
    validated: ValidatedChain,
    *,
    dealer_model: str = "street",
    dealer_position: FloatArray | None = None,
    forward: str = "implied",
) -> PricedChain:
    """Price the usable rows of a validated chain (see the module docstring).

    ``dealer_position`` (the ``flow`` model's signed inventory) has one entry per row of
    ``validated.used``, in its order."""
    if forward not in FORWARD_MODES:
        raise ConfigurationError(f"unknown forward mode {forward!r}; choose one of {FORWARD_MODES}")
    if dealer_model not in DEALER_MODELS:
        raise ConfigurationError(
            f"unknown dealer model {dealer_model!r}; choose one of {DEALER_MODELS}"
        )
    p = priced_rows(validated, forward)
    if dealer_model == "flow":  # the error of engine.exposure.dealer, before any frame is built
        dealer_positions(dealer_model, np.zeros(0, dtype=np.bool_), None, dealer_position)
    return priced_chain(validated, p, dealer_model, dealer_position)


def price_chain(snapshot: ChainSnapshot, **options: object) -> PricedChain:
    """:func:`engine.chain.validate` then :func:`price_validated` (same keyword options)."""
    return price_validated(validate(snapshot), **options)  # type: ignore[arg-type]
