"""The calibration harness on a small run (the full table is docs/calibration.md)."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from tallyscope.cli import app
from tallyscope.synth.calibrate import (
    CALIBRATED,
    SCENARIOS,
    SEED_CAP,
    _applies,
    calibrate,
    select_scenarios,
)

#: The tests that run on the paper-station scenarios (the e-vote test has its own).
TESTS = [name for name in CALIBRATED if name not in SEED_CAP and _applies(name, SCENARIOS[0])]


def test_small_calibration_table():
    table = calibrate(seeds=4, n_stations=3_000, scenarios=SCENARIOS[:3], methods=TESTS, workers=1)
    assert table.height == 3 * len(TESTS)
    clean = table.filter(table["clean"])
    assert (clean["flag_rate"] <= 0.5).all()
    stuffing = table.filter(
        (table["scenario"] == SCENARIOS[2].name) & (table["method"] == "anomalous_votes")
    )
    assert stuffing["coverage"][0] >= 0.5


def test_calibrate_command_writes_markdown(tmp_path):
    out = tmp_path / "calibration.md"
    result = CliRunner().invoke(app, ["calibrate", "--seeds", "2", "--stations", "1000", "--method", "integer_peaks",
                                      "--workers", "1", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "--method integer_peaks" in text and "| clean, textbook | integer_peaks |" in text


def test_fitted_models_run_on_capped_seeds(monkeypatch):
    monkeypatch.setitem(SEED_CAP, "klimek", 1)
    incremental = SCENARIOS[5]  # incremental fraud at 30 % of stations
    table = calibrate(seeds=2, n_stations=2_000, scenarios=[incremental], methods=["klimek", "integer_peaks"], workers=1)  # fmt: skip
    seeds = dict(zip(table["method"], table["seeds"], strict=True))
    assert seeds == {"klimek": 1, "integer_peaks": 2}
    klimek = table.filter(table["method"] == "klimek")
    assert klimek["flag_rate"][0] == 1.0  # f_i + f_e above 0.05


def test_scenarios_chosen_by_prefix_and_model_seeds_set():
    clean = select_scenarios(["clean"])
    assert [s.name for s in clean][:2] == ["clean, textbook", "clean, realistic"]
    assert all(s.clean for s in clean) and len(clean) == 4  # and the two clean e-vote ones
    table = calibrate(seeds=2, n_stations=1_500, scenarios=clean[:1], methods=["klimek", "last_digit"], workers=1, model_seeds=2)  # fmt: skip
    assert dict(zip(table["method"], table["seeds"], strict=True)) == {"klimek": 2, "last_digit": 2}


def test_evote_test_runs_on_the_evote_scenarios_only():
    evote_scenarios = [s for s in SCENARIOS if s.fraud.evote_regions]
    run = {"seeds": 6, "n_stations": 3_000, "methods": ["evote", "last_digit"], "workers": 1}
    table = calibrate(scenarios=[SCENARIOS[1], *evote_scenarios], **run)
    methods = dict(zip(table["scenario"], table["method"], strict=True))
    assert methods[SCENARIOS[1].name] == "last_digit" and table.height == 1 + len(evote_scenarios)
    clean = table.filter(table["clean"] & (table["method"] == "evote"))
    assert clean.height == 2 and (clean["flag_rate"] <= 0.34).all()
    swing = table.filter(table["scenario"] == "e-vote swing of 10% of its votes").row(0, named=True)
    assert swing["flag_rate"] >= 0.5  # 10 % of the e-vote's votes moved is seen
    assert swing["coverage"] >= 0.5 and abs(swing["mean_error_pct"]) < 25


def test_unknown_scenario_is_a_clear_error():
    result = CliRunner().invoke(app, ["calibrate", "--seeds", "1", "--scenario", "nothing like it"])
    assert result.exit_code != 0
    assert "no scenario starts with" in result.output


def test_worker_processes_reproduce_the_serial_table_and_restore_the_environment():
    before = os.environ.get("NUMBA_NUM_THREADS")
    run = {"seeds": 2, "n_stations": 2_000, "scenarios": SCENARIOS[:1], "methods": ["integer_peaks", "last_digit"]}  # fmt: skip
    assert calibrate(**run, workers=2).equals(calibrate(**run, workers=1))
    assert os.environ.get("NUMBA_NUM_THREADS") == before
