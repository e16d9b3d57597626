"""Commands that fit a fraud model: `fit klimek`, `fit mixture`."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tallyscope.cli._common import (
    BootOption,
    JsonFlag,
    LoadOptions,
    PartyOption,
    SeedOption,
    Target,
    app,
    console,
    domain_errors,
    err_console,
    load_target,
    loads_election,
    print_json,
)
from tallyscope.methods.klimek import KlimekResult, klimek_fit
from tallyscope.methods.mixture import CONTEXTS, MixtureResult, mixture_fit
from tallyscope.results import Estimate

#: The mixture model's choices of what a station's clean centre depends on.
MixtureContext = StrEnum("MixtureContext", {c.replace("-", "_"): c for c in CONTEXTS})

fit_app = typer.Typer(
    help="Fit a fraud model to an election: klimek (Klimek et al. 2012) or mixture (eforensics).",
    no_args_is_help=True,
)
app.add_typer(fit_app, name="fit")


@fit_app.command(name="klimek")
@domain_errors
@loads_election
def klimek_command(
    target: Target,
    as_json: JsonFlag = False,
    boot: BootOption = 20,
    seed: SeedOption = None,
    party: PartyOption = None,
    bin_width: Annotated[
        float, typer.Option("--bin-width", help="Histogram bin width (fraction; 0.01 = 1 pp).")
    ] = 0.01,
    clean: Annotated[
        str,
        typer.Option("--clean", help="Clean model: correlated (default) or independent (paper)."),
    ] = "correlated",
    centres: Annotated[
        str,
        typer.Option(
            "--centres",
            help="Clean centres: commission (default), region, or pooled (the paper's one cloud).",
        ),
    ] = "commission",
    sims: Annotated[
        int,
        typer.Option(
            "--sims",
            help="Simulated copies of the election per evaluation (even; 16 halves the "
            "simulation noise of f_i at twice the time, but flags clean elections more often).",
            min=2,
        ),
    ] = 8,
    *,
    load: LoadOptions,
) -> None:
    """Klimek et al. (2012): fractions of incremental and extreme fraud, with intervals."""
    election = load_target(target, load)
    with err_console.status("fitting the Klimek model", spinner="dots"):
        result = klimek_fit(
            election,
            party=party,
            n_boot=boot,
            bin_width=bin_width,
            clean=clean,
            centres=centres,
            n_sims=sims,
            rng=seed,
        )
    print_json(result) if as_json else _print_klimek(result)


@fit_app.command(name="mixture")
@domain_errors
@loads_election
def mixture_command(
    target: Target,
    as_json: JsonFlag = False,
    seed: SeedOption = None,
    party: PartyOption = None,
    stations_out: Annotated[
        Path,
        typer.Option(
            "--stations-out",
            help="Where to write every station's class probabilities (CSV, or .parquet).",
        ),
    ] = Path("mixture-stations.csv"),
    context: Annotated[
        MixtureContext,
        typer.Option(
            "--context",
            help="What a station's clean centre depends on (docs/methods/mixture.md).",
        ),
    ] = MixtureContext.commission_weighted,
    *,
    load: LoadOptions,
) -> None:
    """Finite mixture (eforensics): class probabilities, fraudulent votes, every station's."""
    election = load_target(target, load)
    with err_console.status("fitting the mixture model", spinner="dots"):
        result = mixture_fit(election, party=party, rng=seed, context=context.value)
    path = result.write_station_probabilities(stations_out)
    if as_json:
        print_json(result.to_dict() | {"station_probabilities": str(path)})
        return
    _print_mixture(result)
    err_console.print(f"station probabilities: {escape(str(path))}")


def _estimate(estimate: Estimate, digits: int = 3) -> str:
    text = f"{estimate.value:.{digits}f}"
    if estimate.ci is not None:
        text += f"  ({estimate.ci.low:.{digits}f} to {estimate.ci.high:.{digits}f})"
    return text


def _print_klimek(result: KlimekResult) -> None:
    table = Table(title=f"Klimek et al. model for {escape(result.party)}", title_justify="left")
    table.add_column("parameter")
    table.add_column("estimate (interval)")
    for name in ("f_i", "f_e", "theta", "alpha", "tau", "nu", "sigma_tau", "sigma_nu", "rho"):
        table.add_row(name, _estimate(getattr(result, name)))
    console.print(table)
    verdict = "fraud components needed" if result.fraud_detected else "no fraud component needed"
    console.print(
        f"{verdict}: f_i + f_e = {result.f_i.value + result.f_e.value:.3f} "
        f"(threshold {result.threshold}); {result.stations_included:,} stations"
    )
    console.print(f"[dim]{escape(result.caveat)}[/dim]")


def _print_mixture(result: MixtureResult) -> None:
    table = Table(title=f"Finite-mixture model for {escape(result.party)}", title_justify="left")
    table.add_column("")
    table.add_column("estimate (interval)")
    for name, estimate in result.pi.items():
        table.add_row(f"P({name})", _estimate(estimate, 4))
    table.add_row("fraudulent votes", _estimate(result.fraudulent_votes, 0))
    table.add_row("share of the party's votes", _estimate(result.fraudulent_share, 4))
    console.print(table)
    console.print(f"{result.stations_included:,} stations; converged: {result.converged}")
    console.print(f"[dim]{escape(result.caveat)}[/dim]")
