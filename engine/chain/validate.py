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

One chain is validated as a market of one underlying: the header checks of
:func:`engine.chain.rules.check_header`, then :func:`engine.chain.market.market_rows`, whose
row rules (:func:`engine.chain.rules.row_reasons`) are the only ones. The ``used`` and
``quarantine`` frames are built from its arrays when first read (:mod:`engine.chain.lazy`);
the analysis reads the arrays (:func:`validated_rows`).

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

from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from functools import cached_property
from typing import Final

import numpy as np
import polars as pl

from engine.chain.columns import coerce_columns
from engine.chain.lazy import Deferred, LazyField
from engine.chain.market import MarketRows, market_rows, root_codes
from engine.chain.rules import NOT_LISTED, check_header, set_aside
from engine.chain.snapshot import REASONS, SCHEMA, ChainSnapshot
from engine.errors import EmptySnapshotError, SchemaError
from engine.typing import FloatArray, IntArray

__all__ = ["ValidatedChain", "strike_gap_warnings", "validate", "validated_rows"]

_GAP_MIN_STRIKES: Final = 5
_SORT: Final = ["expiration", "strike", "root", "is_call"]
_EPOCH_DAY: Final = date(1970, 1, 1)


@dataclass(frozen=True)
class ValidatedChain:
    """The result of :func:`validate`: usable rows, quarantined rows and the counts.

    ``used``: the usable rows (volume nulls as 0, unusable IVs as NaN), sorted by expiration,
    strike, root and right; ``quarantine``: the quarantined rows plus ``reason`` (the
    source's set-aside rows first). ``warnings``: the source's warnings followed by the
    validator's (a strike gap), one sentence each; empty when nothing looks wrong.
    """

    snapshot: ChainSnapshot
    used: LazyField[pl.DataFrame] = LazyField()  # noqa: RUF009 (a descriptor, engine.chain.lazy)
    quarantine: LazyField[pl.DataFrame] = LazyField()  # noqa: RUF009 (a descriptor, engine.chain.lazy)
    excluded: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def contracts_used(self) -> int:
        frames = self.__dict__.get("_frames")
        return frames.rows.size if isinstance(frames, ChainFrames) else self.used.height

    def data_quality(self) -> dict[str, object]:
        """``{"contracts_used": int, "excluded": {reason: count}}`` as the API sends it."""
        return {"contracts_used": self.contracts_used, "excluded": dict(self.excluded)}


class ChainFrames:
    """The frames of one validation, built from its arrays when first read.

    ``rows``: the :class:`~engine.chain.market.MarketRows` of the chain (one underlying);
    ``order``: positions in ``rows`` of the rows of ``used``, in its order.
    """

    def __init__(self, rows: MarketRows, aside: pl.DataFrame | None) -> None:
        self.rows = rows
        self.aside = aside

    @cached_property
    def _sorted(self) -> tuple[pl.DataFrame, IntArray]:
        iv = pl.col("iv")
        floats = [pl.col(c).fill_null(float("nan")) for c in SCHEMA if SCHEMA[c] == pl.Float64]
        used = (
            self.rows.frame[self.rows.rows]
            .with_columns(pl.col("volume").fill_null(0).clip(lower_bound=0), *floats)
            .with_columns(
                pl.when(iv.is_finite() & (iv > 0)).then(iv).otherwise(float("nan")).alias("iv")
            )
            .with_row_index("\x1fpos")
            .sort(_SORT)
        )
        order = used["\x1fpos"].to_numpy().astype(np.int64)
        return used.drop("\x1fpos"), order

    @property
    def used(self) -> pl.DataFrame:
        return self._sorted[0]

    @property
    def order(self) -> IntArray:
        return self._sorted[1]

    def quarantine(self) -> pl.DataFrame:
        r = self.rows
        reasons = pl.Series("reason", np.array(REASONS, dtype=object)[r.reason], dtype=pl.String)
        tagged = r.frame[r.labelled].with_columns(reasons)
        if self.aside is not None and self.aside.height:
            return pl.concat([self.aside, tagged], how="vertical")
        return tagged


def validated_rows(validated: ValidatedChain) -> ChainFrames:
    """The arrays (and frame builder) behind ``validated``; validated again from its
    snapshot when it was not made by :func:`validate`."""
    frames = validated.__dict__.get("_frames")
    if isinstance(frames, ChainFrames):
        return frames
    return validated_rows(validate(validated.snapshot))


