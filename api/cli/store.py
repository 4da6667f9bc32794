"""The store commands of ``gex``: ``ingest``, ``backfill``, ``store list`` and ``store verify``.

::

    gex ingest SYMBOL... [--source S] [--store DIR] [--no-trades]   the current snapshots
    gex ingest SYMBOL... --at ISO [--at ISO]...                     past instants (demo,
                                                                    store, files)
    gex ingest SYMBOL... --every 60s [--until ISO]                  a collector during
                                                                    NYSE sessions
    gex backfill SYMBOL... --from D --to D [--times 10:00,16:00]    sessions x times (New
         [--workers N | --scheduler tcp://HOST:PORT]                York), on a pool or Dask
    gex store list [--symbol S] [--json]
    gex store verify [--json]                                       exit 1 on any problem

The store root is ``--store DIR``, else ``GEX_STORE``, else the default
(:func:`data_adapters.store.resolve_root`). Sources are built from ``--source``,
``--file`` and ``--source-opt`` as for every data command (secrets only from the
environment or the config file; a backfill's workers resolve them in their own).

Trade tapes: ``--trades/--no-trades`` (default: on when the source serves trades — demo,
thetadata, databento, store, files) also store, for each symbol and New York day with a
stored snapshot, the day's trade tape up to that snapshot's instant (the latest one asked
for that day); a backfill stores each session's tape up to its last ``--times``. A tape the
source cannot give is a ``warning:`` line by default, an ``error:`` line and exit 1 with an
explicit ``--trades``; ``--trades`` with a source without trades is a usage error.

Output: one line per snapshot (``written``/``skipped``/``replaced``) on stdout, a summary
line, and for each failure an ``error:`` line on stderr; any failure exits 1. ``backfill``
shows a progress bar on an interactive stderr, plain progress lines otherwise. A collector
stopped with Ctrl-C says so and exits 0: the store stays consistent (module
:mod:`api.service.collect`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli import options
from api.cli.console import print_out
from api.cli.errors import CommandError, GexGroup, UsageError, error_line
from api.cli.options import (
    Common,
    check_config,
    check_date,
    check_instant,
    check_optional_symbol,
    check_symbols,
    parse_duration,
    stderr_console,
    with_options,
)

if TYPE_CHECKING:
    from rich.console import Console

    from data_adapters.store import BackfillProgress, SnapshotStore

__all__ = ["register", "store_app"]

LOCK_TIMEOUT = 30.0
"""Seconds a command waits for another writer of the same store."""

store_app = typer.Typer(
    cls=GexGroup,
    name="store",
    help="List or verify the snapshot store.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Symbols = Annotated[
    list[str], typer.Argument(help="Symbols, e.g. SPX SPY ES=F.", callback=check_symbols)
]


def _store(store: Path | None) -> SnapshotStore:
    from data_adapters.store import SnapshotStore, resolve_root

    check_config()
    return SnapshotStore(resolve_root(store))


def _summary(
    root: Path, written: int, skipped: int, replaced: int, failed: int, tapes: int | None = None
) -> str:
    extra = f", {replaced} replaced" if replaced else ""
    tape_text = "" if tapes is None else f", {tapes} trade tape(s) stored"
    return f"{written} written, {skipped} skipped{extra}, {failed} failed{tape_text} — store {root}"


Trades = Annotated[
    bool | None,
    typer.Option(
        "--trades/--no-trades",
        help="Also store the day's trade tape (default: when the source serves trades).",
    ),
]


def _trades_fetch(source: Any, wanted: bool | None) -> Any:
    """The source's ``fetch(symbol, day, until)`` when tapes are wanted, else None."""
    from data_adapters.store.backfill import trades_of

    if wanted is False:
        return None
    fetch = trades_of(source)
    if fetch is None and wanted:
        raise UsageError(f"--trades: the {getattr(source, 'name', '')} source serves no trades")
    return fetch


def _tape_problem(symbol: str, error: str | None, strict: bool) -> None:
    error_line(f"{symbol}: trade tape: {error}", "error" if strict else "warning")


@with_options("source", "file", "source_opt", "store", busy_message=None)
def ingest_command(
    symbols: Symbols,
    opts: Common,
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            metavar="ISO",
            help="A past instant (repeatable; sources with history: demo, store, files).",
        ),
    ] = None,
    every: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="Collect every DURATION (60, 90s, 5m, 1h) during NYSE sessions until "
            "Ctrl-C or --until.",
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="ISO", help="Stop the collector after this instant.")
    ] = None,
    trades: Trades = None,
) -> None:
    """Snapshot SYMBOLs into the store: now, at given instants, or as a collector."""
    instants = [check_instant(t, "--at") for t in at or ()]
    step = None if every is None else parse_duration(every)
    stop = check_instant(until, "--until")
    if instants and step is not None:
        raise UsageError("give --at or --every, not both")
    if stop is not None and step is None:
        raise UsageError("--until goes with --every")
    settings = opts.settings()
    target = _store(opts.store)
    built = options.build_source(opts.source, settings)
    fetch_trades = _trades_fetch(built, trades)
    strict = bool(trades)
    if step is not None:
        _collect(target, built, symbols, step, stop, fetch_trades, strict)
        return
    if instants:
        counts, failed, tapes = _ingest_at(
            target,
            built,
            symbols,
            instants,
            fetch_trades is not None,
            strict,  # type: ignore[arg-type]
        )
    else:
        counts, failed, tapes = _ingest_now(target, built, symbols, fetch_trades, strict)
    shown = tapes if fetch_trades is not None else None
    typer.echo(f"ingest: {_summary(target.root, *counts, failed, shown)}")
    if failed:
        raise typer.Exit(1)


