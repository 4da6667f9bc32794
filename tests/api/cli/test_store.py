"""``gex ingest``, the collector, ``gex backfill``, ``gex store`` and ``--at``/``--store`` in
the CLI. Deterministic: the demo market at explicit instants, a frozen demo clock, and the
collector on an injected clock and sleep (a weekend passes in no time)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import api.cli.options as cli_options
import api.service.collect as collect
from api.cli.app import app
from api.service.collect import Collector, next_tick, session_window
from data_adapters import get_source
from data_adapters.store import SnapshotStore
from engine.chain import ChainSnapshot
from tests.api.conftest import FRIDAY_CLOSE, THURSDAY_CLOSE, iso

FRIDAY_1550 = datetime(2026, 11, 20, 20, 50, tzinfo=UTC)  # 15:50 New York
MONDAY_0945 = datetime(2026, 11, 23, 14, 45, tzinfo=UTC)
EXPECTED_TICKS = [
    datetime(2026, 11, 20, 20, 50, tzinfo=UTC),
    datetime(2026, 11, 20, 21, 0, tzinfo=UTC),
    datetime(2026, 11, 20, 21, 10, tzinfo=UTC),
    datetime(2026, 11, 20, 21, 15, tzinfo=UTC),  # SPY's options close at 16:15: always a tick
    datetime(2026, 11, 23, 14, 30, tzinfo=UTC),  # Monday's open
    datetime(2026, 11, 23, 14, 40, tzinfo=UTC),
]


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def one_error(result: Any, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return str(lines[0])


def files(root: Path) -> dict[str, bytes]:
    """Every file of a store but the writer's lock and journal, by relative path."""
    skip = {"_writer.lock", "_writer.journal"}
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in skip
    }


class FakeClock:
    """A clock that moves only when slept on (or told to)."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


class ClockedDemo:
    """The demo market whose current snapshot is the one at the fake clock's time."""

    name = "demo"

    def __init__(self, clock: Callable[[], datetime], work: timedelta = timedelta(0)) -> None:
        self.inner = get_source("demo")
        self.clock = clock
        self.work = work
        self.fetched: list[datetime] = []
        self.interrupt_at: int | None = None

    def symbols(self) -> list[str]:
        return list(self.inner.symbols())

    def snapshot(self, symbol: str, as_of: datetime | None = None) -> ChainSnapshot:
        if self.interrupt_at is not None and len(self.fetched) == self.interrupt_at:
            raise KeyboardInterrupt
        when = as_of or self.clock()
        self.fetched.append(when)
        if self.work and isinstance(self.clock, FakeClock):
            self.clock.now += self.work  # a slow provider
        return self.inner.snapshot(symbol, when)


# -- the collector -------------------------------------------------------------------------


def test_ticks_follow_the_session_calendar() -> None:
    every = timedelta(minutes=10)
    assert next_tick(FRIDAY_1550, every, ["SPY"]) == FRIDAY_1550
    assert next_tick(FRIDAY_1550 + timedelta(seconds=1), every, ["SPY"]) == EXPECTED_TICKS[1]
    assert next_tick(datetime(2026, 11, 20, 21, 11, tzinfo=UTC), every, ["SPY"]) == FRIDAY_CLOSE
    # stocks close at 16:00, index and broad ETF options at 16:15
    assert session_window(FRIDAY_CLOSE.date(), ["AAPL"]) == (
        datetime(2026, 11, 20, 14, 30, tzinfo=UTC),
        datetime(2026, 11, 20, 21, 0, tzinfo=UTC),
    )
    # Thanksgiving: Wednesday's close, then Friday's open and its early close (13:15 for SPY)
    wednesday_late = datetime(2026, 11, 25, 21, 16, tzinfo=UTC)
    friday = next_tick(wednesday_late, every, ["SPY"])
    assert friday == datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
    assert session_window(friday.date(), ["SPY"]) == (
        friday,
        datetime(2026, 11, 27, 18, 15, tzinfo=UTC),
    )
    assert session_window(datetime(2026, 11, 26).date(), ["SPY"]) is None


