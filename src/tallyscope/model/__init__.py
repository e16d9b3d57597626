"""The canonical election table: :class:`Election`, its schema and its totals."""

from tallyscope.model.aggregate import summarize
from tallyscope.model.build import build_election, combine
from tallyscope.model.election import Election, ElectionInfo, Selection
from tallyscope.model.schema import ANALYSED_KINDS, COUNT_ROLES, ID_ROLES, Channel, Check, Kind

__all__ = [
    "ANALYSED_KINDS",
    "COUNT_ROLES",
    "ID_ROLES",
    "Channel",
    "Check",
    "Election",
    "ElectionInfo",
    "Kind",
    "Selection",
    "build_election",
    "combine",
    "summarize",
]
