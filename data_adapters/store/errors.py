"""Errors of the snapshot store: both are :class:`~data_adapters.errors.DataSourceError`."""

from __future__ import annotations

from data_adapters.errors import DataSourceError

__all__ = ["StoreError", "StoreLockedError"]


class StoreError(DataSourceError):
    """The store cannot do what was asked: an unreadable or newer-schema store, a corrupt
    listed file on read, a write that failed, invalid backfill arguments."""

    def __init__(self, message: str) -> None:
        super().__init__("store", message)

    def __reduce__(self) -> tuple[type, tuple[str]]:  # picklable across processes
        return (type(self), (self.message,))


class StoreLockedError(StoreError):
    """Another process holds the store's writer lock (one writer at a time)."""

    def __init__(self, message: str, holder_pid: int | None = None) -> None:
        super().__init__(message)
        self.holder_pid = holder_pid

    def __reduce__(self) -> tuple[type, tuple[str, int | None]]:  # type: ignore[override]
        return (type(self), (self.message, self.holder_pid))
