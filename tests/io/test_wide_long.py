"""Property tests of the mapped-table loader: a random wide table and its long twin load to
the same election; a missing required column is a clear error, a missing optional one is
recorded as absent."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tallyscope.exceptions import SchemaError
from tallyscope.io import parse_mapping, read_table
from tallyscope.testing.strategies import elections, party_names

ROLES = ("registered", "issued", "cast", "valid", "invalid")
#: The wide table's column for each role (not the role's own name, to exercise the mapping).
WIDE = {
    "region": "Area",
    "station": "Precinct",
    "registered": "Voters",
    "issued": "Ballots issued",
    "cast": "Ballots in boxes",
    "valid": "Valid",
    "invalid": "Spoilt",
}
#: The long table's pseudo-choice for each role.
LABELS = {
    "registered": "Registered Voters",
    "issued": "Ballots Issued",
    "cast": "Ballots Cast",
    "valid": "Valid Votes",
    "invalid": "Invalid Votes",
}


def _csv(header: list[str], rows: list[list[object]], separator: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@st.composite
def tables(draw: st.DrawFn) -> dict:
    """An election, the roles its files publish, and its wide and long tables as text."""
    election = draw(
        elections(
            stations=st.integers(1, 12),
            parties=party_names(min_size=1, max_size=4, alphabet="ABCDEFGHKLMN"),
        )
    )
    roles = [r for r in ROLES if draw(st.booleans())]
    separator = draw(st.sampled_from([",", ";", "\t"]))
    parties = list(election.parties)
    table = election.stations
    header = [WIDE["region"], WIDE["station"]] + [WIDE[r] for r in roles] + parties
    wide_rows = table.select(["region", "station", *roles, *parties]).rows()
    long_rows = [
        [row["region"], row["station"], label, row[role]]
        for row in table.iter_rows(named=True)
        for role, label in [(r, LABELS[r]) for r in roles] + [(p, p) for p in parties]
    ]
    order = draw(st.permutations(range(len(long_rows))))
    long_rows = [long_rows[i] for i in order]
    return {
        "roles": roles,
        "parties": parties,
        "separator": separator,
        "wide": _csv(header, [list(r) for r in wide_rows], separator),
        "long": _csv(["region", "station", "choice", "votes"], long_rows, separator),
    }


def _wide_mapping(roles: list[str], parties: list[str]):
    columns = {"region": WIDE["region"], "station": WIDE["station"]}
    columns |= {r: WIDE[r] for r in roles}
    return parse_mapping({"columns": columns, "parties": {"columns": parties}})


LONG_MAPPING = parse_mapping(
    {
        "columns": {"region": "region", "station": "station"},
        "long": {"choice": "choice", "votes": "votes", "roles": {v: k for k, v in LABELS.items()}},
    }
)


def _load(text: str, mapping, folder: Path, name: str):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return read_table(path, mapping)


def _comparable(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    return frame.drop("row").select(columns).sort("region", "station")


@settings(max_examples=60, deadline=None)
@given(tables())
def test_wide_table_and_its_long_twin_load_the_same(case):
    with tempfile.TemporaryDirectory() as folder:
        wide = _load(
            case["wide"], _wide_mapping(case["roles"], case["parties"]), Path(folder), "wide.csv"
        )
        long = _load(case["long"], LONG_MAPPING, Path(folder), "long.csv")
    assert set(long.parties) == set(wide.parties)
    columns = [c for c in wide.stations.columns if c != "row"]
    assert sorted(columns) == sorted(c for c in long.stations.columns if c != "row")
    left, right = _comparable(wide.stations, columns), _comparable(long.stations, columns)
    assert left.equals(right), (left, right)
    assert wide.info.provenance["derived"] == long.info.provenance["derived"]


@settings(max_examples=40, deadline=None)
@given(tables(), st.data())
def test_dropping_a_wide_column(case, data):
    roles, parties = case["roles"], case["parties"]
    mapping = _wide_mapping(roles, parties)
    frame = pl.read_csv(io.StringIO(case["wide"]), separator=case["separator"], infer_schema=False)
    dropped = data.draw(
        st.sampled_from([WIDE["region"], WIDE["station"], *[WIDE[r] for r in roles]])
    )
    text = frame.drop(dropped).write_csv(separator=case["separator"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wide.csv"
        path.write_text(text, encoding="utf-8")
        if dropped in (WIDE["region"], WIDE["station"]):
            with pytest.raises(SchemaError, match="a station identifier") as caught:
                read_table(path, mapping)
            assert (caught.value.row, caught.value.column) == (1, dropped)
            return
        election = read_table(path, mapping)  # loads: a count role is optional
    role = next(r for r in roles if WIDE[r] == dropped)
    assert election.info.provenance["absent"] == {role: dropped}
    assert len(election) == frame.height


@settings(max_examples=30, deadline=None)
@given(tables(), st.data())
def test_dropping_a_pseudo_choice_of_a_long_table(case, data):
    if not case["roles"]:
        return
    role = data.draw(st.sampled_from(case["roles"]))
    lines = case["long"].splitlines(keepends=True)
    kept = [
        line
        for line in lines
        if f"{case['separator']}{LABELS[role]}{case['separator']}" not in line
    ]
    with tempfile.TemporaryDirectory() as folder:
        election = _load("".join(kept), LONG_MAPPING, Path(folder), "long.csv")
    published = [r for r in case["roles"] if r != role]
    assert election.info.provenance["absent"] == {
        r: repr(LABELS[r]) for r in ROLES if r not in published
    }
    assert role not in election.info.provenance["long"].values()
    assert len(election) == len(case["wide"].splitlines()) - 1
