"""The options every ``gex`` data command shares, defined once and parsed and checked before any
data is fetched.

``--source NAME`` picks the source (:func:`data_adapters.get_source`); ``--file PATH`` is the
source setting ``file`` (file-based sources: :data:`FILE_SOURCES`); ``--source-opt KEY=VALUE``
gives other non-secret settings, each a key the source reads (:mod:`api.cli.sources`: an
unknown key is a usage error listing the valid ones); ``--preset NAME`` and ``--set
KEY=VALUE`` reach :func:`engine.analyze` as the preset and its options/knobs (strings: the
engine parses types). ``--json`` is a flag: the endpoint's JSON body instead of tables.

``--at ISO`` asks for the analysis as of a past instant (an ISO-8601 instant with a zone):
from the snapshot store when the command has one, else from the source's history.
``--store DIR`` names a snapshot store (docs/store.md) and makes the command store-aware
(open-interest changes and the prior session in ``strikes --greek gex`` and
``narrative``); without it ``GEX_STORE`` does, when set. The ``store`` source, and the
commands that need a store (``ingest``, ``backfill``, ``store``, ``history``,
``oi-diff``), take their root from ``--store``, else ``GEX_STORE``, else the default
(:func:`data_adapters.store.resolve_root`).

**One definition, many commands.** :data:`BLOCK` holds the shared options (name, typer
annotation, default); :func:`with_options` turns ``def command(symbol, ..., opts: Common)``
into a typer command taking the command's own parameters followed by the named shared
options, gathered into one :class:`Common` value. :meth:`Common.invocation` parses and checks
them and builds the service.

Every symbol argument is checked against the one grammar
(:func:`data_adapters.symbols.check_symbol`) while the command line is parsed: anything
else is a usage error (one line, exit 2) before any source is built. Dates
(``--expiration``, ``--set expiration=``, ``--set max_pain_expiration=``) are strictly
``YYYY-MM-DD``, also a usage error otherwise.

Secrets never come from the command line: a ``--source-opt`` key containing one of
:data:`SECRET_WORDS` is refused with a pointer to the ``GEX_<SOURCE>_<KEY>`` variable and the
config file, and the refused value is never echoed. A ``GEX_CONFIG`` that names a missing or
unreadable file is an error (one line) for every command that reads settings.

Importing this module is cheap (typer and the standard library): the service, the engine and
the sources are imported when a command runs, under the spinner (:mod:`api.cli.console`).
"""

from __future__ import annotations

import functools
import inspect
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from api.cli.console import busy
from api.cli.errors import UsageError
from engine.errors import ConfigurationError

if TYPE_CHECKING:
    from rich.console import Console

    from api.service.analysis import AnalysisService
    from data_adapters import Source as DataSource
    from engine.analysis.single import Analysis

__all__ = [
    "BLOCK",
    "FILE_SOURCES",
    "FULL",
    "SECRET_WORDS",
    "AsJson",
    "At",
    "Common",
    "File",
    "Invocation",
    "Preset",
    "ServerStore",
    "Sets",
    "Source",
    "SourceOpts",
    "StoreDir",
    "Symbol",
    "analysis_options",
    "build_service",
    "build_source",
    "check_config",
    "check_date",
    "check_instant",
    "check_optional_symbol",
    "check_options",
    "check_source_keys",
    "check_symbols",
    "parse_duration",
    "parse_pairs",
    "source_settings",
    "stderr_console",
    "with_options",
]

DATE_OPTIONS: Final = ("expiration", "max_pain_expiration")
_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _symbol(value: str) -> str:
    from data_adapters.errors import InvalidSymbolError
    from data_adapters.symbols import check_symbol

    try:
        return check_symbol(value)
    except InvalidSymbolError as exc:
        raise typer.BadParameter(exc.message) from None


def check_optional_symbol(value: str | None) -> str | None:
    """Typer callback of an optional symbol option (``--symbol``)."""
    return None if value is None else _symbol(value)


def check_symbols(values: Sequence[str] | None) -> list[str] | None:
    """Typer callback: every symbol checked and upper-cased, or a usage error (exit 2)."""
    return None if values is None else [_symbol(v) for v in values]


def check_date(value: str | None, name: str = "expiration") -> str | None:
    """``YYYY-MM-DD`` exactly (no ISO week or ordinal dates), or a usage error (exit 2)."""
    if value is None:
        return None
    try:
        if not _DATE_RE.fullmatch(value):
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} must be a date YYYY-MM-DD, got {ascii(value)[:40]}") from None
    return value


_INSTANT_RE: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,6})?)?"
    r"([Zz]|[+-][0-9]{2}(:?[0-9]{2}(:?[0-9]{2}([.,][0-9]{1,6})?)?)?)"
)
_DURATION_RE: Final = re.compile(r"(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+(?:\.[0-9]+)?)s?)?")


