"""Response models of ``/v1/flow/*`` (docs/api.md, "Flow endpoints"; the official SDK's
``Flow*Response`` types).

See :mod:`api.views.flow` for what each field means. "Settled" numbers use the morning's
open interest, "live" numbers the effective open interest of the OI simulator; GEX in USD
per 1 % move, DEX in USD, open interest in contracts (whole: rounded per contract before any
sum), premium in USD, ``*_pct_shift`` a **fraction** (0.094 = 9.4 %).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import Quality
from api.schemas.exposure import METRIC_RESPONSES, GexStrike
from api.schemas.zero_dte import NoZeroDteResponse, ZeroDteResponse

__all__ = [
    "FlowDealerPremiumResponse",
    "FlowDealerRiskResponse",
    "FlowDexResponse",
    "FlowGexResponse",
    "FlowLevelsResponse",
    "FlowLiveResponse",
    "FlowNoZeroDteResponse",
    "FlowOiResponse",
    "FlowPinRiskResponse",
    "FlowSummaryResponse",
    "FlowZeroDteResponse",
]

Direction = Literal["no_flow", "regime_flip", "neutral", "amplifying", "dampening"]
Rule = Literal["vendor", "net"]
_DEX_ROWS: Any = METRIC_RESPONSES["dex"].model_fields["strikes"].annotation


class _Settings(BaseModel):
    oi_rule: Rule = Field(description="**extra**: the OI rule of the live numbers.")
    oi_confidence: float = Field(
        description="**extra**: the share of classified volume taken as new open interest."
    )


class FlowHead(Quality, _Settings):
    """Mixin of the flow endpoints: the symbol, its spot, the expiry filter and settings."""

    symbol: str
    underlying_price: float | None = Field(description="Spot, in the underlying's units.")
    expiry: str | None = Field(description="The expiry filter (YYYY-MM-DD), null: whole chain.")
    dealer_model: Literal["street", "short_all"] = Field(
        description="**extra**: the dealer model that signs every exposure."
    )


class DealerRiskBlock(BaseModel):
    """Settled against live net GEX and DEX (``FlowAdjustedDealerRisk``)."""

    settled_net_gex: float | None
    live_net_gex: float | None
    flow_gex_adjustment: float | None = Field(description="live − settled.")
    flow_gex_pct_shift: float | None = Field(
        description="adjustment / |settled|, a fraction; 0 when both are 0; null when settled "
        "is 0 and live is not."
    )
    settled_net_dex: float | None
    live_net_dex: float | None
    flow_dex_adjustment: float | None
    flow_dex_pct_shift: float | None
    total_abs_delta_contracts: int = Field(description="Σ |effective − settled| open interest.")
    flow_direction: Direction = Field(
        description="no_flow, regime_flip, neutral (|GEX shift| < 0.05), amplifying, "
        "dampening — the first that applies."
    )
    description: str


class OiSummary(BaseModel):
    official_oi: int
    simulated_oi: int = Field(description="official_oi + intraday_oi_delta.")
    intraday_oi_delta: int
    oi_delta_confidence: float
    effective_oi: int = Field(description="Σ max(0, simulated) per contract: what live uses.")
    contracts_total: int
    contracts_with_flow: int = Field(description="Contracts whose rounded OI delta is not 0.")


class FlowDealerRiskResponse(FlowHead, DealerRiskBlock):
    contracts_with_flow: int
    oi: OiSummary = Field(description="**extra**: the open interest of /v1/flow/oi.")


class FlowGexResponse(FlowHead):
    live_net_gex: float | None
    live_net_gex_label: Literal["positive", "negative"]
    live_gamma_flip: float | None
    gamma_flip_status: str
    settled_net_gex: float | None = Field(description="**extra**")
    strikes: list[GexStrike] = Field(
        description="Ascending strikes on effective open interest; *_oi_change: live − "
        "settled open interest at the strike."
    )


class FlowDexResponse(FlowHead):
    live_net_dex: float | None
    settled_net_dex: float | None = Field(description="**extra**")
    strikes: _DEX_ROWS = Field(description="Ascending strikes on effective open interest.")


class FlowSummaryResponse(FlowHead):
    flow_direction: Direction
    intraday_oi_delta: int
    contracts_with_flow: int
    contracts_total: int
    live_gex: float | None
    flow_gex_pct_shift: float | None
    settled_gex: float | None = Field(description="**extra**")
    flow_gex_adjustment: float | None = Field(description="**extra**")
    description: str = Field(description="**extra**")


class Levels(BaseModel):
    gamma_flip: float | None
    gamma_flip_status: str
    call_wall: float | None
    put_wall: float | None
    max_pain: float | None
    max_pain_expiration: str | None


class FlowLevelsResponse(FlowHead):
    live_gamma_flip: float | None
    gamma_flip_status: str
    live_call_wall: float | None
    live_put_wall: float | None
    live_max_pain: float | None = Field(description="Of the nearest expiry analysed.")
    live_max_pain_expiration: str | None = Field(description="**extra**")
    settled: Levels = Field(description="**extra**: the same levels on settled open interest.")


class TradeCounts(BaseModel):
    """Trades of the whole tape by outcome (docs/flow.md)."""

    trades_seen: int
    customer_buys: int
    customer_sells: int
    unclassified: int
    unclassified_at_mid: int
    unclassified_no_quote: int
    excluded_condition: int
    unmatched_contract: int
    invalid: int


class FlowOiResponse(Quality, _Settings, OiSummary):
    symbol: str
    expiry: str | None
    session_day: str = Field(description="**extra**: the New York date of the tape.")
    contracts_with_trades: int = Field(description="**extra**")
    total_abs_delta_contracts: int = Field(description="**extra**")
    customer_buy_volume: int = Field(description="**extra**")
    customer_sell_volume: int = Field(description="**extra**")
    customer_net_volume: int = Field(description="**extra**")
    unclassified_volume: int = Field(description="**extra**")
    classified_share: float | None = Field(description="**extra**: classified / counted volume.")
    trades: TradeCounts = Field(description="**extra**")
    last_trade_at: str | None = Field(description="**extra**: the latest trade fed.")


class PinBreakdown(BaseModel):
    oi_score: int = Field(ge=0, le=100)
    proximity_score: int = Field(ge=0, le=100)
    time_score: int = Field(ge=0, le=100)
    gamma_score: int = Field(ge=0, le=100)


class FlowPinRiskResponse(FlowHead):
    live_pin_risk: int = Field(ge=0, le=100, description="Mean of the four scores.")
    magnet_strike: float | None
    distance_to_magnet_pct: float | None = Field(description="Percent, + above spot.")
    time_to_close_hours: float | None
    breakdown: PinBreakdown
    expiration: str = Field(description="**extra**: the expiry analysed.")


class FlowLiveResponse(FlowHead):
    contracts: int
    contracts_with_flow: int
    official_oi: int
    simulated_oi: int
    intraday_oi_delta: int
    oi_delta_confidence: float
    effective_oi: int
    live_gex: float | None
    live_gex_delta: float | None = Field(description="Live net DEX.")
    live_gamma_flip: float | None
    gamma_flip_status: str
    live_call_wall: float | None
    live_put_wall: float | None
    live_max_pain: float | None
    live_pin_risk: int = Field(ge=0, le=100)
    pin_expiration: str = Field(description="**extra**: the expiry of live_pin_risk.")
    flow_adjusted_dealer_risk: DealerRiskBlock


class FlowDealerPremiumResponse(Quality):
    symbol: str
    window_minutes: int
    expiry: str | None
    dealer_buy_premium: float = Field(description="Customer sells (dealers buy), USD.")
    dealer_write_premium: float = Field(description="Customer buys (dealers write), USD.")
    net_dealer_premium: float = Field(description="dealer buys − dealer writes.")
    total_premium: float = Field(description="dealer buys + dealer writes.")
    trade_count: int
    bucket_count: int
    window_start: str = Field(description="**extra**: first minute of the window (included).")
    window_end: str = Field(description="**extra**: end of the window's last minute.")
    customer_buy_premium: float = Field(description="**extra**")
    customer_sell_premium: float = Field(description="**extra**")
    net_customer_premium: float = Field(description="**extra**")
    customer_buy_call_premium: float = Field(description="**extra**")
    customer_buy_put_premium: float = Field(description="**extra**")
    customer_sell_call_premium: float = Field(description="**extra**")
    customer_sell_put_premium: float = Field(description="**extra**")
    unclassified_premium: float = Field(description="**extra**: in no side.")
    customer_buy_volume: int = Field(description="**extra**")
    customer_sell_volume: int = Field(description="**extra**")
    unclassified_volume: int = Field(description="**extra**")
    classified_count: int = Field(description="**extra**")


class ZeroDteFlowDirection(BaseModel):
    label: Direction
    settled_net_gex: float | None
    live_net_gex: float | None
    flow_gex_adjustment: float | None
    flow_gex_pct_shift: float | None
    contracts_with_flow: int
    total_abs_delta_contracts: int
    description: str


class FlowZeroDteResponse(ZeroDteResponse, _Settings):
    """The zero-dte view on effective open interest, plus settled against live net GEX."""

    expiry: str | None = Field(description="**extra**: the expiry asked for, or null.")
    flow_direction: ZeroDteFlowDirection


class FlowNoZeroDteResponse(NoZeroDteResponse, _Settings):
    """Nothing expires today and no ``expiry`` was asked for."""

    expiry: None
