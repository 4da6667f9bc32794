"""One settings model, on pydantic-settings, for the server and for every data source.

:class:`GexSettings` holds a ``server`` section (:class:`ServerSettings`) and one
``sources.<name>`` section per source (:class:`SourceSettings`). Each value comes from the
first of these that gives it (blank environment values and ``None`` arguments count as
unset):

1. explicit arguments (``ServerSettings.load(**overrides)``, ``get_source(name, **kw)``),
2. the environment: ``GEX_<SETTING>`` for the server (``GEX_RATE_LIMIT``),
   ``GEX_<SOURCE>_<KEY>`` for a source (``GEX_POLYGON_API_KEY``),
3. the TOML config file (:func:`config_path`): ``[server]`` and ``[sources.<name>]``,
4. the defaults.

The environment and the file are two custom pydantic-settings sources
(:class:`GexEnvSource`, :class:`TomlFileSource`); :meth:`GexSettings.resolve` lets a caller
hand them a mapping for the environment and an already parsed file (tests, the CLI).

Server settings are typed and bounded here; a source's keys are each source's own (its
``create(settings)`` reads and checks them, see docs/configuration.md) and stay as given,
except that any key with ``key``, ``secret``, ``token`` or ``password`` in its name is held
as a :class:`~pydantic.SecretStr`. Secrets never appear in a repr, a log line or an error:
errors are one line, typed (:class:`ServerConfigError`, :class:`SourceConfigError`), name
the setting and show the offending value only when it is not a secret.

Shared value formats (validators, also used by :class:`data_adapters.settings.Settings`):
:data:`ByteSize` (``1048576``, ``512MiB``, ``2 GiB``, ``900MB``, ``32k``), :data:`Flag`
(``true``/``false``, ``yes``/``no``, ``on``/``off``, ``1``/``0``), :data:`UserPath`
(``~`` expanded; blank = unset), key lists (comma-separated or a TOML list).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from data_adapters.errors import SourceConfigError
from engine.errors import ConfigurationError

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_AUTH_FAILURE_LIMIT",
    "DEFAULT_AUTH_FAILURE_WINDOW",
    "DEFAULT_CACHE_MAX_BYTES",
    "DEFAULT_COMPUTE_WORKERS",
    "DEFAULT_MAX_HEADER_BYTES",
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_RATE_WINDOW",
    "DEFAULT_REQUEST_TIMEOUT",
    "SECRET_WORDS",
    "ByteSize",
    "Flag",
    "GexEnvSource",
    "GexSettings",
    "Items",
    "Number",
    "ServerConfigError",
    "ServerSettings",
    "SourceSettings",
    "TomlFileSource",
    "UserPath",
    "Whole",
    "config_path",
    "describe_error",
    "is_secret",
    "load_config",
    "one_line",
]

CONFIG_ENV = "GEX_CONFIG"
"""The environment variable naming the config file (``/dev/null``: none)."""
DEFAULT_RATE_LIMIT = 600
DEFAULT_RATE_WINDOW = 60.0
DEFAULT_CACHE_MAX_BYTES = 512 * 1024**2
DEFAULT_COMPUTE_WORKERS = 8
DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_HEADER_BYTES = 16 * 1024
DEFAULT_AUTH_FAILURE_LIMIT = 20
DEFAULT_AUTH_FAILURE_WINDOW = 60.0
SECRET_WORDS = ("key", "secret", "token", "password")
"""A setting whose name contains one of these is a secret (never shown, never on a command
line)."""

_UNITS = {
    "": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "k": 1024, "m": 1024**2, "g": 1024**3,
}  # fmt: skip
_BYTES_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ServerConfigError(ConfigurationError):
    """A server setting is missing or invalid (the message names it, never a secret)."""


def is_secret(name: str) -> bool:
    """True for a setting name holding a secret (:data:`SECRET_WORDS`)."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


