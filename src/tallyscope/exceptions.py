"""The errors and warnings tallyscope raises.

Everything the library raises on purpose derives from :class:`TallyscopeError`, so a caller
(and the CLI) can catch one class and print a message instead of a traceback.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DatasetNotFoundError",
    "MappingError",
    "NotApplicableError",
    "SchemaError",
    "TallyscopeError",
]


class TallyscopeError(Exception):
    """Base class of every error raised by tallyscope."""


class SchemaError(TallyscopeError, ValueError):
    """The input does not have the shape or content a loader needs.

    The message names the file, and where known the row (1-based, counting the header as
    row 1, as a spreadsheet does) and the column.
    """

    def __init__(
        self,
        message: str,
        *,
        file: object | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.reason = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        where = []
        if self.file is not None:
            where.append(self.file)
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")


class MappingError(SchemaError):
    """A column mapping (TOML) is malformed or does not fit the table it is applied to."""


class DatasetNotFoundError(TallyscopeError, KeyError):
    """No bundled dataset, and no file, has the given name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NotApplicableError(TallyscopeError, ValueError):
    """A method needs a role (a column) that this election does not have."""


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped before its convergence criterion was met."""
