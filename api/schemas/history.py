"""Response models of the stored-history endpoints: ``oi-diff`` and **extra** ``history``.

Open interest in contracts; prices in the underlying's units; money in USD; timestamps UTC
ISO-8601 with ``Z``; dates ``YYYY-MM-DD`` (New York days).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import DataQuality, Quality

__all__ = ["HistoryResponse", "HistoryRow", "OiDiffResponse", "OiDiffRow"]


class OiDiffRow(BaseModel):
    """One contract: open interest now, in the prior session, and the change."""

    strike: float | None
    type: Literal["C", "P"]
    expiry: str = Field(description="Expiration date, YYYY-MM-DD.")
    today_oi: int
    prior_oi: int = Field(description="0 for a contract the prior session did not list.")
    oi_change: int = Field(description="today_oi − prior_oi.")


class OiDiffResponse(Quality):
    """Day-over-day open-interest changes of the contracts analysed now (the SDK's
    ``ExposureOiDiffResponse``). Without a prior session: ``prior_snapshot_available``
    false, totals 0, no rows, and ``message`` says why."""

    symbol: str
    underlying_price: float | None
    prior_snapshot_available: bool
    prior_as_of: str | None = Field(
        description="**extra**: the prior session's snapshot compared against (UTC, Z)."
    )
    total_call_oi_change: int
    total_put_oi_change: int
    top_oi_changes: list[OiDiffRow] = Field(description="Largest |oi_change| first.")
    message: str | None = Field(
        description="**extra**: why no prior session is available (null when it is)."
    )


class HistoryRow(BaseModel):
    """One stored snapshot's summary (native preset, default options, computed at ingest)."""

    as_of: str = Field(description="The snapshot's time, UTC ISO-8601 with Z.")
    date: str = Field(description="New York date of as_of (YYYY-MM-DD).")
    fetched_at: str | None
    source: str | None
    underlying_price: float | None
    net_gex: float | None
    net_dex: float | None
    net_vex: float | None
    net_chex: float | None
    gamma_flip: float | None
    gamma_flip_status: str | None
    call_wall: float | None
    put_wall: float | None
    regime: str | None
    contracts: int | None
    contracts_used: int | None
    quarantined: int | None
    status: str = Field(description='"ok", or the analysis error of that snapshot.')


class HistoryResponse(BaseModel):
    """**extra**: the stored summary series of a symbol, newest last."""

    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    symbol: str
    as_of: str | None = Field(description="The newest row's as_of (null when none).")
    from_: str = Field(alias="from", description="First New York day, YYYY-MM-DD.")
    to: str = Field(description="Last New York day, YYYY-MM-DD.")
    count: int = Field(ge=0)
    history: list[HistoryRow] = Field(description="One row per stored snapshot, oldest first.")
    data_quality: DataQuality = Field(description="Empty: no chain is read.")
