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

from engine.exposure.dealer import DEALER_MODELS, contract_exposures, dealer_positions
from engine.exposure.metrics import BY_NAME, METRICS, NAMES, Exposures, Metric

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