# -- the config file ---------------------------------------------------------------------


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The config file in force: ``$GEX_CONFIG`` or ``~/.config/gex/config.toml``."""
    raw = (os.environ if environ is None else environ).get(CONFIG_ENV, "").strip()
    return Path(raw).expanduser() if raw else Path.home() / ".config" / "gex" / "config.toml"


def load_config(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The parsed config file; ``{}`` when the default file does not exist.

    A file named by ``GEX_CONFIG`` (or by ``path``) must exist and parse: otherwise a
    :class:`SourceConfigError` (provider ``config``) says which. ``GEX_CONFIG=/dev/null``
    reads as an empty file (no config).
    """
    env = os.environ if environ is None else environ
    named = path is not None or bool(env.get(CONFIG_ENV, "").strip())
    path = path if path is not None else config_path(env)
    if not path.exists():
        if not named:
            return {}
        raise SourceConfigError(
            "config",
            f"config file {path} does not exist (unset {CONFIG_ENV} for the default, or set "
            f"it to /dev/null for no config file)",
        )
    if path.is_dir():
        raise SourceConfigError("config", f"config file {path} is a folder, not a TOML file")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        reason = one_line(str(exc) or type(exc).__name__)
        raise SourceConfigError("config", f"cannot read config file {path}: {reason}") from None


def one_line(text: str) -> str:
    """``text`` on one line (whitespace runs, newlines included, become one space)."""
    return " ".join(text.split())


# -- value formats (validators) ----------------------------------------------------------


def _number_input(raw: Any) -> Any:
    if isinstance(raw, bool):
        raise ValueError("must be a number, not true/false")
    return raw


def _bytes_input(raw: Any) -> Any:
    """``1048576``, ``"512MiB"``, ``"2 GiB"``, ``"900MB"``, ``"32k"`` -> whole bytes."""
    raw = _number_input(raw)
    if isinstance(raw, str):
        match = _BYTES_RE.fullmatch(raw)
        unit = _UNITS.get(match.group(2).lower()) if match else None
        if match is None or unit is None:
            raise ValueError("must be a number of bytes (or with KiB, MiB, GiB, kB, MB, GB)")
        raw = float(match.group(1)) * unit
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError("must be a finite number of bytes")
        raw = int(raw)
    return raw


def _flag_input(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower() if isinstance(raw, str | int) else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("must be true or false (also yes/no, on/off, 1/0)")


def _path_input(raw: Any) -> Any:
    if raw is None:
        return None
    if not isinstance(raw, str | os.PathLike):
        raise ValueError("must be a folder path")
    text = os.fspath(raw).strip()
    return os.path.expanduser(text) if text else None


def _text_input(raw: Any) -> Any:
    """A stripped string; blank = the field's default."""
    if isinstance(raw, str):
        if not raw.strip():
            raise PydanticUseDefault()
        return raw.strip()
    return raw


def _items_input(raw: Any) -> Any:
    """A comma-separated string or a list of strings -> stripped, unique, non-empty items."""
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise ValueError("must be a comma-separated string or a list of strings")
    found: list[Any] = []
    for item in items:
        if isinstance(item, SecretStr):
            item = item.get_secret_value()
        if not isinstance(item, str):
            raise ValueError("must contain strings only")
        if item.strip():
            found.append(item.strip())
    return tuple(dict.fromkeys(found))


Whole = Annotated[int, BeforeValidator(_number_input)]
"""A whole number: ``"3"``, ``3``, ``3.0``; not ``2.5`` nor ``true``."""
Number = Annotated[float, BeforeValidator(_number_input)]
"""A number: ``"2.5"``, ``2.5``, ``"1e3"``; not ``true``."""
ByteSize = Annotated[int, BeforeValidator(_bytes_input)]
"""Bytes: a number, or a string with a unit: ``512MiB``, ``2 GiB``, ``900MB``, ``32k``."""
Flag = Annotated[bool, BeforeValidator(_flag_input)]
"""true/false, yes/no, on/off, 1/0 (any case)."""
UserPath = Annotated[str | None, BeforeValidator(_path_input)]
"""A path with ``~`` expanded; blank = unset."""
Text = Annotated[str, BeforeValidator(_text_input)]
Items = Annotated[tuple[str, ...], BeforeValidator(_items_input)]
"""Comma-separated (``"a, b"``) or a TOML list; blanks dropped, duplicates once."""
SecretItems = Annotated[tuple[SecretStr, ...], BeforeValidator(_items_input)]


# -- errors -------------------------------------------------------------------------------

_PROBLEMS = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "string_type": "must be a string",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "extra_forbidden": "is not a setting",
    "finite_number": "must be a finite number",
}
_BOUNDS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def _problem(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    for key, sign in _BOUNDS.items():
        if key in ctx:
            return f"must be {sign} {ctx[key]}"
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return _PROBLEMS.get(kind) or str(error.get("msg", "is invalid")).lower()


def describe_error(name: str, error: Mapping[str, Any], label: str) -> str:
    """``label must be ..., got <value>``: the value only for a named, non-secret setting,
    never for an unknown key or a whole table (which may hold secrets)."""
    text = f"{label} {_problem(error)}"
    value = error.get("input")
    shown = (
        "input" in error
        and error.get("type") not in ("extra_forbidden", "missing")
        and bool(name)
        and not is_secret(name)
        and not isinstance(value, Mapping | BaseModel)
    )
    return one_line(f"{text}, got {value!r}" if shown else text)


def _server_error(exc: ValidationError, loc_offset: int = 0) -> ServerConfigError:
    error = exc.errors(include_url=False)[0]
    loc = [str(part) for part in error["loc"][loc_offset:]]
    name = loc[0] if loc else ""
    if name in ServerSettings.setting_names() or name in ServerSettings.model_fields:
        field = ServerSettings.model_fields.get(name)
        shown = field.alias or name if field is not None else name
        label = f"{shown} (GEX_{shown.upper()} or [server] {shown})"
    else:
        label = f"[server] {name}" if name else "[server]"
    more = exc.error_count() - 1
    return ServerConfigError(
        describe_error(name, error, label) + (f" (and {more} more)" if more else "")
    )


def _converted(exc: ValidationError) -> ServerConfigError | SourceConfigError:
    """A typed one-line error for the first problem of a :class:`GexSettings` validation."""
    error = exc.errors(include_url=False)[0]
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, ServerConfigError | SourceConfigError):
        return raised  # a section's own __init__ already said it (nested validation)
    loc = [str(part) for part in error["loc"]]
    if loc[:1] == ["server"]:
        return _server_error(exc, loc_offset=1)
    if loc[:1] == ["sources"] and len(loc) >= 2:
        source, rest = loc[1], loc[2:]
        key = rest[0] if rest else ""
        label = f"setting {key!r}" if key else f"[sources.{source}]"
        return SourceConfigError(source, describe_error(key, error, label))
    where = ".".join(loc) or "settings"
    return ServerConfigError(one_line(f"{where} {_problem(error)}"))


