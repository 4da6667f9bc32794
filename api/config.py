"""Settings of the HTTP server: API keys, rate limit, and the defaults of the ASGI factory.

Precedence, highest first: explicit arguments, environment variables, the ``[server]``
table of the config file (:func:`data_adapters.settings.config_path`), then the defaults.

====================  =====================  ==========================================
environment           ``[server]`` key       meaning
====================  =====================  ==========================================
``GEX_API_KEYS``      ``api_keys``           comma-separated keys (a TOML list also
                                             works in the file); none = loopback only
``GEX_RATE_LIMIT``    ``rate_limit``         requests per window per key (0 = off;
                                             default 600)
``GEX_RATE_WINDOW``   ``rate_window``        the moving window, seconds (default 60)
``GEX_SOURCE``        ``source``             data source of ``create_app()`` (``demo``)
``GEX_PRESET``        ``preset``             engine preset (``native``)
``GEX_CACHE_TTL``     ``cache_ttl``          analysis cache TTL, seconds (15)
====================  =====================  ==========================================

Keys are secrets: they are never part of a repr, a log line or an error message.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from data_adapters.settings import load_config
from engine.errors import ConfigurationError

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_RATE_WINDOW",
    "InsecureBindError",
    "ServerConfigError",
    "ServerSettings",
    "check_bind",
    "is_loopback",
]

DEFAULT_RATE_LIMIT = 600
DEFAULT_RATE_WINDOW = 60.0


class ServerConfigError(ConfigurationError):
    """A server setting is missing or invalid (the message names it, never its value)."""


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


def _keys(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise ServerConfigError("api_keys must be a comma-separated string or a list of strings")
    keys = []
    for item in items:
        if not isinstance(item, str):
            raise ServerConfigError("api_keys must contain strings only")
        if item.strip():
            keys.append(item.strip())
    return tuple(dict.fromkeys(keys))


def _number(name: str, raw: Any, kind: type[int] | type[float], minimum: float) -> Any:
    try:
        value = kind(str(raw).strip()) if isinstance(raw, str) else kind(raw)
    except (TypeError, ValueError):
        raise ServerConfigError(f"{name} must be a number, got {raw!r}") from None
    if isinstance(raw, bool) or not value >= minimum:
        raise ServerConfigError(f"{name} must be >= {minimum}, got {raw!r}")
    return value


@dataclass(frozen=True)
class ServerSettings:
    """Resolved server settings (see the module docstring)."""

    api_keys: tuple[str, ...] = field(default=(), repr=False)
    rate_limit: int = DEFAULT_RATE_LIMIT
    rate_window: float = DEFAULT_RATE_WINDOW
    source: str = "demo"
    preset: str = "native"
    cache_ttl: float = 15.0

    def __repr__(self) -> str:
        return (
            f"ServerSettings(api_keys=<{len(self.api_keys)} configured>, "
            f"rate_limit={self.rate_limit}, rate_window={self.rate_window}, "
            f"source={self.source!r}, preset={self.preset!r}, cache_ttl={self.cache_ttl})"
        )

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        config: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> ServerSettings:
        """Settings from ``overrides`` (None values ignored), the environment, the file."""
        env = os.environ if environ is None else environ
        table = dict((load_config() if config is None else config).get("server", {}))
        given = {k: v for k, v in overrides.items() if v is not None}

        def pick(key: str, env_name: str, default: Any) -> Any:
            if key in given:
                return given[key]
            if env.get(env_name, "").strip():
                return env[env_name]
            return table.get(key, default)

        return cls(
            api_keys=_keys(pick("api_keys", "GEX_API_KEYS", None)),
            rate_limit=_number(
                "rate_limit", pick("rate_limit", "GEX_RATE_LIMIT", DEFAULT_RATE_LIMIT), int, 0
            ),
            rate_window=_number(
                "rate_window",
                pick("rate_window", "GEX_RATE_WINDOW", DEFAULT_RATE_WINDOW),
                float,
                0.001,
            ),
            source=str(pick("source", "GEX_SOURCE", "demo")).strip() or "demo",
            preset=str(pick("preset", "GEX_PRESET", "native")).strip() or "native",
            cache_ttl=_number("cache_ttl", pick("cache_ttl", "GEX_CACHE_TTL", 15.0), float, 0),
        )


def check_bind(host: str, settings: ServerSettings) -> None:
    """Refuse a non-loopback ``host`` when no API key is configured."""
    if not settings.api_keys and not is_loopback(host):
        raise InsecureBindError(
            f"refusing to listen on {host}: no API key is configured, so the server may only "
            "bind to loopback (127.0.0.1, ::1, localhost); set GEX_API_KEYS or "
            "[server] api_keys in the config file"
        )
