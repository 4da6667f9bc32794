"""Analysis -> the exact JSON objects of docs/api.md, shared by the HTTP routes and the CLI.

Every view takes an :class:`engine.analysis.single.Analysis` (or what the endpoint needs) and
returns a plain ``dict`` that ``json.dumps`` can write: timestamps UTC ISO-8601 with ``Z``,
dates ``YYYY-MM-DD``, money in USD, and ``None`` (JSON null) wherever a number cannot be
computed — never NaN or Infinity. ``gex --json`` on the command line prints exactly what
the HTTP endpoint answers, because both call these functions.

=======================  ===========================================================
module                   views
=======================  ===========================================================
``api.views.exposure``   summary, gex, every other metric, levels, profile, narrative
``api.views.zero_dte``   zero-dte (and the shape for days without a same-day expiry)
``api.views.reference``  symbols, options, stock quote, scan rows and the scan
``api.views.history``    oi-diff, history (stored snapshots)
=======================  ===========================================================
"""

from __future__ import annotations

from api.views._common import finite, hedge_view, iso_date, iso_utc
from api.views.exposure import (
    TOP_OI_CHANGES,
    chex_view,
    dex_view,
    gex_view,
    levels_view,
    metric_view,
    narrative_view,
    profile_view,
    summary_view,
    top_oi_changes_view,
    vex_view,
)
from api.views.history import history_view, oi_diff_view
from api.views.reference import (
    SCAN_SORTS,
    options_view,
    quote_view,
    scan_row,
    scan_view,
    symbols_view,
)
from api.views.zero_dte import ZERO_DTE_MOVES, no_zero_dte_view, zero_dte_view

__all__ = [
    "SCAN_SORTS",
    "TOP_OI_CHANGES",
    "ZERO_DTE_MOVES",
    "chex_view",
    "dex_view",
    "finite",
    "gex_view",
    "hedge_view",
    "history_view",
    "iso_date",
    "iso_utc",
    "levels_view",
    "metric_view",
    "narrative_view",
    "no_zero_dte_view",
    "oi_diff_view",
    "options_view",
    "profile_view",
    "quote_view",
    "scan_row",
    "scan_view",
    "summary_view",
    "symbols_view",
    "top_oi_changes_view",
    "vex_view",
    "zero_dte_view",
]
