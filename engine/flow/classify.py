"""Classifying trades against the NBBO in force when they printed (docs/flow.md).

Each trade gets exactly one code, the first that applies, in this order:

``excluded``    its condition is in the excluded set (default
                :data:`engine.flow.conditions.EXCLUDED_BY_DEFAULT`);
``unmatched``   its contract id is null or not in the chain's contract list;
``invalid``     size ≤ 0 (or missing, or above 10⁹), price missing, not finite, ≤ 0 on the
                micro-dollar grid or above $10⁹, price · size · multiplier above $10¹⁰, or no
                timestamp — never used, only counted;
``no_quote``    unclassified: bid or ask missing or not finite, bid < 0, ask above $10⁹, or
                a locked (bid = ask) or crossed (bid > ask) quote — ask ≤ 0 is one of these;
``at_mid``      unclassified: strictly inside the spread and exactly at the midpoint;
``buy``         customer buy: price ≥ ask, or strictly inside and nearer the ask;
``sell``        customer sell: price ≤ bid, or strictly inside and nearer the bid.

Prices are compared on a grid of one micro-dollar, so "exactly at the midpoint" is an
exact integer test (``2·price = bid + ask``). A locked quote gives no side: a print at a
locked price is as much at the bid as at the ask. The last four codes are the *counted*
prints (their size is volume of the chain); the first three are only counted as trades.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.flow import _backend
from engine.flow._math import (
    AT_MID,
    BUY,
    CODE_NAMES,
    EXCLUDED,
    INVALID,
    N_CODES,
    NO_QUOTE,
    SELL,
    UNMATCHED,
)
from engine.flow.tape import Tape
from engine.typing import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from engine.flow.state import FlowState

__all__ = [
    "AT_MID",
    "BUY",
    "CODE_NAMES",
    "EXCLUDED",
    "INVALID",
    "NO_QUOTE",
    "SELL",
    "UNMATCHED",
    "Classified",
    "TradeCounts",
    "classify",
    "classify_tape",
    "counted_mask",
]


class TradeCounts(NamedTuple):
    """How many trades got each outcome (trades, not contracts).

    ``trades_seen = customer_buys + customer_sells + unclassified + excluded_condition +
    unmatched_contract + invalid`` and ``unclassified = unclassified_at_mid +
    unclassified_no_quote``.
    """

    trades_seen: int
    customer_buys: int
    customer_sells: int
    unclassified: int
    unclassified_at_mid: int
    unclassified_no_quote: int
    excluded_condition: int
    unmatched_contract: int
    invalid: int

    @classmethod
    def from_codes(cls, counts: npt.ArrayLike) -> TradeCounts:
        """From the number of trades per code (length ``len(CODE_NAMES)``)."""
        c = [int(x) for x in np.asarray(counts, dtype=np.int64)]
        if len(c) != N_CODES:
            raise ValueError(f"expected {N_CODES} code counts, got {len(c)}")
        return cls(
            trades_seen=sum(c),
            customer_buys=c[BUY],
            customer_sells=c[SELL],
            unclassified=c[AT_MID] + c[NO_QUOTE],
            unclassified_at_mid=c[AT_MID],
            unclassified_no_quote=c[NO_QUOTE],
            excluded_condition=c[EXCLUDED],
            unmatched_contract=c[UNMATCHED],
            invalid=c[INVALID],
        )


class Classified(NamedTuple):
    """Per-trade results of :func:`classify_tape` (arrays of the tape's length).

    ``code``: int8 code (index into :data:`CODE_NAMES`); ``premium``: grid price · size ·
    multiplier in micro-dollars of counted prints (0 otherwise); ``first``/``last``: the
    smallest and largest timestamp of the counted prints (``first > last`` when none);
    ``latest``: the largest timestamp of any trade (``NO_TIMESTAMP`` when none);
    ``counts``: the number of trades per code.
    """

    code: npt.NDArray[np.int8]
    premium: IntArray
    first: int
    last: int
    latest: int
    counts: IntArray


def classify_tape(tape: Tape, multiplier: FloatArray) -> Classified:
    """Classify every trade of ``tape`` (``multiplier``: one per contract of its list)."""
    n = len(tape)
    code = np.empty(n, dtype=np.int8)
    premium = np.empty(n, dtype=np.int64)
    mult = np.empty(n, dtype=np.float64)
    bounds = np.zeros(3, dtype=np.int64)
    counts = np.zeros(N_CODES, dtype=np.int64)
    if multiplier.shape[0] == 0:  # no contract: every index is -1
        multiplier = np.ones(1)
    _backend.take(multiplier, tape.index, 1.0, mult)
    _backend.classify(
        tape.index,
        tape.timestamp,
        tape.price,
        tape.size,
        tape.eligible,
        tape.bid,
        tape.ask,
        mult,
        code,
        premium,
        bounds,
        counts,
    )
    return Classified(code, premium, int(bounds[0]), int(bounds[1]), int(bounds[2]), counts)


def classify(state: FlowState, trades: pl.DataFrame | Tape) -> npt.NDArray[np.int8]:
    """The code of every trade of ``trades`` against ``state``'s chain and excluded set.

    ``np.asarray(CODE_NAMES)[codes]`` gives the names (``"buy"``, ``"sell"``, ``"at_mid"``…);
    the state is not changed.
    """
    tape = state.check_tape(trades)
    return classify_tape(tape, state.multiplier).code


def counted_mask(codes: npt.NDArray[np.int8]) -> BoolArray:
    """True for the counted prints (``no_quote``, ``at_mid``, ``buy``, ``sell``)."""
    return np.asarray(codes >= NO_QUOTE, dtype=np.bool_)
