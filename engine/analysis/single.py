"""``engine.analyze``: everything a dealer-positioning user reads off one chain (docs/conventions.md).

``analyze(snapshot, preset="native", **overrides) -> Analysis`` analyses one chain as a
market of one underlying, through the stages of :func:`engine.analysis.analyze_market`:
validation (:func:`engine.chain.validate`, :mod:`engine.chain.market`), T, forwards, IVs and
the smile (:func:`engine.pricing.rows.price_market`), greeks and exposures
(:class:`engine.analysis.contracts.Contracts`), the per-strike sums, the gamma profile with
every crossing and the flip (:mod:`engine.analysis.stages`, :mod:`engine.analysis.flip`) —
on arrays, restricted to the requested expirations and strikes — then the regime, the
levels, max pain, the hedging estimates, the 0DTE block and the interpretation sentences.
Polars frames are built only for what is returned as a frame: the strike table, and
(when read) ``priced.contracts``, ``priced.forwards`` and the validator's frames. It reads
no clock: ``as_of`` comes from the snapshot, and "today" is the New York date of
``as_of``.

Options are documented in :mod:`engine.analysis.options`; anything else in ``overrides`` must be a
knob of the preset, or :class:`~engine.errors.ConfigurationError` is raised.

Conventions decided here:

- ``regime`` is the sign of the profile of the whole analysed chain at spot (which equals
  net GEX); the ``profile`` option only selects the contracts of the reported profile,
  crossings and flip.
- ``zero_dte`` uses the contracts expiring on the New York date of ``as_of``; its hedging
  estimate reprices those contracts alone.
- ``max_pain`` counts every usable contract of the chosen expiration date (all roots, IV or
  not: the payout needs open interest only).
- Preset ``perfiliev`` (:mod:`engine.analysis.perfiliev`) replaces GEX — per strike, totals, 0DTE
  and the levels read off GEX — the profile, crossings, flip and regime (the sign of its
  net GEX) by the script's numbers; DEX, VEX, CHEX and hedging stay native.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.analysis.contracts import Contracts
from engine.analysis.flip import DEFAULT_TOL, FlipResult, one_result
from engine.analysis.hedging import HedgeEstimate, estimates_from_terms, hedge_terms_of
from engine.analysis.levels import StrikeLevels
from engine.analysis.narrative import HedgeFlow, hedge_flows, interpretation, regime_of
from engine.analysis.options import AnalysisOptions, parse_options, restrict_mask
from engine.analysis.presets import apply_overrides, get_preset
from engine.analysis.profile import ContractTerms, contract_terms
from engine.analysis.report import (
    as_date,
    data_quality,
    day_counts,
    max_pain_of,
    strike_frame,
    table_levels,
)
from engine.analysis.stages import priced_contracts, profile_grid
from engine.analysis.zero_dte import ZeroDte, new_york_date, zero_dte_of
from engine.chain import ChainSnapshot, validate
from engine.chain.market import epoch_day
from engine.chain.underlyings import HedgeUnit, hedge_unit
from engine.chain.validate import validated_rows
from engine.errors import NoContractsError, OptionError
from engine.exposure.strikes import totals
from engine.pricing.chain import PricedChain, priced_chain, priced_rows
from engine.typing import FloatArray

__all__ = ["Analysis", "analyze"]


@dataclass(frozen=True, slots=True, eq=False)
class Analysis:
    """The result of :func:`analyze`. Money in USD; exposures in the units of
    :mod:`engine.exposure.dealer`; levels in the underlying's price units."""

    symbol: str
    as_of: datetime
    underlying_price: float
    source: str
    preset: str
    options: AnalysisOptions
    knobs: Mapping[str, object]
    expirations: tuple[date, ...]
    strikes: pl.DataFrame
    exposures: Mapping[str, float]
    profile_levels: np.ndarray
    profile_values: np.ndarray
    crossings: tuple[float, ...]
    gamma_flip: float | None
    gamma_flip_status: str
    regime: str
    levels: StrikeLevels
    max_pain: float | None
    max_pain_expiration: date | None
    hedging: Mapping[float, HedgeEstimate]
    hedge_unit: HedgeUnit
    hedge_flows: Mapping[str, HedgeFlow]
    zero_dte: ZeroDte
    zero_dte_exposures: Mapping[str, float]
    zero_dte_hedging: Mapping[float, HedgeEstimate]
    interpretation: Mapping[str, str]
    data_quality: Mapping[str, object]
    priced: PricedChain = field(repr=False)

    @property
    def net_gex(self) -> float:
        return self.exposures["net_gex"]


