"""Where a source's settings come from: keyword arguments, environment, config file.

Precedence, highest first: keyword arguments to :func:`data_adapters.get_source`, environment
variables ``GEX_<SOURCE>_<KEY>`` (``GEX_POLYGON_API_KEY``), then the ``[sources.<source>]``
table of the TOML config file named by ``GEX_CONFIG`` (default ``~/.config/gex/config.toml``),
then the source's default. Secrets are never taken from visible command-line arguments; the
CLI only passes non-secret settings as keywords.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from data_adapters.errors import SourceConfigError

__all__ = ["DEFAULT_DIV_YIELD", "DEFAULT_RATE", "Settings", "config_path", "load_config"]

DEFAULT_RATE = 0.04
"""Continuous risk-free rate used when a source is given none (setting ``rate``)."""
DEFAULT_DIV_YIELD = 0.0
"""Continuous dividend yield used when a source is given none (setting ``div_yield``); the
engine prefers the forward implied by put-call parity wherever quotes allow."""

_MISSING = object()


def config_path() -> Path:
    """The config file in force: ``$GEX_CONFIG`` or ``~/.config/gex/config.toml``."""
    raw = os.environ.get("GEX_CONFIG")
    return Path(raw).expanduser() if raw else Path.home() / ".config" / "gex" / "config.toml"


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The parsed config file, or ``{}`` when there is none."""
    path = path or config_path()
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SourceConfigError("config", f"cannot read config file {path}: {exc}") from None


class Settings:
    """Resolved settings of one source; ``get(key, default)`` applies the precedence above."""

    def __init__(
        self,
        source: str,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.source = source
        self._overrides = {k.lower(): v for k, v in (overrides or {}).items() if v is not None}
        self._environ = os.environ if environ is None else environ
        table = (config if config is not None else load_config()).get("sources", {})
        self._file = {k.lower(): v for k, v in dict(table.get(source, {})).items()}

    def get(self, key: str, default: Any = _MISSING) -> Any:
        key = key.lower()
        if key in self._overrides:
            return self._overrides[key]
        env_name = f"GEX_{self.source.upper()}_{key.upper()}"
        if env_name in self._environ and self._environ[env_name] != "":
            return self._environ[env_name]
        if key in self._file:
            return self._file[key]
        if default is _MISSING:
            raise SourceConfigError(
                self.source,
                f"setting {key!r} is required: set {env_name} or [sources.{self.source}] in the config file",
            )
        return default

    def __repr__(self) -> str:  # never shows values: some are secrets
        return f"Settings(source={self.source!r})"
