"""Counter-based deterministic randomness for the demo market.

Every random number of the demo is a pure function of *what it is for*: a 64-bit key built
from the seed, the symbol, the option root, the expiration, the strike, the right, the day and
a purpose tag, mixed with SplitMix64. There is no generator state, so a contract gets the
same open interest whether the whole market or only its own chain is generated, and whatever
order the symbols are asked for. ``hashlib.blake2b`` turns strings into keys (Python's
``hash`` is salted per process and would break determinism).
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

__all__ = ["hashes", "key", "normals", "uniforms"]

U64 = npt.NDArray[np.uint64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


def key(*parts: object) -> int:
    """A 64-bit key from strings and integers (stable across processes and platforms)."""
    text = "\x1f".join(f"{type(p).__name__}:{p}" for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _mix(z: U64) -> U64:
    """The SplitMix64 finalizer (a bijection on 64-bit words with full avalanche)."""
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def hashes(base: int | npt.ArrayLike, *ids: npt.ArrayLike) -> U64:
    """Mix a key (scalar or array) with any number of integer id arrays, broadcast together."""
    with np.errstate(over="ignore"):
        if isinstance(base, int):
            h = np.atleast_1d(np.asarray(base & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64))
        else:
            h = np.atleast_1d(np.asarray(base, dtype=np.uint64))
        h = _mix(h)
        for part in ids:
            arr = np.atleast_1d(np.asarray(part))
            if arr.dtype != np.uint64:
                arr = arr.astype(np.int64).astype(np.uint64)
            h = _mix(h ^ arr)
        return h


def uniforms(base: int | npt.ArrayLike, *ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Uniform numbers in the open interval (0, 1), one per broadcast element."""
    h = hashes(base, *ids)
    return ((h >> _S11).astype(np.float64) + 0.5) * 2.0**-53


def normals(base: int | npt.ArrayLike, *ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Standard normal numbers (inverse CDF of :func:`uniforms`)."""
    return np.asarray(ndtri(uniforms(base, *ids)), dtype=np.float64)
