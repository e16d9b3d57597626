"""Integer-percentage peaks: the published reference values, the exact null, calibration."""

from __future__ import annotations

import numpy as np
import pytest

import tallyscope as ts
from tallyscope.methods import integer_peaks
from tallyscope.methods._kernels.integer import (
    integer_null_draws,
    integer_null_draws_numpy,
    integer_probabilities,
    integer_probabilities_numpy,
    is_integer,
)
from tallyscope.synth import Fraud, generate

# Kobak, Shpilkin & Pshenichnikov (2016) and the issue: stations included, integer counts
# (either / share / turnout), null mean of `either` from 1,000 simulations.
REFERENCE = {
    "ru-2011-duma": (86_718, (17_803, 9_708, 9_216), 16_799.5),
    "ru-2012-president": (87_623, (18_025, 9_662, 9_476), 16_865.4),
    "ru-2021-duma": (90_821, (18_879, 10_173, 9_949), 17_569.2),
}


@pytest.mark.parametrize("dataset", sorted(REFERENCE))
def test_reference_values(dataset):
    stations, counts, null_mean = REFERENCE[dataset]
    result = integer_peaks(ts.load(dataset), kinds="all", n_sims=1000, rng=0, by_region=False)
    assert result.stations_included == stations
    assert (
        result.observed["either"],
        result.observed["share"],
        result.observed["turnout"],
    ) == counts
    # the reference null mean is itself a 1,000-draw Monte Carlo estimate: its standard error
    # is null_sd / sqrt(1000), about 3.7; allow four of them
    assert abs(result.null_mean["either"] - null_mean) < 4 * result.null_sd["either"] / np.sqrt(
        1000
    )
    assert abs(result.mc_null_mean["either"] - result.null_mean["either"]) < 4 * result.null_sd[
        "either"
    ] / np.sqrt(1000)
    assert result.p_value < 1e-10


def test_2021_null_sd_matches_reference():
    result = integer_peaks(ts.load("ru-2021-duma"), kinds="all", n_sims=0, by_region=False)
    assert result.null_sd["either"] == pytest.approx(118.5, rel=0.03)


def test_integer_rule_is_kobaks_floating_point_rule():
    # 45.05 % is not exactly representable: 100 * 901 / 2000 rounds just below 45.05
    assert is_integer(np.array([901, 0, 50, 7]), np.array([2000, 10, 100, 0])).tolist() == [
        True,
        True,
        True,
        False,
    ]


def test_kernel_equals_numpy_twin():
    rng = np.random.default_rng(1)
    n = rng.integers(1, 3000, 300)
    x = rng.binomial(n, rng.uniform(0, 1, n.size))
    expected = integer_probabilities_numpy(x, n)
    np.testing.assert_allclose(integer_probabilities(x, n), expected, atol=1e-12)
    np.testing.assert_allclose(integer_probabilities.py_func(x, n), expected, atol=1e-12)


def test_bernoulli_draws_match_binomial_redraws():
    e = generate(2_000, rng=3).election
    V, G = e.counts("registered"), e.counts("issued")
    R, L = e.counts("cast"), e.counts("Leader")
    weights = np.vstack([V]).astype(float)
    fast = integer_null_draws(
        integer_probabilities(L, R),
        integer_probabilities(G, V),
        weights,
        np.arange(1, 4001, dtype=np.uint64),
    )
    slow = integer_null_draws_numpy(L, R, G, V, weights, 4000, np.random.default_rng(4))
    for column in range(4):
        se = np.hypot(fast[:, column].std(), slow[:, column].std()) / np.sqrt(4000)
        assert abs(fast[:, column].mean() - slow[:, column].mean()) < 4 * se


def test_same_seed_same_result():
    e = generate(3_000, rng=5).election
    a = integer_peaks(e, n_sims=200, rng=11).to_dict()
    b = integer_peaks(e, n_sims=200, rng=11).to_dict()
    assert a == b


def test_calibrated_on_clean_synthetic_elections():
    pvalues = [
        integer_peaks(generate(5_000, rng=seed).election, n_sims=0, by_region=False).p_value
        for seed in range(200)
    ]
    rate = np.mean(np.array(pvalues) < 0.05)
    assert 0.03 <= rate <= 0.07, rate


def test_detects_two_percent_rounded_protocols():
    detected = [
        integer_peaks(
            generate(10_000, fraud=Fraud(f_round=0.02), rng=seed).election,
            n_sims=0,
            by_region=False,
        ).p_value
        < 0.05
        for seed in range(40)
    ]
    assert np.mean(detected) >= 0.95


@pytest.mark.parametrize("dataset", ["pl-2025-president-1", "pl-2025-president-2"])
def test_poland_not_accused(dataset):
    result = integer_peaks(ts.load(dataset), n_sims=2000, rng=0)
    assert min(result.p_values.values()) > 0.05
    assert all(w["p_value"] > 0.05 for w in result.weighted.values())
