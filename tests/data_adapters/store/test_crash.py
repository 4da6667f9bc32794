"""Crash safety: a real writer process is SIGKILLed mid-write, again and again.

Two ways of choosing the moment:

- **Every crash point, exhaustively.** For each kind of write (the first write of a new
  store, another snapshot in an existing partition, a replacement, and the recovery of a
  writer killed mid-write, interrupted in turn), the child (``crash_child``) is started from the same
  state and stopped just before its k-th file-system mutation, for every k until it
  finishes, then killed. After each kill: ``verify()`` finds no problem, the listed
  snapshots are exactly those before the write or exactly those after it (atomic), and each
  reads back whole, bit for bit. A new writer then cleans up (no temp or unlisted file is
  left), and redoing the write gives byte for byte the store an uninterrupted run writes.
- **Free running.** A child puts snapshots in a loop (replacing them back and forth, SPX's
  ~600 kB file among them) and is killed after its n-th write plus a short, varied delay,
  several times in a row on the same store; the same checks apply, and before each kill a
  reader verifies and reads the store while the child is still writing.

Deterministic: the crash points are counted, not timed; the free-running moments vary but
what is checked holds at any moment.
"""

from __future__ import annotations

import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from data_adapters.store import SnapshotStore, StoredRecord, make_record
from tests.data_adapters.store.conftest import FRI, THU, demo_snapshot, tree

REPO = Path(__file__).resolve().parents[3]
WATCHDOG_S = 120.0  # only against a hung child; never decides a result


@dataclass(frozen=True)
class Run:
    lines: list[str]
    crashed: str | None  # the CRASH line, when it stopped at a crash point


def _key(rec: StoredRecord) -> tuple[str, object]:
    return (rec.symbol, rec.as_of)


def _state(root: Path) -> dict[tuple[str, object], str]:
    return {(i.symbol, i.as_of): i.sha256 for i in SnapshotStore(root).list()}


def _child(root: Path, plan: dict[str, object], work: Path, kill_after: int | None = None,
           delay: float = 0.0, during: Callable[[], None] | None = None) -> Run:  # fmt: skip
    """Run ``crash_child`` on ``root``; kill it at its crash point, or after ``kill_after``
    PUT lines plus ``delay`` seconds."""
    plan_path = work / f"plan-{os.getpid()}-{id(plan)}-{time.monotonic_ns()}.pickle"
    plan_path.write_bytes(pickle.dumps(plan))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(work / "stderr.txt", "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.data_adapters.store.crash_child", str(root), str(plan_path)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, bufsize=0,
        )  # fmt: skip
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    lines: list[str] = []
    buf = b""
    crashed = None
    deadline = time.monotonic() + WATCHDOG_S
    puts = 0
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"the child hung: {lines[-3:]}")
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b"\n")
            for raw in done:
                line = raw.decode()
                lines.append(line)
                if line.startswith("CRASH"):
                    crashed = line
                elif line.startswith("PUT"):
                    puts += 1
            if crashed or (kill_after is not None and puts >= kill_after):
                if not crashed and during is not None:
                    during()  # while the child keeps writing
                if not crashed and delay:
                    time.sleep(delay)
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=WATCHDOG_S)
        proc.stdout.close()
    if crashed is None and kill_after is None:
        assert lines and lines[-1].startswith("DONE"), (lines, (work / "stderr.txt").read_text())
    return Run(lines, crashed)


def _check_whole(root: Path, allowed: dict[tuple[str, object], set[str]]) -> None:
    """verify() is clean and every listed snapshot reads back whole, as one of the allowed
    versions of its key."""
    store = SnapshotStore(root)
    report = store.verify()
    assert report.ok, str(report)
    for item in store.list():
        assert item.sha256 in allowed[(item.symbol, item.as_of)]
        store.read(item)  # size, SHA-256, decoding, header: raises if anything is off


def _recover_and_check(root: Path) -> None:
    """A new writer leaves no temp or unlisted file, and changes nothing listed."""
    before = _state(root)
    with SnapshotStore(root).writer():
        pass
    report = SnapshotStore(root).verify()
    assert report.ok and report.unlisted == (), str(report.unlisted)
    assert not [p for p in root.rglob("*") if p.name.endswith(".tmp")]
    assert _state(root) == before


@pytest.fixture(scope="module")
def records() -> dict[str, StoredRecord]:
    iwm = demo_snapshot("IWM", THU)
    return {
        "A": make_record(iwm),
        "A2": make_record(replace(iwm, fetched_at=THU.replace(hour=23))),
        "B": make_record(demo_snapshot("IWM", THU.replace(hour=15))),
        "C": make_record(demo_snapshot("AAPL", FRI)),
    }


