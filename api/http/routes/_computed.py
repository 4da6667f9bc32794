"""Views that read per-contract data, computed on the service's pool and cached as JSON bytes.

The service caches *compact* analyses (without their priced contracts, see
:func:`api.service.analysis.compact`); the sheet, the term structure and max pain need those
contracts. :func:`computed_json` runs ``work(snapshot)`` — typically :func:`engine.analyze`
of the service's cached snapshot under its preset, then a view — on the service's own compute
pool, coalesced with identical concurrent requests, bounded by the request's deadline, and
keeps the rendered bytes in the service's TTL cache (bounded in bytes like everything there):
the analysis itself is dropped as soon as the view is rendered. Errors are raised as they
are and mapped like any other (:mod:`api.service.errors`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from starlette.responses import Response

from api.service.analysis import AnalysisService
from data_adapters.symbols import check_symbol
from engine.chain import ChainSnapshot

__all__ = ["computed_json"]


async def computed_json(
    service: AnalysisService,
    key: tuple[Hashable, ...],
    symbol: str,
    at: datetime | None,
    work: Callable[[ChainSnapshot], dict[str, Any]],
) -> Response:
    """The JSON response of ``work(snapshot of symbol as of at)``; ``key`` names the view and
    its parameters (the source, preset, symbol and instant are added)."""
    name = check_symbol(symbol)
    full_key = ("computed_view", service.source_name, service.preset, name, at, *key)

    def run() -> bytes:
        body = work(service.snapshot(name, at))
        return json.dumps(body, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()

    # The service's coalescing, deadline and cache (the one entry point it has for work of
    # its own kind that is not an analysis).
    data: bytes = await service._coalesced(full_key, run)
    return Response(data, media_type="application/json")
