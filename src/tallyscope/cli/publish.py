"""Commands that publish: `report`, `compare`, `plot`.

matplotlib and jinja2 (the ``[plot]`` extra) are imported inside the commands, so the other
commands start without them.
"""

# No `from __future__ import annotations`: Typer reads these annotations at run time.

import contextlib
import secrets
import shlex
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

import tallyscope
from tallyscope.analysis import analyze
from tallyscope.cli._common import (
    LOAD_OPTIONS,
    BootOption,
    JsonFlag,
    LoadOptions,
    PartyOption,
    SeedOption,
    SimsOption,
    Target,
    app,
    console,
    domain_errors,
    err_console,
    load_target,
    loads_election,
    print_json,
)
from tallyscope.exceptions import TallyscopeError
from tallyscope.model import Kind

#: The battery methods `compare` needs.
COMPARE_METHODS = ("integer_peaks", "anomalous_votes", "anomalous_votes_classic")


class _Steps:
    """A spinner per step on stderr while it runs (cleared at the end), and each step's time."""

    def __init__(self) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self.times: dict[str, float] = {}

    def __enter__(self) -> "_Steps":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    @contextlib.contextmanager
    def step(self, description: str, name: str | None = None) -> Iterator[None]:
        task = self.progress.add_task(description, total=1)
        start = time.perf_counter()
        yield
        self.progress.update(task, completed=1)
        if name is not None:
            self.times[name] = time.perf_counter() - start

    def summary(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.times.items())


def _command_line(target: str, output: Path, options: dict[str, Any], load: LoadOptions) -> str:
    """The command that reproduces this run (loading options included)."""
    parts = ["tallyscope", "report", target, "-o", str(output)]
    for name, value in options.items():
        if value is True:
            parts.append(f"--{name}")
        elif value is not None and value is not False:
            parts += [f"--{name}", str(value)]
    for name in LOAD_OPTIONS:
        value = getattr(load, name)
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                parts += [f"--{name}", str(item)]
    return shlex.join(parts)


def _has_evote(election: tallyscope.Election) -> bool:
    return bool(
        (election.stations["kind"].cast(str) == Kind.ELECTRONIC.value).any()
        if "kind" in election.stations.columns
        else False
    )


@app.command(name="report")
@domain_errors
@loads_election
def report_command(
    target: Target,
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    sims: SimsOption = 10_000,
    boot: BootOption = 1000,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Seed of every random draw (default: drawn and recorded)."),
    ] = None,
    party: PartyOption = None,
    models: Annotated[
        bool,
        typer.Option(
            "--models", help="Also fit the Klimek and mixture fraud models (a few minutes)."
        ),
    ] = False,
    *,
    load: LoadOptions,
) -> None:
    """Run the battery (and the e-vote comparison where there is an e-vote) and write the
    forensic report: one self-contained HTML file."""
    from tallyscope.methods.evoting import evote
    from tallyscope.methods.klimek import klimek_fit
    from tallyscope.methods.mixture import mixture_fit
    from tallyscope.report import write_report

    if seed is None:
        seed = secrets.randbits(31)
    start = time.perf_counter()
    with _Steps() as steps:
        with steps.step(f"loading {escape(target)}", "loading"):
            election = load_target(target, load)
        with steps.step(
            f"running the battery on {len(election):,} stations ({sims:,} draws, {boot:,} "
            "replicates)",
            "battery",
        ):
            result = analyze(election, party=party, sims=sims, boot=boot, seed=seed)
        evote_result = None
        if _has_evote(election):
            with steps.step("comparing the e-vote with the paper vote", "e-vote"):
                evote_result = evote(
                    election, party=party, n_sims=max(sims, 1), n_boot=boot, rng=seed
                )
        fitted = {}
        if models:
            with steps.step("fitting the Klimek et al. model", "klimek"):
                fitted["klimek"] = klimek_fit(election, party=party, rng=seed)
            with steps.step("fitting the finite-mixture model", "mixture"):
                fitted["mixture"] = mixture_fit(election, party=party, rng=seed)
        with steps.step("drawing the figures and writing the report", "report"):
            options = {"sims": sims, "boot": boot, "seed": seed, "party": party, "models": models}
            command = _command_line(target, output, options, load)
            path = write_report(result, output, evote=evote_result, models=fitted, command=command)
    size = path.stat().st_size
    console.print(escape(result.verdict))
    err_console.print(
        f"wrote {escape(str(path))} ({size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s "
        f"({steps.summary()})",
        highlight=False,
    )


