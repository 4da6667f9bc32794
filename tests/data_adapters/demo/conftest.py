"""Shared instants and cached demo snapshots for the demo tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from data_adapters.demo import DemoSource
from data_adapters.demo.expiries import KINDS
from data_adapters.demo.market import MarketFrame
from data_adapters.demo.sessions import to_us
from data_adapters.demo.slices import Slices
from engine.chain import ChainSnapshot
from engine.settlement import settlement_instant

FRIDAY = datetime(2025, 1, 17, 15, 0, tzinfo=UTC)
"""Friday 10:00 New York, the January 2025 monthly expiration day (SPX AM-settled at 09:30)."""
WEDNESDAY = datetime(2024, 6, 12, 17, 30, tzinfo=UTC)
"""Wednesday 13:30 New York, an ordinary session."""


@pytest.fixture(scope="session")
def demo() -> DemoSource:
    return DemoSource(seed=11)


@pytest.fixture(scope="session")
def friday_snapshots(demo: DemoSource) -> dict[str, ChainSnapshot]:
    """Every named symbol's snapshot at :data:`FRIDAY` (built once per test session)."""
    return {symbol: demo.snapshot(symbol, FRIDAY) for symbol in demo.symbols()}


@pytest.fixture(scope="session")
def market_frame() -> MarketFrame:
    """The full market universe (seed 0) at :data:`WEDNESDAY` (built once per test session)."""
    return DemoSource(seed=0, universe="market").market(WEDNESDAY)


EXPIRIES = [date(2024, 6, 12), date(2024, 6, 21), date(2024, 9, 20), date(2025, 1, 17)]


def make_slices(owners: tuple[int, ...] = (0, 1), future: bool = False) -> Slices:
    """Hand-made slices: each owner gets monthly-like expiries of a $100 stock (or ES)."""
    rows = [(o, e) for o in owners for e in EXPIRIES]
    n = len(rows)
    root = "ES" if future else "XYZ"
    ones = np.ones(n)
    return Slices(
        owner=np.array([o for o, _ in rows], dtype=np.int64),
        key=np.array([1000 * o + i for i, (o, _) in enumerate(rows)], dtype=np.uint64),
        root=np.array([root] * n),
        style=np.array(["american"] * n),
        model=np.array(["black76" if future else "bsm"] * n),
        osi=np.full(n, not future),
        expiration=np.array([e for _, e in rows], dtype="datetime64[D]"),
        settlement_us=np.array(
            [to_us(settlement_instant(root, e, "bsm")) for _, e in rows], dtype=np.int64
        ),
        kind=np.array([KINDS.index("monthly")] * n, dtype=np.int8),
        multiplier=ones * 100,
        underlying=ones * 101.0,
        reference=ones * 100.0,
        q=ones * 0.01,
        atm_short=ones * 0.3,
        atm_long=ones * 0.32,
        wing=ones * 0.1,
        skew=ones * 0.05,
        grid_vol=ones * 0.3,
        steps_milli=np.tile(np.array([1000, 5000, 10000]), (n, 1)),
        round_milli=np.full(n, 10000, dtype=np.int64),
        width=ones,
        oi_scale=ones * 1000,
        scheme=np.ones(n, dtype=np.int8),
    )
