"""Data in: the Russian CEC loader, tallyscope's Parquet format and format detection."""

from tallyscope.io.cec import read_cec
from tallyscope.io.parquet import read_election, write_election
from tallyscope.io.read import read

__all__ = ["read", "read_cec", "read_election", "write_election"]
