"""The frames and counts one chain's analysis reports, built from its arrays (docs/conventions.md).

:func:`engine.analyze` runs the batched stages (:mod:`engine.analysis.stages`) with one
underlying; this module turns their arrays into what :class:`engine.analysis.Analysis`
returns: the per-strike table (:data:`engine.exposure.strikes.STRIKE_COLUMNS`), the levels read
off it, the 0DTE magnet's per-strike GEX, max pain and ``data_quality`` (docs/data-quality.md).
Only the strike table is a polars frame: it is an output.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Final

import numpy as np
import polars as pl

from engine.analysis.contracts import Contracts
from engine.analysis.levels import StrikeLevels, levels_of, max_pain
from engine.analysis.options import AnalysisOptions, restrict_mask
from engine.analysis.stages import StrikeSums, strike_sums_of
from engine.chain import REASONS, ValidatedChain
from engine.chain.market import MarketRows, epoch_day
from engine.errors import NoContractsError
from engine.exposure.metrics import METRICS, Exposures
from engine.exposure.strikes import STRIKE_COLUMNS
from engine.pricing.rows import MarketPriced
from engine.pricing.smile import SMILE_SOURCE_NAMES
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = ["as_date", "data_quality", "day_counts", "max_pain_of", "strike_frame", "table_levels"]

_EPOCH: Final = date(1970, 1, 1)


def as_date(day: int) -> date:
    """The calendar date ``day`` days after 1970-01-01."""
    return _EPOCH + timedelta(days=int(day))


def day_counts(days: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct days (ascending) of a non-empty array of days and how often each occurs
    (a count over the range of days: no sort)."""
    first = int(days.min())
    counts = np.bincount(days - first)
    present = np.flatnonzero(counts)
    return present + first, counts[present]


def strike_frame(
    c: Contracts, ex: Exposures, volume: IntArray
) -> tuple[pl.DataFrame, StrikeSums, FloatArray]:
    """One row per distinct strike, ascending, with :data:`STRIKE_COLUMNS`: call, put and
    net sums of every metric (USD), call and put open interest and volume (Int64); also the
    sums behind it and the open interest per strike (calls and puts)."""
    sums = strike_sums_of(c, np.stack([ex[m.name] for m in METRICS]))
    columns: dict[str, object] = {"strike": sums.strike}
    for j, metric in enumerate(METRICS):
        call, put, net = metric.columns()
        columns[call], columns[put] = sums.sums[0, j], sums.sums[1, j]
        columns[net] = sums.sums[0, j] + sums.sums[1, j]
    counts = sums.more_sums(np.stack([c.open_interest.astype(np.int64), volume]), c.is_call)
    columns["call_oi"], columns["put_oi"] = counts[0, 0], counts[1, 0]
    columns["call_volume"], columns["put_volume"] = counts[0, 1], counts[1, 1]
    table = pl.DataFrame({k: columns[k] for k in STRIKE_COLUMNS})
    return table, sums, (counts[0, 0] + counts[1, 0]).astype(np.float64)


def table_levels(
    sums: StrikeSums, oi: FloatArray, spot: float, c: Contracts, zero: BoolArray, gex: FloatArray
) -> StrikeLevels:
    """The levels of :mod:`engine.analysis.levels` from the strike sums and the open
    interest per strike; the 0DTE magnet reads the per-strike net GEX of the contracts where
    ``zero`` holds."""
    j = [m.name for m in METRICS].index("gex")
    call_gex, put_gex = sums.sums[0, j], sums.sums[1, j]
    magnet = None
    if zero.any():
        k, where = np.unique(c.strike[zero], return_inverse=True)
        magnet = (k, np.bincount(where, weights=gex[zero], minlength=k.shape[0]).astype(np.float64))
    return levels_of(sums.strike, call_gex, put_gex, call_gex + put_gex, oi, spot, magnet)


def max_pain_of(
    r: MarketRows, options: AnalysisOptions, expirations: tuple[date, ...]
) -> tuple[float | None, date | None]:
    """Max pain of ``options.max_pain_expiration`` (default: the nearest expiration
    analysed), over every usable contract of that date left by the ``expiration`` and
    ``min_oi`` filters (IV or not: the payout needs open interest only)."""
    chosen = options.max_pain_expiration or (expirations[0] if expirations else None)
    if chosen is None:
        return None, None
    rows = restrict_mask(r.expiration_day, r.strike, r.open_interest, options)
    rows &= r.expiration_day == epoch_day(chosen)
    if not rows.any():
        raise NoContractsError(f"no contract expires on {chosen} (max_pain_expiration)")
    value = max_pain(r.strike[rows], r.is_call[rows], r.open_interest[rows], r.multiplier[rows])
    return value, chosen


def _quarantined_on(validated: ValidatedChain, r: MarketRows, day: date) -> dict[str, int]:
    """Quarantine counts per reason among the rows expiring on ``day``."""
    on = r.frame_expiration[r.labelled] == epoch_day(day)
    counts = np.bincount(r.reason[on].astype(np.int64), minlength=len(REASONS))
    aside = validated.snapshot.set_aside
    if aside is not None and aside.height:
        hit = aside.filter(pl.col("expiration") == day)["reason"]
        for reason, n in hit.value_counts().iter_rows():
            counts[REASONS.index(reason)] += n
    return {REASONS[i]: int(n) for i, n in enumerate(counts) if n}


def data_quality(
    validated: ValidatedChain,
    r: MarketRows,
    p: MarketPriced,
    priced_excluded: Mapping[str, int],
    c: Contracts,
    iv_source: np.ndarray,
    options: AnalysisOptions,
    preset_excluded: Mapping[str, int],
) -> dict[str, object]:
    """``data_quality`` of the contracts behind the returned numbers ``c``: those left after
    the ``expiration`` and ``min_oi`` filters, the exclusions among the rows of the
    expirations asked for, where their implied vols came from (``iv_source`` codes), what
    a preset left out of its own numbers (``preset_excluded``; ``perfiliev``: contracts
    without a usable vendor gamma), and the chain's ``warnings`` (a truncated file, an
    expiry whose strikes stop short)."""
    excluded = dict(priced_excluded)
    in_scope = int(p.keep.shape[0])  # priced contracts in the expiration asked for
    if options.expiration is not None:
        day = epoch_day(options.expiration)
        counts = _quarantined_on(validated, r, options.expiration)
        excluded = {k: counts[k] for k in priced_excluded if k in counts}
        in_scope = int((r.expiration_day[p.keep] == day).sum())
        day_rows = int((r.expiration_day == day).sum())
        if day_rows > in_scope:
            excluded["no_iv"] = day_rows - in_scope
    per_source = np.bincount(iv_source.astype(np.int64), minlength=len(SMILE_SOURCE_NAMES))
    sources = sorted(
        (SMILE_SOURCE_NAMES[k], int(n)) for k, n in enumerate(per_source.tolist()) if n
    )
    days, per_day = day_counts(c.expiration_day)
    return {
        "contracts_used": c.size,
        "excluded": excluded,
        "filtered_out": {"min_oi": in_scope - c.size},
        "iv_sources": dict(sources),
        "contracts_per_expiry": {
            as_date(d).isoformat(): int(n) for d, n in zip(days, per_day, strict=True)
        },
        "preset_excluded": dict(preset_excluded),
        "warnings": list(validated.warnings),
    }
