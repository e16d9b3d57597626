"""The ``tallyscope`` command line: thin wrappers around the public API."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import tallyscope
from tallyscope.exceptions import TallyscopeError
from tallyscope.model import Channel, Kind
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
MappingOption = Annotated[
    Path | None,
    typer.Option("--mapping", help="Read the file with a column mapping (TOML; see `mapping`)."),
]
RegionOption = Annotated[
    list[str] | None,
    typer.Option("--region", help="Keep stations of a region (its name or a unique part of it)."),
]
KindOption = Annotated[
    list[str] | None,
    typer.Option("--kind", help=f"Keep stations of a kind: {', '.join(k.value for k in Kind)}."),
]
ChannelOption = Annotated[
    list[str] | None,
    typer.Option("--channel", help=f"Keep stations of a channel: {', '.join(Channel)}."),
]
SelectOption = Annotated[
    list[str] | None,
    typer.Option(
        "--select", help="Read only the rows a format's filter selects, e.g. --select round=2."
    ),
]
CandidatesOption = Annotated[
    Path | None,
    typer.Option("--candidates", help="A candidate table naming numbered candidate columns."),
]


def _domain_errors(function: F) -> F:
    """Print tallyscope's errors as one line and exit 1, without a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except TallyscopeError as error:
            err_console.print(
                f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(code=1) from None

    return wrapper  # type: ignore[return-value]


def _print_json(result: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(result), ensure_ascii=False, indent=2) + "\n")


def load_target(
    target: str,
    *,
    format: str | None = None,
    mapping: Path | None = None,
    where: str | None = None,
    region: list[str] | None = None,
    kind: list[str] | None = None,
    channel: list[str] | None = None,
    select: list[str] | None = None,
    candidates: Path | None = None,
) -> tallyscope.Election:
    """Load a dataset id or a path, with a spinner, then keep the stations that ``--where``,
    ``--region``, ``--kind`` and ``--channel`` select (each repeatable option: any of its
    values)."""
    options: dict[str, Any] = _select_options(select)
    if candidates is not None:
        options["candidates"] = candidates
    if mapping is not None:
        options["mapping"] = mapping
    if target in tallyscope.datasets.registry() and (format or options):
        raise TallyscopeError(
            f"{target!r} is a bundled dataset: --format, --mapping, --select and --candidates "
            "apply to files only"
        )
    with err_console.status(f"loading {escape(target)}", spinner="dots"):
        election = tallyscope.load(target, format=format, **options)
    if where:
        election = election.filter(where)
    if region:
        names = [_region(election, r) for r in region]
        election = election.filter(pl.col("region").is_in(names))
    for column, values, allowed in (
        ("kind", kind, [k.value for k in Kind]),
        ("channel", channel, [c.value for c in Channel]),
    ):
        if values:
            unknown = [v for v in values if v not in allowed]
            if unknown:
                raise TallyscopeError(
                    f"--{column} {unknown[0]!r}: choose from {', '.join(allowed)}"
                )
            election = election.filter(pl.col(column).cast(pl.String).is_in(values))
    if len(election) == 0:
        raise TallyscopeError(
            "no station matches the filters (--where, --region, --kind, --channel)"
        )
    return election


def _select_options(select: list[str] | None) -> dict[str, str]:
    options = {}
    for item in select or []:
        keyword, sep, value = item.partition("=")
        if not sep or not keyword.strip():
            raise TallyscopeError(f"--select {item!r}: write KEYWORD=VALUE, e.g. round=2")
        options[keyword.strip()] = value.strip()
    return options


def _region(election: tallyscope.Election, wanted: str) -> str:
    """The region called ``wanted``: the exact name (any case), else its unique part."""
    names = election.stations["region"].drop_nulls().unique().sort().to_list()
    exact = [n for n in names if n.casefold() == wanted.casefold()]
    hits = exact or [n for n in names if wanted.casefold() in n.casefold()]
    if len(hits) == 1:
        return hits[0]
    shown = ", ".join(hits[:8] if hits else names[:8]) + ", ..." * (len(hits or names) > 8)
    what = "matches several regions" if hits else "matches no region"
    raise TallyscopeError(f"--region {wanted!r} {what}: {shown}")


def target_format(
    target: str, *, format: str | None = None, mapping: Path | None = None
) -> dict[str, Any]:
    """Which format a target is read with and how it was chosen: ``name``, ``recognised``
    (true when found from the file itself) and ``how``."""
    if target in tallyscope.datasets.registry():
        return {"name": "tallyscope", "recognised": False, "how": "bundled dataset"}
    if mapping is not None:
        name = tallyscope.io.load_mapping(mapping).name
        return {"name": name, "recognised": False, "how": f"mapping {mapping}"}
    if format is not None:
        return {"name": format, "recognised": False, "how": "given with --format"}
    name = tallyscope.io.resolve_format(target)
    how = "from the tallyscope metadata" if name == "tallyscope" else "from the header"
    return {"name": name, "recognised": True, "how": f"recognised {how}"}


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
    mapping: MappingOption = None,
    where: WhereOption = None,
    region: RegionOption = None,
    kind: KindOption = None,
    channel: ChannelOption = None,
    select: SelectOption = None,
    candidates: CandidatesOption = None,
) -> None:
    """National totals: stations by kind, registered voters, ballots, turnout, each party's share."""
    election = load_target(
        target,
        format=format,
        mapping=mapping,
        where=where,
        region=region,
        kind=kind,
        channel=channel,
        select=select,
        candidates=candidates,
    )
    used = target_format(target, format=format, mapping=mapping)
    result = tallyscope.summarize(election)
    if as_json:
        _print_json(to_jsonable(result) | {"format": used})
    else:
        err_console.print(escape(f"format: {used['name']} ({used['how']})"), highlight=False)
        _print_summary(result)


@app.command(name="mapping")
@_domain_errors
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
