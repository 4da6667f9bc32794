"""The HTTP API over loopback: a uvicorn server process and a separate load-generating process.

Server: ``uvicorn api.http.app:create_app --factory`` (demo source, one API key, the rate limiter
on with a limit never reached, access log off), on 127.0.0.1. Load: this module run as
``python -m benchmarks.bench_http --loadgen SPEC`` in its own process — ``concurrency``
keep-alive connections on plain asyncio streams, each sending the next GET as soon as the
previous answer is read (closed loop); latency is send-to-last-byte per request. Client
and server share the machine's cores.

Rows (unit: one request):

- ``summary cached c=N p50|p99`` and ``req/s`` for N = 1, 8, 32 clients: the summary of
  SPY, computed once then served from the service's cache (TTL one hour, so no entry expires
  mid-run). Baseline: ``/health`` on the same server at the same concurrency — the floor of
  the framework, the transport and the load generator.
- ``summary uncached SPX p50|p99``: a second server with ``GEX_CACHE_TTL=0``, so every request
  fetches the demo snapshot and runs the whole analysis (23k contracts). Baseline: the same
  snapshot + analysis in-process, without HTTP.
- ``whole-market scan uncached``: ``/v1/scan?limit=50`` without symbols on a server of the
  demo ``market`` universe (6,000 underlyings, ``GEX_CACHE_TTL=0``): one batched
  ``analyze_market``. Baseline: one uncached ``/v1/exposure/summary/SPX`` on that server
  (the issue's target: the scan costs at most 50 of them).
- ``start to first 200``: from spawning a server (kernel cache warm) to the first 200 of
  ``/v1/exposure/summary/SPY``. Baseline: spawning Python to import ``api.http.app`` and exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Row

__all__ = ["notes", "run"]

KEY = "bench-key"
REPO = Path(__file__).resolve().parents[1]
_NOTES: list[str] = []


# -- load generator (runs in its own process) ------------------------------------------------
async def _client(port: int, request: bytes, count: int, out: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(count):
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected answer {head[:40]!r}")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            out.append(time.perf_counter() - start)
    finally:
        writer.close()
        await writer.wait_closed()


async def _load(spec: dict[str, Any]) -> dict[str, Any]:
    request = (
        f"GET {spec['path']} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: {KEY}\r\n\r\n"
    ).encode()
    port, clients, total = spec["port"], spec["concurrency"], spec["requests"]
    warm: list[float] = []
    await asyncio.gather(*(_client(port, request, 5, warm) for _ in range(clients)))
    latencies: list[float] = []
    start = time.perf_counter()
    await asyncio.gather(
        *(_client(port, request, total // clients, latencies) for _ in range(clients))
    )
    elapsed = time.perf_counter() - start
    return {"latencies": latencies, "elapsed": elapsed}


def _loadgen(port: int, path: str, concurrency: int, requests: int) -> dict[str, Any]:
    spec = json.dumps(
        {"port": port, "path": path, "concurrency": concurrency, "requests": requests}
    )
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_http", "--loadgen", spec],
        cwd=REPO, capture_output=True, check=True, timeout=600,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# -- servers -----------------------------------------------------------------------------------
class _Server:
    """A uvicorn factory server on a free loopback port; ``first_200`` is spawn to first 200."""

    def __init__(self, ttl: float, **extra_env: str) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        env = dict(os.environ, GEX_API_KEYS=KEY, GEX_RATE_LIMIT="1000000000",
                   GEX_CACHE_TTL=str(ttl), GEX_SOURCE="demo", **extra_env)  # fmt: skip
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        argv = [sys.executable, "-m", "uvicorn", "api.http.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
                "--no-access-log"]  # fmt: skip
        start = time.perf_counter()
        self.process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=self._log, stderr=self._log)
        self.first_200 = self._wait(start)

    def _wait(self, start: float) -> float:
        import httpx

        with httpx.Client(timeout=60, headers={"X-Api-Key": KEY}) as http:
            while time.perf_counter() - start < 180:
                if self.process.poll() is not None:
                    self._log.seek(0)
                    raise RuntimeError(f"server exited: {self._log.read()[-2000:]!r}")
                try:
                    url = f"http://127.0.0.1:{self.port}/v1/exposure/summary/SPY"
                    if http.get(url).status_code == 200:
                        return time.perf_counter() - start
                except httpx.TransportError:
                    pass
                time.sleep(0.005)
        raise RuntimeError("the server did not answer in 180 s")

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self._log.close()


# -- the benchmark -----------------------------------------------------------------------------
def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _import_time() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import api.http.app"], cwd=REPO, check=True)
    return time.perf_counter() - start


def _in_process_spx(repeat: int) -> list[float]:
    from data_adapters import get_source
    from engine.analysis.single import analyze
    from engine.warmup import compile_all

    compile_all()
    source = get_source("demo")
    analyze(source.snapshot("SPX"))
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        analyze(source.snapshot("SPX"))
        times.append(time.perf_counter() - start)
    return times


def run(quick: bool = False) -> list[Row]:
    _NOTES.clear()
    rows: list[Row] = []
    with _Server(ttl=3600.0) as server:
        for clients, total in ((1, 2000), (8, 4000), (32, 8000)):
            total //= 10 if quick else 1
            got = _loadgen(server.port, "/v1/exposure/summary/SPY", clients, total)
            base = _loadgen(server.port, "/health", clients, total)
            lat, blat = got["latencies"], base["latencies"]
            rps = len(lat) / got["elapsed"]
            for name, q in (("p50", 0.5), ("p99", 0.99)):
                rows.append(Row("http", f"summary cached c={clients} {name}",
                                f"/health c={clients} {name}", clients, 1, "request",
                                _pct(lat, q), _pct(blat, q)))  # fmt: skip
            rows.append(Row("http", f"summary cached c={clients} req/s", f"/health c={clients}",
                            clients, len(lat), "request", got["elapsed"],
                            base["elapsed"] * len(lat) / len(blat)))  # fmt: skip
            _NOTES.append(
                f"cached summary, {clients} client(s): p50 {_pct(lat, 0.5) * 1e3:.2f} ms, "
                f"p99 {_pct(lat, 0.99) * 1e3:.2f} ms, {rps:,.0f} req/s "
                f"(/health: {len(blat) / base['elapsed']:,.0f} req/s)"
            )
    starts = []
    for _ in range(1 if quick else 2):
        with _Server(ttl=0.0) as server:
            starts.append(server.first_200)
    with _Server(ttl=0.0) as server:
        repeat = 10 if quick else 40
        got = _loadgen(server.port, "/v1/exposure/summary/SPX", 1, repeat)
        lat = got["latencies"]
        local = _in_process_spx(repeat)
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            rows.append(Row("http", f"summary uncached SPX {name}", f"in-process analyze {name}",
                            1, 1, "request", _pct(lat, q), _pct(local, q)))  # fmt: skip
        starts.append(server.first_200)
    with _Server(ttl=0.0, GEX_DEMO_UNIVERSE="market", GEX_REQUEST_TIMEOUT="600") as server:
        repeat = 2 if quick else 5
        single = _loadgen(server.port, "/v1/exposure/summary/SPX", 1, 3 * repeat)["latencies"]
        scan = _loadgen(server.port, "/v1/scan?limit=50", 1, repeat)["latencies"]
        rows.append(Row("http", "whole-market scan uncached (6,000 underlyings)",
                        "uncached SPX summary, same server", 1, 1, "request",
                        min(scan), min(single)))  # fmt: skip
        _NOTES.append(
            f"uncached whole-market scan of the demo market universe (6,000 underlyings, "
            f"~1.4 M contracts, analyze_market): best {min(scan):.2f} s, "
            f"{min(scan) / min(single):.1f}× one uncached SPX summary "
            f"({min(single) * 1e3:.0f} ms; target ≤ 50×)"
        )
    imports = min(_import_time() for _ in range(2 if quick else 3))
    rows.append(Row("http", "start to first 200", "python -c 'import api.http.app'", 1, 1,
                    "start", min(starts), imports))  # fmt: skip
    _NOTES.append(
        f"uncached SPX summary: p50 {_pct(lat, 0.5) * 1e3:.1f} ms, p99 {_pct(lat, 0.99) * 1e3:.1f} ms "
        f"(in-process snapshot + analyze p50 {statistics.median(local) * 1e3:.1f} ms)"
    )
    _NOTES.append(
        f"server start to first 200 (warm kernel cache): {min(starts):.2f} s "
        f"(importing api.http.app alone: {imports:.2f} s)"
    )
    return rows


def notes() -> list[str]:
    """Human-readable numbers of the last :func:`run` (ms, req/s, s)."""
    return list(_NOTES)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--loadgen":
        print(json.dumps(asyncio.run(_load(json.loads(sys.argv[2])))))
    else:
        raise SystemExit("usage: python -m benchmarks.bench_http --loadgen SPEC (see run())")
