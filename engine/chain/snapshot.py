"""The canonical option chain: :data:`SCHEMA`, :class:`ChainSnapshot` and the caps (docs/conventions.md).

A :class:`ChainSnapshot` is a small frozen header plus one polars DataFrame with one row per
contract, in the exact columns and dtypes of :data:`SCHEMA`. Every adapter produces one and
the engine accepts nothing else. A source may also hand over rows it read but could not turn
into contracts (``set_aside``, each with a reason of :data:`SOURCE_REASONS`) and
``warnings`` about the data as a whole (a file that looks cut short). The validator that
applies the caps below is :mod:`engine.chain.validate`; every cap is in
``docs/data-quality.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Final

import polars as pl
from polars._typing import PolarsDataType

__all__ = [
    "HORIZON_YEARS",
    "IV_MAX",
    "IV_MIN",
    "MODELS",
    "MULTIPLIER_MAX",
    "OPEN_INTEREST_MAX",
    "PRICE_RATIO_MAX",
    "PRICE_RATIO_MIN",
    "RATE_BOUND",
    "REASONS",
    "ROW_REASONS",
    "SCHEMA",
    "SOURCE_REASONS",
    "SPOT_MAX",
    "SPOT_MIN",
    "STRIKE_RATIO_MAX",
    "STYLES",
    "UNDERLYING_RATIO_MAX",
    "UTC_US",
    "ChainSnapshot",
    "empty_frame",
]

UTC_US = pl.Datetime("us", "UTC")

SCHEMA: Final[Mapping[str, PolarsDataType]] = MappingProxyType(
    {
        "contract": pl.String,
        "root": pl.String,
        "expiration": pl.Date,
        "settlement": UTC_US,
        "strike": pl.Float64,
        "is_call": pl.Boolean,
        "style": pl.String,
        "model": pl.String,
        "multiplier": pl.Float64,
        "underlying_price": pl.Float64,
        "open_interest": pl.Int64,
        "volume": pl.Int64,
        "bid": pl.Float64,
        "ask": pl.Float64,
        "last": pl.Float64,
        "iv": pl.Float64,
        "vendor_delta": pl.Float64,
        "vendor_gamma": pl.Float64,
    }
)
"""Column name -> polars dtype of the canonical chain, in canonical order."""

SOURCE_REASONS: Final = ("malformed_row", "foreign_underlying")
"""Reasons a source gives the rows it sets aside (``ChainSnapshot.set_aside``):
``malformed_row`` — a row the source could not read (a CSV line with the wrong number of
cells, a cell that should hold a number and does not, a JSON entry of the wrong type);
``foreign_underlying`` — a contract whose option root belongs to another underlying than the
chain's (a QQQ row inside a SPY file)."""

ROW_REASONS: Final = (
    "missing_contract",
    "unknown_right",
    "invalid_strike",
    "invalid_expiration",
    "invalid_underlying_price",
    "invalid_multiplier",
    "unknown_model",
    "unknown_style",
    "invalid_open_interest",
    "invalid_price",
    "implausible_iv",
    "duplicate_contract",
    "expired",
    "crossed_quote",
)
"""The validator's own reasons, in the order they are tested (a row gets the first that
applies)."""

REASONS: Final = SOURCE_REASONS + ROW_REASONS
"""Every quarantine reason: those a source gives, then the validator's in testing order. Counts
(``ValidatedChain.excluded``) are reported in this order."""

MODELS: Final = ("bsm", "black76")
STYLES: Final = ("european", "american")

SPOT_MIN: Final = 1e-6
SPOT_MAX: Final = 1e9
"""Header spot range (underlying price units); outside it is an :class:`InvalidSpotError`."""
RATE_BOUND: Final = 1.0
"""``|rate|`` and ``|div_yield|`` (continuous decimals per year) at most this (100 %/yr);
beyond it is an :class:`InvalidHeaderError`."""
STRIKE_RATIO_MAX: Final = 1e6
"""A strike more than this factor above or below the header spot is ``invalid_strike``."""
UNDERLYING_RATIO_MAX: Final = 10.0
"""A row's ``underlying_price`` (the future for futures options) more than this factor from
the header spot is ``invalid_underlying_price``."""
MULTIPLIER_MAX: Final = 1e6
"""A ``multiplier`` above this is ``invalid_multiplier`` (real ones: 1 to 250,000)."""
OPEN_INTEREST_MAX: Final = 1_000_000_000
"""``open_interest`` above this (10^9 contracts; the largest real ones are ~10^6) is
``invalid_open_interest``. Sums of Int64 open interest then cannot overflow below 9·10^9
rows."""
PRICE_RATIO_MIN: Final = 1e-9
PRICE_RATIO_MAX: Final = 10.0
"""A non-zero bid or ask outside [1e-9, 10] times the larger of strike and underlying price
is ``invalid_price`` (no premium exceeds that larger value; none is below every tick)."""
IV_MIN: Final = 1e-4
IV_MAX: Final = 100.0
"""A vendor ``iv`` that is positive but outside [0.01 %, 10,000 %] per year (``+inf``
included) is ``implausible_iv``. Real Cboe files reach 8.5 on 0DTE wings and go down to
0.001."""
HORIZON_YEARS: Final = 100
"""A settlement more than this many (365-day) years after ``as_of`` is
``invalid_expiration``."""

"""Reasons of rows that do not show where an expiry's strikes lie (the strike-gap check
reads every other row, expired ones included)."""


def empty_frame() -> pl.DataFrame:
    """A frame with the canonical columns and no rows."""
    return pl.DataFrame(schema=dict(SCHEMA))


@dataclass(frozen=True, slots=True)
class ChainSnapshot:
    """One option chain at one instant: the header plus the contract frame (docs/conventions.md).

    ``as_of`` must be timezone-aware (it is normalized to UTC by :func:`validate`) and is
    the time the quotes were made; ``fetched_at`` (optional, timezone-aware) is when the data
    was retrieved or the file was stamped, when that differs (a download taken after the
    close carries its download time; see ``docs/conventions.md``). ``rate`` and
    ``div_yield`` are continuous decimals; ``spot`` is in the underlying's price units.

    ``set_aside`` (optional): rows the source read but could not use, in the canonical
    columns (as far as they could be read, nulls elsewhere) plus ``reason``, one of
    :data:`SOURCE_REASONS`; :func:`validate` adds them to its quarantine and counts.
    ``warnings``: what the source noticed about the data as a whole, one sentence each
    (``"truncated: the last row (line 1201) has 12 of 22 cells"``).
    """

    underlying: str
    as_of: datetime
    spot: float
    source: str
    frame: pl.DataFrame
    rate: float = 0.0
    div_yield: float = 0.0
    fetched_at: datetime | None = None
    set_aside: pl.DataFrame | None = None
    warnings: tuple[str, ...] = ()
