"""Small Russian-CEC-shaped files written to tmp_path, for the loader's logic."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pytest

CEC_HEADER = [
    "region",
    "tik",
    "uik",
    "Число избирателей, включенных в список избирателей",
    "Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно",
    "Число избирательных бюллетеней, выданных в помещении для голосования в день голосования",
    "Число избирательных бюллетеней, выданных вне помещения для голосования в день голосования",
    "Число недействительных избирательных бюллетеней",
    "Число действительных избирательных бюллетеней",
    "Иванов Иван Иванович",
    "Петров Пётр Петрович",
]


def cec_row(
    region: str = "Тверская область",
    tik: str = "1 Тверская",
    uik: str = "УИК №1",
    registered: int | str = 1000,
    inside: int | str = 550,
    outside: int | str = 50,
    invalid: int | str = 10,
    votes: Sequence[int | str] = (400, 190),
    early: int | str = 0,
) -> list[str]:
    """One station row; valid is the sum of the votes when they are numbers."""
    numbers = all(isinstance(v, int) for v in votes)
    valid: int | str = sum(int(v) for v in votes) if numbers else ""
    return [region, tik, uik] + [
        str(x) for x in (registered, early, inside, outside, invalid, valid, *votes)
    ]


def csv_text(rows: Sequence[Sequence[str]], header: Sequence[str] = CEC_HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


class CecFiles:
    """Helpers handed to tests by the ``cec`` fixture."""

    header = CEC_HEADER
    row = staticmethod(cec_row)
    text = staticmethod(csv_text)

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(
        self,
        rows: Sequence[Sequence[str]],
        header: Sequence[str] = CEC_HEADER,
        name: str = "cec.csv",
    ) -> Path:
        path = self.folder / name
        path.write_text(csv_text(rows, header), encoding="utf-8")
        return path


@pytest.fixture
def cec(tmp_path: Path) -> CecFiles:
    """``cec.row(...)``, ``cec.write(rows)``, ``cec.text(rows)``, ``cec.header``."""
    return CecFiles(tmp_path)
