"""Timings of the fraud models and of the spike test on a national election (not run by the
tests).

    python benchmarks/bench_models.py [--dataset ru-2012-president] [--repeats 1]

Prints the median wall time (time.perf_counter) of:

* ``spikes(election, n_sims=10_000)``: the resampled-kernel spike test;
* ``klimek_fit(election, n_boot=0)`` (the default ``n_sims=8``) and with its default 20
  bootstrap refits; and without bootstrap at ``n_sims=16`` (twice the simulations and time,
  less noisy f_i, docs/methods/klimek.md);
* ``mixture_fit(election)``: EM on every station and the posterior interval (the issue asks
  for a 95,000-station election in under two minutes on this 2-core machine).

Whole commands (``tallyscope fit mixture ru-2012-president``) are timed as whole processes
(median wall time of three runs, e.g. with ``/usr/bin/time -v``): README "Speed".
"""

from __future__ import annotations

import argparse

from _timing import median_seconds

import tallyscope as ts
from tallyscope.methods.klimek import klimek_fit
from tallyscope.methods.mixture import mixture_fit
from tallyscope.methods.spikes import spikes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ru-2012-president")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    election = ts.load(args.dataset)
    spikes(election, n_sims=10, rng=0)  # compile the kernels once
    print(f"{args.dataset}: {len(election):,} stations, median of {args.repeats} run(s)")
    tasks = {
        "spikes, 10,000 draws": lambda: spikes(election, n_sims=10_000, rng=0),
        "Klimek fit, no bootstrap": lambda: klimek_fit(election, n_boot=0, rng=0),
        "Klimek fit, 20 bootstrap refits": lambda: klimek_fit(election, rng=0),
        "Klimek fit, no bootstrap, 16 sims": lambda: klimek_fit(
            election, n_boot=0, n_sims=16, rng=0
        ),
        "mixture fit with interval": lambda: mixture_fit(election, rng=0),
    }
    for name, task in tasks.items():
        print(
            f"  {name:<34} {median_seconds(task, args.repeats, warm_up=False):8.1f} s", flush=True
        )


if __name__ == "__main__":
    main()
