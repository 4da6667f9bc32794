"""Settings of the HTTP server: API keys, rate limit, and the defaults of the ASGI factory.

Precedence, highest first: explicit arguments, environment variables, the ``[server]``
table of the config file (:func:`data_adapters.settings.config_path`), then the defaults.

===========================  =======================  ======================================
environment                  ``[server]`` key         meaning
===========================  =======================  ======================================
``GEX_API_KEYS``             ``api_keys``             comma-separated keys (a TOML list also
                                                      works in the file); none = loopback
                                                      only
``GEX_RATE_LIMIT``           ``rate_limit``           requests per window per key (0 = off;
                                                      default 600); a scan of N symbols
                                                      counts N
``GEX_RATE_WINDOW``          ``rate_window``          the moving window, seconds (default
                                                      60)
``GEX_SOURCE``               ``source``               data source of ``create_app()``
                                                      (``demo``)
``GEX_PRESET``               ``preset``               engine preset (``native``)
``GEX_CACHE_TTL``            ``cache_ttl``            analysis cache TTL, seconds (15)
``GEX_CACHE_MAX_BYTES``      ``cache_max_bytes``      bytes both result caches may hold
                                                      together: analyses and snapshots 3/4,
                                                      rendered views 1/4; bytes or
                                                      ``512MiB``, ``2GiB``, ``900MB``
                                                      (default 512 MiB)
``GEX_COMPUTE_WORKERS``      ``compute_workers``      threads of the server's own compute
                                                      pool, which fetches and analyses
                                                      (default 8)
``GEX_REQUEST_TIMEOUT``      ``request_timeout``      seconds a request may wait for its
                                                      data and computation, then 504
                                                      ``upstream_timeout`` (default 30; 0 =
                                                      no deadline)
``GEX_MAX_HEADER_BYTES``     ``max_header_bytes``     request target + header fields, bytes,
                                                      beyond which a request is 431 (default
                                                      16384, at least 1024)
``GEX_DOCS_PUBLIC``          ``docs_public``          ``/docs``, ``/redoc``,
                                                      ``/openapi.json`` without a key
                                                      (default true); false (with keys): the
                                                      schema needs a key, the pages are off
``GEX_AUTH_FAILURE_LIMIT``   ``auth_failure_limit``   requests with a missing or wrong key
                                                      per client address per window, after
                                                      which that address gets 429 (default
                                                      20; 0 = off)
``GEX_AUTH_FAILURE_WINDOW``  ``auth_failure_window``  that window, seconds (default 60)
``GEX_STORE``                ``store``                a snapshot store root: the service
                                                      becomes store-aware (OI changes and
                                                      the prior session's net GEX,
                                                      ``?at=`` from the store,
                                                      ``/history``, ``/oi-diff``; see
                                                      docs/store.md); default none
===========================  =======================  ======================================

The client address of the failed-key throttle is the TCP peer (``X-Forwarded-For`` is not
trusted): behind a reverse proxy every client shares the proxy's address, so raise the limit
there or throttle in the proxy.

Keys are secrets: they are never part of a repr, a log line or an error message.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from data_adapters.settings import load_config
from engine.errors import ConfigurationError

__all__ = [
    "DEFAULT_AUTH_FAILURE_LIMIT",
    "DEFAULT_AUTH_FAILURE_WINDOW",
    "DEFAULT_CACHE_MAX_BYTES",
    "DEFAULT_COMPUTE_WORKERS",
    "DEFAULT_MAX_HEADER_BYTES",
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_RATE_WINDOW",
    "DEFAULT_REQUEST_TIMEOUT",
    "InsecureBindError",
    "ServerConfigError",
    "ServerSettings",
    "check_bind",
    "is_loopback",
]

DEFAULT_RATE_LIMIT = 600
DEFAULT_RATE_WINDOW = 60.0
DEFAULT_CACHE_MAX_BYTES = 512 * 1024**2
DEFAULT_COMPUTE_WORKERS = 8
DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_HEADER_BYTES = 16 * 1024
DEFAULT_AUTH_FAILURE_LIMIT = 20
DEFAULT_AUTH_FAILURE_WINDOW = 60.0
_UNITS = {
    "": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "k": 1024, "m": 1024**2, "g": 1024**3,
}  # fmt: skip


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


def _bytes(name: str, raw: Any, minimum: int) -> int:
    """``1048576``, ``"512MiB"``, ``"2 GiB"``, ``"900MB"`` -> bytes."""
    if isinstance(raw, str):
        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", raw)
        unit = _UNITS.get(match.group(2).lower()) if match else None
        if match is None or unit is None:
            raise ServerConfigError(
                f"{name} must be a number of bytes (or with KiB, MiB, GiB), got {raw!r}"
            )
        raw = float(match.group(1)) * unit
    value = _number(name, raw, float, minimum)
    return int(value)


def _flag(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ServerConfigError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class ServerSettings:
    """Resolved server settings (see the module docstring)."""

    api_keys: tuple[str, ...] = field(default=(), repr=False)
    rate_limit: int = DEFAULT_RATE_LIMIT
    rate_window: float = DEFAULT_RATE_WINDOW
    source: str = "demo"
    preset: str = "native"
    cache_ttl: float = 15.0
    cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES
    compute_workers: int = DEFAULT_COMPUTE_WORKERS
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    docs_public: bool = True
    auth_failure_limit: int = DEFAULT_AUTH_FAILURE_LIMIT
    auth_failure_window: float = DEFAULT_AUTH_FAILURE_WINDOW
    store: str | None = None

    def __repr__(self) -> str:
        return (
            f"ServerSettings(api_keys=<{len(self.api_keys)} configured>, "
            f"rate_limit={self.rate_limit}, rate_window={self.rate_window}, "
            f"source={self.source!r}, preset={self.preset!r}, cache_ttl={self.cache_ttl}, "
            f"cache_max_bytes={self.cache_max_bytes}, compute_workers={self.compute_workers}, "
            f"request_timeout={self.request_timeout}, max_header_bytes={self.max_header_bytes}, "
            f"docs_public={self.docs_public}, auth_failure_limit={self.auth_failure_limit}, "
            f"auth_failure_window={self.auth_failure_window}, store={self.store!r})"
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
            cache_max_bytes=_bytes(
                "cache_max_bytes",
                pick("cache_max_bytes", "GEX_CACHE_MAX_BYTES", DEFAULT_CACHE_MAX_BYTES),
                0,
            ),
            compute_workers=_number(
                "compute_workers",
                pick("compute_workers", "GEX_COMPUTE_WORKERS", DEFAULT_COMPUTE_WORKERS),
                int,
                1,
            ),
            request_timeout=_number(
                "request_timeout",
                pick("request_timeout", "GEX_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT),
                float,
                0,
            ),
            max_header_bytes=_bytes(
                "max_header_bytes",
                pick("max_header_bytes", "GEX_MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES),
                1024,
            ),
            docs_public=_flag("docs_public", pick("docs_public", "GEX_DOCS_PUBLIC", True)),
            auth_failure_limit=_number(
                "auth_failure_limit",
                pick("auth_failure_limit", "GEX_AUTH_FAILURE_LIMIT", DEFAULT_AUTH_FAILURE_LIMIT),
                int,
                0,
            ),
            auth_failure_window=_number(
                "auth_failure_window",
                pick("auth_failure_window", "GEX_AUTH_FAILURE_WINDOW", DEFAULT_AUTH_FAILURE_WINDOW),
                float,
                0.001,
            ),
            store=_path("store", pick("store", "GEX_STORE", None)),
        )


def _path(name: str, raw: Any) -> str | None:
    """A folder setting: None or empty = unset; ``~`` expanded."""
    if raw is None:
        return None
    if not isinstance(raw, str | os.PathLike):
        raise ServerConfigError(f"{name} must be a folder path")
    text = os.fspath(raw).strip()
    return os.path.expanduser(text) if text else None


def check_bind(host: str, settings: ServerSettings) -> None:
    """Refuse a non-loopback ``host`` when no API key is configured."""
    if not settings.api_keys and not is_loopback(host):
        raise InsecureBindError(
            f"refusing to listen on {host}: no API key is configured, so the server may only "
            "bind to loopback (127.0.0.1, ::1, localhost); set GEX_API_KEYS or "
            "[server] api_keys in the config file"
        )
