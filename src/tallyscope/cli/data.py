"""Commands about the data: `datasets`, `summary`, `mapping`."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

import tallyscope
from tallyscope.cli._common import (
    JsonFlag,
    LoadOptions,
    Target,
    app,
    console,
    domain_errors,
    err_console,
    load_target,
    loads_election,
    print_json,
    target_format,
)
from tallyscope.results import Summary, to_jsonable


@app.command()
@domain_errors
def datasets(as_json: JsonFlag = False) -> None:
    """List the bundled elections."""
    records = tallyscope.list_datasets()
    if as_json:
        print_json(records)
        return
    table = Table(title="Bundled elections")
    for column in ("id", "name", "date", "stations", "MB"):
        table.add_column(column, justify="right" if column in ("stations", "MB") else "left")
    for r in records:
        table.add_row(r["id"], r["name"], r["date"], f"{r['rows']:,}", f"{r['bytes'] / 1e6:.1f}")
    console.print(table)


@app.command()
@domain_errors
@loads_election
def summary(target: Target, as_json: JsonFlag = False, *, load: LoadOptions) -> None:
    """National totals: stations by kind, registered voters, ballots, turnout, each party's share."""
    election = load_target(target, load)
    used = target_format(target, load)
    result = tallyscope.summarize(election)
    if as_json:
        print_json(to_jsonable(result) | {"format": used})
    else:
        err_console.print(escape(f"format: {used['name']} ({used['how']})"), highlight=False)
        _print_summary(result)


@app.command(name="mapping")
@domain_errors
def mapping_command(
    file: Annotated[Path, typer.Argument(help="A CSV, zipped CSV or Parquet file.")],
    name: Annotated[str | None, typer.Option("--name", help="The format's name.")] = None,
) -> None:
    """Print a ready-to-edit column mapping (TOML) for a file's header."""
    sys.stdout.write(tallyscope.io.suggest_file_mapping(file, name=name))


def _print_summary(s: Summary) -> None:
    console.print(f"[bold]{s.name}[/]" + (f"  ({s.id})" if s.id else ""))
    kinds = ", ".join(f"{k} {n:,}" for k, n in s.by_kind.items())
    console.print(f"stations with figures: {s.stations:,} ({kinds})")
    for reason, n in s.excluded.items():
        console.print(f"left out of the totals: {n:,} ({reason})")
    registered = f"{s.registered:,}" if s.registered is not None else "not published"
    console.print(
        f"registered {registered}" + (f"; issued {s.issued:,}" if s.issued is not None else "")
    )
    invalid = f"{s.invalid:,}" if s.invalid is not None else "not published"
    console.print(f"cast (valid + invalid) {s.cast:,}; valid {s.valid:,}; invalid {invalid}")
    if s.turnout_pct is not None:
        console.print(f"turnout {s.turnout_pct:.2f} % ({s.turnout_basis})")
    table = Table(show_edge=False)
    table.add_column("party / candidate")
    for column in ("votes", "% of cast", "% of valid"):
        table.add_column(column, justify="right")
    for p in sorted(s.parties, key=lambda p: -p.votes):
        table.add_row(p.name, f"{p.votes:,}", f"{p.pct_of_cast:.2f}", f"{p.pct_of_valid:.2f}")
    console.print(table)
    for check, n in s.flagged.items():
        console.print(f"[yellow]flagged[/] {n:,} stations: {check}")
    for role, how in s.derived.items():
        console.print(f"derived {role} = {how}")
