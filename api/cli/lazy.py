"""The ``gex`` command group: commands registered by modules that are imported only when used.

A module with heavy imports (the flow simulator, the MCP server) registers its commands with
``register(app)``. :meth:`GexApp.lazy` records the module instead of importing it: ``gex
--help`` lists the command with the first paragraph of its function's docstring, read from
the module's source (:func:`short_help`, no import), and the module is imported and its
``register`` run on a private typer app only when the command is invoked or its own help
is asked for. ``gex --help`` and a usage error of another command therefore never import it.

Start-up cost: this fork of typer converts every parameter with pydantic, so the group does
not process its own (``--help`` only) when the command line starts with a command name: a
usage error that the parser finds (an unknown option) then costs no pydantic import.
``--version`` is answered before any parsing.

The group also starts the spinner (:data:`api.cli.console.busy`) as soon as it has chosen a
command whose callback asks for one (``busy_message``, set by
:func:`api.cli.options.with_options`), before the command's arguments are even converted.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand

from api.cli.console import busy
from api.cli.errors import GexGroup

try:  # recent typer releases parse with their own vendored copy of click
    import typer._click as _click
except ImportError:  # older typer uses click itself
    import click as _click  # type: ignore[no-redef]

__all__ = ["GexApp", "metric_names", "short_help"]

_HELP_FLAGS = frozenset({"--help", "-h"})


def _registered(register: ast.FunctionDef, name: str) -> str | None:
    """The function ``register`` adds as command ``name`` (``app.command("name")(func)``)."""
    for node in ast.walk(register):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Call)):
            continue
        decorator = node.func
        if not (isinstance(decorator.func, ast.Attribute) and decorator.func.attr == "command"):
            continue
        named = decorator.args[0] if decorator.args else None
        if isinstance(named, ast.Constant) and named.value == name and node.args:
            target = node.args[0]
            if isinstance(target, ast.Name):
                return target.id
    return None


def short_help(module: str, name: str) -> str | None:
    """The docstring of the function that ``module.register`` adds as command ``name``,
    read from the module's source without importing it (None when it cannot be found)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    try:
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    register = functions.get("register")
    target = None if register is None else _registered(register, name)
    function = functions.get(target or "")
    return None if function is None else ast.get_docstring(function)


class GexApp(GexGroup):
    """The top ``gex`` group: :class:`~api.cli.errors.GexGroup` plus lazily registered
    commands and an early spinner (module docstring)."""

    modules: ClassVar[dict[str, str]] = {}
    """Command name -> the module whose ``register(app)`` adds it."""

    @classmethod
    def lazy(cls, name: str, module: str) -> None:
        """Register command ``name`` of ``module`` without importing the module."""
        cls.modules[name] = module

    def _load(self, name: str) -> _click.Command | None:
        module = importlib.import_module(self.modules[name])
        private = typer.Typer(cls=GexGroup, rich_markup_mode=None, add_completion=False)
        module.register(private)
        group = typer.main.get_group(private)
        for key, command in group.commands.items():
            self.commands.setdefault(key, command)
        return self.commands.get(name)

    def list_commands(self, ctx: _click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return names + [n for n in self.modules if n not in self.commands]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.modules:
            command = self._load(cmd_name)
        return command

    def _listed(self, ctx: _click.Context, name: str) -> _click.Command | None:
        """The command for the help listing: a placeholder with the docstring of a command
        whose module is not imported yet."""
        command = super().get_command(ctx, name)
        if command is not None or name not in self.modules:
            return command
        text = short_help(self.modules[name], name)
        return self._load(name) if text is None else TyperCommand(name, help=text)

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self._listed(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(n, c.get_short_help_str(limit)) for n, c in rows])

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-"):  # a command: nothing of the group's to read
            ctx._protected_args, ctx.args = args[:1], args[1:]  # as TyperGroup.parse_args
            return ctx.args
        return super().parse_args(ctx, args)

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        if given[:1] == ["--version"]:
            from importlib.metadata import PackageNotFoundError, version

            try:
                typer.echo(f"gex {version('gex-engine')}")
            except PackageNotFoundError:
                typer.echo("gex (not installed as a package)")
            if kwargs.get("standalone_mode", True):
                sys.exit(0)
            return 0
        return super().main(args, *rest, **kwargs)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        message = getattr(getattr(command, "callback", None), "busy_message", None)
        if message and not _HELP_FLAGS.intersection(rest):
            busy.start(message)
        return name, command, rest


def _first_arguments(tree: ast.Module, name: str) -> tuple[str, ...] | None:
    """The first positional string of every call in the tuple assigned to ``name``."""
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if not any(isinstance(t, ast.Name) and t.id == name for t in targets):
            continue
        if not isinstance(value, ast.Tuple):
            return None
        found = []
        for item in value.elts:
            if not (isinstance(item, ast.Call) and item.args):
                return None
            first = item.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                return None
            found.append(first.value)
        return tuple(found)
    return None


def metric_names() -> tuple[str, ...]:
    """The names of the metric registry (:data:`engine.exposure.metrics.METRICS`); importing
    it loads neither numpy nor the kernels."""
    from engine.exposure.metrics import NAMES

    return tuple(NAMES)
