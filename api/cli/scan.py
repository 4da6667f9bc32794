"""``gex scan``: many symbols analysed in parallel under a progress bar, nearest flip first;
``gex scan --all``: every underlying of the source, on the batched market path where the
source has one (:mod:`api.service.scan`, shared with ``GET /v1/scan``).

The ``--json`` body is exactly the **extra** ``GET /v1/scan`` body, built by the same
:func:`api.views.scan_view`: ``rows`` sorted by ``|distance_to_flip_pct|`` (nulls last),
``errors`` (``{"symbol", "error", "message"}`` for each symbol that failed, with the HTTP
API's error code from :func:`api.http.errors.error_for`, in the order asked), ``count``,
``as_of`` and the summed ``data_quality``.

A scan of every symbol of a source that lists none (an empty ``files`` folder, an empty
store) is an error that says so, not an empty table.

As on the endpoint, a scan succeeds while at least one symbol does, and when every symbol
fails the first one's error is the result. An error the API answers with a 500, and a
:class:`~engine.errors.ConfigurationError` (every symbol would fail alike), stop the scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api.cli.console import busy
from api.cli.errors import CommandError
from api.cli.options import Invocation, stderr_console
from engine.errors import ConfigurationError, GexError

if TYPE_CHECKING:
    from api.service.analysis import AnalysisService

__all__ = ["ScanResult", "run_scan"]


@dataclass(frozen=True)
class ScanResult:
    """The scan body and the symbols that failed (with their errors, in the order asked)."""

    body: dict[str, Any]
    failed: list[tuple[str, GexError]]


def _analyse(run: Invocation, wanted: list[str], workers: int) -> dict[str, Any]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    busy.stop()  # the progress bar takes over
    results: dict[str, Any] = {}
    console = stderr_console()
    progress = Progress(
        TextColumn("scan"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )  # fmt: skip
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(wanted))))
    try:
        with progress:
            task = progress.add_task("scan", total=len(wanted))
            futures = {pool.submit(run.compute, symbol): symbol for symbol in wanted}
            for future in as_completed(futures):
                try:
                    results[futures[future]] = future.result()
                except ConfigurationError:
                    raise
                except GexError as exc:
                    results[futures[future]] = exc
                progress.advance(task)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def _nothing_to_scan(service: AnalysisService) -> CommandError:
    """The error of a source that lists no symbol (an empty ``files`` folder)."""
    root = getattr(service.source, "root", None)
    where = "" if root is None else f" under {root}"
    fill = (
        " (save snapshots there first: README, Getting data)"
        if service.source_name == "files"
        else " (gex ingest fills a store)"
        if service.source_name == "store"
        else ""
    )
    return CommandError(f"the {service.source_name} source holds no snapshots{where}{fill}")


def run_scan(
    run: Invocation,
    symbols: Sequence[str] | None,
    workers: int = 4,
    sort: str = "flip_distance",
    limit: int | None = None,
) -> ScanResult:
    """Scan ``symbols`` (checked against the grammar, upper-cased, duplicates dropped)
    with ``workers`` threads, or with ``symbols`` None every symbol of the source (one
    batched market analysis where the source has a market frame). Rows in the order
    ``sort`` names, at most ``limit``.

    Raises the first symbol's error when every symbol fails, or an error the API would
    answer with a 500.
    """
    from api.service.scan import collate, market_body
    from api.views import scan_view
    from data_adapters.symbols import check_symbol

    service = run.service
    if symbols is None and service.has_market:
        with run.busy(f"Analysing every underlying of {service.source_name}…"):
            return ScanResult(market_body(service.market(run.at), sort, limit), [])
    if symbols is None:
        with run.busy(f"Listing the symbols of {service.source_name}…"):
            symbols = service.symbols()
        if not symbols:
            raise _nothing_to_scan(service)
    wanted = list(dict.fromkeys(check_symbol(s) for s in symbols))
    results = _analyse(run, wanted, workers) if wanted else {}
    rows, errors, failed = collate(wanted, results)
    if failed and not rows:
        raise failed[0][1]
    return ScanResult(scan_view(rows, errors, sort, limit), failed)
