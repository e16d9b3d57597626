"""Statistical building blocks shared by the methods: resampling, exact nulls, corrections."""

from tallyscope.stats.multitest import holm
from tallyscope.stats.poisson_binomial import PoissonBinomial
from tallyscope.stats.resampling import (
    BootstrapResult,
    bootstrap_sums,
    monte_carlo_pvalue,
    percentile_interval,
    resample_counts,
)

__all__ = [
    "BootstrapResult",
    "PoissonBinomial",
    "bootstrap_sums",
    "holm",
    "monte_carlo_pvalue",
    "percentile_interval",
    "resample_counts",
]
