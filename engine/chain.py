"""The canonical option chain (DESIGN §2) and its validator.

A :class:`ChainSnapshot` is a small frozen header plus one polars DataFrame with one row per
contract, in the exact columns and dtypes of :data:`SCHEMA`. Every adapter produces one and
the engine accepts nothing else.

:func:`validate` splits the rows into those the engine can use and a quarantine frame with a
``reason`` column, and counts the reasons. A row gets the first reason that applies, in the
order of :data:`REASONS`. Problems that make the whole snapshot unusable raise the typed
errors of :mod:`engine.errors` instead.

Conventions decided here:

- A row whose ``iv`` is missing must have its IV solved from the mid, so a strictly crossed
  quote (ask < bid) makes it unusable (``crossed_quote``). A row with a usable IV is kept
  whatever its quotes. Zero bids and locked quotes are left to the IV stage, which reports
  them and fills them from the smile.
- A non-positive or non-finite ``iv`` means "missing" and becomes NaN (it is not quarantined;
  the engine solves or interpolates it).
- Duplicate contract ids: the first row is kept, the later ones are quarantined.
- Lossless widenings are accepted (any integer to Int64, Float32 to Float64, a UTC datetime
  of another time unit to microseconds); anything else of the wrong dtype is a SchemaError.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Final

import polars as pl
from polars._typing import PolarsDataType

from engine.errors import (
    EmptySnapshotError,
    InvalidHeaderError,
    InvalidSpotError,
    SchemaError,
)

__all__ = [
    "REASONS",
    "SCHEMA",
    "ChainSnapshot",
    "ValidatedChain",
    "empty_frame",
    "validate",
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

REASONS: Final = (
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
    "duplicate_contract",
    "expired",
    "crossed_quote",
)
"""Quarantine reasons, in the order they are tested (a row gets the first that applies)."""

MODELS: Final = ("bsm", "black76")
STYLES: Final = ("european", "american")

_INTEGER_TYPES = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32)


def empty_frame() -> pl.DataFrame:
    """A frame with the canonical columns and no rows."""
    return pl.DataFrame(schema=dict(SCHEMA))


@dataclass(frozen=True, slots=True)
class ChainSnapshot:
    """One option chain at one instant: the header of DESIGN §2 plus the contract frame.

    ``as_of`` must be timezone-aware (it is normalized to UTC by :func:`validate`) and is
    the time the quotes were made; ``fetched_at`` (optional, timezone-aware) is when the data
    was retrieved or the file was stamped, when that differs (a download taken after the
    close carries its download time; see ``docs/conventions.md``). ``rate`` and
    ``div_yield`` are continuous decimals; ``spot`` is in the underlying's price units.
    """

    underlying: str
    as_of: datetime
    spot: float
    source: str
    frame: pl.DataFrame
    rate: float = 0.0
    div_yield: float = 0.0
    fetched_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ValidatedChain:
    """The result of :func:`validate`: usable rows, quarantined rows and the counts."""

    snapshot: ChainSnapshot
    used: pl.DataFrame
    quarantine: pl.DataFrame
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def contracts_used(self) -> int:
        return self.used.height

    def data_quality(self) -> dict[str, object]:
        """``{"contracts_used": int, "excluded": {reason: count}}`` as API.md sends it."""
        return {"contracts_used": self.contracts_used, "excluded": dict(self.excluded)}


def _coerce_columns(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in SCHEMA if c not in frame.columns]
    if missing:
        raise SchemaError(f"chain frame is missing column(s): {', '.join(missing)}")
    casts = []
    for name, want in SCHEMA.items():
        have = frame.schema[name]
        if have == want:
            continue
        ok = (
            (want == pl.Int64 and isinstance(have, _INTEGER_TYPES))
            or (want == pl.Float64 and have == pl.Float32)
            or (want == UTC_US and isinstance(have, pl.Datetime) and have.time_zone == "UTC")
            or (have == pl.Null)
        )
        if not ok:
            raise SchemaError(f"column {name!r} has dtype {have}, expected {want}")
        casts.append(pl.col(name).cast(want))
    out = frame.with_columns(casts) if casts else frame
    return out.select(list(SCHEMA))


def _check_header(snapshot: ChainSnapshot) -> datetime:
    spot = snapshot.spot
    if not isinstance(spot, int | float) or not math.isfinite(spot) or spot <= 0:
        raise InvalidSpotError(f"{snapshot.underlying}: spot {spot!r} is not a positive number")
    as_of = snapshot.as_of
    if not isinstance(as_of, datetime) or as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidHeaderError(f"{snapshot.underlying}: as_of must be a timezone-aware datetime")
    for name in ("rate", "div_yield"):
        value = getattr(snapshot, name)
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidHeaderError(f"{snapshot.underlying}: {name} {value!r} is not finite")
    fetched = snapshot.fetched_at
    if fetched is not None and (
        not isinstance(fetched, datetime) or fetched.tzinfo is None or fetched.utcoffset() is None
    ):
        raise InvalidHeaderError(
            f"{snapshot.underlying}: fetched_at must be a timezone-aware datetime or None"
        )
    if not snapshot.underlying:
        raise InvalidHeaderError("underlying must be a non-empty symbol")
    return as_of.astimezone(UTC)


def _positive_finite(name: str) -> pl.Expr:
    col = pl.col(name)
    return col.is_not_null() & col.is_finite() & (col > 0)


def _reason_expr(as_of: datetime) -> pl.Expr:
    price_ok = pl.lit(True)
    for name in ("bid", "ask", "last"):
        col = pl.col(name)
        price_ok = price_ok & (col.is_null() | col.is_nan() | (col.is_finite() & (col >= 0)))
    iv_usable = pl.col("iv").is_not_null() & pl.col("iv").is_finite() & (pl.col("iv") > 0)
    checks: list[tuple[str, pl.Expr]] = [
        ("missing_contract", pl.col("contract").is_null() | (pl.col("contract") == "")),
        ("unknown_right", pl.col("is_call").is_null()),
        ("invalid_strike", ~_positive_finite("strike")),
        ("invalid_expiration", pl.col("expiration").is_null() | pl.col("settlement").is_null()),
        ("invalid_underlying_price", ~_positive_finite("underlying_price")),
        ("invalid_multiplier", ~_positive_finite("multiplier")),
        ("unknown_model", ~pl.col("model").is_in(list(MODELS)).fill_null(False)),
        ("unknown_style", ~pl.col("style").is_in(list(STYLES)).fill_null(False)),
        (
            "invalid_open_interest",
            pl.col("open_interest").is_null() | (pl.col("open_interest") < 0),
        ),
        ("invalid_price", ~price_ok),
        ("duplicate_contract", ~pl.col("contract").is_first_distinct()),
        ("expired", pl.col("settlement") <= pl.lit(as_of, dtype=UTC_US)),
        ("crossed_quote", ~iv_usable & (pl.col("ask") < pl.col("bid")).fill_null(False)),
    ]
    assert tuple(name for name, _ in checks) == REASONS
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, bad in reversed(checks):
        expr = pl.when(bad.fill_null(True)).then(pl.lit(name)).otherwise(expr)
    return expr


def validate(snapshot: ChainSnapshot) -> ValidatedChain:
    """Split a snapshot's rows into used and quarantined; raise if nothing is usable.

    The used frame has the canonical columns (volume nulls as 0, unusable IVs as NaN), sorted
    by expiration, strike, root and right; the quarantine frame adds ``reason``.
    """
    as_of = _check_header(snapshot)
    if not isinstance(snapshot.frame, pl.DataFrame):
        raise SchemaError("snapshot.frame must be a polars DataFrame")
    frame = _coerce_columns(snapshot.frame)
    if frame.height == 0:
        raise EmptySnapshotError(f"{snapshot.underlying}: the chain has no contracts")
    tagged = frame.with_columns(_reason_expr(as_of).alias("reason"))
    quarantine = tagged.filter(pl.col("reason").is_not_null())
    iv = pl.col("iv")
    used = (
        tagged.filter(pl.col("reason").is_null())
        .drop("reason")
        .with_columns(
            pl.col("volume").fill_null(0).clip(lower_bound=0),
            *(pl.col(c).fill_null(float("nan")) for c in SCHEMA if SCHEMA[c] == pl.Float64),
        )
        .with_columns(
            pl.when(iv.is_finite() & (iv > 0)).then(iv).otherwise(float("nan")).alias("iv")
        )
        .sort(["expiration", "strike", "root", "is_call"])
    )
    counts = quarantine.group_by("reason").len()
    excluded = {r: int(n) for r, n in zip(counts["reason"], counts["len"], strict=True)}
    excluded = {r: excluded[r] for r in REASONS if r in excluded}
    if used.height == 0:
        raise EmptySnapshotError(
            f"{snapshot.underlying}: no usable contract among {frame.height} (excluded: {excluded})"
        )
    header = ChainSnapshot(
        underlying=snapshot.underlying.upper(),
        as_of=as_of,
        spot=float(snapshot.spot),
        source=snapshot.source,
        frame=frame,
        rate=float(snapshot.rate),
        div_yield=float(snapshot.div_yield),
        fetched_at=None if snapshot.fetched_at is None else snapshot.fetched_at.astimezone(UTC),
    )
    return ValidatedChain(snapshot=header, used=used, quarantine=quarantine, excluded=excluded)
