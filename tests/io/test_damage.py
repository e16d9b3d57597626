"""Random damage to a valid small file either loads with every data row accounted for, or
raises a TallyscopeError: never another exception, never a row silently dropped."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tallyscope as ts
from tallyscope.exceptions import TallyscopeError

CEC = (
    'region,tik,uik,"Число избирателей, включенных в список избирателей",'
    '"Число избирательных бюллетеней, выданных в помещении для голосования",'
    "Число недействительных избирательных бюллетеней,"
    "Число действительных избирательных бюллетеней,Иванов Иван,Петров Пётр\n"
    "Тверская область,1 Тверская,УИК №1,1000,600,10,590,400,190\n"
    'Тверская область,"2 Ржевская, городская",УИК №2,800,500,5,495,300,195\n'
    "Тверская область,2 Ржевская,УИК №3,700,0,0,0,0,0\n"
    "город Москва,район Арбат,УИК №4,1500,900,9,891,500,391\n"
    "Территория за пределами РФ,УИК №8001,УИК №8001,120,110,1,109,100,9\n"
    "Донецкая Народная Республика,ТИК №1,УИК №910,,,,,,\n"
)
PKW = (
    "polling_station_id;teryt_gmina;teryt_powiat;postal_code;eligible_voters;ballots_cast;"
    "valid_votes;Nowak;Kowalski\n"
    "1;146501;1465;00-001;1200;800;790;400;390\n"
    "2;146501;1465;00-002;900;600;595;300;295\n"
    "1;020101;0201;58-500;700;400;398;200;198\n"
    "3;;;;150;140;140;100;40\n"
)
BASES = {"cec": (CEC.encode(), ","), "pkw": (PKW.encode(), ";")}


@st.composite
def _lines_damage(draw: st.DrawFn, data: bytes, separator: str) -> bytes:
    """Damage at the level of rows and cells."""
    lines = data.decode().split("\n")[:-1]
    sep = separator
    if len(lines) < 2 or "\r" in data.decode():
        return data
    action = draw(
        st.sampled_from(["delete cell", "text in count", "duplicate row", "drop column", "blank"])
    )
    if action == "blank":
        lines.insert(draw(st.integers(1, len(lines))), draw(st.sampled_from(["", " ", "\r"])))
    elif action == "duplicate row":
        i = draw(st.integers(1, len(lines) - 1))
        lines.insert(draw(st.integers(1, len(lines))), lines[i])
    else:
        i = draw(st.integers(0 if action == "delete cell" else 1, len(lines) - 1))
        cells = next(csv.reader([lines[i]], delimiter=sep), [])
        if not cells:
            return data
        j = draw(st.integers(0, len(cells) - 1))
        if action == "delete cell":
            del cells[j]
            lines[i] = _join(cells, sep)
        elif action == "text in count":
            cells[j] = draw(
                st.sampled_from(["abc", "1.5", "-3", "1e3", "١٢", " ", "NaN", "12 000"])
            )
            lines[i] = _join(cells, sep)
        else:  # drop a column from every row
            for k, line in enumerate(lines):
                row = next(csv.reader([line], delimiter=sep), [])
                if j < len(row):
                    del row[j]
                lines[k] = _join(row, sep)
    return ("\n".join(lines) + "\n").encode()


def _join(cells: list[str], sep: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="").writerow(cells)
    return out.getvalue()


@st.composite
def _byte_damage(draw: st.DrawFn, data: bytes) -> bytes:
    """Damage at the level of bytes: truncation and flipped bytes."""
    if draw(st.booleans()):
        return data[: draw(st.integers(0, len(data)))]
    damaged = bytearray(data)
    if not damaged:
        return data
    for _ in range(draw(st.integers(1, 4))):
        damaged[draw(st.integers(0, len(damaged) - 1))] = draw(
            st.one_of(st.integers(0, 255), st.sampled_from(list(b',;"\n\r 0123456789')))
        )
    return bytes(damaged)


@st.composite
def damaged_files(draw: st.DrawFn) -> tuple[str, bytes, str]:
    base = draw(st.sampled_from(sorted(BASES)))
    data, separator = BASES[base]
    for _ in range(draw(st.integers(1, 2))):
        try:
            data.decode()
        except UnicodeDecodeError:
            break
        data = draw(st.one_of(_lines_damage(data, separator), _byte_damage(data)))
    return base, data, separator


def _data_records(data: bytes, separator: str) -> int:
    """Rows after the header that are not blank, as the csv module splits them."""
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    records = list(reader)[1:]
    return sum(1 for cells in records if cells and any(c.strip() for c in cells))


def _check(path: Path, data: bytes, separator: str) -> None:
    try:
        election = ts.read(path)
    except TallyscopeError:
        return
    assert len(election) == _data_records(data, separator)
    rows = election.stations["row"]
    assert rows.is_unique().all() and (rows >= 2).all()
    assert rows.to_list() == sorted(rows.to_list())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_files())
def test_damaged_csv_loads_whole_or_raises_a_tallyscope_error(case):
    base, data, separator = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{base}.csv"
        path.write_bytes(data)
        _check(path, data, separator)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_damaged_zip_loads_whole_or_raises_a_tallyscope_error(data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2012.csv", CEC)
    damaged = data.draw(_byte_damage(buffer.getvalue()))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "2012.csv.zip"
        path.write_bytes(damaged)
        try:
            election = ts.read(path)
        except TallyscopeError:
            return
        assert len(election) == CEC.count("\n") - 1  # only a no-op damage loads


def test_the_undamaged_files_load():
    with tempfile.TemporaryDirectory() as folder:
        for base, (data, separator) in BASES.items():
            path = Path(folder) / f"{base}.csv"
            path.write_bytes(data)
            assert len(ts.read(path)) == _data_records(data, separator) == data.count(b"\n") - 1
