"""Kernel start-up cost: cold compilation against loading from Numba's on-disk cache.

Each measurement runs in a fresh interpreter with its own ``NUMBA_CACHE_DIR``: the first run
compiles every engine kernel (and writes the cache), the second loads them. The baseline of
the cached load is the cold compile.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from benchmarks.harness import Row

__all__ = ["run"]

_WARM = "import engine.warmup as w; w.compile_all()"


def _spawn(cache_dir: str) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _WARM], check=True, env=env)
    return time.perf_counter() - start


def run(quick: bool = False) -> list[Row]:
    with tempfile.TemporaryDirectory() as cache_dir:
        cold = _spawn(cache_dir)
        cached = min(_spawn(cache_dir) for _ in range(1 if quick else 3))
    return [
        Row(
            "kernel start-up",
            "load all kernels from cache",
            "cold compile of all kernels",
            1,
            1,
            "process",
            cached,
            cold,
        ),
    ]
