"""Dealer exposures: dealer positions, per-contract exposures and per-strike tables.

=============================  ============================================================
module                         what it holds
=============================  ============================================================
``engine.exposure.metrics``    the metric registry (:data:`METRICS`) and :class:`Exposures`
``engine.exposure.dealer``     dealer models, :func:`contract_exposures`
``engine.exposure.strikes``    the per-strike table and the totals
=============================  ============================================================
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.exposure.dealer import DEALER_MODELS, contract_exposures, dealer_positions
    from engine.exposure.metrics import BY_NAME, METRICS, NAMES, Exposures, Metric

_WHERE = {
    "DEALER_MODELS": "engine.exposure.dealer",
    "contract_exposures": "engine.exposure.dealer",
    "dealer_positions": "engine.exposure.dealer",
    "BY_NAME": "engine.exposure.metrics",
    "METRICS": "engine.exposure.metrics",
    "NAMES": "engine.exposure.metrics",
    "Exposures": "engine.exposure.metrics",
    "Metric": "engine.exposure.metrics",
}

__all__ = [
    "BY_NAME",
    "DEALER_MODELS",
    "METRICS",
    "NAMES",
    "Exposures",
    "Metric",
    "contract_exposures",
    "dealer_positions",
]


def __getattr__(name: str) -> Any:
    """Names load on first use: the registry (:mod:`engine.exposure.metrics`) imports nothing
    heavy, so reading it (the CLI's choices) does not compile the kernels."""
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'engine.exposure' has no attribute {name!r}")
