"""Controls: the battery on the clean Polish runoff, the table as Markdown, the model columns."""

from __future__ import annotations

from tallyscope import controls as controls_module
from tallyscope.controls import controls, controls_markdown
from tallyscope.synth import Fraud, generate


def test_poland_runoff_is_not_accused():
    table = controls(["pl-2025-president-2"], sims=300, boot=100, seed=0)
    parties = table["party"].to_list()
    assert len(parties) == 2 and "Nawrocki" in parties[0] and "Trzaskowski" in parties[1]
    assert set(table["tests rejecting (Holm, 0.05)"]) == {"none"}
    assert table["clean control"].all()
    text = controls_markdown(table, sims=300, boot=100, seed=0, datasets=["pl-2025-president-2"])
    assert "`tallyscope controls pl-2025-president-2 --sims 300 --boot 100 --seed 0" in text
    assert text.count("\n| pl-2025-president-2 |") == 2


def test_model_columns_on_a_frauded_election(monkeypatch):
    election = generate(800, fraud=Fraud(f_i=0.2, f_e=0.05), rng=3).election
    monkeypatch.setattr(controls_module, "load", lambda dataset: election)
    table = controls(["synthetic"], sims=100, boot=50, seed=1, models=True)
    row = table.row(0, named=True)
    assert 0.0 <= row["Klimek f_i + f_e"] <= 1.0  # its recovery is tested in test_klimek
    assert row["mixture P(fraud)"] > 0.05
    low, high = (float(x) for x in row["mixture % interval"].split(" to "))
    assert low <= row["mixture fraudulent % of votes"] <= high
    text = controls_markdown(table, sims=100, boot=50, seed=1, models=True)
    assert "--models" in text and "Klimek f_i + f_e" in text
