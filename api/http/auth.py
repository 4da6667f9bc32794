"""API-key authentication: ``X-Api-Key`` header or ``apiKey`` query parameter.

With keys configured, a request must present one of them; the presented value is compared
with every configured key in constant time (SHA-256 digests through
:func:`hmac.compare_digest`, all keys always compared, so neither the position of the
first differing byte nor which key matched shows in the timing). The principal used for
rate limiting is ``key:<index>``, never the key itself.

With no keys configured the server must be bound to loopback
(:func:`api.config.check_bind`); as a second line of defence (e.g. ``uvicorn --factory``
started on another address), only loopback clients are then answered, as principal
``local:<client address>``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from api.config import is_loopback

__all__ = ["INVALID_KEY", "NOT_LOOPBACK", "Authenticator", "UnauthorizedError"]

INVALID_KEY = "Invalid API key."
NOT_LOOPBACK = "This server has no API key configured and answers loopback clients only."


class UnauthorizedError(Exception):
    """The request carries no valid key (HTTP 401); ``detail`` never contains the key."""

    def __init__(self, detail: str = INVALID_KEY) -> None:
        super().__init__(detail)
        self.detail = detail


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


class Authenticator:
    """Checks presented keys against the configured ones (see the module docstring)."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._digests = tuple(_digest(k) for k in keys)

    @property
    def enabled(self) -> bool:
        """True when keys are configured (every request but ``/health`` needs one)."""
        return bool(self._digests)

    def principal(self, presented: str | None, client_host: str | None) -> str:
        """The rate-limit principal of a request, or :class:`UnauthorizedError`."""
        if not self._digests:
            if client_host is None or not is_loopback(client_host):
                raise UnauthorizedError(NOT_LOOPBACK)
            return f"local:{client_host}"
        if not presented:
            raise UnauthorizedError()
        candidate = _digest(presented)
        found = -1
        for index, digest in enumerate(self._digests):
            if hmac.compare_digest(candidate, digest):
                found = index
        if found < 0:
            raise UnauthorizedError()
        return f"key:{found}"
