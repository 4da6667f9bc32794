"""Run the benchmarks and print one table: ``python -m benchmarks [--quick] [NAME ...]``.

NAME selects benchmark modules (``greeks``, ``iv`` …); none means all. ``--quick`` uses
smaller inputs (a smoke run, not for the README's numbers).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import benchmarks
from benchmarks.harness import machine, print_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small inputs, smoke run")
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
    print(f"machine: {machine()}")
    for name in chosen:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        rows = module.run(quick=args.quick)
        print()
        print_rows(rows)
        for note in getattr(module, "notes", lambda: [])():
            print(f"  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
