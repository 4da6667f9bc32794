"""**extra** ``GET /v1/scan?symbols=A,B,...``: one row per symbol, closest flip first.

The analyses run concurrently through the service (cached and coalesced like any other).
A symbol that fails with a mapped error (unknown symbol, provider failure, poor data) is
listed under ``errors`` with its code (``upstream_timeout`` past the request's deadline);
when every symbol fails, the first one's error is the response. Each distinct symbol counts
as one request against the key's rate limit (:data:`api.deps.ScanAuthorized`).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.responses import Response

from api.deps import At, ScanAuthorized, Service, Symbols, parse_at, symbol_list
from api.http_errors import DATA_RESPONSES, ApiError, error_for
from api.routes._respond import json_response
from api.schemas.reference import ScanResponse
from api.views import scan_row, scan_view
from engine.analysis.single import Analysis
from engine.errors import GexError

__all__ = ["router"]

router = APIRouter(tags=["scan"])


@router.get("/v1/scan", operation_id="scan", response_model=ScanResponse, responses=DATA_RESPONSES)
async def scan(_: ScanAuthorized, service: Service, symbols: Symbols, at: At = None) -> Response:
    """Regime, net GEX, flip and its distance, walls and 0DTE share for each symbol, sorted
    by |distance_to_flip_pct| (nulls last); with ``at``, as of that instant."""
    names = symbol_list(symbols)
    when = parse_at(at)
    results = await asyncio.gather(
        *(service.analysis_async(name, at=when) for name in names), return_exceptions=True
    )
    rows, errors, first = [], [], None
    for name, result in zip(names, results, strict=True):
        if isinstance(result, Analysis):
            rows.append(scan_row(result))
            continue
        if not isinstance(result, GexError):
            raise result
        mapped = error_for(result, name)
        if mapped is None:
            raise result
        first = first or mapped
        errors.append({"symbol": name, "error": mapped.code, "message": mapped.message})
    if not rows:
        assert isinstance(first, ApiError)
        raise first
    return json_response(scan_view(rows, errors))
