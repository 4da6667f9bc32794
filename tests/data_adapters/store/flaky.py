"""A source for the backfill tests that fails on purpose: once, or always, for chosen
(symbol, New York date) pairs. Importable by name, so that a spawned process-pool worker or
a Dask worker can build it: ``backfill(..., create_flaky, {"marks": DIR, ...})``.

``fail_once``: the first call for the pair fails (a marker file in ``marks``, created
atomically, remembers it across processes); ``fail_always``: every call fails.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import polars as pl

from data_adapters.demo import DemoSource
from data_adapters.errors import UpstreamTimeoutError
from engine.chain import ChainSnapshot
from engine.settlement import NEW_YORK


class FlakySource:
    name = "flaky"

    def __init__(
        self,
        marks: str,
        fail_once: tuple[str, ...] = (),
        fail_always: tuple[str, ...] = (),
        seed: int = 4,
    ) -> None:
        self.marks = Path(marks)
        self.fail_once = set(fail_once)
        self.fail_always = set(fail_always)
        self.demo = DemoSource(seed=seed)

    def symbols(self) -> list[str]:
        return self.demo.symbols()

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        assert as_of is not None
        pair = f"{symbol}-{as_of.astimezone(NEW_YORK).date()}"
        calls = self.marks / f"calls-{pair}-{os.getpid()}-{as_of:%H%M}"
        with open(calls, "a") as fh:
            fh.write("x")
        if pair in self.fail_always:
            raise UpstreamTimeoutError("flaky", f"{pair} never answers")
        if pair in self.fail_once:
            try:
                fd = os.open(self.marks / f"failed-{pair}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass
            else:
                os.close(fd)
                raise RuntimeError(f"{pair} fails the first time")
        return self.demo.snapshot(symbol, as_of)

    def trades(self, symbol: str, day: date, until: datetime | None = None) -> pl.DataFrame:
        """The demo's tape (never fails), so that a flaky backfill stores what a demo one does."""
        return self.demo.trades(symbol, day, until)


def create_flaky(**settings: object) -> FlakySource:
    return FlakySource(**settings)  # type: ignore[arg-type]
