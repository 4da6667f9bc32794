"""Every FastAPI dependency and parameter of the routes, as ``Annotated`` aliases.

``Authorized`` authenticates the request (``X-Api-Key`` header or ``apiKey`` query) and
counts it against the key's rate limit, leaving the ``X-RateLimit-*`` headers for
:class:`RateHeadersMiddleware` to add to whatever response follows; ``ScanAuthorized``
does the same for ``/v1/scan`` and counts one request per distinct symbol asked (docs/api.md:
a request that analyses N symbols counts N). A client address whose requests failed
authentication ``auth_failure_limit`` times within ``auth_failure_window`` seconds is
refused with 429 (and ``Retry-After``) until the oldest failure leaves the window, whatever
key it presents meanwhile (:class:`api.http.ratelimit.FailureThrottle`). ``Service`` is the
app's :class:`api.service.analysis.AnalysisService`; the parameter aliases carry the names, bounds,
patterns and descriptions of docs/api.md.

Symbols follow the one grammar of :mod:`data_adapters.symbols` (:data:`SYMBOL_PATTERN`,
in the OpenAPI document as the parameters' ``pattern``); dates are strictly
``YYYY-MM-DD`` (:data:`DATE_PATTERN`; Python's ``date.fromisoformat`` alone would take ISO
week dates such as ``2026-W51-5``). Everything here runs on the event loop (``async def``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyHeader, APIKeyQuery
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.auth import Authenticator, UnauthorizedError
from api.http.errors import DATE_PATTERN, ApiError, RateLimitedError
from api.http.ratelimit import FailureThrottle, MovingWindowLimiter
from api.service.analysis import AnalysisService
from data_adapters.errors import InvalidSymbolError
from data_adapters.symbols import MAX_LENGTH, SYMBOL_PATTERN, check_symbol

__all__ = [
    "AT_PATTERN",
    "DATE_PATTERN",
    "MAX_SYMBOLS",
    "SYMBOLS_PATTERN",
    "SYMBOL_PATTERN",
    "At",
    "Authorized",
    "Chain",
    "ChainQuery",
    "Days",
    "DealerModel",
    "Expiration",
    "Expiry",
    "FromDay",
    "MinOi",
    "RateHeadersMiddleware",
    "ScanAuthorized",
    "Service",
    "StrikeRange",
    "Symbol",
    "Symbols",
    "Ticker",
    "ToDay",
    "TopN",
    "WholeChain",
    "checked_symbol",
    "parse_at",
    "parse_day",
    "parse_dealer_model",
    "symbol_list",
]

_header_scheme = APIKeyHeader(name="X-Api-Key", auto_error=False, scheme_name="ApiKeyHeader")
_query_scheme = APIKeyQuery(name="apiKey", auto_error=False, scheme_name="ApiKeyQuery")
_STATE_KEY = "rate_limit_headers"
MAX_SYMBOLS: Final = 50
_ONE = SYMBOL_PATTERN.removeprefix("^").removesuffix("$")
SYMBOLS_PATTERN: Final = rf"^{_ONE}(,{_ONE}){{0,{MAX_SYMBOLS - 1}}}$"
"""``symbols=``: 1 to 50 symbols of the grammar, comma-separated, no spaces."""
_DATE_RE: Final = re.compile(DATE_PATTERN)
AT_PATTERN: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,6})?)?"
    r"([Zz]|[+-][0-9]{2}(:?[0-9]{2}(:?[0-9]{2}([.,][0-9]{1,6})?)?)?)$"
)
"""``?at=``: an ISO-8601 instant with a zone (``2026-11-20T21:00:00Z``, ``...-05:00``)."""
_AT_RE: Final = re.compile(AT_PATTERN)


async def _service(request: Request) -> AnalysisService:
    service: AnalysisService = request.app.state.service
    return service


def _authenticate(request: Request, header_key: str | None, query_key: str | None) -> str:
    """The principal, or 401; failures are counted per client address, and an address over
    its failure limit is refused with 429 before its key is even looked at."""
    authenticator: Authenticator = request.app.state.authenticator
    client = request.client.host if request.client else None
    throttle: FailureThrottle | None = request.app.state.auth_throttle
    if throttle is not None:
        refused = throttle.check(client or "unknown")
        if refused is not None:
            raise RateLimitedError(
                refused,
                throttle.window,
                message="Too many requests with a missing or invalid API key from this "
                f"address; retry in {refused.retry_after} s.",
                headers={"Retry-After": str(refused.retry_after)},
            )
    try:
        return authenticator.principal(header_key or query_key, client)
    except UnauthorizedError:
        if throttle is not None:
            throttle.failed(client or "unknown")
        raise


def _count(request: Request, principal: str, cost: int = 1) -> None:
    limiter: MovingWindowLimiter | None = request.app.state.limiter
    if limiter is not None:
        decision = limiter.hit(principal, cost)
        if not decision.allowed:
            raise RateLimitedError(decision, limiter.window)
        request.scope.setdefault("state", {})[_STATE_KEY] = decision.headers()


async def _authorize(
    request: Request,
    header_key: Annotated[str | None, Depends(_header_scheme)],
    query_key: Annotated[str | None, Depends(_query_scheme)],
) -> str:
    principal = _authenticate(request, header_key, query_key)
    _count(request, principal)
    return principal


async def _authorize_scan(
    request: Request,
    header_key: Annotated[str | None, Depends(_header_scheme)],
    query_key: Annotated[str | None, Depends(_query_scheme)],
) -> str:
    principal = _authenticate(request, header_key, query_key)
    raw = request.query_params.get("symbols")
    cost = 1
    if raw is not None:
        cost = max(1, len(symbol_list(raw)))  # a malformed list is 400 here, uncounted
    _count(request, principal, cost)
    return principal


Authorized = Annotated[str, Depends(_authorize)]
"""The request's principal (``key:<n>`` or ``local:<address>``), rate limit applied."""
ScanAuthorized = Annotated[str, Depends(_authorize_scan)]
"""As ``Authorized``, counting one request per distinct symbol of ``symbols=``."""
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
    """Exactly ``YYYY-MM-DD`` (ASCII digits) -> date; anything else is a 400
    ``invalid_expiry`` (no week dates, no ordinal dates, no surrounding spaces)."""
    if raw is None:
        return None
    try:
        if not _DATE_RE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "invalid_expiry", f"{name} must be a date YYYY-MM-DD.") from None


