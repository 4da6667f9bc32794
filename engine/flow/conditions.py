"""The canonical trade-condition vocabulary of ``TRADES_SCHEMA.condition`` (docs/flow.md).

Every source maps its vendor's condition codes (OPRA message types, Polygon condition ids,
ThetaData codes, Databento flags) to one of these names; the OI simulator then decides from
the name alone whether a print counts. A print whose vendor code has no mapping is
``unknown`` (counted, and included like a regular print unless a setting says otherwise).

Included by default (one option trade as it happened): ``regular``, ``auto_execution``,
``intermarket_sweep``, ``single_leg_auction``, ``single_leg_cross``, ``single_leg_floor``,
``multi_leg`` (a leg of a spread: a real trade of this option, classified against this
option's NBBO like any other), ``multi_leg_auction``, ``multi_leg_cross``,
``multi_leg_floor``, ``stock_option`` (a leg of a stock-option tied trade), ``opening``,
``reopening`` and ``unknown``.

Excluded by default (not a print of a trade as it happened): ``late`` (reported late),
``out_of_sequence``, ``cancelled`` (a cancelled print, or the cancel message itself) and
``corrected`` (a correction of an earlier print, which would count it twice).
"""

from __future__ import annotations

from typing import Final

__all__ = ["CONDITIONS", "EXCLUDED_BY_DEFAULT", "INCLUDED_BY_DEFAULT", "UNKNOWN"]

UNKNOWN: Final = "unknown"

INCLUDED_BY_DEFAULT: Final = frozenset(
    {
        "regular",
        "auto_execution",
        "intermarket_sweep",
        "single_leg_auction",
        "single_leg_cross",
        "single_leg_floor",
        "multi_leg",
        "multi_leg_auction",
        "multi_leg_cross",
        "multi_leg_floor",
        "stock_option",
        "opening",
        "reopening",
        UNKNOWN,
    }
)
"""Conditions whose prints the simulator classifies by default."""

EXCLUDED_BY_DEFAULT: Final = frozenset({"late", "out_of_sequence", "cancelled", "corrected"})
"""Conditions whose prints the simulator leaves out (and counts) by default."""

CONDITIONS: Final = tuple(sorted(INCLUDED_BY_DEFAULT | EXCLUDED_BY_DEFAULT))
"""Every canonical condition name."""
