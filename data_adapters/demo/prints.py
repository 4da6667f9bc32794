"""How a contract's volume for the day becomes prints: when, how many and how big.

Both the snapshot's ``volume`` and the trade tape come from here, so the two agree exactly: a
contract's ``volume`` in a snapshot at ``as_of`` is the sum of the sizes of its prints stamped
at or before ``as_of`` (0 before the open, the whole day after the close); ``trades`` adds
the excluded re-reports, which are not volume.

1. **Day volume** (``chains.day_volumes``): an integer per contract, 0 for a contract that
   settles at or before the open.
2. **Intraday law**: activity follows a U over the session. In the law's quantile ``x``
   (uniform in [0, 1]) the session fraction is ``x - U_SHAPE · sin(2πx) / 2π``: prints come at
   about 2.2 times the average rate at the open and the close and 0.65 times at midday (about
   15 % of them in each of the first and the last half-hour). The session is cut into
   :data:`BINS` bins of equal quantile width (3 minutes at the open, 9 at noon). Stamps are
   whole microseconds strictly between the open and the contract's last instant (the close,
   or its settlement when earlier).
3. **Blocks**: a contract trading at least :data:`BLOCK_MIN_VOLUME` lots has
   :data:`MAX_BLOCKS` candidate blocks, each there with probability
   ``volume / (BLOCK_EVERY · MAX_BLOCKS)`` (about one block per ``BLOCK_EVERY`` lots), of a
   round size from :data:`BLOCKS` (500 to 5,000 lots), kept while the blocks add up to at most
   a quarter of the contract's volume, each at a time drawn from the intraday law.
4. **Cascade**: the rest of the volume is split between the two halves of the session, each
   half between its two halves, and so on down to the bins. A node of ``v`` lots goes whole to
   one half (either, evenly) with probability ``exp(-v / LUMP)``, else its earlier half
   gets ``floor(v·p + r)`` with ``r`` uniform and ``p`` uniform in ``1/2 ± SWING / 2``: a
   thin contract trades in one or two bursts, a busy one all through the day with some ebb
   and flow.
5. **Prints**: each bin's volume is cut into prints drawn one after another from the size
   law until they add up to it (the last one cut to what is left), each stamped at a quantile
   drawn uniformly within the bin. Size law: ``min(floor(1 / v), MAX_SIZE)`` with ``v``
   uniform, a discrete Pareto tail (``P(size ≥ k) = 1/k``). Over an SPX day: about half the
   prints are single lots, 93 % at most 10 lots, 0.7 % over 50 and some sixty are blocks;
   the mean is about 4 lots (thin contracts print small).

Every draw is :mod:`noise` keyed by the contract's per-row noise, a purpose and the node,
block or print number, so a contract's prints depend on nothing else: a snapshot of a few
slices (or of one stock) gets exactly the numbers of the whole day's tape. A snapshot inside
the session walks the cascade down to the bin holding ``as_of`` (``log2(BINS)`` steps per
contract, adding up the earlier halves it passes) and draws only that bin's prints; the tape
draws every bin. Everything is vectorized (no per-print Python).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from data_adapters.demo.noise import hashes, uniforms

__all__ = [
    "BINS",
    "BLOCKS",
    "BLOCK_EVERY",
    "BLOCK_MIN_VOLUME",
    "LUMP",
    "MAX_BLOCKS",
    "MAX_SIZE",
    "SWING",
    "U_SHAPE",
    "DayPrints",
    "Prints",
    "day_prints",
    "edges",
    "sizes",
    "split",
    "volume_at",
]

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

CASCADE, SIZE, TIME, BLOCK = 7, 8, 9, 10
"""Purpose ids of the per-row noise streams (``chains`` uses 1-6, ``trades`` 11 and up)."""

LEVELS: Final = 6
BINS: Final = 2**LEVELS
"""Time bins per session (the cascade's depth is ``log2(BINS)``)."""
U_SHAPE: Final = 0.55
"""Depth of the intraday U: activity runs at ``1 / (1 - U_SHAPE · cos 2πx)`` of the average."""
LUMP: Final = 150.0
"""A cascade node of ``v`` lots goes whole to one half with probability ``exp(-v / LUMP)``."""
SWING: Final = 0.3
"""Otherwise its earlier half gets a share uniform within ``1/2 ± SWING / 2``."""
MAX_SIZE: Final = 300
"""The largest ordinary print; larger ones are blocks."""
BLOCKS: Final = np.array([500, 500, 500, 1000, 1000, 1000, 1500, 2000, 2500, 5000])
"""Block sizes, drawn uniformly from this list (round numbers, 500 and 1,000 most often)."""
BLOCK_EVERY: Final = 20_000
"""About one block per this many lots of a contract's volume."""
BLOCK_MIN_VOLUME: Final = 4 * 500
"""Contracts trading fewer lots have no blocks."""
MAX_BLOCKS: Final = 8
"""Candidate blocks per contract."""
_BATCH: Final = 5
"""The first batch draws ``ceil(volume / _BATCH) + 2`` candidate prints per node."""


def _fractions(x: Float) -> Float:
    """Session fractions of the intraday law at its quantiles ``x`` in [0, 1]."""
    return np.clip(x - U_SHAPE * np.sin(2.0 * np.pi * x) / (2.0 * np.pi), 0.0, 1.0)


_EDGE_FRACTIONS: Final = _fractions(np.arange(BINS + 1) / BINS)
_EDGE_FRACTIONS.setflags(write=False)


def sizes(u: Float) -> Int:
    """Ordinary print sizes from uniforms in (0, 1) (see the module docstring)."""
    return np.minimum(np.floor(1.0 / u), MAX_SIZE).astype(np.int64)


def edges(open_us: int, end_us: Int | int, k: Int | int) -> Int:
    """The first microsecond of bin ``k`` (``k = BINS``: ``end_us``) for a contract trading
    from ``open_us`` to ``end_us``: stamps run from ``open_us + 1`` to ``end_us - 1``."""
    span = np.asarray(end_us, dtype=np.int64) - open_us - 1
    return open_us + 1 + np.floor(_EDGE_FRACTIONS[k] * span).astype(np.int64)


def _stamps(frac: Float, open_us: int, end_us: Int) -> Int:
    """Microsecond stamps of session fractions for contracts trading until ``end_us``."""
    stamp = open_us + 1 + np.floor(frac * (end_us - open_us - 1)).astype(np.int64)
    return np.minimum(stamp, end_us - 1)


@dataclass(frozen=True, slots=True)
class Prints:
    """Prints cut from the volumes of a set of items, ordered by (item, seq).

    ``item``: index into the caller's items; ``seq``: the print's number within its item
    (0, 1, …, the order sizes were drawn in); ``size``: lots.
    """

    item: Int
    seq: Int
    size: Int

    @property
    def count(self) -> int:
        return int(self.item.size)


def _segments(counts: Int) -> tuple[Int, Int]:
    """(owner, position within owner) of a flat array holding ``counts[i]`` items per owner."""
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def split(noise: U64, volume: Int) -> Prints:
    """Cut each item's ``volume`` (lots, ≥ 0) into prints of the size law; ``noise`` is the
    item's key. Sizes are drawn in batches; only items a batch left short draw again."""
    todo = np.flatnonzero(volume > 0)
    need = volume[todo]
    filled = np.zeros(todo.size, dtype=np.int64)
    drawn = np.zeros(todo.size, dtype=np.int64)
    active = np.arange(todo.size)
    parts: list[tuple[Int, Int, Int]] = []
    while active.size:
        count = -(-(need[active] - filled[active]) // _BATCH) + 2
        local, pos = _segments(count)
        who = active[local]
        seq = drawn[who] + pos
        size = sizes(uniforms(noise[todo[who]], seq))
        total = np.cumsum(size)
        ends = np.cumsum(count) - 1
        before_block = np.repeat(total[ends] - np.add.reduceat(size, ends - count + 1), count)
        left = need[who] - (filled[who] + total - size - before_block)
        keep = left > 0
        parts.append((todo[who[keep]], seq[keep], np.minimum(size[keep], left[keep])))
        filled[active] += total[ends] - before_block[ends]
        drawn[active] += count
        active = active[filled[active] < need[active]]
    if len(parts) == 1:
        item, seq, size = parts[0]
    else:
        nothing = [np.zeros(0, dtype=np.int64)] * 3
        item, seq, size = (np.concatenate(p) for p in zip(*parts, nothing, strict=True))
        order = np.argsort(item, kind="stable")
        item, seq, size = item[order], seq[order], size[order]
    return Prints(item.astype(np.int64), seq.astype(np.int64), size.astype(np.int64))


def _blocks(noise: U64, volume: Int, open_us: int, end_us: Int) -> tuple[Int, Int, Int, Int]:
    """(row, block number, size, stamp) of every block, ordered by (row, number)."""
    row = np.flatnonzero(volume >= BLOCK_MIN_VOLUME)
    if row.size == 0:
        nothing = np.zeros(0, dtype=np.int64)
        return nothing, nothing, nothing, nothing
    j = np.arange(MAX_BLOCKS)
    h = hashes(hashes(noise[row], BLOCK)[:, None], j[None, :])
    u = uniforms(h, 1)
    chance = volume[row, None] / (BLOCK_EVERY * MAX_BLOCKS)
    size = np.where(u < chance, BLOCKS[(uniforms(h, 2) * BLOCKS.size).astype(np.int64)], 0)
    size = np.where(np.cumsum(size, axis=1) <= volume[row, None] // 4, size, 0)
    r, k = np.nonzero(size)
    frac = _fractions(uniforms(h[r, k], 3))
    return row[r], k.astype(np.int64), size[r, k], _stamps(frac, open_us, end_us[row[r]])


def _earlier(volume: Int, key: U64, node: Int) -> Int:
    """The earlier half's share of cascade nodes of ``volume`` lots."""
    h = hashes(key, node)
    whole, tilt, rounding = (
        (((h >> np.uint64(shift)) & np.uint64(0x1FFFFF)).astype(np.float64) + 0.5) / 2.0**21
        for shift in (42, 21, 0)
    )
    lump = np.exp(-volume / LUMP)
    share = np.floor(volume * (0.5 + (tilt - 0.5) * SWING) + rounding)
    return np.where(whole < lump, np.where(whole < 0.5 * lump, volume, 0), share).astype(np.int64)


def _bin_prints(
    noise: U64, row: Int, k: Int, volume: Int, open_us: int, end_us: Int
) -> tuple[Prints, Int]:
    """The prints of bins ``k`` of rows ``row`` holding ``volume`` lots, and their stamps (at
    quantiles drawn uniformly within the bin)."""
    prints = split(hashes(hashes(noise[row], SIZE), k), volume)
    r, b = row[prints.item], k[prints.item]
    u = uniforms(hashes(hashes(noise[r], TIME), b), prints.seq)
    return prints, _stamps(_fractions((b + u) / BINS), open_us, end_us[r])


@dataclass(frozen=True, slots=True)
class DayPrints:
    """Every print of a set of contracts on one day: the blocks by (row, seq), then the
    other prints by (row, bin, seq).

    ``row``: index into the caller's rows; ``bin``: the time bin (-1 for a block); ``seq``:
    the print's number within its bin (or the block's number); ``size``: lots; ``stamp``:
    UTC epoch microseconds.
    """

    row: Int
    bin: Int
    seq: Int
    size: Int
    stamp: Int

    @property
    def count(self) -> int:
        return int(self.row.size)


def day_prints(noise: U64, volume: Int, open_us: int, end_us: Int) -> DayPrints:
    """Every print of the day of rows with per-row ``noise``, day ``volume`` and last instant
    ``end_us`` (only rows whose ``end_us`` is after ``open_us`` may have volume)."""
    blocks = _blocks(noise, volume, open_us, end_us)
    rest = volume - np.bincount(blocks[0], weights=blocks[2], minlength=volume.size).astype(
        np.int64
    )
    row = np.flatnonzero(rest > 0)
    node = np.ones(row.size, dtype=np.int64)
    v = rest[row]
    keys = hashes(noise, CASCADE)
    for _ in range(LEVELS):
        early = _earlier(v, keys[row], node)
        row = np.repeat(row, 2)
        node = np.stack([2 * node, 2 * node + 1], axis=1).ravel()
        v = np.stack([early, v - early], axis=1).ravel()
        live = v > 0
        row, node, v = row[live], node[live], v[live]
    node -= BINS
    prints, stamp = _bin_prints(noise, row, node, v, open_us, end_us)
    i = prints.item
    parts = (
        (blocks[0], np.full(blocks[0].size, -1, dtype=np.int64), blocks[1], blocks[2], blocks[3]),
        (row[i], node[i], prints.seq, prints.size, stamp),
    )
    return DayPrints(*(np.concatenate(p) for p in zip(*parts, strict=True)))


def volume_at(noise: U64, volume: Int, open_us: int, end_us: Int, as_of_us: int) -> Int:
    """Each row's volume printed at or before ``as_of_us``: 0 before the open, its day
    ``volume`` from its ``end_us`` on, and in between its blocks so far, the cascade nodes
    before ``as_of_us`` and the prints of the node holding it. The same numbers as summing
    :func:`day_prints` up to ``as_of_us``, for a fraction of the work."""
    out = np.where(as_of_us >= end_us, volume, 0).astype(np.int64)
    if as_of_us <= open_us:
        return np.zeros_like(out)
    inside = (volume > 0) & (as_of_us < end_us)
    if not inside.any():
        return out
    part = np.where(inside, volume, 0)
    b_row, _, b_size, b_stamp = _blocks(noise, part, open_us, end_us)
    out += np.bincount(
        b_row, weights=np.where(b_stamp <= as_of_us, b_size, 0), minlength=out.size
    ).astype(np.int64)
    rest = part - np.bincount(b_row, weights=b_size, minlength=out.size).astype(np.int64)
    row = np.flatnonzero(rest > 0)
    ends = end_us[row]
    target = np.empty(row.size, dtype=np.int64)
    distinct, which = (
        (ends[:1], np.zeros(row.size, dtype=np.int64))
        if ends.min() == ends.max()
        else np.unique(ends, return_inverse=True)
    )
    for i, end in enumerate(distinct):
        bounds = edges(open_us, int(end), np.arange(BINS + 1))
        target[which == i] = np.searchsorted(bounds, as_of_us, side="right") - 1
    row, target = row[target >= 0], np.minimum(target[target >= 0], BINS - 1)
    node = np.ones(row.size, dtype=np.int64)
    v = rest[row]
    keys = hashes(noise, CASCADE)[row]
    for level in range(LEVELS):
        early = _earlier(v, keys, node)
        later = (target >> (LEVELS - 1 - level)) & 1
        out[row] += np.where(later == 1, early, 0)
        v = np.where(later == 1, v - early, early)
        node = 2 * node + later
        going = v > 0
        row, target, node, v, keys = row[going], target[going], node[going], v[going], keys[going]
    prints, stamp = _bin_prints(noise, row, target, v, open_us, end_us)
    partial = np.bincount(
        prints.item, weights=np.where(stamp <= as_of_us, prints.size, 0), minlength=row.size
    )
    out[row] += np.round(partial).astype(np.int64)
    return out
