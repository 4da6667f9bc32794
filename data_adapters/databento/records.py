"""DBN records (structured arrays in the v3 layout) as polars frames (docs/databento.md).

Fixed-point prices and strikes are int64 counts of 1e-9; ``UNDEF_PRICE`` (int64 max) means
"none" and becomes null (identifiers) or NaN (quotes). Timestamps are uint64 ns since the
epoch, ``UNDEF_TIMESTAMP`` (uint64 max) meaning none. Fixed-width text fields are ASCII,
NUL-padded.

Every frame keeps the latest record per instrument where the schema is a state (definition,
open interest, quotes): records arrive in ``ts_recv`` order, and the last one received at or
before the request's end wins.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

__all__ = [
    "STAT_OPEN_INTEREST",
    "definitions",
    "open_interest",
    "quotes",
    "trades",
]

PRICE_DIVISOR: Final = 1e9
UNDEF_PRICE: Final = np.iinfo(np.int64).max
UNDEF_TIMESTAMP: Final = np.iinfo(np.uint64).max
STAT_OPEN_INTEREST: Final = 9
"""``statistics.stat_type`` of open interest (the quantity is in contracts)."""
_STAT_DELETE: Final = 2
_CLASSES: Final = ("C", "P")


def _text(values: np.ndarray) -> pl.Series:
    return pl.Series(
        [b.decode("ascii", "replace").strip() for b in values.tolist()], dtype=pl.String
    )


def _price(values: np.ndarray, missing: float | None) -> pl.Series:
    """int64 1e-9 fixed point -> Float64; ``UNDEF_PRICE`` -> ``missing`` (NaN, or None for
    null). Divided, not multiplied, so that ``5250000000`` is exactly 5.25."""
    raw = values.astype(np.int64, copy=False)
    undefined = raw == UNDEF_PRICE
    scaled = np.where(undefined, np.nan, raw.astype(np.float64) / PRICE_DIVISOR)
    series = pl.Series(scaled, dtype=pl.Float64)
    return series if missing is not None else series.set(pl.Series(undefined), None)


def _ns(values: np.ndarray) -> pl.Series:
    """uint64 ns -> Int64 ns; ``UNDEF_TIMESTAMP`` (anything past int64) -> null."""
    raw = values.astype(np.uint64, copy=False)
    beyond = raw >= np.uint64(2**63)
    return pl.Series(np.where(beyond, 0, raw).astype(np.int64)).set(pl.Series(beyond), None)


def _latest(frame: pl.DataFrame) -> pl.DataFrame:
    """The last record per ``instrument_id`` in arrival order."""
    return frame.with_row_index("_n").sort("_n").unique("instrument_id", keep="last").drop("_n")


def definitions(records: np.ndarray) -> pl.DataFrame:
    """Option definitions in force at the end of the range: the last definition of each
    instrument, deletions (``security_update_action`` ``D``) and non-options dropped.

    Columns: ``instrument_id``, ``raw_symbol``, ``is_call``, ``strike`` (null when
    undefined), ``expiration_ns`` (null when undefined), ``multiplier`` (``unit_of_measure_qty``,
    null when undefined), ``cfi``, ``asset``, ``underlying`` (the underlying's raw symbol),
    ``underlying_id``.
    """
    frame = pl.DataFrame(
        {
            "instrument_id": pl.Series(records["instrument_id"].astype(np.int64)),
            "raw_symbol": _text(records["raw_symbol"]),
            "instrument_class": _text(records["instrument_class"]),
            "strike": _price(records["strike_price"], None),
            "expiration_ns": _ns(records["expiration"]),
            "multiplier": _price(records["unit_of_measure_qty"], None),
            "cfi": _text(records["cfi"]),
            "asset": _text(records["asset"]),
            "underlying": _text(records["underlying"]),
            "underlying_id": pl.Series(records["underlying_id"].astype(np.int64)),
            "action": _text(records["security_update_action"]),
        }
    )
    latest = _latest(frame)
    return (
        latest.filter((pl.col("action") != "D") & pl.col("instrument_class").is_in(_CLASSES))
        .with_columns((pl.col("instrument_class") == "C").alias("is_call"))
        .drop("action", "instrument_class")
        .sort("instrument_id")
    )


def open_interest(records: np.ndarray) -> pl.DataFrame:
    """``instrument_id`` -> ``open_interest``: the last ``stat_type`` 9 record of each
    instrument (a deletion or an undefined quantity leaves it null)."""
    frame = pl.DataFrame(
        {
            "instrument_id": pl.Series(records["instrument_id"].astype(np.int64)),
            "stat_type": pl.Series(records["stat_type"].astype(np.int64)),
            "quantity": pl.Series(records["quantity"].astype(np.int64)),
            "update_action": pl.Series(records["update_action"].astype(np.int64)),
        }
    ).filter(pl.col("stat_type") == STAT_OPEN_INTEREST)
    latest = _latest(frame)
    usable = (pl.col("update_action") != _STAT_DELETE) & (pl.col("quantity") != UNDEF_PRICE)
    return latest.select(
        "instrument_id",
        pl.when(usable).then(pl.col("quantity")).alias("open_interest"),
    )


def quotes(records: np.ndarray) -> pl.DataFrame:
    """``instrument_id`` -> ``bid``, ``ask`` (top of book), ``last`` (the last sale the
    record carries) and ``quote_ns`` (``ts_recv``) of each instrument's last record; prices
    undefined are NaN."""
    frame = pl.DataFrame(
        {
            "instrument_id": pl.Series(records["instrument_id"].astype(np.int64)),
            "bid": _price(records["bid_px_00"], float("nan")),
            "ask": _price(records["ask_px_00"], float("nan")),
            "last": _price(records["price"], float("nan")),
            "quote_ns": _ns(records["ts_recv"]),
        }
    )
    return _latest(frame)


def trades(records: np.ndarray, *, book_events: bool = False) -> pl.DataFrame:
    """Every trade with the top of book before it: ``instrument_id``, ``ts_ns``
    (``ts_event``, else ``ts_recv``), ``price``, ``size``, ``bid``, ``ask``.

    ``book_events``: the records are a whole book stream (``mbp-1``), of which only the
    trades (``action`` ``T``) are kept; ``tcbbo`` and ``tbbo`` hold nothing but trades."""
    kept = records[records["action"] == b"T"] if book_events else records
    event, received = _ns(kept["ts_event"]), _ns(kept["ts_recv"])
    return pl.DataFrame(
        {
            "instrument_id": pl.Series(kept["instrument_id"].astype(np.int64)),
            "ts_ns": event.fill_null(received),
            "price": _price(kept["price"], None),
            "size": pl.Series(kept["size"].astype(np.int64)),
            "bid": _price(kept["bid_px_00"], float("nan")),
            "ask": _price(kept["ask_px_00"], float("nan")),
        }
    )