def _flip(
    c: Contracts, base: ContractTerms, spot: float, options: AnalysisOptions, today: int
) -> tuple[float, FlipResult]:
    """The profile at spot of every contract (the regime) and the crossings and flip of the
    contracts the ``profile`` option selects."""
    subset = None
    if options.profile == "ex_0dte":
        subset = c.expiration_day != today
    elif options.profile == "ex_next_expiry":
        subset = c.expiration_day != c.expiration_day.min()
    widths, points = options.grid_widths, options.grid_points
    one = np.zeros(1, dtype=np.int64)
    grid = profile_grid(base, np.array([spot]), one, widths[0], points, subset)
    found = grid.crossings(widths, points, DEFAULT_TOL)
    return float(grid.at_spot[0]), one_result(found, spot, widths, points)


def _hedging(
    base: ContractTerms, count: int, spot: float, moves: tuple[float, ...], futures: bool
) -> Mapping[float, HedgeEstimate]:
    """Estimates per signed move of the ``count`` contracts behind ``base`` (none: no
    estimate); for a futures chain the quantity is in contracts of the future (one option
    exercises into one future) and the notional is still in USD."""
    if count == 0:
        return MappingProxyType({})
    units = estimates_from_terms(hedge_terms_of(base, spot), moves)
    if not futures:
        return MappingProxyType(units)
    one = replace(base, multiplier=np.ones(base.multiplier.shape[0]))
    contracts = estimates_from_terms(hedge_terms_of(one, spot), moves)
    return MappingProxyType(
        {m: e._replace(dealer_shares_to_trade=contracts[m].dealer_shares_to_trade)
         for m, e in units.items()}
    )  # fmt: skip


def _volume(frame: pl.DataFrame, positions: np.ndarray) -> np.ndarray:
    """Volume of the rows at ``positions``, nulls and negatives as 0 (Int64)."""
    v = frame["volume"].to_numpy()[positions]
    if v.dtype.kind == "f":
        v = np.where(np.isnan(v), 0.0, v)
    return np.maximum(v.astype(np.int64), 0)


def _inventory(
    dealer_position: npt.ArrayLike | None,
    dealer_model: str,
    snapshot: ChainSnapshot,
    rows: npt.NDArray[np.int64],
) -> FloatArray | None:
    """The ``flow`` model's inventory per usable row (``rows`` of the frame), checked."""
    if dealer_model != "flow":
        if dealer_position is not None:
            raise OptionError(
                "dealer_model", "dealer_position is read only under dealer_model='flow'"
            )
        return None
    if dealer_position is None:
        raise OptionError(
            "dealer_model",
            "dealer_model 'flow' needs dealer_position: the dealers' signed inventory per "
            "contract (the intraday OI simulator's; /v1/flow/* with ?dealer_model=flow)",
        )
    position = np.asarray(dealer_position, dtype=np.float64).reshape(-1)
    if position.shape[0] != snapshot.frame.height or not np.isfinite(position).all():
        raise OptionError(
            "dealer_model",
            f"dealer_position must hold one finite number per row of the chain "
            f"({snapshot.frame.height}), got {position.shape[0]}",
        )
    return position[rows]


