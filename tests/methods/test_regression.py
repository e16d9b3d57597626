"""Turnout-share dependence: correlations beside the clean range, Sobyanin-Sukhovolsky slope."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

import tallyscope as ts
from tallyscope.methods._stations import station_data
from tallyscope.methods.regression import CLEAN_RANGE, REGION_CLEAN_RANGE, turnout_share
from tallyscope.synth.generate import Fraud, Heterogeneity, generate


def _reference(election):
    """Direct computations of what the sums-based code must reproduce."""
    d = station_data(election)
    keep = (d.V >= 100) & (d.R > 0)
    t, s, c = d.turnout[keep], d.share[keep], d.commission[keep]

    def demean(x):
        return x - (np.bincount(c, x) / np.bincount(c))[c]

    u, w = d.G[keep] / d.V[keep], d.L[keep] / d.V[keep]
    return {
        "pearson": np.corrcoef(t, s)[0, 1],
        "spearman": stats.spearmanr(t, s)[0],
        "within": np.corrcoef(demean(t), demean(s))[0, 1],
        "slope": np.polyfit(u, w, 1)[0],
        "within_slope": np.polyfit(demean(u), demean(w), 1)[0],
        "n": int(keep.sum()),
    }


def test_statistics_match_direct_computation():
    e = generate(3000, rng=11).election
    r = turnout_share(e, n_boot=50, rng=1, by_region=False)
    ref = _reference(e)
    assert r.stations_included == ref["n"]
    assert r.national.pearson.value == pytest.approx(ref["pearson"], abs=1e-10)
    assert r.national.spearman.value == pytest.approx(ref["spearman"], abs=1e-10)
    assert r.within.pearson.value == pytest.approx(ref["within"], abs=1e-10)
    assert r.sobyanin_sukhovolsky.slope.value == pytest.approx(ref["slope"], abs=1e-10)
    assert r.sobyanin_sukhovolsky.within.value == pytest.approx(ref["within_slope"], abs=1e-10)
    assert r.by_region == []


def test_deterministic_given_a_seed_and_serialisable():
    e = generate(2000, rng=12).election
    a = turnout_share(e, n_boot=100, rng=3)
    b = turnout_share(e, n_boot=100, rng=3)
    c = turnout_share(e, n_boot=100, rng=4)
    assert a.to_dict() == b.to_dict()
    assert a.national.pearson.ci != c.national.pearson.ci
    doc = json.loads(json.dumps(a.to_dict()))
    assert doc["clean_range"] == list(CLEAN_RANGE)
    assert doc["national"]["pearson"]["ci"]["level"] == 0.95
    assert "descriptive" in doc["note"]
    assert len(doc["by_region"]) == 20


def test_clean_synthetic_elections_stay_inside_the_clean_range():
    # 30 seeds per mode: the flag is never raised; the independent mode's national interval
    # covers the true correlation 0 in most seeds
    covered = 0
    for seed in range(30):
        for mode in ("independent", "realistic"):
            s = generate(3000, heterogeneity=Heterogeneity(mode=mode), rng=seed)
            r = turnout_share(s.election, n_boot=200, rng=seed)
            assert not r.outside_clean_range
            assert not any(g.outside_clean_range for g in r.by_region)
            assert CLEAN_RANGE[0] < r.within.pearson.value < CLEAN_RANGE[1]
            assert not r.sobyanin_sukhovolsky.above_one
            if mode == "independent":
                covered += 0.0 in r.national.pearson.ci
    assert covered >= 25


def test_stuffing_raises_correlation_and_slope():
    for seed in range(3):
        kw = {"heterogeneity": Heterogeneity(mode="realistic", correlation=0.0), "rng": seed}
        clean = turnout_share(generate(5000, **kw).election, n_boot=100, rng=1)
        stuffed = turnout_share(
            generate(5000, fraud=Fraud(f_i=0.3), **kw).election, n_boot=100, rng=1
        )
        # same seed, same clean protocols: 30 % of stations stuffed incrementally
        assert stuffed.national.pearson.value > clean.national.pearson.value + 0.1
        assert stuffed.within.pearson.value > clean.within.pearson.value + 0.3
        ss, cs = stuffed.sobyanin_sukhovolsky, clean.sobyanin_sukhovolsky
        assert ss.slope.value > cs.slope.value + 0.15
        assert ss.others.value < cs.others.value - 0.15


def test_extreme_stuffing_is_outside_the_clean_range():
    s = generate(5000, fraud=Fraud(f_e=0.1, f_i=0.3), rng=21)
    r = turnout_share(s.election, n_boot=200, rng=1)
    assert r.outside_clean_range and r.national.outside_clean_range
    assert r.sobyanin_sukhovolsky.above_one


@pytest.mark.parametrize(
    ("dataset", "national", "within"),
    [("pl-2025-president-1", 0.213, 0.247), ("pl-2025-president-2", -0.269, -0.313)],
)
def test_polish_control_is_inside_the_clean_range(dataset, national, within):
    r = turnout_share(ts.load(dataset), n_boot=200, rng=1)
    assert r.national.pearson.value == pytest.approx(national, abs=0.001)
    assert r.within.pearson.value == pytest.approx(within, abs=0.001)
    assert not r.outside_clean_range
    assert not any(g.outside_clean_range for g in r.by_region)
    assert not r.sobyanin_sukhovolsky.above_one
    assert r.excluded["fewer than 100 registered voters"] > 1000
    assert "kind: abroad" in r.excluded


@pytest.mark.parametrize(
    ("dataset", "national", "within", "slope", "within_flag"),
    [
        ("ru-2011-duma", 0.754, 0.457, 1.183, True),
        ("ru-2012-president", 0.637, 0.357, 1.154, False),
        ("ru-2021-duma", 0.805, 0.557, 1.014, True),
    ],
)
def test_russian_elections(dataset, national, within, slope, within_flag):
    r = turnout_share(ts.load(dataset), n_boot=200, rng=1)
    assert r.national.pearson.value == pytest.approx(national, abs=0.001)
    assert r.within.pearson.value == pytest.approx(within, abs=0.001)
    assert r.sobyanin_sukhovolsky.slope.value == pytest.approx(slope, abs=0.001)
    assert r.outside_clean_range and r.national.outside_clean_range
    assert r.within.outside_clean_range is within_flag
    assert r.sobyanin_sukhovolsky.above_one
    assert any(g.outside_clean_range for g in r.by_region)
    assert REGION_CLEAN_RANGE == (-0.7, 0.7)


def test_argument_errors():
    e = generate(500, rng=1).election
    with pytest.raises(ValueError, match="n_boot"):
        turnout_share(e, n_boot=-1)
    with pytest.raises(ValueError, match="min_registered"):
        turnout_share(e, min_registered=0)
    r = turnout_share(e, n_boot=0, by_region=False)
    assert r.national.pearson.ci is None
