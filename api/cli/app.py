"""The ``gex`` command: serve the HTTP API, or print analyses as tables or JSON.

::

    gex serve [--source NAME] [--host 127.0.0.1] [--port 8000] [--store DIR]
    gex summary|levels|narrative SYMBOL [--at ISO] [--store DIR]
    gex strikes SYMBOL --greek gex|dex|vex|chex [--expiration D] [--min-oi N] [--limit N]
    gex scan [SYMBOL ...]                 (none: every symbol of the source)
    gex watch SYMBOL ... [--interval S] [--webhook URL] [--polls N]
    gex ingest SYMBOL ... [--at ISO]... [--every 60s [--until ISO]] [--store DIR]
    gex backfill SYMBOL ... --from D --to D [--times HH:MM,...] [--workers N | --scheduler URL]
    gex store list [--symbol S] | gex store verify
    gex history SYMBOL [--days N] [--from D] [--to D]
    gex oi-diff SYMBOL [--top N] [--at ISO]
    gex bench [NAME ...] [--quick]

Data commands share ``--source``, ``--file``, ``--source-opt KEY=VALUE``, ``--preset``,
``--set KEY=VALUE`` (:mod:`api.cli.options`) and ``--json``. With ``--json`` the output is
exactly the body of the matching endpoint (the same :mod:`api.views` functions, through the
same :class:`~api.service.analysis.AnalysisService`; ``gex scan`` as :mod:`api.cli.scan` says).
Without it, rich tables (:mod:`api.cli.render`).

Time (docs/store.md): ``--at ISO`` on every analysis command answers as of that instant;
``--store DIR`` (or ``GEX_STORE``) makes a command store-aware: ``narrative`` and
``strikes --greek gex`` then carry the changes since the prior session, exactly as the
server started with ``--store`` answers them. ``ingest``, ``backfill`` and ``store`` fill
and inspect the store (:mod:`api.cli.store`).

Errors are one line on stderr, ``error: <message>``: exit 1 for data, configuration and
runtime errors, 2 for usage errors, 130 when interrupted; never a traceback (set
``GEX_DEBUG=1`` to see one for an unexpected error).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group, RenderableType

from api.cli import render, render_store
from api.cli.errors import CommandError, GexGroup, UsageError, error_line
from api.cli.options import (
    AsJson,
    At,
    File,
    Invocation,
    Preset,
    Sets,
    Source,
    SourceOpts,
    StoreDir,
    Symbol,
    check_date,
    check_symbols,
    source_settings,
)
from api.cli.scan import run_scan
from api.cli.watch import Delivery, Observation, Watcher, WatchEvent, WebhookSender, redact_url
from api.views import (
    SCAN_SORTS,
    gex_view,
    history_view,
    levels_view,
    metric_view,
    narrative_view,
    oi_diff_view,
    summary_view,
)
from engine.analysis.presets import get_preset
from engine.analysis.single import Analysis
from engine.errors import GexError
from engine.exposure.metrics import BY_NAME, METRICS

__all__ = ["app", "main"]


app = typer.Typer(
    cls=GexGroup,
    name="gex",
    help="Self-hosted gamma exposure: serve the HTTP API or print analyses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


Greek = StrEnum("Greek", {m.name: m.name for m in METRICS})  # type: ignore[misc]
"""The per-strike tables of ``gex strikes``: one per metric of the registry."""
_GEX = Greek("gex")

ScanSort = StrEnum("ScanSort", {name: name for name in SCAN_SORTS})  # type: ignore[misc]
"""The row orders of ``gex scan`` (:data:`api.views.SCAN_SORTS`)."""
_FLIP = ScanSort("flip_distance")


def _dumps(body: object) -> str:
    return json.dumps(body, allow_nan=False, indent=2)


def _emit(run: Invocation, body: object, table: Callable[[], RenderableType]) -> None:
    if run.as_json:
        typer.echo(_dumps(body))
    else:
        Console(highlight=False).print(table())


def _invocation(**kwargs: Any) -> Invocation:
    return Invocation.create(**kwargs)


def gex_body(run: Invocation, a: Analysis) -> dict[str, Any]:
    """``/v1/exposure/gex`` of ``a`` with the OI changes of a store-aware service."""
    prior = run.service.prior(a.symbol, a.as_of)
    return gex_view(a, None if prior is None else run.service.oi_changes(a, prior))


def narrative_body(run: Invocation, a: Analysis) -> dict[str, Any]:
    """``/v1/exposure/narrative`` of ``a`` with the prior session of a store-aware service."""
    prior = run.service.prior(a.symbol, a.as_of)
    if prior is None:
        return narrative_view(a)
    net = run.service.prior_net_gex(a.symbol, a.as_of, run.preset, **run.options)
    return narrative_view(a, net, run.service.oi_changes(a, prior))


@app.command()
def serve(
    source: Source = "demo",
    file: File = None,
    source_opt: SourceOpts = None,
    preset: Preset = "native",
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    ttl: Annotated[float, typer.Option(min=0.0, help="Seconds analyses are cached.")] = 15.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            metavar="DIR",
            file_okay=False,
            help="Snapshot store: OI changes, prior sessions, ?at=, /history, /oi-diff "
            "(default: $GEX_STORE when set, else none).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (FlashAlpha-compatible paths); with no options, the demo market.

    Blocks until Ctrl-C (a normal stop: exit 0).
    """
    settings = source_settings(source, file, source_opt, store)
    name = get_preset(preset or "native").name
    try:
        from api.http.server import serve as run_server
    except ModuleNotFoundError as exc:
        if exc.name != "api.http.server":
            raise
        raise CommandError("the HTTP server (api.http.server) is not installed") from None
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"gex: serving the {source} source; API docs at http://{shown}:{port}/docs")
    try:
        run_server(
            source=source,
            host=host,
            port=port,
            source_settings=settings or None,
            preset=name,
            ttl=ttl,
            log_level=log_level,
            store=None if store is None else str(store.expanduser()),
        )
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled: a normal stop
        typer.echo("gex: server stopped", err=True)


