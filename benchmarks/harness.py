"""Timing helpers shared by every benchmark: best-of-N wall time, rows, the printed table.

Every row is a ratio against a baseline timed in the same run (the machines are shared and
noisy), plus absolute ns per unit of work for orientation.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Row", "best_time", "machine", "print_rows"]


@dataclass(frozen=True)
class Row:
    """One measurement: ``subject`` against ``baseline`` over ``units`` units of work."""

    benchmark: str
    subject: str
    baseline: str
    threads: int
    units: int
    unit: str
    subject_s: float
    baseline_s: float | None

    @property
    def ns_per_unit(self) -> float:
        return self.subject_s / self.units * 1e9

    @property
    def ns_per_unit_per_core(self) -> float:
        return self.ns_per_unit * self.threads

    @property
    def speedup(self) -> float | None:
        return None if self.baseline_s is None else self.baseline_s / self.subject_s


def best_time(fn: Callable[[], object], repeat: int = 5, min_total: float = 0.2) -> float:
    """Best wall time of ``fn()`` over at least ``repeat`` runs (and ``min_total`` seconds)."""
    best = float("inf")
    spent = 0.0
    runs = 0
    while runs < repeat or spent < min_total:
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        runs += 1
        if runs >= 50:
            break
    return best


def machine() -> str:
    """A one-line description of this machine (CPU model, cores, Python)."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def print_rows(rows: list[Row]) -> None:
    """Print the rows as a fixed-width table."""
    head = f"{'benchmark':<22} {'subject':<34} {'thr':>3} {'ns/unit':>10} {'ns/unit/core':>12} {'baseline':<30} {'base ns':>10} {'speedup':>8}"
    print(head)
    print("-" * len(head))
    for r in rows:
        base_ns = "" if r.baseline_s is None else f"{r.baseline_s / r.units * 1e9:10.2f}"
        speed = "" if r.speedup is None else f"{r.speedup:7.1f}x"
        print(
            f"{r.benchmark:<22} {r.subject:<34} {r.threads:>3} {r.ns_per_unit:10.2f} "
            f"{r.ns_per_unit_per_core:12.2f} {r.baseline:<30} {base_ns:>10} {speed:>8}"
        )