def _gap_warnings(
    root: IntArray, names: list[str], day: IntArray, strike: FloatArray, spot: float
) -> tuple[str, ...]:
    """:func:`strike_gap_warnings` on arrays: root codes (0 = null, ``i`` = ``names[i - 1]``),
    expiration days since 1970-01-01 and strikes of the rows to read."""
    n = strike.shape[0]
    if n == 0:
        return ()
    rc = np.where(root == 0, len(names) + 1, root)  # null roots last
    base = int(day.min())
    change = np.ones(n, dtype=np.bool_)
    change[1:] = (rc[1:] != rc[:-1]) | (day[1:] != day[:-1])
    runs = np.flatnonzero(change)
    keys, run_group = np.unique(rc[runs] * (1 << 32) + (day[runs] - base), return_inverse=True)
    low = np.full(keys.shape[0], np.inf)
    high = np.full(keys.shape[0], -np.inf)
    np.minimum.at(low, run_group, np.minimum.reduceat(strike, runs))
    np.maximum.at(high, run_group, np.maximum.reduceat(strike, runs))
    g_root, g_day = keys >> 32, (keys & 0xFFFFFFFF) + base
    out: list[str] = []
    for i in np.flatnonzero((high < spot) | (low > spot)):
        near = [j for j in (i - 1, i + 1) if 0 <= j < keys.shape[0] and g_root[j] == g_root[i]]
        if not near or not all(low[j] <= spot <= high[j] for j in near):
            continue
        member = np.repeat(run_group == i, np.diff(np.append(runs, n)))
        if np.unique(strike[member]).shape[0] < _GAP_MIN_STRIKES:
            continue
        name = f"expiry {(_EPOCH_DAY + timedelta(days=int(g_day[i]))).isoformat()}"
        code = int(g_root[i])
        if code <= len(names) and names[code - 1]:
            name += f" ({names[code - 1]})"
        if high[i] < spot:
            reach = min(high[j] for j in near)
            out.append(
                f"{name}: strikes stop at {high[i]:g} while neighbours reach "
                f"{reach:g} (spot {spot:g}); the data may be cut short"
            )
        else:
            reach = max(low[j] for j in near)
            out.append(
                f"{name}: strikes start at {low[i]:g} while neighbours start at "
                f"{reach:g} (spot {spot:g}); the data may be cut short"
            )
    return tuple(out)


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
    rows = rows.filter(pl.col("expiration").is_not_null() & pl.col("strike").is_not_nan())
    codes, names = root_codes(rows["root"])
    day = rows["expiration"].to_physical().cast(pl.Int64).to_numpy()
    return _gap_warnings(codes, names, day, rows["strike"].to_numpy(), float(spot))


def _counts(rows: MarketRows, aside: pl.DataFrame | None) -> dict[str, int]:
    counts = np.bincount(rows.reason.astype(np.int64), minlength=len(REASONS))
    if aside is not None and aside.height:
        for reason, n in aside["reason"].value_counts().iter_rows():
            counts[REASONS.index(reason)] += n
    return {r: int(counts[i]) for i, r in enumerate(REASONS) if counts[i]}


def validate(snapshot: ChainSnapshot) -> ValidatedChain:
    """Split a snapshot's rows into used and quarantined; raise if nothing is usable.

    The used frame has the canonical columns (volume nulls as 0, unusable IVs as NaN), sorted
    by expiration, strike, root and right; the quarantine frame adds ``reason`` (the
    source's set-aside rows first).
    """
    as_of = check_header(snapshot)
    if not isinstance(snapshot.frame, pl.DataFrame):
        raise SchemaError("snapshot.frame must be a polars DataFrame")
    frame = coerce_columns(snapshot.frame)
    aside = set_aside(snapshot)
    if frame.height == 0:
        extra = "" if aside is None else f" ({aside.height} row(s) set aside by the source)"
        raise EmptySnapshotError(f"{snapshot.underlying}: the chain has no contracts{extra}")
    spot = float(snapshot.spot)
    rows = market_rows(
        frame, [0, frame.height], [snapshot.underlying], [spot], [float(snapshot.div_yield)],
        as_of, float(snapshot.rate),
    )  # fmt: skip
    excluded = _counts(rows, aside)
    if rows.size == 0:
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
        set_aside=aside,
        warnings=snapshot.warnings,
    )
    unlisted = np.isin(rows.reason, [REASONS.index(r) for r in NOT_LISTED])
    listed = np.ones(frame.height, dtype=np.bool_)
    listed[rows.labelled[unlisted]] = False
    strike = frame["strike"].to_numpy()
    gaps = _gap_warnings(
        rows.frame_root[listed], list(rows.root_names), rows.frame_expiration[listed],
        strike[listed], spot,
    )  # fmt: skip
    frames = ChainFrames(rows, aside)
    validated = ValidatedChain(
        snapshot=header,
        used=Deferred(lambda: frames.used),  # type: ignore[arg-type]
        quarantine=Deferred(frames.quarantine),  # type: ignore[arg-type]
        excluded=excluded,
        warnings=snapshot.warnings + gaps,
    )
    object.__setattr__(validated, "_frames", frames)
    return validated
