"""The ``gex`` command: serve the HTTP API, or print analyses as tables, charts or JSON.

::

    gex serve [--source NAME] [--host 127.0.0.1] [--port 8000] [--store DIR]
    gex summary|levels|narrative SYMBOL [--at ISO] [--store DIR]
    gex strikes SYMBOL [--greek METRIC] [--expiration D] [--min-oi N] [--limit N] [--cumulative]
    gex chart SYMBOL [--greek METRIC] [--expiration D] [--min-oi N] [--rows N]
    gex profile SYMBOL [--expiration D] [--height N]
    gex expirations SYMBOL
    gex zero-dte SYMBOL [--expiration D] [--strike-range F]
    gex scan [SYMBOL ...] [--all] [--sort ...] [--limit N]   (none: every symbol of the source)
    gex watch SYMBOL ... [--interval S] [--webhook URL] [--polls N]
    gex ingest SYMBOL ... [--at ISO]... [--every 60s [--until ISO]] [--store DIR]
    gex backfill SYMBOL ... --from D --to D [--times HH:MM,...] [--workers N | --scheduler URL]
    gex store list [--symbol S] | gex store verify
    gex history SYMBOL [--days N] [--from D] [--to D]
    gex oi-diff SYMBOL [--top N] [--at ISO]
    gex flow SYMBOL ...       (api/cli/flow.py)      gex mcp ...   (api/cli/mcp.py)
    gex bench [NAME ...] [--quick]
    gex --version

Data commands share ``--source``, ``--file``, ``--source-opt KEY=VALUE``, ``--preset``,
``--set KEY=VALUE``, ``--json``, ``--at`` and ``--store``, defined once
(:data:`api.cli.options.BLOCK`, :func:`api.cli.options.with_options`). With ``--json`` the
output is exactly the body of the matching endpoint (the same :mod:`api.views` functions,
through the same :class:`~api.service.analysis.AnalysisService`; ``gex scan`` as
:mod:`api.cli.scan` says): ``summary``, ``levels``, ``narrative`` the endpoints of those
names, ``strikes`` and ``chart`` ``/v1/exposure/{metric}``, ``profile``
``/v1/exposure/profile``, ``expirations`` ``/v1/options``, ``zero-dte``
``/v1/exposure/zero-dte``. Without it, rich tables (:mod:`api.cli.render`) and text charts
(:mod:`api.cli.charts`), written as :mod:`api.cli.console` says (terminal or pipe).

Start-up: this module imports typer and the standard library only; each command imports
the service, the engine and its renderers when it runs, after the spinner has started, and
``flow`` and ``mcp`` are imported only when used (:mod:`api.cli.lazy`).

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
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli import console
from api.cli.console import busy, parse_instant, when
from api.cli.errors import CommandError, UsageError, error_line
from api.cli.lazy import GexApp, metric_names
from api.cli.options import (
    Common,
    Invocation,
    ServerStore,
    Symbol,
    check_date,
    check_symbols,
    preset_name,
    source_settings,
    with_options,
)

if TYPE_CHECKING:
    from rich.console import RenderableType

    from engine.analysis.single import Analysis

__all__ = ["app", "main"]


app = typer.Typer(
    cls=GexApp,
    name="gex",
    help="Self-hosted gamma exposure: serve the HTTP API or print analyses. "
    "gex --version prints the version.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


Greek = StrEnum("Greek", {name: name for name in metric_names()})  # type: ignore[misc]
"""The per-strike tables and charts: one per metric of the registry."""
_GEX = Greek("gex")

ScanSort = StrEnum(  # type: ignore[misc]
    "ScanSort", {n: n for n in ("flip_distance", "net_gex", "zero_dte", "symbol")}
)
"""The row orders of ``gex scan`` (:data:`api.views.SCAN_SORTS`; a test keeps them equal)."""
_FLIP = ScanSort("flip_distance")

GreekOption = Annotated[Greek, typer.Option("--greek", "-g", help="Which exposure metric.")]
Expiration = Annotated[
    str | None, typer.Option(metavar="DATE", help="Only this expiration (YYYY-MM-DD).")
]
MinOi = Annotated[int | None, typer.Option(min=0, help="Drop strikes with call+put OI below this.")]


def demo_note(source: str, as_of: str | None) -> str | None:
    """Why the demo's prices are not those of ``as_of`` when it lies outside a session
    (the demo prices a weekend or holiday at the next session's open, a weekday before the
    open at that open, and after the close at the close); None inside a session."""
    if source.strip().lower() != "demo" or not as_of:
        return None
    from api.cli.console import NEW_YORK
    from data_adapters.demo.sessions import from_us, trading_day

    moment = parse_instant(as_of)
    try:
        day = trading_day(moment)
    except ValueError:
        return None
    local = moment.astimezone(NEW_YORK)
    opens = from_us(day.open_us).astimezone(NEW_YORK).strftime("%H:%M")
    closes = from_us(day.close_us).astimezone(NEW_YORK).strftime("%H:%M")
    if day.day != local.date():
        why = f"{local:%A} {local.date()} has no session"
        prices = f"the open of the next session, {day.day:%A} {day.day} ({opens} New York)"
    elif day.elapsed <= 0.0:
        why = "it is before the open"
        prices = f"the open, {opens} New York"
    elif day.elapsed >= 1.0:
        why = "it is after the close"
        prices = f"the close, {closes} New York"
    else:
        return None
    return (
        f"Demo market: as of {when(as_of)} follows the clock, and {why}; the demo's prices are "
        f"those of {prices}. GEX_DEMO_CLOCK freezes the clock (e.g. 2026-11-20T15:00:00Z)."
    )


def _dumps(body: object) -> str:
    return json.dumps(body, allow_nan=False, indent=2)


def emit(run: Invocation, body: Any, table: Callable[[], RenderableType]) -> None:
    """Print ``body`` as JSON (``--json``) or ``table()`` (with the demo's note when its
    ``as_of`` lies outside a session), after stopping the spinner."""
    busy.stop()
    if run.as_json:
        typer.echo(_dumps(body))
        return
    from rich.console import Group
    from rich.text import Text

    renderable = table()
    note = demo_note(run.source, body.get("as_of") if isinstance(body, dict) else None)
    if note is not None:
        renderable = Group(renderable, Text(note, style="dim"))
    console.print_out(renderable)


def gex_body(run: Invocation, a: Analysis) -> dict[str, Any]:
    """``/v1/exposure/gex`` of ``a`` with the OI changes of a store-aware service."""
    from api.views import gex_view

    prior = run.service.prior(a.symbol, a.as_of)
    return gex_view(a, None if prior is None else run.service.oi_changes(a, prior))


def metric_body(run: Invocation, a: Analysis, greek: str) -> dict[str, Any]:
    """``/v1/exposure/{greek}`` of ``a`` (``gex`` with the OI changes of a store-aware
    service)."""
    if greek == "gex":
        return gex_body(run, a)
    from api.views import metric_view
    from engine.exposure.metrics import BY_NAME

    return metric_view(a, BY_NAME[greek])


def narrative_body(run: Invocation, a: Analysis) -> dict[str, Any]:
    """``/v1/exposure/narrative`` of ``a`` with the prior session of a store-aware service."""
    from api.views import narrative_view

    prior = run.service.prior(a.symbol, a.as_of)
    if prior is None:
        return narrative_view(a)
    net = run.service.prior_net_gex(a.symbol, a.as_of, run.preset, **run.options)
    return narrative_view(a, net, run.service.oi_changes(a, prior))


def port_problem(host: str, port: int) -> str | None:
    """Why ``gex serve`` could not listen on ``host:port`` (None: it can), checked by
    binding a socket the way the server will (and closing it)."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError) as exc:
        return f"cannot listen on {host}:{port}: {exc}"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            busy_port = exc.errno == errno.EADDRINUSE
            hint = "; another server is using it: pick another --port" if busy_port else ""
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}"
    return None


