"""Checks of the Databento settings that reach the wire: the API key and the gateway URL."""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

from data_adapters.errors import SourceConfigError

__all__ = ["DEFAULT_GATEWAY", "PROVIDER", "check_gateway", "check_key"]

PROVIDER: Final = "databento"
DEFAULT_GATEWAY: Final = "https://hist.databento.com"
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain"})


def check_key(key: object) -> str:
    """The API key, stripped; a missing or malformed key is a :class:`SourceConfigError`
    (the message never quotes it)."""
    text = key.strip() if isinstance(key, str) else ""
    if not text:
        raise SourceConfigError(
            PROVIDER, "an API key is required (GEX_DATABENTO_API_KEY or GEX_DATABENTO_KEY)"
        )
    if any(ch.isspace() or not ch.isprintable() or ord(ch) > 126 for ch in text):
        raise SourceConfigError(PROVIDER, "the API key holds spaces or non-ASCII characters")
    return text


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_gateway(url: object) -> str:
    """The gateway URL without a trailing ``/``: ``https://host[:port][/prefix]``, or
    ``http://`` to a loopback host (a local proxy or a test server); anything else is a
    :class:`SourceConfigError`."""
    text = url.strip() if isinstance(url, str) else ""
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise SourceConfigError(PROVIDER, "gateway has an invalid port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceConfigError(PROVIDER, "gateway must be an https:// URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SourceConfigError(
            PROVIDER, "gateway must not carry credentials, a query or a fragment"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise SourceConfigError(
            PROVIDER, "gateway must use https (plain http only to a loopback host)"
        )
    return text.rstrip("/")
