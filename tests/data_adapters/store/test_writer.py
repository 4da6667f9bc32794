"""The writer: one at a time (the lock, its error and its timeout), and the recovery a
writer's open performs after a writer that never finished."""

from __future__ import annotations

import os
import pickle

import pytest

from data_adapters.store import SnapshotStore, StoreError, StoreLockedError, make_record
from data_adapters.store.layout import data_file_name
from tests.data_adapters.store.conftest import FRI, THU, demo_snapshot, tree
from tests.fake_clock import FakeClock


def test_a_second_writer_fails_at_once_with_a_clear_error(store: SnapshotStore) -> None:
    with store.writer():
        with pytest.raises(StoreLockedError) as caught:
            store.writer()
        assert caught.value.holder_pid == os.getpid()
        message = str(caught.value)
        assert f"being written by process {os.getpid()}" in message
        assert str(store.root / "_writer.lock") in message and "one writer at a time" in message
        assert isinstance(caught.value, StoreError)
        # readers take no lock
        assert store.symbols() == []
    with store.writer():  # released on close
        pass


def test_waiting_for_the_lock_times_out(store: SnapshotStore) -> None:
    clock = FakeClock(100.0)
    with store.writer(), pytest.raises(StoreLockedError, match=r"after waiting 1\.0 s"):
        store.writer(timeout=1.0, poll=0.3, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == pytest.approx([0.3, 0.3, 0.3, 0.1])


def test_waiting_for_the_lock_succeeds_when_it_is_released(store: SnapshotStore) -> None:
    first = store.writer()
    clock = FakeClock(100.0)

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if len(clock.sleeps) == 2:
            first.close()

    with store.writer(timeout=10, poll=0.5, clock=clock, sleep=sleep) as second:
        assert second.put(demo_snapshot("IWM", FRI)) == "written"
    assert clock.sleeps == [0.5, 0.5]
    with pytest.raises(StoreError, match=">= 0"):
        store.writer(timeout=-1)


def test_errors_pickle(store: SnapshotStore) -> None:
    err = StoreLockedError("held", 42)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is StoreLockedError and back.holder_pid == 42 and str(back) == str(err)
    plain = pickle.loads(pickle.dumps(StoreError("x")))
    assert type(plain) is StoreError and plain.message == "x" and plain.provider == "store"


def test_opening_cleans_up_after_a_writer_that_did_not_finish(store: SnapshotStore) -> None:
    with store.writer() as w:
        w.put(demo_snapshot("IWM", THU))
    clean = tree(store.root)
    # a writer that dies mid-way: it journaled two partitions, left a temp file and a data
    # file its manifest never listed, and created an empty partition folder
    crashed = store.writer()
    crashed._journal("IWM", THU.date())
    crashed._journal("IWM", FRI.date())
    crashed._journal("AAPL", FRI.date())
    thu = store.root / "symbol=IWM" / "date=2026-01-15"
    orphan = make_record(demo_snapshot("IWM", THU.replace(hour=15)))
    (thu / data_file_name(orphan.as_of, orphan.sha256)).write_bytes(orphan.payload)
    (thu / ".2026-01-15T15-00-00Z.x.parquet.123.abc.tmp").write_bytes(b"partial")
    (thu / "._manifest.json.123.def.tmp").write_bytes(b"{")
    (store.root / "symbol=IWM" / "date=2026-01-16").mkdir()
    (store.root / "symbol=AAPL" / "date=2026-01-16").mkdir(parents=True)
    (store.root / "._store.json.9.x.tmp").write_bytes(b"")
    crashed._lock.release()  # what the kernel does when a process dies
    assert not store.verify().ok or store.verify().unlisted

    with store.writer() as w:
        recovered = w.recovered
    assert recovered.partitions == 3
    assert sorted(os.path.basename(p) for p in recovered.temp_files) == [
        ".2026-01-15T15-00-00Z.x.parquet.123.abc.tmp",
        "._manifest.json.123.def.tmp",
        "._store.json.9.x.tmp",
    ]
    assert [os.path.basename(p) for p in recovered.orphans] == [
        data_file_name(orphan.as_of, orphan.sha256)
    ]
    assert tree(store.root) == clean
    assert sorted(p.name for p in store.root.iterdir()) == [
        "_store.json",
        "_writer.journal",
        "_writer.lock",
        "symbol=IWM",
    ]
    assert (store.root / "_writer.journal").read_bytes() == b""
    report = store.verify()
    assert report.ok and report.unlisted == ()
    with store.writer() as w:
        assert w.recovered.partitions == 0 and w.recovered.temp_files == ()


def test_the_journal_stays_short_and_the_cache_bounded(
    store: SnapshotStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from data_adapters.store import writer as module

    monkeypatch.setattr(module, "_JOURNALED_PARTITIONS", 2)
    monkeypatch.setattr(module, "_CACHED_PARTITIONS", 2)
    journal = store.root / "_writer.journal"
    with store.writer() as w:
        w.put(demo_snapshot("IWM", THU))
        w.put(demo_snapshot("IWM", FRI))
        assert journal.read_text().count("\n") == 2
        w.put(demo_snapshot("AAPL", FRI))  # a third partition: the journal starts afresh
        assert journal.read_text() == "symbol=AAPL/date=2026-01-16\n"
        assert len(w._cache) == 2
        assert w.contains("IWM", THU) and w.put(demo_snapshot("IWM", THU)) == "skipped"
    assert journal.read_bytes() == b"" and store.verify().ok and len(store.list()) == 3
