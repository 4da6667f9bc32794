"""The 0DTE block: contracts expiring today and their share of net GEX (docs/conventions.md).

"Today" is the New York calendar date of the snapshot's ``as_of`` (:func:`new_york_date`),
passed in as an argument — this module never reads a clock. 0DTE contracts are those whose
listed expiration date equals that date; they have not settled yet, because the chain
validator already quarantined contracts whose settlement is at or before ``as_of``.

Units: GEX in USD of dealer delta change per 1 % move (any consistent unit works; the block
only sums and divides); ``pct_of_total_gex`` in percent: ``100 · 0DTE net GEX / total net
GEX`` (the vendor's formula: negative when the two differ in sign; the narrative then gives
both amounts instead), ``None`` when the total is zero or a value is not finite; never
``-0.0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt
import polars as pl

from engine import NEW_YORK
from engine.errors import InvalidHeaderError
from engine.typing import BoolArray, FloatArray

__all__ = [
    "NEW_YORK",
    "DateArrayLike",
    "ZeroDte",
    "as_date_array",
    "new_york_date",
    "zero_dte",
    "zero_dte_mask",
    "zero_dte_of",
]


DateArrayLike: TypeAlias = npt.ArrayLike | pl.Series | Sequence[date]
"""Dates per contract: a polars Date series, numpy ``datetime64`` or ``date`` objects."""


class ZeroDte(NamedTuple):
    """The summary's ``zero_dte`` object (the API summary)."""

    net_gex: float
    pct_of_total_gex: float | None
    expiration: date | None


def new_york_date(as_of: datetime) -> date:
    """The America/New_York calendar date of a timezone-aware instant."""
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidHeaderError("as_of must be timezone-aware")
    return as_of.astimezone(NEW_YORK).date()


def as_date_array(values: DateArrayLike) -> npt.NDArray[np.datetime64]:
    """Dates as ``datetime64[D]`` from a polars Date series, numpy dates or ``date`` objects."""
    if isinstance(values, pl.Series):
        values = values.cast(pl.Date).to_numpy()
    return np.asarray(values, dtype="datetime64[D]").ravel()


def zero_dte_mask(expiration: DateArrayLike, today: date) -> BoolArray:
    """True for the contracts whose expiration date is ``today``."""
    return as_date_array(expiration) == np.datetime64(today, "D")


def zero_dte_of(today: date, mask: BoolArray, gex: FloatArray) -> ZeroDte:
    """:func:`zero_dte` given the mask of the contracts expiring ``today``."""
    values = np.asarray(gex, dtype=np.float64).ravel()
    if mask.shape != values.shape:
        raise ValueError(f"{mask.size} expiration dates for {values.size} GEX values")
    today_gex = float(np.sum(values[mask])) + 0.0  # + 0.0: never -0.0
    total = float(np.sum(values))
    pct = 100.0 * today_gex / total + 0.0 if total != 0.0 and np.isfinite(total) else None
    if pct is not None and not np.isfinite(pct):
        pct = None
    return ZeroDte(
        net_gex=today_gex,
        pct_of_total_gex=pct,
        expiration=today if bool(mask.any()) else None,
    )


def zero_dte(today: date, expiration: DateArrayLike, gex: npt.ArrayLike) -> ZeroDte:
    """0DTE net GEX, its percentage of the total net GEX, and the 0DTE expiration date.

    ``expiration`` and ``gex`` are per contract (the chain after validation); the total is
    the sum of ``gex`` over all of them. When nothing expires ``today``, ``net_gex`` is 0,
    ``expiration`` is ``None`` and the percentage is 0 (or ``None`` for a zero total).
    """
    return zero_dte_of(today, zero_dte_mask(expiration, today), np.asarray(gex, dtype=np.float64))
