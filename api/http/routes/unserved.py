"""SDK methods this server deliberately does not serve: ``404 not_served`` with a message that
says so and why (docs/api.md, "Not served").

Without these routes an SDK call of, say, ``volatility_forecast`` would get the generic
``404 not_found`` of an unknown path; here it gets ``{"error": "not_served", "message":
"..."}`` naming the SDK method and the reason (the SDKs raise ``NotFoundError`` with that
message). One route per path of :data:`UNSERVED`, in no OpenAPI operation (they are not
endpoints), needing no key (they answer nothing that an unknown path would not). This router
is included after every other one, so a path that some router does serve always wins.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from fastapi import APIRouter
from starlette.responses import Response

from api.http.routes._respond import json_response

__all__ = ["UNSERVED", "Unserved", "router"]


class Unserved(NamedTuple):
    """A path of the vendor API this server answers with ``not_served``."""

    path: str
    methods: tuple[str, ...]
    sdk: str
    why: str


_NO_PRICES = "it needs a history of the underlying's prices, which this server does not keep"
_NO_TAPE = "this server has no stock trade tape (only option chains)"
_NO_SCREENER = "this server has no screener; /v1/scan ranks symbols by their gamma flip"
_NO_STRATEGIES = "this server computes dealer positioning, not strategy signals"
_NO_VRP = "the variance risk premium needs realized volatility, from a price history this server does not keep"  # fmt: skip

UNSERVED: Final = (
    Unserved("/v1/volatility/forecast/{symbol}", ("GET",), "volatility_forecast", _NO_PRICES),
    Unserved("/v1/volatility/realized/{symbol}", ("GET",), "realized_volatility", _NO_PRICES),
    Unserved("/v1/screener", ("GET", "POST"), "screener", _NO_SCREENER),
    Unserved("/v1/screener/fields", ("GET",), "screener_fields", _NO_SCREENER),
    Unserved("/v1/strategies/{kind}/{symbol}", ("GET",), "strategy_*", _NO_STRATEGIES),
    Unserved("/v1/vrp/{symbol}", ("GET",), "vrp", _NO_VRP),
    Unserved("/v1/vrp/{symbol}/history", ("GET",), "vrp_history", _NO_VRP),
    *(
        Unserved(f"/v1/flow/stocks/{{symbol}}/{part}", ("GET",), f"flow_stock_{part}", _NO_TAPE)
        for part in ("recent", "summary", "blocks", "history", "cumulative", "bars")
    ),
    Unserved("/v1/flow/stocks/leaderboard", ("GET",), "flow_stocks_leaderboard", _NO_TAPE),
    Unserved("/v1/flow/stocks/outliers", ("GET",), "flow_stocks_outliers", _NO_TAPE),
)
"""Every path answered ``not_served``: path template, methods, SDK method, reason."""

router = APIRouter(include_in_schema=False)


def _route(entry: Unserved) -> None:
    body = {
        "error": "not_served",
        "message": f"This server does not serve {entry.sdk} ({entry.path}): {entry.why}.",
    }

    async def not_served() -> Response:
        return json_response(body, status=404)

    not_served.__name__ = f"not_served_{entry.sdk.replace('*', 'any')}"
    router.add_api_route(entry.path, not_served, methods=list(entry.methods))


for _entry in UNSERVED:
    _route(_entry)
