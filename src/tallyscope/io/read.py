"""One entry point for any file: tallyscope Parquet, Russian CEC CSV, or a mapped table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tallyscope.exceptions import MappingError, SchemaError
from tallyscope.io._source import read_header
from tallyscope.io.cec import read_cec
from tallyscope.io.formats import CEC, TALLYSCOPE, format_names, matching_formats, preset
from tallyscope.io.mapping import ColumnMapping, load_mapping
from tallyscope.io.parquet import is_election_parquet, read_election
from tallyscope.io.suggest import NEEDED, guess_roles
from tallyscope.io.tabular import read_table
from tallyscope.model import Election

__all__ = ["read", "resolve_format"]

_CEC_OPTIONS = {"encoding", "info", "kind"}


def resolve_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """The format a file will be read with: ``format`` if given, else recognised from the
    header; an unrecognised header raises, naming the roles it could not find."""
    if format is not None:
        if format not in (TALLYSCOPE, CEC):
            preset(format)  # raises for an unknown name
        return format
    if is_election_parquet(path):
        return TALLYSCOPE
    header = read_header(path)
    found = matching_formats(header)
    if len(found) > 1:
        raise SchemaError(
            f"the header fits several formats ({', '.join(found)}); choose one with --format",
            file=path,
            row=1,
        )
    if not found:
        missing = [r for r in NEEDED if r not in guess_roles(header)]
        lacking = f"; no column looks like {', '.join(missing)}" if missing else ""
        what = (
            "a Parquet file without tallyscope metadata, and its header"
            if Path(path).suffix.lower() in {".parquet", ".pq"}
            else "the header"
        )
        raise SchemaError(
            f"{what} matches no known format ({', '.join(format_names())}){lacking}. "
            f"Write a mapping with `tallyscope mapping {path} > my.toml`, edit it, and pass "
            "--mapping my.toml",
            file=path,
            row=1,
        )
    return found[0]


def read(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    mapping: ColumnMapping | str | os.PathLike[str] | None = None,
    **options: Any,
) -> Election:
    """Read an election from a file.

    The format is ``format`` (see :func:`tallyscope.io.formats.format_names`), or a column
    ``mapping`` (a :class:`ColumnMapping` or a TOML path), or else recognised from the header.
    ``options`` go to the loader (``info=``, ``kind=`` for CEC files, filters such as
    ``round=`` for mapped tables).
    """
    path = Path(path)
    if mapping is not None:
        if format is not None:
            raise MappingError("give a format or a mapping, not both", file=path)
        mapping = mapping if isinstance(mapping, ColumnMapping) else load_mapping(mapping)
        return read_table(path, mapping, **options)
    chosen = resolve_format(path, format)
    if chosen == TALLYSCOPE:
        if options:
            raise SchemaError(
                f"options {sorted(options)} do not apply to a tallyscope file", file=path
            )
        return read_election(path)
    if chosen == CEC:
        unknown = sorted(set(options) - _CEC_OPTIONS)
        if unknown:
            raise SchemaError(
                f"options {unknown} do not apply to format {CEC} "
                f"(it takes {', '.join(f'{o}=' for o in sorted(_CEC_OPTIONS))})",
                file=path,
            )
        return read_cec(path, **options)
    return read_table(path, preset(chosen), **options)
