"""Timing helpers shared by every benchmark: best-of-N wall time, rows, the printed tables.

Every row is a ratio against a baseline timed in the same run (the machines are shared and
noisy), plus absolute ns per unit of work for orientation. Every row also records the CPU
target its kernels were compiled for (:func:`target`): the same source runs on AVX-512 and
on AVX2 machines, and ``python -m benchmarks --cpu haswell`` measures the AVX2 build on any
x86-64 machine (:mod:`benchmarks.__main__`).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Row", "best_time", "machine", "print_comparison", "print_rows", "target"]

# ISA of the LLVM CPU names worth naming (NUMBA_CPU_NAME with NUMBA_CPU_FEATURES="" compiles
# for the CPU's own feature set); any other name is shown as it is
_ISA = {
    "x86-64": "SSE2",
    "x86-64-v2": "SSE4.2",
    "sandybridge": "AVX",
    "ivybridge": "AVX",
    "haswell": "AVX2",
    "broadwell": "AVX2",
    "skylake": "AVX2",
    "alderlake": "AVX2",
    "znver1": "AVX2",
    "znver2": "AVX2",
    "znver3": "AVX2",
    "x86-64-v3": "AVX2",
    "skylake-avx512": "AVX-512",
    "cascadelake": "AVX-512",
    "icelake-server": "AVX-512",
    "sapphirerapids": "AVX-512",
    "znver4": "AVX-512",
    "znver5": "AVX-512",
    "x86-64-v4": "AVX-512",
}


def _isa_from_features(features: str) -> str:
    have = {f[1:] for f in features.split(",") if f.startswith("+")}
    for flag, isa in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX")):
        if flag in have:
            return isa
    return "SSE"


def target() -> str:
    """The CPU the engine's kernels are compiled for in this process, e.g. ``haswell (AVX2)``
    or ``host znver4 (AVX-512)``: ``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES`` when set."""
    import llvmlite.binding as ll
    from numba.core import config

    name = config.CPU_NAME
    features = config.CPU_FEATURES
    if name is None:
        name = ll.get_host_cpu_name()
        isa = _isa_from_features(features or ll.get_host_cpu_features().flatten())
        return f"host {name} ({isa})"
    isa = _isa_from_features(features) if features else _ISA.get(name, "")
    return f"{name} ({isa})" if isa else name


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
    target: str = field(default_factory=target)

    @property
    def ns_per_unit(self) -> float:
        return self.subject_s / self.units * 1e9

    @property
    def ns_per_unit_per_core(self) -> float:
        return self.ns_per_unit * self.threads

    @property
    def speedup(self) -> float | None:
        return None if self.baseline_s is None else self.baseline_s / self.subject_s

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        return cls(**data)


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
    """Print the rows as a fixed-width table, under the target they were compiled for."""
    targets = sorted({r.target for r in rows})
    if targets:
        print(f"target: {', '.join(targets)}")
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


def print_comparison(rows: Sequence[Row]) -> None:
    """One line per (benchmark, subject, threads): ns/unit and speedup under every target,
    and each target's ns/unit over the first target's."""
    targets = list(dict.fromkeys(r.target for r in rows))
    if len(targets) < 2:
        return
    keyed: dict[tuple[str, str, int], dict[str, Row]] = {}
    for r in rows:
        keyed.setdefault((r.benchmark, r.subject, r.threads), {})[r.target] = r
    width = 28
    head = f"{'benchmark':<18} {'subject':<34} {'thr':>3} " + " ".join(
        f"{t[:width]:>{width}}" for t in targets
    )
    print("ns/unit (speedup over the same run's baseline) per target; last column: "
          f"ns/unit over {targets[0]}")  # fmt: skip
    print(head + f" {'ratio':>7}")
    print("-" * (len(head) + 8))
    for (bench, subject, threads), by_target in keyed.items():
        cells = []
        for t in targets:
            r = by_target.get(t)
            if r is None:
                cells.append(f"{'':>{width}}")
                continue
            speed = "" if r.speedup is None else f" ({r.speedup:.1f}x)"
            cells.append(f"{f'{r.ns_per_unit:.2f}{speed}':>{width}}")
        first, last = by_target.get(targets[0]), by_target.get(targets[-1])
        ratio = f"{last.ns_per_unit / first.ns_per_unit:6.2f}x" if first and last else ""
        print(
            f"{bench[:18]:<18} {subject[:34]:<34} {threads:>3} " + " ".join(cells) + f" {ratio:>7}"
        )
