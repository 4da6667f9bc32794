"""Live flow over HTTP: an uncached ``/v1/flow/dealer-risk/SPX`` against an uncached
``/v1/exposure/summary/SPX`` on the same server, in the same run (target: at most 3×).

Server: ``uvicorn api.http.app:create_app --factory`` (:class:`benchmarks.bench_http._Server`)
on the demo source with ``GEX_CACHE_TTL=0`` — every request fetches the snapshot and runs
its analyses — and the demo clock frozen inside a session (``GEX_DEMO_CLOCK``, a Friday at
14:00 New York: 328,000 SPX prints on the tape so far). Load: one keep-alive client in this
process sending the two requests alternately (summary, dealer-risk, summary, ...), so that
both see the same load on a shared machine; latency is send-to-last-byte.

Rows (unit: one request):

- ``flow dealer-risk uncached SPX p50|p99`` against ``summary uncached SPX p50|p99``: a
  dealer-risk request is the snapshot, the settled analysis, the live analysis on effective
  open interest and the estimate; the simulator state of (SPX, the session day) is kept by
  the server across requests (the clock is frozen: nothing new to feed).
- ``flow dealer-risk, first request``: the first dealer-risk request of the server — the
  same plus fetching the day's tape and feeding all of it. Baseline: one uncached summary.
- ``flow dealer-risk, clock +1 min per request`` (in process, no HTTP): a
  :class:`~api.service.flow.FlowService` on an uncached service whose demo snapshot moves
  one minute per request, so each request fetches the tape again and feeds the new minute.
  Baseline: an uncached in-process summary at the same instants. When the snapshot lists a
  strike the state does not track yet (the demo's strike list moves with spot), that request
  rebuilds the state from the whole tape instead; the notes say how often.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.bench_http import _pct, _Server
from benchmarks.harness import Row

__all__ = ["notes", "run"]

CLOCK = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)  # a Friday, 14:00 New York
FLOW = "/v1/flow/dealer-risk/SPX"
SUMMARY = "/v1/exposure/summary/SPX"
_NOTES: list[str] = []


def _timed(http: Any, path: str) -> float:
    start = time.perf_counter()
    answer = http.get(path)
    elapsed = time.perf_counter() - start
    if answer.status_code != 200:
        raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:200]}")
    return elapsed


def _interleaved(port: int, repeat: int) -> tuple[float, float, list[float], list[float]]:
    """(one summary, the first dealer-risk, then ``repeat`` of each, alternately)."""
    import httpx

    from benchmarks.bench_http import KEY

    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"X-Api-Key": KEY}, timeout=600
    ) as http:
        _timed(http, SUMMARY)
        once = _timed(http, SUMMARY)
        first = _timed(http, FLOW)
        summaries, flows = [], []
        for _ in range(repeat):
            summaries.append(_timed(http, SUMMARY))
            flows.append(_timed(http, FLOW))
    return once, first, summaries, flows


class _Moving:
    """The demo market whose ``now`` moves one minute per snapshot."""

    name = "demo"

    def __init__(self, start: datetime) -> None:
        from data_adapters import get_source

        self.inner: Any = get_source("demo")
        self.now = start

    def symbols(self) -> list[str]:
        return list(self.inner.symbols())

    def tick(self) -> None:
        self.now += timedelta(minutes=1)

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> Any:
        return self.inner.snapshot(symbol, as_of or self.now)

    def trades(self, symbol: str, day: Any, until: datetime | None = None) -> Any:
        return self.inner.trades(symbol, day, until=until)


def _in_process(repeat: int) -> tuple[list[float], list[float]]:
    from api.service.analysis import AnalysisService
    from api.service.flow import FlowService
    from engine.warmup import compile_all

    compile_all()
    source = _Moving(CLOCK - timedelta(minutes=2 * repeat + 1))
    flow = FlowService(AnalysisService(source, source_name="demo", ttl=0.0))
    flow.result("SPX")  # the first build, not timed
    flows, summaries = [], []
    for _ in range(repeat):
        source.tick()
        start = time.perf_counter()
        flow.result("SPX")
        flows.append(time.perf_counter() - start)
        source.tick()
        start = time.perf_counter()
        flow.service.analysis("SPX")
        summaries.append(time.perf_counter() - start)
    if flow.feeds == 0:
        raise RuntimeError("no request fed its new trades incrementally")
    _NOTES.append(
        f"moving clock: {flow.feeds} of {repeat} requests fed only the new minute, "
        f"{flow.builds - 1} rebuilt the state (the strike list moved with spot)"
    )
    return flows, summaries


def run(quick: bool = False) -> list[Row]:
    _NOTES.clear()
    rows: list[Row] = []
    repeat = 8 if quick else 40
    with _Server(ttl=0.0, GEX_DEMO_CLOCK=CLOCK.isoformat().replace("+00:00", "Z")) as server:
        summary_once, first, summary, flow = _interleaved(server.port, repeat)
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        rows.append(Row("flow_http", f"flow dealer-risk uncached SPX {name}",
                        f"summary uncached SPX {name}", 1, 1, "request",
                        _pct(flow, q), _pct(summary, q)))  # fmt: skip
    rows.append(Row("flow_http", "flow dealer-risk, first request", "summary uncached SPX",
                    1, 1, "request", first, summary_once))  # fmt: skip
    moving_flow, moving_summary = _in_process(4 if quick else 12)
    rows.append(Row("flow_http", "flow dealer-risk, clock +1 min per request",
                    "summary, same instants (in process)", 1, 1, "request",
                    statistics.median(moving_flow), statistics.median(moving_summary)))  # fmt: skip
    ratio = _pct(flow, 0.5) / _pct(summary, 0.5)
    _NOTES.append(
        f"uncached dealer-risk SPX p50 {_pct(flow, 0.5) * 1e3:.0f} ms against uncached summary "
        f"p50 {_pct(summary, 0.5) * 1e3:.0f} ms: {ratio:.2f}x (target <= 3x); p99 "
        f"{_pct(flow, 0.99) * 1e3:.0f} / {_pct(summary, 0.99) * 1e3:.0f} ms"
    )
    _NOTES.append(
        f"first dealer-risk request (fetch and feed the whole tape so far): {first:.2f} s "
        f"({first / summary_once:.1f}x one uncached summary)"
    )
    _NOTES.append(
        f"clock moving one minute per request, in process: dealer-risk median "
        f"{statistics.median(moving_flow) * 1e3:.0f} ms (tape fetched again, one minute fed) "
        f"against summary {statistics.median(moving_summary) * 1e3:.0f} ms: "
        f"{statistics.median(moving_flow) / statistics.median(moving_summary):.2f}x"
    )
    return rows


def notes() -> list[str]:
    """Human-readable numbers of the last :func:`run` (ms, s, ratios)."""
    return list(_NOTES)
