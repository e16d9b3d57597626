"""The command line: summary on bundled ids and on files, formats, mappings, filters, the
`mapping` command, and errors as one line with exit code 1."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tallyscope as ts
from tallyscope.cli import app

RUSSIA = [f"{y}.csv.zip" for y in (2004, 2007, 2008, 2011, 2012, 2016, 2020, 2021, 2024)]
RUSSIA_FILES = [*RUSSIA, "2024-electronic-voting.csv"]

PET1 = """\
OKRES,OBEC,OKRSEK,KOLO,VOL_SEZNAM,VYD_OBALKY,ODEVZ_OBAL,PL_HL_CELK,HLASY_01,HLASY_02
3100,544256,1,1,900,600,598,590,300,290
3100,544256,2,1,800,500,500,495,200,295
3100,544256,1,2,900,620,620,612,400,212
3100,544256,2,2,800,510,509,505,300,205
"""
MINE = """\
precinct_no,ward,electorate,ballots_cast,valid_votes,Green,Blue,Red
1,North,1000,600,590,300,200,90
2,North,800,500,495,100,300,95
3,South,700,400,399,99,100,200
"""


def run(*args: str) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def run_json(*args: str) -> dict:
    result = run("summary", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def fails(*args: str) -> str:
    """The one error line of a command that must fail."""
    result = run(*args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- bundled data and the Russian files ---------------------------------------------------


def test_summary_of_a_bundled_election_gives_the_official_figures():
    doc = run_json("ru-2012-president")
    assert doc["stations"] == 95_415
    assert doc["registered"] == 109_860_331
    assert doc["cast"] == 71_701_665
    assert round(doc["turnout_pct"], 2) == 65.34
    putin = next(p for p in doc["parties"] if p["name"].startswith("Путин"))
    assert (round(putin["pct_of_cast"], 2), round(putin["pct_of_valid"], 2)) == (63.60, 64.35)
    assert doc["excluded"] == {}
    assert doc["format"] == {"name": "tallyscope", "recognised": False, "how": "bundled dataset"}


def test_human_summary_says_which_format_on_stderr():
    result = run("summary", "ru-2012-president")
    assert result.exit_code == 0
    assert result.stderr.strip() == "format: tallyscope (bundled dataset)"
    assert "Russia, presidential election 2012" in result.stdout
    assert "Путин" in result.stdout


@pytest.mark.shared
@pytest.mark.parametrize("file", RUSSIA_FILES)
def test_summary_works_on_every_russian_file(shared_data, file):
    path = shared_data / "russia" / file
    doc = run_json(path)
    assert doc["format"] == {
        "name": "russia-cec",
        "recognised": True,
        "how": "recognised from the header",
    }
    if file == "2024-electronic-voting.csv":
        assert doc["stations"] == doc["by_kind"]["electronic"] == 29
        return
    bundled = ts.summarize(ts.load(f"ru-{file[:4]}-" + _kind(file)))
    extra = 29 if file.startswith("2024") else 0  # the bundled 2024 merges the e-vote file
    assert doc["stations"] == bundled.stations - extra
    assert doc["excluded"] == bundled.excluded
    if not extra:
        assert (doc["registered"], doc["cast"], doc["valid"]) == (
            bundled.registered,
            bundled.cast,
            bundled.valid,
        )
        assert {p["name"]: p["votes"] for p in doc["parties"]} == {
            p.name: p.votes for p in bundled.parties
        }


def _kind(file: str) -> str:
    year = file[:4]
    return {"2020": "referendum"}.get(
        year, "duma" if year in ("2007", "2011", "2016", "2021") else "president"
    )


@pytest.mark.shared
def test_format_given_with_the_format_option(shared_data):
    doc = run_json(shared_data / "russia" / "2012.csv.zip", "--format", "russia-cec")
    assert doc["format"]["how"] == "given with --format"
    assert doc["stations"] == 95_415
    line = fails("summary", shared_data / "russia" / "2012.csv.zip", "--format", "nope")
    assert "unknown format 'nope'" in line and "pl-pkw" in line


# -- other files: mappings, the mapping command, unrecognised headers --------------------


def test_unrecognised_header_lists_the_missing_roles_and_points_to_mapping(tmp_path):
    path = _write(tmp_path, "odd.csv", "alpha,beta\n1,2\n")
    line = fails("summary", path)
    assert "matches no known format" in line
    assert "no column looks like station, registered, valid" in line
    assert f"tallyscope mapping {path}" in line


def test_mapping_command_and_reading_with_the_mapping(tmp_path):
    path = _write(tmp_path, "mine.csv", MINE)
    result = run("mapping", path)
    assert result.exit_code == 0, result.output
    doc = tomllib.loads(result.stdout)
    assert doc["format"]["name"] == "mine"
    assert doc["columns"]["station"] == "precinct_no"
    assert doc["columns"]["registered"] == "electorate"
    assert doc["columns"]["cast"] == "ballots_cast"
    assert doc["columns"]["valid"] == "valid_votes"
    assert doc["parties"]["columns"] == ["Green", "Blue", "Red"]  # "ward" holds text
    mapping = _write(tmp_path, "mine.toml", result.stdout)
    summary = run_json(path, "--mapping", mapping)
    assert summary["stations"] == 3
    assert summary["registered"] == 2500
    assert summary["format"] == {"name": "mine", "recognised": False, "how": f"mapping {mapping}"}
    assert fails("summary", path, "--mapping", mapping, "--format", "pl-pkw").endswith("not both")


def test_mapping_command_on_a_recognised_header(tmp_path):
    result = run("mapping", _write(tmp_path, "pet1.csv", PET1))
    assert result.exit_code == 0
    assert "recognised as format 'cz-volby'" in result.stdout
    tomllib.loads(result.stdout)


def test_mapping_command_errors(tmp_path):
    assert "no such file" in fails("mapping", tmp_path / "none.csv")
    assert "the file is empty" in fails("mapping", _write(tmp_path, "e.csv", ""))


def test_mapping_errors_keep_their_brackets(tmp_path):
    path = _write(tmp_path, "mine.csv", MINE)
    mapping = _write(
        tmp_path, "m.toml", '[columns]\nstation = "precinct_no"\n[parties]\nafter = "x"\n'
    )
    line = fails("summary", path, "--mapping", mapping)
    assert "[parties] takes every column after it" in line
    bad = _write(tmp_path, "bad.toml", "[columns\n")
    assert "not valid TOML" in fails("summary", path, "--mapping", bad)
    assert "cannot read the mapping" in fails("summary", path, "--mapping", tmp_path / "no.toml")


def test_select_and_candidates_for_a_cz_volby_file(tmp_path):
    path = _write(tmp_path, "pet1.csv", PET1)
    perk = _write(tmp_path, "perk.csv", "CKAND,JMENO,PRIJMENI\n1,Jana,Nováková\n2,Petr,Svoboda\n")
    line = fails("summary", path)
    assert "several values of KOLO (1, 2)" in line and "--select round=1" in line
    doc = run_json(path, "--select", "round=2", "--candidates", perk)
    assert {p["name"]: p["votes"] for p in doc["parties"]} == {
        "Jana Nováková": 700,
        "Petr Svoboda": 417,
    }
    assert doc["format"]["name"] == "cz-volby"
    assert "write KEYWORD=VALUE" in fails("summary", path, "--select", "round")
    assert "has no filter year" in fails("summary", path, "--select", "year=2023")


def test_file_options_do_not_apply_to_bundled_data():
    line = fails("summary", "ru-2012-president", "--select", "round=1")
    assert "apply to files only" in line


# -- station filters ---------------------------------------------------------------------


def test_region_kind_channel_and_where_filters():
    everything = run_json("ge-2024-parliament")
    machine = run_json("ge-2024-parliament", "--channel", "machine")
    paper = run_json("ge-2024-parliament", "--channel", "paper")
    assert machine["stations"] + paper["stations"] == everything["stations"] == 3_095
    both = run_json("ge-2024-parliament", "--channel", "machine", "--channel", "paper")
    assert both["stations"] == 3_095
    abroad = run_json("ge-2024-parliament", "--kind", "abroad")
    assert abroad["by_kind"] == {"abroad": abroad["stations"]} and abroad["stations"] > 0
    tbilisi = run_json("ge-2024-parliament", "--region", "tbilisi")
    where = run_json("ge-2024-parliament", "--where", "region = 'Tbilisi'")
    assert tbilisi["stations"] == where["stations"] > 0
    combined = run_json("ge-2024-parliament", "--region", "Tbilisi", "--channel", "paper")
    assert combined["stations"] < tbilisi["stations"]


def test_region_matching_is_exact_then_a_unique_part():
    exact = run_json("ru-2012-president", "--region", "город москва")
    part = run_json("ru-2012-president", "--region", "Москва")  # not Московская область
    assert exact["stations"] == part["stations"] == 3_386
    regular = run_json("ru-2012-president", "--region", "Москва", "--kind", "regular")
    assert regular["by_kind"] == {"regular": regular["stations"]}
    assert "matches several regions" in fails("summary", "ru-2012-president", "--region", "область")
    assert "matches no region" in fails("summary", "ru-2012-president", "--region", "Atlantis")


def test_unknown_kind_or_channel():
    assert "choose from regular, mobile" in fails("summary", "ru-2012-president", "--kind", "robot")
    assert "choose from paper, machine, evote" in fails(
        "summary", "ge-2024-parliament", "--channel", "pigeon"
    )
    assert "cannot filter stations" in fails("summary", "ru-2012-president", "--where", "nope = 1")
    assert "no station matches the filters" in fails(
        "summary", "ru-2012-president", "--kind", "mobile"
    )


def test_summary_of_a_tallyscope_file(tmp_path):
    path = ts.write_election(ts.load("pl-2025-president-1"), tmp_path / "pl.parquet")
    doc = run_json(path)
    assert doc["format"] == {
        "name": "tallyscope",
        "recognised": True,
        "how": "recognised from the tallyscope metadata",
    }
    assert doc["stations"] == 32_143


def test_unknown_target():
    assert "neither a bundled dataset nor a file" in fails("summary", "ru-1999-nothing")


def test_datasets_lists_the_bundled_elections():
    result = run("datasets", "--json")
    assert result.exit_code == 0
    assert {r["id"] for r in json.loads(result.stdout)} >= {
        "ru-2012-president",
        "ge-2024-parliament",
    }


def test_an_unwritable_output_is_one_line_not_a_traceback(tmp_path):
    result = CliRunner().invoke(
        app, ["synth", "--stations", "200", "-o", str(tmp_path / "missing" / "s.parquet")]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "No such file or directory" in result.output


@pytest.fixture(scope="module")
def small_synthetic(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fit") / "synthetic.parquet"
    result = run(
        "synth", "--stations", "600", "--fi", "0.2", "--fe", "0.05", "--seed", "4", "-o", path
    )
    assert result.exit_code == 0, result.output
    return path


def test_fit_klimek_json(small_synthetic):
    result = run("fit", "klimek", small_synthetic, "--boot", "2", "--seed", "1", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for name in ("f_i", "f_e", "alpha", "theta"):
        assert out[name]["ci"] is not None, name
    assert {"tau", "nu", "sigma_tau", "sigma_nu"} <= set(out)
    assert 0 <= out["f_i"]["value"] + out["f_e"]["value"] <= 1
    assert out["settings"]["n_boot"] == 2 and "caveat" in out
    four = run("fit", "klimek", small_synthetic, "--boot", "2", "--sims", "4", "--json")
    assert json.loads(four.stdout)["settings"]["n_sims"] == 4
    assert run("fit", "klimek", small_synthetic, "--clean", "odd").exit_code == 1
    assert "centres" in fails("fit", "klimek", small_synthetic, "--centres", "town")
    assert "n_sims must be an even" in fails("fit", "klimek", small_synthetic, "--sims", "3")


def test_fit_mixture_json_writes_station_probabilities(small_synthetic, tmp_path):
    csv = tmp_path / "stations.csv"
    result = run("fit", "mixture", small_synthetic, "--seed", "1", "--json", "--stations-out", csv)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out["pi"]) == {"clean", "incremental", "extreme"}
    assert out["fraudulent_votes"]["ci"]["low"] <= out["fraudulent_votes"]["value"]
    assert out["station_probabilities"] == str(csv)
    header = csv.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"p_clean", "p_incremental", "p_extreme", "fraudulent_votes"} <= set(header)
    assert out["settings"]["context"] == "commission-weighted"


def test_fit_mixture_context_option(small_synthetic, tmp_path):
    csv = tmp_path / "stations.csv"
    args = ("fit", "mixture", small_synthetic, "--json", "--stations-out", csv)
    result = run(*args, "--context", "commission")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["settings"]["context"] == "commission"
    result = run(*args, "--context", "district")
    assert result.exit_code != 0
    assert "commission-weighted" in result.output


def test_report_with_models(small_synthetic, tmp_path):
    out = tmp_path / "report.html"
    result = run("report", small_synthetic, "--models", "--sims", "100", "--boot", "50", "--seed", "1", "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert 'id="models"' in html and '<h4 class="label">klimek' in html
    assert '<h4 class="label">mixture' in html and "Ferrari, McAlister" in html
    # both models' caveats are shown
    assert "clean 2025 rounds" in html and "clean 2025 first round" in html
    assert "--models" in html  # the command that reproduces the report
