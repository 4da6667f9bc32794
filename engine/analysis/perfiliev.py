"""The ``perfiliev`` preset: the widely copied open-source GEX script, reproduced exactly.

Conventions of the script (every one differs from the engine's ``native`` preset):

- **Net GEX** uses the vendor's gamma column and the file's spot ``S`` for every contract:
  ``vendor_gamma · OI · 100 · S² · 0.01`` (USD per 1 % move), calls ``+``, puts ``−``; the
  contract size is 100 whatever the multiplier. Per strike likewise (summed over expiries).
- **Profile** on 60 levels ``numpy.linspace(0.8·S, 1.2·S, 60)`` (both ends included). At
  each level ``L``: ``Σ_calls γ(L)·OI·100·L²·0.01 − Σ_puts γ(L)·OI·100·L²·0.01`` with the
  Black-Scholes gamma ``γ(L) = n(d1) / (L·σ·√T)``, ``d1 = (ln(L/K) + σ²T/2) / (σ√T)``,
  ``r = q = 0``, ``σ`` the vendor's IV (decimal).
- **Time**: ``T = numpy.busday_count(file_date, expiration) / year_days`` (Monday–Friday,
  no holidays). ``file_date`` is the date printed in the file (the script's ``todayDate``):
  the New York calendar date of the snapshot's ``fetched_at`` when set (a download taken
  after the close is stamped with its download time), else of ``as_of``
  (:func:`file_date`). An expiry 0 business days away gets ``T = 1/year_days`` when
  ``zero_dte_floor`` is true and is dropped when false; a negative count is dropped. numpy
  counts an expiration before the file date over ``(expiration, file_date]``, so from a
  weekend file date the Friday before is 0 business days away, as in the script.
- **Rows**: every row the script reads (:func:`script_rows`). The script ignores quotes and
  clock time, so besides the validator's used rows it takes the quarantined rows whose
  problem it never looks at (:data:`SCRIPT_IGNORES`: a contract already settled, a crossed
  or invalid quote, a bad multiplier, …); rows without a right, a positive strike or an
  expiration date stay out.
- **Flip**: the first sign change of the profile walking up the grid, linearly
  interpolated: with ``i = numpy.where(numpy.diff(numpy.sign(profile)))[0][0]``,
  ``flip = L[i+1] − (L[i+1] − L[i]) · p[i+1] / (p[i+1] − p[i])``. Status ``available``, or
  ``no_boundary`` with ``gamma_flip = None`` when the profile never changes sign.

Missing data follows the script's pandas sums, which skip NaN: a contract with a missing
vendor gamma or open interest adds nothing to net GEX; one with a missing, zero or negative
IV, a missing or non-positive strike, a missing open interest, or a dropped T adds nothing
to the profile. Amounts are in USD (the script prints billions; the scale does not move the flip).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.analysis.levels import strike_levels
from engine.analysis.narrative import regime_of
from engine.analysis.options import AnalysisOptions, restrict
from engine.analysis.zero_dte import DateArrayLike, as_date_array, new_york_date, zero_dte
from engine.chain import IV_MAX, IV_MIN, REASONS, SCHEMA, ChainSnapshot
from engine.errors import ConfigurationError
from engine.typing import BoolArray, FloatArray

if TYPE_CHECKING:
    from engine.analysis.presets import ResolvedPreset

__all__ = [
    "CONTRACT_SIZE",
    "GRID_POINTS",
    "SCRIPT_IGNORES",
    "PerfilievResult",
    "busday_years",
    "file_date",
    "first_crossing",
    "perfiliev_analysis",
    "script_rows",
]

CONTRACT_SIZE: Final = 100.0
MAX_GAMMA_TIMES_SPOT: Final = 1.0e5
"""Bound on ``|Γ·S| = n(d1)/(σ√T)``: at most 0.4/(0.01·√(1/525,600)) ≈ 2.9e4 for σ ≥ 1 %
and T ≥ one minute; a vendor gamma beyond it is a data error, counted, not summed."""
GRID_POINTS: Final = 60
GRID_LOWER: Final = 0.8
GRID_UPPER: Final = 1.2
_SQRT_2PI: Final = float(np.sqrt(2 * np.pi))

SCRIPT_IGNORES: Final = frozenset(
    {
        "missing_contract",  # the option symbol is never read
        "invalid_expiration",  # only when the date is there: a settlement instant is not read
        "invalid_underlying_price",  # the script prices everything at the file's spot
        "invalid_multiplier",  # the contract size is 100 whatever the multiplier
        "unknown_model",
        "unknown_style",
        "invalid_open_interest",  # a missing OI adds nothing (pandas sums skip NaN)
        "invalid_price",  # bid, ask and last are never read
        "duplicate_contract",  # every line of the file is summed
        "expired",  # no clock: the business-day count decides (T floored or dropped)
        "crossed_quote",  # the vendor IV is used as it is, quotes are never read
    }
)
"""Quarantine reasons (:data:`engine.chain.REASONS`) of rows the script still reads.

