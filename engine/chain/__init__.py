"""The canonical option chain and everything that makes rows usable (docs/conventions.md).

==========================  ===============================================================
module                      what it holds
==========================  ===============================================================
``engine.chain.snapshot``   :data:`SCHEMA`, :class:`ChainSnapshot`, the magnitude caps
``engine.chain.validate``   :func:`validate`: usable rows, quarantine, reasons, warnings
``engine.chain.market``     validation of a whole market frame (one chain: one underlying)
``engine.chain.rules``      the header checks and the row rules, written once
``engine.chain.columns``    column coercion and the columns as NumPy arrays
``engine.chain.lazy``       frames built when first read
``engine.chain.segments``   per-underlying (segmented) sort and duplicate kernels
``engine.chain.underlyings`` what one unit of an underlying is for hedging
==========================  ===============================================================
"""

from __future__ import annotations

from engine.chain.snapshot import (
    HORIZON_YEARS,
    IV_MAX,
    IV_MIN,
    MODELS,
    MULTIPLIER_MAX,
    OPEN_INTEREST_MAX,
    PRICE_RATIO_MAX,
    PRICE_RATIO_MIN,
    RATE_BOUND,
    REASONS,
    ROW_REASONS,
    SCHEMA,
    SOURCE_REASONS,
    SPOT_MAX,
    SPOT_MIN,
    STRIKE_RATIO_MAX,
    STYLES,
    UNDERLYING_RATIO_MAX,
    ChainSnapshot,
    empty_frame,
)
from engine.chain.validate import ValidatedChain, strike_gap_warnings, validate

__all__ = [
    "HORIZON_YEARS",
    "IV_MAX",
    "IV_MIN",
    "MODELS",
    "MULTIPLIER_MAX",
    "OPEN_INTEREST_MAX",
    "PRICE_RATIO_MAX",
    "PRICE_RATIO_MIN",
    "RATE_BOUND",
    "REASONS",
    "ROW_REASONS",
    "SCHEMA",
    "SOURCE_REASONS",
    "SPOT_MAX",
    "SPOT_MIN",
    "STRIKE_RATIO_MAX",
    "STYLES",
    "UNDERLYING_RATIO_MAX",
    "ChainSnapshot",
    "ValidatedChain",
    "empty_frame",
    "strike_gap_warnings",
    "validate",
]
