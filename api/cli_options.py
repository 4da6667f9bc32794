"""The options every ``gex`` data command shares, parsed and checked before any data is fetched.

``--source NAME`` picks the source (:func:`data_adapters.get_source`); ``--file PATH`` is the
source setting ``file`` (file-based sources: :data:`FILE_SOURCES`); ``--source-opt KEY=VALUE``
gives other non-secret settings; ``--preset NAME`` and ``--set KEY=VALUE`` reach
:func:`engine.analyze` as the preset and its options/knobs (strings: the engine parses types).

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

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console

from api.cli_errors import UsageError
from api.service import AnalysisService
from data_adapters.errors import InvalidSymbolError
from data_adapters.symbols import check_symbol
from engine.analysis import Analysis
from engine.errors import ConfigurationError
from engine.options import OPTION_NAMES, parse_options
from engine.presets import apply_overrides, get_preset

__all__ = [
    "FILE_SOURCES",
    "SECRET_WORDS",
    "AsJson",
    "File",
    "Invocation",
    "Preset",
    "Sets",
    "Source",
    "SourceOpts",
    "Symbol",
    "analysis_options",
    "build_service",
    "check_date",
    "check_options",
    "check_symbols",
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


# Typer annotations of the shared options (one definition, every command).
Symbol = Annotated[str, typer.Argument(help="Underlying, e.g. SPX, SPY, ES=F.", callback=_symbol)]

Source = Annotated[
    str, typer.Option("--source", "-s", help="demo, files, cboe, polygon or thetadata.")
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
    source: str, file: Path | None, source_opts: Sequence[str] | None
) -> dict[str, str]:
    """The keyword settings for ``get_source(source, ...)`` from ``--file``/``--source-opt``."""
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
    return settings


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
    source: str, settings: dict[str, Any], preset: str, ttl: float
) -> AnalysisService:
    """The service every command reads through (tests replace this function)."""
    return AnalysisService.from_source_name(source, ttl=ttl, preset=preset, **settings)


@dataclass
class Invocation:
    """One command's source, preset and options, checked, with its service."""

    source: str
    preset: str
    options: dict[str, object]
    service: AnalysisService
    as_json: bool = False
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
        **explicit: object,
    ) -> Invocation:
        """Parse and check everything, then build the service (which may raise a
        :class:`~data_adapters.errors.SourceConfigError`)."""
        settings = source_settings(source, file, source_opts)
        options = analysis_options(sets, **explicit)
        name = get_preset(preset or "native").name
        check_options(name, options)
        return cls(source, name, options, build_service(source, settings, name, ttl), as_json)

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
        """The analysis of ``symbol`` under this invocation's preset and options."""
        return self.service.analysis(symbol, self.preset, **self.options)

    def analysis(self, symbol: str) -> Analysis:
        """:meth:`compute` under a spinner (one symbol at a time)."""
        with self.busy(f"Analysing {symbol.upper()} ({self.source})…"):
            return self.compute(symbol)