def parse_at(raw: str | None) -> datetime | None:
    """``?at=`` -> an aware UTC datetime; a malformed instant, or one without a zone, is a
    400 ``invalid_at`` (checked here as well as by the pattern, for callers without it)."""
    if raw is None:
        return None
    try:
        if not _AT_RE.fullmatch(raw):
            raise ValueError(raw)
        text = raw.replace(",", ".")
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(raw)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(
            400,
            "invalid_at",
            "at must be an ISO-8601 instant with a time zone, e.g. 2026-11-20T21:00:00Z.",
        ) from None


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
            + (" (dealer_model=flow, the dealers' inventory after the day's trades, is served"
               " by the /v1/flow endpoints)." if value == "flow" else "."),
        )  # fmt: skip
    return value


def _day_query(description: str) -> Any:
    return Query(
        pattern=DATE_PATTERN,
        description=description,
        json_schema_extra={"format": "date", "examples": ["2026-03-20"]},
    )


_SYMBOL_DOC = (
    f"Underlying, case-insensitive: 1-{MAX_LENGTH} ASCII letters, digits or . = ^ / -, "
    "starting with a letter, digit or ^ (SPX, BRK.B, ES=F, ^VIX); futures URL-escaped "
    "(ES%3DF). Anything else is 400 invalid_symbol. A / cannot be sent in the path (%2F "
    "is decoded before routing)."
)


def _symbol_path(example: str) -> Any:
    return Path(
        min_length=1,
        max_length=MAX_LENGTH,
        pattern=SYMBOL_PATTERN,
        description=_SYMBOL_DOC,
        examples=[example],
    )


