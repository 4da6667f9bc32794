"""Time to settlement in years (docs/conventions.md).

``T = (settlement - as_of) / (365 · 86400 s)``, exact to the microsecond the data carries
(never a count of days), floored at one minute so gamma and charm stay finite in the last
minute of a 0DTE contract. Contracts at or past settlement are expired: the chain validator
quarantines them (reason ``expired``) and this module gives them NaN.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.errors import InvalidHeaderError
from engine.typing import FloatArray

__all__ = ["MIN_T_SECONDS", "SECONDS_PER_YEAR", "years_from_us", "years_to_settlement"]

SECONDS_PER_YEAR: Final = 365.0 * 86400.0
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MIN_T_SECONDS: Final = 60.0


def years_to_settlement(settlement: pl.Series, as_of: datetime) -> FloatArray:
    """Year fractions from ``as_of`` (tz-aware) to each settlement instant (UTC datetimes).

    NaN where the contract has settled (settlement <= as_of) or the instant is missing.
    """
    micros = settlement.cast(pl.Datetime("us", "UTC")).dt.epoch("us").to_numpy()
    return years_from_us(np.asarray(micros, dtype=np.int64), as_of)


def years_from_us(settlement_us: npt.NDArray[np.int64], as_of: datetime) -> FloatArray:
    """:func:`years_to_settlement` of instants given as microseconds since the epoch (UTC)."""
    if as_of.tzinfo is None:
        raise InvalidHeaderError("as_of must be timezone-aware")
    as_of_us = (as_of - _EPOCH) // timedelta(microseconds=1)
    seconds = (settlement_us - as_of_us) / 1e6
    years = np.maximum(seconds, MIN_T_SECONDS) / SECONDS_PER_YEAR
    return np.where(seconds > 0, years, np.nan)
