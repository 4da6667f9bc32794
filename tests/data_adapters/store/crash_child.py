"""The process the kill tests SIGKILL: a store writer ingesting in a loop.

``python -m tests.data_adapters.store.crash_child ROOT PLAN``, where ``PLAN`` is a pickle of
``{"records": [(StoredRecord, replace), ...], "crash_at": int | None, "loop": bool}``; an
item ``("tape", symbol, day, frame, until, replace)`` stores a trade tape instead
(``StoreWriter.put_trades``).

It opens the store's writer (which recovers after the previous, killed, child), puts the
records in order (forever, round and round, when ``loop``), and prints one line per event,
flushed: ``OPEN``, ``PUT <i> <status>``, ``DONE <mutations counted>``.

``crash_at = k`` stops the process in its tracks just before the k-th file-system mutation
(``os.replace``, ``os.unlink``, ``os.mkdir``, ``os.rmdir``, or ``os.fsync`` of a file: the
moment its bytes are all written), after printing ``CRASH <k> <op> <arg>``; the parent then
kills it. Syncs of directories are not crash points: a killed process loses nothing that
is in the page cache. Without ``crash_at`` the parent kills it whenever it likes.
"""

from __future__ import annotations

import os
import pickle
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


_OPS = [0]


def _install(crash_at: int) -> None:

    def hook(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if name == "fsync" and stat.S_ISDIR(os.fstat(args[0]).st_mode):
                return fn(*args, **kwargs)
            _OPS[0] += 1
            if _OPS[0] == crash_at:
                target = os.path.basename(str(args[-1] if name == "replace" else args[0]))
                _say(f"CRASH {_OPS[0]} {name} {target}")
                while True:  # the SIGKILL lands here
                    time.sleep(60)
            return fn(*args, **kwargs)

        return wrapper

    for name in ("replace", "unlink", "mkdir", "rmdir", "fsync"):
        setattr(os, name, hook(name, getattr(os, name)))


def main(root: str, plan_path: str) -> None:
    from data_adapters.store import SnapshotStore

    plan = pickle.loads(Path(plan_path).read_bytes())
    if plan.get("crash_at"):
        _install(int(plan["crash_at"]))
    writer = SnapshotStore(root).writer(timeout=30)
    _say("OPEN")
    records = plan["records"]
    i = 0
    while records:
        item = records[i % len(records)]
        if item[0] == "tape":
            _, symbol, day, frame, until, replace = item
            status = writer.put_trades(symbol, day, frame, until=until, replace=replace)
        else:
            record, replace = item
            status = writer.put(record, replace=replace)
        _say(f"PUT {i} {status}")
        i += 1
        if i == len(records) and not plan.get("loop"):
            break
    writer.close()
    _say(f"DONE {_OPS[0]}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
