"""Build small canonical chains for engine tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from engine.chain import SCHEMA, ChainSnapshot
from engine.settlement import with_settlement

AS_OF = datetime(2024, 1, 5, 15, 0, tzinfo=UTC)  # Friday 10:00 New York


def row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "contract": "SPXW240119C04700000",
        "root": "SPXW",
        "expiration": date(2024, 1, 19),
        "settlement": None,
        "strike": 4700.0,
        "is_call": True,
        "style": "european",
        "model": "bsm",
        "multiplier": 100.0,
        "underlying_price": 4700.0,
        "open_interest": 100,
        "volume": 10,
        "bid": 40.0,
        "ask": 41.0,
        "last": 40.5,
        "iv": 0.15,
        "vendor_delta": float("nan"),
        "vendor_gamma": float("nan"),
    }
    base.update(overrides)
    return base


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    df = pl.DataFrame(rows, schema=dict(SCHEMA))
    return with_settlement(df)


def snapshot(rows: list[dict[str, Any]], **header: Any) -> ChainSnapshot:
    kw: dict[str, Any] = {
        "underlying": "SPX",
        "as_of": AS_OF,
        "spot": 4700.0,
        "source": "test",
        "rate": 0.05,
        "div_yield": 0.013,
    }
    kw.update(header)
    return ChainSnapshot(frame=frame(rows), **kw)
