"""The ``gex`` command's error policy: one line on stderr, an exit code, never a traceback.

=====================================================  ====  =================================
what                                                   exit  printed
=====================================================  ====  =================================
usage error (bad flag, missing argument, bad KEY=VALUE)  2    ``error: <message> (see '... --help')``
:class:`~engine.errors.GexError` (data, configuration,   1    ``error: <message>``
source, server bind checks) or a command's own failure
Ctrl-C                                                  130   ``error: interrupted``
anything unexpected                                      1    ``error: unexpected <Type>: ...``
=====================================================  ====  =================================

``GEX_DEBUG=1`` re-raises unexpected exceptions so that their traceback can be read.

Around every command: the spinner (:data:`api.cli.console.busy`) is stopped however the
command ends, and the sources' log records are held (:class:`api.cli.console.ProviderLog`):
a failing provider prints its one ``error:`` line, not one line per retry; after a
successful command its warnings (a fallback taken, greeks missing from a subscription) are
printed once each as ``warning:`` lines.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from api.cli.console import ProviderLog, busy
from engine.errors import GexError

try:  # recent typer releases parse with their own vendored copy of click
    from typer._click import exceptions as _click
except ImportError:  # older typer uses click itself
    from click import exceptions as _click  # type: ignore[no-redef]

__all__ = ["CommandError", "GexGroup", "UsageError", "error_line"]

UsageError = _click.UsageError
"""Raise for a bad command line: exit 2 (the class typer's parser raises too)."""
CommandError = _click.ClickException
"""Raise for a command that cannot do its job for a reason outside the engine: exit 1."""
_NO_ARGS_IS_HELP: tuple[type[Exception], ...] = tuple(
    e for e in (getattr(_click, "NoArgsIsHelpError", None),) if e is not None
)  # click >= 8.2: raised after the help was printed for a bare ``gex``


def error_line(message: object, prefix: str = "error") -> None:
    """Print ``<prefix>: <message>`` on stderr, whitespace (newlines included) collapsed."""
    text = " ".join(str(message).split())
    typer.echo(f"{prefix}: {text}", err=True)


def _run(call: Callable[[], Any]) -> int:
    with ProviderLog() as log:
        try:
            code = _outcome(call)
        finally:
            busy.stop()
    if code == 0:
        for warning in log.warnings:
            error_line(warning, "warning")
    return code


def _fail(message: object) -> None:
    busy.stop()
    error_line(message)


def _outcome(call: Callable[[], Any]) -> int:
    try:
        result = call()
        code = result if isinstance(result, int) else 0
        if code == 130:  # typer turns Ctrl-C into Exit(130)
            _fail("interrupted")
    except _NO_ARGS_IS_HELP as exc:  # a bare ``gex``: typer has printed the help already,
        if str(exc):  # plain click carries it as the message instead
            typer.echo(str(exc))
        code = 0
    except _click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        _fail(exc.format_message() + hint)
        code = exc.exit_code
    except _click.ClickException as exc:
        _fail(exc.format_message())
        code = exc.exit_code
    except typer.Abort:
        _fail("aborted")
        code = 1
    except GexError as exc:
        _fail(exc)
        code = 1
    except KeyboardInterrupt:
        _fail("interrupted")
        code = 130
    except Exception as exc:
        if os.environ.get("GEX_DEBUG"):
            raise
        _fail(f"unexpected {type(exc).__name__}: {exc} (GEX_DEBUG=1 shows the traceback)")
        code = 1
    return code


class GexGroup(TyperGroup):
    """Typer's command group with the error policy above (``typer.Typer(cls=GexGroup)``)."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; exits with the policy's code (returns it when
        ``standalone_mode`` is false)."""
        code = _run(
            lambda: super(GexGroup, self).main(
                args, prog_name, complete_var, standalone_mode=False, **extra
            ),
        )
        if standalone_mode:
            sys.exit(code)
        return code