@app.command()
@with_options("source", "file", "source_opt", "preset", busy_message=None, preset="native")
def serve(
    opts: Common,
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    ttl: Annotated[float, typer.Option(min=0.0, help="Seconds analyses are cached.")] = 15.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    store: ServerStore = None,
) -> None:
    """Serve the HTTP API (FlashAlpha-compatible paths); with no options, the demo market.

    The port is checked before anything is announced. Blocks until Ctrl-C (a normal stop:
    exit 0).
    """
    settings = source_settings(opts.source, opts.file, opts.source_opt, store)
    name = preset_name(opts.preset)
    try:
        from api.http.server import serve as run_server
    except ModuleNotFoundError as exc:
        if exc.name != "api.http.server":
            raise
        raise CommandError("the HTTP server (api.http.server) is not installed") from None
    problem = port_problem(host, port)
    if problem is not None:
        raise CommandError(problem)
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    typer.echo(
        f"gex: serving the {opts.source} source; dashboard at {base}/dashboard, "
        f"API docs at {base}/docs, MCP at {base}/mcp"
    )
    try:
        run_server(
            source=opts.source,
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


def _view_command(name: str, view: str, renderer: str, doc: str) -> None:
    """Register ``gex name SYMBOL``: ``api.views.<view>`` of the analysis, drawn by
    ``api.cli.render.<renderer>``."""

    def command(symbol: Symbol, opts: Common) -> None:
        import api.views
        from api.cli import render

        run = opts.invocation()
        body = getattr(api.views, view)(run.analysis(symbol))
        emit(run, body, lambda: getattr(render, renderer)(body, run.context))

    command.__doc__, command.__name__ = doc, name
    app.command(name)(with_options()(command))


for _name, _view, _renderer, _doc in (
    ("summary", "summary_view", "summary_renderable",
     "Regime, gamma flip, net exposures, hedging estimate, 0DTE share, interpretation."),
    ("levels", "levels_view", "levels_tables",
     "Gamma flip, walls, max gamma strikes, highest OI and the 0DTE magnet."),
):  # fmt: skip
    _view_command(_name, _view, _renderer, _doc)


@app.command()
@with_options()
def narrative(symbol: Symbol, opts: Common) -> None:
    """The positioning in sentences: regime, GEX change, levels, vanna, charm, 0DTE, outlook.

    With a store the change since the prior session and its largest OI changes are real.
    """
    from rich.console import Group

    from api.cli import render, render_store

    run = opts.invocation()
    body = narrative_body(run, run.analysis(symbol))

    def table() -> RenderableType:
        text = render.narrative_renderable(body, run.context)
        changes = render_store.oi_changes_table(body)
        return text if changes is None else Group(text, changes)

    emit(run, body, table)


@app.command()
@with_options()
def strikes(
    symbol: Symbol,
    opts: Common,
    greek: GreekOption = _GEX,
    expiration: Expiration = None,
    min_oi: MinOi = None,
    limit: Annotated[
        int,
        typer.Option(
            min=0, help="Strikes nearest spot in the table, besides the marked levels (0: all)."
        ),
    ] = 20,
    cumulative: Annotated[
        bool,
        typer.Option("--cumulative", help="Add the running sum of net from the lowest strike."),
    ] = False,
) -> None:
    """Per-strike exposure around spot, the walls, highest OI and flip marked.

    The table always shows the call and put walls, the highest-OI strike and the strikes
    around the gamma flip besides the LIMIT strikes nearest spot. With a store, --json gex
    rows carry the open-interest change since the prior session.
    """
    from api.cli import render
    from api.views import levels_view

    run = opts.invocation(expiration=check_date(expiration, "--expiration"), min_oi=min_oi)
    a = run.analysis(symbol)
    body = metric_body(run, a, greek.value)
    marks = levels_view(a)["levels"]
    emit(
        run, body,
        lambda: render.strikes_table(body, greek.value, limit, run.context, marks, cumulative),
    )  # fmt: skip


@app.command()
@with_options()
def chart(
    symbol: Symbol,
    opts: Common,
    greek: GreekOption = _GEX,
    expiration: Expiration = None,
    min_oi: MinOi = None,
    rows: Annotated[
        int, typer.Option(min=1, help="Strikes nearest spot, besides the marked levels.")
    ] = 30,
) -> None:
    """Exposure by strike as a chart: calls, puts and net, with spot, the flip(s), the
    walls and max pain marked.

    Fits the terminal's width; piped, plain ASCII at $COLUMNS (else 100) columns. --json
    prints the /v1/exposure/{metric} body (as gex strikes does).
    """
    from api.cli import render
    from api.cli.charts import strike_chart
    from api.views import levels_view, profile_view

    run = opts.invocation(expiration=check_date(expiration, "--expiration"), min_oi=min_oi)
    a = run.analysis(symbol)
    body = metric_body(run, a, greek.value)

    def drawing() -> RenderableType:
        from rich.console import Group

        from engine.exposure.metrics import BY_NAME

        picture = strike_chart(
            body, greek.value, levels_view(a)["levels"], profile_view(a)["crossings"],
            a.max_pain, width=console.chart_width(), rows=rows, plain=not console.is_terminal(),
            unit=BY_NAME[greek.value].unit,
        )  # fmt: skip
        title = render.heading(body, f"{greek.value.upper()} by strike", run.context)
        return Group(title, picture)

    emit(run, body, drawing)


@app.command()
@with_options()
def profile(
    symbol: Symbol,
    opts: Common,
    expiration: Expiration = None,
    height: Annotated[int, typer.Option(min=3, help="Rows of the chart.")] = 15,
) -> None:
    """The gamma profile: net GEX if spot moved to each level, with its crossings (the
    gamma flip is the one nearest spot).

    Fits the terminal's width; piped, plain ASCII at $COLUMNS (else 100) columns. --json
    prints the /v1/exposure/profile body.
    """
    from api.cli import render
    from api.cli.charts import profile_chart
    from api.views import profile_view

    run = opts.invocation(expiration=check_date(expiration, "--expiration"))
    body = profile_view(run.analysis(symbol))

    def drawing() -> RenderableType:
        from rich.console import Group

        picture = profile_chart(
            body, width=console.chart_width(), height=height, plain=not console.is_terminal()
        )
        return Group(render.heading(body, "gamma profile", run.context), picture)

    emit(run, body, drawing)


@app.command()
@with_options("source", "file", "source_opt", "as_json", "at", "store")
def expirations(symbol: Symbol, opts: Common) -> None:
    """The expirations of SYMBOL's usable contracts: days to each, strikes, and the forward
    and rate fitted per option root (/v1/options)."""
    from api.cli import render
    from api.views import options_view

    run = opts.invocation()
    body = options_view(run.analysis(symbol))
    emit(run, body, lambda: render.expirations_table(body, run.context))


@app.command("zero-dte")
@with_options()
def zero_dte(
    symbol: Symbol,
    opts: Common,
    expiration: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="This expiry instead of today's (YYYY-MM-DD)."),
    ] = None,
    strike_range: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Strikes within this fraction of spot in the table."),
    ] = 0.03,
) -> None:
    """Same-day analysis of one expiry (today's by default): regime, exposures and their
    share of the chain, pin risk, hedging for small moves, levels, flow, strikes.

    Without a same-day expiry it says so and names the next one (/v1/exposure/zero-dte).
    """
    from api.cli import render
    from api.views import ZERO_DTE_MOVES, no_zero_dte_view, zero_dte_view

    chosen = check_date(expiration, "--expiration")
    run = opts.invocation()
    full = run.analysis(symbol)
    target = chosen or (None if full.zero_dte.expiration is None else str(full.zero_dte.expiration))
    if target is None:
        body = no_zero_dte_view(full)
    else:
        day = run.analysis(
            symbol, expiration=date.fromisoformat(target), hedge_moves=ZERO_DTE_MOVES
        )
        body = zero_dte_view(full, day, strike_range)
    emit(run, body, lambda: render.zero_dte_renderable(body, run.context))


