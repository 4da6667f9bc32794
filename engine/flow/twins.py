"""Plain-Python twins of :mod:`engine.flow.kernels`: the same algorithms, plain loops.

Used by the tests (every kernel must give exactly the twin's result: the outputs are
integers, or floats from the same single IEEE operations) and when
``GEX_ENGINE_PURE_PYTHON=1`` is set.
"""

from __future__ import annotations

import numpy as np

from engine.flow._math import (
    BUY,
    COUNTED,
    NO_TIMESTAMP,
    PC_MAX,
    PC_TAG,
    SELL,
    US_PER_MINUTE,
    premium_micros_py,
    trade_code_py,
)
from engine.flow.kernels import GOLDEN
from engine.typing import BoolArray, FloatArray, IntArray

__all__ = [
    "accumulate_twin",
    "build_index_twin",
    "classify_twin",
    "estimate_twin",
    "lookup_twin",
    "take_twin",
]

_MASK64 = (1 << 64) - 1
_INT64_MAX = int(np.iinfo(np.int64).max)
_INT64_MIN = int(np.iinfo(np.int64).min)


def _slot(h: int, bits: int) -> int:
    return ((h * GOLDEN) & _MASK64) >> (64 - bits)


def build_index_twin(hashes: np.ndarray, bits: int, keys: np.ndarray, slots: IntArray) -> None:
    """Twin of :func:`engine.flow.kernels.build_index_kernel`."""
    mask = (1 << bits) - 1
    for i in range(hashes.shape[0]):
        h = int(hashes[i])
        j = _slot(h, bits)
        while slots[j] >= 0:
            j = (j + 1) & mask
        keys[j] = h
        slots[j] = i


def lookup_twin(
    hashes: np.ndarray, bits: int, keys: np.ndarray, slots: IntArray, out: IntArray
) -> None:
    """Twin of :func:`engine.flow.kernels.lookup_kernel`."""
    mask = (1 << bits) - 1
    for i in range(hashes.shape[0]):
        h = int(hashes[i])
        j = _slot(h, bits)
        found = -1
        while slots[j] >= 0:
            if int(keys[j]) == h:
                found = int(slots[j])
                break
            j = (j + 1) & mask
        out[i] = found


def take_twin(values: np.ndarray, idx: IntArray, fill: float, out: np.ndarray) -> None:
    """Twin of :func:`engine.flow.kernels.take_kernel`."""
    for i in range(idx.shape[0]):
        j = int(idx[i])
        out[i] = values[j] if j >= 0 else fill


def classify_twin(
    idx: IntArray,
    ts: IntArray,
    price: FloatArray,
    size: IntArray,
    eligible: BoolArray,
    bid: FloatArray,
    ask: FloatArray,
    mult: FloatArray,
    code: np.ndarray,
    prem: IntArray,
    bounds: IntArray,
    counts: IntArray,
) -> None:
    """Twin of :func:`engine.flow.kernels.classify_kernel`."""
    with np.errstate(all="ignore"):  # NaN and inf inputs, as in the kernel
        _classify_loop(idx, ts, price, size, eligible, bid, ask, mult, code, prem, bounds, counts)


def _classify_loop(
    idx: IntArray,
    ts: IntArray,
    price: FloatArray,
    size: IntArray,
    eligible: BoolArray,
    bid: FloatArray,
    ask: FloatArray,
    mult: FloatArray,
    code: np.ndarray,
    prem: IntArray,
    bounds: IntArray,
    counts: IntArray,
) -> None:
    lo = _INT64_MAX
    hi = _INT64_MIN
    latest = NO_TIMESTAMP
    for i in range(idx.shape[0]):
        m = float(mult[i])
        p = float(price[i])
        s = int(size[i])
        t = int(ts[i])
        c = trade_code_py(bool(eligible[i]), int(idx[i]), t, p, s, m, float(bid[i]), float(ask[i]))
        code[i] = c
        counts[c] += 1
        if t != NO_TIMESTAMP:
            latest = max(latest, t)
        if c >= COUNTED:
            prem[i] = int(premium_micros_py(p, s, m))
            lo = min(lo, t)
            hi = max(hi, t)
        else:
            prem[i] = 0
    bounds[0] = lo
    bounds[1] = hi
    bounds[2] = latest


def accumulate_twin(
    code: np.ndarray,
    idx: IntArray,
    ts: IntArray,
    size: IntArray,
    prem: IntArray,
    rank: IntArray,
    n_groups: int,
    base: int,
    per_contract: IntArray,
    table: IntArray,
) -> None:
    """Twin of :func:`engine.flow.kernels.accumulate_kernel`."""
    dense = rank.shape[0] == 0
    for i in range(code.shape[0]):
        c = int(code[i])
        t = int(ts[i])
        if c < COUNTED:
            continue
        j = int(idx[i])
        s = int(size[i])
        side = 0 if c == BUY else (1 if c == SELL else 2)
        per_contract[j, side] += s
        per_contract[j, 3 + side] += 1
        per_contract[j, PC_MAX] = max(int(per_contract[j, PC_MAX]), s)
        tag = int(per_contract[j, PC_TAG])
        r = (t // US_PER_MINUTE - base) * n_groups + tag // 2 if dense else int(rank[i])
        table[r, 2 * side + tag % 2] += int(prem[i])
        table[r, 6 + side] += s
        table[r, 9 + side] += 1


def estimate_twin(
    official: IntArray,
    buys: IntArray,
    sells: IntArray,
    confidence: float,
    net: bool,
    delta: FloatArray,
    simulated: FloatArray,
    effective: FloatArray,
) -> None:
    """Twin of :func:`engine.flow.kernels.estimate_kernel`."""
    for i in range(official.shape[0]):
        b = int(buys[i])
        s = int(sells[i])
        d = confidence * float(b - s if net else b + s)
        sim = float(official[i]) + d
        delta[i] = d
        simulated[i] = sim
        effective[i] = sim if sim > 0.0 else 0.0