def test_the_collector_writes_on_the_grid_and_sleeps_outside_sessions(tmp_path: Path) -> None:
    clock = FakeClock(FRIDAY_1550)
    source = ClockedDemo(clock)
    waits: list[tuple[datetime, float]] = []
    store = SnapshotStore(tmp_path / "store")
    stats = Collector(
        store, source.snapshot, ["SPY"], timedelta(minutes=10), until=MONDAY_0945,
        clock=clock, sleep=clock.sleep, on_wait=lambda t, s: waits.append((t, s)),
    ).run()  # fmt: skip
    assert source.fetched == EXPECTED_TICKS
    assert [item.as_of for item in store.list("SPY")] == EXPECTED_TICKS
    assert (stats.ticks, stats.written, stats.failed) == (6, 6, 0)
    for moment in source.fetched:  # nothing outside a session
        window = session_window(moment.astimezone(collect.NEW_YORK).date(), ["SPY"])
        assert window is not None and window[0] <= moment <= window[1]
    # the weekend is slept through in naps, then the loop ends before the tick after --until
    assert waits == [(EXPECTED_TICKS[4], (EXPECTED_TICKS[4] - FRIDAY_CLOSE).total_seconds())]
    assert max(clock.sleeps) <= 900.0 and clock.now == EXPECTED_TICKS[-1]
    assert sum(clock.sleeps) == (EXPECTED_TICKS[-1] - FRIDAY_1550).total_seconds()
    assert store.verify().ok


def test_a_slow_provider_skips_ticks_instead_of_queueing_them(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 20, 20, 0, tzinfo=UTC))  # 15:00 New York
    source = ClockedDemo(clock, work=timedelta(minutes=25))
    Collector(
        SnapshotStore(tmp_path), source.snapshot, ["SPY"], timedelta(minutes=10),
        until=FRIDAY_CLOSE, clock=clock, sleep=clock.sleep,
    ).run()  # fmt: skip
    minutes = [(t - source.fetched[0]).total_seconds() / 60 for t in source.fetched]
    assert minutes == [0, 30, 60]  # 15:00, 15:30, 16:00; 16:15 comes during the last fetch


def test_gex_ingest_every_runs_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(FRIDAY_1550)
    source = ClockedDemo(clock)
    monkeypatch.setattr(collect, "now_utc", clock)
    monkeypatch.setattr(collect, "pause", clock.sleep)
    monkeypatch.setattr(cli_options, "build_source", lambda name, settings: source)
    root = tmp_path / "store"
    result = run(
        "ingest", "SPY", "--every", "10m", "--until", iso(MONDAY_0945), "--store", str(root)
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[:3] for line in lines if line.startswith("written")] == [
        ["written", "SPY", iso(t)] for t in EXPECTED_TICKS
    ]
    assert f"collector: outside the session; next snapshot at {iso(EXPECTED_TICKS[4])}" in lines
    assert lines[-1].startswith("collector done: 6 tick(s), 6 written, 0 skipped, 0 failed")


def test_ctrl_c_stops_the_collector_and_leaves_the_store_consistent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(FRIDAY_1550)
    source = ClockedDemo(clock)
    source.interrupt_at = 3  # during the fourth tick
    monkeypatch.setattr(collect, "now_utc", clock)
    monkeypatch.setattr(collect, "pause", clock.sleep)
    monkeypatch.setattr(cli_options, "build_source", lambda name, settings: source)
    root = tmp_path / "store"
    result = run("ingest", "SPY", "QQQ", "--every", "10m", "--store", str(root))
    assert result.exit_code == 0, result.output
    assert "collector stopped: 3 written" in result.stderr
    store = SnapshotStore(root)
    assert [(s.symbol, s.as_of) for s in store.list()] == [
        ("QQQ", EXPECTED_TICKS[0]),
        ("SPY", EXPECTED_TICKS[0]),
        ("SPY", EXPECTED_TICKS[1]),
    ]
    assert store.verify().ok and not list(root.rglob(".*.tmp"))
    assert run("store", "verify", "--store", str(root)).exit_code == 0


# -- gex ingest ------------------------------------------------------------------------------


def test_ingest_now_with_a_frozen_clock_then_again(tmp_path: Path) -> None:
    root = str(tmp_path / "store")
    frozen = ["--source-opt", f"clock={iso(THURSDAY_CLOSE)}"]
    first = run("ingest", "iwm", "SPY", *frozen, "--store", root)
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[:2] == [
        f"written  IWM      {iso(THURSDAY_CLOSE)}",
        f"written  SPY      {iso(THURSDAY_CLOSE)}",
    ]
    assert first.stdout.splitlines()[-1].startswith("ingest: 2 written, 0 skipped, 0 failed")
    assert "2 trade tape(s) stored" in first.stdout  # the demo serves trades: stored with them
    assert [t.symbol for t in SnapshotStore(root).tapes()] == ["IWM", "SPY"]
    again = run("ingest", "SPY", *frozen, "--store", root)
    assert again.exit_code == 0 and again.stdout.startswith(
        f"skipped  SPY      {iso(THURSDAY_CLOSE)}"
    )