@app.command()
@with_options()
def scan(
    opts: Common,
    symbols: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[SYMBOL]...",
            help="Symbols (default: all of the source's).",
            callback=check_symbols,
        ),
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
) -> None:
    """Regime, flip distance and walls for many symbols, nearest flip first.

    Without symbols (or with --all) every symbol of the source is scanned; a source that
    holds none (an empty files folder) is an error that says so. A symbol that fails is a
    warning on stderr (and under "errors" with --json); the scan fails only when every
    symbol does.
    """
    from api.cli import render
    from api.cli.scan import run_scan

    if every and symbols:
        raise UsageError("give symbols or --all, not both")
    run = opts.invocation()
    result = run_scan(run, symbols or None, workers, sort.value, limit)
    busy.stop()
    for symbol, exc in result.failed:
        error_line(f"{symbol}: {exc}", prefix="warning")
    emit(
        run, result.body,
        lambda: render.scan_table(result.body["rows"], run.context, sort.value),
    )  # fmt: skip


@app.command()
@with_options("source", "file", "source_opt", "preset", "sets", "as_json", busy_message=None)
def watch(
    opts: Common,
    symbols: Annotated[
        list[str],
        typer.Argument(metavar="SYMBOL...", help="Symbols to watch.", callback=check_symbols),
    ],
    interval: Annotated[float, typer.Option(min=0.0, help="Seconds between polls.")] = 30.0,
    webhook: Annotated[
        str | None,
        typer.Option(envvar="GEX_WATCH_WEBHOOK", help="POST each event as JSON to this URL."),
    ] = None,
    polls: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many polls (default: never).")
    ] = None,
) -> None:
    """Poll and alert on regime changes and spot crossing the gamma flip; Ctrl-C stops.

    With --json only the events are printed, one JSON object per line.
    """
    from api.cli import render
    from api.cli.watch import Delivery, Observation, Watcher, WatchEvent, WebhookSender, redact_url
    from engine.errors import GexError

    run = opts.invocation(ttl=0.0)
    busy.stop()
    out = console.out_console()

    def on_poll(seen: Observation) -> None:
        if not opts.as_json:
            flip = render.number(seen.gamma_flip)
            out.print(
                f"{when(seen.as_of)} {seen.symbol} spot {render.number(seen.spot)} "
                f"flip {flip} {seen.regime}",
                style="dim",
            )

    def on_event(event: WatchEvent, delivery: Delivery | None) -> None:
        if opts.as_json:
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
@with_options("store", "as_json")
def history(
    symbol: Symbol,
    opts: Common,
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
) -> None:
    """The stored summary series of SYMBOL (net exposures, flip, walls per snapshot)."""
    from api.cli import render_store
    from api.views import history_view

    start = check_date(from_day, "--from")
    end = check_date(to_day, "--to")
    if days is not None and start is not None:
        raise UsageError("give --days or --from, not both")
    if start is not None and end is not None and start > end:
        raise UsageError(f"--from {start} is after --to {end}")
    run = Common(source="store", as_json=opts.as_json, store=opts.store).invocation(
        needs_store=True
    )
    first = None if start is None else date.fromisoformat(start)
    last = None if end is None else date.fromisoformat(end)
    frame, lo, hi = run.service.history_rows(symbol, first, last, days)
    body = history_view(symbol, frame, lo, hi)
    emit(run, body, lambda: render_store.history_table(body))


