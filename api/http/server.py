"""``serve(...)``: run the HTTP API with uvicorn until interrupted (``gex serve``).

Everything that can be wrong is checked before the first request, and raised as a typed
error whose message is one line the CLI prints as is:

- a bad source, source setting or preset: the source's or engine's error
  (:class:`data_adapters.DataSourceError`, :class:`engine.errors.ConfigurationError`);
- a non-loopback ``host`` while no API key is configured: :class:`api.config.InsecureBindError`;
- an address that cannot be bound, a bad port or log level: :class:`api.config.ServerConfigError`.

The socket is bound here and handed to uvicorn, so "address in use" arrives as that error
instead of uvicorn exiting the process. uvicorn runs with :func:`api.http.guards.json_protocol`:
the requests its HTTP parser refuses before the app sees them get JSON bodies too (400
``bad_request``; 414/431 for an oversized request target or head). API keys come from ``GEX_API_KEYS`` or the config
file (:mod:`api.config`), never from arguments (they would show in the process list).
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

import uvicorn

from api.config import InsecureBindError, ServerConfigError, ServerSettings, check_bind
from api.http.app import create_app
from api.http.guards import json_protocol

__all__ = ["LOG_LEVELS", "InsecureBindError", "ServerConfigError", "bind_socket", "serve"]

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv4 or IPv6), or :class:`ServerConfigError`."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ServerConfigError(f"port must be an integer in 0..65535, got {port!r}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:
        raise ServerConfigError(f"cannot listen on {host}:{port}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ServerConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def serve(
    *,
    source: str = "demo",
    host: str = "127.0.0.1",
    port: int = 8000,
    source_settings: Mapping[str, Any] | None = None,
    preset: str = "native",
    ttl: float = 15.0,
    log_level: str = "info",
    store: str | None = None,
) -> None:
    """Serve the API on ``host:port`` from ``source`` until interrupted (blocking).

    ``source_settings`` are the source's non-secret settings (secrets come from the
    environment or the config file); ``ttl`` is the analysis cache TTL in seconds;
    ``store`` a snapshot store root that makes the service store-aware (default:
    ``GEX_STORE`` or the config file's ``[server] store``, else none).
    """
    level = str(log_level).strip().lower()
    if level not in LOG_LEVELS:
        raise ServerConfigError(
            f"log level must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}"
        )
    settings = ServerSettings.load(source=source, preset=preset, cache_ttl=ttl, store=store)
    check_bind(host, settings)
    app = create_app(settings=settings, source_settings=source_settings)
    sock = bind_socket(host, port)
    try:
        config = uvicorn.Config(
            app,
            log_level=level,
            lifespan="on",
            ws="none",
            http=json_protocol(settings.max_header_bytes),
            h11_max_incomplete_event_size=settings.max_header_bytes,
        )
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
