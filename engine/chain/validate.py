"""The chain validator: usable rows, a quarantine with reasons, and the counts (docs/conventions.md).

A :class:`ChainSnapshot` is a small frozen header plus one polars DataFrame with one row per
contract, in the exact columns and dtypes of :data:`SCHEMA`. Every adapter produces one and
the engine accepts nothing else. A source may also hand over rows it read but could not turn
into contracts (``set_aside``, each with a reason of :data:`SOURCE_REASONS`) and
``warnings`` about the data as a whole (a file that looks cut short).

:func:`validate` splits the rows into those the engine can use and a quarantine frame with a
``reason`` column, and counts the reasons. A row gets the first reason that applies, in the
order of :data:`ROW_REASONS`; the rows a source set aside join the quarantine with their own
reason. Problems that make the whole snapshot unusable raise the typed errors of
:mod:`engine.errors` instead. Every cap below is in ``docs/data-quality.md``.

Conventions decided here:

- A row whose ``iv`` is missing must have its IV solved from the mid, so a strictly crossed
  quote (ask < bid) makes it unusable (``crossed_quote``). A row with a usable IV is kept
  whatever its quotes. Zero bids and locked quotes are left to the IV stage, which reports
  them and fills them from the smile.
- A ``iv`` that is null, NaN or not positive means "missing" and becomes NaN (it is not
  quarantined; the engine solves or interpolates it). A vendor IV that is there but outside
  [:data:`IV_MIN`, :data:`IV_MAX`] (``+inf`` included) is corrupt: the row is quarantined as
  ``implausible_iv`` rather than the IV dropped, because a cell that broken says the rest of
  the vendor's row is not to be trusted either, and the count then shows in ``data_quality``.
- Magnitudes are capped so that no product or sum of the engine can overflow: strikes and
  a row's ``underlying_price`` within fixed factors of the header spot, ``multiplier`` at
  most :data:`MULTIPLIER_MAX`, ``open_interest`` at most :data:`OPEN_INTEREST_MAX`, a
  non-zero bid or ask within [:data:`PRICE_RATIO_MIN`, :data:`PRICE_RATIO_MAX`] times the
  larger of strike and underlying price, settlement within :data:`HORIZON_YEARS` years; in
  the header, spot within [:data:`SPOT_MIN`, :data:`SPOT_MAX`] and ``|rate|``,
  ``|div_yield|`` at most :data:`RATE_BOUND`.
- Duplicate contract ids: the first row is kept, the later ones are quarantined.
- Lossless widenings are accepted (any integer to Int64, Float32 to Float64, a UTC datetime
  of another time unit to microseconds); anything else of the wrong dtype is a SchemaError.
- :func:`validate` also warns (``ValidatedChain.warnings``) about an expiry whose strikes stop
  short of spot while its neighbours of the same root reach past it: the signature of a file
  cut in the middle of that expiry (:func:`strike_gap_warnings`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

import polars as pl

from engine.chain.snapshot import (
    HORIZON_YEARS,
    IV_MAX,
    IV_MIN,
    MODELS,
    MULTIPLIER_MAX,
    OPEN_INTEREST_MAX,
    PRICE_RATIO_MAX,
    PRICE_RATIO_MIN,
    RATE_BOUND,
    REASONS,
    ROW_REASONS,
    SCHEMA,
    SOURCE_REASONS,
    SPOT_MAX,
    SPOT_MIN,
    STRIKE_RATIO_MAX,
    STYLES,
    UNDERLYING_RATIO_MAX,
    UTC_US,
    ChainSnapshot,
)
from engine.errors import (
    EmptySnapshotError,
    InvalidHeaderError,
    InvalidSpotError,
    SchemaError,
)

__all__ = ["ValidatedChain", "strike_gap_warnings", "validate"]

_INTEGER_TYPES = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32)
_GAP_MIN_STRIKES: Final = 5
_NOT_LISTED: Final = ("missing_contract", "unknown_right", "invalid_strike", "invalid_expiration")


@dataclass(frozen=True, slots=True)
class ValidatedChain:
    """The result of :func:`validate`: usable rows, quarantined rows and the counts.

    ``warnings``: the source's warnings followed by the validator's (a strike gap), one
    sentence each; empty when nothing looks wrong.
    """

    snapshot: ChainSnapshot
    used: pl.DataFrame
    quarantine: pl.DataFrame
    excluded: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def contracts_used(self) -> int:
        return self.used.height

    def data_quality(self) -> dict[str, object]:
        """``{"contracts_used": int, "excluded": {reason: count}}`` as the API sends it."""
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


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_header(snapshot: ChainSnapshot) -> datetime:
    spot = snapshot.spot
    if not _number(spot) or not math.isfinite(spot) or spot <= 0:
        raise InvalidSpotError(f"{snapshot.underlying}: spot {spot!r} is not a positive number")
    if not SPOT_MIN <= spot <= SPOT_MAX:
        raise InvalidSpotError(
            f"{snapshot.underlying}: spot {spot!r} is outside the plausible range "
            f"[{SPOT_MIN:g}, {SPOT_MAX:g}]"
        )
    as_of = snapshot.as_of
    if not isinstance(as_of, datetime) or as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidHeaderError(f"{snapshot.underlying}: as_of must be a timezone-aware datetime")
    for name in ("rate", "div_yield"):
        value = getattr(snapshot, name)
        if not _number(value) or not math.isfinite(value):
            raise InvalidHeaderError(f"{snapshot.underlying}: {name} {value!r} is not finite")
        if abs(value) > RATE_BOUND:
            raise InvalidHeaderError(
                f"{snapshot.underlying}: {name} {value!r} is implausible: a continuous decimal "
                f"rate per year must be within ±{RATE_BOUND:g}"
            )
    fetched = snapshot.fetched_at
    if fetched is not None and (
        not isinstance(fetched, datetime) or fetched.tzinfo is None or fetched.utcoffset() is None
    ):
        raise InvalidHeaderError(
            f"{snapshot.underlying}: fetched_at must be a timezone-aware datetime or None"
        )
    if not snapshot.underlying:
        raise InvalidHeaderError("underlying must be a non-empty symbol")
    if not isinstance(snapshot.warnings, tuple) or not all(
        isinstance(w, str) for w in snapshot.warnings
    ):
        raise InvalidHeaderError(f"{snapshot.underlying}: warnings must be a tuple of strings")
    return as_of.astimezone(UTC)


def _positive_finite(name: str) -> pl.Expr:
    col = pl.col(name)
    return col.is_not_null() & col.is_finite() & (col > 0)


def _within(col: pl.Expr, reference: pl.Expr, ratio: float) -> pl.Expr:
    """``reference / ratio <= col <= reference * ratio`` (False for null or NaN)."""
    return ((col >= reference / ratio) & (col <= reference * ratio)).fill_null(False)


def _horizon(as_of: datetime) -> datetime:
    """``as_of`` plus :data:`HORIZON_YEARS` years, or the last representable instant."""
    try:
        return as_of + timedelta(days=365 * HORIZON_YEARS)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def _reason_expr(as_of: datetime, spot: pl.Expr) -> pl.Expr:
    """The first :data:`ROW_REASONS` entry that applies to each row (null: usable).

    ``spot`` is the header spot, a literal or (for a market of many underlyings) a column.
    """
    price_ok = pl.lit(True)
    for name in ("bid", "ask", "last"):
        col = pl.col(name)
        price_ok = price_ok & (col.is_null() | col.is_nan() | (col.is_finite() & (col >= 0)))
    reference = pl.max_horizontal(pl.col("strike"), pl.col("underlying_price"))
    for name in ("bid", "ask"):
        col = pl.col(name)
        price_ok = price_ok & (
            col.is_null()
            | col.is_nan()
            | (col == 0)
            | (
                (col >= reference * PRICE_RATIO_MIN) & (col <= reference * PRICE_RATIO_MAX)
            ).fill_null(False)
        )
    iv = pl.col("iv")
    iv_present = iv.is_not_null() & ~iv.is_nan() & (iv > 0)
    iv_usable = iv_present & (iv >= IV_MIN) & (iv <= IV_MAX)
    settlement = pl.col("settlement")
    horizon = pl.lit(_horizon(as_of), dtype=UTC_US)
    oi = pl.col("open_interest")
    checks: list[tuple[str, pl.Expr]] = [
        ("missing_contract", pl.col("contract").is_null() | (pl.col("contract") == "")),
        ("unknown_right", pl.col("is_call").is_null()),
        (
            "invalid_strike",
            ~_positive_finite("strike") | ~_within(pl.col("strike"), spot, STRIKE_RATIO_MAX),
        ),
        (
            "invalid_expiration",
            pl.col("expiration").is_null() | settlement.is_null() | (settlement > horizon),
        ),
        (
            "invalid_underlying_price",
            ~_positive_finite("underlying_price")
            | ~_within(pl.col("underlying_price"), spot, UNDERLYING_RATIO_MAX),
        ),
        (
            "invalid_multiplier",
            ~_positive_finite("multiplier") | (pl.col("multiplier") > MULTIPLIER_MAX),
        ),
        ("unknown_model", ~pl.col("model").is_in(list(MODELS)).fill_null(False)),
        ("unknown_style", ~pl.col("style").is_in(list(STYLES)).fill_null(False)),
        ("invalid_open_interest", oi.is_null() | (oi < 0) | (oi > OPEN_INTEREST_MAX)),
        ("invalid_price", ~price_ok),
        ("implausible_iv", iv_present & ~iv_usable),
        ("duplicate_contract", ~pl.col("contract").is_first_distinct()),
        ("expired", settlement <= pl.lit(as_of, dtype=UTC_US)),
        ("crossed_quote", ~iv_usable & (pl.col("ask") < pl.col("bid")).fill_null(False)),
    ]
    assert tuple(name for name, _ in checks) == ROW_REASONS
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, bad in reversed(checks):
        expr = pl.when(bad.fill_null(True)).then(pl.lit(name)).otherwise(expr)
    return expr


def _set_aside(snapshot: ChainSnapshot) -> pl.DataFrame | None:
    """The source's set-aside rows in the quarantine's columns, or None."""
    rows = snapshot.set_aside
    if rows is None:
        return None
    if not isinstance(rows, pl.DataFrame) or "reason" not in rows.columns:
        raise SchemaError("snapshot.set_aside must be a polars DataFrame with a 'reason' column")
    reasons = rows["reason"]
    if reasons.dtype != pl.String or not reasons.is_in(list(SOURCE_REASONS)).all():
        raise SchemaError(f"set-aside rows need a reason among {SOURCE_REASONS}")
    coerced = _coerce_columns(rows)
    return coerced.with_columns(reasons.alias("reason"))


def strike_gap_warnings(rows: pl.DataFrame, spot: float) -> tuple[str, ...]:
    """Expiries whose strikes stop short of spot while their neighbours reach past it.

    ``rows``: contracts with a strike and an expiration (:func:`validate` passes every row
    but those quarantined for their contract id, right, strike or expiration, so that an
    expired expiry still counts as a neighbour). Per root, expiries in date order; an expiry
    with at least 5 distinct strikes, all below spot (or all above), whose neighbouring
    expiries of the same root (one or both, those that exist) each have strikes on both sides
    of spot, gets one sentence. A file sorted by expiry and strike and cut in the middle of an
    expiry below spot looks exactly like that; real chains list strikes around spot for every
    expiry with more than a handful of them. A cut above spot cannot be told from an expiry
    listed narrower than its neighbours, and is not reported.
    """
    if rows.height == 0:
        return ()
    table = (
        rows.group_by("root", "expiration")
        .agg(
            pl.col("strike").min().alias("low"),
            pl.col("strike").max().alias("high"),
            pl.col("strike").n_unique().alias("n"),
        )
        .sort("root", "expiration", nulls_last=True)
    )
    out: list[str] = []
    for (root,), group in table.group_by(["root"], maintain_order=True):
        expiries = group.rows(named=True)
        for i, row in enumerate(expiries):
            neighbours = [expiries[j] for j in (i - 1, i + 1) if 0 <= j < len(expiries)]
            if row["n"] < _GAP_MIN_STRIKES or not neighbours:
                continue
            if not all(n["low"] <= spot <= n["high"] for n in neighbours):
                continue
            day = row["expiration"].isoformat()
            name = f"expiry {day}" + (f" ({root})" if root else "")
            if row["high"] < spot:
                reach = min(n["high"] for n in neighbours)
                out.append(
                    f"{name}: strikes stop at {row['high']:g} while neighbours reach "
                    f"{reach:g} (spot {spot:g}); the data may be cut short"
                )
            elif row["low"] > spot:
                reach = max(n["low"] for n in neighbours)
                out.append(
                    f"{name}: strikes start at {row['low']:g} while neighbours start at "
                    f"{reach:g} (spot {spot:g}); the data may be cut short"
                )
    return tuple(out)


def validate(snapshot: ChainSnapshot) -> ValidatedChain:
    """Split a snapshot's rows into used and quarantined; raise if nothing is usable.

    The used frame has the canonical columns (volume nulls as 0, unusable IVs as NaN), sorted
    by expiration, strike, root and right; the quarantine frame adds ``reason`` (the
    source's set-aside rows first).
    """
    as_of = _check_header(snapshot)
    if not isinstance(snapshot.frame, pl.DataFrame):
        raise SchemaError("snapshot.frame must be a polars DataFrame")
    frame = _coerce_columns(snapshot.frame)
    set_aside = _set_aside(snapshot)
    if frame.height == 0:
        aside = "" if set_aside is None else f" ({set_aside.height} row(s) set aside by the source)"
        raise EmptySnapshotError(f"{snapshot.underlying}: the chain has no contracts{aside}")
    spot = float(snapshot.spot)
    tagged = frame.with_columns(_reason_expr(as_of, pl.lit(spot)).alias("reason"))
    quarantine = tagged.filter(pl.col("reason").is_not_null())
    if set_aside is not None and set_aside.height:
        quarantine = pl.concat([set_aside, quarantine], how="vertical")
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
        spot=spot,
        source=snapshot.source,
        frame=frame,
        rate=float(snapshot.rate),
        div_yield=float(snapshot.div_yield),
        fetched_at=None if snapshot.fetched_at is None else snapshot.fetched_at.astimezone(UTC),
        set_aside=set_aside,
        warnings=snapshot.warnings,
    )
    listed = tagged.filter(pl.col("reason").is_null() | ~pl.col("reason").is_in(list(_NOT_LISTED)))
    warnings = snapshot.warnings + strike_gap_warnings(listed, spot)
    return ValidatedChain(
        snapshot=header,
        used=used,
        quarantine=quarantine,
        excluded=excluded,
        warnings=warnings,
    )