def _put(root: Path, recs: list[tuple[StoredRecord, bool]]) -> None:
    with SnapshotStore(root).writer() as w:
        for rec, rep in recs:
            w.put(rec, replace=rep)


def _sweep(
    tmp_path: Path, name: str, base: Path, todo: list[tuple[StoredRecord, bool]],
    allowed: dict[tuple[str, object], set[str]], keep: str = "",
) -> tuple[int, Path | None]:  # fmt: skip
    """Crash the write ``todo`` on a copy of ``base`` at every crash point; return how many,
    and a copy of the crashed state whose CRASH line ends with ``keep`` (when asked)."""
    work = tmp_path / name
    work.mkdir()
    reference = work / "reference"
    shutil.copytree(base, reference)
    _put(reference, todo)
    after = _state(reference)
    before = _state(base)
    count = work / "count"
    shutil.copytree(base, count)
    plan = {"records": todo, "crash_at": 10**9}
    total = int(_child(count, plan, work).lines[-1].split()[1])
    assert total >= 3

    def one(k: int) -> tuple[int, Path, Run]:
        root = work / f"k{k}"
        shutil.copytree(base, root)
        return k, root, _child(root, {"records": todo, "crash_at": k}, work)

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(one, range(1, total + 1)))
    kept = None
    for k, root, run in runs:
        assert run.crashed is not None and run.crashed.startswith(f"CRASH {k} "), run.lines
        if keep and kept is None and run.crashed.endswith(keep):
            kept = work / "kept"
            shutil.copytree(root, kept)
        _check_whole(root, allowed)
        assert _state(root) in (before, after), run.crashed  # all or nothing
        _recover_and_check(root)
        _put(root, todo)  # redo the interrupted write
        assert tree(root) == tree(reference), run.crashed
    return total, kept


def test_sigkill_at_every_crash_point(tmp_path: Path, records: dict[str, StoredRecord]) -> None:
    allowed: dict[tuple[str, object], set[str]] = {}
    for rec in records.values():
        allowed.setdefault(_key(rec), set()).add(rec.sha256)
    A, A2, B = (records[k] for k in ("A", "A2", "B"))
    empty = tmp_path / "empty"
    one = tmp_path / "one"
    two = tmp_path / "two"
    _put(one, [(A, False)])
    _put(two, [(A, False), (B, False)])
    empty.mkdir()
    points = {
        "new store": _sweep(tmp_path, "new-store", empty, [(A, False)], allowed)[0],
        "replace": _sweep(tmp_path, "replace", two, [(A2, True)], allowed)[0],
    }
    # killed between its data file and its manifest (while renaming the manifest into place)
    points["same partition"], crashed = _sweep(
        tmp_path, "same", one, [(B, False)], allowed, keep="replace _manifest.json"
    )
    assert crashed is not None
    assert any(p.name.endswith(".tmp") for p in crashed.rglob("*"))  # the manifest's temp file
    assert len(list(crashed.rglob("*.parquet"))) == 2  # and a data file no manifest lists
    # ... then the recovery of the next writer is killed too, at each of its crash points
    points["recovery"] = _sweep(tmp_path, "recovery", crashed, [], allowed)[0]
    assert points["new store"] > points["same partition"] >= 6, points
    assert points["replace"] > points["same partition"] and points["recovery"] >= 3, points


def test_sigkill_while_ingesting_in_a_loop(
    tmp_path: Path, records: dict[str, StoredRecord]
) -> None:
    spx = demo_snapshot("SPX", FRI)
    loop = [
        (records["A"], True),
        (make_record(spx), True),
        (records["A2"], True),
        (records["C"], False),
        (make_record(replace(spx, fetched_at=FRI.replace(hour=23))), True),
        (records["B"], False),
    ]
    allowed: dict[tuple[str, object], set[str]] = {}
    for rec, _ in loop:
        allowed.setdefault(_key(rec), set()).add(rec.sha256)
    root = tmp_path / "store"

    def read_while_writing() -> None:
        """A reader beside the running writer: clean, and every listed snapshot whole."""
        store = SnapshotStore(root)
        assert store.verify().ok
        for item in store.list():
            snap = store.snapshot(item.symbol, item.as_of)  # retries a replaced file
            assert snap.as_of == item.as_of

    kills = [(1, 0.0), (3, 0.004), (4, 0.0), (7, 0.001), (2, 0.013)]
    for after, delay in kills:
        run = _child(
            root, {"records": loop, "loop": True}, tmp_path,
            kill_after=after, delay=delay, during=read_while_writing,
        )  # fmt: skip
        assert run.lines[0] == "OPEN" and run.crashed is None
        _check_whole(root, allowed)
    _recover_and_check(root)
    _check_whole(root, allowed)
    assert len(SnapshotStore(root).list()) >= 2
