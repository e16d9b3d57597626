"""Reading raw tables: files, zips, encodings, and counts parsed with errors that say where.

Everything here returns all-string Polars frames or raises :class:`SchemaError` naming the file
(and the row and column when known); no Polars or zip error reaches the user.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import polars as pl

from tallyscope.exceptions import SchemaError

__all__ = [
    "FIRST_DATA_ROW",
    "parse_counts",
    "read_bytes",
    "read_csv_text",
    "read_header",
    "read_raw",
]

#: File row of the first data row: row 1 is the header, as in a spreadsheet.
FIRST_DATA_ROW = 2


def read_bytes(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    """The bytes of a file, or of the one CSV inside a zip; and a name for messages."""
    path = Path(path)
    if not path.exists():
        raise SchemaError("no such file", file=path)
    if path.is_dir():
        raise SchemaError("is a directory, not a file", file=path)
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
                tables = [m for m in members if m.lower().endswith((".csv", ".txt"))] or members
                if len(tables) != 1:
                    raise SchemaError(
                        f"the zip must hold exactly one CSV, it holds {members}", file=path
                    )
                return archive.read(tables[0]), f"{path}:{tables[0]}"
        except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, OSError) as error:
            raise SchemaError(
                f"not a readable zip archive (truncated or damaged?): {error}", file=path
            ) from None
    return path.read_bytes(), str(path)


def read_csv_text(
    data: bytes, name: str, *, separator: str | None = None, encoding: str = "utf-8"
) -> pl.DataFrame:
    """Parse CSV bytes into an all-string frame (every cell kept as written)."""
    if not data.strip():
        raise SchemaError("the file is empty", file=name)
    text = _decode(data, name, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    header_line = text.split("\n", 1)[0]
    if separator is None:
        separator = max([",", ";", "\t"], key=header_line.count)
    try:
        frame = pl.read_csv(
            io.StringIO(text),
            separator=separator,
            infer_schema=False,
            raise_if_empty=True,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.NoDataError:
        raise SchemaError("the file is empty", file=name) from None
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as error:
        raise SchemaError(
            _csv_problem(text, separator, error), file=name, row=_ragged_row(text, separator)
        ) from None
    header = next(csv.reader(io.StringIO(text), delimiter=separator))
    if len(header) == frame.width and header != frame.columns:
        # Polars keeps doubled quotes inside quoted header cells; the csv module unescapes them.
        _check_header(header, name)
        frame = frame.rename(dict(zip(frame.columns, header, strict=True)))
    _check_header(frame.columns, name)
    return frame


def read_raw(
    path: str | os.PathLike[str], *, separator: str | None = None, encoding: str = "utf-8"
) -> tuple[pl.DataFrame, str]:
    """An all-string frame from a CSV, zipped CSV or Parquet file, and the name for messages."""
    suffix = Path(path).suffix.lower()
    if suffix in {".parquet", ".pq"}:
        name = str(path)
        if not Path(path).exists():
            raise SchemaError("no such file", file=path)
        try:
            frame = pl.read_parquet(path)
        except (pl.exceptions.PolarsError, OSError) as error:
            raise SchemaError(f"not a readable Parquet file: {error}", file=name) from None
        _check_header(frame.columns, name)
        return frame.with_columns(pl.all().cast(pl.String)), name
    data, name = read_bytes(path)
    return read_csv_text(data, name, separator=separator, encoding=encoding), name


def read_header(
    path: str | os.PathLike[str], *, separator: str | None = None, encoding: str = "utf-8"
) -> list[str]:
    """The column names of a CSV, zipped CSV or Parquet file, reading no more than needed."""
    if Path(path).suffix.lower() in {".parquet", ".pq"}:
        try:
            return list(pl.read_parquet_schema(path))
        except (pl.exceptions.PolarsError, OSError) as error:
            raise SchemaError(f"not a readable Parquet file: {error}", file=path) from None
    data, name = read_bytes(path)
    head = data[: 1 << 16]
    end = head.find(b"\n")
    line = _decode(head if end < 0 else head[:end], name, encoding).lstrip("\ufeff").rstrip("\r")
    if not line.strip():
        raise SchemaError(
            "the file is empty" if not data.strip() else "the header row is blank", file=name, row=1
        )
    if separator is None:
        separator = max([",", ";", "\t"], key=line.count)
    return next(csv.reader([line], delimiter=separator))


def _decode(data: bytes, name: str, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        hint = ""
        if encoding.replace("-", "").lower() == "utf8":
            try:
                data.decode("cp1251")
                hint = " It decodes as Windows-1251: re-save it as UTF-8 or pass encoding='cp1251'."
            except UnicodeDecodeError:
                pass
        raise SchemaError(
            f"not valid {encoding} text (byte {error.start}).{hint}", file=name, row=row
        ) from None


def _check_header(columns: list[str], name: str) -> None:
    seen: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if not column.strip():
            raise SchemaError(f"header cell {position} is blank", file=name, row=1)
        if column in seen:
            raise SchemaError("two columns have this name", file=name, row=1, column=column)
        seen.add(column)


def _ragged_row(text: str, separator: str) -> int | None:
    """The first file row whose field count differs from the header's (quotes respected)."""
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    width = None
    for number, fields in enumerate(reader, start=1):
        if width is None:
            width = len(fields)
        elif fields and len(fields) != width:
            return reader.line_num if reader.line_num else number
    return None


def _csv_problem(text: str, separator: str, error: Exception) -> str:
    row = _ragged_row(text, separator)
    if row is not None:
        return "a row has a different number of fields than the header (truncated file or stray separator?)"
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"cannot parse the CSV: {first}"


def parse_counts(
    frame: pl.DataFrame, columns: list[str], name: str, *, rows: pl.Series | None = None
) -> pl.DataFrame:
    """Cast string columns to nullable Int64: blanks become null, ``"12.0"`` becomes 12;
    text, fractions and negative numbers raise a :class:`SchemaError` naming row and column."""
    rows = (
        rows
        if rows is not None
        else pl.Series("row", range(FIRST_DATA_ROW, FIRST_DATA_ROW + frame.height))
    )
    casts = []
    for column in columns:
        raw = frame[column]
        if raw.dtype.is_integer():
            values = raw.cast(pl.Int64)
        else:
            text = raw.cast(pl.String).str.strip_chars().replace("", None)
            values = text.cast(pl.Int64, strict=False)
            bad = values.is_null() & text.is_not_null()
            if bad.any():
                as_float = text.cast(pl.Float64, strict=False)
                integral = (
                    as_float.is_not_null() & (as_float == as_float.round(0)) & as_float.is_finite()
                )
                values = pl.select(
                    pl.when(bad).then(as_float).otherwise(values).cast(pl.Int64, strict=False)
                ).to_series()
                broken = bad & ~integral.fill_null(False)
                if broken.any():
                    i = int(broken.arg_true()[0])
                    raise SchemaError(
                        f"not a whole number of ballots: {text[i]!r}",
                        file=name,
                        row=int(rows[i]),
                        column=column,
                    )
        negative = (values < 0).fill_null(False)
        if negative.any():
            i = int(negative.arg_true()[0])
            raise SchemaError(
                f"negative count {values[i]}", file=name, row=int(rows[i]), column=column
            )
        casts.append(values.alias(column))
    return frame.with_columns(casts)
