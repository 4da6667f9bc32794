"""Validation of a whole market's contract frame at once (the first stage of :mod:`engine.analysis.market`).

A market is one canonical frame (:data:`engine.chain.SCHEMA`) holding every underlying's
contracts contiguously — rows ``offsets[u] .. offsets[u + 1]`` belong to underlying ``u`` —
plus per-underlying ``symbols``, ``spots`` and ``div_yields`` and one shared ``as_of``.

Per underlying the result is what :func:`engine.chain.validate` gives on that underlying's
snapshot alone:

- Header: an underlying whose spot is not finite, positive and within
  [``SPOT_MIN``, ``SPOT_MAX``] gets status ``invalid_spot`` (``InvalidSpotError`` in
  ``validate``), one whose dividend yield is not finite or beyond ``RATE_BOUND`` or whose
  symbol is empty ``invalid_header``; all its rows are left out. A naive ``as_of``, a rate
  that is not finite or beyond ``RATE_BOUND``, or inconsistent offsets raise for the whole
  market.
- Rows: each row gets the quarantine reason ``validate`` would give it, from
  ``engine.chain._reason_expr`` itself (the validator's row rules, used privately here), with
  duplicate contract ids counted *within an underlying* only. The reasons are those of
  ``ROW_REASONS`` (a market frame has no rows set aside by a source), coded by their index in
  ``REASONS``. An underlying with no usable row gets status ``empty``
  (``EmptySnapshotError``).

How it stays fast on ~1.5 M rows: the validator's expression spends most of its time on the
duplicate test over the contract strings. Here a cheap vectorized pre-filter marks every row
that could be quarantined — any null, non-finite or non-positive value where the rules need
one, a value beyond one of the validator's caps (strike, underlying price, multiplier, open
interest, quote, vendor IV, horizon), an unknown model or style, a negative or infinite
price, ``settlement <= as_of``, ``ask < bid``, or a contract whose 64-bit hash repeats within
its underlying — and only those rows (a few thousand) are labelled by ``_reason_expr``, with
each contract id prefixed by its underlying (and its header spot in a column) so that the
duplicate test sees one underlying at a time. A row the pre-filter
passes cannot match any rule, so the labels equal the validator's; a row it marks needlessly
just comes back unlabelled (usable).

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

from engine.chain.segments import duplicated_within
from engine.chain.snapshot import (
    IV_MAX,
    IV_MIN,
    MODELS,
    MULTIPLIER_MAX,
    OPEN_INTEREST_MAX,
    PRICE_RATIO_MAX,
    PRICE_RATIO_MIN,
    RATE_BOUND,
    REASONS,
    SPOT_MAX,
    SPOT_MIN,
    STRIKE_RATIO_MAX,
    STYLES,
    UNDERLYING_RATIO_MAX,
    UTC_US,
)
from engine.chain.validate import _coerce_columns, _horizon, _reason_expr
from engine.errors import InvalidHeaderError, SchemaError
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = ["STATUS_NAMES", "MarketRows", "Status", "epoch_day", "market_rows", "segment_bounds"]


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

_MIX: Final = np.uint64(0x9E3779B97F4A7C15)  # odd constant mixing the underlying into the hash
_SPOT: Final = "\x1fspot"  # the per-row header spot, a column no canonical frame has


@dataclass(frozen=True, slots=True)
class MarketRows:
    """The usable rows of a market, as arrays in frame order (grouped by underlying).

    ``rows``: positions in the frame; ``uid``: underlying index; ``starts`` / ``stops``:
    each underlying's range in these arrays. Columns as in :data:`engine.chain.SCHEMA`
    (``iv`` NaN where unusable, ``open_interest`` as float64), plus ``settlement_us``
    (µs since the epoch, UTC), ``expiration_day`` (days since 1970-01-01), ``is_bsm``,
    ``is_european`` and
    ``root_code`` (a dense code per distinct root, 0 for a null root). ``status`` per
    underlying (:class:`Status`); ``excluded``: one row per (underlying, reason) with a count.
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
    excluded: pl.DataFrame

    @property
    def size(self) -> int:
        return int(self.rows.shape[0])


