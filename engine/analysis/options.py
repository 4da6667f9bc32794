"""The options of :func:`engine.analyze`, parsed and checked in one place.

Every option has a default; values may be given typed or as strings (the CLI's
``--set key=value``). Unknown names are an error, never ignored: names that are not
analysis options must be knobs of the chosen preset (:mod:`engine.analysis.presets`).

=====================  ===================================================================
``expiration``         restrict the analysis to one expiration date (``YYYY-MM-DD``);
                       default: all expirations
``min_oi``             drop strikes whose call + put open interest (over the expirations
                       analysed) is below this, from every number of the analysis, so that
                       strike rows always sum to the totals; default 0
``dealer_model``       ``street`` (default) or ``short_all`` (see :mod:`engine.exposure.dealer`)
``forward``            ``implied`` (put-call parity, default) or ``carry``
``grid_points``        points of the gamma profile grid (default: the preset's, 201)
``grid_widths``        half-widths of the grid as fractions of spot, widened in turn while
                       no sign change is found (default ``0.20,0.35,0.50``)
``profile``            which contracts the reported profile, crossings and flip use:
                       ``all`` (default), ``ex_0dte`` (without same-day expiries) or
                       ``ex_next_expiry`` (without the nearest expiration date)
``hedge_moves``        spot moves (fractions) of the summary's hedging estimate (``0.01``)
``zero_dte_moves``     moves of the 0DTE view's estimate (``0.001,0.0025,0.005,0.01``)
``max_pain_expiration``  the expiry of ``max_pain`` (default: the nearest one analysed)
=====================  ===================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import polars as pl

from engine.chain.market import epoch_day
from engine.errors import OptionError
from engine.exposure.dealer import DEALER_MODELS
from engine.pricing.forward import FORWARD_MODES
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "OPTION_NAMES",
    "PROFILE_CHOICES",
    "AnalysisOptions",
    "parse_options",
    "restrict",
    "restrict_mask",
]

PROFILE_CHOICES: Final = ("all", "ex_0dte", "ex_next_expiry")


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """Resolved analysis options (see the module docstring for each)."""

    expiration: date | None = None
    min_oi: int = 0
    dealer_model: str = "street"
    forward: str = "implied"
    grid_points: int = 201
    grid_widths: tuple[float, ...] = (0.20, 0.35, 0.50)
    profile: str = "all"
    hedge_moves: tuple[float, ...] = (0.01,)
    zero_dte_moves: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01)
    max_pain_expiration: date | None = None


OPTION_NAMES: Final = tuple(AnalysisOptions.__dataclass_fields__)


_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(name: str, raw: object) -> date | None:
    """``YYYY-MM-DD`` only (``date.fromisoformat`` would also take ``2026-W51-5``)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise OptionError(name, f"{name} must be a date YYYY-MM-DD, got {raw!r}") from None


def _int(name: str, raw: object, minimum: int) -> int:
    if isinstance(raw, bool):
        raise OptionError(name, f"{name} must be an integer, got {raw!r}")
    try:
        value = int(str(raw).strip(), 10) if isinstance(raw, str) else int(raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise OptionError(name, f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise OptionError(name, f"{name} must be >= {minimum}, got {value}")
    return value


def _fractions(name: str, raw: object, upper: float) -> tuple[float, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    try:
        values = tuple(float(v) for v in items)  # type: ignore[union-attr, attr-defined]
    except (TypeError, ValueError):
        raise OptionError(name, f"{name} must be fractions like 0.01,0.02, got {raw!r}") from None
    if not values or not all(0.0 < v < upper for v in values):
        raise OptionError(name, f"{name} must be fractions in (0, {upper}), got {raw!r}")
    return values


def _choice(name: str, raw: object, choices: tuple[str, ...]) -> str:
    value = str(raw).strip().lower()
    if value not in choices:
        raise OptionError(name, f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


def parse_options(raw: Mapping[str, object]) -> tuple[AnalysisOptions, dict[str, object]]:
    """Split ``raw`` into analysis options (parsed) and the rest (the preset's knobs)."""
    rest = {k: v for k, v in raw.items() if k not in OPTION_NAMES}
    get = raw.get
    d = AnalysisOptions()
    options = AnalysisOptions(
        expiration=_date("expiration", get("expiration")),
        min_oi=_int("min_oi", get("min_oi", d.min_oi), 0),
        dealer_model=_choice(
            "dealer_model", get("dealer_model", d.dealer_model), tuple(DEALER_MODELS)
        ),
        forward=_choice("forward", get("forward", d.forward), tuple(FORWARD_MODES)),
        grid_points=_int("grid_points", get("grid_points", d.grid_points), 3),
        grid_widths=_fractions("grid_widths", get("grid_widths", d.grid_widths), 1.0),
        profile=_choice("profile", get("profile", d.profile), PROFILE_CHOICES),
        hedge_moves=_fractions("hedge_moves", get("hedge_moves", d.hedge_moves), 1.0),
        zero_dte_moves=_fractions("zero_dte_moves", get("zero_dte_moves", d.zero_dte_moves), 1.0),
        max_pain_expiration=_date("max_pain_expiration", get("max_pain_expiration")),
    )
    return options, rest


def restrict_mask(
    expiration_day: IntArray,
    strike: FloatArray,
    open_interest: FloatArray,
    options: AnalysisOptions,
    valid_strike: BoolArray | None = None,
) -> BoolArray:
    """Per contract (arrays: days since 1970-01-01, strikes, open interest with NaN as
    none): in the asked ``expiration`` (all without one) and at a strike with at least
    ``min_oi`` contracts of open interest (calls and puts together). ``valid_strike``: False
    for a null strike (never kept by ``min_oi``)."""
    keep = np.ones(strike.shape[0], dtype=np.bool_)
    if options.expiration is not None:
        keep = expiration_day == epoch_day(options.expiration)
    if options.min_oi > 0 and keep.any():
        if valid_strike is not None:
            keep &= valid_strike
        at = np.flatnonzero(keep)
        grid, where = np.unique(strike[at], return_inverse=True)
        oi = open_interest[at]
        sums = np.bincount(where, weights=np.where(np.isnan(oi), 0.0, oi), minlength=grid.size)
        keep[at] = sums[where] >= options.min_oi
    return keep


def restrict(frame: pl.DataFrame, options: AnalysisOptions) -> pl.DataFrame:
    """The rows of ``frame`` in the asked ``expiration`` (all without one) whose strike has
    at least ``min_oi`` contracts of open interest (calls and puts together)."""
    if options.expiration is None and options.min_oi <= 0:
        return frame
    day = frame["expiration"].to_physical().cast(pl.Int64).fill_null(-(2**40)).to_numpy()
    strike = frame["strike"]
    keep = restrict_mask(
        day,
        strike.to_numpy().astype(np.float64),
        frame["open_interest"].to_numpy().astype(np.float64),
        options,
        None if not strike.null_count() else ~strike.is_null().to_numpy(),
    )
    return frame.filter(pl.Series(keep))
