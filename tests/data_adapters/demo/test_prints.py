"""How day volumes become prints: exact sums, times inside the session, independence, and a
snapshot's shortcut (``volume_at``) agreeing with the whole day's prints at every instant."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from data_adapters.demo.noise import hashes
from data_adapters.demo.prints import (
    BINS,
    MAX_SIZE,
    DayPrints,
    day_prints,
    edges,
    sizes,
    split,
    volume_at,
)

OPEN = 1_718_199_000_000_000  # 2024-06-12 13:30 UTC
CLOSE = OPEN + 390 * 60_000_000
Int = npt.NDArray[np.int64]


def _rows(volumes: list[int], early: list[bool]) -> tuple[npt.NDArray[np.uint64], Int, Int]:
    noise = hashes(12345, np.arange(len(volumes)))
    ends = np.where(np.array(early, dtype=bool), OPEN + 7_200_000_001, CLOSE).astype(np.int64)
    return noise, np.array(volumes, dtype=np.int64), ends


def _summed(prints: DayPrints, n: int, as_of: int) -> Int:
    weights = np.where(prints.stamp <= as_of, prints.size, 0)
    return np.bincount(prints.row, weights=weights, minlength=n).astype(np.int64)


VOLUMES = st.lists(
    st.one_of(st.integers(0, 60), st.integers(0, 3_000), st.integers(2_000, 80_000)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40)
@given(VOLUMES, st.data())
def test_volume_at_is_the_day_prints_summed(volumes: list[int], data: st.DataObject) -> None:
    early = data.draw(st.lists(st.booleans(), min_size=len(volumes), max_size=len(volumes)))
    noise, volume, ends = _rows(volumes, early)
    prints = day_prints(noise, volume, OPEN, ends)
    assert (np.bincount(prints.row, weights=prints.size, minlength=volume.size) == volume).all()
    assert (prints.size >= 1).all()
    assert (prints.stamp > OPEN).all() and (prints.stamp < ends[prints.row]).all()
    bounds = edges(OPEN, CLOSE, np.arange(BINS + 1))
    probes = data.draw(
        st.lists(
            st.one_of(
                st.integers(OPEN - 5, CLOSE + 5),
                st.sampled_from(bounds.tolist()).flatmap(lambda b: st.integers(b - 1, b + 1)),
                st.sampled_from(prints.stamp.tolist() or [OPEN]),
            ),
            min_size=1,
            max_size=6,
        )
    )
    for as_of in [*probes, OPEN, OPEN + 1, CLOSE - 1, CLOSE]:
        expected = np.where(as_of >= ends, volume, _summed(prints, volume.size, as_of))
        assert (volume_at(noise, volume, OPEN, ends, as_of) == expected).all(), as_of


def test_a_contract_prints_the_same_alone() -> None:
    noise, volume, ends = _rows([5, 0, 700, 45_000, 12, 3_000], [False] * 6)
    whole = day_prints(noise, volume, OPEN, ends)
    for row in range(volume.size):
        alone = day_prints(noise[row : row + 1], volume[row : row + 1], OPEN, ends[row : row + 1])
        mine = whole.row == row
        order = np.lexsort((whole.seq[mine], whole.bin[mine]))
        for field in ("bin", "seq", "size", "stamp"):
            assert (getattr(alone, field) == getattr(whole, field)[mine][order]).all()


def test_busy_contracts_trade_all_day_and_thin_ones_in_bursts() -> None:
    noise = hashes(99, np.arange(400))
    volume = np.repeat(np.array([20, 50_000]), 200).astype(np.int64)
    prints = day_prints(noise, volume, OPEN, np.full(400, CLOSE))
    busy = prints.row >= 200
    thin_bins = [np.unique(prints.bin[prints.row == r]).size for r in range(200)]
    busy_bins = [np.unique(prints.bin[prints.row == r]).size for r in range(200, 400)]
    assert np.median(thin_bins) <= 3 and min(busy_bins) >= BINS - 2
    blocks = prints.bin == -1
    assert blocks.any() and not (blocks & ~busy).any()  # only busy contracts print blocks
    share = np.bincount(prints.row[blocks], weights=prints.size[blocks], minlength=400)
    assert (share <= volume // 4).all()


def test_the_size_law() -> None:
    u = (np.arange(1_000_000) + 0.5) / 1_000_000
    s = sizes(u)
    assert s.min() == 1 and s.max() == MAX_SIZE
    assert abs((s == 1).mean() - 0.5) < 0.001 and abs((s <= 10).mean() - 10 / 11) < 0.001
    cut = split(hashes(7, np.arange(5)), np.array([0, 1, 2, 300, 10_000], dtype=np.int64))
    assert np.bincount(cut.item, weights=cut.size, minlength=5).tolist() == [0, 1, 2, 300, 10_000]
    assert (np.diff(cut.item) >= 0).all()


def test_bins_follow_the_u() -> None:
    bounds = edges(OPEN, CLOSE, np.arange(BINS + 1))
    assert bounds[0] == OPEN + 1 and bounds[-1] == CLOSE and (np.diff(bounds) > 0).all()
    widths = np.diff(bounds)
    assert widths[0] < 0.5 * widths[BINS // 2] and widths[-1] < 0.5 * widths[BINS // 2]
