"""Settings of the HTTP server: API keys, rate limit, and the defaults of the ASGI factory.

:class:`ServerSettings` is the ``server`` section of the one settings model
(:class:`data_adapters.settings_model.GexSettings`, on pydantic-settings). Precedence,
highest first: explicit arguments, environment variables ``GEX_<SETTING>``, the ``[server]``
table of the config file (:func:`data_adapters.settings.config_path`), then the defaults.
Every setting, its environment name, key, default and bounds: docs/configuration.md.

The client address of the failed-key throttle is the TCP peer (``X-Forwarded-For`` is not
trusted): behind a reverse proxy every client shares the proxy's address, so raise the limit
there or throttle in the proxy.

Keys are secrets: the model holds them as ``SecretStr``; they are never part of a repr, a log
line or an error message. ``settings.api_keys`` gives them as plain strings to the
authenticator and the log redactor only.
"""

from __future__ import annotations

import ipaddress

from data_adapters.settings_model import (
    DEFAULT_AUTH_FAILURE_LIMIT,
    DEFAULT_AUTH_FAILURE_WINDOW,
    DEFAULT_CACHE_MAX_BYTES,
    DEFAULT_COMPUTE_WORKERS,
    DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    DEFAULT_REQUEST_TIMEOUT,
    GexSettings,
    ServerConfigError,
    ServerSettings,
)

__all__ = [
    "DEFAULT_AUTH_FAILURE_LIMIT",
    "DEFAULT_AUTH_FAILURE_WINDOW",
    "DEFAULT_CACHE_MAX_BYTES",
    "DEFAULT_COMPUTE_WORKERS",
    "DEFAULT_MAX_HEADER_BYTES",
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_RATE_WINDOW",
    "DEFAULT_REQUEST_TIMEOUT",
    "GexSettings",
    "InsecureBindError",
    "ServerConfigError",
    "ServerSettings",
    "check_bind",
    "is_loopback",
]


class InsecureBindError(ServerConfigError):
    """Binding to a non-loopback address while no API key is configured."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and the loopback addresses (127.0.0.0/8, ``::1``)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: ServerSettings) -> None:
    """Refuse a non-loopback ``host`` when no API key is configured."""
    if not settings.api_keys and not is_loopback(host):
        raise InsecureBindError(
            f"refusing to listen on {host}: no API key is configured, so the server may only "
            "bind to loopback (127.0.0.1, ::1, localhost); set GEX_API_KEYS or "
            "[server] api_keys in the config file"
        )
