"""**extra** ``GET /v1/scan``: one row per symbol, closest flip first (docs/api.md).

With ``symbols=A,B,...`` the named symbols are analysed concurrently through the service
(cached and coalesced like any other request); each distinct symbol counts as one request
against the key's rate limit (:data:`api.http.deps.ScanAuthorized`). Without ``symbols``,
every symbol of the source: on the batched market path when the source has a market frame
(one :func:`engine.analysis.market.analyze_market`, counted as one request), else symbol by
symbol. ``limit`` cuts the rows after ``sort`` (:data:`api.views.SCAN_SORTS`). A symbol
that fails with a mapped error is listed under ``errors`` with its code; when every symbol
fails, the first one's error is the response. The orchestration is
:mod:`api.service.scan`, shared with ``gex scan``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from api.http.deps import At, ScanAuthorized, Service, Symbols, parse_at, symbol_list
from api.http.errors import DATA_RESPONSES
from api.http.routes._respond import json_response
from api.schemas.reference import ScanResponse
from api.service.scan import DEFAULT_SORT, collate, first_error, market_body
from api.views import scan_view

__all__ = ["router"]

router = APIRouter(tags=["scan"])

Sort = Annotated[
    Literal["flip_distance", "net_gex", "zero_dte", "symbol"],
    Query(description="Row order: |distance to flip| ascending (default), largest |net GEX|, "
          "largest 0DTE share, or symbol."),
]  # fmt: skip
Limit = Annotated[
    int | None,
    Query(ge=1, le=100_000, description="At most this many rows (after sorting); all without."),
]


@router.get("/v1/scan", operation_id="scan", response_model=ScanResponse, responses=DATA_RESPONSES)
async def scan(
    _: ScanAuthorized,
    service: Service,
    symbols: Symbols = None,
    limit: Limit = None,
    sort: Sort = DEFAULT_SORT,
    at: At = None,
) -> Response:
    """Regime, net GEX, flip and its distance, walls and 0DTE share per symbol: the named
    ``symbols``, or without them every symbol of the source (the batched market path where
    the source has one); sorted by ``sort``, at most ``limit`` rows; with ``at``, as of that
    instant."""
    when = parse_at(at)
    if symbols is None and service.has_market:
        return json_response(market_body(await service.market_async(when), sort, limit))
    names = symbol_list(symbols) if symbols is not None else await service.symbols_async()
    results = await asyncio.gather(
        *(service.analysis_async(name, at=when) for name in names), return_exceptions=True
    )
    rows, errors, failed = collate(names, dict(zip(names, results, strict=True)))
    if not rows and failed:
        raise first_error(failed)
    return json_response(scan_view(rows, errors, sort, limit))
