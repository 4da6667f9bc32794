"""From a validated chain to priced contracts: T, forwards, implied vols, greeks, exposures.

This is the ``native`` pipeline (``docs/conventions.md``), the step every analysis starts
from:

1. :func:`engine.chain.validate` splits usable rows from quarantined ones.
2. ``t`` — exact year fraction to each row's settlement instant (:mod:`engine.time`).
3. Forward and discount rate per expiry, IV of every row from its own mid quote, one smile
   per expiry (:func:`engine.pricing.rows.price_rows`, the same code the market path
   runs): the parity fit of :mod:`engine.pricing.forward`, then :mod:`engine.pricing.smile`. Each row's
   ``iv_source`` says where its IV came from. Rows that still have no IV cannot be priced:
   they are excluded and counted as ``no_iv``.
4. Delta, gamma, vanna, charm (:func:`engine.greeks.dealer_greeks`) and the dealer
   exposures GEX/DEX/VEX/CHEX under the chosen dealer model (:mod:`engine.exposure.dealer`),
   plus ``gex_weight`` — the dealer position (contracts) the gamma profile and the hedging
   estimate reprice with.

Pure computation: no I/O, no clock; ``as_of`` comes from the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import polars as pl

from engine.chain import ChainSnapshot, ValidatedChain, validate
from engine.errors import ConfigurationError, EmptySnapshotError
from engine.exposure.dealer import DEALER_MODELS, contract_exposures, dealer_positions
from engine.greeks import dealer_greeks
from engine.pricing.forward import FORWARD_METHOD_NAMES, FORWARD_MODES
from engine.pricing.rows import CARRY_METHOD, FUTURE_METHOD, PricedRows, price_rows
from engine.pricing.smile import SMILE_SOURCE_NAMES, SmileSource
from engine.time import years_to_settlement
from engine.typing import FloatArray

__all__ = ["FORWARD_MODES", "GREEK_COLUMNS", "PricedChain", "price_chain", "price_validated"]

GREEK_COLUMNS: Final = ("delta", "gamma", "vanna", "charm")
"""The raw greeks kept per priced contract (``speed`` and ``vomma`` live on only in their
exposures, whose columns carry the metric names of :mod:`engine.exposure.metrics`)."""


@dataclass(frozen=True, slots=True)
class PricedChain:
    """Priced contracts of one snapshot and what was left out.

    ``contracts`` holds the canonical columns of the usable rows plus ``t`` (years),
    ``forward`` (the expiry's forward, underlying units), ``rate`` (the expiry's discount
    rate, decimal), ``carry`` (b, decimal),
    ``iv`` (filled, decimal), ``iv_source``, ``delta``, ``gamma``, ``vanna``, ``charm`` (raw
    units), one column per metric of :mod:`engine.exposure.metrics` (``gex`` … ``vomma``, USD) and
    ``gex_weight`` (the dealer position, contracts). ``forwards`` has one row per expiry:
    ``root``, ``expiration``, ``settlement``, ``t``, ``forward``, ``rate`` (fitted where
    ``method`` is ``parity_fit``, else the configured one), ``method``, ``pairs``.
    """

    validated: ValidatedChain
    contracts: pl.DataFrame
    forwards: pl.DataFrame
    excluded: dict[str, int]
    iv_sources: dict[str, int]
    dealer_model: str

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


def _forward_table(used: pl.DataFrame, rows: PricedRows) -> pl.DataFrame:
    """One row per expiry group: root, expiration, settlement, t, forward, rate, method, pairs."""
    first = rows.group_row
    heads = used[first].select("root", "expiration", "settlement")
    special = {-1: CARRY_METHOD, -2: FUTURE_METHOD}
    methods = [FORWARD_METHOD_NAMES.get(int(m)) or special[int(m)] for m in rows.group_method]
    return heads.with_columns(
        pl.Series("t", rows.group_t, dtype=pl.Float64),
        pl.Series("forward", rows.group_forward, dtype=pl.Float64),
        pl.Series("rate", rows.group_rate, dtype=pl.Float64),
        pl.Series("method", methods, dtype=pl.String),
        pl.Series("pairs", rows.group_pairs, dtype=pl.Int64),
    ).sort("settlement", "root")


def price_validated(
    validated: ValidatedChain,
    *,
    dealer_model: str = "street",
    dealer_position: FloatArray | None = None,
    forward: str = "implied",
) -> PricedChain:
    """Price the usable rows of a validated chain (see the module docstring)."""
    if forward not in FORWARD_MODES:
        raise ConfigurationError(f"unknown forward mode {forward!r}; choose one of {FORWARD_MODES}")
    if dealer_model not in DEALER_MODELS:
        raise ConfigurationError(
            f"unknown dealer model {dealer_model!r}; choose one of {DEALER_MODELS}"
        )
    snap = validated.snapshot
    used = validated.used
    n = used.height
    t = years_to_settlement(used["settlement"], snap.as_of)
    underlying = used["underlying_price"].to_numpy()
    strike = used["strike"].to_numpy()
    is_call = used["is_call"].to_numpy()
    rows = price_rows(
        uid=np.zeros(n, dtype=np.int64),
        starts=np.zeros(1, dtype=np.int64),
        stops=np.full(1, n, dtype=np.int64),
        t=t,
        settlement_us=used["settlement"].dt.epoch("us").to_numpy().astype(np.int64),
        root_code=used["root"].rank("dense").fill_null(0).to_numpy().astype(np.int64),
        strike=strike,
        is_call=is_call,
        bid=used["bid"].to_numpy(),
        ask=used["ask"].to_numpy(),
        vendor_iv=used["iv"].to_numpy(),
        underlying_price=underlying,
        is_bsm=(used["model"] == "bsm").to_numpy(),
        is_european=(used["style"] == "european").to_numpy(),
        spots=np.array([snap.spot]),
        div_yields=np.array([snap.div_yield]),
        rate=snap.rate,
        forward=forward,
    )
    forwards = _forward_table(used, rows)
    priced = rows.iv_source != SmileSource.UNAVAILABLE
    excluded = dict(validated.excluded)
    n_unpriced = int((~priced).sum())
    if n_unpriced:
        excluded["no_iv"] = n_unpriced
    if not priced.any():
        raise EmptySnapshotError(
            f"{snap.underlying}: no contract has a usable implied volatility (excluded: {excluded})"
        )
    codes, counts = np.unique(rows.iv_source[priced], return_counts=True)
    iv_sources = {SMILE_SOURCE_NAMES[int(c)]: int(k) for c, k in zip(codes, counts, strict=True)}

    keep = np.flatnonzero(priced)
    iv = rows.iv[keep]
    rate = rows.rate[keep]
    carry = rows.carry[keep]
    g = dealer_greeks(underlying[keep], strike[keep], t[keep], rate, carry, iv, is_call[keep])
    kept = used[keep]
    oi = kept["open_interest"].to_numpy()
    position = None if dealer_position is None else np.asarray(dealer_position)[keep]
    exposures = contract_exposures(
        g,
        open_interest=oi,
        multiplier=kept["multiplier"].to_numpy(),
        underlying_price=underlying[keep],
        is_call=is_call[keep],
        dealer_model=dealer_model,
        dealer_position=position,
    )
    weight = dealer_positions(dealer_model, is_call[keep], oi, position)
    source_names = np.array([SMILE_SOURCE_NAMES[int(s)] for s in range(len(SMILE_SOURCE_NAMES))])
    contracts = kept.with_columns(
        pl.Series("t", t[keep]),
        pl.Series("forward", rows.forward[keep]),
        pl.Series("rate", rate),
        pl.Series("carry", carry),
        pl.Series("iv", iv),
        pl.Series("iv_source", source_names[rows.iv_source[keep]]),
        *(pl.Series(name, getattr(g, name)) for name in GREEK_COLUMNS),
        *(pl.Series(name, values) for name, values in exposures.items()),
        pl.Series("gex_weight", np.asarray(weight, dtype=np.float64)),
    )
    return PricedChain(validated, contracts, forwards, excluded, iv_sources, dealer_model)


def price_chain(snapshot: ChainSnapshot, **options: object) -> PricedChain:
    """:func:`engine.chain.validate` then :func:`price_validated` (same keyword options)."""
    return price_validated(validate(snapshot), **options)  # type: ignore[arg-type]
