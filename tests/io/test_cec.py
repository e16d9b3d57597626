"""The Russian CEC loader on small files: one test per quirk of shared/data/russia/README.md."""

from __future__ import annotations

import polars as pl
import pytest

import tallyscope as ts
from tallyscope.io import read_cec
from tallyscope.io._text import clean_name
from tallyscope.io.cec import ABROAD_REGION, classify_header

EMPTY = "empty: no figures published"


def _kinds(election: ts.Election) -> list[str]:
    return election.stations["kind"].cast(pl.String).to_list()


def _station(election: ts.Election, station: str) -> dict:
    rows = election.stations.filter(pl.col("station") == station)
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def test_clean_file_reads_with_roles_kinds_and_rows(cec):
    path = cec.write([cec.row(uik="УИК №1"), cec.row(uik="УИК №2", votes=(300, 280))])
    e = ts.read(path)
    assert len(e) == 2
    assert e.parties == ("Иванов Иван Иванович", "Петров Пётр Петрович")
    assert _kinds(e) == ["regular", "regular"]
    assert e.stations["row"].to_list() == [2, 3]
    assert e.stations["issued"].to_list() == [600, 600]  # early + at the station + outside
    assert e.stations["cast"].to_list() == [600, 590]  # valid + invalid
    assert e.flagged() == {}
    assert e.info.provenance["derived"] == {
        "issued": "issued_early + issued_station + issued_outside",
        "cast": "valid + invalid",
    }


def test_a_broken_identity_is_flagged_not_dropped(cec):
    path = cec.write([cec.row(uik="1"), cec.row(uik="2", votes=(300, 295))])  # 605 > 600 issued
    e = ts.read(path)
    assert len(e) == 2
    assert e.flagged() == {"valid + invalid exceed ballots issued": 1}


def test_entirely_empty_rows_are_kept_as_empty_and_counted_apart(cec):
    # 2024: rows of the annexed regions carry identifiers and no figure at all.
    empty = cec.row(
        region="Донецкая Народная Республика",
        tik="ТИК №1",
        uik="УИК №910",
        registered="",
        early="",
        inside="",
        outside="",
        invalid="",
        votes=("", ""),
    )
    path = cec.write([cec.row(), empty, cec.row(uik="УИК №2")])
    e = ts.read(path)
    assert len(e) == 3
    assert _kinds(e) == ["regular", "empty", "regular"]
    row = _station(e, "910")
    assert row["row"] == 3
    assert all(row[c] is None for c in ("registered", "issued", "cast", "valid", *e.parties))
    s = ts.summarize(e)
    assert s.stations == 2
    assert s.excluded == {EMPTY: 1}
    assert s.registered == 2000


def test_whole_numbers_written_as_floats_are_read(cec):
    # A file once saved through a float column writes 1000.0; that is still a count.
    path = cec.write([cec.row(registered="1000.0", votes=("400.0", 190))])
    assert ts.read(path).stations["registered"].to_list() == [1000]


def test_station_without_voters_is_zero(cec):
    no_voters = cec.row(uik="УИК №2", registered=0, inside=0, outside=0, invalid=0, votes=(0, 0))
    path = cec.write([cec.row(), no_voters])
    assert _kinds(ts.read(path)) == ["regular", "zero"]


def test_station_without_ballots_is_zero(cec):
    no_ballots = cec.row(uik="УИК №2", registered=900, inside=0, outside=0, invalid=0, votes=(0, 0))
    path = cec.write([cec.row(), no_ballots])
    e = ts.read(path)
    assert _kinds(e) == ["regular", "zero"]
    assert ts.summarize(e).by_kind == {"regular": 1, "zero": 1}


def test_zero_register_abroad_is_still_abroad(cec):
    # Abroad, voters register on the day: no register is no sign of a dead row.
    path = cec.write(
        [
            cec.row(),
            cec.row(region="99 Территория за пределами РФ", uik="УИК №8001", registered=0),
        ]
    )
    assert _kinds(ts.read(path)) == ["regular", "abroad"]


@pytest.mark.parametrize(
    "region",
    ["99 Территория за пределами РФ", "Зарубежная территория", "Территория за пределами РФ"],
)
def test_foreign_pseudo_regions_are_abroad_under_one_name(cec, region):
    path = cec.write([cec.row(), cec.row(region=region, tik="Посольство", uik="УИК №5")])
    e = ts.read(path)
    assert _kinds(e) == ["regular", "abroad"]
    assert _station(e, "5")["region"] == ABROAD_REGION


def test_baikonur_is_special(cec):
    path = cec.write(
        [cec.row(), cec.row(region="98 Город Байконур (Республика Казахстан)", uik="УИК №5349")]
    )
    e = ts.read(path)
    assert _kinds(e) == ["regular", "special"]
    assert _station(e, "5349")["region"] == "Город Байконур (Республика Казахстан)"


@pytest.mark.parametrize(
    ("uik", "kind"),
    [
        ("8000", "abroad"),
        ("8446", "abroad"),
        ("8999", "abroad"),
        ("7999", "regular"),
        ("9000", "regular"),
    ],
)
def test_foreign_stations_inside_domestic_regions_by_number(cec, uik, kind):
    # 2016 and 2021 have no foreign region: foreign stations are numbered 8000-8999.
    path = cec.write([cec.row(region="Нижегородская область", uik=uik)])
    assert _kinds(ts.read(path)) == [kind]