class _Count:
    """Shown instead of the keys in a repr: ``<2 configured>``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return f"<{self.n} configured>"


# -- the sections -------------------------------------------------------------------------


FLOW_RULES: Final = ("vendor", "net")
"""The OI simulator's rules (``engine.flow``): the server's default of ``/v1/flow/*``."""


def _flow_rule(value: str) -> str:
    rule = value.strip().lower()
    if rule not in FLOW_RULES:
        raise ValueError(f"must be one of {', '.join(FLOW_RULES)}")
    return rule


class ServerSettings(BaseModel):
    """The ``server`` section: HTTP API keys, limits and the ASGI factory's defaults
    (docs/configuration.md). ``api_keys`` gives the keys as plain strings for the
    authenticator; the model holds them as :class:`~pydantic.SecretStr`."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        hide_input_in_errors=True,
    )

    secret_keys: SecretItems = Field(default=(), alias="api_keys")
    rate_limit: Annotated[Whole, Field(ge=0)] = DEFAULT_RATE_LIMIT
    rate_window: Annotated[Number, Field(ge=0.001)] = DEFAULT_RATE_WINDOW
    source: Text = "demo"
    preset: Text = "native"
    cache_ttl: Annotated[Number, Field(ge=0)] = 15.0
    cache_max_bytes: Annotated[ByteSize, Field(ge=0)] = DEFAULT_CACHE_MAX_BYTES
    compute_workers: Annotated[Whole, Field(ge=1)] = DEFAULT_COMPUTE_WORKERS
    request_timeout: Annotated[Number, Field(ge=0)] = DEFAULT_REQUEST_TIMEOUT
    max_header_bytes: Annotated[ByteSize, Field(ge=1024)] = DEFAULT_MAX_HEADER_BYTES
    docs_public: Flag = True
    auth_failure_limit: Annotated[Whole, Field(ge=0)] = DEFAULT_AUTH_FAILURE_LIMIT
    auth_failure_window: Annotated[Number, Field(ge=0.001)] = DEFAULT_AUTH_FAILURE_WINDOW
    store: UserPath = None
    flow_rule: Annotated[Text, AfterValidator(_flow_rule)] = "vendor"
    flow_confidence: Annotated[Number, Field(gt=0, le=1)] = 0.43

    def __init__(self, /, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _server_error(exc) from None

    @property
    def api_keys(self) -> tuple[str, ...]:
        """The configured keys (empty: loopback only). Secrets: never log them."""
        return tuple(key.get_secret_value() for key in self.secret_keys)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield ("api_keys", _Count(len(value))) if name == "secret_keys" else (name, value)

    @classmethod
    def setting_names(cls) -> tuple[str, ...]:
        """The settings' names, as in ``[server]`` (``GEX_`` + upper case in the env)."""
        return tuple(field.alias or name for name, field in cls.model_fields.items())

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        config: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> ServerSettings:
        """Settings from ``overrides`` (None values ignored), the environment
        (``environ``, default ``os.environ``), the file (``config``: an already parsed
        file, default :func:`load_config`), then the defaults."""
        given = {k: v for k, v in overrides.items() if v is not None}
        settings = GexSettings.resolve(
            environ=environ, config=config, server=given, scope=("server",)
        )
        if type(settings.server) is cls:
            return settings.server
        return cls.model_validate(dict(settings.server))


class SourceSettings(RootModel[dict[str, Any]]):
    """One ``sources.<name>`` section: the source's keys (lower case) and their raw values,
    secrets (:func:`is_secret` names) as :class:`~pydantic.SecretStr`. :meth:`get` gives
    plain values."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    @model_validator(mode="before")
    @classmethod
    def _keys_and_secrets(cls, raw: Any) -> Any:
        if isinstance(raw, SourceSettings):
            return raw.root
        if not isinstance(raw, Mapping):
            raise ValueError("must be a table of settings")
        table: dict[str, Any] = {}
        for key, value in raw.items():
            if not isinstance(key, str) or not key.strip():
                raise ValueError("must have text keys")
            name = key.strip().lower()
            if value is None:
                continue
            if is_secret(name) and not isinstance(value, SecretStr):
                if isinstance(value, Mapping | list | tuple):
                    raise ValueError(f"setting {name!r} must be a string")
                value = SecretStr(str(value))
            table[name] = value
        return table

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` (a secret's plain text), or ``default``."""
        value = self.root.get(key.lower(), default)
        return value.get_secret_value() if isinstance(value, SecretStr) else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self.root

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        yield None, self.root  # secrets already show as SecretStr('**********')


# -- the sources of values -----------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    """What one resolution reads: the environment, the parsed file, and its scope
    (``"server"`` and/or source names; ``None`` = everything)."""

    environ: Mapping[str, str]
    config: Mapping[str, Any] | None
    scope: frozenset[str] | None

    def wants(self, section: str) -> bool:
        return self.scope is None or section in self.scope

    def file(self) -> Mapping[str, Any]:
        return load_config(environ=self.environ) if self.config is None else self.config


_INPUTS: ContextVar[_Inputs | None] = ContextVar("gex_settings_inputs", default=None)


def _known_sources() -> tuple[str, ...]:
    from data_adapters import REGISTRY  # the package is loaded by the time anyone resolves

    return tuple(REGISTRY)


class GexEnvSource(PydanticBaseSettingsSource):
    """``GEX_<SETTING>`` -> ``server``; ``GEX_<SOURCE>_<KEY>`` -> ``sources.<source>``.
    Blank values are unset. Reads the given mapping, not necessarily ``os.environ``."""

    def __init__(self, settings_cls: type[BaseSettings], inputs: _Inputs, sources: Iterable[str]):
        super().__init__(settings_cls)
        self.inputs = inputs
        self.sources = tuple(dict.fromkeys(s.lower() for s in sources))

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ does the work (two sections, free keys)

    def __call__(self) -> dict[str, Any]:
        env = {k: v for k, v in self.inputs.environ.items() if isinstance(v, str) and v.strip()}
        found: dict[str, Any] = {}
        if self.inputs.wants("server"):
            server = {
                name: env[f"GEX_{name.upper()}"]
                for name in ServerSettings.setting_names()
                if f"GEX_{name.upper()}" in env
            }
            if server:
                found["server"] = server
        sources: dict[str, dict[str, Any]] = {}
        for source in self.sources:
            if not self.inputs.wants(source):
                continue
            prefix = f"GEX_{source.upper()}_"
            table = {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}
            if table:
                sources[source] = table
        if sources:
            found["sources"] = sources
        return found

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sources={self.sources!r})"


class TomlFileSource(PydanticBaseSettingsSource):
    """The config file's ``[server]`` and ``[sources.<name>]`` tables (other tables are an
    error). Source names and keys are read case-insensitively."""

    def __init__(self, settings_cls: type[BaseSettings], inputs: _Inputs):
        super().__init__(settings_cls)
        self.inputs = inputs
        self.data = inputs.file()

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def source_names(self) -> tuple[str, ...]:
        table = self.data.get("sources", {})
        return tuple(str(k).lower() for k in table) if isinstance(table, Mapping) else ()

    def __call__(self) -> dict[str, Any]:
        unknown = sorted(str(k) for k in self.data if k not in ("server", "sources"))
        if unknown:
            raise SourceConfigError(
                "config",
                f"the config file has unknown table(s) {', '.join(unknown)}; "
                "it takes [server] and [sources.<name>]",
            )
        found: dict[str, Any] = {}
        server = self.data.get("server")
        if server is not None and self.inputs.wants("server"):
            if not isinstance(server, Mapping):
                raise ServerConfigError("[server] in the config file must be a table")
            found["server"] = dict(server)
        sources = self.data.get("sources", {})
        if not isinstance(sources, Mapping):
            raise SourceConfigError("config", "[sources] in the config file must be a table")
        picked: dict[str, Any] = {}
        for name, table in sources.items():
            key = str(name).lower()
            if not self.inputs.wants(key):
                continue
            if not isinstance(table, Mapping):
                raise SourceConfigError(key, f"[sources.{name}] in the config file must be a table")
            picked[key] = {str(k).lower(): v for k, v in table.items()}
        if picked:
            found["sources"] = picked
        return found

    def __repr__(self) -> str:
        return f"{type(self).__name__}(keys={sorted(self.data)!r})"


# -- the model ----------------------------------------------------------------------------


class GexSettings(BaseSettings):
    """Every setting of gex-engine: ``server`` and ``sources.<name>`` (module docstring).

    ``GexSettings()`` reads ``os.environ`` and the config file; :meth:`resolve` takes
    explicit inputs. Invalid values raise :class:`ServerConfigError` or
    :class:`SourceConfigError`, one line, never with a secret.
    """

    model_config = SettingsConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    server: ServerSettings = Field(default_factory=ServerSettings)
    sources: dict[str, SourceSettings] = Field(default_factory=dict)

    def __init__(self, /, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _converted(exc) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit values, then :class:`GexEnvSource`, then :class:`TomlFileSource`."""
        inputs = _INPUTS.get() or _Inputs(os.environ, None, None)
        toml = TomlFileSource(settings_cls, inputs)
        names: tuple[str, ...] = (
            tuple(inputs.scope - {"server"})
            if inputs.scope is not None
            else (*_known_sources(), *toml.source_names())
        )
        return init_settings, GexEnvSource(settings_cls, inputs, names), toml

    @classmethod
    def resolve(
        cls,
        *,
        environ: Mapping[str, str] | None = None,
        config: Mapping[str, Any] | None = None,
        server: Mapping[str, Any] | None = None,
        sources: Mapping[str, Mapping[str, Any]] | None = None,
        scope: Iterable[str] | None = None,
    ) -> GexSettings:
        """The settings from explicit ``server`` and ``sources`` values (``None`` values
        dropped), ``environ`` (default ``os.environ``), ``config`` (a parsed file; default
        :func:`load_config`), then the defaults.

        ``scope`` limits what is read from the environment and the file to ``"server"``
        and/or the named sources, so that one source is not refused for another's bad
        value; ``None`` reads everything.
        """
        init: dict[str, Any] = {}
        if server:
            init["server"] = {k: v for k, v in server.items() if v is not None}
        tables = {
            name.lower(): {str(k).lower(): v for k, v in table.items() if v is not None}
            for name, table in (sources or {}).items()
        }
        if any(tables.values()):
            init["sources"] = {name: table for name, table in tables.items() if table}
        inputs = _Inputs(
            os.environ if environ is None else environ,
            config,
            None if scope is None else frozenset(s.lower() for s in scope),
        )
        token = _INPUTS.set(inputs)
        try:
            return cls(**init)
        finally:
            _INPUTS.reset(token)

    def source(self, name: str) -> SourceSettings:
        """The section of source ``name`` (empty when nothing sets it)."""
        return self.sources.get(name.lower()) or SourceSettings({})
