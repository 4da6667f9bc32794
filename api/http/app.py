"""The FastAPI application: ``create_app(...)``, also an ASGI factory for uvicorn.

``uvicorn api.http.app:create_app --factory`` builds the app from the environment (``GEX_SOURCE``,
``GEX_PRESET``, ``GEX_CACHE_TTL``, ``GEX_API_KEYS``, ``GEX_RATE_LIMIT``, ``GEX_RATE_WINDOW``,
``GEX_STORE`` and the settings of :mod:`api.config`); :func:`api.http.server.serve` builds it from its
arguments. The source and the service are built when the app is created (so a bad setting
fails before any port is bound); the lifespan compiles or loads every kernel before the
first request (:func:`api.service.analysis.warm_up`) and closes the service's compute pool at
shutdown (when it built the service: an injected one is the caller's).

The OpenAPI document has stable operation ids, one tag per router, the API-key schemes
(``X-Api-Key`` header, ``apiKey`` query) and every non-200 status each route can answer;
FastAPI's 422 is gone (validation errors are 400, see :mod:`api.http.errors`).

Edges, outermost first: :class:`api.http.guards.HeaderLimitMiddleware` (414/431 JSON for
oversized heads), the rate-limit headers, the generic JSON 500, and the request deadline
(:class:`api.service.compute.DeadlineMiddleware`, ``request_timeout``). Paths are matched exactly:
no trailing-slash redirect (it would build ``Location`` from the client's ``Host`` and
copy the query, key included), an unknown path is 404 JSON. Log records pass
:class:`api.http.redact.RedactKeys` (no API key in any log line, at any level).

``/docs``, ``/redoc`` and ``/openapi.json``: with ``docs_public`` (``GEX_DOCS_PUBLIC``,
default true) they need no key — the document describes the open-source API and holds no
data, and Swagger UI fetches the schema without a key. With ``docs_public`` false and keys
configured, ``/openapi.json`` needs a key like any endpoint (and counts against its rate
limit), and ``/docs`` and ``/redoc`` are not served (404: a browser page could not send
the key when fetching the schema). ``/docs`` works offline: Swagger UI from the installed
``swagger_ui_bundle`` package, no CDN (:mod:`api.http.docs`; ``/redoc`` only points there,
no ReDoc bundle being installed).

Routers: the resources of :data:`api.http.routes.ROUTERS`, then the sheet, term structure,
basket, max pain, tickers and pricing calculators, and last the SDK paths answered
``404 not_served`` (:mod:`api.http.routes.unserved`), so a served path always wins. The
browser dashboard (``/dashboard``, and ``/`` redirecting there when no key is configured) is
:mod:`api.dashboard`, outside the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.responses import Response

from api.config import ServerSettings
from api.dashboard import install as install_dashboard
from api.http.auth import Authenticator
from api.http.deps import Authorized, RateHeadersMiddleware
from api.http.docs import install_docs
from api.http.errors import CatchAllMiddleware, clean_openapi, install_error_handlers
from api.http.guards import HeaderLimitMiddleware
from api.http.ratelimit import FailureThrottle, MovingWindowLimiter
from api.http.redact import RedactKeys, install
from api.http.routes import ROUTERS, maxpain, pricing, sheet, tickers, unserved
from api.http.routes._respond import ViewCache, json_response
from api.http.routes.flow import install as install_flow
from api.mcp.http import mount as mount_mcp
from api.service.analysis import AnalysisService
from api.service.compute import DeadlineMiddleware
from engine.analysis.presets import get_preset

__all__ = ["VERSION", "RedactKeys", "create_app", "split_cache_budget"]

VERSION = "0.1.0"
log = logging.getLogger("api")

_TAGS = [
    {"name": "exposure", "description": "Dealer exposures, levels, narrative, 0DTE, profile."},
    {"name": "reference", "description": "Symbols, option chain metadata, stock quote."},
    {"name": "scan", "description": "Several symbols at once, closest gamma flip first."},
    {"name": "pricing", "description": "Black-Scholes-Merton greeks and implied volatility."},
    {"name": "health", "description": "Liveness and load; needs no key."},
]


def split_cache_budget(total: int) -> tuple[int, int]:
    """``cache_max_bytes`` -> (analyses and snapshots, rendered views): 3/4 and 1/4."""
    views = total // 4
    return total - views, views


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
    install(settings.api_keys)
    analyses_budget, views_budget = split_cache_budget(settings.cache_max_bytes)
    owned = service is None  # the app closes only the service it built
    if service is None:
        get_preset(settings.preset)
        service = AnalysisService.from_source_name(
            settings.source,
            ttl=settings.cache_ttl,
            preset=settings.preset,
            workers=settings.compute_workers,
            deadline=settings.request_timeout,
            max_bytes=analyses_budget,
            store=settings.store,
            **dict(source_settings or {}),
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install(settings.api_keys)  # again: uvicorn has configured its handlers by now
        if warm:
            await asyncio.to_thread(service.warm_up)
        log.info(
            "serving source %s, preset %s%s",
            service.source_name,
            service.preset,
            "" if service.history is None else f", snapshot store {service.history.root}",
        )
        try:
            yield
        finally:
            if owned:
                service.close()

    public_docs = settings.docs_public or not settings.api_keys
    app = FastAPI(
        title="gex-engine",
        version=VERSION,
        description="Self-hosted gamma exposure engine; the paths, parameters and fields of "
        "the FlashAlpha Lab API, so its SDKs work by changing base_url.",
        openapi_tags=_TAGS,
        lifespan=lifespan,
        redirect_slashes=False,
        openapi_url="/openapi.json" if public_docs else None,
        docs_url=None,  # offline pages of api.http.docs instead of FastAPI's CDN ones
        redoc_url=None,
    )
    app.state.service = service
    app.state.settings = settings
    app.state.authenticator = Authenticator(settings.api_keys)
    app.state.limiter = (
        MovingWindowLimiter(settings.rate_limit, settings.rate_window)
        if settings.rate_limit > 0
        else None
    )
    app.state.auth_throttle = (
        FailureThrottle(settings.auth_failure_limit, settings.auth_failure_window)
        if settings.auth_failure_limit > 0
        else None
    )
    app.state.views = ViewCache(service.ttl, max_bytes=views_budget)
    install_error_handlers(app)
    app.add_middleware(DeadlineMiddleware, timeout=settings.request_timeout)
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(RateHeadersMiddleware)  # the 500s get the headers too
    app.add_middleware(HeaderLimitMiddleware, max_header_bytes=settings.max_header_bytes)
    for router in (*ROUTERS, sheet.router, maxpain.router, tickers.router, pricing.router):
        app.include_router(router)
    install_flow(app)  # /v1/flow/*: settled vs live exposure from the day's trades
    mount_mcp(app)  # /mcp: the MCP server (streamable HTTP), same keys and rate limits
    install_dashboard(app)  # /dashboard: the browser pages, offline (docs/dashboard.md)
    app.include_router(unserved.router)  # after every served route: never shadows one
    if not public_docs:

        @app.get("/openapi.json", include_in_schema=False)
        async def openapi_with_key(_: Authorized) -> Response:
            return json_response(app.openapi())

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
    if public_docs:
        install_docs(app, openapi)
    return app
