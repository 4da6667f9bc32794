"""Every error the HTTP API answers, with the exact bodies of docs/api.md, and their OpenAPI.

==========================================  ======  =====================================
cause                                       status  ``error``
==========================================  ======  =====================================
malformed ``expiration``/``expiry``          400    ``invalid_expiry``
a symbol outside the grammar                 400    ``invalid_symbol`` (path, ``symbols=``,
(``InvalidSymbolError``)                             or raised by a source)
another bad query or path value              400    ``invalid_<parameter>``
missing or wrong key                         401    (``{"title", "status", "detail"}``)
``SymbolNotFoundError``, ``NoContractsError``  404  ``symbol_not_found`` ("No data for X.")
``NoHistoryError`` (``?at=`` before the first  404    ``no_snapshot``
stored snapshot, a source without history,
no store for ``/history``)
unknown path (no trailing-slash redirects)   404    ``not_found``
rate limit exceeded, or too many failed      429    ``rate_limited`` (+ ``Retry-After``)
keys from one address
``UpstreamInvalidError`` (provider body      502    ``upstream_invalid``
oversized or unusable)
any other ``DataSourceError`` (provider)     502    ``upstream_unavailable``
``UpstreamTimeoutError`` (provider past its   504    ``upstream_timeout``
total deadline), ``DeadlineExceededError``
(the request's deadline, :mod:`api.service.compute`)
``EmptySnapshotError``, ``InvalidSpotError``   503  ``insufficient_data``
anything else                                500    ``internal_error`` (logged, no trace)
==========================================  ======  =====================================

The mapping of engine and source exceptions is one table by exception type,
:data:`api.service.errors.ERROR_TABLE`, shared with the CLI and the MCP server; this module
adds what only HTTP has (auth, rate limits, unknown paths, request validation).

FastAPI's 422 validation errors become the 400 shape, and 422 is removed from the OpenAPI
document (:func:`clean_openapi`). Messages never carry a key or a stack trace, and the path
of a logged 500 is escaped (no control characters reach the log).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.auth import UnauthorizedError
from api.http.ratelimit import Decision
from api.schemas.common import ErrorBody, RateLimitedBody, UnauthorizedBody
from api.service.errors import DATE_PARAMETERS, ApiError, error_for
from data_adapters.errors import InvalidSymbolError
from data_adapters.symbols import check_symbol
from engine.errors import GexError

__all__ = [
    "AUTH_RESPONSES",
    "DATA_RESPONSES",
    "DATE_PATTERN",
    "ApiError",
    "CatchAllMiddleware",
    "RateLimitedError",
    "clean_openapi",
    "error_for",
    "install_error_handlers",
]

log = logging.getLogger("api")

SYMBOL_PARAMETERS = frozenset({"symbol", "ticker"})
DATE_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
"""Dates on the wire: exactly ``YYYY-MM-DD`` in ASCII digits."""


class RateLimitedError(Exception):
    """The principal's moving window is full, or the client address has failed to
    authenticate too often (HTTP 429). ``headers`` replace the decision's headers."""

    def __init__(
        self,
        decision: Decision,
        window: float,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__("rate limited")
        self.decision = decision
        self.window = window
        self.message = message
        self.headers = dict(headers) if headers is not None else decision.headers()


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


def _symbol_of(request: Request) -> str | None:
    raw = request.path_params.get("symbol") or request.path_params.get("ticker")
    try:
        return check_symbol(raw) if isinstance(raw, str) else None
    except InvalidSymbolError:
        return None


INTERNAL = {"error": "internal_error", "message": "Internal server error; see the server log."}


def _log_unhandled(exc: BaseException, method: str, path: str) -> None:
    shown = ascii(path)[1:-1][:200]  # no CR/LF or other control characters in the log
    log.error("unhandled %s on %s %s", type(exc).__name__, ascii(method)[1:-1][:16], shown,
              exc_info=exc)  # fmt: skip


def _internal(request: Request, exc: BaseException) -> Response:
    _log_unhandled(exc, request.method, request.url.path)
    return _json(500, INTERNAL)


class CatchAllMiddleware:
    """Answers an unexpected exception with the generic 500 and logs it once (pure ASGI).

    Without it Starlette would answer the same body but re-raise, and the server would log
    the traceback a second time. Only the path is logged, never the query (it may hold a key).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            _log_unhandled(exc, scope.get("method", ""), scope.get("path", ""))
            await _json(500, INTERNAL)(scope, receive, send)


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _json(exc.status, exc.body())


async def _on_gex_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GexError)
    mapped = error_for(exc, _symbol_of(request))
    if mapped is None:
        return _internal(request, exc)
    return _json(mapped.status, mapped.body())


async def _on_unauthorized(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UnauthorizedError)
    return _json(401, {"title": "Unauthorized", "status": 401, "detail": exc.detail})


async def _on_rate_limited(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimitedError)
    d = exc.decision
    reset_at = datetime.fromtimestamp(d.reset, UTC).replace(tzinfo=None).isoformat() + "Z"
    body = {
        "status": "ERROR",
        "error": "rate_limited",
        "message": exc.message
        or f"Rate limit of {d.limit} requests per {exc.window:g} s exceeded; "
        f"retry in {d.retry_after} s.",
        "limit": d.limit,
        "reset_at": reset_at,
    }
    return _json(429, body, exc.headers)


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ()) if not isinstance(part, int)]
    name = loc[-1] if loc else "request"
    raw = first.get("input")
    if name in DATE_PARAMETERS:
        return _json(
            400, {"error": "invalid_expiry", "message": f"{name} must be a date YYYY-MM-DD."}
        )
    if name == "at":
        from api.http.deps import parse_at  # deps imports this module

        try:
            parse_at(raw if isinstance(raw, str) else "")
        except ApiError as bad:
            return _json(bad.status, bad.body())
    if name in ("from", "to"):
        return _json(
            400, {"error": f"invalid_{name}", "message": f"{name} must be a date YYYY-MM-DD."}
        )
    if name in SYMBOL_PARAMETERS or (name == "symbols" and isinstance(raw, str)):
        from api.http.deps import checked_symbol, symbol_list  # deps imports this module

        try:
            if name == "symbols":
                symbol_list(raw)  # type: ignore[arg-type]
            else:
                checked_symbol(raw if isinstance(raw, str) else "")
        except ApiError as bad:
            return _json(bad.status, bad.body())
        if name != "symbols":
            return _json(400, {"error": "invalid_symbol", "message": f"{name}: invalid symbol"})
    code = f"invalid_{name.lower()}"
    message = f"{name}: {first.get('msg', 'invalid value')}"
    return _json(400, {"error": code, "message": message})


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "HTTP error"
    return _json(exc.status_code, {"error": code, "message": message}, exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    return _internal(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler above on ``app``."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(GexError, _on_gex_error)
    app.add_exception_handler(UnauthorizedError, _on_unauthorized)
    app.add_exception_handler(RateLimitedError, _on_rate_limited)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)


# -- OpenAPI ------------------------------------------------------------------------------
def _integer_header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer"}}


RATE_HEADERS = {
    "X-RateLimit-Limit": _integer_header("Requests allowed per window for this key."),
    "X-RateLimit-Remaining": _integer_header("Requests left in the current window."),
    "X-RateLimit-Reset": _integer_header("Unix seconds when the oldest counted request expires."),
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Success.", "headers": RATE_HEADERS},
    400: {"model": ErrorBody, "description": "A malformed query or path value."},
    401: {"model": UnauthorizedBody, "description": "Missing or invalid API key."},
    429: {
        "model": RateLimitedBody,
        "description": "Rate limit exceeded.",
        "headers": {**RATE_HEADERS, "Retry-After": _integer_header("Seconds to wait.")},
    },
    500: {"model": ErrorBody, "description": "Unexpected error (logged server-side)."},
}
"""Responses of every endpoint that needs a key."""
DATA_RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    404: {
        "model": ErrorBody,
        "description": "Unknown symbol, no contract for the expiry (symbol_not_found), or "
        "no stored snapshot at or before at (no_snapshot).",
    },
    502: {"model": ErrorBody, "description": "The upstream data provider failed."},
    503: {"model": ErrorBody, "description": "The data is too stale or too poor to compute."},
    504: {
        "model": ErrorBody,
        "description": "The provider or the computation ran past the request's deadline "
        "(upstream_timeout).",
    },
}
"""Responses of every endpoint that reads a chain."""


def clean_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop FastAPI's 422 responses and their schemas (validation errors are 400 here)."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return schema
