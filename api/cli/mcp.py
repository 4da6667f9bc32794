"""``gex mcp``: serve the MCP tools over stdio for a desktop agent (docs/mcp.md).

::

    gex mcp [--source NAME] [--file PATH] [--source-opt KEY=VALUE]... [--preset NAME]
            [--ttl S] [--store DIR]

The options are those of ``gex serve`` (:mod:`api.cli.options`); the server is the HTTP
app built in-process (:mod:`api.mcp.stdio`), so every tool answers exactly the JSON of its
endpoint. A bad option is one line on stderr before anything is read from stdin; stdout is
the protocol's alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.options import File, Preset, Source, SourceOpts, source_settings
from engine.analysis.presets import get_preset

__all__ = ["mcp_command", "register"]


def mcp_command(
    source: Source = "demo",
    file: File = None,
    source_opt: SourceOpts = None,
    preset: Preset = "native",
    ttl: Annotated[float, typer.Option(min=0.0, help="Seconds analyses are cached.")] = 15.0,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            metavar="DIR",
            file_okay=False,
            help="Snapshot store: OI changes, prior sessions, at=, oi-diff "
            "(default: $GEX_STORE when set, else none).",
        ),
    ] = None,
) -> None:
    """Serve the MCP tools over stdio (for desktop agents such as Claude Desktop).

    Runs until the client closes stdin. See docs/mcp.md for the client configuration.
    """
    settings = source_settings(source, file, source_opt, store)
    name = get_preset(preset or "native").name
    from api.mcp.stdio import serve_stdio  # the HTTP app, only when serving

    serve_stdio(
        source=source,
        source_settings=settings or None,
        preset=name,
        ttl=ttl,
        store=None if store is None else str(store.expanduser()),
    )


def register(app: typer.Typer) -> None:
    """Add ``mcp`` to ``app``."""
    app.command("mcp")(mcp_command)