def check_instant(value: str | None, name: str = "--at") -> datetime | None:
    """An ISO-8601 instant with a zone (``2026-11-20T21:15:00Z``, ``...-05:00``) -> UTC
    datetime; anything else (a date alone, no zone) is a usage error (exit 2)."""
    if value is None:
        return None
    try:
        if not _INSTANT_RE.fullmatch(value):
            raise ValueError(value)
        text = value.replace(",", ".")
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise UsageError(
            f"{name} must be an ISO-8601 instant with a time zone (e.g. 2026-11-20T21:15:00Z), "
            f"got {ascii(value)[:60]}"
        ) from None


def parse_duration(value: str, name: str = "--every") -> timedelta:
    """``90``, ``90s``, ``5m``, ``1h``, ``1h30m`` -> a positive timedelta (usage error else)."""
    text = value.strip().lower()
    m = _DURATION_RE.fullmatch(text)
    if not text or m is None or not any(m.groups()):
        raise UsageError(f"{name} takes a duration such as 60, 90s, 5m or 1h30m, got {value!r}")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    span = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if span < timedelta(seconds=1):
        raise UsageError(f"{name} must be at least one second, got {value!r}")
    return span


# Typer annotations of the shared options (one definition, every command).
Symbol = Annotated[
    str,
    typer.Argument(metavar="SYMBOL", help="Underlying, e.g. SPX, SPY, ES=F.", callback=_symbol),
]

Source = Annotated[
    str,
    typer.Option(
        "--source", "-s", help="demo, files, store, cboe, polygon, thetadata or databento."
    ),
]
File = Annotated[
    Path | None,
    typer.Option(
        "--file", "-f", dir_okay=False, help="Chain file for --source cboe (quote-table CSV/JSON)."
    ),
]
SourceOpts = Annotated[
    list[str] | None,
    typer.Option(
        "--source-opt",
        metavar="KEY=VALUE",
        help="A setting of the source (repeatable; unknown keys are errors); API keys only "
        "via GEX_<SOURCE>_API_KEY.",
    ),
]
Preset = Annotated[str | None, typer.Option("--preset", "-p", help="native or perfiliev.")]
Sets = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="KEY=VALUE", help="Analysis option or preset knob (repeatable)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the endpoint's JSON body.")]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="ISO",
        help="Analyse the snapshot as of this instant (e.g. 2026-11-20T21:15:00Z): from the "
        "store, else the source's history (demo, files, store).",
    ),
]
StoreDir = Annotated[
    Path | None,
    typer.Option(
        "--store",
        metavar="DIR",
        file_okay=False,
        help="Snapshot store root (default: $GEX_STORE, else ~/.local/share/gex-engine/store).",
    ),
]
ServerStore = Annotated[
    Path | None,
    typer.Option(
        "--store",
        metavar="DIR",
        file_okay=False,
        help="Snapshot store: OI changes, prior sessions, ?at=, /history, /oi-diff "
        "(default: $GEX_STORE when set, else none).",
    ),
]
"""``--store`` of the servers (``gex serve``, ``gex mcp``): it makes the service store-aware."""


SECRET_WORDS: Final = ("key", "secret", "token", "password")
FILE_SOURCES: Final = frozenset({"cboe"})
"""Sources that read the setting ``file`` (``--file``); ``files`` takes ``root`` instead."""


def stderr_console() -> Console:
    """A rich console on stderr (progress bars, spinners): stdout stays clean for ``--json``."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def parse_pairs(items: Sequence[str] | None, flag: str, *, echo: bool = True) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}`` (later repeats win).

    Keys are stripped and lower-cased, ``-`` becomes ``_``. ``echo=False`` keeps the
    offending item out of the error message (it may hold a secret).
    """
    pairs: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not sep or not key:
            shown = f", got {item!r}" if echo else ""
            raise UsageError(f"{flag} takes KEY=VALUE{shown}")
        pairs[key] = value.strip()
    return pairs


def check_config() -> None:
    """A ``GEX_CONFIG`` that names a missing, unreadable or invalid TOML file is an error
    now (:class:`~data_adapters.errors.SourceConfigError`, one line), whatever the command."""
    if os.environ.get("GEX_CONFIG", "").strip():
        from data_adapters.settings_model import load_config

        load_config()


def check_source_keys(source: str, keys: Sequence[str]) -> None:
    """A usage error for a ``--source-opt`` key the source does not read, listing the keys
    it does (secrets named apart: they come from the environment or the config file)."""
    if not keys:
        return
    from api.cli.sources import known_keys

    valid = known_keys(source)
    if valid is None:
        return  # an unknown source: building it says so
    unknown = sorted(k for k in keys if k not in valid)
    if not unknown:
        return
    name = source.strip().lower()
    plain = [k for k in valid if not any(word in k for word in SECRET_WORDS)]
    secret = [k for k in valid if k not in plain]
    tail = (
        f" (and {', '.join(secret)} from GEX_{name.upper()}_<KEY> or the config file)"
        if secret
        else ""
    )
    raise UsageError(
        f"unknown --source-opt {', '.join(unknown)} for --source {name}; "
        f"its settings are {', '.join(plain)}{tail}"
    )


