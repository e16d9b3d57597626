"""Fingerprints (2-D turnout × share histograms) and the 1-D histograms."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import polars as pl
import pytest

import tallyscope as ts
from tallyscope.methods.fingerprints import (
    HighCorner,
    bin_index,
    fingerprint,
    histograms,
)
from tallyscope.model import ElectionInfo, build_election
from tallyscope.synth.generate import Fraud, Heterogeneity, generate


def _election(rows: list[tuple[int, int, int, int]]):
    """Stations from (registered, issued, leader, other) with no invalid ballots."""
    V, G, A, B = (list(c) for c in zip(*rows, strict=True))
    frame = pl.DataFrame(
        {
            "region": ["R1"] * len(rows),
            "commission": [f"C{i % 3}" for i in range(len(rows))],
            "station": [str(i) for i in range(len(rows))],
            "registered": V,
            "issued": G,
            "invalid": [0] * len(rows),
            "valid": [a + b for a, b in zip(A, B, strict=True)],
            "A": A,
            "B": B,
        }
    )
    info = ElectionInfo(country="XX", date="", kind="test", name="tiny", leader="A")
    return build_election(frame, ["A", "B"], info)


def test_bin_index_is_exact_and_closes_the_last_bin():
    rng = np.random.default_rng(0)
    d = rng.integers(1, 5000, 20_000)
    x = rng.integers(0, d + 1)
    x[:100] = d[:100]  # exactly 100 %
    for n in (200, 1000, 7):
        got = bin_index(x, d, n)
        want = [min(int(Fraction(int(a) * n, int(b))), n - 1) for a, b in zip(x, d, strict=True)]
        assert np.array_equal(got, want)
    assert bin_index(np.array([7, 10, 199]), np.array([10, 10, 200]), 200).tolist() == [
        140,
        199,
        199,
    ]


def test_exact_percentages_fall_where_the_rule_says():
    # turnout 70 % exactly, 100 % exactly, 99.5 % exactly; share 100 %, 80 %, 50 %
    e = _election([(1000, 700, 700, 0), (200, 200, 160, 40), (200, 199, 100, 99)])
    r = fingerprint(e, weight="stations", bin_width=0.5)
    assert r.counts.shape == (200, 200)
    assert r.counts[140, 199] == 1  # 70 % turnout starts bin 140; 100 % share in the last bin
    assert r.counts[199, 160] == 1  # 100 % turnout in the closed last bin [99.5, 100]
    assert r.counts[199, 100] == 1  # 99.5 % turnout also in [99.5, 100]; 100/199 in [50, 50.5)
    assert r.counts.sum() == 3
    assert "closed" in r.bin_rule


def test_weights_and_totals():
    s = generate(2000, rng=1).election
    for weight, column in (("registered", "registered"), ("voters", "issued")):
        r = fingerprint(s, weight=weight)
        assert r.counts.sum() == r.total == int(s.stations[column].sum())
    r = fingerprint(s, weight="stations")
    assert r.counts.sum() == r.stations_included == 2000
    with pytest.raises(ValueError, match="weight"):
        fingerprint(s, weight="people")
    with pytest.raises(ValueError, match="divide 100"):
        fingerprint(s, bin_width=0.3)


def test_evote_and_overfull_stations_are_excluded_and_counted():
    s = generate(1000, fraud=Fraud(evote_regions=3), rng=2).election
    r = fingerprint(s)
    assert r.excluded == {"kind: electronic": 3}
    assert r.stations_included == 1000
    e = _election([(100, 120, 60, 60), (100, 50, 25, 25)])
    r = fingerprint(e, weight="stations")
    assert r.excluded["turnout above 100 %"] == 1
    assert r.stations_included == 1


def test_to_dict_is_sparse_json_and_rebuilds_the_histogram():
    r = fingerprint(generate(3000, rng=3).election)
    doc = json.loads(json.dumps(r.to_dict()))
    c = doc["counts"]
    rebuilt = np.zeros(c["shape"], dtype=np.int64)
    rebuilt[c["turnout_bin"], c["share_bin"]] = c["value"]
    assert np.array_equal(rebuilt, r.counts)
    assert doc["edges"] == {"start": 0.0, "stop": 100.0, "width": 0.5}
    assert doc["high_corner"]["min_registered"] == 100


def test_stuffing_moves_stations_to_the_high_corner():
    clean = fingerprint(generate(5000, rng=4).election).high_corner
    stuffed = fingerprint(generate(5000, fraud=Fraud(f_e=0.05), rng=4).election).high_corner
    assert clean.stations_pct < 0.5
    assert 3.0 < stuffed.stations_pct < 6.0
    assert stuffed.leader_votes_pct > clean.leader_votes_pct + 3.0


def test_histograms_sum_to_stations_and_noise_is_seeded():
    s = generate(3000, heterogeneity=Heterogeneity(mode="independent"), rng=5).election
    plain = histograms(s)
    assert plain.turnout.size == plain.share.size == 1000
    assert plain.turnout.sum() == plain.share.sum() == 3000
    a = histograms(s, noise=True, rng=7)
    b = histograms(s, noise=True, rng=7)
    c = histograms(s, noise=True, rng=8)
    assert np.array_equal(a.turnout, b.turnout) and np.array_equal(a.share, b.share)
    assert not np.array_equal(a.share, c.share)
    assert a.turnout.sum() == 3000 and a.seed == 7
    assert len(json.loads(json.dumps(a.to_dict()))["share"]) == 1000


def test_noise_removes_small_denominator_spikes():
    # 4000 stations of 200 voters: without noise every share is a multiple of 0.5 %, so only
    # one 0.1-pp bin in five is used; with noise the histogram is smooth
    rows = [
        (200, 150, int(k), 150 - int(k)) for k in np.random.default_rng(6).binomial(150, 0.4, 4000)
    ]
    e = _election(rows)
    plain = histograms(e).share
    noisy = histograms(e, noise=True, rng=1).share
    used = slice(300, 500)
    assert np.count_nonzero(plain[used]) < 0.25 * np.count_nonzero(noisy[used])


@pytest.mark.parametrize(
    ("dataset", "stations_pct", "votes_pct"),
    [
        ("pl-2025-president-1", 0.0, 0.0),
        ("pl-2025-president-2", 0.0033, 0.0042),
        ("ru-2011-duma", 8.547, 15.689),
        ("ru-2012-president", 8.729, 10.932),
        ("ru-2021-duma", 5.576, 11.144),
    ],
)
def test_high_corner_on_bundled_elections(dataset, stations_pct, votes_pct):
    r = fingerprint(ts.load(dataset))
    corner = r.high_corner
    assert isinstance(corner, HighCorner)
    assert corner.stations_pct == pytest.approx(stations_pct, abs=0.001)
    assert corner.leader_votes_pct == pytest.approx(votes_pct, abs=0.001)
    assert "kind: abroad" in r.excluded
