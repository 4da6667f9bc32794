"""Per-strike aggregation of contract exposures by segment reductions.

Contracts are sorted once by strike (stable), segment boundaries are found where the strike
changes, and every column is reduced with ``np.add.reduceat`` over those segments — no
Python loop over strikes or contracts. Calls and puts are reduced separately by masking, so
``net_* = call_* + put_*`` holds per strike. Per-strike sums equal the totals to rounding.

All expirations are summed unless the caller filters the contracts first (the ``expiration``
option of the analysis does that).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.exposure.metrics import METRICS, Exposures
from engine.typing import FloatArray

__all__ = ["STRIKE_COLUMNS", "strike_table", "totals"]

STRIKE_COLUMNS: Final = (
    "strike",
    *(column for metric in METRICS for column in metric.columns()),
    "call_oi",
    "put_oi",
    "call_volume",
    "put_volume",
)


def _segments(strike: FloatArray) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    order = np.argsort(strike, kind="stable")
    sorted_strike = strike[order]
    if sorted_strike.size == 0:
        return order, np.empty(0, dtype=np.intp)
    starts = np.flatnonzero(np.concatenate(([True], sorted_strike[1:] != sorted_strike[:-1])))
    return order, starts


def strike_table(
    strike: FloatArray,
    is_call: npt.NDArray[np.bool_],
    exposures: Exposures,
    open_interest: npt.ArrayLike,
    volume: npt.ArrayLike,
) -> pl.DataFrame:
    """One row per distinct strike, ascending, with the columns of :data:`STRIKE_COLUMNS`.

    Exposures in USD (see :mod:`engine.exposure.dealer`); OI and volume in contracts (Int64).
    """
    strike = np.asarray(strike, dtype=np.float64)
    calls = np.asarray(is_call, dtype=np.bool_)
    order, starts = _segments(strike)
    c = calls[order]

    def reduce(values: npt.ArrayLike, mask: npt.NDArray[np.bool_]) -> FloatArray:
        v = np.asarray(values, dtype=np.float64)[order]
        if starts.size == 0:
            return np.empty(0)
        return np.add.reduceat(np.where(mask, v, 0.0), starts)

    cols: dict[str, object] = {"strike": strike[order][starts] if starts.size else np.empty(0)}
    for name, values in exposures.items():
        call_part = reduce(values, c)
        put_part = reduce(values, ~c)
        cols[f"call_{name}"] = call_part
        cols[f"put_{name}"] = put_part
        cols[f"net_{name}"] = call_part + put_part
    for name, counts in (("oi", open_interest), ("volume", volume)):
        ints = np.asarray(counts, dtype=np.int64)[order]
        for side, mask in (("call", c), ("put", ~c)):
            summed = np.add.reduceat(np.where(mask, ints, 0), starts) if starts.size else ints[:0]
            cols[f"{side}_{name}"] = summed.astype(np.int64)
    return pl.DataFrame({k: cols[k] for k in STRIKE_COLUMNS})


def totals(exposures: Exposures) -> dict[str, float]:
    """``net_x`` for every metric ``x`` (:data:`engine.exposure.metrics.METRICS`): sums over
    the contracts (USD).

    Pairwise summation (numpy), so the error is ~1e-16·log2(n) of the sum of magnitudes.
    """
    return {
        f"net_{name}": float(np.sum(np.asarray(values, dtype=np.float64)))
        for name, values in exposures.items()
    }
