"""Anomalous votes: the published classic figures, the robust estimate on the clean control,
calibration and recovery on synthetic elections."""

from __future__ import annotations

import numpy as np
import pytest

import tallyscope as ts
from tallyscope.methods.shpilkin import anomalous_votes
from tallyscope.synth import Fraud, Heterogeneity, generate

POLAND = [("pl-2025-president-1", "Trzaskowski"), ("pl-2025-president-1", "Nawrocki"),
          ("pl-2025-president-2", "Trzaskowski"), ("pl-2025-president-2", "Nawrocki")]  # fmt: skip


def test_classic_reproduces_published_figures():
    duma_2016 = anomalous_votes(
        ts.load("ru-2016-duma"), method="shpilkin-classic", n_boot=100, rng=0
    )
    assert duma_2016.clean_share_pct == pytest.approx(40, abs=1)  # Shpilkin: about 40 %
    duma_2021 = anomalous_votes(
        ts.load("ru-2021-duma"), method="shpilkin-classic", n_boot=100, rng=0
    )
    assert 31 <= duma_2021.clean_share_pct <= 33  # Shpilkin: 31-33 %
    assert 45 <= duma_2021.anomalous_pct_of_leader <= 60  # about half of its votes
    president_2012 = anomalous_votes(
        ts.load("ru-2012-president"), method="shpilkin-classic", n_boot=100, rng=0
    )
    assert 10.3e6 <= president_2012.estimate <= 11.3e6  # 10.9 M on every station


def test_classic_accuses_poland_which_is_why_it_is_not_the_headline():
    result = anomalous_votes(
        ts.load("pl-2025-president-1"), method="shpilkin-classic", n_boot=100, rng=0
    )
    assert 12 <= result.anomalous_pct_of_leader <= 18
    assert result.warning is not None and "Poland" in result.warning


@pytest.mark.parametrize(("dataset", "party"), POLAND)
def test_robust_does_not_accuse_poland(dataset, party):
    result = anomalous_votes(ts.load(dataset), party=party, rng=0)
    assert abs(result.anomalous_pct_of_leader) < 1.0
    assert result.reliable
    assert result.p_value > 0.05


@pytest.mark.parametrize("dataset", ["ru-2011-duma", "ru-2012-president", "ru-2021-duma"])
def test_robust_flags_russia(dataset):
    result = anomalous_votes(ts.load(dataset), rng=0)
    assert result.reliable
    assert result.anomalous_pct_interval[0] > 5.0
    assert result.p_value < 0.01


@pytest.mark.parametrize("dataset", ["ru-2020-referendum", "ru-2024-president"])
def test_robust_says_when_a_fraud_cluster_dominates(dataset):
    result = anomalous_votes(ts.load(dataset), n_boot=100, rng=0)
    assert not result.reliable
    assert "dominated" in result.warning


def test_regions_decompose_the_national_estimate():
    result = anomalous_votes(ts.load("ru-2012-president"), n_boot=50, rng=0)
    assert sum(r.anomalous_votes for r in result.by_region) == pytest.approx(
        result.estimate, rel=1e-3
    )


def test_same_seed_same_result():
    e = generate(5_000, fraud=Fraud(f_e=0.02, alpha=np.inf), rng=1).election
    assert (
        anomalous_votes(e, n_boot=200, rng=7).to_dict()
        == anomalous_votes(e, n_boot=200, rng=7).to_dict()
    )


@pytest.mark.parametrize("mode", ["independent", "realistic"])
def test_clean_synthetic_elections_are_not_flagged(mode):
    flagged = []
    for seed in range(60):
        e = generate(10_000, heterogeneity=Heterogeneity(mode=mode), rng=seed).election
        result = anomalous_votes(e, n_boot=200, rng=seed)
        assert result.p_value > 0.05  # the 1 % materiality margin is never in doubt
        flagged.append(result.interval[0] > 0)  # the interval alone: about 5 %
    assert np.mean(flagged) <= 0.07


@pytest.mark.parametrize("mode", ["independent", "realistic"])
def test_planted_stuffing_recovered_within_interval(mode):
    covered = []
    for seed in range(30):
        s = generate(
            10_000,
            heterogeneity=Heterogeneity(mode=mode),
            fraud=Fraud(f_e=0.03, alpha=np.inf),
            rng=seed,
        )
        low, high = anomalous_votes(s.election, n_boot=200, rng=seed).interval
        covered.append(low <= s.truth.anomalous_votes <= high)
    assert np.mean(covered) >= 0.9
