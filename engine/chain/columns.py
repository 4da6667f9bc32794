"""A chain frame's columns for the validator and the analysis: coercion and NumPy views.

:func:`coerce_columns` checks a frame against :data:`engine.chain.SCHEMA` (lossless widenings
accepted, anything else a :class:`~engine.errors.SchemaError`); :func:`frame_columns` reads
the columns the row rules (:mod:`engine.chain.rules`) and the analysis need as NumPy arrays,
once per frame (docs/data-quality.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from engine.chain.snapshot import MODELS, SCHEMA, STYLES, UTC_US
from engine.errors import SchemaError
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = ["NAT", "FrameColumns", "coerce_columns", "frame_columns"]

_INTEGER_TYPES = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32)


def coerce_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """The canonical columns of ``frame`` in canonical order, lossless widenings applied
    (any integer to Int64, Float32 to Float64, a UTC datetime of another unit to µs, an
    all-null column to its type); anything else of the wrong dtype is a SchemaError."""
    if frame.schema == _SCHEMA:
        return frame
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


_SCHEMA: Final = pl.Schema(dict(SCHEMA))


NAT: Final = np.iinfo(np.int64).min  # a null date or instant, viewed as int64


@dataclass(frozen=True, slots=True)
class FrameColumns:
    """The columns of a coerced frame the rules and the analysis read, as NumPy arrays.

    Numbers as float64 with NaN for null (``bid_null`` / ``ask_null`` tell a null quote
    from a NaN one); ``is_call`` False where null (``call_null``); ``expiration`` (days)
    and ``settlement`` (µs since the epoch) int64 with :data:`NAT` for null; ``bsm`` /
    ``black76`` and ``european`` / ``american`` per row (all False for an unknown or null
    model or style); ``no_contract``: a null or empty contract id.
    """

    contract: pl.Series
    no_contract: BoolArray
    is_call: BoolArray
    call_null: BoolArray
    strike: FloatArray
    underlying_price: FloatArray
    multiplier: FloatArray
    open_interest: FloatArray
    bid: FloatArray
    ask: FloatArray
    last: FloatArray
    iv: FloatArray
    bid_null: BoolArray
    ask_null: BoolArray
    expiration: IntArray
    settlement: IntArray
    bsm: BoolArray
    black76: BoolArray
    european: BoolArray
    american: BoolArray


def _nulls(s: pl.Series) -> BoolArray:
    return s.is_null().to_numpy() if s.null_count() else np.zeros(s.len(), dtype=np.bool_)


def _floats(s: pl.Series) -> FloatArray:
    """A numeric column as float64, nulls as NaN."""
    return np.asarray(s.to_numpy(), dtype=np.float64)


def _equal(s: pl.Series, value: str) -> BoolArray:
    hit = s == value
    return np.asarray((hit.fill_null(False) if s.null_count() else hit).to_numpy(), np.bool_)


def _pair(s: pl.Series, first: str, second: str) -> tuple[BoolArray, BoolArray]:
    """Rows equal to ``first`` and to ``second`` (the second compare skipped when every row
    is ``first``: a chain is usually all ``bsm`` and all of one style)."""
    a = _equal(s, first)
    return a, (np.zeros_like(a) if a.all() else _equal(s, second))


def frame_columns(frame: pl.DataFrame) -> FrameColumns:
    """:class:`FrameColumns` of a frame with the canonical columns and dtypes."""
    assert MODELS == ("bsm", "black76") and STYLES == ("european", "american")
    is_call = frame["is_call"]
    call_null = _nulls(is_call)
    calls = is_call.fill_null(False) if call_null.any() else is_call
    contract = frame["contract"]
    bsm, black76 = _pair(frame["model"], *MODELS)
    european, american = _pair(frame["style"], *STYLES)
    return FrameColumns(
        contract=contract,
        no_contract=~(_floats(contract.str.len_bytes()) > 0),
        is_call=np.asarray(calls.to_numpy(), dtype=np.bool_),
        call_null=call_null,
        strike=_floats(frame["strike"]),
        underlying_price=_floats(frame["underlying_price"]),
        multiplier=_floats(frame["multiplier"]),
        open_interest=_floats(frame["open_interest"]),
        bid=_floats(frame["bid"]),
        ask=_floats(frame["ask"]),
        last=_floats(frame["last"]),
        iv=_floats(frame["iv"]),
        bid_null=_nulls(frame["bid"]),
        ask_null=_nulls(frame["ask"]),
        expiration=frame["expiration"].to_numpy().view(np.int64),
        settlement=frame["settlement"].to_numpy().view(np.int64),
        bsm=bsm,
        black76=black76,
        european=european,
        american=american,
    )
