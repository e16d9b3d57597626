"""build_election: derived roles, kinds that follow from the figures, identity flags, and the
errors for tables no protocol can be."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import tallyscope as ts
from tallyscope.exceptions import SchemaError
from tallyscope.model import Check, ElectionInfo, build_election, combine

INFO = ElectionInfo(country="XX", date="2000-01-01", kind="test", name="test")


def _frame(**columns) -> pl.DataFrame:
    ids = {"region": ["A", "A", "B"], "station": ["1", "2", "1"]}
    counts = {k: pl.Series(k, v, dtype=pl.Int64) for k, v in columns.items()}
    return pl.DataFrame(ids).with_columns(counts.values())


def test_valid_cast_and_invalid_are_derived_and_recorded():
    e = build_election(_frame(registered=[10, 10, 10], x=[3, 4, 0], y=[1, 1, 0]), ["x", "y"], INFO)
    assert e.stations["valid"].to_list() == [4, 5, 0]
    assert e.stations["cast"].to_list() == [4, 5, 0]
    assert e.info.provenance["derived"] == {
        "valid": "sum of party votes",
        "cast": "valid (no invalid-ballot figure published)",
    }
    e = build_election(_frame(cast=[5, 6, 1], valid=[4, 5, 0], x=[4, 5, 0]), ["x"], INFO)
    assert e.stations["invalid"].to_list() == [1, 1, 1]
    assert e.info.provenance["derived"] == {"invalid": "cast - valid"}


def test_issued_is_summed_from_its_parts_only_when_all_are_published():
    frame = _frame(
        issued_early=[1, 0, None],
        issued_station=[5, 5, 5],
        issued_outside=[0, 1, 1],
        valid=[6, 6, 6],
        invalid=[0, 0, 0],
        x=[6, 6, 6],
    )
    e = build_election(frame, ["x"], INFO)
    assert e.stations["issued"].to_list() == [6, 6, None]


def test_kinds_empty_and_zero_follow_from_the_figures():
    frame = _frame(
        registered=[None, 0, 10], valid=[None, 0, 0], invalid=[None, 0, 0], x=[None, 0, 0]
    )
    e = build_election(frame, ["x"], INFO)
    assert e.stations["kind"].cast(pl.String).to_list() == ["empty", "zero", "zero"]
    s = ts.summarize(e)
    assert s.excluded == {"empty: no figures published": 1}
    assert s.stations == 2


def test_identity_checks_flag_but_keep_stations():
    frame = _frame(
        registered=[10, 10, 10],
        issued=[8, 12, 5],
        valid=[7, 7, 6],
        invalid=[1, 0, 0],
        boxes=[8, 6, 6],
        x=[7, 6, 6],
    )
    e = build_election(frame, ["x"], INFO)
    assert len(e) == 3
    assert e.flagged() == {
        Check.VOTES_SUM.value: 1,
        Check.BOXES.value: 1,
        Check.ISSUED_OVER_REGISTERED.value: 1,
        Check.CAST_OVER_ISSUED.value: 1,
    }


def test_errors_for_tables_no_protocol_can_be():
    good = _frame(valid=[1, 2, 3], x=[1, 2, 3])
    with pytest.raises(SchemaError, match="no party or candidate columns"):
        build_election(good, [], INFO)
    with pytest.raises(SchemaError, match="clash with reserved column names"):
        build_election(good.rename({"x": "kind"}), ["kind"], INFO)
    with pytest.raises(SchemaError, match="party columns missing"):
        build_election(good, ["y"], INFO)
    with pytest.raises(SchemaError, match="counts must be integers") as caught:
        build_election(good.with_columns(pl.col("x").cast(pl.Float64)), ["x"], INFO)
    assert caught.value.column == "x"
    with pytest.raises(SchemaError, match="negative count -2") as caught:
        build_election(good.with_columns(x=pl.Series([1, -2, 3])), ["x"], INFO, source="f.csv")
    assert (caught.value.file, caught.value.row, caught.value.column) == ("f.csv", 3, "x")
    with pytest.raises(SchemaError, match="negative count") as caught:
        build_election(_frame(cast=[1, 1, 1], valid=[1, 2, 1], x=[1, 2, 1]), ["x"], INFO)
    assert caught.value.column == "invalid"
    twice = good.with_columns(station=pl.Series(["1", "1", "1"]), region=pl.Series(["A", "A", "B"]))
    with pytest.raises(SchemaError, match=r"duplicate station key \(region='A', station='1'\)"):
        build_election(twice, ["x"], INFO)
    with pytest.raises(SchemaError, match="no station identifier"):
        build_election(good.drop("region", "station"), ["x"], INFO)


def test_combine_merges_tables_of_one_vote():
    a = build_election(_frame(valid=[1, 2, 3], x=[1, 2, 3]), ["x"], INFO)
    b = build_election(
        pl.DataFrame({"region": ["C"], "station": ["9"], "valid": [4], "x": [4]}), ["x"], INFO
    )
    both = combine([a, b], INFO)
    assert len(both) == 4 and both.stations["x"].sum() == 10
    with pytest.raises(SchemaError, match="parties differ"):
        combine([a, build_election(_frame(valid=[1, 2, 3], y=[1, 2, 3]), ["y"], INFO)], INFO)


def test_selection_counts_what_it_leaves_out():
    frame = _frame(
        registered=[None, 0, 10], valid=[None, 0, 5], invalid=[None, 0, 0], x=[None, 0, 5]
    )
    selection = build_election(frame, ["x"], INFO).select()
    assert len(selection.election) == 1
    assert selection.excluded == {"kind: empty": 1, "kind: zero": 1}


def test_filter_with_a_bad_condition_is_a_tallyscope_error():
    e = build_election(_frame(valid=[1, 2, 3], x=[1, 2, 3]), ["x"], INFO)
    with pytest.raises(ts.exceptions.TallyscopeError, match="cannot filter stations"):
        e.filter("nothing = 1")
    assert len(e.filter("region = 'A'")) == 2


def test_hypothesis_stays_an_optional_test_dependency():
    src = Path(ts.__file__).parent
    imports = re.compile(r"^\s*(from|import)\s+(hypothesis|tallyscope\.testing)\b", re.MULTILINE)
    importers = [
        p.relative_to(src).as_posix()
        for p in src.rglob("*.py")
        if "testing" not in p.relative_to(src).parts and imports.search(p.read_text("utf-8"))
    ]
    assert importers == []
    code = (
        "import sys, tallyscope, tallyscope.io, tallyscope.cli; print('hypothesis' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