@app.command("oi-diff")
@with_options("source", "file", "source_opt", "at", "store", "as_json")
def oi_diff(
    symbol: Symbol,
    opts: Common,
    top: Annotated[int, typer.Option("--top", min=1, help="Contracts to list.")] = 20,
) -> None:
    """Open-interest change per contract since the prior session's stored snapshot."""
    from api.cli import render_store
    from api.views import oi_diff_view

    run = opts.invocation(needs_store=True)
    busy.start(f"Analysing {symbol} ({run.source})…")
    a = run.service.analysis(symbol, at=run.at)
    prior = run.service.prior(a.symbol, a.as_of)
    changes = None if prior is None else run.service.oi_changes(a, prior)
    why = f"No snapshot of {a.symbol} from the session before {a.as_of.date()} is stored."
    body = oi_diff_view(a, changes, None if prior is None else prior.as_of, top, why)
    emit(run, body, lambda: render_store.oi_diff_table(body))


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
# Commands of modules with heavy imports: imported when used, listed in --help from their
# source (api/cli/lazy.py). Each module's register(app) adds its command.
GexApp.lazy("flow", "api.cli.flow")  # gex flow (api/cli/flow.py)
GexApp.lazy("mcp", "api.cli.mcp")  # gex mcp (api/cli/mcp.py)


def main() -> None:
    """Console-script entry point (``gex``)."""
    app(prog_name="gex")
