"""Timings of the fingerprint, turnout-share and digit methods on ru-2021-duma.

Run ``python benchmarks/bench_methods_i.py [dataset] [--repeats N]``. Each function is run once
to warm up (Numba compiles or loads its cache) and then ``--repeats`` times; the table shows
the median. The last section times the digit tests' null simulation against the loop an
analyst would write in plain NumPy (redraw every count with ``rng.binomial`` and count its
digits, once per simulation), extrapolated from a few simulations to 1,000.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _timing import median_seconds

import tallyscope as ts
from tallyscope.methods._kernels.digits import second_digit
from tallyscope.methods.digits import digit_tests
from tallyscope.methods.fingerprints import fingerprint, histograms
from tallyscope.methods.regression import turnout_share


def _analyst_digit_null(election: ts.Election, parties: list[str], n_sims: int, seed: int) -> None:
    """The plain-NumPy null: redraw each party's counts, take their digits, n_sims times."""
    rng = np.random.default_rng(seed)
    stations = election.select(require=("valid", *parties)).election
    valid = stations.counts("valid")
    keep = valid > 0
    valid = valid[keep]
    votes = stations.votes(parties)[keep]
    for _ in range(n_sims):
        for j in range(votes.shape[1]):
            x = rng.binomial(valid, votes[:, j] / valid)
            np.bincount(x[x >= 10] % 10, minlength=10)
            np.bincount(second_digit(x[x >= 10]), minlength=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", default="ru-2021-duma")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    election = ts.load(args.dataset)
    print(f"{election!r}; median of {args.repeats} runs after a warm-up\n")

    rows = [
        ("fingerprint (0.5 pp, registered)", lambda: fingerprint(election)),
        ("histograms (0.1 pp, noise)", lambda: histograms(election, noise=True, rng=1)),
        (
            "turnout_share (n_boot=1000, by_region)",
            lambda: turnout_share(election, n_boot=1000, rng=1),
        ),
        (
            "turnout_share (n_boot=1000, national only)",
            lambda: turnout_share(election, n_boot=1000, rng=1, by_region=False),
        ),
        ("digit_tests (n_sims=1000, draws=auto)", lambda: digit_tests(election, rng=1)),
        (
            "digit_tests (n_sims=1000, draws=exact)",
            lambda: digit_tests(election, rng=1, draws="exact"),
        ),
    ]
    timings = {}
    print(f"{'function':<46}{'seconds':>10}")
    for name, function in rows:
        timings[name] = median_seconds(function, args.repeats)
        print(f"{name:<46}{timings[name]:>10.3f}")

    parties = digit_tests(election, n_sims=1, rng=1).parties
    few = 10
    start = time.perf_counter()
    _analyst_digit_null(election, parties, few, seed=1)
    analyst = (time.perf_counter() - start) / few * 1000
    exact, auto = timings[rows[5][0]], timings[rows[4][0]]
    print(f"\ndigit null, 1000 simulations of {len(parties)} parties' counts")
    for label, seconds in (
        (f"plain NumPy, rng.binomial per simulation (from {few})", analyst),
        ("digit_tests(draws='exact'), whole test, Numba kernel", exact),
        ("digit_tests(draws='auto'), whole test", auto),
    ):
        print(f"  {label:<56}{seconds:>8.2f} s  (x{analyst / seconds:.1f})")


if __name__ == "__main__":
    main()
