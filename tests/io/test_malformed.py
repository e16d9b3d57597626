"""Malformed input: each case raises a SchemaError naming the file, and where it applies the
row (row 1 is the header) and the column; through the CLI, exit code 1 and one message."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import tallyscope as ts
from tallyscope.cli import app
from tallyscope.exceptions import SchemaError

REGISTERED = "Число избирателей, включенных в список избирателей"
IVANOV = "Иванов Иван Иванович"


@dataclass
class Case:
    write: Callable[..., Path]  # (cec helper, folder) -> path
    message: str  # a regular expression the reason matches
    row: int | None = None
    column: str | None = None


def _csv(cec, rows=None, header=None, name="bad.csv") -> Path:
    rows = rows if rows is not None else [cec.row(uik="1"), cec.row(uik="2")]
    return cec.write(rows, header=header or cec.header, name=name)


def _text(cec, text: str, name="bad.csv") -> Path:
    path = cec.folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _cells(cec, row: int, **cells) -> Path:
    rows = [cec.row(uik="1"), cec.row(uik="2"), cec.row(uik="3")]
    for column, value in cells.items():
        rows[row - 2][cec.header.index(column)] = value
    return _csv(cec, rows)


def _truncated_zip(cec) -> Path:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2012.csv", cec.text([cec.row(uik=str(i)) for i in range(1, 200)]))
    path = cec.folder / "bad.csv.zip"
    path.write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    return path


def _foreign_parquet(cec) -> Path:
    path = cec.folder / "bad.parquet"
    pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}).write_parquet(path)
    return path


CASES = {
    "missing required column": Case(
        lambda cec: _csv(
            cec,
            [[c for i, c in enumerate(cec.row()) if i != 3]],
            header=[c for c in cec.header if c != REGISTERED],
        ),
        r"no column for the required role registered",
        row=1,
    ),
    "unrecognisable header": Case(
        lambda cec: _text(cec, "alpha,beta,gamma\n1,2,3\n"),
        r"matches no known format.*no column looks like station, registered, valid.*"
        r"tallyscope mapping",
        row=1,
    ),
    "text in a count column": Case(
        lambda cec: _cells(cec, 3, **{IVANOV: "сорок"}),
        r"not a whole number of ballots: 'сорок'",
        row=3,
        column=IVANOV,
    ),
    "fraction": Case(
        lambda cec: _cells(cec, 4, **{REGISTERED: "1000.5"}),
        r"not a whole number of ballots: '1000.5'",
        row=4,
        column=REGISTERED,
    ),
    "negative number": Case(
        lambda cec: _cells(cec, 2, **{IVANOV: "-5"}),
        r"negative count -5",
        row=2,
        column=IVANOV,
    ),
    "number too large": Case(
        lambda cec: _cells(cec, 2, **{IVANOV: "9" * 25}),
        r"too large to be a count",
        row=2,
        column=IVANOV,
    ),
    "duplicate station key": Case(
        lambda cec: _csv(cec, [cec.row(uik="1"), cec.row(uik="2"), cec.row(uik="УИК №1")]),
        r"duplicate station key \(region='Тверская область', commission='Тверская', "
        r"station='1'\) also at row 4",
        row=2,
        column="region, commission, station",
    ),
    "cp1251 bytes": Case(
        lambda cec: _bytes(cec, cec.text([cec.row()]).encode("cp1251")),
        r"not valid utf-8 text.*decodes as Windows-1251",
        row=1,
    ),
    "cp1251 bytes in a data row": Case(
        lambda cec: _bytes(
            cec,
            cec.text([cec.row(uik="1")]).encode()
            + b",".join(
                cell.encode("cp1251" if i == 1 else "utf-8")
                for i, cell in enumerate(cec.row(uik="2", tik="Ржевская"))
            ),
        ),
        r"not valid utf-8 text",
        row=3,
        column="tik",
    ),
    "empty file": Case(lambda cec: _text(cec, ""), r"the file is empty"),
    "blank file": Case(lambda cec: _text(cec, "\n \n"), r"the file is empty"),
    "header only": Case(
        lambda cec: _text(cec, ",".join(f'"{c}"' for c in cec.header) + "\n"),
        r"a header but no data rows",
    ),
    "truncated zip": Case(_truncated_zip, r"not a readable zip archive \(truncated or damaged\?\)"),
    "short row": Case(
        lambda cec: _text(
            cec, cec.text([cec.row(uik="1"), cec.row(uik="2")[:6], cec.row(uik="3")])
        ),
        r"the row has 6 fields, the header 11",
        row=3,
        column="Число избирательных бюллетеней, выданных вне помещения для голосования в день "
        "голосования",
    ),
    "long row": Case(
        lambda cec: _text(cec, cec.text([cec.row(uik="1"), [*cec.row(uik="2"), "7"]])),
        r"the row has 12 fields, the header 11",
        row=3,
    ),
    "unbalanced quote": Case(
        lambda cec: _text(cec, cec.text([cec.row(uik="1")]) + 'Тверская область,"1 Тверская,2\n'),
        r"unbalanced quote",
        row=3,
    ),
    "parquet that is not a tallyscope file": Case(
        _foreign_parquet, r"Parquet file without tallyscope metadata.*tallyscope mapping", row=1
    ),
}


def _bytes(cec, data: bytes) -> Path:
    path = cec.folder / "bad.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", CASES, ids=str)
def test_schema_error_names_file_row_and_column(cec, case):
    expected = CASES[case]
    path = expected.write(cec)
    with pytest.raises(SchemaError) as caught:
        ts.read(path)
    error = caught.value
    assert error.file is not None and error.file.startswith(str(path))
    assert str(path) in str(error)
    assert error.row == expected.row
    assert error.column == expected.column
    assert re.search(expected.message, error.reason), error.reason
    if expected.row is not None:
        assert f"row {expected.row}" in str(error)
    if expected.column is not None:
        assert repr(expected.column) in str(error)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cli_prints_one_message_and_exits_1(cec, case):
    path = CASES[case].write(cec)
    result = CliRunner().invoke(app, ["summary", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and str(path) in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_read_cec_directly_names_the_missing_role(cec):
    path = CASES["missing required column"].write(cec)
    with pytest.raises(SchemaError, match="registered"):
        ts.read_cec(path)


def test_the_zip_must_hold_one_csv(tmp_path):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "x\n1\n")
        archive.writestr("b.csv", "x\n1\n")
    with pytest.raises(SchemaError, match="exactly one CSV file; it holds a.csv, b.csv"):
        ts.read(path)


def test_a_damaged_member_inside_a_zip(tmp_path, cec):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.csv", cec.text([cec.row(uik=str(i)) for i in range(1, 300)]))
    damaged = bytearray(data.getvalue())
    for i in range(200, 260):  # inside the compressed member
        damaged[i] ^= 0xFF
    path = tmp_path / "damaged.zip"
    path.write_bytes(bytes(damaged))
    with pytest.raises(SchemaError, match="not a readable zip archive"):
        ts.read(path)


def test_a_file_that_is_not_parquet_at_all(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(SchemaError, match="not a readable Parquet file"):
        ts.read(path)
    with pytest.raises(SchemaError, match="not a tallyscope election file"):
        ts.read_election(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SchemaError, match="no such file"):
        ts.read(tmp_path / "nothing.csv")
    with pytest.raises(SchemaError, match="is a directory"):
        ts.read(tmp_path)


def test_blank_lines_are_not_rows_and_do_not_shift_row_numbers(cec):
    text = cec.text([cec.row(uik="1"), cec.row(uik="2")])
    lines = text.splitlines()
    path = _text(cec, "\n".join([lines[0], lines[1], "", "  ", lines[2], "", ""]))
    e = ts.read(path)
    assert e.stations["row"].to_list() == [2, 5]
    text_error = "\n".join([lines[0], lines[1], "", lines[2].replace(",400,", ",4x0,")])
    with pytest.raises(SchemaError) as caught:
        ts.read(_text(cec, text_error, name="other.csv"))
    assert caught.value.row == 4


def test_quoted_line_breaks_keep_row_numbers(cec):
    rows = [cec.row(uik="1"), cec.row(uik="2", tik="Тверская\nгородская"), cec.row(uik="3")]
    rows[2][cec.header.index(IVANOV)] = "x"
    with pytest.raises(SchemaError) as caught:
        ts.read(cec.write(rows))
    assert caught.value.row == 5  # row 3 spans file lines 3 and 4


def test_a_file_without_a_header_line_ending(cec):
    path = _text(cec, ",".join(f'"{c}"' for c in cec.header))
    with pytest.raises(SchemaError, match="no data rows"):
        ts.read(path)


def test_duplicate_and_blank_header_cells(cec):
    header = list(cec.header)
    header[-1] = header[-2]
    with pytest.raises(SchemaError, match="two columns have this name") as caught:
        ts.read(cec.write([cec.row()], header=header))
    assert caught.value.row == 1 and caught.value.column == IVANOV
    header[-1] = " "
    with pytest.raises(SchemaError, match="header cell 11 is blank"):
        ts.read(cec.write([cec.row()], header=header, name="blank.csv"))


def test_a_parquet_table_with_nested_columns(tmp_path):
    path = tmp_path / "nested.parquet"
    pl.DataFrame({"id": ["1"], "a": [[1, 2]], "b": [3]}).write_parquet(path)
    mapping = ts.io.parse_mapping({"columns": {"station": "id"}})
    with pytest.raises(SchemaError, match="lists or records") as caught:
        ts.io.read_table(path, mapping)
    assert caught.value.column == "a"


def test_an_empty_parquet_table(tmp_path):
    path = tmp_path / "empty.parquet"
    pl.DataFrame({"id": [], "a": []}, schema={"id": pl.String, "a": pl.Int64}).write_parquet(path)
    with pytest.raises(SchemaError, match="no rows"):
        ts.io.read_table(path, ts.io.parse_mapping({"columns": {"station": "id"}}))
