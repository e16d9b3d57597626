"""tallyscope's own file format: the station table as Parquet, the metadata in its footer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl

from tallyscope.exceptions import SchemaError
from tallyscope.model import Election, ElectionInfo
from tallyscope.model.schema import META_COLUMNS

__all__ = ["is_election_parquet", "read_election", "write_election"]

_KEY = "tallyscope.election"
FORMAT_VERSION = 1


def write_election(
    election: Election, path: str | os.PathLike[str], *, compression_level: int = 19
) -> Path:
    """Write an election to one Parquet file that :func:`read_election` reads back equal."""
    path = Path(path)
    meta = {
        "format": FORMAT_VERSION,
        "info": election.info.to_dict(),
        "parties": list(election.parties),
    }
    election.stations.write_parquet(
        path,
        compression="zstd",
        compression_level=compression_level,
        statistics=False,
        metadata={_KEY: json.dumps(meta, ensure_ascii=False)},
    )
    return path


def _footer(path: str | os.PathLike[str]) -> dict | None:
    try:
        raw = pl.read_parquet_metadata(path).get(_KEY)
    except (pl.exceptions.PolarsError, OSError):
        return None
    return json.loads(raw) if raw else None


def is_election_parquet(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a Parquet file written by :func:`write_election`."""
    return Path(path).suffix.lower() in {".parquet", ".pq"} and _footer(path) is not None


def read_election(path: str | os.PathLike[str]) -> Election:
    """Read an election written by :func:`write_election`."""
    meta = _footer(path)
    if meta is None:
        raise SchemaError(
            "not a tallyscope election file (no election metadata in the Parquet footer)", file=path
        )
    if meta.get("format") != FORMAT_VERSION:
        raise SchemaError(
            f"election file format {meta.get('format')} is not {FORMAT_VERSION}", file=path
        )
    try:
        table = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise SchemaError(f"not a readable Parquet file: {error}", file=path) from None
    table = table.with_columns(pl.col(c).cast(META_COLUMNS[c]) for c in ("kind", "channel"))
    return Election(table, meta["parties"], ElectionInfo(**meta["info"]))