def source_settings(
    source: str,
    file: Path | None,
    source_opts: Sequence[str] | None,
    store: Path | None = None,
) -> dict[str, str]:
    """The keyword settings for ``get_source(source, ...)`` from ``--file``/``--source-opt``
    (and ``--store``, the ``store`` source's ``root`` unless a root is given), checked:
    no secret, every key one the source reads, and a readable ``GEX_CONFIG``."""
    settings = parse_pairs(source_opts, "--source-opt", echo=False)
    name = source.strip().lower()
    for key in settings:
        if any(word in key for word in SECRET_WORDS):
            raise UsageError(
                f"--source-opt {key}: secrets are never read from the command line; "
                f"set GEX_{name.upper()}_{key.upper()} in the environment or "
                f"[sources.{name}] in the config file"
            )
    if file is not None:
        if name not in FILE_SOURCES:
            sources = ", ".join(sorted(FILE_SOURCES))
            raise UsageError(
                f"--file is read by --source {sources}, not {source!r} "
                "(the files source takes --source-opt root=DIR)"
            )
        if "file" in settings:
            raise UsageError("give the file once: --file or --source-opt file=..., not both")
    check_source_keys(name, list(settings))
    check_config()
    if file is not None:
        settings["file"] = str(file.expanduser())
    if name == "store" and store is not None:
        settings.setdefault("root", str(store.expanduser()))
    return settings


def history_root(store: Path | None) -> str | None:
    """The store that makes an analysis command store-aware: ``--store``, else
    ``$GEX_STORE`` when set, else none."""
    if store is not None:
        return str(store.expanduser())
    from data_adapters.store import STORE_ENV

    return os.environ.get(STORE_ENV) or None


def build_source(source: str, settings: dict[str, Any]) -> DataSource:
    """The source the store commands read from (tests replace this function)."""
    from data_adapters import get_source

    return get_source(source, **settings)


def analysis_options(sets: Sequence[str] | None, **explicit: object) -> dict[str, object]:
    """``--set`` pairs merged with dedicated flags (``--expiration``); None flags are unset."""
    options: dict[str, object] = dict(parse_pairs(sets, "--set"))
    for name, value in explicit.items():
        if value is None:
            continue
        if name in options:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{name} is given twice: use {flag} or --set {name}=, not both")
        options[name] = value
    for name in DATE_OPTIONS:
        if isinstance(options.get(name), str):
            check_date(str(options[name]), name)
    return options


def check_options(preset: str | None, options: dict[str, object]) -> None:
    """Raise :class:`ConfigurationError` now for an unknown preset, option or knob, or a bad
    value, rather than after fetching data."""
    from engine.analysis.options import OPTION_NAMES, parse_options
    from engine.analysis.presets import apply_overrides, get_preset

    chosen = get_preset(preset or "native")
    _, rest = parse_options(options)
    unknown = sorted(name for name in rest if name not in chosen.knobs)
    if unknown:
        knobs = ", ".join(sorted(chosen.knobs)) or "none"
        raise ConfigurationError(
            f"unknown --set {', '.join(unknown)}: analysis options are "
            f"{', '.join(OPTION_NAMES)}; preset {chosen.name!r} knobs: {knobs}"
        )
    apply_overrides(chosen, {k: str(v) for k, v in rest.items()})


def preset_name(preset: str | None) -> str:
    """The canonical name of ``preset`` (``native`` when none), or a ConfigurationError."""
    from engine.analysis.presets import get_preset

    return get_preset(preset or "native").name


def build_service(
    source: str, settings: dict[str, Any], preset: str, ttl: float, store: str | None = None
) -> AnalysisService:
    """The service every command reads through (tests replace this function); ``store``
    makes it store-aware."""
    from api.service.analysis import AnalysisService

    return AnalysisService.from_source_name(source, ttl=ttl, preset=preset, store=store, **settings)


