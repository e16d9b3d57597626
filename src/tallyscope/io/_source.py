"""Reading raw tables: files, zips, encodings, and counts parsed with errors that say where.

Everything here returns all-string Polars frames or raises :class:`SchemaError` naming the file
(and the row and column when known); no Polars or zip error reaches the user.

Rows are numbered as in a spreadsheet: the header is row 1, the first data row row 2. Blank
lines are not data rows (they are skipped, and the rows after them keep their file numbers);
a row with fewer or more fields than the header is an error, never padded or cut.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import polars as pl

from tallyscope.exceptions import SchemaError

__all__ = [
    "FIRST_DATA_ROW",
    "RawTable",
    "parse_counts",
    "read_bytes",
    "read_csv_text",
    "read_header",
    "read_raw",
]

#: File row of the first data row: row 1 is the header, as in a spreadsheet.
FIRST_DATA_ROW = 2
PARQUET_SUFFIXES = {".parquet", ".pq"}
_SEPARATORS = (",", ";", "\t")
_HEAD_BYTES = 1 << 16
_NON_SPACE = re.compile(rb"\S")
_CR = (
    "a carriage return (\\r) that does not end a line (old Mac line ends, or a damaged "
    "file?): re-save the file with \\n or \\r\\n line ends"
)
# What a damaged zip can raise: bad headers, flags of features it does not support
# (encryption, patched data), deflate streams that do not decode.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


class RawTable(NamedTuple):
    """An all-string table as read from a file, with each row's number in that file."""

    frame: pl.DataFrame
    rows: pl.Series
    name: str
    sha256: str


def _zip_member(archive: zipfile.ZipFile, path: Path) -> str:
    members = [m for m in archive.namelist() if not m.endswith("/")]
    tables = [m for m in members if m.lower().endswith((".csv", ".txt"))] or members
    if len(tables) != 1:
        held = ", ".join(members) if members else "nothing"
        raise SchemaError(f"the zip must hold exactly one CSV file; it holds {held}", file=path)
    return tables[0]


def _check_path(path: Path) -> None:
    if not path.exists():
        raise SchemaError("no such file", file=path)
    if path.is_dir():
        raise SchemaError("is a directory, not a file", file=path)


def _damaged_zip(path: Path, error: BaseException) -> SchemaError:
    detail = str(error) or type(error).__name__
    return SchemaError(f"not a readable zip archive (truncated or damaged?): {detail}", file=path)


