"""Shared pieces of the store tests: instants, demo snapshots built once, store helpers."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from data_adapters.demo import DemoSource
from data_adapters.store import SnapshotStore
from engine.chain import ChainSnapshot

FRI = datetime(2026, 1, 16, 21, 0, tzinfo=UTC)
"""Friday 2026-01-16 16:00 New York; Monday 2026-01-19 is a holiday (Martin Luther King Day)."""
FRI_AM = datetime(2026, 1, 16, 15, 0, tzinfo=UTC)
THU = datetime(2026, 1, 15, 21, 0, tzinfo=UTC)
TUE = datetime(2026, 1, 20, 21, 0, tzinfo=UTC)
WED_AM = datetime(2026, 1, 21, 15, 0, tzinfo=UTC)

_BUILT: dict[tuple[str, datetime, int], ChainSnapshot] = {}


def demo_snapshot(symbol: str, as_of: datetime, seed: int = 3) -> ChainSnapshot:
    """A demo snapshot, built once per test session."""
    key = (symbol, as_of, seed)
    if key not in _BUILT:
        _BUILT[key] = DemoSource(seed=seed).snapshot(symbol, as_of)
    return _BUILT[key]


def assert_same(a: ChainSnapshot, b: ChainSnapshot) -> None:
    """Header and frame equal, exactly: dtypes, nulls, NaN, -0.0 and float bits."""
    assert (a.underlying, a.as_of, a.source, a.fetched_at) == (
        b.underlying,
        b.as_of,
        b.source,
        b.fetched_at,
    )
    assert getattr(a, "warnings", ()) == getattr(b, "warnings", ())
    assert a.as_of.tzinfo is UTC and (a.fetched_at is None or a.fetched_at.tzinfo is UTC)
    for name in ("spot", "rate", "div_yield"):
        x, y = getattr(a, name), getattr(b, name)
        assert type(x) is type(y) and (x == y or (math.isnan(x) and math.isnan(y)))
        assert math.copysign(1, x) == math.copysign(1, y)
    assert a.frame.schema == b.frame.schema and a.frame.height == b.frame.height
    for name in a.frame.columns:
        left, right = a.frame[name], b.frame[name]
        assert left.is_null().equals(right.is_null()), name
        if left.dtype == pl.Float64:
            bits = [s.fill_null(0.0).to_numpy().view(np.uint64) for s in (left, right)]
            assert np.array_equal(bits[0], bits[1]), name
        else:
            assert left.equals(right), name


def tree(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file of a store but the lock and the journal."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in ("_writer.lock", "_writer.journal")
    }


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEX_CONFIG", "/dev/null")
    for name in ("GEX_STORE", "GEX_STORE_ROOT", "GEX_DEMO_CLOCK", "GEX_DEMO_SEED"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "store")
