"""Spikes at focal shares against the resampled kernel density (Rozenas 2017)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tallyscope as ts
from tallyscope.methods import spikes
from tallyscope.methods._kernels.spikes import (
    focal_index,
    focal_null_draws,
    focal_null_draws_numpy,
    focal_probabilities,
    focal_probabilities_numpy,
    focal_values,
    is_focal,
)
from tallyscope.synth import Fraud, Heterogeneity, generate


def test_focal_values_are_integers_and_simple_fractions():
    values = focal_values(4)
    assert values.size == 99 + 2  # 1..99 and the thirds; halves and quarters are whole
    assert np.isclose(values, 100 / 3).any() and np.isclose(values, 200 / 3).any()
    assert focal_values(2).size == 99  # 50 % is already a whole percentage


def test_focal_rule_matches_kobak_for_integers_and_catches_fractions():
    x = np.array([1, 1, 2, 1, 0, 5, 333])
    n = np.array([3, 2, 3, 7, 5, 5, 1000])
    # 33.3 % is 1/3 (focal), 50 %, 66.7 %, 14.29 % (not), 0 % and 100 % (never), 33.3 % (1/3)
    assert is_focal(x, n, 4, 0.05).tolist() == [True, True, True, False, False, False, True]
    values = focal_values(4)
    assert values[focal_index(np.array([1]), np.array([2]), 4, 0.05)[0]] == 50.0


def test_kernel_probabilities_match_scipy_twin():
    rng = np.random.default_rng(1)
    n = rng.integers(20, 400, 60)
    x = rng.binomial(n, rng.uniform(0.1, 0.9, n.size))
    p, by_value = focal_probabilities(x, n, 0.01, 4, 0.05)
    p_np, by_value_np = focal_probabilities_numpy(x, n, 0.01, 4, 0.05)
    np.testing.assert_allclose(p, p_np, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(by_value, by_value_np, rtol=1e-9, atol=1e-12)


def test_null_draws_match_resampling_the_counts():
    rng = np.random.default_rng(2)
    n = rng.integers(20, 300, 400)
    x = rng.binomial(n, 0.4)
    p, _ = focal_probabilities(x, n, 0.01, 4, 0.05)
    seeds = np.arange(1, 4001, dtype=np.uint64)
    draws = focal_null_draws(p, seeds)
    resampled = focal_null_draws_numpy(x, n, 0.01, 4, 0.05, 2000, np.random.default_rng(3))
    assert abs(draws.mean() - p.sum()) < 4 * draws.std() / np.sqrt(draws.size)
    assert abs(resampled.mean() - p.sum()) < 4 * resampled.std() / np.sqrt(resampled.size)
    assert draws.var() == pytest.approx(np.sum(p * (1 - p)), rel=0.1)


def test_same_seed_same_result_and_json():
    election = generate(3000, rng=5).election
    a, b = spikes(election, n_sims=200, rng=7), spikes(election, n_sims=200, rng=7)
    assert a.p_value == b.p_value and a.spiked_share == b.spiked_share
    out = json.loads(json.dumps(a.to_dict()))
    assert out["method"] == "spikes" and out["stations_included"] == a.stations_included
    assert a.test().pvalue == a.p_value


def test_planted_rounding_detected_and_sized():
    synthetic = generate(10_000, fraud=Fraud(f_round=0.02), rng=11)
    result = spikes(synthetic.election, n_sims=500, rng=0)
    assert result.p_value <= 0.01
    # rewritten protocols land on whole percentages of turnout or share: about 2 % of stations
    assert result.spiked_share.ci.low <= 0.02 + 0.005
    assert 0.01 < result.spiked_share.value < 0.03


@pytest.mark.parametrize("mode", ["realistic", "independent"])
def test_clean_false_positive_rate(mode):
    """40 clean elections: the 5 % test may fire a handful of times, never most of them."""
    p = [
        spikes(generate(4000, heterogeneity=Heterogeneity(mode=mode), rng=s).election,
               n_sims=200, rng=s).p_value
        for s in range(40)
    ]  # fmt: skip
    fired = int(np.sum(np.array(p) <= 0.05))
    assert fired <= 6  # binomial(40, 0.05): P(X > 6) < 0.2 %
    assert 0.2 < np.mean(p) < 0.8  # p-values roughly uniform, not piled at 1 either


@pytest.mark.parametrize("dataset", ["pl-2025-president-1", "pl-2025-president-2"])
def test_poland_not_accused(dataset):
    result = spikes(ts.load(dataset), n_sims=1000, rng=0)
    assert result.p_value > 0.05
    assert result.spiked_share.value < 0.005


def test_russia_2011_spikes_found():
    result = spikes(ts.load("ru-2011-duma"), n_sims=1000, rng=0)
    assert result.p_value <= 0.001
    assert result.spiked_share.ci.low > 0.005
    assert result.excluded["fewer than 20 ballots"] > 0


def test_turnout_variable_and_bad_input():
    election = generate(2000, rng=1).election
    assert spikes(election, variable="turnout", n_sims=100, rng=0).variable == "turnout"
    for kwargs in ({"variable": "age"}, {"n_sims": 0}, {"bandwidth": 0.7}, {"max_denominator": 40}):
        with pytest.raises(ValueError):
            spikes(election, **kwargs)