def segment_bounds(owner: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """``(starts, stops)`` of each of ``n`` owners in an ascending ``owner`` array."""
    ids = np.arange(n)
    starts = np.searchsorted(owner, ids, side="left").astype(np.int64)
    stops = np.searchsorted(owner, ids, side="right").astype(np.int64)
    return starts, stops


def _positive_finite_or_null(name: str) -> pl.Expr:
    col = pl.col(name)
    return (col.is_finite() & (col > 0)).fill_null(False)


def _one_of(name: str, values: Sequence[str]) -> pl.Expr:
    """``name`` equals one of ``values`` (False for null); cheaper than ``is_in`` here."""
    return pl.any_horizontal(*(pl.col(name) == v for v in values)).fill_null(False)


def _outside(name: str, spot: pl.Expr, ratio: float) -> pl.Expr:
    col = pl.col(name)
    return ((col < spot / ratio) | (col > spot * ratio)).fill_null(False)


def _suspect(as_of: datetime, spot: pl.Expr) -> pl.Expr:
    """True for every row that some rule of ``_reason_expr`` could quarantine (a superset).

    ``spot``: each row's header spot (a column).
    """
    bad_price = [
        ((pl.col(c) < 0) | pl.col(c).is_infinite()).fill_null(False) for c in ("bid", "ask", "last")
    ]
    reference = pl.max_horizontal(pl.col("strike"), pl.col("underlying_price"))
    odd_quote = [
        (
            (pl.col(c) > 0) & (pl.col(c) < reference * PRICE_RATIO_MIN)
            | (pl.col(c) > reference * PRICE_RATIO_MAX)
        ).fill_null(False)
        for c in ("bid", "ask")
    ]
    iv = pl.col("iv")
    checks = [
        pl.col("contract").is_null() | (pl.col("contract").str.len_bytes() == 0),
        pl.col("is_call").is_null(),
        ~_positive_finite_or_null("strike"),
        _outside("strike", spot, STRIKE_RATIO_MAX),
        pl.col("expiration").is_null() | pl.col("settlement").is_null(),
        pl.col("settlement") > pl.lit(_horizon(as_of), dtype=UTC_US),
        ~_positive_finite_or_null("underlying_price"),
        _outside("underlying_price", spot, UNDERLYING_RATIO_MAX),
        ~_positive_finite_or_null("multiplier"),
        (pl.col("multiplier") > MULTIPLIER_MAX).fill_null(False),
        ~_one_of("model", MODELS),
        ~_one_of("style", STYLES),
        pl.col("open_interest").is_null()
        | (pl.col("open_interest") < 0)
        | (pl.col("open_interest") > OPEN_INTEREST_MAX),
        *bad_price,
        *odd_quote,
        ((iv > 0) & ((iv < IV_MIN) | (iv > IV_MAX))).fill_null(False),
        pl.col("settlement") <= pl.lit(as_of, dtype=UTC_US),
        pl.col("ask") < pl.col("bid"),
    ]
    return pl.any_horizontal(*(c.fill_null(True) for c in checks)).fill_null(True)


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


def _labels(
    frame: pl.DataFrame, suspects: IntArray, uid: IntArray, spot: FloatArray, as_of: datetime
) -> npt.NDArray[np.object_]:
    """``_reason_expr``'s reason (or None) for each suspect row, duplicates per underlying."""
    if suspects.shape[0] == 0:
        return np.empty(0, dtype=object)
    contract = pl.col("contract")
    sub = frame[suspects].with_columns(
        pl.when(contract.is_null() | (contract == ""))
        .then(contract)
        .otherwise(pl.lit(pl.Series(uid[suspects]).cast(pl.String)) + "\x1f" + contract)
        .alias("contract"),
        pl.Series(_SPOT, spot[uid[suspects]], dtype=pl.Float64),
    )
    return sub.select(_reason_expr(as_of, pl.col(_SPOT)).alias("reason"))["reason"].to_numpy()


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
    frame = _coerce_columns(frame)
    counts = np.diff(off)
    uid_all = np.repeat(np.arange(n, dtype=np.int64), counts)

    status = np.full(n, Status.OK, dtype=np.int8)
    named = np.array([isinstance(sym, str) and sym != "" for sym in symbols], dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        q_ok = np.isfinite(q) & (np.abs(q) <= RATE_BOUND)
        spot_ok = np.isfinite(spot) & (spot >= SPOT_MIN) & (spot <= SPOT_MAX)
    status[~(q_ok & named)] = Status.INVALID_HEADER
    status[~spot_ok] = Status.INVALID_SPOT

    cols = (
        frame.lazy()
        .with_columns(pl.Series(_SPOT, spot[uid_all], dtype=pl.Float64))
        .select(
            _suspect(as_of_utc, pl.col(_SPOT)).alias("suspect"),
            pl.col("contract").hash().alias("hash"),
            (pl.col("model") == "bsm").fill_null(False).alias("bsm"),
            (pl.col("style") == "european").fill_null(False).alias("european"),
            pl.col("settlement").dt.epoch("us").fill_null(0).alias("settlement_us"),
            pl.col("expiration").cast(pl.Int64).fill_null(0).alias("expiration_day"),
        )
        .collect()
    )
    keys = (cols["hash"].to_numpy() ^ (uid_all.astype(np.uint64) * _MIX)).view(np.int64)
    suspect = cols["suspect"].to_numpy() | duplicated_within(off[:-1], off[1:], keys)
    header_ok = (status == Status.OK)[uid_all]
    suspects = np.flatnonzero(suspect & header_ok)
    labels = _labels(frame, suspects, uid_all, spot, as_of_utc)
    labelled = np.array([r is not None for r in labels], dtype=np.bool_)
    usable = header_ok.copy()
    usable[suspects[labelled]] = False
    rows = np.flatnonzero(usable)

    reason_code = np.array([REASONS.index(r) for r in labels[labelled]], dtype=np.int64)
    pair = uid_all[suspects[labelled]] * len(REASONS) + reason_code
    found, found_n = np.unique(pair, return_counts=True)
    excluded = pl.DataFrame(
        {
            "underlying": (found // len(REASONS)).astype(np.int64),
            "reason": [REASONS[int(c)] for c in found % len(REASONS)],
            "count": found_n.astype(np.int64),
        },
        schema={"underlying": pl.Int64, "reason": pl.String, "count": pl.Int64},
    )

    uid = uid_all[rows]
    starts, stops = segment_bounds(uid, n)
    status[(status == Status.OK) & (stops == starts)] = Status.EMPTY

    runs = frame["root"].rle().struct.unnest()
    root_all = np.repeat(
        runs["value"].rank("dense").fill_null(0).to_numpy().astype(np.int64),
        runs["len"].to_numpy().astype(np.int64),
    )

    def floats(name: str) -> FloatArray:
        return np.asarray(frame[name].to_numpy()[rows], dtype=np.float64)

    iv = floats("iv")
    return MarketRows(
        n_underlyings=n,
        rows=rows.astype(np.int64),
        uid=uid,
        starts=starts,
        stops=stops,
        strike=floats("strike"),
        is_call=np.asarray(frame["is_call"].to_numpy()[rows], dtype=np.bool_),
        underlying_price=floats("underlying_price"),
        multiplier=floats("multiplier"),
        open_interest=floats("open_interest"),
        bid=floats("bid"),
        ask=floats("ask"),
        iv=np.where(np.isfinite(iv) & (iv > 0.0), iv, np.nan),
        settlement_us=cols["settlement_us"].to_numpy()[rows].astype(np.int64),
        expiration_day=cols["expiration_day"].to_numpy()[rows].astype(np.int64),
        is_bsm=cols["bsm"].to_numpy()[rows].astype(np.bool_),
        is_european=cols["european"].to_numpy()[rows].astype(np.bool_),
        root_code=root_all[rows],
        status=status,
        excluded=excluded,
    )


def epoch_day(day: date) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return (day - date(1970, 1, 1)).days
