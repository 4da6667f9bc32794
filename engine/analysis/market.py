"""``analyze_market``: the dealer-positioning summary of every underlying of a market at once.

A market is one canonical contract frame (:data:`engine.chain.SCHEMA`) holding all
underlyings' chains contiguously — rows ``offsets[u] .. offsets[u + 1]`` are underlying
``u`` — plus per-underlying ``symbols``, ``spots`` and ``div_yields``, one ``as_of`` and one
``rate`` (the demo source's ``market()`` returns exactly that). Every stage runs once over
the whole market, and per-underlying results come from segment reductions and segmented
kernels. :func:`engine.analysis.single.analyze` runs the same stages on one chain as a
market of one underlying (:mod:`engine.analysis.stages`), so the two agree by construction.

Per underlying the numbers have the definitions of ``engine.analyze(snapshot)`` with the
``native`` preset and default options (docs/conventions.md), and equal them up to the order of
floating-point summation: net GEX/DEX/VEX/CHEX (USD, :mod:`engine.exposure.dealer`), the regime
(sign of the profile at spot), every crossing of the gamma profile and the flip nearest spot
(refined to ``tol`` times spot), the call and put walls (:mod:`engine.analysis.levels`), the 0DTE net
GEX and its share of the total in percent (:mod:`engine.analysis.zero_dte`, "today" is the New York
date of ``as_of``), and the data-quality counts.

Stages (``MarketAnalysis.timings``, wall seconds from ``time.perf_counter``):

==================  ==========================================================================
validate            header checks and the validator's row rules on the whole frame
                    (:mod:`engine.chain.market`)
time_forward_iv     T, implied forwards, IV solving and the smile fill (:mod:`engine.pricing.rows`)
greeks              one :func:`engine.greeks.dealer_greeks` call over every priced contract
                    (:class:`engine.analysis.contracts.Contracts`)
exposures           one :func:`engine.exposure.dealer.contract_exposures` call, per-underlying totals
                    and the 0DTE block by segment reductions
strikes             the per-(underlying, strike) table (strikes grouped by hashing within each
                    underlying, sums by the segmented kernel)
profile             the profile terms and every underlying's ±``grid_widths[0]`` grid and spot
flip                brackets, widening for the underlyings that need it, refinement, crossings
                    (:func:`engine.analysis.flip.search`)
levels              call and put walls, the regime, and the assembly of the result frames
==================  ==========================================================================

An underlying that ``analyze`` would reject does not stop the market: its row has
``status`` ``invalid_spot``, ``invalid_header``, ``empty`` (no usable contract) or ``no_iv``
(no contract has an implied vol), null analytics, and all its contracts counted as excluded.
Pure computation: no I/O, no clock (``time.perf_counter`` only times the stages).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.analysis.flip import DEFAULT_POINTS, DEFAULT_TOL, DEFAULT_WIDTHS
from engine.analysis.levels import walls
from engine.analysis.options import parse_options
from engine.analysis.stages import (
    StrikeSums,
    priced_contracts,
    profile_grid,
    segment_sum,
    strike_sums_of,
)
from engine.analysis.zero_dte import new_york_date
from engine.chain.market import STATUS_NAMES, Status, epoch_day, market_rows, segment_bounds
from engine.errors import ConfigurationError, OptionError
from engine.exposure.metrics import METRICS, Exposures
from engine.pricing.rows import price_market
from engine.pricing.smile import SMILE_SOURCE_NAMES
from engine.typing import FloatArray, IntArray

__all__ = ["STAGES", "SUMMARY_COLUMNS", "MarketAnalysis", "analyze_market"]

STAGES: Final = (
    "validate",
    "time_forward_iv",
    "greeks",
    "exposures",
    "strikes",
    "profile",
    "flip",
    "levels",
)
"""Names of the timed stages, in order (see the module docstring)."""

SUMMARY_COLUMNS: Final = (
    "symbol",
    "spot",
    "status",
    *(m.net for m in METRICS),
    "regime",
    "gamma_flip",
    "gamma_flip_status",
    "n_crossings",
    "call_wall",
    "put_wall",
    "zero_dte_net_gex",
    "zero_dte_pct",
    "contracts_used",
    "contracts_excluded",
)


@dataclass(frozen=True, slots=True, eq=False)
class MarketAnalysis:
    """The result of :func:`analyze_market`.

    ``frame``: one row per underlying, in input order, columns :data:`SUMMARY_COLUMNS` —
    exposures in USD (GEX per 1 % move, DEX, VEX per vol point, CHEX per day), levels in the
    underlying's price units, ``zero_dte_pct`` in percent (null when the total is zero);
    analytics are null unless ``status`` is ``ok``. ``contracts_excluded`` counts the rows
    quarantined or without IV, or every row of an underlying rejected for its header.
    ``strikes``: one row per (underlying, strike) of the priced contracts — ``underlying``
    (row index into ``frame``), ``strike``, and ``call_x``, ``put_x``, ``net_x`` for every
    metric ``x`` of :data:`engine.exposure.metrics.METRICS` (USD, all expirations summed).
    ``crossings``: every refined zero crossing of each underlying's gamma profile —
    ``underlying`` and ``level`` (price units), ascending within an underlying.
    ``excluded``: ``underlying``, ``symbol``, ``reason``, ``count`` for every quarantine
    reason of :data:`engine.chain.REASONS` and ``no_iv``. ``iv_sources``: ``underlying``,
    ``source``, ``count``: where the implied vols of each underlying's priced contracts
    came from (the names of :data:`engine.pricing.smile.SMILE_SOURCE_NAMES`). ``timings``: seconds per stage
    (:data:`STAGES`). ``as_of`` in UTC.
    """

    as_of: datetime
    frame: pl.DataFrame
    strikes: pl.DataFrame
    crossings: pl.DataFrame
    excluded: pl.DataFrame
    iv_sources: pl.DataFrame
    timings: Mapping[str, float]

    @property
    def seconds(self) -> float:
        """Sum of the stage times (s)."""
        return float(sum(self.timings.values()))

    def row(self, symbol: str) -> dict[str, object]:
        """The summary row of one symbol (the first when a symbol repeats)."""
        hit = self.frame.filter(pl.col("symbol") == symbol.strip().upper())
        if hit.height == 0:
            raise KeyError(symbol)
        return hit.row(0, named=True)


def _check_options(
    dealer_model: str, forward: str, grid_points: int, grid_widths: Sequence[float], tol: float
) -> tuple[float, ...]:
    """The options' checks of :func:`engine.analysis.options.parse_options` (one
    implementation), plus what only a market has: no ``flow`` model, a refinement ``tol``."""
    options, _ = parse_options(
        {"dealer_model": dealer_model, "forward": forward, "grid_points": grid_points,
         "grid_widths": grid_widths}
    )  # fmt: skip
    if options.dealer_model == "flow":
        raise OptionError(
            "dealer_model", "dealer model 'flow' needs per-contract inventories; not for a market"
        )
    if not (isinstance(tol, int | float) and math.isfinite(tol) and tol > 0.0):
        raise ConfigurationError(f"tol must be positive, got {tol!r}")
    return options.grid_widths


def _strike_table(ex: Exposures, sums_of: Callable[[FloatArray], StrikeSums]) -> pl.DataFrame:
    """One row per (underlying, strike), ascending: call/put/net of every metric."""
    sums = sums_of(np.stack([ex[m.name] for m in METRICS]))
    columns: dict[str, object] = {"underlying": sums.uid, "strike": sums.strike}
    for j, metric in enumerate(METRICS):
        call, put, net = metric.columns()
        columns[call], columns[put] = sums.sums[0, j], sums.sums[1, j]
        columns[net] = sums.sums[0, j] + sums.sums[1, j]
    return pl.DataFrame(columns)


def _iv_sources(uid: IntArray, source: npt.NDArray[np.int8]) -> pl.DataFrame:
    """Counts of each IV source per underlying (rows with a count of zero left out)."""
    width = len(SMILE_SOURCE_NAMES)
    keys, counts = np.unique(uid * width + source.astype(np.int64), return_counts=True)
    names = np.array([SMILE_SOURCE_NAMES[i] for i in range(width)])
    return pl.DataFrame(
        {
            "underlying": keys // width,
            "source": names[keys % width],
            "count": counts.astype(np.int64),
        },
        schema={"underlying": pl.Int64, "source": pl.String, "count": pl.Int64},
    )


def _summary(
    symbols: Sequence[str],
    spots: FloatArray,
    status: npt.NDArray[np.int8],
    values: Mapping[str, FloatArray],
    at_spot: FloatArray,
    n_crossings: IntArray,
    used: IntArray,
    excluded: IntArray,
) -> pl.DataFrame:
    """The per-underlying frame; analytics are null where ``status`` is not ``ok``."""
    ok = status == Status.OK
    regime = np.where(at_spot > 0.0, "positive_gamma", "unknown")
    regime = np.where(at_spot < 0.0, "negative_gamma", regime)
    flip = values["gamma_flip"]
    flip_status = np.where(np.isfinite(flip), "available", "no_boundary")

    def floats(name: str, array: FloatArray) -> pl.Series:
        return pl.Series(name, np.where(ok, array, np.nan), dtype=pl.Float64).fill_nan(None)

    def nullable(name: str, array: npt.NDArray[np.generic], dtype: type[pl.DataType]) -> pl.Series:
        return pl.Series(
            name, [v if o else None for v, o in zip(array.tolist(), ok, strict=True)], dtype=dtype
        )

    return pl.DataFrame(
        [
            pl.Series("symbol", [str(s).strip().upper() for s in symbols], dtype=pl.String),
            pl.Series("spot", spots, dtype=pl.Float64),
            pl.Series("status", [STATUS_NAMES[int(c)] for c in status], dtype=pl.String),
            *(floats(m.net, values[m.net]) for m in METRICS),
            nullable("regime", regime, pl.String),
            floats("gamma_flip", flip),
            nullable("gamma_flip_status", flip_status, pl.String),
            nullable("n_crossings", n_crossings, pl.Int64),
            floats("call_wall", values["call_wall"]),
            floats("put_wall", values["put_wall"]),
            floats("zero_dte_net_gex", values["zero_dte_net_gex"]),
            floats("zero_dte_pct", values["zero_dte_pct"]),
            pl.Series("contracts_used", used, dtype=pl.Int64),
            pl.Series("contracts_excluded", excluded, dtype=pl.Int64),
        ]
    )


def analyze_market(
    frame: pl.DataFrame,
    offsets: npt.ArrayLike,
    symbols: Sequence[str],
    spots: npt.ArrayLike,
    div_yields: npt.ArrayLike,
    as_of: datetime,
    rate: float,
    *,
    dealer_model: str = "street",
    forward: str = "implied",
    grid_points: int = DEFAULT_POINTS,
    grid_widths: Sequence[float] = DEFAULT_WIDTHS,
    tol: float = DEFAULT_TOL,
) -> MarketAnalysis:
    """Analyse every underlying of a market (see the module docstring).

    ``frame``: canonical contract rows, underlying ``u`` at ``offsets[u] .. offsets[u + 1]``;
    ``symbols``, ``spots`` (price units) and ``div_yields`` (continuous, decimal) per
    underlying; ``as_of`` a timezone-aware instant; ``rate`` continuous, decimal.
    ``dealer_model`` ``street`` or ``short_all``; ``forward`` ``implied`` or ``carry``;
    ``grid_points`` levels over ±``grid_widths[k]`` of spot, widened in turn while no sign
    change is found; crossings refined to ``tol`` times spot.
    """
    widths = _check_options(dealer_model, forward, grid_points, grid_widths, tol)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now

    r = market_rows(frame, offsets, symbols, spots, div_yields, as_of, rate)
    spot = np.asarray(spots, dtype=np.float64).reshape(-1)
    q = np.asarray(div_yields, dtype=np.float64).reshape(-1)
    as_of_utc, rate = as_of.astimezone(UTC), float(rate)
    lap("validate")

    p = price_market(r, spot, q, as_of_utc, rate, forward)
    lap("time_forward_iv")

    c = priced_contracts(r, p, dealer_model)
    g = c.greeks()
    lap("greeks")

    ex = c.exposures(g)
    out: dict[str, FloatArray] = {
        f"net_{name}": segment_sum(values, p.starts, p.stops) for name, values in ex.items()
    }
    today = c.expiration_day == epoch_day(new_york_date(as_of))
    zero = segment_sum(np.where(today, ex.gex, 0.0), p.starts, p.stops)
    total = out["net_gex"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * zero / total
    out["zero_dte_net_gex"] = zero
    out["zero_dte_pct"] = np.where(
        (total != 0.0) & np.isfinite(total) & np.isfinite(pct), pct, np.nan
    )
    lap("exposures")

    strikes = _strike_table(ex, lambda values: strike_sums_of(c, values))
    lap("strikes")

    n = r.n_underlyings
    status = r.status.copy()
    status[(status == Status.OK) & (p.stops == p.starts)] = Status.NO_IV
    active = np.flatnonzero(status == Status.OK).astype(np.int64)
    grid = profile_grid(c, spot, active, widths[0], grid_points)
    at_spot = grid.at_spot
    lap("profile")

    flips = grid.crossings(widths, grid_points, tol)
    out["gamma_flip"] = flips.flip
    lap("flip")

    t_starts, t_stops = segment_bounds(strikes["underlying"].to_numpy(), n)
    out["call_wall"], out["put_wall"] = walls(
        t_starts, t_stops, strikes["strike"].to_numpy(), strikes["call_gex"].to_numpy(),
        strikes["put_gex"].to_numpy(), spot,
    )  # fmt: skip
    base = r.excluded
    reasons = base.vstack(
        pl.DataFrame(
            {
                "underlying": np.flatnonzero(p.no_iv),
                "reason": "no_iv",
                "count": p.no_iv[p.no_iv > 0],
            },
            schema=base.schema,
        )
    ).sort("underlying", maintain_order=True)
    excluded_n = np.bincount(
        reasons["underlying"].to_numpy(), reasons["count"].to_numpy(), minlength=n
    ).astype(np.int64)
    header_bad = (status == Status.INVALID_SPOT) | (status == Status.INVALID_HEADER)
    excluded_n[header_bad] = np.diff(np.asarray(offsets, dtype=np.int64))[header_bad]
    summary = _summary(
        symbols, spot, status, out, at_spot, flips.n_crossings, p.stops - p.starts, excluded_n,
    )  # fmt: skip
    names = summary["symbol"]
    reasons = reasons.select(
        "underlying",
        pl.Series("symbol", names.to_numpy()[reasons["underlying"].to_numpy()], dtype=pl.String),
        "reason",
        "count",
    )
    lap("levels")
    return MarketAnalysis(
        as_of=as_of_utc,
        frame=summary,
        strikes=strikes,
        crossings=pl.DataFrame(
            {
                "underlying": np.repeat(np.arange(n, dtype=np.int64), flips.n_crossings),
                "level": flips.crossings,
            }
        ),
        excluded=reasons,
        iv_sources=_iv_sources(p.uid, p.iv_source),
        timings=MappingProxyType(timings),
    )