Symbol = Annotated[str, _symbol_path("SPX")]
Ticker = Annotated[str, _symbol_path("SPY")]
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
At = Annotated[
    str | None,
    Query(
        pattern=AT_PATTERN,
        description="**extra**: answer from stored history as of this instant (ISO-8601 "
        "with a zone): the latest stored snapshot at or before it; the response's as_of is "
        "that snapshot's. 404 no_snapshot before the first stored snapshot; 400 invalid_at "
        "for a malformed instant or one without a zone.",
        json_schema_extra={"format": "date-time", "examples": ["2026-11-20T21:15:00Z"]},
    ),
]


@dataclass(frozen=True, slots=True)
class ChainQuery:
    """What an exposure request asks for, parsed: the expiration (None: every one), the
    dealer model and the instant (None: now). Hashable, so it keys the view cache."""

    expiration: date | None
    dealer_model: str
    at: datetime | None

    def options(self) -> dict[str, Any]:
        """The analysis options of the query (for ``AnalysisService.analysis_async``)."""
        return {"expiration": self.expiration, "dealer_model": self.dealer_model}


async def _chain_query(
    expiration: Expiration = None, dealer_model: DealerModel = None, at: At = None
) -> ChainQuery:
    return ChainQuery(
        parse_day(expiration, "expiration"), parse_dealer_model(dealer_model), parse_at(at)
    )


async def _whole_chain_query(dealer_model: DealerModel = None, at: At = None) -> ChainQuery:
    return ChainQuery(None, parse_dealer_model(dealer_model), parse_at(at))


Chain = Annotated[ChainQuery, Depends(_chain_query)]
"""``?expiration=&dealer_model=&at=`` parsed (400 ``invalid_expiry``/``invalid_dealer_model``/
``invalid_at``)."""
WholeChain = Annotated[ChainQuery, Depends(_whole_chain_query)]
"""``?dealer_model=&at=`` parsed, for the endpoints of the whole chain."""

TopN = Annotated[
    int,
    Query(
        alias="topN",
        ge=1,
        le=10_000,
        description="How many of the largest per-contract changes to list.",
    ),
]
Days = Annotated[
    int | None,
    Query(
        ge=1,
        le=36_600,
        description="Days back from `to` (both included; default 30); ignored with `from`.",
    ),
]
FromDay = Annotated[
    str | None,
    Query(
        alias="from",
        pattern=DATE_PATTERN,
        description="First New York day (YYYY-MM-DD), included.",
        json_schema_extra={"format": "date", "examples": ["2026-11-02"]},
    ),
]
ToDay = Annotated[
    str | None,
    Query(
        alias="to",
        pattern=DATE_PATTERN,
        description="Last New York day (YYYY-MM-DD), included (default: the day of the "
        "newest stored snapshot).",
        json_schema_extra={"format": "date", "examples": ["2026-11-20"]},
    ),
]
Symbols = Annotated[
    str | None,
    Query(
        pattern=SYMBOLS_PATTERN,
        description=f"Comma-separated symbols (no spaces), at most {MAX_SYMBOLS}, each of the "
        "symbol grammar (see the path parameter); each distinct symbol counts as one request "
        "against the rate limit. Without it: every symbol of the source (one request).",
        examples=["SPX,SPY,QQQ"],
    ),
]


def symbol_list(raw: str, limit: int = MAX_SYMBOLS) -> list[str]:
    """``"spy,ES=F,SPY"`` -> ``["SPY", "ES=F"]`` (checked, upper-case, de-duplicated, in
    order). A symbol outside the grammar is 400 ``invalid_symbol``; more than ``limit``
    symbols is 400 ``invalid_symbols``."""
    parts = raw.split(",")
    if len(parts) > limit:
        raise ApiError(400, "invalid_symbols", f"symbols names more than {limit} symbols.")
    return list(dict.fromkeys(checked_symbol(s) for s in parts))


def checked_symbol(raw: str) -> str:
    """:func:`check_symbol` as strict as the OpenAPI pattern (no surrounding spaces
    either): the upper-case symbol, or 400 ``invalid_symbol``."""
    try:
        if raw != raw.strip():
            raise InvalidSymbolError(f"invalid symbol {ascii(raw)[:40]}: no spaces around a symbol")
        return check_symbol(raw)
    except InvalidSymbolError as exc:
        raise ApiError(400, "invalid_symbol", exc.message) from None
