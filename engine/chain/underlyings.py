"""What kind of thing an underlying is, as data: index, future, or share (ETF, equity).

The kind decides the unit of the hedging estimate (``docs/conventions.md``, "Hedging"):
dealers hedge an equity or ETF chain in ``shares``, an index chain in ``index_units`` (one
unit of the index: the delta of SPX options is hedged with futures, SPY or baskets worth
that many index points), and a futures-options chain in ``contracts`` of the future (one
option exercises into one future, whatever its multiplier).
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

__all__ = ["HEDGE_UNITS", "INDEX_UNDERLYINGS", "HedgeUnit", "hedge_unit", "register_index"]

HedgeUnit: TypeAlias = Literal["shares", "index_units", "contracts"]
HEDGE_UNITS: Final = ("shares", "index_units", "contracts")

INDEX_UNDERLYINGS: set[str] = {
    "SPX", "XSP", "NDX", "XND", "RUT", "MRUT", "DJX", "OEX", "XEO", "VIX", "MXEF", "MXEA",
}  # fmt: skip
"""Cash-settled index underlyings (the symbol a chain is asked for, not its option roots).
Extend with :func:`register_index`."""


def register_index(*symbols: str) -> None:
    """Mark underlyings as indexes (their hedge unit is ``index_units``)."""
    for symbol in symbols:
        INDEX_UNDERLYINGS.add(str(symbol).strip().upper())


def hedge_unit(underlying: str, futures: bool) -> HedgeUnit:
    """``contracts`` for a futures-options chain, ``index_units`` for an index, else
    ``shares``."""
    if futures:
        return "contracts"
    name = str(underlying).strip().upper().removeprefix("I:").lstrip("_^$")
    return "index_units" if name in INDEX_UNDERLYINGS else "shares"
