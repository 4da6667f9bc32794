"""The FastAPI application: ``create_app(...)``, also an ASGI factory for uvicorn.

``uvicorn api.app:create_app --factory`` builds the app from the environment (``GEX_SOURCE``,
``GEX_PRESET``, ``GEX_CACHE_TTL``, ``GEX_API_KEYS``, ``GEX_RATE_LIMIT``, ``GEX_RATE_WINDOW``;
see :mod:`api.config`); :func:`api.server.serve` builds it from its arguments. The source
and the service are built when the app is created (so a bad setting fails before any port
is bound); the lifespan compiles or loads every kernel before the first request
(:func:`api.service.warm_up`).

The OpenAPI document has stable operation ids, one tag per router, the API-key schemes
(``X-Api-Key`` header, ``apiKey`` query) and every non-200 status each route can answer;
FastAPI's 422 is gone (validation errors are 400, see :mod:`api.http_errors`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.auth import Authenticator
from api.config import ServerSettings
from api.deps import RateHeadersMiddleware
from api.http_errors import CatchAllMiddleware, clean_openapi, install_error_handlers
from api.ratelimit import MovingWindowLimiter
from api.routes import ROUTERS
from api.routes._respond import ViewCache
from api.service import AnalysisService
from engine.presets import get_preset

__all__ = ["VERSION", "create_app"]

VERSION = "0.1.0"
log = logging.getLogger("api")

_TAGS = [
    {"name": "exposure", "description": "Dealer exposures, levels, narrative, 0DTE, profile."},
    {"name": "reference", "description": "Symbols, option chain metadata, stock quote."},
    {"name": "scan", "description": "Several symbols at once, closest gamma flip first."},
    {"name": "health", "description": "Liveness; needs no key."},
]
_SECRET_QUERY = re.compile(r"(?i)(apikey=)[^&\s]*")


class RedactKeys(logging.Filter):
    """Replaces the value of an ``apiKey`` query parameter in access-log lines by ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_QUERY.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _SECRET_QUERY.sub(r"\1***", record.msg)
        return True


def _redact_access_log() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactKeys) for f in logger.filters):
        logger.addFilter(RedactKeys())


def create_app(
    *,
    source: str | None = None,
    preset: str | None = None,
    ttl: float | None = None,
    source_settings: Mapping[str, Any] | None = None,
    settings: ServerSettings | None = None,
    service: AnalysisService | None = None,
    warm: bool = True,
) -> FastAPI:
    """The app. Arguments left None come from ``settings`` or, without one, from the
    environment and the config file (:meth:`api.config.ServerSettings.load`). ``service``
    replaces the service built from the source (tests inject one); ``warm=False`` skips
    the kernel warm-up of the lifespan. Raises the typed errors of a bad source or preset."""
    settings = settings or ServerSettings.load(source=source, preset=preset, cache_ttl=ttl)
    if service is None:
        get_preset(settings.preset)
        service = AnalysisService.from_source_name(
            settings.source,
            ttl=settings.cache_ttl,
            preset=settings.preset,
            **dict(source_settings or {}),
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm:
            await asyncio.to_thread(service.warm_up)
        log.info("serving source %s, preset %s", service.source_name, service.preset)
        yield

    app = FastAPI(
        title="gex-engine",
        version=VERSION,
        description="Self-hosted gamma exposure engine; the paths, parameters and fields of "
        "the FlashAlpha Lab API, so its SDKs work by changing base_url.",
        openapi_tags=_TAGS,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.settings = settings
    app.state.authenticator = Authenticator(settings.api_keys)
    app.state.limiter = (
        MovingWindowLimiter(settings.rate_limit, settings.rate_window)
        if settings.rate_limit > 0
        else None
    )
    app.state.views = ViewCache(service.ttl)
    install_error_handlers(app)
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(RateHeadersMiddleware)  # outermost: the 500s get the headers too
    for router in ROUTERS:
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            app.openapi_schema = clean_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _redact_access_log()
    return app
