"""gex-engine's pure computation: the canonical chain, greeks, exposures and the analysis.

Public names are re-exported here and loaded on first use (importing ``engine`` stays
cheap; the kernels load when something asks for them)::

    from engine import analyze, ChainSnapshot, bsm, black76
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

__all__ = [
    "NEW_YORK",
    "Analysis",
    "ChainSnapshot",
    "ConfigurationError",
    "GexError",
    "Greeks",
    "NoContractsError",
    "SnapshotError",
    "analyze",
    "black76",
    "bsm",
    "implied_vol",
    "price_chain",
    "validate",
]

NEW_YORK: Final = ZoneInfo("America/New_York")
"""The zone of the US option markets: sessions, settlement and "today" are New York times
(the one definition; everything else imports it)."""

_WHERE = {
    "Analysis": "engine.analysis.single",
    "analyze": "engine.analysis.single",
    "ChainSnapshot": "engine.chain",
    "validate": "engine.chain",
    "ConfigurationError": "engine.errors",
    "GexError": "engine.errors",
    "NoContractsError": "engine.errors",
    "SnapshotError": "engine.errors",
    "Greeks": "engine.greeks",
    "black76": "engine.greeks",
    "bsm": "engine.greeks",
    "implied_vol": "engine.iv.solve",
    "price_chain": "engine.pricing.chain",
}

if TYPE_CHECKING:
    from engine.analysis.single import Analysis, analyze
    from engine.chain import ChainSnapshot, validate
    from engine.errors import ConfigurationError, GexError, NoContractsError, SnapshotError
    from engine.greeks import Greeks, black76, bsm
    from engine.iv.solve import implied_vol
    from engine.pricing.chain import price_chain


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
