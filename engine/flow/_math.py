"""Shared scalar math of the OI simulator: trade codes, the price grid and the NBBO side rule.

Private to :mod:`engine.flow`. Each helper is written once as plain Python (``*_py``, what
the twins call) and compiled from the same source with :func:`engine._jit.scalar` (what the
kernels call), so the two can only differ in their loops.

Prices are compared on a grid of one micro-dollar (``round(price · 10⁶)`` as an integer):
``2·price = bid + ask`` is then an exact integer test instead of a float one that
``1.05 − 1.00`` versus ``1.10 − 1.05`` would get wrong. OPRA prices have four decimals, so
the grid loses nothing.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from engine._jit import scalar

__all__ = [
    "AT_MID",
    "BUY",
    "CODE_NAMES",
    "COUNTED",
    "EXCLUDED",
    "GRID",
    "INVALID",
    "MAX_NOTIONAL_MICROS",
    "MAX_PRICE",
    "MAX_SIZE",
    "MT_COLS",
    "NO_QUOTE",
    "NO_TIMESTAMP",
    "N_CODES",
    "PC_COLS",
    "PC_MAX",
    "PC_TAG",
    "SELL",
    "UNMATCHED",
    "US_PER_MINUTE",
    "premium_micros",
    "premium_micros_py",
    "trade_code",
    "trade_code_py",
]

# Per-trade codes, in the order they are tested (a trade gets the first that applies).
EXCLUDED: Final = 0  # its condition is in the excluded set
UNMATCHED: Final = 1  # its contract is not in the chain's contract list
INVALID: Final = 2  # size or price unusable, or no timestamp
NO_QUOTE: Final = 3  # unclassified: no valid NBBO (missing, negative bid, locked, crossed)
AT_MID: Final = 4  # unclassified: exactly at the NBBO midpoint
BUY: Final = 5  # customer buy: at or above the ask, or nearer the ask
SELL: Final = 6  # customer sell: at or below the bid, or nearer the bid
N_CODES: Final = 7
COUNTED: Final = NO_QUOTE  # codes >= COUNTED are prints of the chain that count as volume
CODE_NAMES: Final = ("excluded", "unmatched", "invalid", "no_quote", "at_mid", "buy", "sell")

GRID: Final = 1e6  # grid points per dollar: prices are compared in micro-dollars
MAX_PRICE: Final = 1e9  # dollars; a larger price or quote is garbage (and keeps the grid exact)
MAX_SIZE: Final = 1_000_000_000  # contracts in one print
MAX_NOTIONAL_MICROS: Final = 1e16  # price · size · multiplier of one print: $10 billion
NO_TIMESTAMP: Final = -(2**63)  # a missing timestamp in a tape's int64 microseconds
US_PER_MINUTE: Final = 60_000_000

# Sides of a counted print: 0 customer buy, 1 customer sell, 2 unclassified.
# Per-contract counters (FlowState.per_contract, shape (contracts, PC_COLS), one 64-byte row
# per contract so a print touches one cache line): column ``s`` the contracts traded on side
# ``s``, column ``3 + s`` the number of prints, column PC_MAX the largest print, and column
# PC_TAG the contract's tag ``2 · group + (0 call, 1 put)`` (fixed; read with the counters). Minute table (FlowState.minute_table, shape (buckets, MT_COLS)): column ``2·s`` the
# call premium and ``2·s + 1`` the put premium of side ``s`` (micro-dollars), ``6 + s`` the
# contracts and ``9 + s`` the prints.
PC_COLS: Final = 8
PC_MAX: Final = 6
PC_TAG: Final = 7
MT_COLS: Final = 12


def trade_code_py(
    eligible: bool,
    j: int,
    ts: int,
    price: float,
    size: int,
    mult: float,
    bid: float,
    ask: float,
) -> int:
    """The code of one trade (module constants); ``j`` is its contract index or -1.

    Written without branches (every test computed, then selected) so the compiled loop has
    no unpredictable jumps; NaN fails every comparison, which makes it invalid or no-quote.
    """
    qp = np.floor(price * GRID + 0.5)
    qb = np.floor(bid * GRID + 0.5)
    qa = np.floor(ask * GRID + 0.5)
    valid = (ts != NO_TIMESTAMP) & (size > 0) & (size <= MAX_SIZE)
    valid = valid & (price > 0.0) & (price <= MAX_PRICE) & (qp > 0.0)
    valid = valid & (qp * size * mult <= MAX_NOTIONAL_MICROS)
    quoted = (bid >= 0.0) & (ask <= MAX_PRICE) & (qa > qb)  # not locked, not crossed
    s = 2.0 * qp - qb - qa  # exact: integers below 2**53
    buy = (qp >= qa) | ((qp > qb) & (s > 0.0))
    sell = (qp <= qb) | ((qp < qa) & (s < 0.0))
    side = BUY if buy else (SELL if sell else AT_MID)
    quote = side if quoted else NO_QUOTE
    checked = quote if valid else INVALID
    matched = checked if j >= 0 else UNMATCHED
    return matched if eligible else EXCLUDED


def premium_micros_py(price: float, size: int, mult: float) -> float:
    """Premium of one valid print in micro-dollars (a whole number as a float): grid price
    · size · multiplier, rounded. Rounded per print, so sums of these (as integers) do not
    depend on how the tape is split."""
    return float(np.floor(np.floor(price * GRID + 0.5) * size * mult + 0.5))


trade_code = scalar(trade_code_py)
premium_micros = scalar(premium_micros_py)
