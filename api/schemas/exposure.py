"""Response models of ``/v1/exposure/*`` (docs/api.md, "Endpoints").

Units: every exposure metric in the units of its row of :mod:`engine.exposure.metrics` (GEX in
USD of dealer delta change per 1 % spot move, DEX in USD of delta, VEX in USD per vol point,
CHEX in USD per day, speed in USD of GEX per 1 % move, vomma in USD of vega per vol point);
strikes and levels in the underlying's price units; shares signed (+ = dealers buy). The
models of the metric endpoints, the summary's ``exposures`` and ``interpretation`` are built
from that registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Literal

from pydantic import BaseModel, Field, create_model

from api.schemas.common import Head
from engine.exposure.metrics import METRICS, Metric

__all__ = [
    "METRIC_RESPONSES",
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


Exposures = create_model(
    "Exposures",
    **{
        m.net: (
            float | None,
            Field(description=f"{m.title}, {m.unit}" + ("" if m.wire else " (**extra**)")),
        )
        for m in METRICS
    },  # type: ignore[call-overload]
)
"""Net exposure of every metric of the registry (:mod:`engine.exposure.metrics`)."""

Interpretation = create_model(
    "Interpretation",
    gamma=(str, ...),
    **{m.sentence: (str, ...) for m in METRICS if m.sentence is not None},  # type: ignore[call-overload]
)


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


def _metric_models(metric: Metric) -> tuple[type[BaseModel], type[BaseModel]]:
    """The per-strike row and the response of ``/v1/exposure/{metric}``."""
    call, put, net = metric.columns()
    title = metric.name.capitalize()
    strike = create_model(
        f"{title}Strike",
        strike=(float, ...),
        **{column: (float | None, ...) for column in (call, put, net)},  # type: ignore[call-overload]
    )
    fields: dict[str, Any] = {
        net: (float | None, Field(description=f"{metric.title}, {metric.unit}."))
    }
    if metric.sentence is not None:
        fields[f"{metric.name}_interpretation"] = (str, ...)
    fields["strikes"] = (list[strike], Field(description="Ascending strikes."))  # type: ignore[valid-type]
    response = create_model(f"{title}Response", __base__=Head, **fields)
    return strike, response


METRIC_RESPONSES: Final[Mapping[str, type[BaseModel]]] = MappingProxyType(
    {m.name: _metric_models(m)[1] for m in METRICS if m.name != "gex"}
)
"""The response model of each metric's own endpoint (GEX has :class:`GexResponse`)."""

DexResponse = METRIC_RESPONSES["dex"]
VexResponse = METRIC_RESPONSES["vex"]
ChexResponse = METRIC_RESPONSES["chex"]


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
