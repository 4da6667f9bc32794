"""The validator's rules, written once: the header checks and the row reasons.

Both :func:`engine.chain.validate` (one chain) and :func:`engine.chain.market.market_rows`
(every underlying of a market at once) run these; every cap is in ``docs/data-quality.md``
and the conventions are those of :mod:`engine.chain.validate`.

:func:`row_reasons` gives each row the first reason of :data:`ROW_REASONS` that applies, as
its index in :data:`REASONS` (-1: usable), in one compiled pass (:func:`reasons_kernel`, whose
twin is the same function interpreted) over NumPy views of the columns
(:func:`engine.chain.columns.frame_columns`: a null number is NaN there, with the null masks
kept where a rule tells null from NaN). NaN in a comparison follows polars' order (NaN above
every number), which only the ``crossed_quote`` rule can see. Duplicate contract ids are
found per underlying through a 64-bit hash of the id and
:func:`engine.chain.segments.duplicated_within`; only rows whose hash repeats are compared
by their strings (the first occurrence is kept).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from numba import prange

from engine._jit import kernel, scalar, use_twins
from engine.chain.columns import NAT, FrameColumns, coerce_columns
from engine.chain.segments import duplicated_within
from engine.chain.snapshot import (
    HORIZON_YEARS,
    IV_MAX,
    IV_MIN,
    MULTIPLIER_MAX,
    OPEN_INTEREST_MAX,
    PRICE_RATIO_MAX,
    PRICE_RATIO_MIN,
    RATE_BOUND,
    REASONS,
    ROW_REASONS,
    SOURCE_REASONS,
    SPOT_MAX,
    SPOT_MIN,
    STRIKE_RATIO_MAX,
    UNDERLYING_RATIO_MAX,
    ChainSnapshot,
)
from engine.errors import InvalidHeaderError, InvalidSpotError, SchemaError
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "FIRST_ROW_REASON",
    "NOT_LISTED",
    "check_header",
    "epoch_us",
    "horizon",
    "reasons_kernel",
    "reasons_twin",
    "row_reasons",
    "set_aside",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MIX: Final = np.uint64(0x9E3779B97F4A7C15)  # odd constant mixing the underlying into the hash
FIRST_ROW_REASON: Final = len(SOURCE_REASONS)
"""Index in :data:`REASONS` of the first row reason (the source's reasons come first)."""
NOT_LISTED: Final = ("missing_contract", "unknown_right", "invalid_strike", "invalid_expiration")
"""Reasons of rows that do not show where an expiry's strikes lie (the strike-gap check of
:func:`engine.chain.validate.strike_gap_warnings` reads every other row)."""


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_header(snapshot: ChainSnapshot) -> datetime:
    """Raise the typed error of a header the engine cannot use; ``as_of`` in UTC."""
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


def set_aside(snapshot: ChainSnapshot) -> pl.DataFrame | None:
    """The source's set-aside rows in the quarantine's columns, or None."""
    rows = snapshot.set_aside
    if rows is None:
        return None
    if not isinstance(rows, pl.DataFrame) or "reason" not in rows.columns:
        raise SchemaError("snapshot.set_aside must be a polars DataFrame with a 'reason' column")
    reasons = rows["reason"]
    if reasons.dtype != pl.String or not reasons.is_in(list(SOURCE_REASONS)).all():
        raise SchemaError(f"set-aside rows need a reason among {SOURCE_REASONS}")
    coerced = coerce_columns(rows)
    return coerced.with_columns(reasons.alias("reason"))


def horizon(as_of: datetime) -> datetime:
    """``as_of`` plus :data:`HORIZON_YEARS` years, or the last representable instant."""
    try:
        return as_of + timedelta(days=365 * HORIZON_YEARS)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def epoch_us(instant: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of a timezone-aware instant."""
    return (instant - _EPOCH) // timedelta(microseconds=1)


def _duplicates(contract: pl.Series, offsets: IntArray) -> BoolArray:
    """Rows whose contract id occurred before in the same underlying (polars'
    ``is_first_distinct`` per underlying), via a hash pre-filter: only rows whose hash
    repeats are compared by their strings."""
    keys = contract.hash().to_numpy()
    n_segments = offsets.shape[0] - 1
    if n_segments > 1:
        uid = np.repeat(np.arange(n_segments, dtype=np.uint64), np.diff(offsets))
        keys = keys ^ (uid * _MIX)
    maybe = np.flatnonzero(duplicated_within(offsets[:-1], offsets[1:], keys.view(np.int64)))
    out = np.zeros(contract.len(), dtype=np.bool_)
    if maybe.size == 0:
        return out
    owner = np.searchsorted(offsets, maybe, side="right") - 1
    seen: set[tuple[int, str | None]] = set()
    for i, u, c in zip(maybe.tolist(), owner.tolist(), contract.gather(maybe), strict=True):
        out[i] = (u, c) in seen
        seen.add((u, c))
    return out


@kernel()
def reasons_kernel(  # type: ignore[no-untyped-def]
    offsets, spot, no_contract, call_null, k, u, m, oi, bid, ask, last, iv, bid_null, ask_null,
    expiration, settlement, model_ok, style_ok, duplicate, as_of_us, horizon_us, out,
):  # fmt: skip
    """``out[i]``: the index in :data:`ROW_REASONS` of row ``i``'s first reason, -1 when
    usable (the rules of :func:`row_reasons`), segment by segment (rows ``offsets[u] ..
    offsets[u + 1]`` have header spot ``spot[u]``). The rules are written once, in
    :func:`_reason_row`; the twin (:func:`reasons_twin`) runs that function interpreted."""
    for r in prange(offsets.shape[0] - 1):
        a, b = offsets[r], offsets[r + 1]
        # one flat loop per segment over slices, the header spot a scalar: it vectorizes
        # (a loop from offsets[r] to offsets[r + 1] over the whole arrays does not)
        _reason_rows(
            spot[r], no_contract[a:b], call_null[a:b], k[a:b], u[a:b], m[a:b], oi[a:b],
            bid[a:b], ask[a:b], last[a:b], iv[a:b], bid_null[a:b], ask_null[a:b],
            expiration[a:b], settlement[a:b], model_ok[a:b], style_ok[a:b], duplicate[a:b],
            as_of_us, horizon_us, out[a:b],
        )  # fmt: skip


@scalar
def _reason_rows(  # type: ignore[no-untyped-def]
    s, no_contract, call_null, k, u, m, oi, bid, ask, last, iv, bid_null, ask_null,
    expiration, settlement, model_ok, style_ok, duplicate, as_of_us, horizon_us, out,
):  # fmt: skip
    """:func:`_reason_row` for every row of one segment (header spot ``s``)."""
    for i in range(no_contract.shape[0]):
        _reason_row(
            i, s, no_contract, call_null, k, u, m, oi, bid, ask, last, iv, bid_null,
            ask_null, expiration, settlement, model_ok, style_ok, duplicate, as_of_us,
            horizon_us, out,
        )  # fmt: skip


@scalar
def _reason_row(  # type: ignore[no-untyped-def]
    i, s, no_contract, call_null, k, u, m, oi, bid, ask, last, iv, bid_null, ask_null,
    expiration, settlement, model_ok, style_ok, duplicate, as_of_us, horizon_us, out,
):  # fmt: skip
    """The reason of row ``i`` (header spot ``s``) into ``out[i]`` (see :func:`reasons_kernel`)."""
    ki, ui, mi, b, a, v, st = k[i], u[i], m[i], bid[i], ask[i], iv[i], settlement[i]
    last_i = last[i]
    ref = ki if ki >= ui else ui
    b_nan, a_nan = math.isnan(b), math.isnan(a)
    price_ok = (
        (b_nan | (math.isfinite(b) & (b >= 0.0)))
        & (a_nan | (math.isfinite(a) & (a >= 0.0)))
        & (math.isnan(last_i) | (math.isfinite(last_i) & (last_i >= 0.0)))
        & (b_nan | (b == 0.0) | ((b >= ref * PRICE_RATIO_MIN) & (b <= ref * PRICE_RATIO_MAX)))
        & (a_nan | (a == 0.0) | ((a >= ref * PRICE_RATIO_MIN) & (a <= ref * PRICE_RATIO_MAX)))
    )
    iv_present = v > 0.0
    iv_usable = iv_present & (v >= IV_MIN) & (v <= IV_MAX)
    # polars orders NaN above every number; a null quote is never crossed
    crossed = ((a < b) | (b_nan & (not a_nan))) & (not (bid_null[i] | ask_null[i]))
    strike_ok = (
        math.isfinite(ki) & (ki > 0.0) & (ki >= s / STRIKE_RATIO_MAX)
        & (ki <= s * STRIKE_RATIO_MAX)
    )  # fmt: skip
    under_ok = (
        math.isfinite(ui) & (ui > 0.0) & (ui >= s / UNDERLYING_RATIO_MAX)
        & (ui <= s * UNDERLYING_RATIO_MAX)
    )  # fmt: skip
    code = -1
    code = 13 if (not iv_usable) & crossed else code
    code = 12 if st <= as_of_us else code
    code = 11 if duplicate[i] else code
    code = 10 if iv_present & (not iv_usable) else code
    code = 9 if not price_ok else code
    code = 8 if not ((oi[i] >= 0.0) & (oi[i] <= OPEN_INTEREST_MAX)) else code
    code = 7 if not style_ok[i] else code
    code = 6 if not model_ok[i] else code
    code = 5 if not (math.isfinite(mi) & (mi > 0.0) & (mi <= MULTIPLIER_MAX)) else code
    code = 4 if not under_ok else code
    code = 3 if (expiration[i] == NAT) | (st == NAT) | (st > horizon_us) else code
    code = 2 if not strike_ok else code
    code = 1 if call_null[i] else code
    code = 0 if no_contract[i] else code
    out[i] = code


def reasons_twin(*args: object) -> None:
    """Plain-Python twin of :func:`reasons_kernel`: the same functions, interpreted."""
    offsets, spot, *columns = args
    *rows, as_of_us, horizon_us, out = columns
    for r in range(len(offsets) - 1):  # type: ignore[arg-type]
        a, b = offsets[r], offsets[r + 1]  # type: ignore[index]
        seg = [c[a:b] for c in rows]  # type: ignore[index]
        for i in range(b - a):
            _reason_row.py_func(i, spot[r], *seg, as_of_us, horizon_us, out[a:b])  # type: ignore[attr-defined, index]


def row_reasons(
    c: FrameColumns, offsets: IntArray, spot: FloatArray, as_of: datetime
) -> npt.NDArray[np.int8]:
    """Per row of a frame (its :class:`FrameColumns` ``c``) whose rows of underlying ``u``
    are ``offsets[u] .. offsets[u + 1]`` with header spot ``spot[u]``: the index in
    :data:`REASONS` of its first row reason (:data:`ROW_REASONS` order), -1 when usable.

    The rules, in the order of :data:`ROW_REASONS`: a null or empty contract id; a null
    right; a strike not finite, positive and within :data:`STRIKE_RATIO_MAX` of spot; a
    null expiration or settlement, or one beyond :data:`HORIZON_YEARS`; an underlying price
    not finite, positive and within :data:`UNDERLYING_RATIO_MAX` of spot; a multiplier not
    finite, positive and at most :data:`MULTIPLIER_MAX`; a model or style not in
    :data:`MODELS` / :data:`STYLES`; an open interest null, negative or above
    :data:`OPEN_INTEREST_MAX`; a bid, ask or last negative or infinite, or a non-zero bid or
    ask outside [:data:`PRICE_RATIO_MIN`, :data:`PRICE_RATIO_MAX`] times the larger of
    strike and underlying price; a positive IV outside [:data:`IV_MIN`, :data:`IV_MAX`]; a
    contract id seen before in the underlying; a settlement at or before ``as_of``; and,
    without a usable IV, an ask below the bid.
    """
    n = c.strike.shape[0]
    codes = np.empty(n, dtype=np.int8)
    if n:
        run = reasons_twin if use_twins() else reasons_kernel
        run(
            offsets, np.ascontiguousarray(spot, dtype=np.float64), c.no_contract, c.call_null,
            c.strike, c.underlying_price, c.multiplier, c.open_interest, c.bid, c.ask, c.last,
            c.iv, c.bid_null, c.ask_null, c.expiration, c.settlement, c.bsm | c.black76,
            c.european | c.american, _duplicates(c.contract, offsets), epoch_us(as_of),
            epoch_us(horizon(as_of)), codes,
        )  # fmt: skip
    return np.where(codes >= 0, codes + FIRST_ROW_REASON, -1).astype(np.int8)


assert REASONS[FIRST_ROW_REASON] == ROW_REASONS[0]
