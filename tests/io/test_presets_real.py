"""The shipped presets on real files (shared/data/poland, georgia; skipped where absent):
`tallyscope summary` gives the totals of each folder's README exactly, whether the format is
recognised from the header or named with --format."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

import tallyscope as ts
from tallyscope.cli import app

pytestmark = pytest.mark.shared

POLAND = {
    "2025-president-round1.csv": {
        "stations": 32_143,
        "registered": 29_251_991,
        "cast": 19_691_986,
        "valid": 19_603_446,
        "turnout": 67.32,
        "shares": {"Trzaskowski": 31.36, "Nawrocki": 29.54},
    },
    "2025-president-round2.csv": {
        "stations": 32_143,
        "registered": 29_363_322,
        "cast": 21_034_517,
        "valid": 20_843_805,
        "turnout": 71.64,
        "shares": {"Nawrocki": 50.89, "Trzaskowski": 49.11},
    },
}


def _summary(*args: str) -> tuple[dict, str]:
    result = CliRunner().invoke(app, ["summary", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def _shares(doc: dict) -> dict[str, float]:
    return {p["name"]: round(p["pct_of_valid"], 2) for p in doc["parties"]}


@pytest.mark.parametrize("how", ["recognised", "--format"])
@pytest.mark.parametrize("file", sorted(POLAND))
def test_pl_pkw_summary_gives_the_readme_totals(shared_data, file, how):
    path = str(shared_data / "poland" / file)
    doc, _ = _summary(path, *(["--format", "pl-pkw"] if how == "--format" else []))
    expected = POLAND[file]
    assert doc["stations"] == expected["stations"]
    assert doc["excluded"] == {}
    assert (doc["registered"], doc["cast"], doc["valid"]) == (
        expected["registered"],
        expected["cast"],
        expected["valid"],
    )
    assert doc["invalid"] == expected["cast"] - expected["valid"]
    assert round(doc["turnout_pct"], 2) == expected["turnout"]
    assert doc["turnout_basis"] == "cast / registered"
    shares = _shares(doc)
    for name, share in expected["shares"].items():
        assert shares[name] == share
    assert doc["format"] == {
        "name": "pl-pkw",
        "recognised": how == "recognised",
        "how": "recognised from the header" if how == "recognised" else "given with --format",
    }


@pytest.mark.parametrize("file", sorted(POLAND))
def test_pl_pkw_quirks(shared_data, file):
    e = ts.read(shared_data / "poland" / file)
    stations = e.stations
    # The key is (municipality, station number); numbers restart in every municipality.
    assert stations["station"].n_unique() < len(e)
    # 516 stations abroad and on ships have no municipality code and are kept apart.
    foreign = stations.filter(pl.col("commission").is_null())
    assert foreign.height == 516
    assert set(foreign["kind"].cast(pl.String)) <= {"abroad", "zero"}
    assert set(foreign["region"]) == {"abroad and ships"}
    registered = {"2025-president-round1.csv": 0.52e6, "2025-president-round2.csv": 0.72e6}[file]
    assert foreign["registered"].sum() == pytest.approx(registered, rel=0.01)
    assert stations.filter(pl.col("registered") == 0).height == 3
    assert stations["region"].n_unique() == 17  # 16 voivodeships + abroad
    assert e.info.provenance["derived"]["invalid"] == "cast - valid"
    over = stations.filter(pl.col("cast") > pl.col("registered"))
    assert over.height == (1 if file.endswith("round1.csv") else 0)
    assert e.flagged() == (
        {"valid + invalid exceed registered voters (no issued figure)": 1} if over.height else {}
    )


@pytest.mark.parametrize("how", ["recognised", "--format"])
def test_ge_cec_summary_gives_the_readme_totals(shared_data, how):
    path = str(shared_data / "georgia" / "2024-parliament.csv")
    doc, stderr = _summary(path, *(["--format", "ge-cec"] if how == "--format" else []))
    assert doc["stations"] == 3_095
    assert doc["registered"] == 3_494_146
    assert doc["valid"] == 2_061_317
    assert _shares(doc)["41 Georgian Dream"] == 54.27
    assert doc["format"]["name"] == "ge-cec"
    assert doc["format"]["recognised"] is (how == "recognised")
    assert stderr == ""  # --json keeps stderr quiet except for errors


@pytest.mark.parametrize(
    ("channel", "stations", "turnout", "dream"),
    [("machine", 2_256, 58.9, 53.1), ("paper", 839, 60.0, 62.8)],
)
def test_ge_cec_by_counting_channel(shared_data, channel, stations, turnout, dream):
    path = str(shared_data / "georgia" / "2024-parliament.csv")
    doc, _ = _summary(path, "--channel", channel)
    assert doc["stations"] == stations
    assert round(doc["turnout_pct"], 1) == turnout
    assert round(_shares(doc)["41 Georgian Dream"], 1) == dream


def test_ge_cec_quirks(shared_data):
    e = ts.read(shared_data / "georgia" / "2024-parliament.csv")
    stations = e.stations
    assert stations.columns[0] == "region"  # the byte-order mark did not reach a name
    # 52 precincts abroad publish no participants figure: kept, with issued null.
    no_issued = stations.filter(pl.col("issued").is_null())
    assert no_issued.height == 52
    assert set(no_issued["kind"].cast(pl.String)) == {"abroad"}
    assert not any("_ocr_" in c or c.startswith("c_") for c in stations.columns)
    assert set(stations["channel"].cast(pl.String)) == {"machine", "paper"}
    assert e.leader == "41 Georgian Dream"
