"""Contract ids to positions in the chain's contract list, O(batch) per lookup.

A :class:`ContractIndex` is built once per chain: polars hashes every id to 64 bits and a
compiled open-addressing table maps hash -> position. A batch of trade ids is then hashed
(vectorized), looked up in the table (a kernel), and every hit is checked by comparing the
strings themselves, so a hash collision can never attach a trade to the wrong contract: the
few rows that fail the check (none, in practice) are mapped exactly by a polars join. Trades
whose id is null or absent from the chain get -1 (a null id hashes to some value too; the
string check turns a hit of one into -1).

The table depends on polars' hash function, which polars keeps stable within one version
only; pickling therefore stores the ids alone and rebuilds the table on loading.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.flow import _backend
from engine.typing import IntArray

__all__ = ["ContractIndex", "hash_expr"]

_SEED = 0


def hash_expr(ids: pl.Expr) -> pl.Expr:
    """The 64-bit hash the index uses, as a polars expression over String ids."""
    return ids.hash(seed=_SEED)


def _hashes(ids: pl.Series) -> npt.NDArray[np.uint64]:
    return np.ascontiguousarray(ids.hash(seed=_SEED).to_numpy(), dtype=np.uint64)


def _as_ids(contracts: pl.Series | Iterable[str]) -> pl.Series:
    if isinstance(contracts, pl.Series):
        s = contracts
    else:
        s = pl.Series(list(contracts), dtype=pl.String)
    if s.dtype != pl.String:
        raise ValueError(f"contract ids must be strings, got {s.dtype}")
    return s.rename("contract")


@dataclass(frozen=True, eq=False)
class ContractIndex:
    """The chain's contract ids (``contracts``, position = index) and their hash table."""

    contracts: pl.Series
    bits: int
    keys: npt.NDArray[np.uint64]
    slots: IntArray

    @classmethod
    def build(cls, contracts: pl.Series | Iterable[str]) -> ContractIndex:
        """Index ``contracts`` (unique, non-null strings; ``ValueError`` otherwise)."""
        ids = _as_ids(contracts)
        if ids.null_count():
            raise ValueError("contract ids must not be null")
        if ids.n_unique() != ids.len():
            dup = ids.filter(ids.is_duplicated()).unique().sort().head(3).to_list()
            raise ValueError(f"contract ids must be unique; repeated: {dup}")
        bits = max(4, int(2 * max(ids.len(), 1) - 1).bit_length())  # load factor <= 1/2
        keys = np.zeros(1 << bits, dtype=np.uint64)
        slots = np.full(1 << bits, -1, dtype=np.int64)
        if ids.len():
            _backend.build_index(_hashes(ids), bits, keys, slots)
        keys.setflags(write=False)
        slots.setflags(write=False)
        return cls(ids, bits, keys, slots)

    def __len__(self) -> int:
        return self.contracts.len()

    def __reduce__(self) -> tuple[Any, ...]:
        return (ContractIndex.build, (self.contracts,))

    def lookup(self, ids: pl.Series, hashes: npt.ArrayLike | None = None) -> IntArray:
        """Position of each id of ``ids`` (a String series) in ``contracts``, -1 when absent.

        ``hashes``: the ids' :func:`hash_expr` values when the caller has them already.
        """
        ids = _as_ids(ids)
        n = ids.len()
        out = np.empty(n, dtype=np.int64)
        if n == 0:
            return out
        h = _hashes(ids) if hashes is None else np.ascontiguousarray(hashes, dtype=np.uint64)
        if h.shape != (n,):
            raise ValueError(f"hashes has shape {h.shape}, expected ({n},)")
        _backend.lookup(h, self.bits, self.keys, self.slots, out)
        hit = out >= 0
        if not hit.any():
            return out
        # check every hit against the id itself (a null id fails the check too)
        same = (
            pl.DataFrame({"id": ids, "pos": np.where(hit, out, 0)})
            .select((pl.col("id") == pl.lit(self.contracts).gather(pl.col("pos"))).fill_null(False))
            .to_series()
            .to_numpy()
        )
        wrong = hit & ~same
        if wrong.any():  # a hash collision: map those rows exactly
            out[wrong] = self._exact(ids.filter(pl.Series(wrong)))
        return out

    def _exact(self, ids: pl.Series) -> IntArray:
        table = pl.DataFrame(
            {"contract": self.contracts, "_pos": np.arange(len(self), dtype=np.int64)}
        )
        joined = ids.to_frame("contract").join(
            table, on="contract", how="left", maintain_order="left"
        )
        return joined["_pos"].fill_null(-1).to_numpy().astype(np.int64, copy=False)
