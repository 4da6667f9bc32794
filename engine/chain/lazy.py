"""Dataclass fields computed on first read: the frames an analysis returns but rarely reads.

The analysis pipeline works on arrays (:mod:`engine.analysis.single`); the polars frames of
its result (the validator's ``used`` and ``quarantine``, the priced ``contracts``, the
``forwards``) are built from those arrays only when something reads them. A field declared
``name: T = LazyField()`` on a frozen dataclass (without ``slots``) accepts either its value
or a :class:`Deferred` holding a function that computes it; the first read calls the
function once and keeps the value. Everything else about the dataclass is unchanged:
``dataclasses.replace``, ``fields``, equality and ``repr`` read (and so compute) the value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["Deferred", "LazyField"]

T = TypeVar("T")


class Deferred(Generic[T]):
    """A value to compute on first read: ``Deferred(build)`` (``build()`` returns it)."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], T]) -> None:
        self.build = build


class LazyField(Generic[T]):
    """A data descriptor for a dataclass field whose value may be :class:`Deferred`."""

    __slots__ = ("_key",)

    def __init__(self) -> None:
        self._key = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._key = f"_lazy_{name}"

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> LazyField[T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            raise AttributeError(self._key)  # the dataclass field has no default
        state = obj.__dict__
        value = state[self._key]
        if isinstance(value, Deferred):
            value = value.build()
            state[self._key] = value
        return value

    def __set__(self, obj: object, value: T | Deferred[T]) -> None:
        obj.__dict__[self._key] = value
