"""Every FastAPI dependency and parameter of the routes, as ``Annotated`` aliases.

``Authorized`` authenticates the request (``X-Api-Key`` header or ``apiKey`` query) and
counts it against the key's rate limit, leaving the ``X-RateLimit-*`` headers for
:class:`RateHeadersMiddleware` to add to whatever response follows; ``Service`` is the
app's :class:`api.service.AnalysisService`; the parameter aliases carry the names, bounds
and descriptions of API.md. Everything here runs on the event loop (``async def``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyHeader, APIKeyQuery
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Authenticator
from api.http_errors import ApiError, RateLimitedError
from api.ratelimit import MovingWindowLimiter
from api.service import AnalysisService, normalize_symbol

__all__ = [
    "Authorized",
    "DealerModel",
    "Expiration",
    "Expiry",
    "MinOi",
    "RateHeadersMiddleware",
    "Service",
    "StrikeRange",
    "Symbol",
    "Symbols",
    "Ticker",
    "parse_day",
    "parse_dealer_model",
    "symbol_list",
]

_header_scheme = APIKeyHeader(name="X-Api-Key", auto_error=False, scheme_name="ApiKeyHeader")
_query_scheme = APIKeyQuery(name="apiKey", auto_error=False, scheme_name="ApiKeyQuery")
_STATE_KEY = "rate_limit_headers"


async def _service(request: Request) -> AnalysisService:
    service: AnalysisService = request.app.state.service
    return service


async def _authorize(
    request: Request,
    header_key: Annotated[str | None, Depends(_header_scheme)],
    query_key: Annotated[str | None, Depends(_query_scheme)],
) -> str:
    authenticator: Authenticator = request.app.state.authenticator
    client = request.client.host if request.client else None
    principal = authenticator.principal(header_key or query_key, client)
    limiter: MovingWindowLimiter | None = request.app.state.limiter
    if limiter is not None:
        decision = limiter.hit(principal)
        if not decision.allowed:
            raise RateLimitedError(decision, limiter.window)
        request.scope.setdefault("state", {})[_STATE_KEY] = decision.headers()
    return principal


Authorized = Annotated[str, Depends(_authorize)]
"""The request's principal (``key:<n>`` or ``local:<address>``), rate limit applied."""
Service = Annotated[AnalysisService, Depends(_service)]


class RateHeadersMiddleware:
    """Adds the ``X-RateLimit-*`` headers left by ``Authorized`` to the response (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = scope.get("state", {}).get(_STATE_KEY)
                if extra:
                    present = {k.lower() for k, _ in message.get("headers", [])}
                    message["headers"] = list(message.get("headers", [])) + [
                        (k.lower().encode(), v.encode())
                        for k, v in extra.items()
                        if k.lower().encode() not in present
                    ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def parse_day(raw: str | None, name: str) -> date | None:
    """``YYYY-MM-DD`` -> date; anything else is a 400 ``invalid_expiry``."""
    if raw is None:
        return None
    text = raw.strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "invalid_expiry", f"{name} must be a date YYYY-MM-DD.") from None


SERVED_DEALER_MODELS = ("street", "short_all")
"""Dealer models a request may ask for (``flow`` needs the intraday OI simulator)."""


def parse_dealer_model(raw: str | None) -> str:
    """``street`` (default) or ``short_all``; anything else is a 400 ``invalid_dealer_model``."""
    if raw is None:
        return "street"
    value = raw.strip().lower()
    if value not in SERVED_DEALER_MODELS:
        raise ApiError(
            400,
            "invalid_dealer_model",
            f"dealer_model must be one of {', '.join(SERVED_DEALER_MODELS)}"
            + (" ('flow' needs intraday trades, which this server does not have yet)."
               if value == "flow" else "."),
        )  # fmt: skip
    return value


def _day_query(description: str) -> Any:
    return Query(
        description=description, json_schema_extra={"format": "date", "examples": ["2026-03-20"]}
    )


_SYMBOL_DOC = "Underlying, case-insensitive; futures URL-escaped (ES%3DF)."
Symbol = Annotated[
    str, Path(min_length=1, max_length=32, description=_SYMBOL_DOC, examples=["SPX"])
]
Ticker = Annotated[
    str, Path(min_length=1, max_length=32, description=_SYMBOL_DOC, examples=["SPY"])
]
Expiration = Annotated[str | None, _day_query("Restrict to one expiration date (YYYY-MM-DD).")]
Expiry = Annotated[str | None, _day_query("The expiry to analyse (default: today's).")]
MinOi = Annotated[
    int | None,
    Query(ge=0, le=10**12, description="Drop strikes whose call + put OI is below this."),
]
DealerModel = Annotated[
    str | None,
    Query(
        description="Whose positions the exposures are signed by: street (dealers long calls, "
        "short puts; default) or short_all (dealers short every contract). Echoed as "
        "dealer_model.",
        examples=["street"],
        json_schema_extra={"enum": list(SERVED_DEALER_MODELS)},
    ),
]
StrikeRange = Annotated[
    float,
    Query(ge=0.001, le=0.10, description="Half-width of the strike rows, fraction of spot."),
]
Symbols = Annotated[
    str,
    Query(
        pattern=r"^[^,]{1,32}(,[^,]{1,32}){0,49}$",
        description="Comma-separated symbols, at most 50, each at most 32 characters.",
        examples=["SPX,SPY,QQQ"],
    ),
]


def symbol_list(raw: str, limit: int = 50) -> list[str]:
    """``"spy, ES=F,SPY"`` -> ``["SPY", "ES=F"]`` (upper-case, de-duplicated, in order)."""
    symbols = list(dict.fromkeys(normalize_symbol(s) for s in raw.split(",")))
    if len(symbols) > limit or any(len(s) > 32 for s in symbols):
        raise ApiError(400, "invalid_symbols", f"symbols names more than {limit} symbols, or "
                       "one longer than 32 characters.")  # fmt: skip
    return symbols
