"""Everything read off priced contracts: profile, flip, levels, hedging, 0DTE, narrative.

==============================  ===========================================================
module                          what it holds
==============================  ===========================================================
``engine.analysis.single``      :func:`analyze` of one chain (a market of one underlying)
``engine.analysis.market``      :func:`analyze_market` of every underlying at once
``engine.analysis.contracts``   :class:`Contracts`: priced contracts as one struct of arrays
``engine.analysis.stages``      the stages both run after pricing (strike sums, profile grid)
``engine.analysis.report``      one chain's strike table, levels, max pain, data quality
``engine.analysis.options``     the options :func:`analyze` accepts
``engine.analysis.presets``     presets (native, perfiliev, …) and their knobs
``engine.analysis.perfiliev``   the open GEX script's method, reproduced exactly
``engine.analysis.profile``     the gamma profile (net GEX against price) and its terms
``engine.analysis.flip``        crossings and the gamma flip, of one or many underlyings
``engine.analysis.segmented``   segmented kernels (profile, strike groups and sums, walls)
``engine.analysis.levels``      walls, max ±gamma, highest OI, max pain
``engine.analysis.hedging``     dealer hedging estimates for price moves
``engine.analysis.zero_dte``    the same-day block
``engine.analysis.narrative``   the regime and the interpretation sentences
``engine.analysis.changes``     day-over-day open-interest changes
==============================  ===========================================================
"""

from __future__ import annotations

from engine.analysis.market import MarketAnalysis, analyze_market
from engine.analysis.single import Analysis, analyze

__all__ = ["Analysis", "MarketAnalysis", "analyze", "analyze_market"]
