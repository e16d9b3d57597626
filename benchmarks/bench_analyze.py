"""Timings of the battery and of the integer-peak null (not run by the tests).

    python benchmarks/bench_analyze.py [--dataset ru-2021-duma] [--repeats 3] [--analyst-sims 300]

Prints the median of several runs (time.perf_counter) of:

* the exact integer-peak null (per-station probabilities and the Poisson-binomial tail) for
  every station of the election, as Kobak et al. count them;
* the Monte Carlo null as an analyst would write it in plain NumPy (redraw L and G binomially,
  count integer percentages, 10,000 times), timed on ``--analyst-sims`` draws and scaled to
  10,000, against tallyscope's 10,000-draw Monte Carlo kernel;
* the whole battery, ``analyze(election, sims=10_000)``, as ``tallyscope analyze --sims 10000``
  runs it.
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import median_seconds

import tallyscope as ts
from tallyscope.analysis import analyze
from tallyscope.methods._kernels.integer import (
    integer_null_draws,
    integer_probabilities,
    is_integer,
)
from tallyscope.methods._stations import station_data
from tallyscope.stats import PoissonBinomial


def analyst_null(
    L: np.ndarray, R: np.ndarray, G: np.ndarray, V: np.ndarray, sims: int
) -> np.ndarray:
    """The Monte Carlo null as typically written: a Python loop over draws, NumPy inside."""
    rng = np.random.default_rng(0)
    counts = np.empty(sims)
    for i in range(sims):
        share = 100 * rng.binomial(R, L / R) / R
        turnout = 100 * rng.binomial(V, G / V) / V
        counts[i] = np.sum(
            (np.abs(share - np.round(share)) < 0.05) | (np.abs(turnout - np.round(turnout)) < 0.05)
        )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ru-2021-duma")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--analyst-sims", type=int, default=300)
    args = parser.parse_args()
    election = ts.load(args.dataset)
    d = station_data(election, kinds="all")
    keep = (d.R > 0) & (d.V >= 100) & (d.turnout <= 99) & (d.share <= 99)
    d = d.subset(keep)
    observed = int((is_integer(d.L, d.R) | is_integer(d.G, d.V)).sum())

    def exact() -> float:
        p = 1 - (1 - integer_probabilities(d.L, d.R)) * (1 - integer_probabilities(d.G, d.V))
        return PoissonBinomial(p).sf(observed)

    p_share, p_turnout = integer_probabilities(d.L, d.R), integer_probabilities(d.G, d.V)
    weights = np.vstack([d.V, d.G, d.L]).astype(float)
    seeds = np.arange(1, 10_001, dtype=np.uint64)

    exact_s = median_seconds(exact, args.repeats)
    kernel_s = median_seconds(
        lambda: integer_null_draws(p_share, p_turnout, weights, seeds), args.repeats
    )
    analyst_s = (
        median_seconds(lambda: analyst_null(d.L, d.R, d.G, d.V, args.analyst_sims), 1)
        * 10_000
        / args.analyst_sims
    )
    battery_s = median_seconds(lambda: analyze(election, sims=10_000, seed=1), args.repeats)

    print(f"{args.dataset}: {d.n:,} stations in the integer-peak test, {len(election):,} rows")
    print(f"{'task':58s} {'median s':>9s}")
    print(f"{'exact integer-peak null (probabilities + exact tail)':58s} {exact_s:9.3f}")
    print(f"{'Monte Carlo null, 10,000 draws, tallyscope kernel':58s} {kernel_s:9.3f}")
    print(f"{'Monte Carlo null, 10,000 draws, plain NumPy (scaled)':58s} {analyst_s:9.1f}")
    print(f"{'whole battery, analyze(sims=10_000)':58s} {battery_s:9.2f}")
    print(f"speed-up of the kernel over plain NumPy: {analyst_s / kernel_s:.0f}x; "
          f"of the exact null over plain NumPy: {analyst_s / exact_s:.0f}x")  # fmt: skip


if __name__ == "__main__":
    main()
