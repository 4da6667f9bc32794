"""Dealer exposures: dealer positions, per-contract exposures and per-strike tables.

=============================  ============================================================
module                         what it holds
=============================  ============================================================
``engine.exposure.dealer``     dealer models, :func:`contract_exposures`
``engine.exposure.strikes``    the per-strike table and the totals
=============================  ============================================================
"""

from __future__ import annotations

from engine.exposure.dealer import DEALER_MODELS, Exposures, contract_exposures, dealer_positions

__all__ = ["DEALER_MODELS", "Exposures", "contract_exposures", "dealer_positions"]
