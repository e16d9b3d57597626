"""Data in: the Russian CEC loader, the generic mapped-table loader, presets, and
tallyscope's own Parquet format."""

from tallyscope.io._source import read_header
from tallyscope.io.cec import read_cec
from tallyscope.io.formats import detect_format, format_names, preset
from tallyscope.io.mapping import ColumnMapping, load_mapping, parse_mapping
from tallyscope.io.parquet import read_election, write_election
from tallyscope.io.read import read, resolve_format
from tallyscope.io.suggest import suggest_file_mapping, suggest_mapping
from tallyscope.io.tabular import read_table

__all__ = [
    "ColumnMapping",
    "detect_format",
    "format_names",
    "load_mapping",
    "parse_mapping",
    "preset",
    "read",
    "read_cec",
    "read_election",
    "read_header",
    "read_table",
    "resolve_format",
    "suggest_file_mapping",
    "suggest_mapping",
    "write_election",
]
