"""Response models of the pricing calculators ``/v1/pricing/greeks`` and ``/v1/pricing/iv``.

Units of every field: :mod:`api.views.pricing` (docs/api.md). A calculator reads no chain:
its responses carry neither ``as_of`` nor ``data_quality``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["GreeksResponse", "IvResponse"]


class PricingInputs(BaseModel):
    """The request, echoed."""

    spot: float | None
    strike: float | None
    dte: float | None = Field(description="Calendar days to expiry.")
    sigma: float | None = Field(
        description="The volatility priced with, in percentage points (sigma=0.2 → 20.0)."
    )
    type: Literal["call", "put"]
    risk_free_rate: float | None = Field(description="r, continuous, decimal.")
    dividend_yield: float | None = Field(description="q, continuous, decimal.")


class FirstOrder(BaseModel):
    delta: float | None = Field(description="dV/dS.")
    gamma: float | None = Field(description="d²V/dS².")
    theta: float | None = Field(description="dV/dt per calendar day (decay is negative).")
    vega: float | None = Field(description="dV/dσ per vol point.")
    rho: float | None = Field(description="dV/dr per basis point.")


class SecondOrder(BaseModel):
    vanna: float | None = Field(description="dDelta/dσ per vol point.")
    charm: float | None = Field(description="dDelta/dt per calendar day.")
    vomma: float | None = Field(description="d²V/dσ² per vol point squared.")
    dual_delta: float | None = Field(description="dV/dK.")


class ThirdOrder(BaseModel):
    speed: float | None = Field(description="dGamma/dS.")
    zomma: float | None = Field(description="dGamma/dσ per vol point.")
    color: float | None = Field(description="dGamma/dt per calendar day.")
    ultima: float | None = Field(description="d³V/dσ³ per vol point cubed.")


class Additional(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    lambda_: float | None = Field(
        alias="lambda", description="Elasticity delta · spot / price; null when the price is 0."
    )
    veta: float | None = Field(description="dVega/dt: vega per vol point, per calendar day.")


class GreeksResponse(BaseModel):
    """Black-Scholes-Merton premium and greeks of one European option."""

    inputs: PricingInputs
    theoretical_price: float | None = Field(description="Premium per unit of underlying.")
    first_order: FirstOrder
    second_order: SecondOrder
    third_order: ThirdOrder
    additional: Additional


class IvInputs(BaseModel):
    """The request, echoed."""

    spot: float | None
    strike: float | None
    dte: float | None = Field(description="Calendar days to expiry.")
    price: float | None = Field(description="The premium inverted, per unit of underlying.")
    type: Literal["call", "put"]
    risk_free_rate: float | None
    dividend_yield: float | None


class IvResponse(BaseModel):
    """The volatility whose BSM premium is ``price``."""

    inputs: IvInputs
    implied_volatility: float | None = Field(description="Decimal (0.185 = 18.5 %).")
    implied_volatility_pct: float | None = Field(description="Percent (18.5).")
