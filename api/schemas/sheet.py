"""Response models of ``/v1/exposure/sheet/{symbol}``, ``/v1/exposure/term-structure/{symbol}``
and ``/v1/exposure/basket`` (the SDK's ``ExposureSheetResponse``,
``ExposureTermStructureResponse``, ``ExposureBasketResponse``).

Definitions and units: :mod:`api.views.sheet` (docs/api.md). GEX in USD per 1 % move, DEX in
USD, VEX in USD per vol point, CHEX in USD per day; strikes in the underlying's units.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import DataQuality, Head

__all__ = ["BasketResponse", "SheetResponse", "TermStructureResponse"]


class SheetTotals(BaseModel):
    net_gex: float | None
    net_dex: float | None
    net_vex: float | None
    net_chex: float | None
    net_dag: float | None = Field(description="Σ |delta| · GEX over the contracts, USD.")


class SheetLis(BaseModel):
    strike: float | None = Field(description="Strike of the largest |d²(net_gex)/dK²|.")
    magnitude: float | None = Field(description="Reserved: always 1.0.")


class SheetPeak(BaseModel):
    strike: float | None
    net_gex: float | None
    strength: float | None = Field(description="|net_gex| / max |net_gex| (>= 0.1).")
    side: Literal["call_wall", "put_wall"]


class SheetStrike(BaseModel):
    strike: float
    call_gex: float | None
    put_gex: float | None
    net_gex: float | None
    call_dex: float | None
    put_dex: float | None
    net_dex: float | None
    call_vex: float | None
    put_vex: float | None
    net_vex: float | None
    call_chex: float | None
    put_chex: float | None
    net_chex: float | None
    dag: float | None = Field(
        description="Σ |delta| · GEX of the strike's contracts, USD (null: none priced)."
    )
    call_oi: int
    put_oi: int


class SheetResponse(Head):
    expiration: str | None = Field(description="The expiration asked for, else null.")
    is_opex: bool | None = Field(
        description="The expiration is the monthly one (third Friday, or the session before "
        "it when that Friday is a holiday); null without an expiration."
    )
    is_triple_witching: bool | None = Field(
        description="A monthly expiration in March, June, September or December."
    )
    totals: SheetTotals
    lis: SheetLis | None = Field(description="Line in the sand; null with < 3 strikes.")
    peaks: list[SheetPeak] = Field(description="Local maxima of |net_gex|, strongest first.")
    strikes: list[SheetStrike] = Field(description="Ascending strikes.")


class TermBucket(BaseModel):
    bucket: Literal["0-7d", "8-30d", "31-60d", "61-180d", "180d+"]
    dte_range: list[int] = Field(description="[first, last] day, both included.")
    net_gex: float | None
    net_dex: float | None
    net_vex: float | None
    net_chex: float | None
    contract_count: int


class TermExpiry(BaseModel):
    expiration: str
    dte: int = Field(description="Calendar days from the New York date of as_of.")
    is_opex: bool
    is_triple_witching: bool
    net_gex: float | None
    net_dex: float | None
    net_vex: float | None
    net_chex: float | None
    pct_of_chain_gex: float | None = Field(description="|net_gex| / Σ |net_gex|, percent.")


class TermStructureResponse(Head):
    by_dte_bucket: list[TermBucket] = Field(description="Non-empty buckets, nearest first.")
    by_expiry: list[TermExpiry] = Field(description="Ascending expirations.")


class BasketAggregate(BaseModel):
    """Σ weight · net exposure, weights renormalised to sum to 1."""

    net_gex: float | None
    net_dex: float | None
    net_vex: float | None
    net_chex: float | None


class BasketConstituent(BaseModel):
    symbol: str
    weight: float | None = Field(description="Renormalised weight (they sum to 1).")
    underlying_price: float | None
    net_gex: float | None
    net_dex: float | None
    net_vex: float | None
    net_chex: float | None
    contribution_pct: float | None = Field(description="|w · net_gex| / Σ |w · net_gex|, percent.")
    regime: Literal["positive_gamma", "negative_gamma"] | None
    as_of: str = Field(description="**extra**: this symbol's snapshot time.")


class BasketError(BaseModel):
    symbol: str
    error: str
    message: str


class BasketResponse(BaseModel):
    as_of: str = Field(description="The latest as_of of the constituents.")
    dealer_model: Literal["street", "short_all"] = Field(description="**extra**.")
    constituent_count: int = Field(description="Symbols that contributed.")
    missing_symbols: list[str] = Field(description="Symbols dropped for want of data.")
    aggregate: BasketAggregate
    constituents: list[BasketConstituent] = Field(description="In the order asked.")
    errors: list[BasketError] = Field(
        description="**extra**: why each missing symbol was dropped (error codes as in the "
        "error table)."
    )
    data_quality: DataQuality
