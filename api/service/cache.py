"""The one TTL cache of the server: LRU, entries expire, and the whole is bounded in bytes.

:class:`TTLCache` backs both result caches: the service's analyses, snapshots and symbol
lists (:class:`api.service.analysis.AnalysisService`) and the rendered JSON of the views
(:class:`api.http.routes._respond.ViewCache`). Each entry is stored with its size, estimated by
:func:`estimate_size` (or a ``sizeof`` given to the cache); storing an entry evicts expired
entries first, then the least recently used ones until both ``max_entries`` and
``max_bytes`` hold again. A value larger than ``max_bytes`` on its own is not stored.
``ttl <= 0`` stores nothing. Thread-safe (one lock); times come from an injected ``clock``.

:func:`estimate_size` counts what dominates the memory of an analysis: every polars frame
(``estimated_size()``), NumPy array (``nbytes``), ``bytes``/``str`` and, for any other
object, ``sys.getsizeof``, walking dataclass fields, slots, mappings and sequences, each
object once. Frames that share Arrow buffers are counted once per frame, so the estimate
errs high, never low, for the data that matters.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

__all__ = ["TTLCache", "estimate_size"]

_MAX_DEPTH = 8


def estimate_size(value: object) -> int:
    """Bytes ``value`` holds (see the module docstring); shared objects counted once."""
    seen: set[int] = set()

    def walk(obj: object, depth: int) -> int:
        if obj is None or isinstance(obj, bool | int | float):
            return 0  # small ints, floats and singletons: negligible next to the frames
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        if isinstance(obj, pl.DataFrame):
            return int(obj.estimated_size()) + 64
        if isinstance(obj, pl.Series):
            return int(obj.estimated_size()) + 64
        if isinstance(obj, np.ndarray):
            return int(obj.nbytes) + 112
        if isinstance(obj, str | bytes | bytearray | memoryview):
            return sys.getsizeof(obj)
        size = sys.getsizeof(obj, 64)
        if depth >= _MAX_DEPTH:
            return size
        if isinstance(obj, Mapping):
            return size + sum(walk(k, depth + 1) + walk(v, depth + 1) for k, v in obj.items())
        if isinstance(obj, list | tuple | set | frozenset):
            return size + sum(walk(item, depth + 1) for item in obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return size + sum(
                walk(getattr(obj, f.name, None), depth + 1) for f in dataclasses.fields(obj)
            )
        slots = getattr(type(obj), "__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        total = size + sum(walk(getattr(obj, name, None), depth + 1) for name in slots)
        state = getattr(obj, "__dict__", None)
        if isinstance(state, dict):
            total += walk(state, depth + 1)
        return total

    return walk(value, 0)


@dataclass(slots=True)
class _Entry:
    expires: float
    value: Any
    size: int


class TTLCache:
    """LRU entries that expire ``ttl`` seconds after they were stored, bounded in count and
    in bytes (see the module docstring)."""

    def __init__(
        self,
        ttl: float,
        clock: Callable[[], float],
        *,
        max_entries: int = 256,
        max_bytes: int | None = None,
        sizeof: Callable[[Any], int] = estimate_size,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.sizeof = sizeof
        self._data: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.evictions = 0  # entries dropped to make room (not counting expiry)

    @property
    def nbytes(self) -> int:
        """Bytes held now (the sum of the stored entries' sizes)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> list[Hashable]:
        """The stored keys, least recently used first (expired ones included until swept)."""
        with self._lock:
            return list(self._data)

    def get(self, key: Hashable) -> tuple[bool, Any]:
        """``(True, value)`` for a live entry (now the most recently used), else ``(False, None)``."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return False, None
            if entry.expires <= self.clock():
                self._drop(key)
                return False, None
            self._data.move_to_end(key)
            return True, entry.value

    def put(self, key: Hashable, value: Any, size: int | None = None) -> bool:
        """Store ``value`` (of ``size`` bytes, estimated when None); False when not stored
        (``ttl <= 0``, or the value alone exceeds ``max_bytes``)."""
        if self.ttl <= 0:
            return False
        nbytes = self.sizeof(value) if size is None else int(size)
        with self._lock:
            self._drop(key)
            if self.max_bytes is not None and nbytes > self.max_bytes:
                return False
            now = self.clock()
            for stale in [k for k, e in self._data.items() if e.expires <= now]:
                self._drop(stale)
            self._data[key] = _Entry(now + self.ttl, value, nbytes)
            self._bytes += nbytes
            while len(self._data) > self.max_entries or (
                self.max_bytes is not None and self._bytes > self.max_bytes
            ):
                oldest = next(iter(self._data))
                self._drop(oldest)
                self.evictions += 1
            return True

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def _drop(self, key: Hashable) -> None:
        entry = self._data.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size
