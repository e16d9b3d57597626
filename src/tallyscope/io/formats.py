"""Named input formats: tallyscope's Parquet, the Russian CEC files and the mapping presets
shipped in ``io/presets/`` (one TOML file each), with recognition from a file's header."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tallyscope.exceptions import MappingError
from tallyscope.io._text import normalise_header
from tallyscope.io.mapping import ColumnMapping, load_mapping

__all__ = [
    "PRESET_DIR",
    "detect_format",
    "format_names",
    "looks_like_cec",
    "matching_formats",
    "preset",
]

PRESET_DIR = Path(__file__).parent / "presets"
CEC = "russia-cec"
TALLYSCOPE = "tallyscope"


@cache
def _presets() -> dict[str, ColumnMapping]:
    mappings = [load_mapping(p) for p in sorted(PRESET_DIR.glob("*.toml"))]
    return {m.name: m for m in mappings}


def format_names() -> list[str]:
    """Every format ``--format`` accepts."""
    return [TALLYSCOPE, CEC, *_presets()]


def preset(name: str) -> ColumnMapping:
    """The shipped mapping called ``name``."""
    try:
        return _presets()[name]
    except KeyError:
        raise MappingError(f"unknown format {name!r}; known: {', '.join(format_names())}") from None


def looks_like_cec(columns: list[str]) -> bool:
    """A Russian CEC header: a ``region`` column and Russian protocol lines (``Число ...``)."""
    keys = [normalise_header(c) for c in columns]
    return "region" in keys and any(k.startswith("число") for k in keys)


def matching_formats(columns: list[str]) -> list[str]:
    """Every format whose signature a header carries."""
    hits = [CEC] if looks_like_cec(columns) else []
    return hits + [m.name for m in _presets().values() if m.matches(columns)]


def detect_format(columns: list[str]) -> str | None:
    """The one format whose signature a header carries, or None (no format, or several)."""
    hits = matching_formats(columns)
    return hits[0] if len(hits) == 1 else None
