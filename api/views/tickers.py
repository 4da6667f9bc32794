"""``GET /v1/tickers`` (the SDK's ``tickers()``): the underlyings the configured source
serves, as ``/v1/symbols`` lists them (docs/api.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from api.views._common import empty_quality, iso_utc

__all__ = ["tickers_view"]


def tickers_view(symbols: Sequence[str], fetched_at: datetime) -> dict[str, Any]:
    """``{tickers, count, as_of, data_quality}``; ``as_of`` is when the list was fetched
    and ``data_quality`` counts nothing (no chain is read)."""
    return {
        "tickers": list(symbols),
        "count": len(symbols),
        "as_of": iso_utc(fetched_at),
        "data_quality": empty_quality(),
    }