def read_bytes(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    """The bytes of a file, or of the one CSV inside a zip; and a name for messages."""
    path = Path(path)
    _check_path(path)
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                member = _zip_member(archive, path)
                return archive.read(member), f"{path}:{member}"
        except SchemaError:
            raise
        except _ZIP_ERRORS as error:
            raise _damaged_zip(path, error) from None
    try:
        return path.read_bytes(), str(path)
    except OSError as error:
        raise SchemaError(f"cannot read the file: {error.strerror}", file=path) from None


def _head(path: Path) -> tuple[bytes, str]:
    """The first line (or more) of a file or zipped CSV, read without loading the rest."""
    _check_path(path)

    def first_line(stream: io.BufferedIOBase | zipfile.ZipExtFile) -> bytes:
        data = b""
        while True:
            chunk = stream.read(_HEAD_BYTES)
            data += chunk
            if not chunk or b"\n" in chunk or len(data) > 256 * _HEAD_BYTES:
                return data

    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                member = _zip_member(archive, path)
                with archive.open(member) as stream:
                    return first_line(stream), f"{path}:{member}"
        except SchemaError:
            raise
        except _ZIP_ERRORS as error:
            raise _damaged_zip(path, error) from None
    try:
        with path.open("rb") as stream:
            return first_line(stream), str(path)
    except OSError as error:
        raise SchemaError(f"cannot read the file: {error.strerror}", file=path) from None


def _guess_separator(header_line: str) -> str:
    return max(_SEPARATORS, key=header_line.count)


def _header_line(data: bytes) -> bytes:
    end = data.find(b"\n")
    return (data if end < 0 else data[:end]).removeprefix(b"\xef\xbb\xbf").rstrip(b"\r")


def read_csv_text(
    data: bytes, name: str, *, separator: str | None = None, encoding: str = "utf-8"
) -> tuple[pl.DataFrame, pl.Series]:
    """Parse CSV bytes into an all-string frame (every cell kept as written) and the file row
    of each of its rows. Blank lines are skipped; a header without data rows is an error."""
    if _NON_SPACE.search(data) is None:
        raise SchemaError("the file is empty", file=name)
    if separator is None:
        separator = _guess_separator(_header_line(data).decode("latin-1"))
    text = _decode(data, name, encoding, separator)
    # Polars reads the bytes as they are when they are the UTF-8 of the text it should read.
    unchanged = encoding.replace("-", "").replace("_", "").lower() == "utf8"
    if text.startswith("\ufeff"):
        text, unchanged = text[1:], False
    if "\r" in text:
        text, unchanged = text.replace("\r\n", "\n"), False
        if "\r" in text:
            raise SchemaError(_CR, file=name, row=text.count("\n", 0, text.find("\r")) + 1)
    if not text[: text.find("\n") if "\n" in text else len(text)].strip():
        raise SchemaError("the header row is blank", file=name, row=1)
    try:
        frame = pl.read_csv(
            data if unchanged else text.encode("utf-8"),
            separator=separator,
            infer_schema=False,
            raise_if_empty=True,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.NoDataError:
        raise SchemaError("the file is empty", file=name) from None
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as error:
        message, row, column = _csv_problem(text, separator, error)
        raise SchemaError(message, file=name, row=row, column=column) from None
    header = _split(text[: text.find("\n") if "\n" in text else len(text)], separator, name, 1)
    if len(header) != frame.width:
        raise SchemaError(
            f"the header has {len(header)} cells but parses into {frame.width} columns "
            "(an unbalanced quote in the header?)",
            file=name,
            row=1,
        )
    _check_header(header, name)
    if header != frame.columns:
        # Polars keeps doubled quotes inside quoted header cells; the csv module unescapes them.
        frame = frame.rename(dict(zip(frame.columns, header, strict=True)))
    frame, rows = _number_rows(frame, text, separator, name)
    if frame.height == 0:
        raise SchemaError("the file has a header but no data rows", file=name)
    return frame, rows


def _number_rows(
    frame: pl.DataFrame, text: str, separator: str, name: str
) -> tuple[pl.DataFrame, pl.Series]:
    """File row of each parsed row; blank lines dropped, short rows refused.

    Polars reads a blank line as a row of nulls and pads a short row with nulls; both leave the
    last cell null, so only rows with a null last cell are looked at again, with the csv module.
    """
    height, width = frame.height, frame.width
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if lines - 1 == height:
        rows = pl.int_range(FIRST_DATA_ROW, FIRST_DATA_ROW + height, dtype=pl.Int64, eager=True)
        suspects = frame[:, -1].is_null().arg_true().to_list() if height else []
        fields: dict[int, list[str]] = {}
        if suspects:
            physical = text.split("\n")
            for i in suspects:
                line = physical[i + 1].rstrip("\r")
                fields[i] = _split(line, separator, name, i + FIRST_DATA_ROW) if line else []
    else:
        # Quoted line breaks inside cells: number the records with the csv module.
        records = _records(text, separator)
        if len(records) != height:
            row = next((start for start, end, _ in records if end > start), None)
            raise SchemaError(
                "the rows cannot be told apart (a quoted cell spans lines: an unbalanced quote?)",
                file=name,
                row=row,
            )
        rows = pl.Series([start for start, _, _ in records], dtype=pl.Int64)
        fields = {i: cells for i, (_, _, cells) in enumerate(records) if len(cells) < width}
    blank = []
    for i, cells in fields.items():
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            blank.append(i)
        elif len(cells) < width:
            raise SchemaError(
                f"the row has {len(cells)} fields, the header {width} "
                "(a truncated file, or a missing separator?)",
                file=name,
                row=int(rows[i]),
                column=frame.columns[len(cells)],
            )
    if blank:
        keep = ~pl.int_range(0, height, eager=True).is_in(blank)
        frame, rows = frame.filter(keep), rows.filter(keep)
    return frame, rows.alias("row")


def _records(text: str, separator: str) -> list[tuple[int, int, list[str]]]:
    """(first line, last line, cells) of every record after the header."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    out: list[tuple[int, int, list[str]]] = []
    try:
        next(reader)
        last = reader.line_num
        for cells in reader:
            out.append((last + 1, reader.line_num, cells))
            last = reader.line_num
    except (csv.Error, StopIteration):
        pass
    return out


def _read_parquet(path: Path) -> tuple[pl.DataFrame, str]:
    _check_path(path)
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise SchemaError(f"not a readable Parquet file: {_first_line(error)}", file=path) from None
    _check_header(frame.columns, str(path))
    if frame.height == 0:
        raise SchemaError("the file has no rows", file=path)
    try:
        return frame.with_columns(pl.all().cast(pl.String)), str(path)
    except pl.exceptions.PolarsError:
        nested = [c for c, t in frame.schema.items() if t.is_nested()]
        raise SchemaError(
            "a column holds lists or records, not text or numbers",
            file=path,
            column=nested[0] if nested else None,
        ) from None


def read_raw(
    path: str | os.PathLike[str], *, separator: str | None = None, encoding: str = "utf-8"
) -> RawTable:
    """An all-string table from a CSV, zipped CSV or Parquet file."""
    path = Path(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        frame, name = _read_parquet(path)
        rows = pl.int_range(
            FIRST_DATA_ROW, FIRST_DATA_ROW + frame.height, dtype=pl.Int64, eager=True
        ).alias("row")
        return RawTable(frame, rows, name, hashlib.sha256(path.read_bytes()).hexdigest())
    data, name = read_bytes(path)
    frame, rows = read_csv_text(data, name, separator=separator, encoding=encoding)
    return RawTable(frame, rows, name, hashlib.sha256(data).hexdigest())


def read_header(
    path: str | os.PathLike[str], *, separator: str | None = None, encoding: str = "utf-8"
) -> list[str]:
    """The column names of a CSV, zipped CSV or Parquet file, reading no more than needed."""
    path = Path(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        _check_path(path)
        try:
            return list(pl.read_parquet_schema(path))
        except (pl.exceptions.PolarsError, OSError) as error:
            raise SchemaError(
                f"not a readable Parquet file: {_first_line(error)}", file=path
            ) from None
    data, name = _head(path)
    if _NON_SPACE.search(data) is None:
        raise SchemaError("the file is empty", file=name)
    line_bytes = _header_line(data)
    if separator is None:
        separator = _guess_separator(line_bytes.decode("latin-1"))
    line = _decode(line_bytes, name, encoding, separator)
    if not line.strip():
        raise SchemaError("the header row is blank", file=name, row=1)
    if "\r" in line:
        raise SchemaError(_CR, file=name, row=1)
    return _split(line, separator, name, 1)


def _split(line: str, separator: str, name: str, row: int) -> list[str]:
    """The cells of one line, as the csv module reads them."""
    try:
        return next(csv.reader([line], delimiter=separator), [])
    except csv.Error as error:
        raise SchemaError(f"cannot split the row into cells: {error}", file=name, row=row) from None


def _decode(data: bytes, name: str, encoding: str, separator: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        column = None
        if row > 1:
            start = data.rfind(b"\n", 0, error.start) + 1
            cell = data.count(separator.encode(), start, error.start)
            header = _header_line(data).decode(encoding, errors="replace")
            try:
                cells = next(csv.reader([header], delimiter=separator), [])
            except csv.Error:
                cells = []
            column = cells[cell] if cell < len(cells) else None
        hint = ""
        if encoding.replace("-", "").replace("_", "").lower() == "utf8":
            try:
                data.decode("cp1251")
                hint = " It decodes as Windows-1251: re-save it as UTF-8 or pass encoding='cp1251'."
            except UnicodeDecodeError:
                pass
        raise SchemaError(
            f"not valid {encoding} text (byte {error.start:,}).{hint}",
            file=name,
            row=row,
            column=column,
        ) from None


def _check_header(columns: list[str], name: str) -> None:
    seen: set[str] = set()
    for position, column in enumerate(columns, start=1):
        if not column.strip():
            raise SchemaError(f"header cell {position} is blank", file=name, row=1)
        if column in seen:
            raise SchemaError("two columns have this name", file=name, row=1, column=column)
        seen.add(column)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _csv_problem(text: str, separator: str, error: Exception) -> tuple[str, int | None, str | None]:
    """A message, row and column for a CSV Polars could not parse."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    width = None
    try:
        for cells in reader:
            if width is None:
                width = len(cells)
            elif cells and len(cells) > width:
                return (
                    f"the row has {len(cells)} fields, the header {width} "
                    "(a stray separator, or rows run together?)",
                    reader.line_num,
                    None,
                )
    except csv.Error:
        pass
    for number, line in enumerate(text.split("\n"), start=1):
        if line.count('"') % 2:
            return 'an unbalanced quote character (")', number, None
    column = re.search(r"at column '([^']*)'", str(error))
    return (
        f"cannot parse the CSV: {_first_line(error)}",
        None,
        column.group(1) if column else None,
    )


def parse_counts(
    frame: pl.DataFrame, columns: list[str], name: str, *, rows: pl.Series | None = None
) -> pl.DataFrame:
    """Cast string columns to nullable Int64: blanks become null, ``"12.0"`` becomes 12;
    text, fractions, negative and impossibly large numbers raise a :class:`SchemaError`
    naming row and column."""
    rows = (
        rows
        if rows is not None
        else pl.int_range(FIRST_DATA_ROW, FIRST_DATA_ROW + frame.height, eager=True)
    )
    casts = []
    for column in columns:
        raw = frame[column]
        if raw.dtype.is_integer():
            values = raw.cast(pl.Int64, strict=False)
            text = raw.cast(pl.String)
        else:
            text = raw.cast(pl.String).str.strip_chars().replace("", None)
            values = text.cast(pl.Int64, strict=False)
        bad = values.is_null() & text.is_not_null()
        if bad.any():
            as_float = text.cast(pl.Float64, strict=False)
            integral = (
                as_float.is_not_null() & as_float.is_finite() & (as_float == as_float.round(0))
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
            overflow = values.is_null() & text.is_not_null()
            if overflow.any():
                i = int(overflow.arg_true()[0])
                raise SchemaError(
                    f"too large to be a count: {text[i]!r}",
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
