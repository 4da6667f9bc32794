"""``engine.analyze``: everything a dealer-positioning user reads off one chain (docs/conventions.md).

``analyze(snapshot, preset="native", **overrides) -> Analysis`` runs the priced-chain
pipeline (:mod:`engine.pricing.chain`), restricts it to the requested expirations and strikes,
and computes the per-strike tables, totals, the gamma profile with every crossing and the
flip, the regime, the levels, max pain, the hedging estimates, the 0DTE block and the
interpretation sentences. It reads no clock: ``as_of`` comes from the snapshot, and "today"
is the New York date of ``as_of``.

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
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.analysis.flip import FlipResult, find_crossings, masked_crossings
from engine.analysis.hedging import HedgeEstimate, estimates_from_terms, hedge_terms
from engine.analysis.levels import StrikeLevels, max_pain, strike_levels
from engine.analysis.narrative import HedgeFlow, hedge_flows, interpretation, regime_of
from engine.analysis.options import AnalysisOptions, parse_options, restrict
from engine.analysis.presets import apply_overrides, get_preset
from engine.analysis.profile import evaluate_profile, profile_terms
from engine.analysis.zero_dte import ZeroDte, new_york_date, zero_dte
from engine.chain import ChainSnapshot, ValidatedChain, validate
from engine.chain.underlyings import HedgeUnit, hedge_unit
from engine.errors import NoContractsError
from engine.exposure.metrics import NAMES, Exposures
from engine.exposure.strikes import strike_table, totals
from engine.pricing.chain import PricedChain, price_validated

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


def _exposures(frame: pl.DataFrame) -> Exposures:
    return Exposures({name: frame[name].to_numpy() for name in NAMES})


def _table(frame: pl.DataFrame) -> pl.DataFrame:
    return strike_table(
        frame["strike"].to_numpy(),
        frame["is_call"].to_numpy(),
        _exposures(frame),
        frame["open_interest"].to_numpy(),
        frame["volume"].to_numpy(),
    )


def _columns(frame: pl.DataFrame, spot: float) -> dict[str, Any]:
    return {
        "spot": spot,
        "underlying_price": frame["underlying_price"].to_numpy(),
        "strike": frame["strike"].to_numpy(),
        "t": frame["t"].to_numpy(),
        "rate": frame["rate"].to_numpy(),
        "carry": frame["carry"].to_numpy(),
        "weight": frame["gex_weight"].to_numpy(),
        "multiplier": frame["multiplier"].to_numpy(),
    }


def _flip(
    frame: pl.DataFrame, spot: float, options: AnalysisOptions, today: date
) -> tuple[float, FlipResult]:
    c = _columns(frame, spot)
    terms = profile_terms(
        spot, c["underlying_price"], c["strike"], c["t"], frame["iv"].to_numpy(),
        c["rate"], c["carry"], c["weight"], c["multiplier"],
    )  # fmt: skip
    at_spot = float(evaluate_profile(terms, np.array([spot]))[0])
    kw = {"widths": options.grid_widths, "points": options.grid_points}
    expiration = frame["expiration"]
    if options.profile == "ex_0dte":
        keep = (expiration != today).to_numpy()
    elif options.profile == "ex_next_expiry":
        keep = (expiration != expiration.min()).to_numpy()
    else:
        return at_spot, find_crossings(terms, **kw)  # type: ignore[arg-type]
    return at_spot, masked_crossings(terms, keep, **kw)  # type: ignore[arg-type]


def _hedging(
    frame: pl.DataFrame, spot: float, moves: tuple[float, ...], futures: bool
) -> Mapping[float, HedgeEstimate]:
    """Estimates per signed move; for a futures chain the quantity is in contracts of the
    future (one option exercises into one future) and the notional is still in USD."""
    if frame.height == 0:
        return MappingProxyType({})
    c = _columns(frame, spot)

    def run(multiplier: npt.ArrayLike) -> dict[float, HedgeEstimate]:
        terms = hedge_terms(
            spot, c["underlying_price"], c["strike"], c["t"], frame["iv"].to_numpy(),
            c["rate"], c["carry"], c["weight"], multiplier, frame["is_call"].to_numpy(),
        )  # fmt: skip
        return estimates_from_terms(terms, moves)

    units = run(c["multiplier"])
    if not futures:
        return MappingProxyType(units)
    contracts = run(1.0)
    return MappingProxyType(
        {m: e._replace(dealer_shares_to_trade=contracts[m].dealer_shares_to_trade)
         for m, e in units.items()}
    )  # fmt: skip


def _data_quality(
    validated: ValidatedChain,
    priced: PricedChain,
    contracts: pl.DataFrame,
    options: AnalysisOptions,
    preset_excluded: Mapping[str, int],
) -> dict[str, object]:
    """``data_quality`` of the contracts behind the returned numbers: those left after the
    ``expiration`` and ``min_oi`` filters, the exclusions among the rows of the expirations
    asked for, where their implied vols came from, what a preset left out of its own
    numbers (``preset_excluded``; ``perfiliev``: contracts without a usable vendor gamma),
    and the chain's ``warnings`` (a truncated file, an expiry whose strikes stop short)."""
    excluded = dict(priced.excluded)
    if options.expiration is not None:
        q = validated.quarantine.filter(pl.col("expiration") == options.expiration)
        counts = dict(q.group_by("reason").len().iter_rows())
        excluded = {r: int(counts[r]) for r in priced.excluded if r in counts}
        day_rows = validated.used.filter(pl.col("expiration") == options.expiration).height
        day_priced = priced.contracts.filter(pl.col("expiration") == options.expiration).height
        if day_rows > day_priced:
            excluded["no_iv"] = day_rows - day_priced
    sources = dict(contracts.group_by("iv_source").len().sort("iv_source").iter_rows())
    by_expiry = contracts.group_by("expiration").len().sort("expiration")
    return {
        "contracts_used": contracts.height,
        "excluded": excluded,
        "filtered_out": {
            "min_oi": _restrict_count(priced.contracts, options) - contracts.height,
        },
        "iv_sources": {str(k): int(v) for k, v in sources.items()},
        "contracts_per_expiry": {d.isoformat(): int(n) for d, n in by_expiry.iter_rows()},
        "preset_excluded": dict(preset_excluded),
        "warnings": list(validated.warnings),
    }