@app.command()
def summary(
    symbol: Symbol,
    source: Source = "demo",
    file: File = None,
    source_opt: SourceOpts = None,
    preset: Preset = None,
    sets: Sets = None,
    as_json: AsJson = False,
    at: At = None,
    store: StoreDir = None,
) -> None:
    """Regime, gamma flip, net exposures, hedging estimate, 0DTE share, interpretation."""
    run = _invocation(
        source=source, file=file, source_opts=source_opt, preset=preset, sets=sets,
        as_json=as_json, at=at, store=store,
    )  # fmt: skip
    body = summary_view(run.analysis(symbol))
    _emit(run, body, lambda: render.summary_renderable(body, run.context))


@app.command()
def levels(
    symbol: Symbol,
    source: Source = "demo",
    file: File = None,
    source_opt: SourceOpts = None,
    preset: Preset = None,
    sets: Sets = None,
    as_json: AsJson = False,
    at: At = None,
    store: StoreDir = None,
) -> None:
    """Gamma flip, walls, max gamma strikes, highest OI and the 0DTE magnet."""
    run = _invocation(
        source=source, file=file, source_opts=source_opt, preset=preset, sets=sets,
        as_json=as_json, at=at, store=store,
    )  # fmt: skip
    body = levels_view(run.analysis(symbol))
    _emit(run, body, lambda: render.levels_tables(body, run.context))


@app.command()
def narrative(
    symbol: Symbol,
    source: Source = "demo",
    file: File = None,
    source_opt: SourceOpts = None,
    preset: Preset = None,
    sets: Sets = None,
    as_json: AsJson = False,
    at: At = None,
    store: StoreDir = None,
) -> None:
    """The positioning in sentences: regime, GEX change, levels, vanna, charm, 0DTE, outlook.

    With a store the change since the prior session and its largest OI changes are real.
    """
    run = _invocation(
        source=source, file=file, source_opts=source_opt, preset=preset, sets=sets,
        as_json=as_json, at=at, store=store,
    )  # fmt: skip
    body = narrative_body(run, run.analysis(symbol))

    def table() -> RenderableType:
        text = render.narrative_renderable(body, run.context)
        changes = render_store.oi_changes_table(body)
        return text if changes is None else Group(text, changes)

    _emit(run, body, table)


