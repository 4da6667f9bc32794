"""The options every ``gex`` data command shares, parsed and checked before any data is fetched.

``--source NAME`` picks the source (:func:`data_adapters.get_source`); ``--file PATH`` is the
source setting ``file`` (file-based sources: :data:`FILE_SOURCES`); ``--source-opt KEY=VALUE``
gives other non-secret settings; ``--preset NAME`` and ``--set KEY=VALUE`` reach
:func:`engine.analyze` as the preset and its options/knobs (strings: the engine parses types).

``--at ISO`` asks for the analysis as of a past instant (an ISO-8601 instant with a zone):
from the snapshot store when the command has one, else from the source's history.
``--store DIR`` names a snapshot store (docs/store.md) and makes the command store-aware
(open-interest changes and the prior session in ``strikes --greek gex`` and
``narrative``); without it ``GEX_STORE`` does, when set. The ``store`` source, and the
commands that need a store (``ingest``, ``backfill``, ``store``, ``history``,
``oi-diff``), take their root from ``--store``, else ``GEX_STORE``, else the default
(:func:`data_adapters.store.resolve_root`).

Every symbol argument is checked against the one grammar
(:func:`data_adapters.symbols.check_symbol`) while the command line is parsed: anything
else is a usage error (one line, exit 2) before any source is built. Dates
(``--expiration``, ``--set expiration=``, ``--set max_pain_expiration=``) are strictly
``YYYY-MM-DD``, also a usage error otherwise.

Secrets never come from the command line: a ``--source-opt`` key containing one of
:data:`SECRET_WORDS` is refused with a pointer to the ``GEX_<SOURCE>_<KEY>`` variable and the
config file, and the refused value is never echoed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console

from api.cli.errors import UsageError
from api.service.analysis import AnalysisService
from data_adapters import Source as DataSource
from data_adapters import get_source
from data_adapters.errors import InvalidSymbolError
from data_adapters.store import STORE_ENV
from data_adapters.symbols import check_symbol
from engine.analysis.options import OPTION_NAMES, parse_options
from engine.analysis.presets import apply_overrides, get_preset
from engine.analysis.single import Analysis
from engine.errors import ConfigurationError

__all__ = [
    "FILE_SOURCES",
    "SECRET_WORDS",
    "AsJson",
    "At",
    "File",
    "Invocation",
    "Preset",
    "Sets",
    "Source",
    "SourceOpts",
    "StoreDir",
    "Symbol",
    "analysis_options",
    "build_service",
    "build_source",
    "check_date",
    "check_instant",
    "check_optional_symbol",
    "check_options",
    "check_symbols",
    "parse_duration",
    "parse_pairs",
    "source_settings",
    "stderr_console",
]

DATE_OPTIONS: Final = ("expiration", "max_pain_expiration")
_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _symbol(value: str) -> str:
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
Symbol = Annotated[str, typer.Argument(help="Underlying, e.g. SPX, SPY, ES=F.", callback=_symbol)]

Source = Annotated[
    str,
    typer.Option("--source", "-s", help="demo, files, store, cboe, polygon or thetadata."),
]
File = Annotated[
    Path | None,
    typer.Option("--file", "-f", dir_okay=False, help="Chain file for --source cboe (CSV/JSON)."),
]
SourceOpts = Annotated[
    list[str] | None,
    typer.Option(
        "--source-opt",
        metavar="KEY=VALUE",
        help="Non-secret source setting (repeatable); API keys only via GEX_<SOURCE>_API_KEY.",
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


SECRET_WORDS: Final = ("key", "secret", "token", "password")
FILE_SOURCES: Final = frozenset({"cboe"})
"""Sources that read the setting ``file`` (``--file``); ``files`` takes ``root`` instead."""


def stderr_console() -> Console:
    """A rich console on stderr (progress bars, spinners): stdout stays clean for ``--json``."""
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


def source_settings(
    source: str,
    file: Path | None,
    source_opts: Sequence[str] | None,
    store: Path | None = None,
) -> dict[str, str]:
    """The keyword settings for ``get_source(source, ...)`` from ``--file``/``--source-opt``
    (and ``--store``, the ``store`` source's ``root`` unless a root is given)."""
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
        settings["file"] = str(file.expanduser())
    if name == "store" and store is not None:
        settings.setdefault("root", str(store.expanduser()))
    return settings


def history_root(store: Path | None) -> str | None:
    """The store that makes an analysis command store-aware: ``--store``, else
    ``$GEX_STORE`` when set, else none."""
    if store is not None:
        return str(store.expanduser())
    return os.environ.get(STORE_ENV) or None


def build_source(source: str, settings: dict[str, Any]) -> DataSource:
    """The source the store commands read from (tests replace this function)."""
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


def build_service(
    source: str, settings: dict[str, Any], preset: str, ttl: float, store: str | None = None
) -> AnalysisService:
    """The service every command reads through (tests replace this function); ``store``
    makes it store-aware."""
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
    _console: Console = field(default_factory=stderr_console, repr=False)

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
        settings = source_settings(source, file, source_opts, store)
        options = analysis_options(sets, **explicit)
        name = get_preset(preset or "native").name
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
        """A spinner on an interactive stderr while something takes a moment."""
        live = self._console.is_terminal and sys.stderr.isatty()
        with self._console.status(message) if live else nullcontext():
            yield

    def compute(self, symbol: str) -> Analysis:
        """The analysis of ``symbol`` under this invocation's preset and options (as of
        ``--at`` when given)."""
        return self.service.analysis(symbol, self.preset, at=self.at, **self.options)

    def analysis(self, symbol: str) -> Analysis:
        """:meth:`compute` under a spinner (one symbol at a time)."""
        with self.busy(f"Analysing {symbol.upper()} ({self.source})…"):
            return self.compute(symbol)
