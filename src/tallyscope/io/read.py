"""One entry point for any file: tallyscope Parquet, Russian CEC CSV, or a mapped table."""

from __future__ import annotations

import os
from pathlib import Path

from tallyscope.exceptions import SchemaError
from tallyscope.io._source import read_header
from tallyscope.io._text import normalise_header
from tallyscope.io.cec import read_cec
from tallyscope.io.parquet import is_election_parquet, read_election
from tallyscope.model import Election

__all__ = ["looks_like_cec", "read"]


def looks_like_cec(columns: list[str]) -> bool:
    """A Russian CEC header: a ``region`` column and Russian protocol lines (``Число ...``)."""
    keys = [normalise_header(c) for c in columns]
    return "region" in keys and any(k.startswith("число") for k in keys)


def read(path: str | os.PathLike[str], *, format: str | None = None, **options: object) -> Election:
    """Read an election from a file, recognising its format from the header.

    ``format`` names a format explicitly: ``"tallyscope"`` (Parquet written by
    :func:`~tallyscope.io.write_election`) or ``"russia-cec"``.
    """
    path = Path(path)
    if format in (None, "tallyscope") and is_election_parquet(path):
        return read_election(path)
    if format == "russia-cec":
        return read_cec(path, **options)  # type: ignore[arg-type]
    if format is not None:
        raise SchemaError(f"unknown format {format!r}; known: tallyscope, russia-cec", file=path)
    if looks_like_cec(read_header(path)):
        return read_cec(path, **options)  # type: ignore[arg-type]
    raise SchemaError("the header matches no known format; pass format= or a column mapping", file=path, row=1)
