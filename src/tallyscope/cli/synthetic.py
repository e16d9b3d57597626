"""Commands that check the methods: `synth`, `calibrate`, `controls`."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tallyscope.cli._common import (
    JsonFlag,
    SeedOption,
    app,
    console,
    domain_errors,
    err_console,
    print_json,
)
from tallyscope.controls import controls, controls_markdown
from tallyscope.exceptions import TallyscopeError
from tallyscope.synth import Fraud, Heterogeneity, generate
from tallyscope.synth.calibrate import (
    CALIBRATED,
    SCENARIOS,
    SEED_CAP,
    calibrate,
    select_scenarios,
    to_markdown,
)


@app.command(name="synth")
@domain_errors
def synth_command(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The election file to write (.parquet).")
    ],
    stations: Annotated[
        int, typer.Option("--stations", help="Number of polling stations.", min=1)
    ] = 10_000,
    regions: Annotated[int, typer.Option("--regions", help="Number of regions.", min=1)] = 20,
    parties: Annotated[
        int, typer.Option("--parties", help="Number of parties (the first leads).", min=2)
    ] = 4,
    mode: Annotated[
        str,
        typer.Option("--mode", help="Clean heterogeneity: realistic (correlated) or independent."),
    ] = "realistic",
    fi: Annotated[
        float,
        typer.Option("--fi", help="Share of stations with incremental stuffing.", min=0, max=1),
    ] = 0.0,
    fe: Annotated[
        float, typer.Option("--fe", help="Share of stations with extreme stuffing.", min=0, max=1)
    ] = 0.0,
    rounding: Annotated[
        float,
        typer.Option(
            "--round", help="Share of protocols rewritten to whole percentages.", min=0, max=1
        ),
    ] = 0.0,
    move: Annotated[
        float,
        typer.Option(
            "--move",
            help="Share of stations where 30 % of other votes go to the leader.",
            min=0,
            max=1,
        ),
    ] = 0.0,
    evote_regions: Annotated[
        int, typer.Option("--evote-regions", help="Regions with an e-vote pseudo-station.", min=0)
    ] = 0,
    swing: Annotated[
        float, typer.Option("--swing", help="The e-vote's extra leader share.", min=0, max=1)
    ] = 0.0,
    seed: SeedOption = None,
) -> None:
    """Write a synthetic election with known fraud, and its truth beside it
    (FILE.truth.json totals, FILE.truth.parquet per station)."""
    if output.suffix.lower() != ".parquet":
        raise TallyscopeError(f"{output}: the election is written as Parquet; name it *.parquet")
    if mode not in ("realistic", "independent"):
        raise TallyscopeError(f"--mode {mode!r}: choose realistic or independent")
    fraud = Fraud(
        f_i=fi,
        f_e=fe,
        f_round=rounding,
        f_move=move,
        evote_regions=evote_regions,
        evote_swing=swing,
    )
    try:
        synthetic = generate(
            stations,
            n_regions=regions,
            n_parties=parties,
            heterogeneity=Heterogeneity(mode=mode),
            fraud=fraud,
            rng=seed,
        )
    except ValueError as error:
        raise TallyscopeError(str(error)) from None
    path, truth = synthetic.write(output)
    totals = synthetic.truth.totals()
    console.print(
        f"wrote {escape(str(path))} ({len(synthetic.election):,} stations) and {escape(str(truth))}: "
        f"{totals['anomalous_votes']:,} anomalous leader votes planted "
        f"({totals['stuffed']:,} stuffed, {totals['moved']:,} moved)"
    )


@app.command(name="calibrate")
@domain_errors
def calibrate_command(
    seeds: Annotated[
        int, typer.Option("--seeds", help="Synthetic elections per scenario.", min=1)
    ] = 200,
    stations: Annotated[
        int, typer.Option("--stations", help="Stations per synthetic election.", min=100)
    ] = 10_000,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method", help=f"Methods to calibrate (default all: {', '.join(CALIBRATED)})."
        ),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            help="Scenarios whose name starts with this (e.g. clean); default all.",
        ),
    ] = None,
    model_seeds: Annotated[
        int | None,
        typer.Option(
            "--model-seeds",
            help=f"Seeds for the fitted models (default {max(SEED_CAP.values())}).",
            min=1,
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the table as Markdown here.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes (default: up to 2).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run every method on synthetic elections, clean (textbook and realistic) and with each
    kind of fraud, and tabulate false-positive rates, power, and size recovery."""
    unknown = set(method or ()) - set(CALIBRATED)
    if unknown:
        raise TallyscopeError(f"unknown methods {sorted(unknown)}; known: {', '.join(CALIBRATED)}")
    chosen = SCENARIOS if not scenario else select_scenarios(scenario)  # ValueError: one line
    with err_console.status(f"calibrating on {seeds} seeds per scenario", spinner="dots"):
        table = calibrate(
            seeds=seeds,
            n_stations=stations,
            scenarios=chosen,
            methods=method,
            workers=workers,
            model_seeds=model_seeds,
        )
    if output is not None:
        text = to_markdown(
            table,
            seeds=seeds,
            n_stations=stations,
            methods=method,
            scenarios=scenario,
            model_seeds=model_seeds,
        )
        output.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {escape(str(output))}")
    if as_json:
        print_json(table)
    else:
        console.print(table)


@app.command(name="controls")
@domain_errors
def controls_command(
    dataset: Annotated[
        list[str] | None,
        typer.Argument(
            help="Bundled ids (default: the clean controls and every Russian election)."
        ),
    ] = None,
    sims: Annotated[int, typer.Option("--sims", min=0)] = 2000,
    boot: Annotated[int, typer.Option("--boot", min=1)] = 500,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    models: Annotated[
        bool,
        typer.Option("--models", help="Also fit the Klimek and mixture models (minutes each)."),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the table as Markdown here.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The whole battery on the clean controls (both leading candidates) and on the Russian
    series: each test's verdict and each estimate's size, one row per election and candidate."""
    with err_console.status("running the battery on every control", spinner="dots"):
        table = controls(dataset or None, sims=sims, boot=boot, seed=seed, models=models)
    if output is not None:
        text = controls_markdown(
            table,
            sims=sims,
            boot=boot,
            seed=seed,
            models=models,
            datasets=dataset or (),
            output=str(output),
        )
        output.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {escape(str(output))}")
    print_json(table) if as_json else console.print(table)