def test_ingest_at_instants_from_a_source_with_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    monkeypatch.setenv("GEX_STORE", str(root))  # the root when --store is not given
    result = run("ingest", "SPY", "--at", iso(FRIDAY_CLOSE), "--at", iso(THURSDAY_CLOSE))
    assert result.exit_code == 0, result.output
    assert [item.as_of for item in SnapshotStore(root).list("SPY")] == [
        THURSDAY_CLOSE,
        FRIDAY_CLOSE,
    ]
    assert f"store {root}" in result.stdout
    again = run("ingest", "SPY", "--at", iso(FRIDAY_CLOSE))
    assert again.stdout.startswith("skipped")
    off = run("ingest", "QQQ", "--at", iso(FRIDAY_CLOSE), "--no-trades")
    assert off.exit_code == 0 and "trade tape" not in off.stdout
    assert [t.symbol for t in SnapshotStore(root).tapes()] == ["SPY", "SPY"]


def test_ingest_failures_are_one_line_each_and_exit_1(tmp_path: Path) -> None:
    result = run(
        "ingest", "SPY", "QQQ", "--source", "cboe", "--at", iso(FRIDAY_CLOSE),
        "--store", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("error: ") and "history" in e for e in errors)
    assert "0 written, 0 skipped, 2 failed" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--at", "2026-11-20"), "time zone"),
        (("--at", iso(FRIDAY_CLOSE), "--every", "60"), "not both"),
        (("--until", iso(FRIDAY_CLOSE)), "goes with --every"),
        (("--every", "soon"), "duration"),
        (("--every", "0s"), "at least one second"),
    ],
)
def test_ingest_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    assert message in one_error(run("ingest", "SPY", *args, "--store", str(tmp_path)), 2)


# -- gex backfill ----------------------------------------------------------------------------


def test_backfill_on_two_workers_equals_the_serial_run(tmp_path: Path) -> None:
    args = ("backfill", "IWM", "AAPL", "--from", "2026-01-15", "--to", "2026-01-16",
            "--times", "10:00,16:00", "--source-opt", "seed=4")  # fmt: skip
    serial = run(*args, "--store", str(tmp_path / "serial"))
    assert serial.exit_code == 0, serial.output
    assert "4 task(s), 8 written, 0 skipped, 0 failed" in serial.stdout
    assert "backfill: 4/4" in serial.stderr  # plain progress lines when not a terminal
    pooled = run(*args, "--store", str(tmp_path / "pooled"), "--workers", "2")
    assert pooled.exit_code == 0, pooled.output
    assert pooled.stdout.startswith("backfill (processes, 2 worker(s))")
    assert files(tmp_path / "serial") == files(tmp_path / "pooled")
    assert len(files(tmp_path / "serial")) == 17  # marker, 4 manifests, 8 snapshots, 4 tapes
    assert "4 trade tape(s) stored" in serial.stdout
    rerun = run(*args, "--store", str(tmp_path / "pooled"), "--workers", "2")
    assert "0 written, 8 skipped" in rerun.stdout


