"""Response model of ``/v1/tickers`` (the SDK's ``TickersResponse``)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Quality

__all__ = ["TickersResponse"]


class TickersResponse(Quality):
    """The underlyings the configured source serves (no chain is read: ``data_quality`` is
    empty, ``as_of`` is when the list was fetched)."""

    tickers: list[str]
    count: int = Field(description="len(tickers).")
