"""The scans behind ``GET /v1/scan`` and ``gex scan``: one implementation for both (docs/api.md).

Two ways to scan, with one row shape (:func:`api.views.scan_row`):

- **named symbols** (``symbols=A,B`` / ``gex scan A B``): each symbol is analysed like any
  other request (cached, coalesced); :func:`collate` turns the per-symbol results into rows
  and errors the same way for the route (async) and the CLI (threads with a progress bar).
- **the whole market** (no ``symbols`` / ``gex scan --all``): every underlying of the source
  on the batched path, one :func:`engine.analysis.market.analyze_market` call over the
  source's market frame (``source.market(as_of)``, which the demo has). A source without a
  market frame is scanned symbol by symbol (its ``symbols()``), with the same rows.

Rows are sorted by :data:`api.views.SCAN_SORTS` (default ``flip_distance``: ``|distance_to_flip_pct|``
ascending, nulls last; ``net_gex``: largest ``|net_gex|`` first; ``zero_dte``: largest 0DTE
share first; ``symbol``), and cut to ``limit`` rows (``count`` is the number returned,
``total`` the number scanned). An underlying the market analysis could not analyse
(``status`` not ``ok``) is listed under ``errors`` with the code ``insufficient_data``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from api.service.errors import ApiError, error_for
from api.views import SCAN_SORTS, iso_utc, scan_row, scan_view
from engine.analysis.market import MarketAnalysis
from engine.errors import GexError

DEFAULT_SORT: Final = "flip_distance"
assert DEFAULT_SORT in SCAN_SORTS

__all__ = ["DEFAULT_SORT", "collate", "first_error", "market_body"]


def collate(
    names: Sequence[str], results: Mapping[str, object]
) -> tuple[list[dict[str, Any]], list[dict[str, str]], list[tuple[str, GexError]]]:
    """Rows, errors and the failed symbols (in the order asked) of per-symbol results: an
    analysis becomes a row, a mapped error an error entry; anything else is raised (the API
    answers it with a 500)."""
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    failed: list[tuple[str, GexError]] = []
    for name in names:
        result = results[name]
        if isinstance(result, BaseException):
            if not isinstance(result, GexError):
                raise result
            mapped = error_for(result, name)
            if mapped is None:
                raise result
            errors.append({"symbol": name, "error": mapped.code, "message": mapped.message})
            failed.append((name, result))
            continue
        rows.append(scan_row(result))  # type: ignore[arg-type]
    return rows, errors, failed


def first_error(failed: Sequence[tuple[str, GexError]]) -> ApiError:
    """The API error of the first failed symbol (the answer when every symbol failed)."""
    name, exc = failed[0]
    mapped = error_for(exc, name)
    assert mapped is not None
    return mapped


def _number(value: object) -> float | None:
    if value is None:
        return None
    v = float(value)  # type: ignore[arg-type]
    return v if math.isfinite(v) else None


def market_body(
    m: MarketAnalysis, sort: str = DEFAULT_SORT, limit: int | None = None
) -> dict[str, Any]:
    """The scan body of a whole-market analysis: one row per analysed underlying (the keys
    of :func:`api.views.scan_row`; ``data_quality`` from the market's counts), the others
    under ``errors``, sorted and cut as asked, plus ``total`` (underlyings scanned)."""
    excluded: dict[int, dict[str, int]] = {}
    for u, reason, count in m.excluded.select("underlying", "reason", "count").iter_rows():
        excluded.setdefault(int(u), {})[str(reason)] = int(count)
    sources: dict[int, dict[str, int]] = {}
    for u, source, count in m.iv_sources.iter_rows():
        sources.setdefault(int(u), {})[str(source)] = int(count)
    as_of = iso_utc(m.as_of)
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    frame = m.frame.with_row_index("_u")
    for r in frame.iter_rows(named=True):
        if r["status"] != "ok":
            errors.append(
                {
                    "symbol": r["symbol"],
                    "error": "insufficient_data",
                    "message": f"The data for {r['symbol']} is too poor: {r['status']}.",
                }
            )
            continue
        spot, flip = _number(r["spot"]), _number(r["gamma_flip"])
        distance = None if flip is None or not spot else (flip / spot - 1.0) * 100.0
        rows.append(
            {
                "symbol": r["symbol"],
                "underlying_price": spot,
                "as_of": as_of,
                "regime": r["regime"],
                "net_gex": _number(r["net_gex"]),
                "gamma_flip": flip,
                "distance_to_flip_pct": _number(distance),
                "call_wall": _number(r["call_wall"]),
                "put_wall": _number(r["put_wall"]),
                "zero_dte_pct": _number(r["zero_dte_pct"]),
                "data_quality": {
                    "contracts_used": int(r["contracts_used"]),
                    "excluded": excluded.get(int(r["_u"]), {}),
                    "filtered_out": {},
                    "iv_sources": sources.get(int(r["_u"]), {}),
                    "contracts_per_expiry": {},
                    "preset_excluded": {},
                    "warnings": [],
                },
            }
        )
    return scan_view(rows, errors, sort, limit)
