"""Where a source's settings come from: keyword arguments, environment, config file.

Precedence, highest first: keyword arguments to :func:`data_adapters.get_source`, environment
variables ``GEX_<SOURCE>_<KEY>`` (``GEX_POLYGON_API_KEY``; blank = unset), then the
``[sources.<source>]`` table of the TOML config file named by ``GEX_CONFIG`` (default
``~/.config/gex/config.toml``; a file that ``GEX_CONFIG`` names must exist, ``/dev/null`` for
none), then the source's default. Secrets are never taken from visible command-line
arguments; the CLI only passes non-secret settings as keywords.

:class:`Settings` is one source's view of the one settings model
(:class:`data_adapters.settings_model.GexSettings`, section ``sources.<source>``): ``get``
gives the raw value (each source checks its own keys), and ``number``, ``byte_size``,
``flag``, ``items`` and ``path`` give it checked in the shared formats, with a one-line
:class:`SourceConfigError` naming the setting (never a secret's value).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from data_adapters.errors import SourceConfigError
from data_adapters.settings_model import (
    ByteSize,
    Flag,
    GexSettings,
    Items,
    Number,
    UserPath,
    Whole,
    describe_error,
    one_line,
)
from data_adapters.settings_model import config_path as config_path
from data_adapters.settings_model import is_secret as is_secret
from data_adapters.settings_model import load_config as load_config

__all__ = [
    "DEFAULT_DIV_YIELD",
    "DEFAULT_RATE",
    "Settings",
    "config_path",
    "is_secret",
    "load_config",
]

DEFAULT_RATE = 0.04
"""Continuous risk-free rate used when a source is given none (setting ``rate``)."""
DEFAULT_DIV_YIELD = 0.0
"""Continuous dividend yield used when a source is given none (setting ``div_yield``); the
engine prefers the forward implied by put-call parity wherever quotes allow."""

_MISSING: Any = object()
_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    kind: TypeAdapter(form)
    for kind, form in {
        "number": Annotated[Number, Field(allow_inf_nan=False)],
        "whole": Whole,
        "bytes": ByteSize,
        "flag": Flag,
        "items": Items,
        "path": UserPath,
    }.items()
}


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
        name = source.lower()
        resolved = GexSettings.resolve(
            environ=environ, config=config, sources={name: dict(overrides or {})}, scope=(name,)
        )
        self._section = resolved.source(name)

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The raw value of ``key`` (a secret's plain text); ``default`` when unset, else
        :class:`SourceConfigError` (the setting is required)."""
        if key in self._section:
            return self._section.get(key)
        if default is _MISSING:
            env_name = f"GEX_{self.source.upper()}_{key.upper()}"
            raise SourceConfigError(
                self.source,
                f"setting {key.lower()!r} is required: set {env_name} or "
                f"[sources.{self.source}] in the config file",
            )
        return default

    def _checked(self, kind: str, key: str, default: Any) -> Any:
        raw = self.get(key, default)
        if raw is default and default is not _MISSING:
            return default
        try:
            return _ADAPTERS[kind].validate_python(raw)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            raise SourceConfigError(
                self.source, describe_error(key, error, f"setting {key!r}")
            ) from None

    def _bounded(self, key: str, value: float, minimum: float | None, maximum: float | None) -> Any:
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            low = "" if minimum is None else f">= {minimum:g}"
            high = "" if maximum is None else f"<= {maximum:g}"
            bounds = " and ".join(b for b in (low, high) if b)
            shown = "" if is_secret(key) else f", got {value:g}"
            raise SourceConfigError(
                self.source, one_line(f"setting {key!r} must be {bounds}{shown}")
            )
        return value

    def number(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        whole: bool = False,
    ) -> Any:
        """A finite number (``whole``: an int) within the bounds; ``default`` as given when
        unset."""
        value = self._checked("whole" if whole else "number", key, default)
        if value is default and default is not _MISSING:
            return default
        return self._bounded(key, value, minimum, maximum)

    def byte_size(self, key: str, default: Any = _MISSING, *, minimum: int = 0) -> Any:
        """Bytes: ``1048576``, ``512MiB``, ``2 GiB``, ``900MB``, ``32k`` (at least
        ``minimum``)."""
        value = self._checked("bytes", key, default)
        if value is default and default is not _MISSING:
            return default
        return self._bounded(key, value, minimum, None)

    def flag(self, key: str, default: Any = _MISSING) -> Any:
        """true/false, yes/no, on/off, 1/0."""
        return self._checked("flag", key, default)

    def items(self, key: str, default: Any = _MISSING) -> Any:
        """A comma-separated string or a list of strings -> a tuple (blanks dropped,
        duplicates once)."""
        return self._checked("items", key, default)

    def path(self, key: str, default: Any = _MISSING) -> Any:
        """A path with ``~`` expanded (``None`` when blank)."""
        return self._checked("path", key, default)

    def __repr__(self) -> str:  # never shows values: some are secrets
        return f"Settings(source={self.source!r})"
