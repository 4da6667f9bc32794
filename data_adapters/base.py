"""The protocol every data source implements (docs/conventions.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol, runtime_checkable

import polars as pl

from engine.chain import ChainSnapshot

__all__ = ["TRADES_SCHEMA", "Source", "TradesSource"]

TRADES_SCHEMA = {
    "contract": pl.String,
    "timestamp": pl.Datetime("us", "UTC"),
    "price": pl.Float64,
    "size": pl.Int64,
    "condition": pl.String,
    "bid": pl.Float64,
    "ask": pl.Float64,
}
"""Columns of ``Source.trades``: each trade with the NBBO in force when it printed."""


@runtime_checkable
class Source(Protocol):
    """A provider of option chains.

    ``symbols()`` lists the underlyings it can serve; ``snapshot(symbol, as_of=None)`` returns
    the canonical chain now (or at a past instant where the source keeps history, else
    ``NoHistoryError``); sources that have trades also implement ``trades(symbol, day)``
    returning a frame of :data:`TRADES_SCHEMA`.
    """

    name: str

    def symbols(self) -> list[str]: ...

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot: ...


class TradesSource(Source, Protocol):
    """A source that also serves the day's trades with the NBBO at each trade."""

    def trades(self, symbol: str, day: date) -> pl.DataFrame: ...
