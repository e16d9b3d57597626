"""The Russian CEC loader on the real files of shared/data/russia (skipped where absent):
row counts, the quirks of its README, and the published totals."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polars as pl
import pytest

import tallyscope as ts
from tallyscope.io.cec import ABROAD_REGION

pytestmark = pytest.mark.shared

#: Rows of each file, from shared/data/russia/README.md.
ROWS = {
    "2004": 95_779,
    "2007": 96_193,
    "2008": 96_612,
    "2011": 95_225,
    "2012": 95_415,
    "2016": 96_871,
    "2020": 96_765,
    "2021": 96_325,
    "2024": 94_214,
}
EMPTY = "empty: no figures published"


@cache
def _read(folder: Path, year: str) -> ts.Election:
    return ts.read(folder / "russia" / f"{year}.csv.zip")


@pytest.fixture(scope="module")
def read_year(shared_data):
    return lambda year: _read(shared_data, year)


def _kind(election: ts.Election, kind: str) -> pl.DataFrame:
    return election.stations.filter(pl.col("kind") == kind)


@pytest.mark.parametrize("year", sorted(ROWS))
def test_every_row_of_every_file_is_read(read_year, year):
    e = read_year(year)
    assert len(e) == ROWS[year]
    assert e.stations["row"].to_list() == list(range(2, ROWS[year] + 2))
    assert e.info.provenance["file"] == f"{year}.csv.zip"


@pytest.mark.parametrize("year", sorted(ROWS))
def test_zero_kind_means_no_voters_or_no_ballots(read_year, year):
    zero = _kind(read_year(year), "zero")
    assert ((zero["registered"] == 0) | (zero["cast"] == 0)).all()
    regular = _kind(read_year(year), "regular")
    assert ((regular["registered"] > 0) & (regular["cast"] > 0)).all()


def test_2024_empty_rows_are_kept_and_counted(read_year):
    e = read_year("2024")
    empty = _kind(e, "empty")
    assert empty.height == 2_268
    figures = [c for c in e.stations.columns if c in ts.model.COUNT_ROLES] + list(e.parties)
    assert empty.select(pl.all_horizontal(pl.col(figures).is_null())).to_series().all()
    s = ts.summarize(e)
    assert s.excluded == {EMPTY: 2_268}
    assert s.stations == 94_214 - 2_268


def test_2024_stations_with_zero_voters(read_year):
    zero = _kind(read_year("2024"), "zero")
    assert zero.height == 7
    assert (zero["registered"] == 0).all()


def test_foreign_regions_are_abroad_and_baikonur_special(read_year):
    for year in ("2004", "2008", "2012", "2020", "2024"):
        e = read_year(year)
        foreign = e.stations.filter(pl.col("region") == ABROAD_REGION)
        assert foreign.height > 250, year
        assert set(foreign["kind"].cast(pl.String)) <= {"abroad", "zero"}, year
        baikonur = e.stations.filter(pl.col("region").str.contains("Байконур"))
        assert baikonur.height in (7, 8), year
        assert set(baikonur["kind"].cast(pl.String)) == {"special"}, year
    # 2007 and 2011 call the foreign region "Зарубежная территория": one name in the table.
    for year in ("2007", "2011"):
        regions = set(read_year(year).stations["region"])
        assert ABROAD_REGION in regions and "Зарубежная территория" not in regions


@pytest.mark.parametrize(("year", "stations"), [("2016", 372), ("2021", 355)])
def test_2016_2021_foreign_stations_known_only_by_number(read_year, year, stations):
    e = read_year(year)
    assert ABROAD_REGION not in set(e.stations["region"])
    abroad = _kind(e, "abroad")
    assert abroad.height == stations
    numbers = abroad["station"].cast(pl.Int64)
    assert numbers.is_between(8000, 8999).all()
    assert abroad["region"].n_unique() > 20  # scattered over domestic regions
    outside = e.stations.filter(~pl.col("kind").is_in(["abroad", "zero"]))
    assert not outside["station"].cast(pl.Int64, strict=False).is_between(8000, 8999).any()


def test_2024_abroad_tik_holding_the_station_label(read_year):
    e = read_year("2024")
    assert not e.stations["commission"].drop_nulls().str.contains(r"^УИК\s*№").any()
    abroad = _kind(e, "abroad")
    assert abroad.height == 288
    assert (abroad["commission"] == ABROAD_REGION).all()
    assert abroad["station"].cast(pl.Int64).is_between(8000, 8999).all()


def test_2021_remote_evote_pseudo_stations(read_year):
    e = read_year("2021")
    ev = _kind(e, "electronic")
    assert ev.height == 33
    assert set(ev["channel"].cast(pl.String)) == {"evote"}
    named = ev.filter(pl.col("station").is_null())
    assert named.height == 18
    assert (named["commission"] == "Дистанционное электронное голосование").all()
    moscow = ev.filter(pl.col("station").is_not_null())
    assert sorted(moscow["station"].cast(pl.Int64)) == list(range(5001, 5016))
    assert set(moscow["region"]) == {"Город Москва"}
    assert ev["registered"].sum() == 2_650_325
    assert ev["cast"].sum() == 2_480_446 == ev["valid"].sum() + ev["invalid"].sum()
    united_russia = e.party("ЕДИНАЯ РОССИЯ")
    assert ev[united_russia].sum() == 1_166_200
    # The key needs the district: pseudo-stations share region and commission.
    assert ev.select("region", "commission", "station").is_duplicated().any()
    assert not ev.select("region", "district", "commission", "station").is_duplicated().any()


@pytest.mark.parametrize("year", ["2012", "2020", "2024"])
def test_station_labels_are_plain_numbers(read_year, year):
    # uik is an integer up to 2018 and the text "УИК №N" from 2020.
    stations = read_year(year).stations["station"].drop_nulls()
    assert stations.str.contains(r"^\d+$").all()


def test_latin_look_alike_letters_in_tik_names(read_year):
    mixed = re.compile(r"\b(?=\w*[А-Яа-яЁё])(?=\w*[A-Za-z])\w+\b")
    for year in ("2004", "2016", "2021", "2024"):
        names = read_year(year).stations["commission"].drop_nulls().unique().to_list()
        assert not [n for n in names if mixed.search(n)], year
    names_2016 = set(read_year("2016").stations["commission"])
    assert "Астрахань, Советская" in names_2016
    assert "Сасовская" in names_2016


def test_2004_double_spaced_headers(read_year):
    e = read_year("2004")
    columns = e.info.provenance["columns"]
    early = [c for c, role in columns.items() if role == "issued_early"]
    assert early == ["Число избирательных бюллетеней, выданных  досрочно"]
    parts = e.stations.select(pl.sum_horizontal("issued_early", "issued_station", "issued_outside"))
    assert (parts.to_series() == e.stations["issued"]).all()


def test_moscow_has_one_name_across_years(read_year):
    for year in ("2012", "2016", "2020", "2021", "2024"):
        regions = set(read_year(year).stations["region"])
        assert "Город Москва" in regions, year
        assert "город Москва" not in regions, year


def test_2012_published_totals(read_year):
    s = ts.summarize(read_year("2012"))
    assert s.stations == 95_415
    assert s.registered == 109_860_331
    assert s.cast == 71_701_665
    assert round(s.turnout_pct, 2) == 65.34
    putin = next(p for p in s.parties if p.name.startswith("Путин"))
    assert (round(putin.pct_of_cast, 2), round(putin.pct_of_valid, 2)) == (63.60, 64.35)


def test_2024_evote_file(shared_data):
    e = ts.read(shared_data / "russia" / "2024-electronic-voting.csv")
    assert len(e) == 29
    assert set(e.stations["kind"].cast(pl.String)) == {"electronic"}
    assert e.stations["region"].n_unique() == 29
