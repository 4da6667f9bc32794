"""The one place :mod:`engine.flow` chooses between its compiled kernels and their twins.

Each function here runs the kernel of the same name, or its plain-Python twin when
:func:`engine._jit.use_twins` says so (``GEX_ENGINE_PURE_PYTHON=1``, read at call time).
Arguments must already have the kernels' dtypes and be C-contiguous; the callers in this
package make sure of that.
"""

from __future__ import annotations

from typing import Any

from engine._jit import use_twins
from engine.flow import kernels as k
from engine.flow import twins as t

__all__ = ["accumulate", "build_index", "classify", "estimate", "lookup", "take"]


def build_index(*args: Any) -> None:
    """:func:`engine.flow.kernels.build_index_kernel` or its twin."""
    (t.build_index_twin if use_twins() else k.build_index_kernel)(*args)


def lookup(*args: Any) -> None:
    """:func:`engine.flow.kernels.lookup_kernel` or its twin."""
    (t.lookup_twin if use_twins() else k.lookup_kernel)(*args)


def take(*args: Any) -> None:
    """:func:`engine.flow.kernels.take_kernel` or its twin."""
    (t.take_twin if use_twins() else k.take_kernel)(*args)


def classify(*args: Any) -> None:
    """:func:`engine.flow.kernels.classify_kernel` or its twin."""
    (t.classify_twin if use_twins() else k.classify_kernel)(*args)


def accumulate(*args: Any) -> None:
    """:func:`engine.flow.kernels.accumulate_kernel` or its twin."""
    (t.accumulate_twin if use_twins() else k.accumulate_kernel)(*args)


def estimate(*args: Any) -> None:
    """:func:`engine.flow.kernels.estimate_kernel` or its twin."""
    (t.estimate_twin if use_twins() else k.estimate_kernel)(*args)