def _ingest_now(
    target: SnapshotStore, source: Any, symbols: list[str], trades: Any, strict: bool
) -> tuple[tuple[int, int, int], int, int]:
    from api.cli import render_store as render
    from api.service import collect

    with target.writer(LOCK_TIMEOUT) as writer:
        results = collect.store_now(writer, source.snapshot, symbols, trades=trades)
    counts = {"written": 0, "skipped": 0, "replaced": 0, "failed": 0}
    tapes = 0
    for r in results:
        counts[r.status] += 1
        if r.status == "failed":
            error_line(f"{r.symbol}: {r.error}")
        else:
            typer.echo(render.stored_line(r.symbol, r.status, r.as_of))
        if r.tape in ("written", "replaced"):
            tapes += 1
        elif r.tape == "failed":
            _tape_problem(r.symbol, r.tape_error, strict)
            counts["failed"] += strict
    return (counts["written"], counts["skipped"], counts["replaced"]), counts["failed"], tapes


def _ingest_at(
    target: SnapshotStore,
    source: Any,
    symbols: list[str],
    instants: list[datetime],
    trades: bool,
    strict: bool,
) -> tuple[tuple[int, int, int], int, int]:
    from api.cli import render_store as render
    from data_adapters.store import ingest

    written = skipped = replaced = failed = tapes = 0
    with target.writer(LOCK_TIMEOUT) as writer:
        for instant in sorted(set(instants)):
            for symbol in symbols:
                result = ingest(writer, source, [symbol], [instant], trades=trades)
                tapes += result.tapes_written
                for problem in result.tape_failures:
                    _tape_problem(symbol, problem.error, strict)
                    failed += strict
                if result.failures:
                    failed += 1
                    error_line(f"{symbol} at {render.instant(instant)}: {result.failures[0].error}")
                    continue
                status = (
                    "written" if result.written else "replaced" if result.replaced else "skipped"
                )
                written, skipped = written + result.written, skipped + result.skipped
                replaced += result.replaced
                typer.echo(render.stored_line(symbol, status, instant))
    return (written, skipped, replaced), failed, tapes


def _collect(
    target: SnapshotStore,
    source: Any,
    symbols: list[str],
    step: Any,
    stop: datetime | None,
    trades: Any = None,
    strict: bool = False,
) -> None:
    from api.cli import render_store as render
    from api.service import collect

    def on_stored(tick: datetime, r: collect.Stored) -> None:
        if r.status == "failed":
            error_line(f"{r.symbol} at {render.instant(tick)}: {r.error}", "warning")
        else:
            typer.echo(render.stored_line(r.symbol, r.status, r.as_of))
        if r.tape == "failed":
            error_line(
                f"{r.symbol} at {render.instant(tick)}: trade tape: {r.tape_error}", "warning"
            )

    def on_wait(tick: datetime, seconds: float) -> None:
        typer.echo(f"collector: outside the session; next snapshot at {render.instant(tick)}")

    collector = collect.Collector(
        target, source.snapshot, symbols, step, until=stop, on_stored=on_stored, on_wait=on_wait,
        lock_timeout=LOCK_TIMEOUT, trades=trades,
    )  # fmt: skip
    try:
        stats = collector.run()
    except KeyboardInterrupt:
        stats = collector.stats
        typer.echo(
            f"collector stopped: {_summary(target.root, stats.written, stats.skipped, stats.replaced, stats.failed)}",
            err=True,
        )
        return
    typer.echo(
        f"collector done: {stats.ticks} tick(s), "
        f"{_summary(target.root, stats.written, stats.skipped, stats.replaced, stats.failed)}"
    )
    if stats.failed or (strict and stats.tapes_failed):
        raise typer.Exit(1)


