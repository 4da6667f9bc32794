"""Run the benchmarks and print one table: ``python -m benchmarks [--quick] [--cpu NAME] [NAME ...]``.

NAME selects benchmark modules (``greeks``, ``iv`` …); none means all. ``--quick`` uses
smaller inputs (a smoke run, not for the README's numbers).

``--cpu`` compiles the kernels for another CPU than this one, so the AVX2 build can be
measured on an AVX-512 machine: ``--cpu haswell`` (AVX2), ``--cpu skylake-avx512``,
``--cpu znver3`` … (LLVM CPU names; ``host`` is this machine, the default). Each target other
than ``host`` runs in a child process started with ``NUMBA_CPU_NAME=NAME`` and
``NUMBA_CPU_FEATURES=`` (empty: the CPU's own features — without it Numba keeps this
machine's, AVX-512 included) and its own ``NUMBA_CACHE_DIR`` (one per target and state of
the engine's sources, so a cached kernel is never one of another target or of older
sources). Repeat the option or separate names by commas to compare targets:
``--cpu host,haswell`` prints each target's tables, then one table with every row's ns/unit
and speedup per target and the last target's ns/unit over the first's.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import pkgutil
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import benchmarks
from benchmarks.harness import Row, machine, print_comparison, print_rows

ROOT = Path(__file__).resolve().parents[1]
HOST = "host"


def _sources_digest() -> str:
    """Digest of the engine's sources: a cache directory per state of the code."""
    h = hashlib.sha1()
    for path in sorted((ROOT / "engine").rglob("*.py")):
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _cache_dir(root: Path, cpu: str) -> Path:
    """``root/<cpu>-<digest>``; directories of the same CPU for older sources are removed."""
    path = root / f"{cpu}-{_sources_digest()}"
    if root.is_dir():
        for old in root.glob(f"{cpu}-*"):
            if old != path and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
    return path


def _run_here(names: list[str], quick: bool) -> list[Row]:
    rows: list[Row] = []
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("benchmarks"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal,
    )  # fmt: skip
    with progress:
        task = progress.add_task("", total=len(names))
        for name in names:
            progress.update(task, description=name)
            module = importlib.import_module(f"benchmarks.bench_{name}")
            part = module.run(quick=quick)
            print()
            print_rows(part)
            for note in getattr(module, "notes", lambda: [])():
                print(f"  {note}")
            sys.stdout.flush()
            rows += part
            progress.advance(task)
    return rows


def _run_child(cpu: str, names: list[str], quick: bool, cache_root: Path) -> list[Row]:
    """The benchmarks in a child process whose kernels are compiled for ``cpu``."""
    cache = _cache_dir(cache_root, cpu)
    env = dict(os.environ, NUMBA_CPU_NAME=cpu, NUMBA_CPU_FEATURES="", NUMBA_CACHE_DIR=str(cache))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        cmd = [sys.executable, "-m", "benchmarks", *names, "--json", str(out)]
        if quick:
            cmd.append("--quick")
        print(f"\n=== target {cpu}: child process, NUMBA_CPU_NAME={cpu}, NUMBA_CACHE_DIR={cache}")
        sys.stdout.flush()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
        return [Row.from_json(r) for r in json.loads(out.read_text())]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small inputs, smoke run")
    parser.add_argument(
        "--cpu",
        action="append",
        metavar="NAME[,NAME]",
        help="compile the kernels for these CPUs (LLVM names; 'host' = this machine)",
    )
    parser.add_argument(
        "--cache-root",
        type=Path,
        default=Path(tempfile.gettempdir()) / "gex-engine-bench-numba",
        help="where the Numba caches of --cpu targets live (default: %(default)s)",
    )
    parser.add_argument("--json", type=Path, help="also write every row to this JSON file")
    args = parser.parse_args(argv)
    available = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )
    chosen = args.names or available
    unknown = [n for n in chosen if n not in available]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {available}")
    cpus = [c.strip() for arg in (args.cpu or [HOST]) for c in arg.split(",") if c.strip()]
    cpus = list(dict.fromkeys(cpus))
    if not cpus:
        parser.error("--cpu needs a name")
    print(f"machine: {machine()}")
    rows: list[Row] = []
    for cpu in cpus:
        if cpu == HOST:
            rows += _run_here(chosen, args.quick)
        else:
            rows += _run_child(cpu, chosen, args.quick, args.cache_root)
    if len(cpus) > 1:
        print()
        print_comparison(rows)
    if args.json is not None:
        args.json.write_text(json.dumps([r.to_json() for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
