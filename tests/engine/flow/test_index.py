"""Contract ids to positions: the hash table, the string check, collisions, pickling."""

from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.flow import ContractIndex
from tests.engine.flow.tapes import twins


def test_lookup_positions_and_misses() -> None:
    index = ContractIndex.build(["SPXW250303C05000000", "SPXW250303P05000000", "X"])
    ids = pl.Series(["X", "nope", None, "SPXW250303P05000000", "X", ""], dtype=pl.String)
    assert index.lookup(ids).tolist() == [2, -1, -1, 1, 2, -1]
    assert len(index) == 3
    assert index.lookup(pl.Series([], dtype=pl.String)).tolist() == []


def test_build_rejects_duplicates_nulls_and_non_strings() -> None:
    with pytest.raises(ValueError, match="unique"):
        ContractIndex.build(["A", "B", "A"])
    with pytest.raises(ValueError, match="null"):
        ContractIndex.build(pl.Series(["A", None]))
    with pytest.raises(ValueError, match="strings"):
        ContractIndex.build(pl.Series([1, 2]))


def test_empty_index() -> None:
    index = ContractIndex.build([])
    assert index.lookup(pl.Series(["A", None])).tolist() == [-1, -1]


def test_a_wrong_hit_is_mapped_exactly() -> None:
    # the table of [A, B] under the ids [B, A]: every hit fails the string check and must be
    # mapped by the exact join, as a hash collision would be
    good = ContractIndex.build(["A", "B"])
    swapped = ContractIndex(pl.Series("contract", ["B", "A"]), good.bits, good.keys, good.slots)
    assert swapped.lookup(pl.Series(["A", "B", "C", None])).tolist() == [1, 0, -1, -1]


def test_given_hashes_must_match() -> None:
    index = ContractIndex.build(["A"])
    with pytest.raises(ValueError, match="hashes"):
        index.lookup(pl.Series(["A", "B"]), np.zeros(1, dtype=np.uint64))


def test_pickle_rebuilds_the_table() -> None:
    index = ContractIndex.build(["A", "B", "C"])
    back = pickle.loads(pickle.dumps(index))
    assert back.contracts.to_list() == ["A", "B", "C"]
    assert np.array_equal(back.keys, index.keys)
    assert back.lookup(pl.Series(["C", "A"])).tolist() == [2, 0]


@settings(max_examples=40)
@given(
    ids=st.lists(st.text(max_size=6), unique=True, max_size=60),
    probe=st.lists(st.text(max_size=6), max_size=40),
)
def test_kernel_equals_twin_and_a_join(ids: list[str], probe: list[str]) -> None:
    with twins(False):
        k = ContractIndex.build(ids)
        got_k = k.lookup(pl.Series(probe + ids, dtype=pl.String))
    with twins(True):
        t = ContractIndex.build(ids)
        got_t = t.lookup(pl.Series(probe + ids, dtype=pl.String))
    assert np.array_equal(k.keys, t.keys)
    assert np.array_equal(k.slots, t.slots)
    assert np.array_equal(got_k, got_t)
    want = [ids.index(x) if x in ids else -1 for x in probe + ids]
    assert got_k.tolist() == want