@app.command()
def strikes(
    symbol: Symbol,
    greek: Annotated[Greek, typer.Option("--greek", "-g", help="Which exposure.")] = _GEX,
    expiration: Annotated[
        str | None, typer.Option(help="Only this expiration (YYYY-MM-DD).")
    ] = None,
    min_oi: Annotated[
        int | None, typer.Option(min=0, help="Drop strikes with call+put OI below this.")
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="Rows in the table (0: every strike).")] = 20,
    source: Source = "demo",
    file: File = None,
    source_opt: SourceOpts = None,
    preset: Preset = None,
    sets: Sets = None,
    as_json: AsJson = False,
    at: At = None,
    store: StoreDir = None,
) -> None:
    """Per-strike exposure: the table shows the largest |net| near spot.

    With a store, --json gex rows carry the open-interest change since the prior session.
    """
    run = _invocation(
        source=source, file=file, source_opts=source_opt, preset=preset, sets=sets,
        as_json=as_json, expiration=check_date(expiration, "--expiration"), min_oi=min_oi,
        at=at, store=store,
    )  # fmt: skip
    a = run.analysis(symbol)
    body = gex_body(run, a) if greek.value == "gex" else metric_view(a, BY_NAME[greek.value])
    _emit(run, body, lambda: render.strikes_table(body, greek.value, limit, run.context))


@app.command()
def scan(
    symbols: Annotated[
        list[str] | None,
        typer.Argument(help="Symbols (default: all of the source's).", callback=check_symbols),
    ] = None,
    every: Annotated[
        bool,
        typer.Option(
            "--all", help="Every symbol of the source (the batched market path where it has one)."
        ),
    ] = False,
    sort: Annotated[
        ScanSort, typer.Option(help="Row order: nearest flip, largest |net GEX|, 0DTE, symbol.")
    ] = _FLIP,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many rows (after sorting).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Parallel analyses.")] = 4,
    source: Source = "demo",
    file: File = None,
    source_opt: SourceOpts = None,
    preset: Preset = None,
    sets: Sets = None,
    as_json: AsJson = False,
    at: At = None,
    store: StoreDir = None,
) -> None:
    """Regime, flip distance and walls for many symbols, nearest flip first.

    Without symbols (or with --all) every symbol of the source is scanned. A symbol that
    fails is a warning on stderr (and under "errors" with --json); the scan fails only
    when every symbol does.
    """
    if every and symbols:
        raise UsageError("give symbols or --all, not both")
    run = _invocation(
        source=source, file=file, source_opts=source_opt, preset=preset, sets=sets,
        as_json=as_json, at=at, store=store,
    )  # fmt: skip
    result = run_scan(run, symbols or None, workers, sort.value, limit)
    for symbol, exc in result.failed:
        error_line(f"{symbol}: {exc}", prefix="warning")
    _emit(run, result.body, lambda: render.scan_table(result.body["rows"], run.context))


@app.command()
def watch(
    symbols: Annotated[list[str], typer.Argument(help="Symbols to watch.", callback=check_symbols)],
    interval: Annotated[float, typer.Option(min=0.0, help="Seconds between polls.")] = 30.0,
    webhook: Annotated[
        str | None,
        typer.Option(envvar="GEX_WATCH_WEBHOOK", help="POST each event as JSON to this URL."),
    ] = None,
    polls: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many polls (default: never).")
    ] = None,
    source: Source = "demo",
    file: File = None,
    source_opt: SourceOpts = None,
    preset: Preset = None,
    sets: Sets = None,
    as_json: AsJson = False,
) -> None:
    """Poll and alert on regime changes and spot crossing the gamma flip; Ctrl-C stops.

    With --json only the events are printed, one JSON object per line.
    """
    run = _invocation(
        source=source, file=file, source_opts=source_opt, preset=preset, sets=sets,
        as_json=as_json, ttl=0.0,
    )  # fmt: skip
    out = Console(highlight=False)

    def on_poll(seen: Observation) -> None:
        if not as_json:
            flip = render.number(seen.gamma_flip)
            out.print(
                f"{seen.as_of} {seen.symbol} spot {render.number(seen.spot)} "
                f"flip {flip} {seen.regime}",
                style="dim",
            )

    def on_event(event: WatchEvent, delivery: Delivery | None) -> None:
        if as_json:
            typer.echo(json.dumps(event.to_json(), allow_nan=False))
        else:
            out.print(f"ALERT {event.describe()}", style="bold yellow")
        if delivery is not None and not delivery.ok:
            error_line(f"webhook {redact_url(webhook or '')} {delivery.describe()}", "warning")

    def on_error(symbol: str, exc: GexError) -> None:
        error_line(f"{symbol}: {exc}", "warning")

    sender = None if webhook is None else WebhookSender(webhook)
    try:
        Watcher(
            run.compute,
            symbols,
            interval=interval, sender=sender,
            on_poll=on_poll, on_event=on_event, on_error=on_error,
        ).run(polls)  # fmt: skip
    except KeyboardInterrupt:
        typer.echo("stopped watching", err=True)
    finally:
        if sender is not None:
            sender.close()


