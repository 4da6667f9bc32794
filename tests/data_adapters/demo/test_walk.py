"""Deterministic price paths."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from data_adapters.demo import walk
from data_adapters.demo.named import index_level
from data_adapters.demo.noise import key
from data_adapters.demo.sessions import trading_day
from data_adapters.demo.universe import STANDARD

NY = ZoneInfo("America/New_York")


def _day(d: date, hour: int = 12):  # type: ignore[no-untyped-def]
    return trading_day(datetime.combine(d, time(hour), tzinfo=NY))


def _path(seed: int, d: date, fractions: list[float]) -> walk.Path:
    keys = np.array([key("p", 1), key("p", 2)], dtype=np.uint64)
    return walk.path(
        seed,
        keys,
        np.array([100.0, 50.0]),
        np.array([1.0, 1.5]),
        np.array([0.0, 0.3]),
        _day(d),
        fractions,
    )


def test_paths_are_deterministic_and_seeded() -> None:
    a = _path(3, date(2024, 6, 12), [0.0, 0.5, 1.0])
    b = _path(3, date(2024, 6, 12), [0.0, 0.5, 1.0])
    assert np.array_equal(a.spots, b.spots)
    assert not np.array_equal(a.spots, _path(4, date(2024, 6, 12), [0.0, 0.5, 1.0]).spots)


def test_the_bridge_joins_the_closes() -> None:
    p = _path(3, date(2024, 6, 12), [0.0, 0.25, 1.0])
    np.testing.assert_allclose(p.spots[:, 0], p.prev_close, rtol=1e-14)
    np.testing.assert_allclose(p.spots[:, 2], p.close, rtol=1e-14)
    nxt = _path(3, date(2024, 6, 13), [0.0])
    np.testing.assert_allclose(nxt.prev_close, p.close, rtol=1e-12)
    assert np.all(p.spots[:, 1] != p.spots[:, 0])


def test_levels_stay_realistic_for_decades() -> None:
    levels = []
    for years in range(0, 30, 3):
        d = date(1995, 3, 1) + timedelta(days=365 * years)
        prev, _ = index_level(STANDARD["SPX"], 0, _day(d), np.array([0.0]))
        levels.append(prev)
    assert min(levels) > 3500 and max(levels) < 10000


def test_followers_track_their_driver() -> None:
    d = _day(date(2024, 6, 12))
    frac = np.array([0.1, 0.7])
    _, spx = index_level(STANDARD["SPX"], 5, d, frac)
    _, spy = index_level(STANDARD["SPY"], 5, d, frac)
    _, es = index_level(STANDARD["ES=F"], 5, d, frac)
    np.testing.assert_allclose(spy, spx * 0.0998, rtol=1e-14)
    np.testing.assert_array_equal(es, spx)


def test_regime_is_bounded_and_daily() -> None:
    values = [walk.regime(seed, 9000 + i) for seed in range(3) for i in range(0, 2000, 50)]
    assert min(values) >= 0.75 and max(values) <= 2.2
    assert len(set(values)) > 10
    assert walk.market_factor(1).flags.writeable is False
    assert walk.market_factor(1) is walk.market_factor(1)
    assert trading_day(datetime(2024, 6, 12, 15, tzinfo=UTC)).index > walk.WINDOW
