"""The browser dashboard: ``/dashboard``, served by the API's own app, offline (docs/dashboard.md).

==============================  ============================================================
``/``                           307 to ``/dashboard`` when no API key is configured (with
                                keys, ``/`` stays the JSON 404 of an unknown path)
``/dashboard``                  the scan page, or the symbol page with ``?symbol=SPX``
``/dashboard/scan``             the watchlist: ``/v1/scan`` as a sortable table
``/dashboard/symbol/{symbol}``  one symbol: gamma profile, per-strike exposures, levels,
                                hedging, 0DTE, settled vs live flow, narrative, OI changes
``/dashboard/config.json``      what the pages need before any key: the cache TTL (the
                                auto-refresh period) and whether a key is required
``/dashboard/static/{file}``    the pages' own CSS and JavaScript (:data:`STATIC_DIR`)
``/dashboard/vendor/{file}``    ``plotly.min.js`` from the installed ``plotly`` package
==============================  ============================================================

No build step and no CDN: every asset is a file of this package or of the installed
``plotly``, and the pages' Content-Security-Policy lets them load and fetch from this server
only. The pages hold no data: they read the JSON API from the browser, sending the key
stored in the browser's ``localStorage`` as ``X-Api-Key`` (a key prompt asks for it when the
server requires one), so they and their assets need no key themselves, whatever
``docs_public`` says. None of these routes is in the OpenAPI document.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final

from fastapi import APIRouter, FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.http.deps import checked_symbol
from api.http.routes._respond import json_response

__all__ = [
    "CSP",
    "PAGES_DIR",
    "PLOTLY_JS",
    "STATIC_DIR",
    "STATIC_URL",
    "VENDOR_URL",
    "install",
    "plotly_dir",
]

PAGES_DIR: Final = Path(__file__).resolve().parent / "pages"
STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
STATIC_URL: Final = "/dashboard/static"
VENDOR_URL: Final = "/dashboard/vendor"
PLOTLY_JS: Final = "plotly.min.js"
STATIC_SUFFIXES: Final = frozenset({".js", ".css"})

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""The pages load and fetch from this server only (Plotly writes inline styles and draws
its images as data: and blob: URLs)."""

_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def plotly_dir() -> Path:
    """The ``package_data`` folder of the installed ``plotly`` (found without importing it)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise RuntimeError("the plotly package is not installed (a dependency of gex-engine)")
    return Path(spec.origin).resolve().parent / "package_data"


class _Files(StaticFiles):
    """A folder, restricted to the names ``allowed`` accepts; revalidated on every use."""

    def __init__(self, directory: Path, allowed: frozenset[str] | None) -> None:
        super().__init__(directory=str(directory))
        self.allowed = allowed

    async def get_response(self, path: str, scope: Scope) -> Response:
        name = Path(path).name
        ok = name == path and (
            name in self.allowed
            if self.allowed is not None
            else Path(name).suffix in STATIC_SUFFIXES
        )
        if not ok:
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _page(name: str) -> bytes:
    return (PAGES_DIR / name).read_bytes()


def install(app: FastAPI) -> None:
    """Add the dashboard's pages, assets and ``config.json`` to ``app`` (after its
    ``state.settings`` and ``state.service`` are set)."""
    keys_required = bool(app.state.settings.api_keys)
    config = {
        "cache_ttl": float(app.state.service.ttl),
        "keys_required": keys_required,
        "key_header": "X-Api-Key",
    }
    symbol_page = _page("symbol.html")
    scan_page = _page("scan.html")
    router = APIRouter(include_in_schema=False)

    def html(body: bytes) -> Response:
        return HTMLResponse(body, headers=_HEADERS)

    if not keys_required:

        @router.get("/")
        async def root() -> Response:
            return RedirectResponse("/dashboard", status_code=307)  # relative: never the Host

    @router.get("/dashboard")
    async def dashboard(request: Request) -> Response:
        return html(symbol_page if "symbol" in request.query_params else scan_page)

    @router.get("/dashboard/scan")
    async def scan() -> Response:
        return html(scan_page)

    @router.get("/dashboard/symbol/{symbol}")
    async def symbol(symbol: str) -> Response:
        checked_symbol(symbol)  # 400 invalid_symbol, as the API would answer
        return html(symbol_page)

    @router.get("/dashboard/config.json")
    async def dashboard_config() -> Response:
        response = json_response(config)
        response.headers["Cache-Control"] = "no-cache"
        return response

    app.include_router(router)
    app.mount(STATIC_URL, _Files(STATIC_DIR, None), name="dashboard-static")
    app.mount(VENDOR_URL, _Files(plotly_dir(), frozenset({PLOTLY_JS})), name="dashboard-vendor")
