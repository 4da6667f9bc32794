"""Response model of ``/v1/maxpain/{symbol}`` (the SDK's ``MaxPainResponse``).

Definitions: :mod:`api.views.maxpain` (docs/api.md). Pain in USD; strikes in the
underlying's units.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Head

__all__ = ["MaxPainResponse"]


class MaxPainDistance(BaseModel):
    absolute: float | None = Field(description="|spot − max pain|.")
    percent: float | None = Field(description="absolute / spot · 100.")
    direction: Literal["above", "below", "at"] | None = Field(description="Spot against max pain.")


class PainRow(BaseModel):
    strike: float | None
    call_pain: float | None = Field(description="Σ_calls OI · m · max(0, strike − K), USD.")
    put_pain: float | None = Field(description="Σ_puts OI · m · max(0, K − strike), USD.")
    total_pain: float | None


class OiRow(BaseModel):
    strike: float | None
    call_oi: int
    put_oi: int
    total_oi: int
    call_volume: int
    put_volume: int


class ExpiryMaxPain(BaseModel):
    expiration: str
    max_pain_strike: float | None
    dte: int = Field(description="Calendar days from the New York date of as_of.")
    total_oi: int


class DealerAlignment(BaseModel):
    alignment: Literal["converging", "moderate", "diverging", "unknown"]
    description: str
    gamma_flip: float | None
    gamma_flip_status: str
    call_wall: float | None
    put_wall: float | None


class ExpectedMove(BaseModel):
    straddle_price: float | None = Field(description="At-the-money call mid + put mid.")
    atm_iv: float | None = Field(description="Mean IV of the two sides, percent.")
    max_pain_within_expected_range: bool | None


class MaxPainResponse(Head):
    max_pain_strike: float | None
    distance: MaxPainDistance
    signal: Literal["bullish", "bearish", "neutral"] | None = Field(
        description="bullish: spot at least 5 % below max pain; bearish: 5 % above."
    )
    expiration: str | None = Field(
        description="The expiration asked for, else the nearest one analysed."
    )
    put_call_oi_ratio: float | None
    pain_curve: list[PainRow] = Field(description="Ascending strikes.")
    oi_by_strike: list[OiRow] = Field(description="Ascending strikes.")
    max_pain_by_expiration: list[ExpiryMaxPain] | None = Field(
        description="Only without an expiration."
    )
    dealer_alignment: DealerAlignment
    regime: Literal["positive_gamma", "negative_gamma", "unknown"]
    expected_move: ExpectedMove
    pin_probability: int | None = Field(description="Always null: not modelled here.")
