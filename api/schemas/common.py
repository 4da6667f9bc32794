"""Response models shared by every resource: the head, ``data_quality`` and error bodies.

The models describe the JSON of docs/api.md for the OpenAPI document; the routes send the dicts
of :mod:`api.views` directly (the tests check that both agree). Money is USD, timestamps
UTC ISO-8601 with ``Z``, dates ``YYYY-MM-DD``; ``null`` wherever a number cannot be
computed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "DataQuality",
    "ErrorBody",
    "Head",
    "Quality",
    "RateLimitedBody",
    "UnauthorizedBody",
]


class DataQuality(BaseModel):
    """**extra**: contracts the numbers come from, and rows left out by reason."""

    contracts_used: int = Field(ge=0)
    excluded: dict[str, int]
    filtered_out: dict[str, int] = Field(
        description="Contracts left out by the request's filters (min_oi)."
    )
    iv_sources: dict[str, int] = Field(
        description="Where the used contracts' implied vols come from: quote_otm, quote_itm, "
        "vendor_fallback, interpolated, extrapolated.",
    )
    contracts_per_expiry: dict[str, int] = Field(
        description="Used contracts per expiration date (YYYY-MM-DD)."
    )
    preset_excluded: dict[str, int] = Field(
        description="Contracts the preset left out of its own numbers (perfiliev: "
        "no_vendor_gamma, implausible_vendor_gamma)."
    )
    warnings: list[str] = Field(
        description="What may make the chain incomplete: a truncated file, an expiry whose "
        "strikes stop short of spot."
    )


class Quality(BaseModel):
    """Mixin: ``as_of`` (the snapshot's time) and **extra** ``data_quality``."""

    as_of: str = Field(description="Snapshot time, UTC ISO-8601 with Z.")
    data_quality: DataQuality


class Head(Quality):
    """Mixin: the symbol (upper-case), its spot and the snapshot's time."""

    symbol: str
    underlying_price: float | None = Field(description="Spot, in the underlying's units.")
    dealer_model: Literal["street", "short_all", "flow"] | None = Field(
        default=None, description="**extra**: the dealer model that signs every exposure."
    )


class ErrorBody(BaseModel):
    """400, 404, 500, 502 and 503: a snake_case ``error`` code and a readable message."""

    error: str = Field(examples=["symbol_not_found"])
    message: str = Field(examples=["No data for XYZ."])


class UnauthorizedBody(BaseModel):
    """401: the key is missing or invalid."""

    title: str = Field(examples=["Unauthorized"])
    status: int = Field(examples=[401])
    detail: str = Field(examples=["Invalid API key."])


class RateLimitedBody(BaseModel):
    """429: the key's moving window is full; ``Retry-After`` says when to retry."""

    status: str = Field(examples=["ERROR"])
    error: str = Field(examples=["rate_limited"])
    message: str
    limit: int
    reset_at: str = Field(description="When a request is admitted again, UTC ISO-8601 with Z.")
