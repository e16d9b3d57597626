"""The statistical building blocks: exact Poisson-binomial, Holm, bootstrap, Monte Carlo p."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tallyscope.stats import (
    PoissonBinomial,
    bootstrap_sums,
    holm,
    monte_carlo_pvalue,
    resample_counts,
)


def _brute_force(p: np.ndarray) -> np.ndarray:
    pmf = np.array([1.0])
    for q in p:
        pmf = np.convolve(pmf, [1 - q, q])
    return pmf


@pytest.mark.parametrize("n", [0, 1, 7, 40, 333])
def test_poisson_binomial_pmf_is_exact(n):
    p = np.random.default_rng(n).uniform(0, 1, n)
    p[: n // 5] = 0.0  # certain zeros and ones shift the distribution
    p[n // 5 : n // 4] = 1.0
    np.testing.assert_allclose(PoissonBinomial(p).pmf(), _brute_force(p), atol=1e-12)


def test_poisson_binomial_reduces_to_the_binomial():
    pb = PoissonBinomial(np.full(500, 0.3))
    np.testing.assert_allclose(pb.pmf(), stats.binom.pmf(np.arange(501), 500, 0.3), atol=1e-12)
    assert pb.sf(170) == pytest.approx(stats.binom.sf(169, 500, 0.3), rel=1e-9)
    assert (pb.mean, pb.var) == pytest.approx((150.0, 105.0))


def test_tiny_tails_are_bounded_not_rounded_to_zero():
    pb = PoissonBinomial(np.full(2000, 0.1))
    exact = stats.binom.sf(499, 2000, 0.1)  # far beyond double-precision FFT noise
    assert 0 < exact <= pb.sf(500) <= 1e-12
    assert pb.chernoff_bound(500) >= exact


def test_holm_matches_the_textbook_example():
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.005})
    assert adjusted == pytest.approx({"a": 0.03, "b": 0.06, "c": 0.06, "d": 0.02})


def test_monte_carlo_pvalue_counts_the_observed_draw():
    null = np.arange(99.0)
    assert monte_carlo_pvalue(200.0, null) == pytest.approx(1 / 100)
    assert monte_carlo_pvalue(-1.0, null, alternative="less") == pytest.approx(1 / 100)
    assert monte_carlo_pvalue(49.0, null, alternative="two-sided") == pytest.approx(1.0)


def test_resample_counts_draw_every_unit_with_replacement():
    counts = np.concatenate(list(resample_counts(50, 1000, np.random.default_rng(0), batch=300)))
    assert counts.shape == (1000, 50) and (counts.sum(axis=1) == 50).all()
    assert counts.mean() == pytest.approx(1.0, abs=0.02)


def test_bootstrap_of_a_mean_covers_it_and_is_seeded():
    covered = 0
    for seed in range(200):
        x = np.random.default_rng(seed).normal(5.0, 2.0, 60)
        sums = np.column_stack([x, np.ones_like(x)])
        result = bootstrap_sums(
            sums, {"mean": lambda t: t[:, 0] / t[:, 1]}, n_resamples=400, rng=seed
        )["mean"]
        covered += result.ci.low <= 5.0 <= result.ci.high
    assert 0.90 <= covered / 200 <= 0.98
    again = bootstrap_sums(sums, {"mean": lambda t: t[:, 0] / t[:, 1]}, n_resamples=400, rng=199)[
        "mean"
    ]
    np.testing.assert_array_equal(again.distribution, result.distribution)
