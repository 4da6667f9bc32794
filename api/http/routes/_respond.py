"""JSON responses of the routes, with the rendered bytes of each view memoized.

A view of a cached analysis is rendered once: the bytes are kept, keyed by the view's name
and parameters, for at most ``ttl`` seconds (the service's cache TTL) and only while the
same analysis objects are served (identity is checked, so a recomputed analysis renders
afresh). The memo is the same :class:`api.service.cache.TTLCache` as the service's cache, bounded
in entries and in bytes: an entry counts its bytes plus the estimated size of the
analyses it refers to (it keeps them alive), so the memo can never pin more memory than
its bound. JSON is compact UTF-8 and never contains NaN or Infinity
(``allow_nan=False``: the views turn those into null).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Hashable
from typing import Any

from starlette.responses import Response

from api.service.cache import TTLCache, estimate_size

__all__ = ["ViewCache", "json_response"]


def _dumps(body: Any) -> bytes:
    return json.dumps(body, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200) -> Response:
    """``body`` as compact JSON."""
    return Response(_dumps(body), status_code=status, media_type="application/json")


class ViewCache:
    """Rendered bytes per (view, parameters), valid while the same inputs are served."""

    def __init__(
        self,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 256,
        max_bytes: int | None = None,
    ) -> None:
        self.ttl = ttl
        self._cache = TTLCache(ttl, clock, max_entries=max_entries, max_bytes=max_bytes)

    @property
    def cache(self) -> TTLCache:
        return self._cache

    def respond(
        self, key: Hashable, inputs: tuple[object, ...], render: Callable[[], dict[str, Any]]
    ) -> Response:
        """The response of ``render()``, rendered once per ``inputs`` (compared by identity)."""
        hit, entry = self._cache.get(key)
        if (
            hit
            and len(entry[0]) == len(inputs)
            and all(a is b for a, b in zip(entry[0], inputs, strict=True))
        ):
            return Response(entry[1], media_type="application/json")
        data = _dumps(render())
        if self.ttl > 0:
            self._cache.put(key, (inputs, data), size=len(data) + estimate_size(inputs))
        return Response(data, media_type="application/json")
