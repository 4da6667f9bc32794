"""Reference and scan views: ``/v1/symbols``, ``/v1/options``, ``/stockquote``, ``/v1/scan``.

Timestamps UTC ISO-8601 with ``Z``; prices in the underlying's units; ``null`` for what
cannot be computed. Every object carries ``as_of`` and **extra** ``data_quality``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

import polars as pl

from api.views._common import empty_quality, finite, iso_date, iso_utc, tail
from engine.analysis.single import Analysis

__all__ = ["SCAN_SORTS", "options_view", "quote_view", "scan_row", "scan_view", "symbols_view"]


def scan_row(a: Analysis) -> dict[str, Any]:
    """One row of the **extra** ``GET /v1/scan``: regime, net GEX, flip and its distance."""
    flip = finite(a.gamma_flip)
    distance = None if flip is None else (flip / a.underlying_price - 1.0) * 100.0
    return {
        "symbol": a.symbol,
        "underlying_price": finite(a.underlying_price),
        "as_of": iso_utc(a.as_of),
        "regime": a.regime,
        "net_gex": finite(a.exposures["net_gex"]),
        "gamma_flip": flip,
        "distance_to_flip_pct": finite(distance),
        "call_wall": finite(a.levels.call_wall),
        "put_wall": finite(a.levels.put_wall),
        "zero_dte_pct": finite(a.zero_dte.pct_of_total_gex),
        **tail(a),
    }


def _flip_key(row: Mapping[str, Any]) -> tuple[bool, float, str]:
    d = row.get("distance_to_flip_pct")
    return (d is None, abs(d) if d is not None else 0.0, row["symbol"])


def _largest(field: str) -> Callable[[Mapping[str, Any]], tuple[bool, float, str]]:
    def key(row: Mapping[str, Any]) -> tuple[bool, float, str]:
        v = row.get(field)
        return (v is None, -abs(v) if v is not None else 0.0, row["symbol"])

    return key


SCAN_SORTS: Final[Mapping[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]]] = MappingProxyType(
    {
        "flip_distance": _flip_key,
        "net_gex": _largest("net_gex"),
        "zero_dte": _largest("zero_dte_pct"),
        "symbol": lambda row: (row["symbol"],),
    }
)
"""Scan orders: ``flip_distance`` (|distance_to_flip_pct| ascending, nulls last; the
default), ``net_gex`` (largest |net GEX| first), ``zero_dte`` (largest 0DTE share first),
``symbol``; ties by symbol."""


def scan_view(
    rows: list[dict[str, Any]],
    errors: list[dict[str, str]],
    sort: str = "flip_distance",
    limit: int | None = None,
) -> dict[str, Any]:
    """**extra** ``GET /v1/scan``: ``rows`` (from :func:`scan_row`) in the order ``sort``
    names (:data:`SCAN_SORTS`), at most ``limit`` of them; ``total`` rows before the cut;
    the symbols that failed with their error code; the latest ``as_of`` and the summed
    ``data_quality`` of the rows returned."""
    ordered = sorted(rows, key=SCAN_SORTS[sort])
    if limit is not None:
        ordered = ordered[:limit]
    sums: dict[str, dict[str, int]] = {
        "excluded": {},
        "filtered_out": {},
        "iv_sources": {},
        "preset_excluded": {},
    }
    for row in ordered:
        for part, counts in sums.items():
            for reason, count in row["data_quality"].get(part, {}).items():
                counts[reason] = counts.get(reason, 0) + count
    return {
        "as_of": max((row["as_of"] for row in ordered), default=None),
        "count": len(ordered),
        "total": len(rows),
        "rows": ordered,
        "errors": errors,
        "data_quality": {
            "contracts_used": sum(row["data_quality"]["contracts_used"] for row in ordered),
            **sums,
            "contracts_per_expiry": {},
            "warnings": [
                f"{row['symbol']}: {w}"
                for row in ordered
                for w in row["data_quality"].get("warnings", [])
            ],
        },
    }


def symbols_view(symbols: list[str], fetched_at: datetime) -> dict[str, Any]:
    """``GET /v1/symbols``: the source's symbols; ``last_updated`` (= ``as_of``) is when the
    list was fetched. No chain is involved, so ``data_quality`` counts nothing."""
    stamp = iso_utc(fetched_at)
    return {
        "symbols": list(symbols),
        "count": len(symbols),
        "last_updated": stamp,
        "as_of": stamp,
        "data_quality": empty_quality(),
    }


def options_view(a: Analysis) -> dict[str, Any]:
    """``GET /v1/options/{ticker}``: the usable contracts' expirations, each with its
    ascending strikes; ``total_contracts`` counts those contracts (calls and puts)."""
    contracts = a.priced.contracts
    grouped = (
        contracts.group_by("expiration").agg(pl.col("strike").unique().sort()).sort("expiration")
    )
    fits: dict[Any, list[dict[str, Any]]] = {}
    for row in a.priced.forwards.iter_rows(named=True):
        fits.setdefault(row["expiration"], []).append(
            {
                "root": row["root"],
                "settlement": iso_utc(row["settlement"]),
                "forward": finite(row["forward"]),
                "rate": finite(row["rate"]),
                "method": row["method"],
                "pairs": int(row["pairs"]),
            }
        )
    expirations = [
        {
            "expiration": iso_date(day),
            "strikes": [float(k) for k in strikes],
            "forwards": fits.get(day, []),
        }
        for day, strikes in grouped.iter_rows()
    ]
    return {
        "symbol": a.symbol,
        "expirations": expirations,
        "expiration_count": len(expirations),
        "total_contracts": contracts.height,
        "as_of": iso_utc(a.as_of),
        **tail(a),
    }


def quote_view(a: Analysis) -> dict[str, Any]:
    """``GET /stockquote/{ticker}``. A snapshot carries the underlying's spot only, so
    ``bid``, ``ask``, ``mid`` and ``lastPrice`` are all that spot; ``lastUpdate`` is the
    snapshot's ``as_of``."""
    spot = finite(a.underlying_price)
    stamp = iso_utc(a.as_of)
    return {
        "ticker": a.symbol,
        "bid": spot,
        "ask": spot,
        "mid": spot,
        "lastPrice": spot,
        "lastUpdate": stamp,
        "as_of": stamp,
        **tail(a),
    }
