"""Coverage of the mixture model's fraudulent-vote interval on synthetic elections (not run by
the tests; the table in docs/methods/mixture.md).

    python benchmarks/mixture_coverage.py --stations 20000 --seeds 1 60 [--fi 0.1 --fe 0.03]
        [--context commission-weighted|commission|region|national] [--flat] [--no-interval]
        [--by-class]

For each seed: ``generate(N, fraud=Fraud(f_i, f_e), rng=seed)``, then
``mixture_fit(election, rng=0)``; prints one line per seed (estimate, error against
``truth.anomalous_votes``, interval, covered) and a summary (coverage, mean and sd of the
error, mean width). ``--flat`` draws the clean election without region and commission effects
(the clean class is then exactly the model's with ``--context national``); ``--no-interval``
skips the posterior draws (point estimates only, 3-4 times faster); ``--by-class`` splits the
estimated and planted votes by the planted class of each station.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from tallyscope.methods.mixture import mixture_fit
from tallyscope.synth import Fraud, Heterogeneity, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs=2, default=(1, 20), metavar=("FIRST", "LAST"))
    parser.add_argument("--fi", type=float, default=0.10)
    parser.add_argument("--fe", type=float, default=0.03)
    parser.add_argument("--context", default="commission-weighted")
    parser.add_argument("--flat", action="store_true")
    parser.add_argument("--no-interval", action="store_true")
    parser.add_argument("--by-class", action="store_true")
    args = parser.parse_args()
    heterogeneity = (
        Heterogeneity(region=(0.0, 0.0), commission=(0.0, 0.0)) if args.flat else Heterogeneity()
    )
    errors, widths, covered = [], [], []
    for seed in range(args.seeds[0], args.seeds[1] + 1):
        s = generate(
            args.stations,
            fraud=Fraud(f_i=args.fi, f_e=args.fe),
            heterogeneity=heterogeneity,
            rng=seed,
        )
        start = time.perf_counter()
        r = mixture_fit(
            s.election, rng=0, context=args.context, n_draws=0 if args.no_interval else 200
        )
        seconds = time.perf_counter() - start
        truth = s.truth.anomalous_votes
        errors.append(100 * (r.fraudulent_votes.value / truth - 1))
        line = (
            f"seed {seed:3d}: {r.fraudulent_votes.value:12,.0f} for {truth:,} ({errors[-1]:+.1f} %)"
        )
        ci = r.fraudulent_votes.ci
        if ci is not None:
            widths.append(100 * (ci.high - ci.low) / truth)
            covered.append(ci.low <= truth <= ci.high)
            line += f"  [{ci.low:,.0f}; {ci.high:,.0f}] {'covered' if covered[-1] else 'missed'}"
        print(f"{line}  {seconds:.0f} s", flush=True)
        if args.by_class:
            print(_by_class(s, r))
    summary = f"error mean {np.mean(errors):+.2f} %"
    if len(errors) > 1:
        summary += f", sd {np.std(errors, ddof=1):.2f} %"
    if covered:
        summary = (
            f"covered {sum(covered)}/{len(covered)} = {np.mean(covered):.0%}; {summary}; "
            f"mean width {np.mean(widths):.1f} %"
        )
    print(summary)


def _by_class(s, r) -> pl.DataFrame:
    """Estimated and planted votes, and the class probabilities, by planted class."""
    truth = s.truth.frame().with_columns(station=s.election.stations["station"])
    table = r.station_probabilities().join(truth, on="station", how="left")
    return (
        table.group_by("fraud")
        .agg(
            stations=pl.len(),
            estimated=pl.col("fraudulent_votes").sum().round(0),
            planted=(pl.col("stuffed") + pl.col("moved")).sum(),
            p_incremental=pl.col("p_incremental").sum().round(1),
            p_extreme=pl.col("p_extreme").sum().round(1),
        )
        .sort("fraud")
    )


if __name__ == "__main__":
    main()
