"""Where ``gex`` writes and how: the output console, the spinner, provider log lines, times.

Nothing here imports more than the standard library at import time (``rich`` is imported
when something is printed), so that ``gex --help`` and usage errors stay fast.

Output policy:

- **stdout on a terminal**: rich renderables at the terminal's width, in colour unless
  ``NO_COLOR`` is set.
- **stdout piped or redirected**: plain text (no colour, no escape codes) that does not wrap
  at 80 columns: the width is ``COLUMNS`` when set, else :data:`PIPE_WIDTH` (tables are as
  wide as their content; sentences stay on one line). Charts, which need a width, use
  ``COLUMNS`` or :data:`PIPE_CHART_WIDTH`.
- **The spinner** (:data:`busy`) runs on an interactive stderr only, starts as soon as a
  command has work that takes a moment (before the engine is even imported) and stops
  before anything is printed, or when the command fails.
- **Provider log records** (:class:`ProviderLog`): while a command runs, the warnings of
  the ``data_adapters`` loggers (retries, fallbacks) go to the spinner instead of stderr;
  after a successful command the ones that are not transport retries are printed once each
  as ``warning:`` lines, and after a failure none are (the error line says what failed).
  ``GEX_DEBUG=1`` lets every record through as well.

Times: :func:`when` shows an instant in New York time beside UTC.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status

__all__ = [
    "NEW_YORK",
    "PIPE_CHART_WIDTH",
    "PIPE_WIDTH",
    "Busy",
    "ProviderLog",
    "busy",
    "chart_width",
    "is_terminal",
    "out_console",
    "parse_instant",
    "print_out",
    "when",
]

from engine import NEW_YORK  # the one definition (importing ``engine`` loads nothing heavy)

PIPE_WIDTH: Final = 1000
"""Width of piped output when ``COLUMNS`` is not set: wide enough that nothing wraps."""
PIPE_CHART_WIDTH: Final = 100
"""Width of a chart written to a pipe when ``COLUMNS`` is not set."""
TRANSPORT_LOGGERS: Final = ("data_adapters.http", "data_adapters.databento.client")
"""Loggers whose warnings are transport retries: shown in the spinner only."""


def _columns() -> int | None:
    raw = os.environ.get("COLUMNS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def is_terminal() -> bool:
    """Whether stdout is an interactive terminal."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def out_console() -> Console:
    """The console of a command's output on stdout (see the module docstring)."""
    from rich.console import Console

    if is_terminal():
        return Console(highlight=False)
    return Console(
        highlight=False, width=_columns() or PIPE_WIDTH, color_system=None, force_terminal=False
    )


def print_out(renderable: Any) -> None:
    """Print a command's output on stdout: as rich renders it on a terminal; piped, as
    plain lines without the padding rich leaves at their ends."""
    console = out_console()
    if is_terminal():
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    lines = [line.rstrip() for line in captured.get().splitlines()]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def chart_width() -> int:
    """Columns a chart may use: the terminal's, else ``COLUMNS``, else
    :data:`PIPE_CHART_WIDTH`."""
    if is_terminal():
        from rich.console import Console

        return Console().width
    return _columns() or PIPE_CHART_WIDTH


class Busy:
    """One spinner for the whole command on an interactive stderr (nothing otherwise)."""

    def __init__(self) -> None:
        self._status: Status | None = None
        self._text = ""

    @staticmethod
    def _interactive() -> bool:
        try:
            return sys.stderr.isatty() and not os.environ.get("GEX_NO_SPINNER")
        except (AttributeError, ValueError):
            return False

    @property
    def text(self) -> str:
        """The message shown (kept when no spinner runs, for tests)."""
        return self._text

    def start(self, message: str) -> None:
        """Show ``message`` (start the spinner, or change its text)."""
        self._text = message
        if self._status is not None:
            self._status.update(message)
            return
        if not self._interactive():
            return
        from rich.console import Console

        self._status = Console(stderr=True, highlight=False).status(message)
        self._status.start()

    def stop(self) -> None:
        """Stop the spinner (it leaves nothing on the screen)."""
        status, self._status = self._status, None
        self._text = ""
        if status is not None:
            status.stop()


busy: Final = Busy()
"""The command's spinner."""


class ProviderLog(logging.Handler):
    """Holds the ``data_adapters`` log records of one command (module docstring)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.warnings: list[str] = []
        self._logger = logging.getLogger("data_adapters")
        self._propagate = self._logger.propagate
        self._level = self._logger.level

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = " ".join(record.getMessage().split())
        except Exception:  # a record that cannot format itself is not worth a crash
            return
        if busy.text:
            busy.start(f"{busy.text.split(' — ')[0]} — {message[:100]}")
        transport = record.name.startswith(TRANSPORT_LOGGERS)
        if record.levelno >= logging.WARNING and not transport and message not in self.warnings:
            self.warnings.append(message)

    def __enter__(self) -> ProviderLog:
        self._logger.addHandler(self)
        if self._logger.level == logging.NOTSET or self._logger.level > logging.INFO:
            self._logger.setLevel(logging.INFO)
        self._logger.propagate = bool(os.environ.get("GEX_DEBUG"))
        return self

    def __exit__(self, *exc: Any) -> None:
        self._logger.removeHandler(self)
        self._logger.propagate = self._propagate
        self._logger.setLevel(self._level)


def parse_instant(text: str) -> datetime:
    """``2026-11-20T15:00:00Z`` (any ISO-8601 instant with a zone) -> UTC datetime."""
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    return value.astimezone(UTC)


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M" if moment.second == 0 else "%H:%M:%S")


def when(value: str | datetime | None) -> str:
    """An instant in New York time beside UTC: ``2026-11-20 10:00 New York (15:00 UTC)``;
    the UTC date too when it differs (``2026-11-20 20:00 New York (2026-11-21 01:00 UTC)``).
    ``—`` when missing; text that is not an instant is returned as it is."""
    if value is None:
        return "—"
    try:
        moment = parse_instant(value) if isinstance(value, str) else value.astimezone(UTC)
    except ValueError:
        return str(value)
    local = moment.astimezone(NEW_YORK)
    utc_day = "" if moment.date() == local.date() else f"{moment.date().isoformat()} "
    return f"{local.date().isoformat()} {_clock(local)} New York ({utc_day}{_clock(moment)} UTC)"
