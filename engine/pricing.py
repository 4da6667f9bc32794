"""From a validated chain to priced contracts: T, forwards, implied vols, greeks, exposures.

This is the ``native`` pipeline of DESIGN §3–5, the step every analysis starts from:

1. :func:`engine.chain.validate` splits usable rows from quarantined ones.
2. ``t`` — exact year fraction to each row's settlement instant (:mod:`engine.time`).
3. Forward per expiry (one settlement instant of one root) for ``bsm`` rows: implied from
   put-call parity on the liquid strikes nearest the money (:mod:`engine.forward`), the
   configured dividend yield only as fallback (``forward="implied"``, the default), or
   always the carry forward ``S·e^{(r−q)T}`` (``forward="carry"``). The row's carry is then
   ``b = ln(F/S)/T``. ``black76`` rows use their own future as the forward (``b = 0``).
4. IV: the provider's where valid; otherwise solved from the mid of a two-sided quote
   (:mod:`engine.iv`); deep-ITM rows take the OTM option's IV at the same strike and the
   remaining gaps are interpolated within the expiry's smile (:mod:`engine.smile`). Each
   row's ``iv_source`` says which. Rows that still have no IV cannot be priced: they are
   excluded and counted as ``no_iv``.
5. Delta, gamma, vanna, charm (:func:`engine.greeks.dealer_greeks`) and the dealer
   exposures GEX/DEX/VEX/CHEX under the chosen dealer model (:mod:`engine.exposures`),
   plus ``gex_weight`` — the signed position weight (contracts) the gamma profile and the
   hedging estimate reprice with.

Pure computation: no I/O, no clock; ``as_of`` comes from the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.chain import ChainSnapshot, ValidatedChain, validate
from engine.errors import ConfigurationError, EmptySnapshotError
from engine.exposures import contract_exposures, dealer_signs
from engine.forward import FORWARD_METHOD_NAMES, implied_forwards
from engine.greeks import dealer_greeks
from engine.iv import implied_vol_from_quotes
from engine.smile import SMILE_SOURCE_NAMES, SmileSource, fill_smile
from engine.time import years_to_settlement
from engine.typing import FloatArray

__all__ = ["FORWARD_MODES", "PricedChain", "price_chain", "price_validated"]

FORWARD_MODES: Final = ("implied", "carry")
ForwardMode = Literal["implied", "carry"]


@dataclass(frozen=True, slots=True)
class PricedChain:
    """Priced contracts of one snapshot and what was left out.

    ``contracts`` holds the canonical columns of the usable rows plus ``t`` (years),
    ``forward`` (the expiry's forward, underlying units), ``carry`` (b, decimal),
    ``iv`` (filled, decimal), ``iv_source``, ``delta``, ``gamma``, ``vanna``, ``charm`` (raw
    units), ``gex``, ``dex``, ``vex``, ``chex`` (USD, see :mod:`engine.exposures`) and
    ``gex_weight`` (signed contracts). ``forwards`` has one row per expiry: ``root``,
    ``expiration``, ``settlement``, ``t``, ``forward``, ``method``, ``pairs``.
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
        """``{"contracts_used": int, "excluded": {reason: count}}`` (API.md ``data_quality``)."""
        return {"contracts_used": self.contracts.height, "excluded": dict(self.excluded)}


def _expiry_key(used: pl.DataFrame) -> npt.NDArray[np.int64]:
    """One integer per (settlement instant, root): an expiry's forward and smile.

    SPX and SPXW of one date settle at different instants; two roots settling together
    (an adjusted root beside the standard one) still have separate smiles.
    """
    root_id = used["root"].rank("dense").fill_null(0).to_numpy().astype(np.int64)
    epoch = used["settlement"].dt.epoch("us").to_numpy().astype(np.int64)
    n_roots = int(root_id.max()) + 1 if root_id.size else 1
    return epoch * n_roots + root_id


def _forwards(
    used: pl.DataFrame, t: FloatArray, snapshot: ChainSnapshot, mode: str
) -> tuple[FloatArray, pl.DataFrame]:
    """Per-row forward (NaN for black76 rows, which use their own future) and the per-expiry table."""
    key = _expiry_key(used)
    bsm_rows = (used["model"] == "bsm").to_numpy()
    spot, rate, q = snapshot.spot, snapshot.rate, snapshot.div_yield
    row_forward = np.full(used.height, np.nan)
    table_rows: dict[str, list[object]] = {
        k: [] for k in ("root", "expiration", "settlement", "t", "forward", "method", "pairs")
    }
    if bsm_rows.any():
        sel = np.flatnonzero(bsm_rows)
        if mode == "implied":
            fw = implied_forwards(
                key[sel],
                used["strike"].to_numpy()[sel],
                used["is_call"].to_numpy()[sel],
                used["bid"].to_numpy()[sel],
                used["ask"].to_numpy()[sel],
                t[sel],
                spot,
                rate,
                q,
            )
            row_forward[sel] = fw.row_forward
            methods = [FORWARD_METHOD_NAMES[int(m)] for m in fw.method]
            forwards, t_keys, pairs = fw.forward, fw.t, fw.pairs
        else:
            inverse = np.unique(key[sel], return_inverse=True)[1].reshape(-1)
            n_keys = int(inverse.max()) + 1
            # t is one value per key (one settlement instant), so the mean is that value
            t_keys = np.bincount(inverse, t[sel], n_keys) / np.bincount(inverse, None, n_keys)
            forwards = spot * np.exp((rate - q) * t_keys)
            row_forward[sel] = forwards[inverse]
            methods = ["carry"] * n_keys
            pairs = np.zeros(n_keys, dtype=np.int64)
        _, first = np.unique(key[sel], return_index=True)  # keys come back sorted, as fw.key
        heads = used[sel[first]].select("root", "expiration", "settlement")
        table_rows = {
            **heads.to_dict(as_series=False),
            "t": np.asarray(t_keys, dtype=np.float64).tolist(),
            "forward": np.asarray(forwards, dtype=np.float64).tolist(),
            "method": list(methods),
            "pairs": np.asarray(pairs, dtype=np.int64).tolist(),
        }
    table = pl.DataFrame(
        table_rows,
        schema={
            "root": pl.String,
            "expiration": pl.Date,
            "settlement": pl.Datetime("us", "UTC"),
            "t": pl.Float64,
            "forward": pl.Float64,
            "method": pl.String,
            "pairs": pl.Int64,
        },
    ).sort("settlement", "root")
    return row_forward, table


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
    dealer_signs(dealer_model, np.zeros(0, dtype=bool), np.zeros(0))  # validates the name early
    snap = validated.snapshot
    used = validated.used
    t = years_to_settlement(used["settlement"], snap.as_of)
    row_forward, forwards = _forwards(used, t, snap, forward)
    underlying = used["underlying_price"].to_numpy()
    is_bsm = np.isfinite(row_forward)
    with np.errstate(divide="ignore", invalid="ignore"):
        carry = np.where(is_bsm, np.log(row_forward / underlying) / t, 0.0)
    row_forward = np.where(is_bsm, row_forward, underlying)
    strike = used["strike"].to_numpy()
    is_call = used["is_call"].to_numpy()
    rate = np.full(used.height, snap.rate)

    vendor_iv = used["iv"].to_numpy()
    has_vendor = np.isfinite(vendor_iv)
    solved = np.full(used.height, np.nan)
    missing = np.flatnonzero(~has_vendor)
    if missing.size:
        res = implied_vol_from_quotes(
            used["bid"].to_numpy()[missing],
            used["ask"].to_numpy()[missing],
            underlying[missing],
            strike[missing],
            t[missing],
            rate[missing],
            carry[missing],
            is_call[missing],
        )
        solved[missing] = res.iv
    iv0 = np.where(has_vendor, vendor_iv, solved)
    fill = fill_smile(_expiry_key(used), strike, is_call, row_forward, t, iv0, has_vendor)
    priced = fill.source != SmileSource.UNAVAILABLE
    excluded = dict(validated.excluded)
    n_unpriced = int((~priced).sum())
    if n_unpriced:
        excluded["no_iv"] = n_unpriced
    codes, counts = np.unique(fill.source[priced], return_counts=True)
    iv_sources = {SMILE_SOURCE_NAMES[int(c)]: int(n) for c, n in zip(codes, counts, strict=True)}
    if not priced.any():
        raise EmptySnapshotError(
            f"{snap.underlying}: no contract has a usable implied volatility (excluded: {excluded})"
        )

    keep = np.flatnonzero(priced)
    iv = fill.iv[keep]
    g = dealer_greeks(
        underlying[keep], strike[keep], t[keep], rate[keep], carry[keep], iv, is_call[keep]
    )
    kept = used[keep]
    oi = kept["open_interest"].to_numpy()
    multiplier = kept["multiplier"].to_numpy()
    position = None if dealer_position is None else np.asarray(dealer_position)[keep]
    exposures = contract_exposures(
        delta=g.delta,
        gamma=g.gamma,
        vanna=g.vanna,
        charm=g.charm,
        open_interest=oi,
        multiplier=multiplier,
        underlying_price=underlying[keep],
        is_call=is_call[keep],
        dealer_model=dealer_model,
        dealer_position=position,
    )
    w_gex, _ = dealer_signs(dealer_model, is_call[keep], position)
    weight = w_gex if dealer_model == "flow" else w_gex * oi
    source_names = np.array([SMILE_SOURCE_NAMES[int(s)] for s in range(len(SMILE_SOURCE_NAMES))])
    contracts = kept.with_columns(
        pl.Series("t", t[keep]),
        pl.Series("forward", row_forward[keep]),
        pl.Series("carry", carry[keep]),
        pl.Series("iv", iv),
        pl.Series("iv_source", source_names[fill.source[keep]]),
        pl.Series("delta", g.delta),
        pl.Series("gamma", g.gamma),
        pl.Series("vanna", g.vanna),
        pl.Series("charm", g.charm),
        pl.Series("gex", exposures.gex),
        pl.Series("dex", exposures.dex),
        pl.Series("vex", exposures.vex),
        pl.Series("chex", exposures.chex),
        pl.Series("gex_weight", np.asarray(weight, dtype=np.float64)),
    )
    return PricedChain(validated, contracts, forwards, excluded, iv_sources, dealer_model)


def price_chain(snapshot: ChainSnapshot, **options: object) -> PricedChain:
    """:func:`engine.chain.validate` then :func:`price_validated` (same keyword options)."""
    return price_validated(validate(snapshot), **options)  # type: ignore[arg-type]
