"""tallyscope's own Parquet format: read_election(write_election(e)) equals e."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings

import tallyscope as ts
from tallyscope.exceptions import SchemaError
from tallyscope.io import read_election, write_election
from tallyscope.io.parquet import is_election_parquet
from tallyscope.testing.strategies import elections


@settings(max_examples=50, deadline=None)
@given(elections())
def test_write_then_read_gives_an_equal_election(election):
    with tempfile.TemporaryDirectory() as folder:
        path = write_election(election, Path(folder) / "e.parquet", compression_level=1)
        assert is_election_parquet(path)
        back = read_election(path)
        again = ts.read(path)  # recognised as tallyscope's own format
    assert back.equals(election)
    assert again.equals(election)
    assert back.stations.schema == election.stations.schema


def test_round_trip_of_a_bundled_election_with_metadata(tmp_path):
    e = ts.load("pl-2025-president-2")
    path = write_election(e, tmp_path / "pl.parquet", compression_level=1)
    back = read_election(path)
    assert back.equals(e)
    assert back.info.provenance == e.info.provenance
    assert back.leader == "Nawrocki"


def test_round_trip_keeps_nulls_kinds_and_channels(tmp_path, cec):
    empty = cec.row(
        uik="2", registered="", early="", inside="", outside="", invalid="", votes=("", "")
    )
    e = ts.read(cec.write([cec.row(uik="1"), empty]))
    back = read_election(write_election(e, tmp_path / "x.parquet"))
    assert back.equals(e)
    assert back.stations["kind"].cast(pl.String).to_list() == ["regular", "empty"]


def test_options_do_not_apply_to_tallyscope_files(tmp_path):
    path = write_election(ts.load("ge-2024-parliament"), tmp_path / "ge.parquet")
    with pytest.raises(SchemaError, match="do not apply to a tallyscope file"):
        ts.read(path, round=1)


def test_a_newer_format_version_is_refused(tmp_path):
    import json

    e = ts.load("ge-2024-parliament")
    path = tmp_path / "future.parquet"
    meta = {"format": 99, "info": e.info.to_dict(), "parties": list(e.parties)}
    e.stations.write_parquet(path, metadata={"tallyscope.election": json.dumps(meta)})
    with pytest.raises(SchemaError, match="format 99 is not 1"):
        read_election(path)
