"""``GET /health``: never needs a key, never rate limited, and honest about the compute pool.

``{"status": "Healthy"}`` while the service's compute pool keeps up; ``{"status":
"Degraded", "reasons": [...], "compute": {...}}`` while work waits behind busy threads
(``compute_saturated``: a new symbol would wait) or an item has run past the request
deadline (``compute_stuck``: a provider that does not answer). Always HTTP 200 — the
vendor SDKs raise on any other status, so their ``health()`` still parses; monitors read
``status``. See :meth:`api.service.analysis.AnalysisService.health`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.http.routes._respond import json_response
from api.schemas.reference import HealthResponse
from api.service.analysis import AnalysisService

__all__ = ["router"]

router = APIRouter(tags=["health"])

_BODY = b'{"status":"Healthy"}'


@router.get("/health", operation_id="health", response_model=HealthResponse)
async def health(request: Request) -> Response:
    """Liveness and load: ``Healthy``, or ``Degraded`` with the reasons (always HTTP 200)."""
    service: AnalysisService = request.app.state.service
    report = service.health()
    if report == {"status": "Healthy"}:
        return Response(_BODY, media_type="application/json")
    return json_response(report)
