"""Compiled kernels of the OI simulator (the plain-Python twins are in :mod:`engine.flow.twins`).

- :func:`build_index_kernel` / :func:`lookup_kernel` — an open-addressing hash table from a
  contract id's 64-bit hash to its index in the chain's contract list (built once per state,
  so mapping a batch of trades costs O(batch), not O(chain)).
- :func:`take_kernel` — per trade, a per-contract value (the multiplier).
- :func:`classify_kernel` — per trade: its code (:mod:`engine.flow._math`) and its premium
  in micro-dollars; elementwise, in parallel, vectorized.
- :func:`accumulate_kernel` — adds the codes into the per-contract counters, the code counts
  and a (minute, group) table; one serial pass (scatter-adds into shared counters). Every
  counter is an int64, so the result does not depend on how a tape is cut into batches.
- :func:`estimate_kernel` — per contract: intraday OI delta, simulated and effective OI.

The public functions choose between these and the twins in :mod:`engine.flow._backend`.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from engine._jit import kernel
from engine.flow._math import (
    BUY,
    COUNTED,
    PC_MAX,
    PC_TAG,
    SELL,
    US_PER_MINUTE,
    premium_micros,
    trade_code,
)

__all__ = [
    "GOLDEN",
    "accumulate_kernel",
    "build_index_kernel",
    "classify_kernel",
    "estimate_kernel",
    "lookup_kernel",
    "take_kernel",
]

GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing: the slot is the top bits of h · GOLDEN
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


@kernel(parallel=False)
def build_index_kernel(hashes, bits, keys, slots):  # type: ignore[no-untyped-def]
    """Insert ``hashes[i] -> i`` into ``keys``/``slots`` (length ``2**bits``, slots all -1).

    Linear probing; equal hashes of different ids get a slot each (the lookup returns the
    first, and the caller's string check sends the other to the exact path).
    """
    mask = np.uint64((1 << bits) - 1)
    shift = np.uint64(64 - bits)
    golden = np.uint64(GOLDEN)
    one = np.uint64(1)
    for i in range(hashes.shape[0]):
        h = hashes[i]
        j = (h * golden) >> shift
        while slots[j] >= 0:
            j = (j + one) & mask
        keys[j] = h
        slots[j] = i


@kernel()
def lookup_kernel(hashes, bits, keys, slots, out):  # type: ignore[no-untyped-def]
    """``out[i]`` = the index stored for ``hashes[i]``, or -1 when the table has none."""
    mask = np.uint64((1 << bits) - 1)
    shift = np.uint64(64 - bits)
    golden = np.uint64(GOLDEN)
    one = np.uint64(1)
    for i in prange(hashes.shape[0]):
        h = hashes[i]
        j = (h * golden) >> shift
        found = -1
        while slots[j] >= 0:
            if keys[j] == h:
                found = slots[j]
                break
            j = (j + one) & mask
        out[i] = found


@kernel()
def take_kernel(values, idx, fill, out):  # type: ignore[no-untyped-def]
    """``out[i] = values[idx[i]]``, or ``fill`` where ``idx[i] < 0``.

    A gather of its own: inside :func:`classify_kernel` it would stop LLVM from vectorizing
    that loop (a tenfold slowdown), alone it vectorizes.
    """
    for i in prange(idx.shape[0]):
        j = idx[i]
        v = values[j if j >= 0 else 0]
        out[i] = v if j >= 0 else fill


@kernel()
def classify_kernel(idx, ts, price, size, eligible, bid, ask, mult, code, prem, bounds, counts):  # type: ignore[no-untyped-def]
    """Per trade ``i`` (``mult``: the multiplier of its contract, per trade): ``code[i]``
    and, for counted prints (``code >= COUNTED``), ``prem[i]`` in micro-dollars (else 0).

    ``bounds`` receives the smallest and largest timestamp of the counted prints
    (``INT64_MAX, INT64_MIN`` when there is none) and the largest timestamp of all
    (``NO_TIMESTAMP`` when none); ``counts[c]`` += the trades of code ``c``. No gather and
    no integer division here: either would stop the loop from vectorizing.
    """
    lo = _INT64_MAX
    hi = _INT64_MIN
    latest = _INT64_MIN  # NO_TIMESTAMP: a missing timestamp never raises it
    c0 = 0
    c1 = 0
    c2 = 0
    c3 = 0
    c4 = 0
    c5 = 0
    c6 = 0
    for i in prange(idx.shape[0]):
        m = mult[i]
        t = ts[i]
        c = trade_code(eligible[i], idx[i], t, price[i], size[i], m, bid[i], ask[i])
        code[i] = c
        counted = c >= COUNTED
        pm = premium_micros(price[i], size[i], m)
        prem[i] = np.int64(pm if counted else 0.0)
        lo = min(lo, t if counted else _INT64_MAX)
        hi = max(hi, t if counted else _INT64_MIN)
        latest = max(latest, t)
        c0 += c == 0
        c1 += c == 1
        c2 += c == 2
        c3 += c == 3
        c4 += c == 4
        c5 += c == 5
        c6 += c == 6
    bounds[0] = lo
    bounds[1] = hi
    bounds[2] = latest
    counts[0] += c0
    counts[1] += c1
    counts[2] += c2
    counts[3] += c3
    counts[4] += c4
    counts[5] += c5
    counts[6] += c6


@kernel(parallel=False)
def accumulate_kernel(  # type: ignore[no-untyped-def]
    code,
    idx,
    ts,
    size,
    prem,
    rank,
    n_groups,
    base,
    per_contract,
    table,
):
    """Add one classified batch into the counters (in place).

    For each counted print on contract ``j`` with side ``s`` (0 buy,
    1 sell, 2 unclassified): ``per_contract[j, s]`` += size, ``per_contract[j, 3 + s]`` += 1,
    ``per_contract[j, PC_MAX]`` = max with size; and on its row of ``table``, premium into
    column ``2s`` (call) or ``2s + 1`` (put), size into ``6 + s``, one print into ``9 + s``.
    The contract's group and right come from its tag ``per_contract[j, PC_TAG]`` (in the
    cache line the counters are in). The row is ``(minute − base) · n_groups + group`` when
    ``rank`` is empty (dense minutes), else ``rank[i]`` (the position of the print's
    (minute, group) key among the batch's distinct keys).
    """
    dense = rank.shape[0] == 0
    for i in range(code.shape[0]):
        c = code[i]
        if c >= COUNTED:
            j = idx[i]
            s = size[i]
            side = np.int64(c == SELL) + 2 * np.int64(c < BUY)  # 0 buy, 1 sell, 2 other: no branch
            per_contract[j, side] += s
            per_contract[j, 3 + side] += 1
            if s > per_contract[j, PC_MAX]:
                per_contract[j, PC_MAX] = s
            tag = per_contract[j, PC_TAG]
            r = (ts[i] // US_PER_MINUTE - base) * n_groups + (tag >> 1) if dense else rank[i]
            table[r, 2 * side + (tag & 1)] += prem[i]
            table[r, 6 + side] += s
            table[r, 9 + side] += 1


@kernel()
def estimate_kernel(official, buys, sells, confidence, net, delta, simulated, effective):  # type: ignore[no-untyped-def]
    """Per contract: ``delta = confidence · (buys ± sells)`` (``-`` when ``net``),
    ``simulated = official + delta``, ``effective = max(0, simulated)``."""
    for i in prange(official.shape[0]):
        v = buys[i] - sells[i] if net else buys[i] + sells[i]
        d = confidence * v
        sim = official[i] + d
        delta[i] = d
        simulated[i] = sim
        effective[i] = sim if sim > 0.0 else 0.0
