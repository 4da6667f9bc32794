"""The incremental simulator state: :class:`FlowState` over a fixed contract list (docs/flow.md).

A state holds integer counters only — per contract the contracts customers bought, sold
and traded unclassified, the number of prints of each and the largest print; the number of
trades of each code (:mod:`engine.flow.classify`); the latest timestamp seen; and a minute
table (premium by side and call/put, contracts and prints, per minute and contract group)
for windowed premium sums. The OI rules (:mod:`engine.flow.estimate`) and premium windows
(:mod:`engine.flow.premium`) are computed from these counters when asked.

Incremental contract
--------------------
``state.feed(batch)`` returns a new state and leaves ``state`` unchanged (its arrays are
read-only). Every counter is an int64 sum (or maximum) over trades, so feeding a day's
trades in any split into batches gives exactly the state of feeding them at once — in any
order, too: a batch older than ``last_timestamp`` is accepted and counted like any other
(trades arrive late and out of order; the timestamp only places a print in its minute
bucket). ``last_timestamp`` is the largest timestamp of any trade fed so far (excluded,
unmatched and invalid ones included; missing timestamps ignored). Feeding one batch
classifies it (O(batch)), adds it into a copy of the counters (a memcpy of
64 bytes per contract, so the previous state stays valid) and merges its minute buckets
into the table (O(buckets)); nothing of the day is replayed. Feeding the same trade twice
counts it twice: deduplication belongs to whoever reads the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.flow import _backend
from engine.flow._math import (
    COUNTED,
    MT_COLS,
    N_CODES,
    NO_TIMESTAMP,
    PC_COLS,
    PC_MAX,
    PC_TAG,
    US_PER_MINUTE,
)
from engine.flow.classify import TradeCounts, classify_tape
from engine.flow.conditions import EXCLUDED_BY_DEFAULT
from engine.flow.index import ContractIndex
from engine.flow.tape import Tape, check_excluded, to_tape
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = ["MAX_MULTIPLIER", "FlowState"]

MAX_MULTIPLIER = 1e6
"""Largest contract multiplier accepted (units of the underlying per contract)."""

_DENSE_SLACK = 1024  # minute keys of a batch go to a dense scratch table up to n + this rows


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _per_contract(values: npt.ArrayLike, n: int, name: str, dtype: type) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim == 0:
        a = np.broadcast_to(a, (n,))
    if a.shape != (n,):
        raise ValueError(f"{name} has shape {a.shape}, expected ({n},)")
    return np.array(a, dtype=dtype)  # an owned copy


def _counters(group: IntArray, is_call: BoolArray) -> IntArray:
    """Zero counters with each contract's tag in column ``PC_TAG``."""
    pc = np.zeros((group.shape[0], PC_COLS), dtype=np.int64)
    pc[:, PC_TAG] = 2 * group + (~is_call).astype(np.int64)
    return pc


def _official(values: npt.ArrayLike, n: int) -> IntArray:
    a = np.asarray(values)
    if a.shape != (n,):
        raise ValueError(f"official_oi has shape {a.shape}, expected ({n},)")
    f = a.astype(np.float64)
    if not (np.isfinite(f).all() and (f >= 0.0).all() and (f == np.round(f)).all()):
        raise ValueError("official_oi must be whole numbers >= 0")
    return a.astype(np.int64)


def _merge(
    keys: IntArray, table: IntArray, new_keys: IntArray, new_table: IntArray
) -> tuple[IntArray, IntArray]:
    """Sorted union of two minute tables, values of equal keys added.

    Only the rows of ``keys`` from ``new_keys[0]`` on are merged (live batches overlap the
    table's last minutes at most); the rows before are copied as they are.
    """
    if new_keys.shape[0] == 0:
        return keys, table
    cut = int(np.searchsorted(keys, new_keys[0]))
    if cut == keys.shape[0]:  # later minutes only
        return np.concatenate([keys, new_keys]), np.concatenate([table, new_table])
    tail = keys[cut:]
    union = np.union1d(tail, new_keys)
    merged = np.zeros((union.shape[0], MT_COLS), dtype=np.int64)
    merged[np.searchsorted(union, tail)] = table[cut:]
    merged[np.searchsorted(union, new_keys)] += new_table
    return np.concatenate([keys[:cut], union]), np.concatenate([table[:cut], merged])


