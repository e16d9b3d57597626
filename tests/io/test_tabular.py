"""The mapped-table loader on small fixtures: presets (cz-volby, long, pl-pkw shapes), missing
columns, filters, candidate tables, kinds and channels."""

from __future__ import annotations

import textwrap
from pathlib import Path

import polars as pl
import pytest

import tallyscope as ts
from tallyscope.exceptions import MappingError, SchemaError
from tallyscope.io import detect_format, parse_mapping, preset, read_table

# A Czech "pet1" file as the Czech Statistical Office describes it: both rounds in one file,
# candidates by ballot number; in round 2 only the two finalists have figures.
PET1 = """\
ID_OKRSKY,TYP_FORM,OPRAVA,CHYBA,OKRES,OBEC,OKRSEK,KC_1,KOLO,VOL_SEZNAM,VYD_OBALKY,ODEVZ_OBAL,PL_HL_CELK,HLASY_01,HLASY_02,HLASY_03,HLASY_04
1,1,0,0,3100,544256,1,,1,900,600,598,590,100,200,90,200
2,1,0,0,3100,544256,2,,1,800,500,500,495,95,200,100,100
3,1,0,0,3101,545058,1,,1,700,400,399,397,97,100,100,100
4,1,0,0,3101,545058,2,,1,0,0,0,0,0,0,0,0
1,1,0,0,3100,544256,1,,2,900,620,620,612,,400,,212
2,1,0,0,3100,544256,2,,2,800,510,509,505,,300,,205
3,1,0,0,3101,545058,1,,2,700,420,420,419,,219,,200
4,1,0,0,3101,545058,2,,2,0,0,0,0,,0,,0
"""
# The candidate register ("perk"): number, first name, surname, ...
PERK = """\
CKAND,JMENO,PRIJMENI,TITULPRED,TITULZA
1,Jana,Nováková,,
2,Petr,Svoboda,Ing.,
3,Eva,Dvořáková,,
4,Karel,Černý,,CSc.
"""
LONG = """\
region,station,choice,votes
North,1,Registered Voters,1000
North,1,Ballots Cast,600
North,1,Alice,350
North,1,Bob,240
North,2,Registered Voters,800
North,2,Ballots Cast,500
North,2,Bob,290
North,2,Alice,200
South,1,Registered Voters,700
South,1,Ballots Cast,400
South,1,Alice,100
South,1,Bob,295
"""
PKW = """\
polling_station_id;teryt_gmina;teryt_powiat;postal_code;eligible_voters;ballots_cast;valid_votes;Nowak;Kowalski
1;146501;1465;00-001;1200;800;790;400;390
2;146501;1465;00-002;900;600;595;300;295
1;20101;201;58-500;700;400;398;200;198
3;;;;150;140;140;100;40
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _mapping(text: str) -> ts.io.ColumnMapping:
    import tomllib

    return parse_mapping(tomllib.loads(textwrap.dedent(text)))


# -- cz-volby ----------------------------------------------------------------------------


def test_cz_volby_is_recognised_from_the_header(tmp_path):
    path = _write(tmp_path, "pet1.csv", PET1)
    assert detect_format(ts.io.read_header(path)) == "cz-volby"


def test_cz_volby_one_file_two_rounds_needs_a_round(tmp_path):
    path = _write(tmp_path, "pet1.csv", PET1)
    with pytest.raises(SchemaError, match=r"several values of KOLO \(1, 2\).*round='1'") as caught:
        ts.read(path)
    assert caught.value.column == "KOLO"
    with pytest.raises(SchemaError, match=r"no rows with KOLO = 3 \(it holds 1, 2\)"):
        ts.read(path, round=3)


def test_cz_volby_round_1(tmp_path):
    path = _write(tmp_path, "pet1.csv", PET1)
    e = ts.read(path, round=1)
    s = ts.summarize(e)
    assert e.parties == ("HLASY_01", "HLASY_02", "HLASY_03", "HLASY_04")
    assert (s.stations, s.registered, s.issued, s.cast, s.valid, s.invalid) == (
        4,
        2400,
        1500,
        1497,
        1482,
        15,
    )
    assert s.by_kind == {"regular": 3, "zero": 1}
    assert e.stations["row"].to_list() == [2, 3, 4, 5]
    assert e.stations.select("district", "commission", "station").row(2) == ("3101", "545058", "1")
    assert e.info.provenance["filters"] == {"round": "1"}
    assert e.info.provenance["derived"] == {"invalid": "cast - valid"}
    assert e.info.country == "CZ" and e.info.kind == "president"
    assert e.flagged() == {}


def test_cz_volby_round_2_with_candidate_names(tmp_path):
    path = _write(tmp_path, "pet1.csv", PET1)
    perk = _write(tmp_path, "perk.csv", PERK)
    e = ts.read(path, round=2, candidates=perk)
    # Candidates without a figure in this round are left out, and listed.
    assert e.parties == ("Petr Svoboda", "Karel Černý")
    assert e.info.provenance["parties_without_figures"] == ["HLASY_01", "HLASY_03"]
    assert e.stations["row"].to_list() == [6, 7, 8, 9]
    s = ts.summarize(e)
    assert {p.name: p.votes for p in s.parties} == {"Petr Svoboda": 919, "Karel Černý": 617}
    assert e.leader == "Petr Svoboda"


def test_candidate_names_as_a_dict_and_by_column(tmp_path):
    path = _write(tmp_path, "pet1.csv", PET1)
    e = ts.read(path, round=1, candidates={"1": "Nováková", "HLASY_02": "Svoboda", "04": "Černý"})
    assert e.parties == ("Nováková", "Svoboda", "HLASY_03", "Černý")


def test_candidate_name_template_and_errors(tmp_path):
    path = _write(tmp_path, "pet1.csv", PET1)
    perk = _write(tmp_path, "perk.csv", PERK)
    mapping = preset("cz-volby")
    numbered = type(mapping.candidates)("CKAND", "{number}. {TITULPRED} {PRIJMENI}")
    from dataclasses import replace

    e = read_table(path, replace(mapping, candidates=numbered), round=1, candidates=perk)
    assert e.parties == ("1. Nováková", "2. Ing. Svoboda", "3. Dvořáková", "4. Černý")
    broken = type(mapping.candidates)("CKAND", "{NAME}")
    with pytest.raises(MappingError, match="cannot be filled.*CKAND, JMENO"):
        read_table(path, replace(mapping, candidates=broken), round=1, candidates=perk)
    with pytest.raises(SchemaError, match="no such column for \\[candidates\\] key"):
        read_table(
            path,
            replace(mapping, candidates=type(mapping.candidates)("NUMBER", "{JMENO}")),
            round=1,
            candidates=perk,
        )
    doubled = _write(tmp_path, "doubled.csv", PERK + "04,Karel,Novák,,\n")
    with pytest.raises(SchemaError, match="candidate number 04 appears twice") as caught:
        ts.read(path, round=1, candidates=doubled)
    assert caught.value.row == 6
    with pytest.raises(MappingError, match="has no \\[candidates\\] section"):
        ts.read(_write(tmp_path, "pkw.csv", PKW), candidates=perk)


# -- long tables ---------------------------------------------------------------------------


def test_long_table_with_the_shipped_preset(tmp_path):
    path = _write(tmp_path, "results.csv", LONG)
    assert detect_format(ts.io.read_header(path)) == "long"
    e = ts.read(path)
    assert e.parties == ("Alice", "Bob")
    table = e.stations
    assert table["region"].to_list() == ["North", "North", "South"]
    assert table["station"].to_list() == ["1", "2", "1"]
    assert table["registered"].to_list() == [1000, 800, 700]
    assert table["cast"].to_list() == [600, 500, 400]
    assert table["Alice"].to_list() == [350, 200, 100]
    assert table["row"].to_list() == [2, 6, 10]  # each station's first row
    prov = e.info.provenance
    assert prov["long"] == {"Registered Voters": "registered", "Ballots Cast": "cast"}
    assert prov["absent"]["district"] == "district" and "issued" in prov["absent"]
    assert ts.summarize(e).valid == 1475


def test_long_table_errors_name_the_row(tmp_path):
    twice = LONG + "South,1,Alice,5\n"
    with pytest.raises(SchemaError, match="'Alice'\\) appear again at row 14") as caught:
        ts.read(_write(tmp_path, "twice.csv", twice))
    assert caught.value.row == 12 and caught.value.column == "choice"
    bad = LONG.replace("South,1,Bob,295", "South,1,Bob,2x5")
    with pytest.raises(SchemaError, match="not a whole number") as caught:
        ts.read(_write(tmp_path, "bad.csv", bad))
    assert (caught.value.row, caught.value.column) == (13, "votes")
    blank = LONG.replace("South,1,Bob,295", "South,1,,295")
    with pytest.raises(SchemaError, match="names no choice") as caught:
        ts.read(_write(tmp_path, "blank.csv", blank))
    assert caught.value.row == 13
    nostation = LONG.replace("region,station,", "region,precinct,")
    with pytest.raises(SchemaError, match="station") as caught:
        ts.read(_write(tmp_path, "nostation.csv", nostation), format="long")
    assert caught.value.column == "station"


def test_long_table_keeps_station_columns_for_kinds(tmp_path):
    text = "precinct,place,candidate,n\n" + "\n".join(
        [
            "1,home,Registered,100",
            "1,home,X,40",
            "1,home,Y,30",
            "2,abroad,Registered,50",
            "2,abroad,X,10",
            "2,abroad,Y,20",
        ]
    )
    mapping = _mapping(
        """
        [columns]
        station = "precinct"
        [long]
        choice = "candidate"
        votes = "n"
        roles = { Registered = "registered" }
        [kinds]
        abroad = "place = 'abroad'"
        """
    )
    e = read_table(_write(tmp_path, "t.csv", text), mapping)
    assert e.stations["kind"].cast(pl.String).to_list() == ["regular", "abroad"]
    assert e.parties == ("X", "Y")


# -- pl-pkw shape: missing columns and derived roles -------------------------------------


def test_pkw_shape_reads(tmp_path):
    e = ts.read(_write(tmp_path, "pkw.csv", PKW))
    assert e.info.provenance["loader"].endswith("(format pl-pkw)")
    assert e.stations["kind"].cast(pl.String).to_list() == ["regular"] * 3 + ["abroad"]
    assert e.stations["region"].to_list() == ["mazowieckie"] * 2 + [
        "dolnośląskie",
        "abroad and ships",
    ]
    assert e.stations["invalid"].to_list() == [10, 5, 2, 0]


def test_missing_optional_count_column_is_recorded_absent(tmp_path):
    text = PKW.replace("eligible_voters;", "").replace(";1200;", ";").replace(";900;", ";")
    text = text.replace(";700;", ";").replace(";150;", ";")
    e = ts.read(_write(tmp_path, "pkw.csv", text), format="pl-pkw")
    assert "registered" not in e.stations.columns
    assert e.info.provenance["absent"] == {"registered": "eligible_voters"}
    assert ts.summarize(e).turnout_pct is None


def test_derived_count_needing_an_absent_column_is_skipped(tmp_path):
    header, *rows = PKW.splitlines()
    cells = header.split(";")
    drop = cells.index("ballots_cast")
    text = "\n".join(
        ";".join(c for i, c in enumerate(r.split(";")) if i != drop) for r in [header, *rows]
    )
    e = ts.read(_write(tmp_path, "pkw.csv", text + "\n"), format="pl-pkw")
    absent = e.info.provenance["absent"]
    assert absent["cast"] == "ballots_cast"
    assert absent["invalid"].startswith("[derive] cast - valid (needs ")
    assert e.stations["cast"].to_list() == e.stations["valid"].to_list()


def test_missing_identifier_column_is_an_error(tmp_path):
    text = PKW.replace("polling_station_id;", "number;")
    with pytest.raises(SchemaError, match="the station \\(a station identifier\\)") as caught:
        ts.read(_write(tmp_path, "pkw.csv", text), format="pl-pkw")
    assert (caught.value.row, caught.value.column) == (1, "polling_station_id")


def test_missing_party_anchor_is_an_error(tmp_path):
    text = PKW.replace("valid_votes;", "valid;")
    with pytest.raises(SchemaError, match="every column after it") as caught:
        ts.read(_write(tmp_path, "pkw.csv", text), format="pl-pkw")
    assert caught.value.column == "valid_votes"


def test_duplicate_station_key_in_a_mapped_table(tmp_path):
    text = PKW + "2;146501;1465;00-002;900;600;595;300;295\n"
    with pytest.raises(SchemaError, match="duplicate station key") as caught:
        ts.read(_write(tmp_path, "pkw.csv", text))
    assert caught.value.row == 3


def test_unknown_filter_and_options(tmp_path):
    path = _write(tmp_path, "pkw.csv", PKW)
    with pytest.raises(MappingError, match="has no filter round; its filters: none"):
        ts.read(path, round=1)
    with pytest.raises(SchemaError, match="do not apply to format russia-cec"):
        ts.read(path, format="russia-cec", round=1)
    with pytest.raises(MappingError, match="unknown format 'nope'"):
        ts.read(path, format="nope")


def test_read_with_a_mapping_file(tmp_path):
    path = _write(tmp_path, "mine.csv", "id,voters,a,b\n1,10,3,4\n2,20,5,6\n")
    mapping = _write(
        tmp_path,
        "my.toml",
        '[format]\nname = "mine"\n[columns]\nstation = "id"\nregistered = "voters"\n'
        '[parties]\ncolumns = ["a", "b"]\nnames = { a = "Party A" }\n',
    )
    e = ts.read(path, mapping=mapping)
    assert e.parties == ("Party A", "b")
    assert e.info.provenance["loader"] == "tallyscope.io.read_table (format mine)"
    with pytest.raises(MappingError, match="not both"):
        ts.read(path, mapping=mapping, format="pl-pkw")


def test_channel_values_must_be_mapped(tmp_path):
    path = _write(tmp_path, "t.csv", "id,how,a\n1,machine,3\n2,hand,4\n3,robot,1\n")
    mapping = _mapping(
        """
        [columns]
        station = "id"
        [channel]
        column = "how"
        values = { machine = "machine", hand = "paper" }
        """
    )
    with pytest.raises(MappingError, match="no entry for values \\['robot'\\]"):
        read_table(path, mapping)


def test_kind_conditions_must_be_conditions(tmp_path):
    path = _write(tmp_path, "t.csv", "id,place,a\n1,3,4\n")
    mapping = _mapping('[columns]\nstation = "id"\n[kinds]\nabroad = "place || \'x\'"\n')
    with pytest.raises(MappingError, match="must be a condition"):
        read_table(path, mapping)
    bad_sql = _mapping('[columns]\nstation = "id"\n[kinds]\nabroad = "nothing = 1"\n')
    with pytest.raises(MappingError, match="cannot be evaluated"):
        read_table(path, bad_sql)


def test_parquet_table_with_a_mapping(tmp_path):
    path = tmp_path / "t.parquet"
    pl.DataFrame(
        {"id": ["1", "2"], "voters": [10, 20], "a": [3, 5], "b": [4.0, 6.0]}
    ).write_parquet(path)
    mapping = _mapping('[columns]\nstation = "id"\nregistered = "voters"\n')
    e = read_table(path, mapping)
    assert e.stations["b"].to_list() == [4, 6]
    assert e.stations["row"].to_list() == [2, 3]
