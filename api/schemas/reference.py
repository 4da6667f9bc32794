"""Response models of the reference endpoints, ``/health`` and the **extra** ``/v1/scan``.

Prices in the underlying's units; timestamps UTC ISO-8601 with ``Z``; dates ``YYYY-MM-DD``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import DataQuality, Quality

__all__ = [
    "HealthResponse",
    "OptionsResponse",
    "ScanResponse",
    "StockQuoteResponse",
    "SymbolsResponse",
]


class SymbolsResponse(Quality):
    symbols: list[str]
    count: int
    last_updated: str = Field(description="When the list was fetched from the source.")


class ExpiryForward(BaseModel):
    """**extra**: one settlement of the expiration (a root), its forward and discount rate."""

    root: str
    settlement: str = Field(description="Settlement instant, UTC ISO-8601 with Z.")
    forward: float | None = Field(description="Forward the options are priced on.")
    rate: float | None = Field(
        description="Discount rate (continuous, decimal): fitted to put-call parity where "
        "method is parity_fit, else the configured rate."
    )
    method: str = Field(
        description="parity_fit | parity | carry_few_quotes | carry_implausible | carry"
    )
    pairs: int = Field(description="Call/put pairs behind the forward.")


class OptionsExpiration(BaseModel):
    expiration: str
    strikes: list[float] = Field(description="Ascending strikes of the usable contracts.")
    forwards: list[ExpiryForward] = Field(
        default_factory=list, description="**extra**: forward and rate per settlement."
    )


class OptionsResponse(Quality):
    symbol: str
    expirations: list[OptionsExpiration]
    expiration_count: int
    total_contracts: int = Field(description="Usable contracts, calls and puts.")


class StockQuoteResponse(Quality):
    """A chain snapshot carries the spot only: bid = ask = mid = lastPrice = spot."""

    ticker: str
    bid: float | None
    ask: float | None
    mid: float | None
    lastPrice: float | None  # noqa: N815 (the vendor's wire name)
    lastUpdate: str  # noqa: N815


class ComputeLoad(BaseModel):
    """The compute pool while degraded."""

    workers: int = Field(description="Threads of the compute pool.")
    busy: int = Field(description="Threads running a fetch or an analysis now.")
    queued: int = Field(description="Work waiting for a thread.")
    oldest_running_s: float = Field(description="Seconds the longest-running work has run.")
    timeouts: int = Field(description="Requests answered 504 upstream_timeout so far.")


class HealthResponse(BaseModel):
    """Always HTTP 200; ``Degraded`` carries why (monitors read ``status``)."""

    status: Literal["Healthy", "Degraded"]
    reasons: list[Literal["compute_saturated", "compute_stuck"]] | None = Field(
        default=None,
        description="Only when Degraded: compute_saturated (work waits behind busy threads) "
        "and/or compute_stuck (work has run past the request deadline).",
    )
    compute: ComputeLoad | None = Field(default=None, description="Only when Degraded.")


class ScanRow(BaseModel):
    symbol: str
    underlying_price: float | None
    as_of: str
    regime: Literal["positive_gamma", "negative_gamma", "unknown"]
    net_gex: float | None
    gamma_flip: float | None
    distance_to_flip_pct: float | None = Field(description="(flip / spot − 1) · 100.")
    call_wall: float | None
    put_wall: float | None
    zero_dte_pct: float | None
    data_quality: DataQuality


class ScanError(BaseModel):
    symbol: str
    error: str
    message: str


class ScanResponse(BaseModel):
    as_of: str | None = Field(description="The latest as_of of the rows.")
    count: int = Field(description="Rows returned.")
    total: int = Field(description="Symbols analysed (rows before the limit).")
    rows: list[ScanRow] = Field(
        description="In the order of sort (default: |distance_to_flip_pct|, nulls last)."
    )
    errors: list[ScanError] = Field(description="Symbols that could not be analysed.")
    data_quality: DataQuality