@dataclass(frozen=True, eq=False)
class FlowState:
    """Counters of the day's classified trades over one chain (see the module docstring).

    Build with :meth:`start` or :meth:`from_chain`, then :meth:`feed` batches. Per-contract
    arrays follow the order of ``index.contracts``. ``group`` (0 ≤ group < ``n_groups``,
    with optional ``group_labels``) tags each contract for premium windows restricted to
    some groups — :meth:`from_chain` uses one group per expiration.

    Counters (read-only int64 arrays; read them through the properties below):
    ``per_contract`` has one row of 8 per contract — contracts bought, sold and traded
    unclassified by customers, the prints of each, the largest print, and a fixed tag
    ``2 · group + (0 call, 1 put)``; ``code_counts`` the trades per code
    (:data:`engine.flow.classify.CODE_NAMES`); ``minute_keys`` (sorted, ``minute · n_groups
    + group``, minutes since the epoch UTC) and ``minute_table`` (one row per key: premium
    of buys on calls, on puts, sells on calls, on puts, unclassified on calls, on puts in
    micro-dollars, then contracts bought, sold, unclassified, then prints of each).
    """

    index: ContractIndex
    official_oi: IntArray
    is_call: BoolArray
    multiplier: FloatArray
    group: IntArray
    n_groups: int
    group_labels: tuple[Any, ...] | None
    excluded: frozenset[str]
    per_contract: IntArray
    code_counts: IntArray
    last_timestamp: int | None
    minute_keys: IntArray
    minute_table: IntArray

    @classmethod
    def start(
        cls,
        contracts: ContractIndex | pl.Series | Iterable[str],
        official_oi: npt.ArrayLike,
        is_call: npt.ArrayLike,
        multiplier: npt.ArrayLike = 100.0,
        *,
        group: npt.ArrayLike | None = None,
        group_labels: Sequence[Any] | None = None,
        excluded: Iterable[str] = EXCLUDED_BY_DEFAULT,
    ) -> FlowState:
        """The state before any trade: contract ids (unique strings), the official (settled)
        open interest, call flags and multipliers, one per contract (scalars broadcast).
        ``contracts`` may be a :class:`ContractIndex` already built for the same list.

        ``ValueError`` for duplicate or null ids, OI that is not a whole number ≥ 0, a
        multiplier that is not finite in (0, 10⁶], or a negative group;
        ``ConfigurationError`` for an excluded condition outside the vocabulary.
        """
        index = (
            contracts if isinstance(contracts, ContractIndex) else ContractIndex.build(contracts)
        )
        n = len(index)
        names = check_excluded(excluded)
        official = _official(official_oi, n)
        calls = _per_contract(is_call, n, "is_call", np.bool_)
        mult = _per_contract(multiplier, n, "multiplier", np.float64)
        if not (np.isfinite(mult).all() and (mult > 0.0).all() and (mult <= MAX_MULTIPLIER).all()):
            raise ValueError(f"multiplier must be finite, > 0 and <= {MAX_MULTIPLIER:g}")
        groups = _per_contract(0 if group is None else group, n, "group", np.int64)
        if n and (groups.min() < 0 or groups.max() >= n):
            raise ValueError("group ids must be dense: 0 <= group < number of contracts")
        n_groups = int(groups.max()) + 1 if n else 1
        labels = None if group_labels is None else tuple(group_labels)
        if labels is not None and len(labels) < n_groups:
            raise ValueError(f"group_labels has {len(labels)} labels for {n_groups} groups")
        return cls(
            index=index,
            official_oi=_readonly(official),
            is_call=_readonly(calls),
            multiplier=_readonly(mult),
            group=_readonly(groups),
            n_groups=n_groups,
            group_labels=labels,
            excluded=names,
            per_contract=_readonly(_counters(groups, calls)),
            code_counts=_readonly(np.zeros(N_CODES, dtype=np.int64)),
            last_timestamp=None,
            minute_keys=_readonly(np.zeros(0, dtype=np.int64)),
            minute_table=_readonly(np.zeros((0, MT_COLS), dtype=np.int64)),
        )

    @classmethod
    def from_chain(
        cls, frame: pl.DataFrame, *, excluded: Iterable[str] = EXCLUDED_BY_DEFAULT
    ) -> FlowState:
        """The state for a canonical chain frame (``ChainSnapshot.frame``): columns
        ``contract``, ``open_interest``, ``is_call``, ``multiplier`` and, when present,
        ``expiration`` (one group per expiration, labels the sorted dates)."""
        missing = [
            c
            for c in ("contract", "open_interest", "is_call", "multiplier")
            if c not in frame.columns
        ]
        if missing:
            raise ValueError(f"chain frame lacks column(s) {missing}")
        for col in ("open_interest", "is_call", "multiplier"):
            if frame[col].null_count():
                raise ValueError(f"chain column {col} has nulls")
        group = labels = None
        if "expiration" in frame.columns and frame.height:
            exp = frame["expiration"]
            if exp.null_count():
                raise ValueError("chain column expiration has nulls")
            group = (exp.rank("dense") - 1).cast(pl.Int64).to_numpy()
            labels = exp.unique().sort().to_list()
        return cls.start(
            frame["contract"],
            frame["open_interest"].to_numpy(),
            frame["is_call"].to_numpy(),
            frame["multiplier"].to_numpy(),
            group=group,
            group_labels=labels,
            excluded=excluded,
        )

    # ------------------------------------------------------------------ inputs

    def tape(self, frame: pl.DataFrame) -> Tape:
        """``frame`` (``TRADES_SCHEMA`` columns) as a :class:`Tape` for this state."""
        return to_tape(frame, self.index, self.excluded)

    def check_tape(self, trades: pl.DataFrame | Tape) -> Tape:
        """``trades`` as a tape for this state (``ValueError`` for a tape made for another
        contract list or excluded set)."""
        if not isinstance(trades, Tape):
            return self.tape(trades)
        if trades.contracts_total != len(self) or trades.excluded != self.excluded:
            raise ValueError("the tape was made for another contract list or excluded set")
        return trades

    def feed(self, trades: pl.DataFrame | Tape) -> FlowState:
        """A new state with ``trades`` (a frame or a :class:`Tape`) added; ``self`` is unchanged."""
        tape = self.check_tape(trades)
        n = len(tape)
        if n == 0:
            return self
        cl = classify_tape(tape, self.multiplier)
        g = self.n_groups
        rank = np.zeros(0, dtype=np.int64)
        uniq = rank
        if cl.first > cl.last:  # no counted print
            base, minutes = 0, 0
        else:
            base = cl.first // US_PER_MINUTE
            minutes = cl.last // US_PER_MINUTE - base + 1
            if minutes * g > n + _DENSE_SLACK:  # minutes far apart (a stray old print)
                counted = cl.code >= COUNTED
                key = tape.timestamp[counted] // US_PER_MINUTE * g
                key += self.group[tape.index[counted]]
                uniq, inverse = np.unique(key, return_inverse=True)
                rank = np.zeros(n, dtype=np.int64)
                rank[counted] = inverse
        dense = rank.shape[0] == 0
        rows = minutes * g if dense else uniq.shape[0]  # at most n + _DENSE_SLACK
        per_contract = self.per_contract.copy()
        table = np.zeros((rows, MT_COLS), dtype=np.int64)
        _backend.accumulate(
            cl.code, tape.index, tape.timestamp, tape.size, cl.premium, rank, g, base,
            per_contract, table,
        )  # fmt: skip
        used = np.flatnonzero(table[:, 9] + table[:, 10] + table[:, 11])
        new_keys = used + base * g if dense else uniq[used]
        new_table = table[used]
        keys, merged = _merge(self.minute_keys, self.minute_table, new_keys, new_table)
        latest = cl.latest if self.last_timestamp is None else max(cl.latest, self.last_timestamp)
        return replace(
            self,
            per_contract=_readonly(per_contract),
            code_counts=_readonly(self.code_counts + cl.counts),
            last_timestamp=None if latest == NO_TIMESTAMP else latest,
            minute_keys=_readonly(np.ascontiguousarray(keys, dtype=np.int64)),
            minute_table=_readonly(np.ascontiguousarray(merged, dtype=np.int64)),
        )

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return len(self.index)

    @property
    def contracts(self) -> pl.Series:
        """The contract ids, in the order of every per-contract array."""
        return self.index.contracts

    @property
    def counts(self) -> TradeCounts:
        """Trades per outcome since the start."""
        return TradeCounts.from_codes(self.code_counts)

    @property
    def customer_buys(self) -> IntArray:
        """Contracts customers bought, per contract."""
        return self.per_contract[:, 0]

    @property
    def customer_sells(self) -> IntArray:
        """Contracts customers sold, per contract."""
        return self.per_contract[:, 1]

    @property
    def unclassified_volume(self) -> IntArray:
        """Contracts of unclassified prints (at the midpoint or without a valid quote)."""
        return self.per_contract[:, 2]

    @property
    def customer_net(self) -> IntArray:
        """``customer_buys − customer_sells`` per contract (a new array)."""
        return self.per_contract[:, 0] - self.per_contract[:, 1]

    @property
    def prints(self) -> IntArray:
        """Counted prints per contract (buys + sells + unclassified; a new array)."""
        return self.per_contract[:, 3:6].sum(axis=1)

    @property
    def largest_print(self) -> IntArray:
        """The largest counted print per contract (0 when none)."""
        return self.per_contract[:, PC_MAX]
