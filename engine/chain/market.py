"""Validation of a whole market's contract frame at once: the first stage of every analysis.

A market is one canonical frame (:data:`engine.chain.SCHEMA`) holding every underlying's
contracts contiguously — rows ``offsets[u] .. offsets[u + 1]`` belong to underlying ``u`` —
plus per-underlying ``symbols``, ``spots`` and ``div_yields`` and one shared ``as_of``. A
single chain is a market of one underlying: :func:`engine.chain.validate` runs this stage
with one segment after its header checks.

Per underlying the result is what :func:`engine.chain.validate` gives on that underlying's
snapshot alone:

- Header: an underlying whose spot is not finite, positive and within
  [``SPOT_MIN``, ``SPOT_MAX``] gets status ``invalid_spot`` (``InvalidSpotError`` in
  ``validate``), one whose dividend yield is not finite or beyond ``RATE_BOUND`` or whose
  symbol is empty ``invalid_header``; all its rows are left out. A naive ``as_of``, a rate
  that is not finite or beyond ``RATE_BOUND``, or inconsistent offsets raise for the whole
  market.
- Rows: each row gets the quarantine reason of the validator's row rules
  (:func:`engine.chain.rules.row_reasons`, written once for both), with duplicate contract
  ids counted *within an underlying* only. The reasons are those of ``ROW_REASONS`` (a
  market frame has no rows set aside by a source), coded by their index in ``REASONS``. An
  underlying with no usable row gets status ``empty`` (``EmptySnapshotError``).

The usable rows keep the frame's order (no sort: every later stage groups by its own keys).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.chain.columns import coerce_columns, frame_columns
from engine.chain.rules import row_reasons
from engine.chain.snapshot import RATE_BOUND, REASONS, SPOT_MAX, SPOT_MIN
from engine.errors import InvalidHeaderError, SchemaError
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "STATUS_NAMES",
    "MarketRows",
    "Status",
    "epoch_day",
    "market_rows",
    "root_codes",
    "segment_bounds",
]


class Status:
    """Per-underlying outcome codes (int8); names in :data:`STATUS_NAMES`."""

    OK: Final = 0
    INVALID_SPOT: Final = 1
    INVALID_HEADER: Final = 2
    EMPTY: Final = 3
    NO_IV: Final = 4


STATUS_NAMES: Final = ("ok", "invalid_spot", "invalid_header", "empty", "no_iv")
"""Status code -> name: ``ok``; ``invalid_spot`` / ``invalid_header`` (the header checks of
``validate``); ``empty`` (no usable contract); ``no_iv`` (no contract has an implied vol)."""


@dataclass(frozen=True, slots=True)
class MarketRows:
    """The usable rows of a market, as arrays in frame order (grouped by underlying).

    ``rows``: positions in the frame; ``uid``: underlying index; ``starts`` / ``stops``:
    each underlying's range in these arrays. Columns as in :data:`engine.chain.SCHEMA`
    (``iv`` NaN where unusable, ``open_interest`` as float64), plus ``settlement_us``
    (µs since the epoch, UTC), ``expiration_day`` (days since 1970-01-01), ``is_bsm``,
    ``is_european`` and ``root_code`` (:func:`root_codes`). ``status`` per underlying
    (:class:`Status`). ``frame``: the coerced frame; ``labelled`` / ``reason``: the
    positions in it of the quarantined rows (ascending) and each one's index in
    ``REASONS``; ``frame_root`` / ``frame_expiration``: root code and expiration day of
    every row of the frame (0 / :data:`engine.chain.columns.NAT` where null); ``root_names``: the
    root of each code (code ``i`` is ``root_names[i - 1]``).
    """

    n_underlyings: int
    rows: IntArray
    uid: IntArray
    starts: IntArray
    stops: IntArray
    strike: FloatArray
    is_call: BoolArray
    underlying_price: FloatArray
    multiplier: FloatArray
    open_interest: FloatArray
    bid: FloatArray
    ask: FloatArray
    iv: FloatArray
    settlement_us: IntArray
    expiration_day: IntArray
    is_bsm: BoolArray
    is_european: BoolArray
    root_code: IntArray
    status: npt.NDArray[np.int8]
    frame: pl.DataFrame
    offsets: IntArray
    labelled: IntArray
    reason: npt.NDArray[np.int8]
    frame_root: IntArray
    frame_expiration: IntArray
    root_names: tuple[str, ...]

    @property
    def size(self) -> int:
        return int(self.rows.shape[0])

    @property
    def excluded(self) -> pl.DataFrame:
        """One row per (underlying, reason) with a count: ``underlying``, ``reason``,
        ``count``, by underlying, reasons in the order of ``REASONS``."""
        owner = np.searchsorted(self.offsets, self.labelled, side="right") - 1
        pair = owner * len(REASONS) + self.reason.astype(np.int64)
        found, found_n = np.unique(pair, return_counts=True)
        return pl.DataFrame(
            {
                "underlying": (found // len(REASONS)).astype(np.int64),
                "reason": [REASONS[int(c)] for c in found % len(REASONS)],
                "count": found_n.astype(np.int64),
            },
            schema={"underlying": pl.Int64, "reason": pl.String, "count": pl.Int64},
        )


def segment_bounds(owner: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """``(starts, stops)`` of each of ``n`` owners in an ascending ``owner`` array."""
    ids = np.arange(n)
    starts = np.searchsorted(owner, ids, side="left").astype(np.int64)
    stops = np.searchsorted(owner, ids, side="right").astype(np.int64)
    return starts, stops


def root_codes(root: pl.Series) -> tuple[IntArray, list[str]]:
    """A dense code per row: 0 for a null root, ``1 + i`` for ``names[i]`` (the distinct
    roots, ascending). Runs of equal roots are coded once, so a sorted column is cheap."""
    runs = root.rle().struct.unnest()
    values = runs["value"].to_list()
    names = sorted({v for v in values if v is not None})
    index = {name: i + 1 for i, name in enumerate(names)}
    codes = np.array([index.get(v, 0) if v is not None else 0 for v in values], dtype=np.int64)
    return np.repeat(codes, runs["len"].to_numpy().astype(np.int64)), names


def _check_market(
    frame: pl.DataFrame,
    offsets: npt.ArrayLike,
    symbols: Sequence[str],
    spots: npt.ArrayLike,
    div_yields: npt.ArrayLike,
    as_of: datetime,
    rate: float,
) -> tuple[IntArray, FloatArray, FloatArray, datetime]:
    if not isinstance(as_of, datetime) or as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidHeaderError("as_of must be a timezone-aware datetime")
    if not isinstance(rate, int | float) or not math.isfinite(rate):
        raise InvalidHeaderError(f"rate {rate!r} is not finite")
    if abs(rate) > RATE_BOUND:
        raise InvalidHeaderError(
            f"rate {rate!r} is implausible: a continuous decimal rate per year must be within "
            f"±{RATE_BOUND:g}"
        )
    if not isinstance(frame, pl.DataFrame):
        raise SchemaError("the market frame must be a polars DataFrame")
    off = np.asarray(offsets, dtype=np.int64).reshape(-1)
    s = np.asarray(spots, dtype=np.float64).reshape(-1)
    q = np.asarray(div_yields, dtype=np.float64).reshape(-1)
    n = len(symbols)
    if off.shape[0] != n + 1 or s.shape[0] != n or q.shape[0] != n:
        raise InvalidHeaderError(
            f"{n} symbols need {n + 1} offsets, {n} spots and {n} dividend yields; got "
            f"{off.shape[0]}, {s.shape[0]} and {q.shape[0]}"
        )
    if off[0] != 0 or off[-1] != frame.height or (np.diff(off) < 0).any():
        raise InvalidHeaderError(f"offsets must rise from 0 to the frame's height {frame.height}")
    return off, s, q, as_of.astimezone(UTC)


def market_rows(
    frame: pl.DataFrame,
    offsets: npt.ArrayLike,
    symbols: Sequence[str],
    spots: npt.ArrayLike,
    div_yields: npt.ArrayLike,
    as_of: datetime,
    rate: float,
) -> MarketRows:
    """Validate a market frame (see the module docstring) and extract its usable rows."""
    off, spot, q, as_of_utc = _check_market(frame, offsets, symbols, spots, div_yields, as_of, rate)
    n = len(symbols)
    frame = coerce_columns(frame)

    status = np.full(n, Status.OK, dtype=np.int8)
    named = np.array([isinstance(sym, str) and sym != "" for sym in symbols], dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        q_ok = np.isfinite(q) & (np.abs(q) <= RATE_BOUND)
        spot_ok = np.isfinite(spot) & (spot >= SPOT_MIN) & (spot <= SPOT_MAX)
    status[~(q_ok & named)] = Status.INVALID_HEADER
    status[~spot_ok] = Status.INVALID_SPOT

    c = frame_columns(frame)
    codes = row_reasons(c, off, np.where(spot_ok, spot, 1.0), as_of_utc)
    usable = codes < 0
    if (status != Status.OK).any():  # rows of a rejected header are neither used nor labelled
        header_ok = np.repeat(status == Status.OK, np.diff(off))
        usable &= header_ok
        labelled = np.flatnonzero(header_ok & ~usable & (codes >= 0)).astype(np.int64)
    else:
        labelled = np.flatnonzero(~usable).astype(np.int64)
    rows = np.flatnonzero(usable).astype(np.int64)
    if n == 1:
        uid = np.zeros(rows.shape[0], dtype=np.int64)
        starts, stops = np.zeros(1, dtype=np.int64), np.full(1, rows.shape[0], dtype=np.int64)
    else:
        uid = np.searchsorted(off, rows, side="right").astype(np.int64) - 1
        starts, stops = segment_bounds(uid, n)
    status[(status == Status.OK) & (stops == starts)] = Status.EMPTY
    root_all, root_names = root_codes(frame["root"])
    iv = c.iv[usable]
    return MarketRows(
        n_underlyings=n,
        rows=rows,
        uid=uid,
        starts=starts,
        stops=stops,
        strike=c.strike[usable],
        is_call=c.is_call[usable],
        underlying_price=c.underlying_price[usable],
        multiplier=c.multiplier[usable],
        open_interest=c.open_interest[usable],
        bid=c.bid[usable],
        ask=c.ask[usable],
        iv=np.where(np.isfinite(iv) & (iv > 0.0), iv, np.nan),
        settlement_us=c.settlement[usable],
        expiration_day=c.expiration[usable],
        is_bsm=c.bsm[usable],
        is_european=c.european[usable],
        root_code=root_all[usable],
        status=status,
        frame=frame,
        offsets=off,
        labelled=labelled,
        reason=codes[labelled],
        frame_root=root_all,
        frame_expiration=c.expiration,
        root_names=tuple(root_names),
    )


def epoch_day(day: date) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return (day - date(1970, 1, 1)).days
