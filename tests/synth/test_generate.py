"""The synthetic generator: valid protocols, recorded truth, heterogeneity, speed of use."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import tallyscope as ts
from tallyscope.cli import app
from tallyscope.methods._stations import station_data
from tallyscope.synth import Fraud, Heterogeneity, generate


def test_clean_election_is_valid_and_seeded():
    a, b = generate(5_000, rng=3), generate(5_000, rng=3)
    assert a.election.equals(b.election)
    assert a.election.flagged() == {}
    assert a.truth.anomalous_votes == 0
    assert set(a.truth.fraud) == {"none"}


def test_truth_records_every_changed_vote():
    s = generate(20_000, fraud=Fraud(f_i=0.2, f_e=0.02, f_round=0.02, f_move=0.05), rng=1)
    leader = s.election.counts("Leader")
    np.testing.assert_array_equal(leader - s.truth.clean_leader, s.truth.stuffed + s.truth.moved)
    counts = dict(zip(*np.unique(s.truth.fraud, return_counts=True), strict=True))
    assert counts == {
        "incremental": 4_000,
        "extreme": 400,
        "rounding": 400,
        "moving": 1_000,
        "none": 14_200,
    }
    assert s.election.flagged() == {}  # fraud keeps the protocols consistent


def test_rounding_produces_whole_percentages():
    s = generate(5_000, fraud=Fraud(f_round=0.1), rng=2)
    d = station_data(s.election)
    rounded = s.truth.fraud == "rounding"
    share = 100 * d.L[rounded] / d.R[rounded]
    assert np.mean(np.abs(share - np.round(share)) < 0.05) > 0.95


@pytest.mark.parametrize("mode", ["independent", "realistic"])
def test_heterogeneity_modes(mode):
    correlations = []
    for seed in range(10):
        s = generate(5_000, heterogeneity=Heterogeneity(mode=mode), rng=seed)
        d = station_data(s.election)
        correlations.append(np.corrcoef(d.turnout, d.share)[0, 1])
        assert -0.4 <= s.truth.correlation <= 0.4
    spread = np.ptp(correlations)
    assert spread > 0.2 if mode == "realistic" else max(np.abs(correlations)) < 0.25


def test_clustered_fraud_takes_whole_commissions():
    s = generate(10_000, fraud=Fraud(f_e=0.1, clustered=True), rng=4)
    commission = s.election.stations["commission"].to_numpy()
    frauded = s.truth.fraud == "extreme"
    mixed = [c for c in np.unique(commission[frauded]) if not frauded[commission == c].all()]
    assert len(mixed) <= 1  # only the last commission can be cut


def test_evote_rows_are_electronic():
    s = generate(4_000, fraud=Fraud(evote_regions=5, evote_swing=0.1), rng=5)
    assert ts.summarize(s.election).by_kind["electronic"] == 5


def test_evote_from_stations_takes_them_off_paper():
    fraud = Fraud(f_e=0.05, evote_regions=4, evote_swing=0.05, evote_source="stations")
    s = generate(4_000, fraud=fraud, rng=6)
    stations = s.election.stations
    evote = stations["kind"].to_numpy() == "electronic"
    assert evote.sum() == 4 and s.truth.fraud.size == stations.height
    assert (s.truth.fraud == "evote").sum() == 4
    # every voter is counted once: on paper, or in the e-vote that took their station
    paper = generate(4_000, fraud=Fraud(f_e=0.05), rng=6).election.stations
    for column in ("registered", "issued", "invalid", "valid", "cast"):
        assert stations[column].sum() == paper[column].sum(), column
    kept = set(stations.filter(~pl.Series(evote))["station"].to_list())
    assert kept < set(paper["station"].to_list())  # some stations left paper for the e-vote
    # the truth follows every row: the leader's votes are its clean votes plus the fraud's
    leader = stations["Leader"].to_numpy()
    np.testing.assert_array_equal(leader, s.truth.clean_leader + s.truth.stuffed + s.truth.moved)
    # the e-vote carries the fraud planted in the stations it took, and the swing
    assert s.truth.moved[evote].sum() > 0
    with pytest.raises(ValueError, match="evote_source"):
        generate(1_000, fraud=Fraud(evote_regions=2, evote_source="mail"), rng=0)


def test_synth_command_writes_election_and_truth(tmp_path):
    out = tmp_path / "s.parquet"
    result = CliRunner().invoke(
        app, ["synth", "--stations", "2000", "--fe", "0.03", "--seed", "1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    election = ts.load(str(out))
    truth = json.loads(out.with_suffix(".truth.json").read_text())
    assert len(election) == 2_000 and truth["stations_by_fraud"]["extreme"] == 60
    assert truth["anomalous_votes"] == truth["stuffed"] + truth["moved"] > 0
