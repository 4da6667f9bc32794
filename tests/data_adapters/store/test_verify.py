"""``verify()``: every listed file read back and checked; a bad file is a problem in the
report, never an exception."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from data_adapters.store import SnapshotStore, StoredSnapshot, StoreError, make_record
from data_adapters.store.layout import data_file_name
from tests.data_adapters.store.conftest import FRI, THU, demo_snapshot


@pytest.fixture
def filled(store: SnapshotStore) -> SnapshotStore:
    with store.writer() as w:
        w.put_many([demo_snapshot("IWM", THU), demo_snapshot("IWM", FRI)])
        w.put(demo_snapshot("AAPL", FRI))
    return store


def _problems(store: SnapshotStore) -> list[tuple[str, str]]:
    return [(Path(p.path).name, p.kind) for p in store.verify().problems]


def _patch(item: StoredSnapshot, **fields: Any) -> None:
    """Change the manifest entry of ``item``."""
    manifest = item.path.parent / "_manifest.json"
    body = json.loads(manifest.read_text())
    (entry,) = [e for e in body["snapshots"] if e["file"] == item.path.name]
    for key, value in fields.items():
        if key == "summary":
            entry["summary"].update(value)
        else:
            entry[key] = value
    manifest.write_text(json.dumps(body))


def test_a_sound_store_verifies(filled: SnapshotStore) -> None:
    report = filled.verify()
    assert report.ok and report.snapshots == 3 and report.unlisted == ()
    assert report.bytes == sum(i.bytes for i in filled.list())
    assert "3 snapshots" in str(report) and "0 problem(s)" in str(report)


def test_an_empty_or_missing_store_verifies(tmp_path: Path) -> None:
    report = SnapshotStore(tmp_path / "nothing").verify()
    assert report.ok and report.snapshots == 0


def test_a_flipped_byte_is_caught(filled: SnapshotStore) -> None:
    item = filled.list("IWM")[1]
    raw = bytearray(item.path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    item.path.write_bytes(bytes(raw))
    assert _problems(filled) == [(item.path.name, "hash_mismatch")]
    with pytest.raises(StoreError, match="does not match its manifest"):
        filled.snapshot("IWM", FRI)
    assert filled.snapshot("IWM", THU).as_of == THU  # the others still read


def test_truncated_and_missing_files_are_caught(filled: SnapshotStore) -> None:
    thu, fri = filled.list("IWM")
    thu.path.write_bytes(thu.path.read_bytes()[:-100])
    fri.path.unlink()
    (thu.path.parent / ".leftover.1.ab.tmp").write_bytes(b"half a file")
    assert sorted(_problems(filled)) == [
        (thu.path.name, "size_mismatch"),
        (fri.path.name, "missing_file"),
    ]
    report = filled.verify()
    assert report.unlisted == (str(thu.path.parent / ".leftover.1.ab.tmp"),)
    with pytest.raises(StoreError, match="no longer in the store"):
        filled.read(fri)


def test_a_file_holding_another_snapshot_is_caught(filled: SnapshotStore) -> None:
    (aapl,) = filled.list("AAPL")
    rec = make_record(demo_snapshot("AAPL", THU))  # whole and hashed, but the wrong instant
    name = data_file_name(aapl.as_of, rec.sha256)
    (aapl.path.parent / name).write_bytes(rec.payload)
    aapl.path.unlink()
    _patch(aapl, file=name, bytes=len(rec.payload), sha256=rec.sha256)
    assert _problems(filled) == [(name, "header_mismatch")]
    with pytest.raises(StoreError, match="the manifest says AAPL at 2026-01-16T21:00:00"):
        filled.snapshot("AAPL")


def test_undecodable_files_and_counts_are_caught(filled: SnapshotStore) -> None:
    thu, fri = filled.list("IWM")
    (aapl,) = filled.list("AAPL")
    garbage = b"PAR1 not really parquet"
    sha = hashlib.sha256(garbage).hexdigest()
    name = data_file_name(thu.as_of, sha)
    (thu.path.parent / name).write_bytes(garbage)
    _patch(thu, file=name, bytes=len(garbage), sha256=sha)
    _patch(fri, rows=fri.rows + 1)
    _patch(aapl, summary={"net_gex": 1.0})
    problems = dict(_problems(filled))
    assert problems == {
        name: "unreadable",
        fri.path.name: "row_count_mismatch",
        aapl.path.name: "summary_mismatch",
    }
    with pytest.raises(StoreError, match="corrupt snapshot"):
        filled.snapshot("IWM", THU)


def test_a_corrupt_manifest_is_a_problem_not_a_crash(filled: SnapshotStore) -> None:
    (aapl,) = filled.list("AAPL")
    (aapl.path.parent / "_manifest.json").write_text('{"schema": 1, "snapshots": [')
    report = filled.verify()
    assert [(Path(p.path).name, p.kind) for p in report.problems] == [
        ("_manifest.json", "bad_manifest")
    ]
    assert report.snapshots == 2 and report.unlisted == (str(aapl.path),)
    with pytest.raises(StoreError, match="corrupt manifest"):
        filled.snapshot("AAPL")
    assert filled.snapshot("IWM").as_of == FRI


def test_a_bad_store_marker_is_reported(filled: SnapshotStore) -> None:
    (filled.root / "_store.json").write_text("nonsense")
    report = filled.verify()
    assert [p.kind for p in report.problems] == ["bad_store_file"]
    (filled.root / "_store.json").unlink()
    assert [p.kind for p in filled.verify().problems] == ["bad_store_file"]


def test_a_file_replaced_while_verifying_is_no_problem(filled: SnapshotStore) -> None:
    from dataclasses import replace as changed

    from data_adapters.store.manifest import read_manifest
    from data_adapters.store.verify import Problem, _unless_replaced

    (old,) = filled.list("AAPL")
    folder = old.path.parent
    (entry,) = read_manifest(folder / "_manifest.json", "AAPL", old.day) or []
    missing = Problem(str(old.path), "missing_file", "listed in the manifest but absent")
    assert _unless_replaced(missing, folder, "AAPL", old.day, entry) is missing
    newer = changed(demo_snapshot("AAPL", FRI), fetched_at=FRI)
    with filled.writer() as w:
        assert w.put(newer, replace=True) == "replaced"
    assert not old.path.exists()
    assert _unless_replaced(missing, folder, "AAPL", old.day, entry) is None
    assert filled.verify().ok
