"""``gex scan``: many symbols analysed in parallel under a progress bar, nearest flip first.

The ``--json`` body is exactly the **extra** ``GET /v1/scan`` body, built by the same
:func:`api.views.scan_view`: ``rows`` sorted by ``|distance_to_flip_pct|`` (nulls last),
``errors`` (``{"symbol", "error", "message"}`` for each symbol that failed, with the HTTP
API's error code from :func:`api.http_errors.error_for`, in the order asked), ``count``,
``as_of`` and the summed ``data_quality``.

As on the endpoint, a scan succeeds while at least one symbol does, and when every symbol
fails the first one's error is the result. An error the API answers with a 500, and a
:class:`~engine.errors.ConfigurationError` (every symbol would fail alike), stop the scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli_options import Invocation, stderr_console
from api.views import scan_row, scan_view
from data_adapters.symbols import check_symbol
from engine.errors import ConfigurationError, GexError

__all__ = ["ScanResult", "run_scan"]


@dataclass(frozen=True)
class ScanResult:
    """The scan body and the symbols that failed (with their errors, in the order asked)."""

    body: dict[str, Any]
    failed: list[tuple[str, GexError]]


def _analyse(run: Invocation, wanted: list[str], workers: int) -> dict[str, Any]:
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


def run_scan(run: Invocation, symbols: Sequence[str], workers: int = 4) -> ScanResult:
    """Scan ``symbols`` (checked against the grammar, upper-cased, duplicates dropped)
    with ``workers`` threads.

    Raises the first symbol's error when every symbol fails, or an error the API would
    answer with a 500.
    """
    from api.http_errors import error_for  # the HTTP layer, imported only for a scan

    wanted = list(dict.fromkeys(check_symbol(s) for s in symbols))
    results = _analyse(run, wanted, workers) if wanted else {}
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    failed: list[tuple[str, GexError]] = []
    for symbol in wanted:
        result = results[symbol]
        if not isinstance(result, GexError):
            rows.append(scan_row(result))
            continue
        mapped = error_for(result, symbol)
        if mapped is None:
            raise result
        errors.append({"symbol": symbol, "error": mapped.code, "message": mapped.message})
        failed.append((symbol, result))
    if failed and not rows:
        raise failed[0][1]
    return ScanResult(scan_view(rows, errors), failed)
