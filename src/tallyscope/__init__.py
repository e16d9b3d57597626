"""tallyscope: election forensics from polling-station protocols."""

from tallyscope import exceptions
from tallyscope.datasets import list_datasets, load
from tallyscope.io import read, read_cec, read_election, write_election
from tallyscope.model import Election, ElectionInfo, Kind, build_election, summarize

__version__ = "0.1.0"

__all__ = [
    "Election",
    "ElectionInfo",
    "Kind",
    "__version__",
    "build_election",
    "exceptions",
    "list_datasets",
    "load",
    "read",
    "read_cec",
    "read_election",
    "summarize",
    "write_election",
]
