"""Trade tapes in the store: round trips, ``until``, idempotence, crash safety, verify, ingest."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from data_adapters import get_source
from data_adapters.base import TRADES_SCHEMA
from data_adapters.demo import DemoSource
from data_adapters.errors import NoHistoryError, SymbolNotFoundError
from data_adapters.settings import Settings
from data_adapters.store import SnapshotStore, StoreError, backfill, create, ingest
from data_adapters.store.layout import is_tape_file
from tests.data_adapters.store.conftest import FRI, FRI_AM, THU, tree
from tests.data_adapters.store.test_crash import _child, _recover_and_check

DAY = date(2026, 1, 16)
NOON = datetime(2026, 1, 16, 17, 0, tzinfo=UTC)  # 12:00 New York


@pytest.fixture(scope="module")
def tape() -> pl.DataFrame:
    """Every 30th print of IWM's demo tape of Friday 2026-01-16 (~20,000 prints)."""
    return DemoSource(seed=3).trades("IWM", DAY).gather_every(30)


def _tape_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if is_tape_file(p.name))


def test_round_trip_and_until(store: SnapshotStore, tape: pl.DataFrame) -> None:
    assert tape.height > 100
    with store.writer() as w:
        assert w.put_trades("IWM", DAY, tape.reverse()) == "written"  # sorted on the way in
    assert store.trades("IWM", DAY).equals(tape.reverse().sort("timestamp", maintain_order=True))
    with store.writer() as w:
        assert w.put_trades("IWM", DAY, tape, replace=True) in ("replaced", "skipped")
        assert w.put_trades("IWM", DAY, tape, replace=True) == "skipped"  # identical
    back = store.trades("IWM", DAY)
    assert back.schema == pl.Schema(TRADES_SCHEMA) and back.equals(tape)
    cut = store.trades("IWM", DAY, until=NOON)
    assert cut.equals(tape.filter(pl.col("timestamp") <= NOON)) and 0 < cut.height < tape.height
    # the store source serves them, as the flow endpoints read them
    source = create(Settings("store", {"root": str(store.root)}))
    assert source.trades("IWM", DAY, until=NOON).equals(cut)
    (item,) = store.tapes("IWM")
    assert (item.day, item.rows, item.until) == (DAY, tape.height, None)
    assert store.verify().ok and store.verify().tapes == 1


def test_missing_days_and_symbols(store: SnapshotStore, tape: pl.DataFrame) -> None:
    with store.writer() as w:
        w.put_trades("IWM", DAY, tape)
        w.put_trades("IWM", date(2026, 1, 19), tape.clear())  # a holiday: an empty tape
    assert store.trades("IWM", date(2026, 1, 19)).is_empty()
    with pytest.raises(
        NoHistoryError, match=r"no trade tape of IWM on 2026-01-15.*first after is 2026-01-16"
    ):
        store.trades("IWM", date(2026, 1, 15))
    with pytest.raises(SymbolNotFoundError):
        store.trades("SPY", DAY)
    with pytest.raises(StoreError, match="timezone-aware"):
        store.trades("IWM", DAY, until=datetime(2026, 1, 16, 12))


def test_a_tape_grows_and_keeps_the_snapshots(store: SnapshotStore, tape: pl.DataFrame) -> None:
    from tests.data_adapters.store.conftest import demo_snapshot

    morning = tape.filter(pl.col("timestamp") <= NOON)
    with store.writer() as w:
        w.put(demo_snapshot("IWM", FRI_AM))
        assert w.put_trades("IWM", DAY, morning, until=NOON) == "written"
        assert w.put_trades("IWM", DAY, morning.head(10), until=FRI_AM) == "skipped"  # shorter
        w.put(demo_snapshot("IWM", FRI))  # the manifest keeps the tape
        assert w.put_trades("IWM", DAY, tape, until=FRI) == "replaced"
        assert w.covers("IWM", DAY, FRI) and not w.covers("IWM", DAY, None)
    assert store.trades("IWM", DAY).equals(tape)
    assert [s.as_of for s in store.list("IWM")] == [FRI_AM, FRI]
    assert len(_tape_files(store.root)) == 1  # the replaced file is gone
    assert store.verify().ok


def test_a_bad_frame_is_refused(store: SnapshotStore, tape: pl.DataFrame) -> None:
    with store.writer() as w:
        with pytest.raises(StoreError, match="missing \\['ask'\\]"):
            w.put_trades("IWM", DAY, tape.drop("ask"))
        with pytest.raises(StoreError, match="'size' has dtype"):
            w.put_trades("IWM", DAY, tape.with_columns(pl.col("size").cast(pl.Float64)))
    assert not _tape_files(store.root)


def test_verify_catches_a_corrupt_tape(store: SnapshotStore, tape: pl.DataFrame) -> None:
    with store.writer() as w:
        w.put_trades("IWM", DAY, tape)
    (path,) = _tape_files(store.root)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    report = store.verify()
    assert [p.kind for p in report.problems] == ["hash_mismatch"]
    with pytest.raises(StoreError, match="does not match its manifest"):
        store.trades("IWM", DAY)
    path.write_bytes(b"not parquet")
    assert [p.kind for p in store.verify().problems] == ["size_mismatch"]


