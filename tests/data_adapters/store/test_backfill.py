"""``backfill``: tasks by (symbol, session); serial, a local process pool and a Dask
``distributed`` cluster give the same store, byte for byte; failed tasks are retried and
reported; reruns compute nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from data_adapters import SourceConfigError
from data_adapters.store import (
    BackfillProgress,
    BackfillResult,
    SnapshotStore,
    StoreError,
    Task,
    backfill,
    plan,
    run_task,
)
from tests.data_adapters.store.conftest import tree
from tests.data_adapters.store.flaky import create_flaky

SYMBOLS = ["IWM", "AAPL"]
START, END = "2026-01-15", "2026-01-21"  # Thu, Fri, (weekend, MLK Monday), Tue, Wed
TIMES = ("10:00", "16:00")
SETTINGS = {"seed": 4}


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BackfillResult]:
    root = tmp_path_factory.mktemp("serial")
    result = backfill(SYMBOLS, "demo", SETTINGS, START, END, TIMES, store=root)
    return root, result


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
    ) as local:
        yield local.scheduler_address


def test_the_plan_is_one_task_per_symbol_and_session() -> None:
    tasks = plan(["iwm", "AAPL", "IWM"], START, date(2026, 1, 21), "16:00,10:00")
    assert [(t.symbol, t.session.day) for t in tasks] == [
        (s, d) for d in (15, 16, 20, 21) for s in ("IWM", "AAPL")
    ]
    assert tasks[0].instants == (
        datetime(2026, 1, 15, 15, tzinfo=UTC),
        datetime(2026, 1, 15, 21, tzinfo=UTC),
    )
    summer = plan(["SPY"], "2026-07-06", "2026-07-06", ["09:45"])
    assert summer[0].instants == (datetime(2026, 7, 6, 13, 45, tzinfo=UTC),)  # EDT
    assert plan(["SPY"], "2026-01-17", "2026-01-19") == []  # weekend + holiday


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"times_ny": ("25:00",)}, "HH:MM"),
        ({"times_ny": ()}, "no times"),
        ({"start_date": "2026-02-01"}, "after end_date"),
        ({"start_date": "01/15/2026"}, "YYYY-MM-DD"),
        ({"workers": 2, "scheduler": "tcp://127.0.0.1:8786"}, "not both"),
        ({"workers": 0}, "positive"),
        ({"retries": -1}, ">= 0"),
        ({"symbols": []}, "no symbols"),
    ],
)
def test_bad_arguments_are_store_errors(
    tmp_path: Path, kwargs: dict[str, object], match: str
) -> None:
    args: dict[str, object] = {
        "symbols": ["IWM"],
        "source_name": "demo",
        "source_settings": None,
        "start_date": START,
        "end_date": END,
        "store": tmp_path,
    }
    args.update(kwargs)
    with pytest.raises(StoreError, match=match):
        backfill(**args)  # type: ignore[arg-type]
    with pytest.raises(SourceConfigError, match="unknown source"):
        backfill(["IWM"], "bloomberg", {}, START, END, store=tmp_path)


def test_serial_backfill(serial: tuple[Path, BackfillResult]) -> None:
    root, result = serial
    assert (result.mode, result.workers, result.tasks) == ("serial", 1, 8)
    assert (result.snapshots_written, result.snapshots_skipped) == (16, 0)
    assert result.ok and result.failures == () and result.retried == ()
    store = SnapshotStore(root)
    assert store.symbols() == ["AAPL", "IWM"] and store.verify().ok
    assert store.history("IWM")["date"].unique().to_list() == [
        date(2026, 1, 15),
        date(2026, 1, 16),
        date(2026, 1, 20),
        date(2026, 1, 21),
    ]


def test_a_rerun_computes_nothing(serial: tuple[Path, BackfillResult]) -> None:
    root, _ = serial
    before = tree(root)
    events: list[BackfillProgress] = []
    again = backfill(
        SYMBOLS, "demo", SETTINGS, START, END, TIMES, store=root, workers=2, progress=events.append
    )
    assert (again.mode, again.workers) == ("processes", 0)  # no pool was started
    assert (again.snapshots_written, again.snapshots_skipped) == (0, 16)
    assert [e.event for e in events] == ["skipped"] * 8 and events[-1].tasks_done == 8
    assert tree(root) == before


def test_a_process_pool_gives_the_serial_store(
    serial: tuple[Path, BackfillResult], tmp_path: Path
) -> None:
    events: list[BackfillProgress] = []
    result = backfill(
        SYMBOLS, "demo", SETTINGS, START, END, TIMES,
        store=SnapshotStore(tmp_path), workers=2, progress=events.append,
    )  # fmt: skip
    assert (result.mode, result.workers, result.snapshots_written) == ("processes", 2, 16)
    assert tree(tmp_path) == tree(serial[0])
    assert [e.tasks_done for e in events] == list(range(1, 9))
    assert {e.event for e in events} == {"done"} and events[-1].snapshots_written == 16


def test_a_dask_cluster_gives_the_serial_store(
    serial: tuple[Path, BackfillResult], cluster: str, tmp_path: Path
) -> None:
    result = backfill(
        SYMBOLS, "demo", SETTINGS, START, END, TIMES, store=tmp_path, scheduler=cluster
    )
    assert (result.mode, result.workers, result.snapshots_written) == ("dask", 2, 16)
    assert result.ok and tree(tmp_path) == tree(serial[0])


def test_a_task_that_fails_once_is_retried(
    serial: tuple[Path, BackfillResult], cluster: str, tmp_path: Path
) -> None:
    for mode in ("serial", "dask"):
        marks = tmp_path / f"marks-{mode}"
        marks.mkdir()
        settings = {"marks": str(marks), "fail_once": ("IWM-2026-01-16", "AAPL-2026-01-20")}
        events: list[BackfillProgress] = []
        result = backfill(
            SYMBOLS, create_flaky, settings, START, END, TIMES,
            store=tmp_path / mode, progress=events.append,
            scheduler=cluster if mode == "dask" else None,
        )  # fmt: skip
        assert result.ok and result.snapshots_written == 16
        retried = sorted((r.symbol, r.session.day, r.attempts) for r in result.retried)
        assert retried == [("AAPL", 20, 2), ("IWM", 16, 2)]
        assert all("fails the first time" in r.errors[0] for r in result.retried)
        assert sorted(e.event for e in events) == ["done"] * 8 + ["retry"] * 2
        assert tree(tmp_path / mode) == tree(serial[0])  # flaky wraps the same demo market


def test_a_task_that_keeps_failing_is_reported(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    settings = {"marks": str(marks), "fail_always": ("AAPL-2026-01-20",)}
    events: list[BackfillProgress] = []
    result = backfill(
        SYMBOLS, create_flaky, settings, START, END, TIMES,
        store=tmp_path / "s", retries=2, progress=events.append,
    )  # fmt: skip
    assert not result.ok and result.snapshots_written == 14
    (failure,) = result.failures
    assert (failure.symbol, failure.session, failure.attempts) == ("AAPL", date(2026, 1, 20), 3)
    assert failure.errors == ("UpstreamTimeoutError: flaky: AAPL-2026-01-20 never answers",) * 3
    assert failure.error == failure.errors[-1]
    assert [e.event for e in events if e.task.symbol == "AAPL" and e.task.session.day == 20] == [
        "retry",
        "retry",
        "failed",
    ]
    assert events[-1].tasks_done == 8 and events[-1].tasks_failed == 1
    # the rest is stored; a rerun without the fault fills exactly the hole
    store = SnapshotStore(tmp_path / "s")
    assert len(store.list()) == 14
    fixed = backfill(SYMBOLS, create_flaky, {"marks": str(marks)}, START, END, TIMES, store=store)
    assert (fixed.snapshots_written, fixed.snapshots_skipped) == (2, 14)


def test_run_task_never_raises(tmp_path: Path) -> None:
    task = Task("NOPE", date(2026, 1, 16), (datetime(2026, 1, 16, 21, tzinfo=UTC),))
    out = run_task("demo", {}, task)
    assert out.records == () and out.error is not None and out.error.startswith("SymbolNotFound")
    ok = run_task("demo", {"seed": 4}, Task("IWM", task.session, task.instants))
    assert ok.error is None and [r.symbol for r in ok.records] == ["IWM"]


def test_a_partly_stored_session_computes_only_what_is_missing(
    serial: tuple[Path, BackfillResult], tmp_path: Path
) -> None:
    first = backfill(SYMBOLS, "demo", SETTINGS, START, END, ("16:00",), store=tmp_path)
    assert (first.snapshots_written, first.snapshots_skipped) == (8, 0)
    events: list[BackfillProgress] = []
    rest = backfill(
        SYMBOLS, "demo", SETTINGS, START, END, TIMES, store=tmp_path, progress=events.append
    )
    sent = [e.task for e in events]
    assert (rest.snapshots_written, rest.snapshots_skipped, rest.tasks) == (8, 8, 8)
    assert all(len(t.instants) == 1 and t.instants[0].hour == 15 for t in sent)  # 10:00 EST
    assert tree(tmp_path) == tree(serial[0])


def test_an_unreachable_scheduler_is_a_store_error(tmp_path: Path) -> None:
    dask = pytest.importorskip("dask")
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(
            StoreError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"
        ),
    ):
        backfill(
            SYMBOLS,
            "demo",
            SETTINGS,
            START,
            END,
            store=tmp_path,
            scheduler=f"tcp://127.0.0.1:{port}",
        )
    assert SnapshotStore(tmp_path).list() == []
    with SnapshotStore(tmp_path).writer():  # the lock was released
        pass
