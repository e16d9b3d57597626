"""Timings of the synthetic-election generator (not run by the tests).

    python benchmarks/bench_synth.py [--repeats 5]

Prints the median wall time (time.perf_counter, after one uncounted run) of
``generate(N, rng=1)`` for clean elections and with every fraud mechanism switched on
(incremental and extreme stuffing, rounded protocols, moved votes, e-vote pseudo-stations),
for 10,000, 100,000 and 1,000,000 stations; the issue asks for a 100,000-station election in
well under a second.
"""

from __future__ import annotations

import argparse
from functools import partial

from _timing import median_seconds

from tallyscope.synth import Fraud, generate

#: Every mechanism of the generator at once, each at a size the calibration uses.
ALL_FRAUD = Fraud(f_i=0.1, f_e=0.03, f_round=0.02, f_move=0.1, evote_regions=20, evote_swing=0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"median of {args.repeats} run(s)")
    for n in (10_000, 100_000, 1_000_000):
        for label, fraud in (("clean", Fraud()), ("every fraud", ALL_FRAUD)):
            seconds = median_seconds(partial(generate, n, fraud=fraud, rng=1), args.repeats)
            print(f"  generate({n:>9,}), {label:<12} {seconds:7.3f} s", flush=True)


if __name__ == "__main__":
    main()