def test_verify_catches_an_unsorted_tape_listed_with_its_hash(
    store: SnapshotStore, tape: pl.DataFrame
) -> None:
    import hashlib
    import io
    import json

    with store.writer() as w:
        w.put_trades("IWM", DAY, tape)
    (path,) = _tape_files(store.root)
    header = pl.read_parquet_metadata(path)["gex.trades"]
    buf = io.BytesIO()
    tape.reverse().write_parquet(buf, metadata={"gex.trades": header})
    payload = buf.getvalue()
    sha = hashlib.sha256(payload).hexdigest()
    new = path.with_name(f"trades.{sha[:16]}.parquet")
    new.write_bytes(payload)
    manifest = path.parent / "_manifest.json"
    body = json.loads(manifest.read_bytes())
    body["trades"].update(file=new.name, sha256=sha, bytes=len(payload))
    manifest.write_text(json.dumps(body))
    path.unlink()
    problems = store.verify().problems
    assert [p.kind for p in problems] == ["unreadable"] and "not sorted" in problems[0].detail


def test_sigkill_at_every_crash_point_of_a_tape_write(tmp_path: Path, tape: pl.DataFrame) -> None:
    """The child stores a tape over an earlier one; killed before each of its file-system
    mutations, the store holds the old tape or the new one, whole, and never a half file;
    the next writer cleans up, and redoing the write gives the uninterrupted store."""
    morning = tape.filter(pl.col("timestamp") <= NOON)
    base = tmp_path / "base"
    with SnapshotStore(base).writer() as w:
        w.put_trades("IWM", DAY, morning, until=NOON)
    todo = [("tape", "IWM", DAY, tape, None, False)]
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    with SnapshotStore(reference).writer() as w:
        w.put_trades("IWM", DAY, tape)
    work = tmp_path / "work"
    work.mkdir()
    count = work / "count"
    shutil.copytree(base, count)
    total = int(_child(count, {"records": todo, "crash_at": 10**9}, work).lines[-1].split()[1])
    assert total >= 4
    half = 0
    for k in range(1, total + 1):
        root = work / f"k{k}"
        shutil.copytree(base, root)
        run = _child(root, {"records": todo, "crash_at": k}, work)
        assert run.crashed is not None and run.crashed.startswith(f"CRASH {k} "), run.lines
        half += any(p.name.endswith(".tmp") for p in root.rglob("*"))
        store = SnapshotStore(root)
        assert store.verify().ok, str(store.verify())
        got = store.trades("IWM", DAY)
        assert got.equals(morning) or got.equals(tape), run.crashed  # all or nothing
        _recover_and_check(root)
        assert not [p for p in root.rglob("*") if p.name.endswith(".tmp")]
        assert len(_tape_files(root)) == 1
        with store.writer() as w:
            w.put_trades("IWM", DAY, tape)
        assert tree(root) == tree(reference), run.crashed
    assert half  # some crash points left a temporary file behind, and recovery removed it


def test_ingest_stores_the_days_tape(store: SnapshotStore) -> None:
    demo = get_source("demo", seed=3)
    result = ingest(store, demo, ["IWM"], [FRI_AM, THU])
    assert (result.written, result.tapes_written, result.tape_failures) == (2, 2, ())
    assert store.trades("IWM", DAY).equals(demo.trades("IWM", DAY, until=FRI_AM))
    again = ingest(store, demo, ["IWM"], [FRI_AM])
    assert (again.skipped, again.tapes_written, again.tapes_skipped) == (1, 0, 1)
    later = ingest(store, demo, ["IWM"], [FRI])  # the day's tape grows
    assert later.tapes_written == 1
    assert store.trades("IWM", DAY).equals(demo.trades("IWM", DAY, until=FRI))
    off = ingest(SnapshotStore(store.root.parent / "other"), demo, ["IWM"], [FRI], trades=False)
    assert off.tapes_written == 0


def test_ingest_trades_true_needs_a_source_with_trades(store: SnapshotStore) -> None:
    class NoTrades:
        name = "plain"

        def snapshot(self, symbol: str, as_of: datetime | None = None) -> object:
            raise AssertionError("not reached")

    with pytest.raises(StoreError, match="serves no trades"):
        ingest(store, NoTrades(), ["IWM"], [FRI], trades=True)  # type: ignore[arg-type]


def test_backfill_stores_past_tapes(tmp_path: Path) -> None:
    result = backfill(
        ["IWM"], "demo", {"seed": 3}, "2026-01-15", "2026-01-16", "10:00,12:00",
        store=tmp_path,
    )  # fmt: skip
    assert result.ok and (result.tapes_written, result.tape_failures) == (2, ())
    store = SnapshotStore(tmp_path)
    expected = DemoSource(seed=3).trades("IWM", DAY, until=NOON)
    assert store.trades("IWM", DAY).equals(expected)
    rerun = backfill(
        ["IWM"], "demo", {"seed": 3}, "2026-01-15", "2026-01-16", "10:00,12:00", store=tmp_path
    )
    assert (rerun.snapshots_written, rerun.tapes_written, rerun.tapes_skipped) == (0, 0, 2)
