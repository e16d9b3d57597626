"""The one timing helper of the benchmarks: the median wall time of several runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(task: Callable[[], object], repeats: int, *, warm_up: bool = True) -> float:
    """Median of ``repeats`` runs of ``task`` (time.perf_counter), after one uncounted run
    (JIT compilation, caches) unless ``warm_up`` is false."""
    if warm_up:
        task()
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        task()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)
