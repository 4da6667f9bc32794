"""The package's public surface: every name of every ``__all__`` resolves."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import engine.flow

MODULES = sorted(m.name for m in pkgutil.iter_modules(engine.flow.__path__))


def test_all_resolves() -> None:
    for name in engine.flow.__all__:
        assert getattr(engine.flow, name) is not None, name


@pytest.mark.parametrize("module", MODULES)
def test_module_all_resolves_and_modules_stay_small(module: str) -> None:
    mod = importlib.import_module(f"engine.flow.{module}")
    for name in getattr(mod, "__all__", ()):
        assert hasattr(mod, name), f"{module}.{name}"
    assert mod.__doc__, module
    lines = Path(mod.__file__ or "").read_text().count("\n")
    assert lines < 400, f"{module} has {lines} lines"
