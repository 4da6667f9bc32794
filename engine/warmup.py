"""Compile (or load from cache) every engine kernel, so no request pays compilation.

The server calls :func:`compile_all` at start-up; the ``kernel start-up`` benchmark times it.
Each new kernel module adds its warm-up call here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["compile_all"]


def compile_all() -> None:
    """Run every kernel once on a tiny input."""
    from engine.greeks import bsm, dealer_greeks

    one = np.ones(2)
    calls = np.array([True, False])
    bsm(one * 100.0, one * 100.0, one * 0.1, one * 0.05, one * 0.01, one * 0.2, calls)
    dealer_greeks(one * 100.0, one * 100.0, one * 0.1, one * 0.05, one * 0.04, one * 0.2, calls)
