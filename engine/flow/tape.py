"""A batch of trades as the kernels read it: :class:`Tape`, built from a ``TRADES_SCHEMA`` frame.

``to_tape(frame, index, excluded)`` turns a polars frame with the columns of
``data_adapters.base.TRADES_SCHEMA`` (``contract, timestamp, price, size, condition, bid,
ask``; extra columns are ignored) into arrays:

- ``index`` — the contract's position in the chain's list (:class:`ContractIndex`), -1
  when the id is null or not in the chain;
- ``timestamp`` — int64 microseconds since the epoch, UTC (any time unit and time zone of
  the frame is converted; a naive datetime is taken as UTC); missing → ``NO_TIMESTAMP``;
- ``price``, ``bid``, ``ask`` — float64, missing → NaN; ``size`` — int64, missing (or a
  float that is not a whole number) → 0, which the simulator counts as invalid;
- ``eligible`` — False when the print's condition is in ``excluded``. A missing condition,
  or a name outside the canonical vocabulary (:mod:`engine.flow.conditions`), is treated as
  ``unknown``.

A missing column or one that cannot be cast is a :class:`engine.errors.SchemaError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl

from engine.errors import ConfigurationError, SchemaError
from engine.flow._math import NO_TIMESTAMP
from engine.flow.conditions import CONDITIONS, EXCLUDED_BY_DEFAULT, UNKNOWN
from engine.flow.index import ContractIndex, hash_expr
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = ["TRADE_COLUMNS", "Tape", "check_excluded", "to_tape"]

TRADE_COLUMNS = ("contract", "timestamp", "price", "size", "condition", "bid", "ask")
"""Columns ``to_tape`` reads (those of ``TRADES_SCHEMA``)."""


def check_excluded(excluded: Iterable[str] = EXCLUDED_BY_DEFAULT) -> frozenset[str]:
    """``excluded`` as a frozenset of canonical condition names (``ConfigurationError``
    for a name outside :data:`engine.flow.conditions.CONDITIONS`, or a bare string)."""
    if isinstance(excluded, str):
        raise ConfigurationError("excluded must be a collection of condition names, not a str")
    names = frozenset(excluded)
    unknown = sorted(n for n in names if n not in CONDITIONS)
    if unknown:
        raise ConfigurationError(
            f"unknown trade condition(s) {unknown}; the vocabulary is {list(CONDITIONS)}"
        )
    return names


def _array(a: np.ndarray, dtype: type) -> np.ndarray:
    out: np.ndarray = np.ascontiguousarray(a, dtype=dtype)
    if out.ndim != 1:
        raise ValueError("tape arrays must be one-dimensional")
    return out


@dataclass(frozen=True, eq=False)
class Tape:
    """One batch of trades as arrays of equal length (see the module docstring).

    ``contracts_total`` is the length of the contract list ``index`` refers to and
    ``excluded`` the condition set ``eligible`` was computed with; a :class:`FlowState`
    only accepts a tape made for its own list and set. Arrays are converted to the dtypes
    above (C-contiguous) and otherwise shared, not copied: do not modify them afterwards.
    """

    index: IntArray
    timestamp: IntArray
    price: FloatArray
    size: IntArray
    eligible: BoolArray
    bid: FloatArray
    ask: FloatArray
    contracts_total: int
    excluded: frozenset[str]

    def __post_init__(self) -> None:
        for name, dtype in (
            ("index", np.int64),
            ("timestamp", np.int64),
            ("price", np.float64),
            ("size", np.int64),
            ("eligible", np.bool_),
            ("bid", np.float64),
            ("ask", np.float64),
        ):
            object.__setattr__(self, name, _array(getattr(self, name), dtype))
        n = self.index.shape[0]
        for name in ("timestamp", "price", "size", "eligible", "bid", "ask"):
            if getattr(self, name).shape[0] != n:
                raise ValueError(
                    f"tape column {name} has length {getattr(self, name).shape[0]}, expected {n}"
                )
        if n and (self.index.min() < -1 or self.index.max() >= self.contracts_total):
            raise ValueError(f"tape index out of range [-1, {self.contracts_total})")
        object.__setattr__(self, "excluded", check_excluded(self.excluded))

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def slice(self, start: int, stop: int) -> Tape:
        """Trades ``start:stop`` (a batch of a longer tape)."""
        part = slice(start, stop)
        return Tape(
            self.index[part],
            self.timestamp[part],
            self.price[part],
            self.size[part],
            self.eligible[part],
            self.bid[part],
            self.ask[part],
            self.contracts_total,
            self.excluded,
        )


def _eligible(excluded: frozenset[str]) -> pl.Expr:
    """False where the condition is excluded (missing or non-canonical names: ``unknown``)."""
    cond = pl.col("condition").cast(pl.String)
    out = ~cond.is_in(list(excluded)).fill_null(False)
    if UNKNOWN in excluded:
        out = out & cond.is_in(list(CONDITIONS)).fill_null(False)
    return out


def _size(dtype: pl.DataType) -> pl.Expr:
    """Sizes as int64; a float size that is not a whole number (or NaN) becomes 0 (invalid)."""
    size = pl.col("size")
    if dtype.is_float():
        whole = size.is_finite() & (size == size.round()) & (size.abs() < 2.0**62)
        size = pl.when(whole).then(size).otherwise(None)
    return size.cast(pl.Int64).fill_null(0)


def _timestamp(dtype: pl.DataType) -> pl.Expr:
    """Timestamps as int64 µs since the epoch, UTC; missing → ``NO_TIMESTAMP``."""
    if not isinstance(dtype, pl.Datetime):
        raise SchemaError(f"trades column timestamp must be a Datetime, got {dtype}")
    ts = pl.col("timestamp")
    if dtype.time_zone is not None:
        ts = ts.dt.convert_time_zone("UTC")
    return ts.dt.cast_time_unit("us").to_physical().fill_null(NO_TIMESTAMP)


@lru_cache(maxsize=64)
def _columns(
    excluded: frozenset[str], size: pl.DataType, timestamp: pl.DataType
) -> tuple[pl.Expr, ...]:
    """The conversion's expressions (built once per excluded set and input dtypes: building
    polars expressions costs more than running them on a small batch)."""
    ids = pl.col("contract").cast(pl.String)
    return (
        ids,
        hash_expr(ids).alias("_hash"),
        _eligible(excluded).alias("eligible"),
        pl.col("price").cast(pl.Float64).fill_null(float("nan")),
        _size(size),
        pl.col("bid").cast(pl.Float64).fill_null(float("nan")),
        pl.col("ask").cast(pl.Float64).fill_null(float("nan")),
        _timestamp(timestamp),
    )


def to_tape(
    frame: pl.DataFrame, index: ContractIndex, excluded: Iterable[str] = EXCLUDED_BY_DEFAULT
) -> Tape:
    """The trades of ``frame`` (``TRADES_SCHEMA`` columns) as a :class:`Tape` over ``index``."""
    names = check_excluded(excluded)
    missing = [c for c in TRADE_COLUMNS if c not in frame.columns]
    if missing:
        raise SchemaError(f"trades frame lacks column(s) {missing}")
    schema = frame.schema
    try:
        cast = frame.select(_columns(names, schema["size"], schema["timestamp"]))
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
        raise SchemaError(f"trades frame has a column of the wrong type: {exc}") from exc
    return Tape(
        index.lookup(cast["contract"], cast["_hash"].to_numpy()),
        cast["timestamp"].to_numpy(),
        cast["price"].to_numpy(),
        cast["size"].to_numpy(),
        cast["eligible"].to_numpy(),
        cast["bid"].to_numpy(),
        cast["ask"].to_numpy(),
        len(index),
        names,
    )
