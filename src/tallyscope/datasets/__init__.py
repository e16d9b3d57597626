"""Bundled elections, loaded by id: ``tallyscope.load("ru-2012-president")``."""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from tallyscope.datasets.catalogue import CATALOGUE, DatasetSpec
from tallyscope.exceptions import DatasetNotFoundError, SchemaError
from tallyscope.io.parquet import read_election
from tallyscope.io.read import read
from tallyscope.model import Election

__all__ = ["CATALOGUE", "DATA_DIR", "DatasetSpec", "list_datasets", "load", "registry"]

DATA_DIR = Path(__file__).parent / "data"
REGISTRY_FILE = DATA_DIR / "registry.json"


@cache
def registry() -> dict[str, dict[str, Any]]:
    """Build records of the bundled files (checksums, sizes, source files), by id."""
    if not REGISTRY_FILE.exists():
        return {}
    return json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))["datasets"]


def list_datasets() -> list[dict[str, Any]]:
    """One record per bundled election: id, name, date, stations, file and provenance."""
    return [
        {"id": spec.id, "name": spec.name, "date": spec.date, "country": spec.country}
        | registry().get(spec.id, {})
        for spec in CATALOGUE.values()
        if spec.id in registry()
    ]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(
    name: str | os.PathLike[str], *, format: str | None = None, verify: bool = False, **options: Any
) -> Election:
    """An election by bundled id (see ``tallyscope datasets``) or from a file path.

    ``format`` and ``options`` go to the file reader (:func:`tallyscope.io.read`);
    ``verify=True`` checks a bundled file's SHA-256 against the registry.
    """
    key = str(name)
    if key in registry():
        record = registry()[key]
        path = DATA_DIR / record["file"]
        if verify and _sha256(path) != record["sha256"]:
            raise SchemaError(
                "checksum differs from the registry; rebuild with scripts/build_datasets.py",
                file=path,
            )
        return read_election(path)
    if Path(key).exists():
        return read(key, format=format, **options)
    known = ", ".join(registry()) or "none (run scripts/build_datasets.py)"
    raise DatasetNotFoundError(f"{key!r} is neither a bundled dataset nor a file; bundled: {known}")
