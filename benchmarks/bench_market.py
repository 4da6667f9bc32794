"""The whole market end to end: :func:`engine.analysis.market.analyze_market` on the demo's market universe.

Workload: ``get_source("demo", universe="market").market(AS_OF)`` — 6,000 underlyings
(the named index/ETF/stock/futures chains plus synthetic stocks in three listing tiers),
about 1.43 M contracts, on a third Friday (0DTE contracts and expired AM-settled rows
present). Building the frame is not timed. Unit of work: one contract of the frame.

Subject: ``analyze_market`` (validate, T + forwards + IV + smile, greeks, exposures,
per-strike tables, profile, flip, levels), best of several runs; one row for the end-to-end
time and one per stage, the stage times being those of the best run. "1 thread" runs in a
child process started with ``POLARS_MAX_THREADS=1`` and ``NUMBA_NUM_THREADS=1`` (polars'
pool cannot shrink once imported), so no stage uses a second core; "all cores" runs here.

Baseline ("analyze() per underlying, scaled"): ``engine.analyze`` on each underlying's own
snapshot, the way the market is analysed without the batched path — timed here on every
named chain plus a sample of synthetic stocks spread evenly over the liquidity ranks
(all three tiers), the sample's mean scaled to the number of synthetic stocks. Running it
on all 6,000 would take minutes. The sampled underlyings' results are checked against the
batched ones (same work, same answer).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.harness import Row, best_time
from data_adapters import get_source
from data_adapters.demo.market import synthetic_count
from engine._jit import set_threads
from engine.analysis.market import STAGES, MarketAnalysis, analyze_market
from engine.analysis.single import analyze

__all__ = ["notes", "run"]

AS_OF = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # third Friday, 10:00 New York
TARGET_S = 1.0  # the target on 2 cores, AVX2 included (run with --cpu haswell)
_notes: list[str] = []


def _market(size: int) -> Any:
    return get_source("demo", universe="market", market_size=size).market(AS_OF)


def _args(m: Any) -> tuple[Any, ...]:
    return (m.frame, m.offsets, m.symbols, m.spots, m.div_yields, m.as_of, m.rate)


def _measure(m: Any, repeat: int) -> tuple[float, dict[str, float], MarketAnalysis]:
    """Best end-to-end time of ``analyze_market`` and the stage times of that run."""
    result = analyze_market(*_args(m))  # compile / load kernels before timing
    best, stages = float("inf"), dict(result.timings)
    for _ in range(repeat):
        start = time.perf_counter()
        result = analyze_market(*_args(m))
        elapsed = time.perf_counter() - start
        if elapsed < best:
            best, stages = elapsed, dict(result.timings)
    return best, stages, result


def _single_thread(size: int, repeat: int) -> tuple[float, dict[str, float]]:
    """``_measure`` in a child process with one polars and one Numba thread."""
    env = {**os.environ, "POLARS_MAX_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", "benchmarks.bench_market", "--worker", str(size), str(repeat)]
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return float(report["total"]), {k: float(v) for k, v in report["stages"].items()}


def _baseline(m: Any, sample: int, batched: MarketAnalysis) -> tuple[float, str, list[str]]:
    """Estimated time of ``analyze()`` over every underlying, from the named chains and an
    even sample of synthetic stocks; also checks the sampled results against ``batched``."""
    n = len(m)
    n_synthetic = synthetic_count(n)
    named = list(range(n - n_synthetic))
    picks = np.unique(np.linspace(0, n_synthetic - 1, min(sample, n_synthetic)).round())
    synthetic = [len(named) + int(i) for i in picks]
    times = {}
    worst_gex, worst_flip = 0.0, 0.0
    for i in named + synthetic:
        snap = m.snapshot(i)
        times[i] = best_time(lambda s=snap: analyze(s), repeat=2, min_total=0.0)
        a = analyze(snap)
        row = batched.frame.row(i, named=True)
        worst_gex = max(worst_gex, abs(row["net_gex"] / a.net_gex - 1.0))
        if a.gamma_flip is not None:
            worst_flip = max(worst_flip, abs(row["gamma_flip"] - a.gamma_flip) / snap.spot)
        elif row["gamma_flip"] is not None:
            raise AssertionError(f"{snap.underlying}: flip only in the batched result")
    if worst_gex > 1e-9 or worst_flip > 1e-6:
        raise AssertionError(
            f"batched != analyze(): net GEX {worst_gex:.1e}, flip {worst_flip:.1e}"
        )
    named_s = sum(times[i] for i in named)
    mean_synthetic = float(np.mean([times[i] for i in synthetic])) if synthetic else 0.0
    total = named_s + mean_synthetic * n_synthetic
    name = f"analyze() per underlying ({len(named) + len(synthetic)} sampled, scaled)"
    lines = [
        f"baseline: analyze() timed on the {len(named)} named chains ({named_s:.2f} s) and "
        f"{len(synthetic)} synthetic stocks (mean {mean_synthetic * 1e3:.1f} ms), scaled to "
        f"{n_synthetic} synthetic stocks: {total:.1f} s estimated for the market",
        f"sampled results vs batched: max |net GEX rel diff| {worst_gex:.1e}, "
        f"max |flip diff| / spot {worst_flip:.1e}",
    ]
    return total, name, lines


def run(quick: bool = False) -> list[Row]:
    size = 700 if quick else 6000
    repeat = 2 if quick else 5
    m = _market(size)
    units = m.frame.height
    all_threads = set_threads(None)
    total, stages, result = _measure(m, repeat)
    measured = {all_threads: (total, stages)}
    if all_threads > 1:
        measured[1] = _single_thread(size, repeat)
    base_s, base_name, base_lines = _baseline(m, 10 if quick else 50, result)

    rows = []
    for threads in sorted(measured):
        t_total, t_stages = measured[threads]
        rows.append(
            Row(
                "full market", "analyze_market end to end", base_name,
                threads, units, "contract", t_total, base_s,
            )
        )  # fmt: skip
        rows += [
            Row("full market", f"  stage: {s}", "", threads, units, "contract", t_stages[s], None)
            for s in STAGES
        ]
    ok = result.frame.filter(result.frame["status"] == "ok")
    _notes[:] = [
        f"market: {len(m)} underlyings, {units} contracts ({int(ok['contracts_used'].sum())} "
        f"priced), as_of {AS_OF.isoformat()}; flips found for "
        f"{int((ok['gamma_flip_status'] == 'available').sum())} underlyings",
        "stage times of the best run (ms): "
        + "; ".join(
            f"{threads} thread(s): "
            + ", ".join(f"{s} {measured[threads][1][s] * 1e3:.0f}" for s in STAGES)
            + f" = {measured[threads][0]:.3f} s"
            for threads in sorted(measured)
        ),
        *base_lines,
        f"target <= {TARGET_S} s on 2 cores: "
        + ("met" if measured[all_threads][0] <= TARGET_S else "NOT met")
        + f" ({measured[all_threads][0]:.3f} s on {all_threads} threads)",
    ]
    return rows


def notes() -> list[str]:
    """Lines printed under the table: workload, per-stage times, the baseline's estimate."""
    return list(_notes)


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.bench_market --worker")
    parser.add_argument("size", type=int)
    parser.add_argument("repeat", type=int)
    args = parser.parse_args(argv)
    total, stages, _ = _measure(_market(args.size), args.repeat)
    print(json.dumps({"total": total, "stages": stages}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.exit(_worker(sys.argv[2:]))
    sys.exit(f"run it through the suite: {sys.executable} -m benchmarks market")
