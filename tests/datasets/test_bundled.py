"""The bundled elections load fast and carry the official totals."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tallyscope as ts
from tallyscope.datasets import CATALOGUE, registry


def test_every_catalogued_dataset_is_bundled():
    assert set(registry()) == set(CATALOGUE)


@pytest.mark.parametrize("dataset", sorted(CATALOGUE))
def test_bundled_file_matches_registry(dataset):
    election = ts.load(dataset, verify=True)
    assert len(election) == registry()[dataset]["rows"]
    assert election.info.id == dataset
    assert election.leader in election.parties


def test_president_2012_official_totals():
    s = ts.summarize(ts.load("ru-2012-president"))
    assert s.stations == 95_415
    assert s.registered == 109_860_331
    assert s.cast == 71_701_665
    assert round(s.turnout_pct, 2) == 65.34
    putin = next(p for p in s.parties if p.name.startswith("Путин"))
    assert (round(putin.pct_of_cast, 2), round(putin.pct_of_valid, 2)) == (63.60, 64.35)


def test_summary_json_contract():
    out = subprocess.run(
        [sys.executable, "-m", "tallyscope.cli", "summary", "ru-2012-president", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    doc = json.loads(out)
    for key in (
        "stations",
        "registered",
        "issued",
        "cast",
        "valid",
        "invalid",
        "turnout_pct",
        "parties",
        "excluded",
    ):
        assert key in doc
    assert doc["stations"] == 95_415
    assert {"name", "votes", "pct_of_cast", "pct_of_valid"} <= set(doc["parties"][0])


def test_2024_empty_rows_are_kept_and_counted():
    e = ts.load("ru-2024-president")
    s = ts.summarize(e)
    assert s.excluded == {"empty: no figures published": 2_268}
    assert s.by_kind["electronic"] == 29  # the regional e-vote file merged in
    assert len(e) == s.stations + 2_268


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(
        ts.exceptions.DatasetNotFoundError, match="neither a bundled dataset nor a file"
    ):
        ts.load("ru-1999-nothing")
