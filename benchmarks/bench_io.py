"""Timings of the data-input layer (not run by the tests).

    python benchmarks/bench_io.py [--repeats 5] [--source ../shared/data]

Prints one row per task with the median of several runs (time.perf_counter): loading a
bundled election, reading a raw Russian CEC zip, and reading the 32,143-station Polish CSV
with its preset (issue #8's "30,000-station file"). Tasks whose source file is absent are
skipped.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import tallyscope as ts
from tallyscope.io import preset, read_table

ROOT = Path(__file__).resolve().parents[1]


def _time(task: Callable[[], object], repeats: int) -> tuple[float, float, int]:
    task()  # warm-up: imports, caches
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = task()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), min(runs), len(result)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    source = args.source
    tasks: list[tuple[str, str, Callable[[], object], Path | None]] = [
        (
            "tallyscope.load('ru-2012-president')",
            "< 1 s",
            lambda: ts.load("ru-2012-president"),
            None,
        ),
        ("tallyscope.load('ru-2021-duma')", "< 1 s", lambda: ts.load("ru-2021-duma"), None),
        (
            "read_cec(russia/2012.csv.zip)",
            "a few s",
            lambda: ts.read_cec(source / "russia" / "2012.csv.zip"),
            source / "russia" / "2012.csv.zip",
        ),
        (
            "read_cec(russia/2016.csv.zip), the largest",
            "a few s",
            lambda: ts.read_cec(source / "russia" / "2016.csv.zip"),
            source / "russia" / "2016.csv.zip",
        ),
        (
            "read_table(poland/2025-president-round1.csv, pl-pkw)",
            "< 1 s",
            lambda: read_table(source / "poland" / "2025-president-round1.csv", preset("pl-pkw")),
            source / "poland" / "2025-president-round1.csv",
        ),
        (
            "tallyscope.read(poland/...round1.csv), format recognised",
            "< 1 s",
            lambda: ts.read(source / "poland" / "2025-president-round1.csv"),
            source / "poland" / "2025-president-round1.csv",
        ),
    ]
    print(f"median of {args.repeats} runs after one warm-up (time.perf_counter)\n")
    print(f"{'task':<58} {'stations':>9} {'median':>9} {'min':>9}  target")
    for name, target, task, needs in tasks:
        if needs is not None and not needs.exists():
            print(f"{name:<58} {'skipped: ' + str(needs) + ' not found'}")
            continue
        median, best, rows = _time(task, args.repeats)
        print(f"{name:<58} {rows:>9,} {median:>8.3f}s {best:>8.3f}s  {target}")


if __name__ == "__main__":
    main()
