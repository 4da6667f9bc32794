"""Response models of ``/v1/exposure/*`` (docs/api.md, "Endpoints").

Units: GEX in USD of dealer delta change per 1 % spot move, DEX in USD of delta, VEX in
USD per vol point, CHEX in USD per day (:mod:`engine.exposure.dealer`); strikes and levels in the
underlying's price units; shares signed (+ = dealers buy).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Head

__all__ = [
    "ChexResponse",
    "DexResponse",
    "GexResponse",
    "HedgeMove",
    "LevelsResponse",
    "NarrativeResponse",
    "ProfileResponse",
    "SummaryResponse",
    "VexResponse",
]

Regime = Literal["positive_gamma", "negative_gamma", "unknown"]


class Exposures(BaseModel):
    net_gex: float | None
    net_dex: float | None
    net_vex: float | None
    net_chex: float | None


class Interpretation(BaseModel):
    gamma: str
    vanna: str
    charm: str


class HedgeMove(BaseModel):
    """What dealers trade to stay delta-flat after the move (+ = buy)."""

    dealer_shares_to_trade: float | None
    direction: Literal["buy", "sell"]
    notional_usd: float | None = Field(description="|shares| · underlying_price, USD.")


class HedgingEstimate(BaseModel):
    spot_down_1pct: HedgeMove
    spot_up_1pct: HedgeMove


class HedgeFlow(BaseModel):
    """What dealers trade to stay hedged (hedge flow = −change of dealer delta)."""

    direction: Literal["buy", "sell"] | None = Field(description="null when nothing changes.")
    notional_usd: float | None = Field(description="|net VEX| or |net CHEX|, USD.")


class HedgeFlows(BaseModel):
    vol_up_1pt: HedgeFlow = Field(description="IV up one vol point: positive net VEX → sell.")
    one_day: HedgeFlow = Field(description="One calendar day passes: positive net CHEX → sell.")


class ZeroDteBlock(BaseModel):
    net_gex: float | None
    pct_of_total_gex: float | None = Field(description="Percent of the chain's net GEX.")
    expiration: str | None = Field(description="Today's date when something expires today.")


class SummaryResponse(Head):
    gamma_flip: float | None
    gamma_flip_status: str
    regime: Regime
    exposures: Exposures
    interpretation: Interpretation
    hedging_estimate: HedgingEstimate
    hedge_unit: Literal["shares", "index_units", "contracts"] = Field(
        description="**extra**: unit of dealer_shares_to_trade (contracts of the future for "
        "futures options)."
    )
    hedge_flows: HedgeFlows = Field(description="**extra**: dealers' vanna and charm flows.")
    zero_dte: ZeroDteBlock


class GexStrike(BaseModel):
    strike: float
    call_gex: float | None
    put_gex: float | None = Field(description="<= 0")
    net_gex: float | None = Field(description="call_gex + put_gex")
    call_oi: int
    put_oi: int
    call_volume: int
    put_volume: int
    call_oi_change: int | None
    put_oi_change: int | None


class GexResponse(Head):
    gamma_flip: float | None
    gamma_flip_status: str
    net_gex: float | None
    net_gex_label: Literal["positive", "negative"]
    strikes: list[GexStrike] = Field(description="Ascending strikes.")


class DexStrike(BaseModel):
    strike: float
    call_dex: float | None
    put_dex: float | None
    net_dex: float | None


class DexResponse(Head):
    net_dex: float | None
    strikes: list[DexStrike]


class VexStrike(BaseModel):
    strike: float
    call_vex: float | None
    put_vex: float | None
    net_vex: float | None


class VexResponse(Head):
    net_vex: float | None
    vex_interpretation: str
    strikes: list[VexStrike]


class ChexStrike(BaseModel):
    strike: float
    call_chex: float | None
    put_chex: float | None
    net_chex: float | None


class ChexResponse(Head):
    net_chex: float | None
    chex_interpretation: str
    strikes: list[ChexStrike]


class Levels(BaseModel):
    gamma_flip: float | None
    gamma_flip_status: str
    max_positive_gamma: float | None
    max_negative_gamma: float | None
    call_wall: float | None
    put_wall: float | None
    highest_oi_strike: float | None
    zero_dte_magnet: float | None = Field(description="null when nothing expires today.")


class LevelsResponse(Head):
    levels: Levels


class OiChange(BaseModel):
    strike: float
    type: Literal["C", "P"]
    oi_change: int
    volume: int


class NarrativeData(BaseModel):
    net_gex: float | None
    net_gex_prior: float | None = Field(description="null: no prior session is stored.")
    net_gex_change_pct: float | None
    vix: float | None
    gamma_flip: float | None
    gamma_flip_status: str
    call_wall: float | None
    put_wall: float | None
    regime: Regime
    zero_dte_pct: float | None
    top_oi_changes: list[OiChange]


class Narrative(BaseModel):
    regime: str
    gex_change: str
    key_levels: str
    flow: str
    vanna: str
    charm: str
    zero_dte: str
    outlook: str
    data: NarrativeData


class NarrativeResponse(Head):
    narrative: Narrative


class ProfileResponse(Head):
    """**extra**: net GEX of the whole chain as a function of a hypothetical spot."""

    levels: list[float | None] = Field(description="Hypothetical spot levels, ascending.")
    net_gex: list[float | None] = Field(description="Net GEX at each level.")
    crossings: list[float | None] = Field(description="Every sign change of the profile.")
    gamma_flip: float | None
    gamma_flip_status: str
