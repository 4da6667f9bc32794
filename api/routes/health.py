"""``GET /health``: ``{"status": "Healthy"}``, never needs a key, never rate limited."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api.schemas.reference import HealthResponse

__all__ = ["router"]

router = APIRouter(tags=["health"])

_BODY = b'{"status":"Healthy"}'


@router.get("/health", operation_id="health", response_model=HealthResponse)
async def health() -> Response:
    """Liveness: the process answers (the kernels were loaded before the first request)."""
    return Response(_BODY, media_type="application/json")
