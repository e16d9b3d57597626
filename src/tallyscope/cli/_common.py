"""What every command shares: consoles, error handling, JSON output, loading options."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.

import dataclasses
import inspect
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

import tallyscope
from tallyscope.exceptions import TallyscopeError
from tallyscope.model import Channel, Kind
from tallyscope.results import to_jsonable

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
SeedOption = Annotated[int | None, typer.Option("--seed", help="Seed of every random draw.")]
SimsOption = Annotated[
    int, typer.Option("--sims", help="Monte Carlo draws of each simulated null.", min=0)
]
BootOption = Annotated[int, typer.Option("--boot", help="Bootstrap replicates.", min=1)]
PartyOption = Annotated[
    str | None,
    typer.Option("--party", help="The party or candidate to test (default: the leader)."),
]

# The options every command that loads an election takes (see `loads_election`).
LOAD_OPTIONS: dict[str, Any] = {
    "format": Annotated[
        str | None,
        typer.Option("--format", help="Input format (default: recognised from the header)."),
    ],
    "mapping": Annotated[
        Path | None,
        typer.Option(
            "--mapping", help="Read the file with a column mapping (TOML; see `mapping`)."
        ),
    ],
    "where": Annotated[
        str | None,
        typer.Option(
            "--where",
            help="Keep stations matching a SQL condition, e.g. \"region = 'Город Москва'\".",
        ),
    ],
    "region": Annotated[
        list[str] | None,
        typer.Option(
            "--region", help="Keep stations of a region (its name or a unique part of it)."
        ),
    ],
    "kind": Annotated[
        list[str] | None,
        typer.Option(
            "--kind", help=f"Keep stations of a kind: {', '.join(k.value for k in Kind)}."
        ),
    ],
    "channel": Annotated[
        list[str] | None,
        typer.Option("--channel", help=f"Keep stations of a channel: {', '.join(Channel)}."),
    ],
    "select": Annotated[
        list[str] | None,
        typer.Option(
            "--select", help="Read only the rows a format's filter selects, e.g. --select round=2."
        ),
    ],
    "candidates": Annotated[
        Path | None,
        typer.Option("--candidates", help="A candidate table naming numbered candidate columns."),
    ],
}


@dataclasses.dataclass(frozen=True)
class LoadOptions:
    """The loading options of one command line."""

    format: str | None = None
    mapping: Path | None = None
    where: str | None = None
    region: list[str] | None = None
    kind: list[str] | None = None
    channel: list[str] | None = None
    select: list[str] | None = None
    candidates: Path | None = None


def domain_errors(function: F) -> F:
    """Print tallyscope's errors, invalid option values (the methods' ValueError) and errors
    reading or writing files as one line and exit 1, without a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (TallyscopeError, ValueError) as error:
            message = str(error)
        except OSError as error:  # an output file that cannot be written, a full disk, ...
            where = f"{error.filename}: " if error.filename else ""
            message = f"{where}{error.strerror or error}"
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)

    return wrapper  # type: ignore[return-value]


def loads_election(function: F) -> F:
    """Give a command the loading options (--format, --mapping, --where, --region, --kind,
    --channel, --select, --candidates), passed to it as one ``load: LoadOptions``."""
    signature = inspect.signature(function)
    own = [p for p in signature.parameters.values() if p.name != "load"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        for name, annotation in LOAD_OPTIONS.items()
    ]

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        load = LoadOptions(**{name: kwargs.pop(name, None) for name in LOAD_OPTIONS})
        return function(*args, load=load, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        k: v for k, v in function.__annotations__.items() if k != "load"
    } | LOAD_OPTIONS
    return wrapper  # type: ignore[return-value]


def print_json(result: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(result), ensure_ascii=False, indent=2) + "\n")


def load_target(target: str, load: LoadOptions = LoadOptions()) -> tallyscope.Election:
    """Load a dataset id or a path, with a spinner, then keep the stations that ``--where``,
    ``--region``, ``--kind`` and ``--channel`` select (each repeatable option: any of its
    values)."""
    options: dict[str, Any] = _select_options(load.select)
    if load.candidates is not None:
        options["candidates"] = load.candidates
    if load.mapping is not None:
        options["mapping"] = load.mapping
    if target in tallyscope.datasets.registry() and (load.format or options):
        raise TallyscopeError(
            f"{target!r} is a bundled dataset: --format, --mapping, --select and --candidates "
            "apply to files only"
        )
    with err_console.status(f"loading {escape(target)}", spinner="dots"):
        election = tallyscope.load(target, format=load.format, **options)
    if load.where:
        election = election.filter(load.where)
    if load.region:
        names = [_region(election, r) for r in load.region]
        election = election.filter(pl.col("region").is_in(names))
    for column, values, allowed in (
        ("kind", load.kind, [k.value for k in Kind]),
        ("channel", load.channel, [c.value for c in Channel]),
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


def target_format(target: str, load: LoadOptions = LoadOptions()) -> dict[str, Any]:
    """Which format a target is read with and how it was chosen: ``name``, ``recognised``
    (true when found from the file itself) and ``how``."""
    if target in tallyscope.datasets.registry():
        return {"name": "tallyscope", "recognised": False, "how": "bundled dataset"}
    if load.mapping is not None:
        name = tallyscope.io.load_mapping(load.mapping).name
        return {"name": name, "recognised": False, "how": f"mapping {load.mapping}"}
    if load.format is not None:
        return {"name": load.format, "recognised": False, "how": "given with --format"}
    name = tallyscope.io.resolve_format(target)
    how = "from the tallyscope metadata" if name == "tallyscope" else "from the header"
    return {"name": name, "recognised": True, "how": f"recognised {how}"}