def analyze(
    snapshot: ChainSnapshot,
    preset: str = "native",
    *,
    dealer_position: npt.ArrayLike | None = None,
    **overrides: object,
) -> Analysis:
    """Analyse one chain snapshot under a preset (see the module docstring).

    ``dealer_position``: under ``dealer_model="flow"`` (and only then), the dealers' signed
    inventory in contracts (+ = dealers long) per row of ``snapshot.frame``; it replaces
    ``s · OI`` in every exposure (:func:`engine.exposure.dealer.dealer_positions`).
    """
    chosen = get_preset(preset)
    if "grid_points" not in overrides and chosen.grid.kind == "relative":
        overrides["grid_points"] = chosen.grid.points
    options, knob_values = parse_options(overrides)
    resolved = apply_overrides(chosen, knob_values)  # type: ignore[arg-type]
    validated = validate(snapshot)
    r = validated_rows(validated).rows
    head = validated.snapshot
    spot = head.spot
    p = priced_rows(validated, options.forward)
    inventory = _inventory(dealer_position, options.dealer_model, snapshot, r.rows)
    priced = priced_chain(validated, p, options.dealer_model, inventory)
    every = priced_contracts(r, p, options.dealer_model, inventory)
    keep = restrict_mask(every.expiration_day, every.strike, every.open_interest, options)
    if not keep.any():
        what = f"expiration {options.expiration}" if options.expiration else "the filters"
        raise NoContractsError(f"{head.underlying}: no contract for {what}")
    whole = bool(keep.all())
    c = every if whole else every.take(keep)
    sel = p.keep if whole else p.keep[keep]  # the analysed contracts among the usable rows
    ny_today = new_york_date(head.as_of)
    today = epoch_day(ny_today)
    expirations = tuple(as_date(d) for d in day_counts(c.expiration_day)[0])
    ex = c.exposures()
    table, sums, oi = strike_frame(c, ex, _volume(r.frame, r.rows[sel]))
    net = totals(ex)
    base = contract_terms(c)  # shared by the profile and the hedging estimates
    at_spot, flip = _flip(c, base, spot, options, today)
    same_day = c.expiration_day == today
    result = {
        "strikes": table,
        "exposures": net,
        "profile_levels": flip.levels,
        "profile_values": flip.values,
        "crossings": tuple(float(x) for x in flip.crossings),
        "gamma_flip": flip.gamma_flip,
        "gamma_flip_status": flip.status,
        "regime": regime_of(at_spot),
        "levels": table_levels(sums, oi, spot, c, same_day, ex.gex),
        "zero_dte": zero_dte_of(ny_today, same_day, ex.gex),
        "zero_dte_exposures": totals(ex.masked(same_day)),
    }
    if chosen.override is not None:  # a preset that replaces native numbers by its own
        result.update(
            chosen.override(validated.used, validated.quarantine, head, options, resolved, result)
        )
    mp, mp_exp = max_pain_of(r, options, expirations)
    preset_excluded: Mapping[str, int] = result.pop("preset_excluded", {})  # type: ignore[assignment]
    futures = not bool(r.is_bsm[sel].any())
    hedging = _hedging(base, c.size, spot, options.hedge_moves, futures)
    exposures: Mapping[str, float] = result["exposures"]  # type: ignore[assignment]
    iv_source = p.iv_source if whole else p.iv_source[keep]
    return Analysis(
        symbol=head.underlying,
        as_of=head.as_of,
        underlying_price=spot,
        source=head.source,
        preset=chosen.name,
        options=options,
        knobs=resolved.values,
        expirations=expirations,
        max_pain=mp,
        max_pain_expiration=mp_exp,
        hedging=hedging,
        hedge_unit=hedge_unit(head.underlying, futures),
        hedge_flows=MappingProxyType(hedge_flows(net["net_vex"], net["net_chex"])),
        zero_dte_hedging=_hedging(
            base.select(same_day), int(same_day.sum()), spot, options.zero_dte_moves, futures
        ),
        interpretation=MappingProxyType(
            interpretation(
                result["regime"],  # type: ignore[arg-type]
                {**net, "net_gex": exposures["net_gex"]},
                spot,
                result["gamma_flip"],  # type: ignore[arg-type]
                result["crossings"],  # type: ignore[arg-type]
                hedging,
            )
        ),
        data_quality=MappingProxyType(
            data_quality(validated, r, p, priced.excluded, c, iv_source, options, preset_excluded)
        ),
        priced=priced,
        **result,  # type: ignore[arg-type]
    )
