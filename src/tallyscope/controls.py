"""Controls: the battery on clean elections and on the Russian series, in one table.

A method earns trust by what it says on elections whose status is known. This runs the whole
battery on each bundled clean control (both leading candidates of each Polish round) and on
every Russian federal election, and writes one row per election and candidate: each test's
Holm-corrected verdict and each estimate's size; with ``models=True`` also the fitted fraud
models (Klimek et al.'s f_i + f_e, the finite mixture's fraud classes and fraudulent votes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from tallyscope.analysis import AnalysisResult, analyze
from tallyscope.datasets import CATALOGUE, load
from tallyscope.methods.klimek import klimek_fit
from tallyscope.methods.mixture import mixture_fit
from tallyscope.model import Election
from tallyscope.results import NotApplicable

__all__ = ["CONTROLS", "controls", "controls_markdown"]

#: Clean controls: (dataset, candidates to test). Every candidate of the runoff and the two
#: leaders of the first round.
CONTROLS: dict[str, tuple[str, ...]] = {
    "pl-2025-president-1": ("Trzaskowski", "Nawrocki"),
    "pl-2025-president-2": ("Nawrocki", "Trzaskowski"),
}


def _row(dataset: str, result: AnalysisResult) -> dict[str, Any]:
    r = result.results
    row: dict[str, Any] = {
        "election": dataset,
        "clean control": dataset in CONTROLS,
        "party": result.settings["party"],
        "tests rejecting (Holm, 0.05)": ", ".join(t.name for t in result.tests if t.rejects)
        or "none",
    }
    for test in result.tests:
        row[f"p {test.name} (Holm)"] = test.p_holm
    robust, classic = r.get("anomalous_votes"), r.get("anomalous_votes_classic")
    if robust is not None and not isinstance(robust, NotApplicable):
        row["anomalous % (robust)"] = robust.anomalous_pct_of_leader
        row["anomalous % interval"] = (
            f"{robust.anomalous_pct_interval[0]:.1f} to {robust.anomalous_pct_interval[1]:.1f}"
        )
        row["robust reliable"] = robust.reliable
    if classic is not None and not isinstance(classic, NotApplicable):
        row["anomalous % (textbook)"] = classic.anomalous_pct_of_leader
    peaks = r.get("integer_peaks")
    if peaks is not None and not isinstance(peaks, NotApplicable):
        row["integer excess"] = peaks.excess["either"]
        row["integer excess / sd"] = peaks.excess["either"] / peaks.null_sd["either"]
    dependence = r.get("turnout_share")
    if dependence is not None and not isinstance(dependence, NotApplicable):
        row["r within commissions"] = dependence.within.pearson.value
    corner = r.get("fingerprint")
    if corner is not None and not isinstance(corner, NotApplicable):
        row["corner stations %"] = corner.high_corner.stations_pct
        row["corner leader votes %"] = corner.high_corner.leader_votes_pct
    return row


def _model_columns(election: Election, party: str, seed: int) -> dict[str, Any]:
    klimek = klimek_fit(election, party=party, n_boot=0, rng=seed)
    mixture = mixture_fit(election, party=party, rng=seed)
    share = mixture.fraudulent_share
    return {
        "Klimek f_i + f_e": klimek.f_i.value + klimek.f_e.value,
        "mixture P(fraud)": mixture.pi["incremental"].value + mixture.pi["extreme"].value,
        "mixture fraudulent % of votes": 100 * share.value,
        "mixture % interval": f"{100 * share.ci.low:.1f} to {100 * share.ci.high:.1f}",
    }


def controls(
    datasets: Iterable[str] | None = None,
    *,
    sims: int = 2000,
    boot: int = 500,
    seed: int = 0,
    models: bool = False,
) -> pl.DataFrame:
    """The battery on each control (both leading candidates) and each Russian election;
    ``models`` adds the fitted fraud models (a minute or two per election and candidate)."""
    chosen = (
        list(datasets)
        if datasets is not None
        else [*CONTROLS, *(d for d in CATALOGUE if d.startswith("ru-"))]
    )
    rows = []
    for dataset in chosen:
        election = load(dataset)
        for party in CONTROLS.get(dataset, (None,)):
            result = analyze(election, party=party, sims=sims, boot=boot, seed=seed)
            row = _row(dataset, result)
            if models:
                row |= _model_columns(election, result.settings["party"], seed)
            rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)


def controls_markdown(
    table: pl.DataFrame,
    *,
    sims: int,
    boot: int,
    seed: int,
    models: bool = False,
    datasets: Iterable[str] = (),
    output: str = "docs/controls.md",
) -> str:
    """The controls table as Markdown, with the command that regenerates it."""
    columns = table.columns
    options = "".join(f" {d}" for d in datasets) + (" --models" if models else "")
    lines = [
        "# Controls: the battery on clean and on disputed elections",
        "",
        f"Regenerate: `tallyscope controls{options} --sims {sims} --boot {boot} --seed {seed} -o {output}`.",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in table.iter_rows():
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2g}" if abs(value) < 0.01 and value != 0 else f"{value:.2f}"
    return str(value)