def test_backfill_on_a_dask_cluster_equals_the_serial_run(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    args = ("backfill", "IWM", "--from", "2026-01-15", "--to", "2026-01-16", "--times",
            "16:00", "--source-opt", "seed=4")  # fmt: skip
    serial = run(*args, "--store", str(tmp_path / "serial"))
    assert serial.exit_code == 0, serial.output
    with distributed.LocalCluster(
        n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        dask = run(
            *args, "--store", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address
        )
    assert dask.exit_code == 0, dask.output
    assert dask.stdout.startswith("backfill (dask, 2 worker(s)): 2 task(s), 2 written")
    assert files(tmp_path / "serial") == files(tmp_path / "dask")


def test_backfill_failures_exit_1_with_a_line_each(tmp_path: Path) -> None:
    result = run(
        "backfill", "SPY", "--from", "2026-01-15", "--to", "2026-01-16", "--source", "cboe",
        "--retries", "0", "--store", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert [e.split(":")[1].strip() for e in errors] == ["SPY 2026-01-15", "SPY 2026-01-16"]
    assert "2 failed" in result.stdout


def test_backfill_usage_errors(tmp_path: Path) -> None:
    both = run("backfill", "SPY", "--from", "2026-01-15", "--to", "2026-01-16", "--workers",
               "2", "--scheduler", "tcp://127.0.0.1:1", "--store", str(tmp_path))  # fmt: skip
    assert "not both" in one_error(both, 2)
    assert "YYYY-MM-DD" in one_error(
        run("backfill", "SPY", "--from", "15/01/2026", "--to", "2026-01-16"), 2
    )
    backwards = run(
        "backfill", "SPY", "--from", "2026-01-16", "--to", "2026-01-15", "--store", str(tmp_path)
    )
    assert "after end_date" in one_error(backwards, 1)


# -- gex store -------------------------------------------------------------------------------


def test_store_list(two_sessions: Path) -> None:
    listing = run("store", "list", "--store", str(two_sessions), "--json")
    assert listing.exit_code == 0, listing.output
    rows = json.loads(listing.stdout)
    assert [(r["symbol"], r["as_of"]) for r in rows] == [
        (s, iso(t)) for s in ("SPX", "SPY") for t in (THURSDAY_CLOSE, FRIDAY_CLOSE)
    ]
    assert all(r["status"] == "ok" and r["rows"] > 1000 for r in rows)
    spy = json.loads(
        run("store", "list", "--symbol", "spy", "--store", str(two_sessions), "--json").stdout
    )
    assert {r["symbol"] for r in spy} == {"SPY"}
    table = run("store", "list", "--store", str(two_sessions))
    assert table.exit_code == 0 and "4 snapshot(s)" in table.stdout and "SPX" in table.stdout


def test_store_verify_exit_codes(two_sessions: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(two_sessions, copy)
    good = run("store", "verify", "--store", str(copy))
    assert good.exit_code == 0, good.output
    assert "4 snapshots" in good.stdout and "0 problem(s)" in good.stdout
    victim = sorted(copy.rglob("*.parquet"))[0]
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    victim.write_bytes(bytes(raw))
    bad = run("store", "verify", "--store", str(copy))
    assert bad.exit_code == 1 and "hash_mismatch" in bad.stdout
    report = json.loads(run("store", "verify", "--store", str(copy), "--json").stdout)
    assert report["ok"] is False and [p["kind"] for p in report["problems"]] == ["hash_mismatch"]
    assert "no store at" in one_error(run("store", "verify", "--store", str(tmp_path / "nope")), 1)


# -- --at and --store on the analysis commands ---------------------------------------------


def test_at_reads_the_demo_history_without_a_store() -> None:
    result = run("summary", "SPY", "--at", "2026-11-19T16:15:00-05:00", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["as_of"] == iso(THURSDAY_CLOSE)
    early = run("summary", "SPY", "--at", "1980-01-02T16:00:00Z")
    assert "outside the session calendar" in one_error(early, 1)


def test_gex_store_makes_the_cli_store_aware(
    two_sessions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = json.loads(run("narrative", "SPY", "--at", iso(FRIDAY_CLOSE), "--json").stdout)
    assert plain["narrative"]["data"]["net_gex_prior"] is None  # the demo's own history
    monkeypatch.setenv("GEX_STORE", str(two_sessions))
    aware = run("narrative", "SPY", "--at", iso(FRIDAY_CLOSE), "--json")
    assert aware.exit_code == 0, aware.output
    data = json.loads(aware.stdout)["narrative"]["data"]
    assert data["net_gex_prior"] is not None and data["top_oi_changes"]
    table = run("narrative", "SPY", "--at", iso(FRIDAY_CLOSE))
    text = " ".join(table.stdout.split())
    assert "Largest open-interest changes" in text and "in the prior session" in text


def test_history_and_oi_diff_commands(two_sessions: Path) -> None:
    history = run("history", "SPY", "--store", str(two_sessions), "--json")
    assert history.exit_code == 0, history.output
    body = json.loads(history.stdout)
    assert [r["as_of"] for r in body["history"]] == [iso(THURSDAY_CLOSE), iso(FRIDAY_CLOSE)]
    table = run("history", "SPY", "--store", str(two_sessions), "--days", "1")
    assert "1 snapshot(s)" in table.stdout
    assert "not both" in one_error(run("history", "SPY", "--days", "1", "--from", "2026-11-19"), 2)
    diff = run("oi-diff", "SPX", "--at", iso(FRIDAY_CLOSE), "--store", str(two_sessions))
    assert diff.exit_code == 0 and "against 2026-11-19 16:15 New York (21:15 UTC)" in diff.stdout
    none = run("oi-diff", "SPX", "--at", iso(THURSDAY_CLOSE), "--store", str(two_sessions))
    assert none.exit_code == 0 and "is stored" in none.stdout
