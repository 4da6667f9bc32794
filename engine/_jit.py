"""The one place where the package's Numba options are set.

Every compiled function of ``engine`` is created through :func:`kernel` (array loops) or
:func:`scalar` (small helpers inlined into those loops), so caching, ``nogil``, the error
model and the parallel backend are decided here and nowhere else.

Options and why:

- ``cache=True`` — compiled machine code is written next to the sources (``__pycache__``) and
  loaded on the next start, so a server start does not pay compilation again.
- ``nogil=True`` — kernels release the GIL, so the API can run them from worker threads.
- ``error_model="numpy"`` — division by zero gives inf/NaN instead of raising; the Python
  error model inserts a branch per division that stops LLVM from vectorizing the loop.
- ``boundscheck=False`` — the same reason.
- No ``fastmath``, and never ``reassoc`` in particular: it would fold the range reduction
  of :func:`engine._math.exp_` (``(t + 1.5·2^52) − 1.5·2^52`` → ``t``) and change
  results between the kernels and their twins. Elementwise loops vectorize without it;
  the few fused multiply-adds the math wants are explicit (``engine._math.fma_``).
- ``parallel=True`` for array kernels, with ``prange`` even on one thread: the parfor pass
  marks the arrays as non-aliasing, which is what lets LLVM vectorize the loop body.

Threads: kernels run on Numba's OpenMP layer (safe for concurrent calls from several Python
threads, which the server makes). GNU OpenMP's worker threads spin after each parallel
region; polars' own pool spins too, and on a small machine the two starve each other (a
0.2 ms kernel took 8 ms). ``OMP_WAIT_POLICY=PASSIVE`` is therefore set as the default
before the first kernel launch (a value set by the user is kept).

Target CPU: kernels are compiled for the CPU they run on (Numba passes LLVM the host's CPU
name and features), so one source becomes AVX-512 code on Zen 4 / Xeon and AVX2 code on
earlier AMD and on Intel client CPUs. Nothing in a hot loop may need AVX-512 to vectorize
(packed double↔int64 conversion is AVX-512DQ-only; see :mod:`engine._math`). To
compile and measure the AVX2 build on an AVX-512 machine set ``NUMBA_CPU_NAME=haswell`` and
``NUMBA_CPU_FEATURES=`` (empty: haswell's own features; without it Numba keeps the host's,
AVX-512 included), or run ``python -m benchmarks --cpu haswell``. The on-disk cache keys
every entry by signature, CPU name and feature string, so builds for different targets
sit side by side in one cache directory and are never confused.

Twins: every kernel has a plain-Python twin (same algorithm, ``math`` functions, plain
loops) used by tests and for debugging. Setting the environment variable
``GEX_ENGINE_PURE_PYTHON=1`` makes every public entry point run the twins instead of the
compiled kernels (read at call time, so tests can switch it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # after the OpenMP setting above

__all__ = ["PURE_PYTHON_ENV", "kernel", "scalar", "set_threads", "use_twins"]

F = TypeVar("F", bound=Callable[..., Any])

PURE_PYTHON_ENV = "GEX_ENGINE_PURE_PYTHON"

_COMMON: dict[str, Any] = {
    "cache": True,
    "nogil": True,
    "error_model": "numpy",
    "boundscheck": False,
}


def use_twins() -> bool:
    """True when ``GEX_ENGINE_PURE_PYTHON`` asks for the plain-Python twins."""
    return os.environ.get(PURE_PYTHON_ENV, "").strip().lower() not in ("", "0", "false", "no")


def kernel(*, parallel: bool = True) -> Callable[[F], F]:
    """Decorator for an array kernel (a loop over contracts)."""

    def wrap(fn: F) -> F:
        return numba.njit(parallel=parallel, **_COMMON)(fn)  # type: ignore[no-any-return]

    return wrap


def scalar(fn: F) -> F:
    """Decorator for a scalar helper that kernels call; inlined by LLVM into the loop."""
    return numba.njit(inline="always", **_COMMON)(fn)  # type: ignore[no-any-return]


def set_threads(n: int | None) -> int:
    """Set the number of threads kernels use (None = all cores); return the number in force."""
    if n is not None:
        numba.set_num_threads(max(1, min(int(n), int(numba.config.NUMBA_NUM_THREADS))))  # type: ignore[attr-defined]
    return int(numba.get_num_threads())
