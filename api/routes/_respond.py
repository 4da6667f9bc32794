"""JSON responses of the routes, with the rendered bytes of each view memoized.

A view of a cached analysis is rendered once: the bytes are kept, keyed by the view's name
and parameters, for at most ``ttl`` seconds (the service's cache TTL) and only while the
same analysis objects are served (identity is checked, so a recomputed analysis renders
afresh). Expired entries are swept on every store, so the memo never keeps an analysis
alive much longer than the service's own cache does. JSON is compact UTF-8 and never
contains NaN or Infinity (``allow_nan=False``: the views turn those into null).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from starlette.responses import Response

__all__ = ["ViewCache", "json_response"]


def _dumps(body: Any) -> bytes:
    return json.dumps(body, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200) -> Response:
    """``body`` as compact JSON."""
    return Response(_dumps(body), status_code=status, media_type="application/json")


class ViewCache:
    """Rendered bytes per (view, parameters), valid while the same inputs are served."""

    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, max_entries: int = 256
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, tuple[float, tuple[object, ...], bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def respond(
        self, key: Hashable, inputs: tuple[object, ...], render: Callable[[], dict[str, Any]]
    ) -> Response:
        """The response of ``render()``, rendered once per ``inputs`` (compared by identity)."""
        now = self.clock()
        with self._lock:
            entry = self._data.get(key)
        if (
            entry is not None
            and entry[0] > now
            and len(entry[1]) == len(inputs)
            and all(a is b for a, b in zip(entry[1], inputs, strict=True))
        ):
            return Response(entry[2], media_type="application/json")
        data = _dumps(render())
        if self.ttl > 0:
            with self._lock:
                for stale in [k for k, v in self._data.items() if v[0] <= now]:
                    del self._data[stale]
                self._data[key] = (now + self.ttl, inputs, data)
                self._data.move_to_end(key)
                while len(self._data) > self.max_entries:
                    self._data.popitem(last=False)
        return Response(data, media_type="application/json")