The others, ``unknown_right`` and ``invalid_strike``, leave the script without a side or a
strike to put the row on. Because the validator records only the first reason of a row,
:func:`script_rows` also checks the right, the strike and the expiration date itself.
"""
assert frozenset(REASONS) > SCRIPT_IGNORES


@dataclass(frozen=True, slots=True, eq=False)
class PerfilievResult:
    """The script's outputs in USD (see the module docstring).

    ``strike`` holds the distinct finite strikes ascending; ``call_gex``, ``put_gex``
    (``<= 0`` for non-negative vendor gamma) and ``strike_net_gex`` are aligned with it.
    ``levels`` and ``profile`` are the 60 grid levels and the profile's values there.
    ``excluded`` counts the contracts left out of net and per-strike GEX:
    ``no_vendor_gamma`` (the provider sent none: the script's sums skip it too) and
    ``implausible_vendor_gamma`` (not finite, or ``|Γ·S|`` above
    :data:`MAX_GAMMA_TIMES_SPOT`, which no option with σ ≥ 1 % and T ≥ one minute reaches).
    """

    net_gex: float
    strike: FloatArray
    call_gex: FloatArray
    put_gex: FloatArray
    strike_net_gex: FloatArray
    levels: FloatArray
    profile: FloatArray
    gamma_flip: float | None
    status: Literal["available", "no_boundary"]
    excluded: dict[str, int] = field(default_factory=dict)


def file_date(snapshot: ChainSnapshot) -> date:
    """The script's ``todayDate``: New York date of ``fetched_at`` when set, else of ``as_of``."""
    stamp = snapshot.fetched_at if snapshot.fetched_at is not None else snapshot.as_of
    return new_york_date(stamp)


def script_rows(used: pl.DataFrame, quarantine: pl.DataFrame) -> pl.DataFrame:
    """The rows the script reads, in the columns and conventions of the validator's used rows.

    ``used`` and ``quarantine`` are :class:`~engine.chain.ValidatedChain`'s frames. A
    quarantined row is taken back when its reason is in :data:`SCRIPT_IGNORES` and it has a
    right, a finite positive strike, an expiration date and no implausible vendor IV
    (outside [:data:`engine.chain.IV_MIN`, :data:`engine.chain.IV_MAX`]); it then gets the used rows'
    normalization (missing volume 0, missing floats NaN, a non-positive IV NaN). The result is
    sorted like ``used`` (expiration, strike, root, right).
    """
    strike = pl.col("strike")
    back = quarantine.filter(
        pl.col("reason").is_in(sorted(SCRIPT_IGNORES))
        & pl.col("is_call").is_not_null()
        & strike.is_not_null()
        & strike.is_finite()
        & (strike > 0)
        & pl.col("expiration").is_not_null()
        # only the first reason is recorded: a corrupt vendor IV keeps the row out too
        & (
            pl.col("iv").is_null()
            | pl.col("iv").is_nan()
            | (pl.col("iv") <= 0)
            | pl.col("iv").is_between(IV_MIN, IV_MAX)
        )
    ).select(list(SCHEMA))
    if back.height == 0:
        return used
    iv = pl.col("iv")
    floats = [c for c, dtype in SCHEMA.items() if dtype == pl.Float64]
    back = back.with_columns(
        pl.col("volume").fill_null(0).clip(lower_bound=0),
        *(pl.col(c).fill_null(float("nan")) for c in floats),
    ).with_columns(pl.when(iv.is_finite() & (iv > 0)).then(iv).otherwise(float("nan")).alias("iv"))
    return pl.concat([used.select(list(SCHEMA)), back], how="vertical").sort(
        ["expiration", "strike", "root", "is_call"], maintain_order=True
    )


def busday_years(
    file_date: date,
    expiration: DateArrayLike,
    *,
    year_days: int = 262,
    zero_dte_floor: bool = True,
) -> FloatArray:
    """``T`` per contract by the script's rule; NaN for a contract the profile drops."""
    if isinstance(year_days, bool) or not isinstance(year_days, int | np.integer) or year_days < 1:
        raise ConfigurationError(f"year_days must be a positive integer, got {year_days!r}")
    days = np.busday_count(np.datetime64(file_date, "D"), as_date_array(expiration))
    t = days / float(year_days)
    floor = 1.0 / year_days if zero_dte_floor else np.nan
    return np.where(days > 0, t, np.where(days == 0, floor, np.nan))


def first_crossing(
    levels: FloatArray, profile: FloatArray
) -> tuple[float | None, Literal["available", "no_boundary"]]:
    """The script's flip: first sign change walking up, interpolated between its two levels."""
    idx = np.where(np.diff(np.sign(profile)))[0]
    if idx.size == 0:
        return None, "no_boundary"
    neg_gamma = profile[idx]
    pos_gamma = profile[idx + 1]
    neg_strike = levels[idx]
    pos_strike = levels[idx + 1]
    zero_gamma = pos_strike - ((pos_strike - neg_strike) * pos_gamma / (pos_gamma - neg_gamma))
    return float(zero_gamma[0]), "available"


def _per_strike(
    strike: FloatArray, calls: BoolArray, gex: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    finite = np.isfinite(strike)
    grid, where = np.unique(strike[finite], return_inverse=True)
    g, c = gex[finite], calls[finite]
    call_gex = np.bincount(where, weights=np.where(c, g, 0.0), minlength=grid.size)
    put_gex = np.bincount(where, weights=np.where(c, 0.0, g), minlength=grid.size)
    return grid, call_gex.astype(np.float64), put_gex.astype(np.float64)


def _profile(
    levels: FloatArray,
    strike: FloatArray,
    calls: BoolArray,
    oi: FloatArray,
    iv: FloatArray,
    t: FloatArray,
) -> FloatArray:
    """Σ_calls γ(L)·OI·100·L²·0.01 − Σ_puts (same) at every level, as the script sums it."""
    used = (
        np.isfinite(t)
        & (t > 0.0)
        & np.isfinite(iv)
        & (iv > 0.0)
        & np.isfinite(strike)
        & (strike > 0.0)
        & np.isfinite(oi)
    )
    K, vol, T, OI = strike[used], iv[used], t[used], oi[used]
    side = calls[used]
    vol_sqrt_t = vol * np.sqrt(T)
    drift = (0.5 * vol**2) * T
    out = np.empty(levels.size)
    for i, level in enumerate(levels):
        dp = (np.log(level / K) + drift) / vol_sqrt_t
        gamma = np.exp(-(dp**2) / 2.0) / _SQRT_2PI / (level * vol_sqrt_t)
        exposure = OI * CONTRACT_SIZE * level * level * 0.01 * gamma
        out[i] = np.sum(exposure[side]) - np.sum(exposure[~side])
    return out


def perfiliev_analysis(
    spot: float,
    file_date: date,
    expiration: DateArrayLike,
    strike: npt.ArrayLike,
    is_call: npt.ArrayLike,
    open_interest: npt.ArrayLike,
    vendor_gamma: npt.ArrayLike,
    iv: npt.ArrayLike,
    *,
    year_days: int = 262,
    zero_dte_floor: bool = True,
) -> PerfilievResult:
    """Net GEX, per-strike GEX, the 60-level profile and the flip, as the script computes them.

    ``spot`` is the file's underlying price; ``file_date`` the New York date of the snapshot;
    the other arguments are per contract (``expiration`` as dates, ``iv`` decimal,
    ``vendor_gamma`` per unit of underlying). Knobs: ``year_days`` and ``zero_dte_floor``.
    """
    S = float(spot)
    if not np.isfinite(S) or S <= 0.0:
        raise ConfigurationError(f"spot must be finite and positive, got {spot!r}")
    K = np.asarray(strike, dtype=np.float64).ravel()
    calls = np.asarray(is_call, dtype=np.bool_).ravel()
    oi = np.asarray(open_interest, dtype=np.float64).ravel()
    gamma = np.asarray(vendor_gamma, dtype=np.float64).ravel()
    vol = np.asarray(iv, dtype=np.float64).ravel()
    t = busday_years(file_date, expiration, year_days=year_days, zero_dte_floor=zero_dte_floor)
    sizes = {K.size, calls.size, oi.size, gamma.size, vol.size, t.size}
    if len(sizes) != 1:
        raise ValueError(f"per-contract arguments differ in length: {sorted(sizes)}")

    sign = np.where(calls, 1.0, -1.0)
    missing = np.isnan(gamma)
    with np.errstate(over="ignore", invalid="ignore"):
        gex = sign * gamma * oi * CONTRACT_SIZE * S * S * 0.01
        scaled = np.abs(gamma * S)
    implausible = ~missing & (~np.isfinite(scaled) | (scaled > MAX_GAMMA_TIMES_SPOT))
    gex = np.where(np.isfinite(gex) & ~implausible, gex, 0.0)
    excluded = {
        name: int(count)
        for name, count in (
            ("no_vendor_gamma", missing.sum()),
            ("implausible_vendor_gamma", implausible.sum()),
        )
        if count
    }
    grid, call_gex, put_gex = _per_strike(K, calls, gex)

    levels = np.linspace(GRID_LOWER * S, GRID_UPPER * S, GRID_POINTS)
    profile = _profile(levels, K, calls, oi, vol, t)
    flip, status = first_crossing(levels, profile)
    return PerfilievResult(
        net_gex=float(np.sum(gex[calls]) + np.sum(gex[~calls])),
        strike=grid,
        call_gex=call_gex,
        put_gex=put_gex,
        strike_net_gex=call_gex + put_gex,
        levels=levels,
        profile=profile,
        gamma_flip=flip,
        status=status,
        excluded=excluded,
    )


def script_numbers(
    used: pl.DataFrame,
    quarantine: pl.DataFrame,
    head: ChainSnapshot,
    options: AnalysisOptions,
    resolved: ResolvedPreset,
    native: Mapping[str, object],
) -> dict[str, object]:
    """The ``perfiliev`` preset's override of :func:`engine.analysis.analyze`: the script's
    GEX, profile and flip in place of the native ones (module docstring); ``native`` holds
    the native results it replaces.

    ``used`` and ``quarantine`` are the validator's frames: the script also reads the
    quarantined rows whose problem it ignores (:func:`engine.analysis.perfiliev.script_rows`), with
    the same ``expiration``/``min_oi`` filters. Its business days count from the file's date
    (:func:`engine.analysis.perfiliev.file_date`); the 0DTE block keeps "today", the New York date
    of ``as_of``.
    """
    used = restrict(script_rows(used, quarantine), options)
    today = new_york_date(head.as_of)
    year_days = int(resolved["year_days"])  # type: ignore[call-overload]
    floor = bool(resolved["zero_dte_floor"])
    spot = head.spot
    res = perfiliev_analysis(
        spot,
        file_date(head),
        used["expiration"],
        used["strike"].to_numpy(),
        used["is_call"].to_numpy(),
        used["open_interest"].to_numpy(),
        used["vendor_gamma"].to_numpy(),
        used["iv"].to_numpy(),
        year_days=year_days,
        zero_dte_floor=floor,
    )
    script = pl.DataFrame({"strike": res.strike, "call_gex": res.call_gex, "put_gex": res.put_gex})
    native_table: pl.DataFrame = native["strikes"]  # type: ignore[assignment]
    table = (
        native_table.drop("call_gex", "put_gex", "net_gex")
        .join(script, on="strike", how="full", coalesce=True)
        .sort("strike")
        .fill_null(0)
        .with_columns((pl.col("call_gex") + pl.col("put_gex")).alias("net_gex"))
        .select(native_table.columns)
    )
    sign = np.where(used["is_call"].to_numpy(), 1.0, -1.0)
    gamma = used["vendor_gamma"].to_numpy()
    with np.errstate(over="ignore", invalid="ignore"):
        per_contract = sign * gamma * used["open_interest"].to_numpy() * 100.0 * spot * spot * 0.01
        # the same contracts as the script's totals: missing and implausible gammas add nothing
        plausible = np.abs(gamma * spot) <= MAX_GAMMA_TIMES_SPOT
    per_contract = np.where(np.isfinite(per_contract) & plausible, per_contract, 0.0)
    zero = zero_dte(today, used["expiration"], per_contract)
    same_day = (used["expiration"] == today).to_numpy()
    zero_table = None
    if same_day.any():
        zero_table = (
            pl.DataFrame(
                {"strike": used["strike"].to_numpy()[same_day], "net_gex": per_contract[same_day]}
            )
            .group_by("strike")
            .agg(pl.col("net_gex").sum())
            .sort("strike")
        )
    exposures = {**native["exposures"], "net_gex": float(res.net_gex)}  # type: ignore[dict-item]
    zero_exposures = {**native["zero_dte_exposures"], "net_gex": zero.net_gex}  # type: ignore[dict-item]
    return {
        "strikes": table,
        "exposures": exposures,
        "profile_levels": res.levels,
        "profile_values": res.profile,
        "crossings": () if res.gamma_flip is None else (float(res.gamma_flip),),
        "gamma_flip": res.gamma_flip,
        "gamma_flip_status": res.status,
        "regime": regime_of(res.net_gex),
        "levels": strike_levels(table, spot, zero_table),
        "zero_dte": zero,
        "zero_dte_exposures": zero_exposures,
        "preset_excluded": res.excluded,
    }
