"""Views of stored history: ``/v1/exposure/oi-diff/{symbol}`` and ``/v1/exposure/history/{symbol}``.

``oi_diff_view`` is shaped as the official SDK's ``ExposureOiDiffResponse`` (``flashalpha/
types.py``): per-contract rows ``{strike, type, expiry, today_oi, prior_oi, oi_change}``,
largest ``|oi_change|`` first, and the call and put totals. Without a prior session it
answers as that type says: ``prior_snapshot_available`` false, totals 0, no rows (with the
reason in the **extra** ``message``). Changes are those of the contracts the analysis uses
now (:mod:`engine.analysis.changes`); a contract the prior session lacked counts 0 there.

``history_view`` is the stored summary series (**extra**; the JavaScript SDK's
``exposureHistory``): one row per stored snapshot, newest last, from the manifests alone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl

from api.views._common import empty_quality, finite, head, iso_date, iso_utc, tail
from engine.analysis.changes import top_contract_changes, total_changes
from engine.analysis.single import Analysis

__all__ = ["HISTORY_FIELDS", "history_view", "oi_diff_view"]

HISTORY_FIELDS = (
    "as_of",
    "date",
    "fetched_at",
    "source",
    "underlying_price",
    "net_gex",
    "net_dex",
    "net_vex",
    "net_chex",
    "gamma_flip",
    "gamma_flip_status",
    "call_wall",
    "put_wall",
    "regime",
    "contracts",
    "contracts_used",
    "quarantined",
    "status",
)
"""Fields of one ``history`` row (the store's summary row; ``spot`` is ``underlying_price``)."""


def oi_diff_view(
    a: Analysis,
    changes: pl.DataFrame | None,
    prior_as_of: datetime | None,
    top_n: int,
    message: str | None = None,
) -> dict[str, Any]:
    """``GET /v1/exposure/oi-diff/{symbol}``: ``changes`` per contract
    (:func:`engine.analysis.changes.contract_changes`) against the snapshot at ``prior_as_of``; None
    when there is no prior session (``message`` says why)."""
    body = {key: value for key, value in head(a).items() if key != "dealer_model"}
    if changes is None:
        return {
            **body,
            "prior_snapshot_available": False,
            "prior_as_of": None,
            "total_call_oi_change": 0,
            "total_put_oi_change": 0,
            "top_oi_changes": [],
            "message": message or "No snapshot of the prior session is stored.",
            **tail(a),
        }
    calls, puts = total_changes(changes)
    rows = [
        {
            "strike": finite(row["strike"]),
            "type": "C" if row["is_call"] else "P",
            "expiry": iso_date(row["expiration"]),
            "today_oi": int(row["open_interest"]),
            "prior_oi": int(row["prior_oi"]),
            "oi_change": int(row["oi_change"]),
        }
        for row in top_contract_changes(changes, top_n).iter_rows(named=True)
    ]
    return {
        **body,
        "prior_snapshot_available": True,
        "prior_as_of": None if prior_as_of is None else iso_utc(prior_as_of),
        "total_call_oi_change": calls,
        "total_put_oi_change": puts,
        "top_oi_changes": rows,
        "message": None,
        **tail(a),
    }


def _history_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in HISTORY_FIELDS:
        value = row.get("spot" if name == "underlying_price" else name)
        if isinstance(value, datetime):
            value = iso_utc(value)
        elif isinstance(value, date):
            value = iso_date(value)
        elif isinstance(value, float):
            value = finite(value)
        out[name] = value
    return out


def history_view(symbol: str, frame: pl.DataFrame, start: date, end: date) -> dict[str, Any]:
    """``GET /v1/exposure/history/{symbol}``: the rows of ``frame`` (the store's
    ``HISTORY_SCHEMA``, oldest first) from ``start`` to ``end``. ``as_of`` is the newest
    row's (null when none); ``data_quality`` is empty: no chain is read."""
    rows = [_history_row(row) for row in frame.iter_rows(named=True)]
    return {
        "symbol": symbol,
        "as_of": rows[-1]["as_of"] if rows else None,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "count": len(rows),
        "history": rows,
        "data_quality": empty_quality(),
    }