def _restrict_count(frame: pl.DataFrame, options: AnalysisOptions) -> int:
    """Rows of ``frame`` in the requested expiration (all when none was requested)."""
    if options.expiration is None:
        return frame.height
    return frame.filter(pl.col("expiration") == options.expiration).height


def _max_pain(
    used: pl.DataFrame, options: AnalysisOptions, expirations: tuple[date, ...]
) -> tuple[float | None, date | None]:
    chosen = options.max_pain_expiration or (expirations[0] if expirations else None)
    if chosen is None:
        return None, None
    rows = used.filter(pl.col("expiration") == chosen)
    if rows.height == 0:
        raise NoContractsError(f"no contract expires on {chosen} (max_pain_expiration)")
    value = max_pain(
        rows["strike"].to_numpy(),
        rows["is_call"].to_numpy(),
        rows["open_interest"].to_numpy(),
        rows["multiplier"].to_numpy(),
    )
    return value, chosen


def analyze(snapshot: ChainSnapshot, preset: str = "native", **overrides: object) -> Analysis:
    """Analyse one chain snapshot under a preset (see the module docstring)."""
    chosen = get_preset(preset)
    if "grid_points" not in overrides and chosen.grid.kind == "relative":
        overrides["grid_points"] = chosen.grid.points
    options, knob_values = parse_options(overrides)
    resolved = apply_overrides(chosen, knob_values)  # type: ignore[arg-type]
    validated = validate(snapshot)
    priced = price_validated(validated, dealer_model=options.dealer_model, forward=options.forward)
    head = validated.snapshot
    spot = head.spot
    contracts = restrict(priced.contracts, options)
    if contracts.height == 0:
        what = f"expiration {options.expiration}" if options.expiration else "the filters"
        raise NoContractsError(f"{head.underlying}: no contract for {what}")
    today = new_york_date(head.as_of)
    expirations = tuple(contracts["expiration"].unique().sort().to_list())
    table = _table(contracts)
    net = totals(_exposures(contracts))
    at_spot, flip = _flip(contracts, spot, options, today)
    same_day = contracts.filter(pl.col("expiration") == today)
    zero = zero_dte(today, contracts["expiration"], contracts["gex"].to_numpy())
    zero_table = _table(same_day) if same_day.height else None
    result = {
        "strikes": table,
        "exposures": net,
        "profile_levels": flip.levels,
        "profile_values": flip.values,
        "crossings": tuple(float(x) for x in flip.crossings),
        "gamma_flip": flip.gamma_flip,
        "gamma_flip_status": flip.status,
        "regime": regime_of(at_spot),
        "levels": strike_levels(table, spot, zero_table),
        "zero_dte": zero,
        "zero_dte_exposures": totals(_exposures(same_day)),
    }
    if chosen.override is not None:  # a preset that replaces native numbers by its own
        result.update(
            chosen.override(validated.used, validated.quarantine, head, options, resolved, result)
        )
    mp, mp_exp = _max_pain(restrict(validated.used, options), options, expirations)
    preset_excluded: Mapping[str, int] = result.pop("preset_excluded", {})  # type: ignore[assignment]
    futures = bool((contracts["model"] == "black76").all())
    hedging = _hedging(contracts, spot, options.hedge_moves, futures)
    exposures: Mapping[str, float] = result["exposures"]  # type: ignore[assignment]
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
        zero_dte_hedging=_hedging(same_day, spot, options.zero_dte_moves, futures),
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
            _data_quality(validated, priced, contracts, options, preset_excluded)
        ),
        priced=priced,
        **result,  # type: ignore[arg-type]
    )