@dataclass
class Invocation:
    """One command's source, preset and options, checked, with its service."""

    source: str
    preset: str
    options: dict[str, object]
    service: AnalysisService
    as_json: bool = False
    at: datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        source: str,
        file: Path | None,
        source_opts: Sequence[str] | None,
        preset: str | None,
        sets: Sequence[str] | None,
        as_json: bool = False,
        ttl: float = 15.0,
        at: str | None = None,
        store: Path | None = None,
        needs_store: bool = False,
        **explicit: object,
    ) -> Invocation:
        """Parse and check everything, then build the service (which may raise a
        :class:`~data_adapters.errors.SourceConfigError`). ``at``: the ``--at`` text;
        ``store``: ``--store``; ``needs_store``: the command needs a store even without
        ``--store`` or ``GEX_STORE`` (then the default root)."""
        when = check_instant(at)
        options = analysis_options(sets, **explicit)
        settings = source_settings(source, file, source_opts, store)
        name = preset_name(preset)
        check_options(name, options)
        root = history_root(store)
        if root is None and needs_store:
            from data_adapters.store import resolve_root

            root = str(resolve_root())
        if root is None:
            service = build_service(source, settings, name, ttl)
        else:
            service = build_service(source, settings, name, ttl, store=root)
        return cls(source, name, options, service, as_json, when)

    @property
    def context(self) -> str:
        """``source demo, preset native, year_days=252`` for table titles."""
        extra = "".join(f", {k}={v}" for k, v in self.options.items())
        return f"source {self.source}, preset {self.preset}{extra}"

    @contextmanager
    def busy(self, message: str) -> Iterator[None]:
        """The spinner (on an interactive stderr) showing ``message`` while something takes
        a moment; stopped when the block ends."""
        busy.start(message)
        try:
            yield
        finally:
            busy.stop()

    def compute(self, symbol: str, **options: object) -> Analysis:
        """The analysis of ``symbol`` under this invocation's preset and options (plus
        ``options``; as of ``--at`` when given)."""
        merged = {**self.options, **options}
        return self.service.analysis(symbol, self.preset, at=self.at, **merged)

    def analysis(self, symbol: str, **options: object) -> Analysis:
        """:meth:`compute` with the spinner saying so, a network fetch announced on stderr
        (with a hint when it fails), and an ``expiration`` that matches no contract
        answered with the nearest ones."""
        from api.cli.fetch import analysed

        return analysed(self, symbol, options)


# -- the shared option block --------------------------------------------------------------


@dataclass(frozen=True)
class Common:
    """The shared options of one command line, as given (see :data:`BLOCK`)."""

    source: str = "demo"
    file: Path | None = None
    source_opt: tuple[str, ...] = ()
    preset: str | None = None
    sets: tuple[str, ...] = ()
    as_json: bool = False
    at: str | None = None
    store: Path | None = None

    def invocation(
        self, *, ttl: float = 15.0, needs_store: bool = False, **explicit: object
    ) -> Invocation:
        """:meth:`Invocation.create` of these options (``explicit``: dedicated flags such as
        ``--expiration``), the spinner saying what is loading meanwhile."""
        busy.start(f"Loading the {self.source.strip().lower()} source…")
        return Invocation.create(
            source=self.source, file=self.file, source_opts=self.source_opt,
            preset=self.preset, sets=self.sets, as_json=self.as_json, ttl=ttl, at=self.at,
            store=self.store, needs_store=needs_store, **explicit,
        )  # fmt: skip

    def settings(self) -> dict[str, str]:
        """:func:`source_settings` of these options (commands that build a source only)."""
        return source_settings(self.source, self.file, self.source_opt, self.store)


BLOCK: Final[dict[str, tuple[Any, Any]]] = {
    "source": (Source, "demo"),
    "file": (File, None),
    "source_opt": (SourceOpts, None),
    "preset": (Preset, None),
    "sets": (Sets, None),
    "as_json": (AsJson, False),
    "at": (At, None),
    "store": (StoreDir, None),
}
"""The shared options: parameter name -> (typer annotation, default)."""
FULL: Final = tuple(BLOCK)
"""Every shared option (the analysis commands)."""
_AS_TUPLE: Final = ("source_opt", "sets")


def with_options(
    *names: str, busy_message: str | None = "Loading…", **defaults: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: ``func(own params..., opts: Common)`` -> a typer command whose parameters
    are ``func``'s own followed by the shared options ``names`` (default :data:`FULL`), in
    that order, with ``defaults`` overriding :data:`BLOCK`'s. ``busy_message``: the
    spinner's text from the moment the command is chosen (None: no spinner)."""
    chosen = names or FULL
    unknown = [n for n in (*chosen, *defaults) if n not in BLOCK]
    if unknown:
        raise ValueError(f"not shared options: {', '.join(unknown)}")

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(func, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "opts"]
        shared = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=BLOCK[name][0],
                default=defaults.get(name, BLOCK[name][1]),
            )
            for name in chosen
        ]

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in chosen if name in kwargs}
            for name in _AS_TUPLE:
                if name in given:
                    given[name] = tuple(given[name] or ())
            return func(*args, **kwargs, opts=Common(**given))

        params = [*own, *shared]
        command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        command.busy_message = busy_message  # type: ignore[attr-defined]
        return command

    return wrap
