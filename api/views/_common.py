"""Shared pieces of every view: finite numbers, timestamps, the head and the tail.

Conventions: timestamps UTC ISO-8601 with ``Z`` (microseconds dropped), dates
``YYYY-MM-DD``, money USD, and ``None`` (JSON null) wherever a number cannot be computed —
never NaN or Infinity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from engine.analysis.hedging import HedgeEstimate
from engine.analysis.single import Analysis

__all__ = [
    "finite",
    "head",
    "hedge_view",
    "hedging",
    "iso_date",
    "iso_utc",
    "move_name",
    "rows",
    "tail",
]


def finite(value: float | None) -> float | None:
    """``value`` as a float, or None when it is missing, NaN or infinite."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def iso_utc(moment: datetime) -> str:
    """``2026-02-28T16:30:45Z`` (microseconds dropped)."""
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def iso_date(day: date | None) -> str | None:
    """``YYYY-MM-DD``, or None."""
    return None if day is None else day.isoformat()


def head(a: Analysis) -> dict[str, Any]:
    """``symbol``, ``underlying_price`` (underlying's units), ``as_of`` and **extra**
    ``dealer_model`` (whose positions sign the exposures) of every view."""
    return {
        "symbol": a.symbol,
        "underlying_price": finite(a.underlying_price),
        "as_of": iso_utc(a.as_of),
        "dealer_model": a.options.dealer_model,
    }


def tail(a: Analysis) -> dict[str, Any]:
    """**extra** ``data_quality`` of the contracts behind the numbers (after the
    ``expiration`` and ``min_oi`` filters): ``contracts_used``, ``excluded`` (reason ->
    count), ``filtered_out`` (``min_oi`` -> count), ``iv_sources`` (source -> count),
    ``contracts_per_expiry`` (``YYYY-MM-DD`` -> count), ``preset_excluded`` (what the
    preset left out of its own numbers) and ``warnings`` (a truncated chain, …)."""
    quality = a.data_quality
    return {
        "data_quality": {
            "contracts_used": int(quality["contracts_used"]),  # type: ignore[call-overload]
            "excluded": dict(quality["excluded"]),  # type: ignore[call-overload]
            **{
                k: dict(quality.get(k, {}))  # type: ignore[call-overload]
                for k in ("filtered_out", "iv_sources", "contracts_per_expiry", "preset_excluded")
            },
            "warnings": [str(w) for w in quality.get("warnings", ())],  # type: ignore[attr-defined]
        }
    }


def empty_quality() -> dict[str, Any]:
    """``data_quality`` of a response that involves no chain."""
    return {
        "contracts_used": 0,
        "excluded": {},
        "filtered_out": {},
        "iv_sources": {},
        "contracts_per_expiry": {},
        "preset_excluded": {},
        "warnings": [],
    }


def hedge_view(estimate: HedgeEstimate) -> dict[str, Any]:
    """``{dealer_shares_to_trade, direction, notional_usd}`` (+ = dealers buy)."""
    return {
        "dealer_shares_to_trade": finite(estimate.dealer_shares_to_trade),
        "direction": estimate.direction,
        "notional_usd": finite(estimate.notional_usd),
    }


def move_name(move: float) -> str:
    """``-0.01`` -> ``spot_down_1pct``; ``0.005`` -> ``spot_up_0_5pct`` (signed fraction)."""
    pct = f"{abs(move) * 100:g}".replace(".", "_")
    return f"spot_{'down' if move < 0 else 'up'}_{pct}pct"


def hedging(estimates: Mapping[float, HedgeEstimate]) -> dict[str, Any]:
    """Hedging estimates keyed by :func:`move_name`, in the order of the moves."""
    return {move_name(m): hedge_view(e) for m, e in sorted(estimates.items())}


def rows(table: pl.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """``columns`` of ``table`` as one dict per row; non-finite floats become None."""
    out = []
    for row in table.select(columns).iter_rows(named=True):
        out.append({k: (finite(v) if isinstance(v, float) else v) for k, v in row.items()})
    return out