@app.command()
def history(
    symbol: Symbol,
    days: Annotated[
        int | None, typer.Option(min=1, help="Days back from --to (default 30).")
    ] = None,
    from_day: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help="First New York day.")
    ] = None,
    to_day: Annotated[
        str | None,
        typer.Option("--to", metavar="DATE", help="Last New York day (default: the newest)."),
    ] = None,
    store: StoreDir = None,
    as_json: AsJson = False,
) -> None:
    """The stored summary series of SYMBOL (net exposures, flip, walls per snapshot)."""
    start = check_date(from_day, "--from")
    end = check_date(to_day, "--to")
    if days is not None and start is not None:
        raise UsageError("give --days or --from, not both")
    if start is not None and end is not None and start > end:
        raise UsageError(f"--from {start} is after --to {end}")
    run = _invocation(
        source="store", file=None, source_opts=None, preset=None, sets=None,
        as_json=as_json, store=store, needs_store=True,
    )  # fmt: skip
    first = None if start is None else date.fromisoformat(start)
    last = None if end is None else date.fromisoformat(end)
    frame, lo, hi = run.service.history_rows(symbol, first, last, days)
    body = history_view(symbol, frame, lo, hi)
    _emit(run, body, lambda: render_store.history_table(body))


@app.command("oi-diff")
def oi_diff(
    symbol: Symbol,
    top: Annotated[int, typer.Option("--top", min=1, help="Contracts to list.")] = 20,
    source: Source = "demo",
    file: File = None,
    source_opt: SourceOpts = None,
    at: At = None,
    store: StoreDir = None,
    as_json: AsJson = False,
) -> None:
    """Open-interest change per contract since the prior session's stored snapshot."""
    run = _invocation(
        source=source, file=file, source_opts=source_opt, preset=None, sets=None,
        as_json=as_json, at=at, store=store, needs_store=True,
    )  # fmt: skip
    a = run.service.analysis(symbol, at=run.at)
    prior = run.service.prior(a.symbol, a.as_of)
    changes = None if prior is None else run.service.oi_changes(a, prior)
    why = f"No snapshot of {a.symbol} from the session before {a.as_of.date()} is stored."
    body = oi_diff_view(a, changes, None if prior is None else prior.as_of, top, why)
    _emit(run, body, lambda: render_store.oi_diff_table(body))


def _benchmarks_root() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    return root if (root / "benchmarks" / "__main__.py").is_file() else None


@app.command()
def bench(
    names: Annotated[list[str] | None, typer.Argument(help="Benchmarks (default: all).")] = None,
    quick: Annotated[bool, typer.Option(help="Small inputs: a smoke run.")] = False,
) -> None:
    """Run the benchmarks (python -m benchmarks) and print their table."""
    root = _benchmarks_root()
    if root is None:
        raise CommandError(
            "the benchmarks package is not importable here: run gex bench from a clone of "
            "the repository (python -m benchmarks)"
        )
    available = sorted(p.stem.removeprefix("bench_") for p in root.glob("benchmarks/bench_*.py"))
    unknown = [n for n in names or () if n not in available]
    if unknown:
        raise UsageError(
            f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}"
        )
    command = [sys.executable, "-m", "benchmarks", *(names or ()), *(["--quick"] if quick else [])]
    sys.stdout.flush()
    code = subprocess.run(command, cwd=root, check=False).returncode
    if code != 0:
        raise CommandError(f"the benchmarks exited with status {code}")


from api.cli import store as cli_store  # noqa: E402  (registers ingest, backfill and store on ``app``)

cli_store.register(app)


def main() -> None:
    """Console-script entry point (``gex``)."""
    app(prog_name="gex")


from api.cli import flow as cli_flow  # noqa: E402  (registers ``gex flow``)
from api.cli import mcp as cli_mcp  # noqa: E402  (registers ``gex mcp``)

cli_flow.register(app)
cli_mcp.register(app)