def _progress_printer(console: Console) -> tuple[Any, Callable[[BackfillProgress], None]]:
    """A rich progress bar on an interactive stderr, plain lines on stderr otherwise."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if console.is_terminal:
        bar = Progress(
            TextColumn("backfill"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False,
        )  # fmt: skip
        task: list[Any] = []

        def update(p: BackfillProgress) -> None:
            if not task:
                task.append(bar.add_task("backfill", total=p.tasks_total, note=""))
            note = f"{p.snapshots_written} written, {p.tasks_failed} failed"
            bar.update(task[0], completed=p.tasks_done, note=note)

        return bar, update

    def line(p: BackfillProgress) -> None:
        what = f"{p.task.symbol} {p.task.session}"
        tail = f": {p.error}" if p.error and p.event in ("retry", "failed") else ""
        typer.echo(
            f"backfill: {p.tasks_done}/{p.tasks_total} {what} {p.event}{tail} "
            f"({p.snapshots_written} written, {p.snapshots_skipped} skipped)",
            err=True,
        )

    return None, line


@with_options("source", "file", "source_opt", "store", busy_message=None)
def backfill_command(
    symbols: Symbols,
    from_day: Annotated[str, typer.Option("--from", metavar="DATE", help="First day.")],
    to_day: Annotated[str, typer.Option("--to", metavar="DATE", help="Last day (included).")],
    opts: Common,
    times: Annotated[
        str,
        typer.Option(metavar="HH:MM,...", help="New York times of day to snapshot."),
    ] = "16:00",
    workers: Annotated[int | None, typer.Option(min=1, help="Run on N local processes.")] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(metavar="tcp://HOST:PORT", help="Run on this Dask cluster's workers."),
    ] = None,
    retries: Annotated[int, typer.Option(min=0, help="Retries of a failed task.")] = 2,
    trades: Trades = None,
) -> None:
    """Store SYMBOLs at --times on every NYSE session from --from to --to.

    One task per symbol and session, serially, on --workers N local processes or on the
    Dask cluster at --scheduler; a rerun skips what is stored.
    """
    start = check_date(from_day, "--from")
    end = check_date(to_day, "--to")
    if workers is not None and scheduler is not None:
        raise UsageError("give --workers or --scheduler, not both")
    from data_adapters.store import backfill

    settings = opts.settings()
    target = _store(opts.store)
    bar, progress = _progress_printer(stderr_console())
    if bar is not None:
        bar.start()
    try:
        result = backfill(
            symbols, opts.source, settings, start, end, times, store=target,  # type: ignore[arg-type]
            workers=workers, scheduler=scheduler, retries=retries, progress=progress,
            lock_timeout=LOCK_TIMEOUT, trades=trades is not False,
        )  # fmt: skip
    finally:
        if bar is not None:
            bar.stop()
    for report in result.failures:
        error_line(
            f"{report.symbol} {report.session}: failed after {report.attempts} attempt(s): "
            f"{report.error}"
        )
    for report in result.tape_failures:
        _tape_problem(f"{report.symbol} {report.session}", report.error, bool(trades))
    workers_text = f", {result.workers} worker(s)" if result.mode != "serial" else ""
    tapes_text = "" if trades is False else f", {result.tapes_written} trade tape(s) stored"
    typer.echo(
        f"backfill ({result.mode}{workers_text}): {result.tasks} task(s), "
        f"{result.snapshots_written} written, {result.snapshots_skipped} skipped, "
        f"{len(result.failures)} failed{tapes_text} — store {target.root}"
    )
    if result.failures or (trades and result.tape_failures):
        raise typer.Exit(1)


@store_app.command("list")
@with_options("store", "as_json", busy_message=None)
def store_list(
    opts: Common,
    symbol: Annotated[
        str | None,
        typer.Option("--symbol", help="Only this symbol.", callback=check_optional_symbol),
    ] = None,
) -> None:
    """Every stored snapshot (by symbol, then time) with its summary; an empty store says
    so (exit 1) instead of printing an empty table."""
    from api.cli import render_store as render

    target = _store(opts.store)
    rows = render.listing_json(target.list(symbol))
    if opts.as_json:
        typer.echo(json.dumps(rows, indent=2, allow_nan=False))
        return
    if not rows:
        which = f" of {symbol}" if symbol else ""
        raise CommandError(
            f"no snapshots{which} in the store at {target.root} (gex ingest SYMBOL writes one)"
        )
    print_out(render.listing_table(rows, str(target.root)))


@store_app.command("verify")
@with_options("store", "as_json", busy_message=None)
def store_verify(opts: Common) -> None:
    """Read every stored snapshot back and check it against its manifest; exit 1 on any
    problem (and when there is no store at that root)."""
    as_json = opts.as_json
    target = _store(opts.store)
    if not target.root.is_dir():
        raise CommandError(f"no store at {target.root}")
    report = target.verify()
    if as_json:
        body = {
            "root": report.root,
            "ok": report.ok,
            "snapshots": report.snapshots,
            "bytes": report.bytes,
            "problems": [
                {"path": p.path, "kind": p.kind, "detail": p.detail} for p in report.problems
            ],
            "unlisted": list(report.unlisted),
        }
        typer.echo(json.dumps(body, indent=2))
    else:
        typer.echo(str(report))
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``ingest``, ``backfill`` and the ``store`` group to ``app``."""
    app.command("ingest")(ingest_command)
    app.command("backfill")(backfill_command)
    app.add_typer(store_app, name="store")
