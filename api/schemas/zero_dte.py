"""Response models of ``/v1/exposure/zero-dte/{symbol}`` (vendor field names).

See :mod:`api.views.zero_dte` for what each block means. Every ``*_pct`` is percent, signed
distances are + above spot, GEX in USD per 1 % move, hedging shares signed (+ = buy).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, create_model

from api.schemas.common import Head
from api.schemas.exposure import Exposures, HedgeMove
from engine.exposure.metrics import METRICS

__all__ = ["NoZeroDteResponse", "ZeroDteResponse"]


class ZeroDteRegime(BaseModel):
    label: Literal["positive_gamma", "negative_gamma", "unknown"]
    description: str
    gamma_flip: float | None
    gamma_flip_status: str
    spot_vs_flip: Literal["above", "below"] | None
    spot_to_flip_pct: float | None
    distance_to_flip_dollars: float | None


class ZeroDteExposures(Exposures):  # type: ignore[misc,valid-type]
    pct_of_total_gex: float | None = Field(description="Percent of the whole chain's net GEX.")
    total_chain_net_gex: float | None


class ZeroDtePinRisk(BaseModel):
    magnet_strike: float | None = Field(description="Strike of the largest |net GEX|.")
    magnet_gex: float | None
    distance_to_magnet_pct: float | None
    max_pain: float | None
    oi_concentration_top3_pct: float | None
    description: str


class ZeroDteHedging(BaseModel):
    spot_up_10bp: HedgeMove
    spot_down_10bp: HedgeMove
    spot_up_25bp: HedgeMove
    spot_down_25bp: HedgeMove
    spot_up_half_pct: HedgeMove
    spot_down_half_pct: HedgeMove
    spot_up_1pct: HedgeMove
    spot_down_1pct: HedgeMove


class ZeroDteLevels(BaseModel):
    call_wall: float | None
    put_wall: float | None
    max_positive_gamma: float | None
    max_negative_gamma: float | None
    highest_oi_strike: float | None
    distance_to_call_wall_pct: float | None
    distance_to_put_wall_pct: float | None


class ZeroDteFlow(BaseModel):
    call_volume: int
    put_volume: int
    total_volume: int
    net_call_minus_put_volume: int
    call_oi: int
    put_oi: int
    total_oi: int
    pc_ratio_volume: float | None
    pc_ratio_oi: float | None
    volume_to_oi_ratio: float | None


class _ZeroDteStrikeBase(BaseModel):
    strike: float
    distance_from_spot_pct: float | None


_ZeroDteMetrics = create_model(
    "_ZeroDteMetrics",
    __base__=_ZeroDteStrikeBase,
    **{c: (float | None, ...) for m in METRICS for c in m.columns()},  # type: ignore[call-overload]
)


class ZeroDteStrike(_ZeroDteMetrics):  # type: ignore[misc,valid-type]
    """One strike of the expiry: every metric's call/put/net (:mod:`engine.exposure.metrics`),
    open interest, volume and their shares."""

    call_oi: int
    put_oi: int
    call_volume: int
    put_volume: int
    gex_share_pct: float | None = Field(description="|net GEX| share of the expiry, percent.")
    oi_share_pct: float | None
    volume_share_pct: float | None


class ZeroDteResponse(Head):
    """One expiry analysed (today's unless ``expiry`` names another)."""

    expiration: str
    no_zero_dte: Literal[False]
    regime: ZeroDteRegime
    exposures: ZeroDteExposures
    pin_risk: ZeroDtePinRisk
    hedging: ZeroDteHedging
    hedge_unit: Literal["shares", "index_units", "contracts"] = Field(
        description="**extra**: unit of dealer_shares_to_trade."
    )
    levels: ZeroDteLevels
    flow: ZeroDteFlow
    strikes: list[ZeroDteStrike] = Field(description="Strikes within strike_range of spot.")


class NoZeroDteResponse(Head):
    """Nothing expires today (New York date of ``as_of``)."""

    expiration: None
    no_zero_dte: Literal[True]
    message: str
    next_zero_dte_expiry: str | None