def _bundled_russian() -> list[str]:
    return [d["id"] for d in tallyscope.list_datasets() if str(d["id"]).startswith("ru-")]


@app.command(name="compare")
@domain_errors
def compare_command(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Bundled dataset ids or file paths (two or more)."),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every bundled Russian election (ru-*).")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="The HTML file to write (default compare.html)."),
    ] = None,
    as_json: JsonFlag = False,
    sims: SimsOption = 1000,
    boot: BootOption = 1000,
    seed: SeedOption = 0,
    party: PartyOption = None,
) -> None:
    """The integer-percentage excess and the anomalous votes of several elections on one
    chart and in one table (Kobak, Shpilkin & Pshenichnikov, Significance 2018)."""
    from tallyscope.report import indicators, write_compare

    chosen = list(targets or [])
    if all_:
        chosen += [i for i in _bundled_russian() if i not in chosen]
    if not chosen:
        raise TallyscopeError("name the elections to compare, or use --all")
    rows = []
    path = None
    with _Steps() as steps:
        for target in chosen:
            with steps.step(f"{escape(target)}: loading and testing", target):
                election = load_target(target)
                result = analyze(
                    election, party=party, sims=sims, boot=boot, seed=seed, methods=COMPARE_METHODS
                )
                rows.append(indicators(result))
        if output is not None or not as_json:
            path = output or Path("compare.html")
            parts = ["tallyscope", "compare", *(["--all"] if all_ else []), *(targets or [])]
            parts += ["-o", str(path), "--sims", str(sims), "--boot", str(boot)]
            parts += ["--seed", str(seed)] if seed is not None else []
            parts += ["--party", party] if party else []
            with steps.step(f"writing {escape(str(path))}"):
                write_compare(rows, path, command=shlex.join(parts))
    if path is not None:
        err_console.print(f"wrote {escape(str(path))} ({steps.summary()})", highlight=False)
    if as_json:
        print_json([r.to_dict() for r in rows])


class PlotKind(StrEnum):
    comet = "comet"
    shpilkin = "shpilkin"
    histograms = "histograms"
    peaks = "peaks"


@app.command(name="plot")
@domain_errors
@loads_election
def plot_command(
    figure: Annotated[
        PlotKind, typer.Argument(help="Which figure: comet, shpilkin, histograms, peaks.")
    ],
    target: Target,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The file to write: .png, .svg or .pdf.")
    ],
    party: PartyOption = None,
    boot: Annotated[
        int,
        typer.Option("--boot", help="Bootstrap replicates of the clean range (shpilkin).", min=1),
    ] = 100,
    seed: SeedOption = 0,
    dpi: Annotated[int, typer.Option("--dpi", help="Resolution of a PNG.", min=30)] = 200,
    *,
    load: LoadOptions,
) -> None:
    """Write one figure of an election (for papers): the turnout × share fingerprint, the
    votes-by-turnout curves, the 0.1-pp histograms or the integer-percentage excess."""
    from tallyscope import plots
    from tallyscope.methods.fingerprints import fingerprint, histograms
    from tallyscope.methods.integer_peaks import integer_peaks
    from tallyscope.methods.shpilkin import anomalous_votes, turnout_curves
    from tallyscope.plots._base import figure_of

    if output.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise TallyscopeError(f"-o {output}: use a .png, .svg or .pdf file name")
    election = load_target(target, load)
    with err_console.status(f"drawing the {figure.value} figure", spinner="dots"):
        if figure is PlotKind.comet:
            ax = plots.comet(fingerprint(election, party=party))
        elif figure is PlotKind.shpilkin:
            robust = anomalous_votes(election, party=party, n_boot=boot, rng=seed)
            ax = plots.shpilkin(turnout_curves(election), anomalous=robust, party=robust.party)
        elif figure is PlotKind.histograms:
            ax = plots.histograms(histograms(election, party=party))
        else:
            ax = plots.peaks(integer_peaks(election, party=party, n_sims=0, by_region=False))
        figure_of(ax).suptitle(election.info.name, x=0.01, ha="left", fontsize=8, color="#66707a")
        path = plots.save(ax, output, dpi=dpi)
    err_console.print(f"wrote {escape(str(path))}", highlight=False)
