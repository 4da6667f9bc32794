"""The intraday open-interest simulator: trades classified against the NBBO (docs/flow.md).

Typical use, from a chain snapshot and the day's trades (``TRADES_SCHEMA``)::

    from engine.flow import FlowState, estimate, dealer_premium

    state = FlowState.from_chain(snapshot.frame)        # official OI, one group per expiry
    state = state.feed(trades)                          # again with each new batch
    est = estimate(state, rule="vendor", confidence=0.43)
    est.effective_oi, est.customer_net                  # per contract, frame order
    est.totals()                                        # or est.totals(mask) for one expiry
    dealer_premium(state, snapshot.as_of, 60)           # trailing-hour premium by side

Modules: :mod:`~engine.flow.conditions` (the condition vocabulary),
:mod:`~engine.flow.tape` (frames to arrays), :mod:`~engine.flow.index` (contract ids to
positions), :mod:`~engine.flow.classify` (the NBBO rule), :mod:`~engine.flow.state`
(incremental counters), :mod:`~engine.flow.estimate` (the OI rules),
:mod:`~engine.flow.premium` (windowed premium); kernels in :mod:`~engine.flow.kernels`,
their twins in :mod:`~engine.flow.twins`.
"""

from __future__ import annotations

from engine.flow.classify import CODE_NAMES, Classified, TradeCounts, classify, classify_tape
from engine.flow.conditions import CONDITIONS, EXCLUDED_BY_DEFAULT, INCLUDED_BY_DEFAULT
from engine.flow.estimate import (
    DEFAULT_CONFIDENCE,
    DEFAULT_RULE,
    RULES,
    FlowEstimate,
    FlowTotals,
    OiRule,
    check_rule,
    estimate,
)
from engine.flow.index import ContractIndex
from engine.flow.premium import MAX_WINDOW_MINUTES, DealerPremium, dealer_premium
from engine.flow.state import FlowState
from engine.flow.tape import TRADE_COLUMNS, Tape, check_excluded, to_tape

__all__ = [
    "CODE_NAMES",
    "CONDITIONS",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_RULE",
    "EXCLUDED_BY_DEFAULT",
    "INCLUDED_BY_DEFAULT",
    "MAX_WINDOW_MINUTES",
    "RULES",
    "TRADE_COLUMNS",
    "Classified",
    "ContractIndex",
    "DealerPremium",
    "FlowEstimate",
    "FlowState",
    "FlowTotals",
    "OiRule",
    "Tape",
    "TradeCounts",
    "check_excluded",
    "check_rule",
    "classify",
    "classify_tape",
    "dealer_premium",
    "estimate",
    "to_tape",
]
