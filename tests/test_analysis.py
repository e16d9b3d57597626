"""The battery: orchestration, multiple-testing correction, JSON contract, ranking."""

from __future__ import annotations

import json

import pytest

import tallyscope as ts
from tallyscope.analysis import analyze
from tallyscope.model import build_election
from tallyscope.synth import Fraud, generate


@pytest.fixture(scope="module")
def russia_2012():
    return analyze(ts.load("ru-2012-president"), sims=1000, boot=200, seed=1)


def test_json_contract(russia_2012):
    doc = json.loads(json.dumps(russia_2012.to_dict(), ensure_ascii=False))
    peaks = doc["integer_peaks"]
    for key in ("observed", "null_mean", "null_sd", "excess"):
        assert set(peaks[key]) >= {"either", "share", "turnout"}
    assert {"stations_included", "p_value"} <= set(peaks)
    anomalous = doc["anomalous_votes"]
    assert {"estimate", "interval", "clean_share_pct", "official_share_pct", "core"} <= set(
        anomalous
    )
    assert len(anomalous["interval"]) == 2
    assert doc["ranking"]["regions"]


def test_russia_is_flagged(russia_2012):
    rejected = {t.name for t in russia_2012.tests if t.rejects}
    assert {"integer_peaks", "anomalous_votes"} <= rejected
    assert "reject" in russia_2012.verdict


@pytest.mark.parametrize("dataset", ["pl-2025-president-1", "pl-2025-president-2"])
def test_poland_is_not_accused(dataset):
    result = analyze(ts.load(dataset), sims=1000, boot=200, seed=1)
    assert not any(t.rejects for t in result.tests), result.verdict
    assert result.verdict.startswith("None of the")


def test_same_seed_same_numbers():
    e = generate(3_000, fraud=Fraud(f_e=0.02), rng=2).election
    a = analyze(e, sims=200, boot=100, seed=5).to_dict()
    b = analyze(e, sims=200, boot=100, seed=5).to_dict()
    a.pop("timings_s"), b.pop("timings_s")
    assert a == b


def test_methods_needing_registered_voters_are_not_applicable():
    e = generate(500, rng=1).election
    table = e.stations.drop("registered", "flags")
    no_registered = build_election(table, e.parties, e.info)
    result = analyze(no_registered, sims=100, boot=50, seed=1)
    assert result.results["integer_peaks"].status == "not applicable"
    assert "registered" in result.results["integer_peaks"].reason
    assert result.results["anomalous_votes"].status == "not applicable"
    # the digit tests and the share spikes need no registered voters
    assert {t.name for t in result.tests} == {"last-digit", "second-digit", "spikes"}
