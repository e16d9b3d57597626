"""The ``tallyscope`` command line: thin wrappers around the public API."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

import tallyscope
from tallyscope.exceptions import TallyscopeError
from tallyscope.results import Summary, to_jsonable

app = typer.Typer(
    name="tallyscope",
    help="Election forensics from polling-station protocols.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

Target = Annotated[
    str, typer.Argument(help="A bundled dataset id (see `tallyscope datasets`) or a file path.")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")]
FormatOption = Annotated[
    str | None, typer.Option("--format", help="Input format (default: recognised from the header).")
]
WhereOption = Annotated[
    str | None,
    typer.Option(
        "--where", help="Keep stations matching a SQL condition, e.g. \"region = 'Город Москва'\"."
    ),
]


def _domain_errors(function: F) -> F:
    """Print tallyscope's errors as one line and exit 1, without a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except TallyscopeError as error:
            err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


def _print_json(result: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(result), ensure_ascii=False, indent=2) + "\n")


def load_target(
    target: str, *, format: str | None = None, where: str | None = None
) -> tallyscope.Election:
    """Load a dataset id or a path, with a spinner, then apply ``--where``."""
    with err_console.status(f"loading {target}", spinner="dots"):
        election = tallyscope.load(target, format=format)
    return election.filter(where) if where else election


@app.command()
@_domain_errors
def datasets(as_json: JsonFlag = False) -> None:
    """List the bundled elections."""
    records = tallyscope.list_datasets()
    if as_json:
        _print_json(records)
        return
    table = Table(title="Bundled elections")
    for column in ("id", "name", "date", "stations", "MB"):
        table.add_column(column, justify="right" if column in ("stations", "MB") else "left")
    for r in records:
        table.add_row(r["id"], r["name"], r["date"], f"{r['rows']:,}", f"{r['bytes'] / 1e6:.1f}")
    console.print(table)


@app.command()
@_domain_errors
def summary(
    target: Target,
    as_json: JsonFlag = False,
    format: FormatOption = None,
    where: WhereOption = None,
) -> None:
    """National totals: stations by kind, registered voters, ballots, turnout, each party's share."""
    result = tallyscope.summarize(load_target(target, format=format, where=where))
    if as_json:
        _print_json(result)
    else:
        _print_summary(result)


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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
