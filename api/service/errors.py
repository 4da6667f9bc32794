"""Every error a caller of the service sees, mapped by exception type (docs/api.md, "Errors").

One table (:data:`ERROR_TABLE`) turns an engine or source exception into the API's error
code, HTTP status and message; the HTTP server, the CLI (``gex scan``) and the MCP server
use it alike, so a failure reads the same on every face. The first row whose type matches
wins (subclasses before their bases). Exceptions outside the table are internal errors
(the HTTP server answers 500 ``internal_error`` and logs them).

==========================================  ======  ======================================
exception                                   status  code
==========================================  ======  ======================================
``InvalidSymbolError``                         400  ``invalid_symbol``
``DeadlineExceededError``                      504  ``upstream_timeout`` (the request's
                                                    own deadline)
``UpstreamTimeoutError``                       504  ``upstream_timeout``
``UpstreamInvalidError``                       502  ``upstream_invalid``
``SymbolNotFoundError``                        404  ``symbol_not_found``
``NoHistoryError``                             404  ``no_snapshot``
``NoContractsError``                           404  ``symbol_not_found``
``NoTradesError`` (a source without trades)    404  ``no_trades``
``DataSourceError`` (any other)                502  ``upstream_unavailable``
``EmptySnapshotError``, ``InvalidSpotError``   503  ``insufficient_data``
``OptionError`` on a date option               400  ``invalid_expiry``
``OptionError`` (any other option)             400  ``invalid_<parameter>``
``ConfigurationError`` (any other)             400  ``invalid_parameter``
==========================================  ======  ======================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from api.service.compute import DeadlineExceededError
from api.service.flow import NoTradesError
from data_adapters.errors import (
    DataSourceError,
    InvalidSymbolError,
    NoHistoryError,
    SymbolNotFoundError,
    UpstreamInvalidError,
    UpstreamTimeoutError,
)
from engine.errors import (
    ConfigurationError,
    EmptySnapshotError,
    GexError,
    InvalidSpotError,
    NoContractsError,
    OptionError,
)

__all__ = ["DATE_PARAMETERS", "ERROR_TABLE", "ApiError", "ErrorRule", "error_for"]

DATE_PARAMETERS: Final = frozenset({"expiration", "expiry", "max_pain_expiration"})
"""Options whose bad values are answered ``invalid_expiry`` (the vendor API's code)."""


class ApiError(Exception):
    """An error answered as ``{"error": code, "message": message}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


def _without_prefix(message: str, symbol: str) -> str:
    text = message.strip().rstrip(".")
    return text[len(symbol) + 1 :].strip() if text.upper().startswith(symbol + ":") else text


def _message(exc: GexError) -> str:
    """A source error's own message (without the source's name in front)."""
    return str(getattr(exc, "message", exc))


def _no_history(exc: GexError, name: str) -> str:
    text = _message(exc).strip().rstrip(".")
    text = text if name in text else f"{text} ({name})"
    return f"{text[:1].upper()}{text[1:]}."


def _option_code(exc: GexError) -> str:
    parameter = getattr(exc, "parameter", "parameter")
    return "invalid_expiry" if parameter in DATE_PARAMETERS else f"invalid_{parameter}"


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """Exceptions of ``kind`` are answered with ``status`` and ``code`` (a string, or a
    function of the exception) and the message ``message(exc, name)``, where ``name`` is
    the symbol asked for ("this symbol" without one)."""

    kind: type[BaseException]
    status: int
    code: str | Callable[[GexError], str]
    message: Callable[[GexError, str], str]


ERROR_TABLE: Final[tuple[ErrorRule, ...]] = (
    ErrorRule(InvalidSymbolError, 400, "invalid_symbol", lambda e, _: _message(e)),
    ErrorRule(
        DeadlineExceededError, 504, "upstream_timeout",
        lambda e, n: f"No answer in time for {n if n != 'this symbol' else 'this request'}: {e}.",
    ),
    ErrorRule(
        UpstreamTimeoutError, 504, "upstream_timeout",
        lambda e, _: f"The data provider ran past its deadline: {e}",
    ),
    ErrorRule(
        UpstreamInvalidError, 502, "upstream_invalid",
        lambda e, _: f"The data provider sent unusable data: {e}",
    ),
    ErrorRule(SymbolNotFoundError, 404, "symbol_not_found", lambda _, n: f"No data for {n}."),
    ErrorRule(NoHistoryError, 404, "no_snapshot", _no_history),
    ErrorRule(
        NoContractsError, 404, "symbol_not_found",
        lambda e, n: f"No data for {n} ({_without_prefix(str(e), n)}).",
    ),
    ErrorRule(NoTradesError, 404, "no_trades", lambda e, _: _no_history(e, "trade tape")),
    ErrorRule(
        DataSourceError, 502, "upstream_unavailable", lambda e, _: f"The data provider failed: {e}"
    ),
    ErrorRule(
        EmptySnapshotError, 503, "insufficient_data",
        lambda e, n: f"The data for {n} is too poor: {e}",
    ),
    ErrorRule(
        InvalidSpotError, 503, "insufficient_data",
        lambda e, n: f"The data for {n} is too poor: {e}",
    ),
    ErrorRule(OptionError, 400, _option_code, lambda e, _: str(e)),
    ErrorRule(ConfigurationError, 400, "invalid_parameter", lambda e, _: str(e)),
)  # fmt: skip
"""Exception type -> status, code, message; the first matching row wins."""


def error_for(exc: GexError, symbol: str | None) -> ApiError | None:
    """The API error of an engine or source error; None for those answered with 500."""
    name = symbol or "this symbol"
    for rule in ERROR_TABLE:
        if isinstance(exc, rule.kind):
            code = rule.code if isinstance(rule.code, str) else rule.code(exc)
            return ApiError(rule.status, code, rule.message(exc, name))
    return None