def test_2024_abroad_rows_with_the_station_label_in_tik(cec):
    path = cec.write(
        [
            cec.row(region="Тверская область", tik="Тверская", uik="УИК №1"),
            cec.row(region="Территория за пределами РФ", tik="УИК №8000", uik="УИК №8000"),
            cec.row(
                region="Город Байконур (Республика Казахстан)", tik="УИК №8140", uik="УИК №8140"
            ),
        ]
    )
    e = ts.read(path)
    assert _kinds(e) == ["regular", "abroad", "special"]
    assert _station(e, "8000")["commission"] == ABROAD_REGION
    assert _station(e, "8140")["commission"] == "Город Байконур (Республика Казахстан)"
    assert not e.stations["commission"].str.contains("УИК").any()


def test_remote_evote_pseudo_stations_are_electronic(cec):
    # 2021: pseudo-stations with an empty uik named after remote voting, and Moscow's
    # "stations" 5001-5015, each with more voters than any polling room holds.
    path = cec.write(
        [
            cec.row(region="город Москва", tik="район Арбат", uik="УИК №2000"),
            cec.row(
                region="Курская область",
                tik="Дистанционное электронное голосование",
                uik="",
                registered=27571,
                inside=20000,
                outside=0,
                invalid=0,
                votes=(10000, 10000),
            ),
            cec.row(
                region="город Москва",
                tik="район Арбат",
                uik="УИК №5013",
                registered=104716,
                inside=90000,
                outside=0,
                invalid=0,
                votes=(50000, 40000),
            ),
        ]
    )
    e = ts.read(path)
    assert _kinds(e) == ["regular", "electronic", "electronic"]
    assert e.stations["channel"].cast(pl.String).to_list() == ["paper", "evote", "evote"]
    assert e.stations["station"].to_list() == ["2000", None, "5013"]


def test_a_file_named_as_evote_is_read_as_electronic(cec):
    path = cec.write([cec.row()], name="2024-electronic-voting.csv")
    assert _kinds(ts.read(path)) == ["electronic"]
    assert _kinds(read_cec(path, kind="regular")) == ["regular"]


def test_forced_kind_must_be_a_kind(cec):
    with pytest.raises(ts.exceptions.SchemaError, match="not a station kind"):
        read_cec(cec.write([cec.row()]), kind="robot")


def test_station_labels_uik_n_and_plain_numbers_agree(cec):
    labelled = ts.read(cec.write([cec.row(uik="УИК №17"), cec.row(uik="УИК № 18")], name="a.csv"))
    plain = ts.read(cec.write([cec.row(uik="17"), cec.row(uik="18")], name="b.csv"))
    assert labelled.stations["station"].to_list() == ["17", "18"]
    assert plain.stations["station"].to_list() == ["17", "18"]


def test_latin_look_alike_letters_in_tik_names_are_replaced(cec):
    path = cec.write(
        [
            cec.row(tik="3 Астрахань, Cоветская", uik="1"),  # Latin C
            cec.row(tik="23 Cacовская", uik="2"),  # Latin C, a
            cec.row(tik="6 Kлепиковская", uik="3"),  # Latin K
        ]
    )
    e = ts.read(path)
    assert e.stations["commission"].to_list() == [
        "Астрахань, Советская",
        "Сасовская",
        "Клепиковская",
    ]
    assert clean_name("Moscow Cоветская") == "Moscow Советская"  # Latin words are left alone


def test_double_spaces_in_2004_headers_are_matched(cec):
    header = list(cec.header)
    header[4] = "Число избирательных бюллетеней, выданных  досрочно"
    header[3] = "Число избирателей,  внесенных в список"
    roles, parties, _ = classify_header(header)
    assert roles[header[4]] == "issued_early"
    assert roles[header[3]] == "registered"
    e = ts.read(cec.write([cec.row(early=5)], header=header))
    assert e.stations["issued"].to_list() == [605]
    assert "Иванов Иван Иванович" in parties


@pytest.mark.parametrize(
    "variant", ["Город Москва", "город Москва", "77 город Москва", "Город  Москва"]
)
def test_region_name_case_variants_normalise_to_one_name(cec, variant):
    path = cec.write([cec.row(region=variant)])
    assert ts.read(path).stations["region"].to_list() == ["Город Москва"]


def test_referendum_file_with_yes_and_no(cec):
    header = [
        "name",
        "region",
        "tik",
        "uik",
        "Число участников голосования, включенных в список участников голосования",
        "Число бюллетеней, выданных участникам голосования",
        "Число бюллетеней, содержащихся в ящиках для голосования",
        "Число недействительных бюллетеней",
        "ДА",
        "НЕТ",
    ]
    rows = [
        [
            "Голосование",
            "Тверская область",
            "1 Тверская",
            "УИК №1",
            "100",
            "80",
            "80",
            "2",
            "50",
            "28",
        ]
    ]
    e = ts.read(cec.write(rows, header=header))
    assert e.info.kind == "referendum"
    assert e.parties == ("ДА", "НЕТ")
    row = e.stations.row(0, named=True)
    assert (row["valid"], row["invalid"], row["cast"], row["boxes"]) == (78, 2, 80, 80)
    assert e.info.provenance["derived"]["valid"] == "sum of party votes"
