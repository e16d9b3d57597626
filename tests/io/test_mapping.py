"""Column mappings: the shipped presets, validation of a mapping's TOML, suggestions."""

from __future__ import annotations

import tomllib

import pytest

from tallyscope.exceptions import MappingError
from tallyscope.io import (
    detect_format,
    format_names,
    load_mapping,
    parse_mapping,
    preset,
    suggest_mapping,
)
from tallyscope.io.formats import PRESET_DIR, matching_formats


def test_every_format_the_issue_names_is_shipped():
    assert set(format_names()) >= {
        "tallyscope",
        "russia-cec",
        "pl-pkw",
        "ge-cec",
        "cz-volby",
        "long",
    }
    for path in PRESET_DIR.glob("*.toml"):
        mapping = load_mapping(path)
        assert mapping.name == path.stem
        assert mapping.signature, path
        assert mapping.description


def test_signatures_do_not_overlap():
    for name in format_names()[2:]:
        signature = list(preset(name).signature)
        assert matching_formats(signature) == [name]
        assert detect_format(signature) == name


def test_cz_volby_preset_roles():
    cz = preset("cz-volby")
    assert cz.columns == {
        "district": "OKRES",
        "commission": "OBEC",
        "station": "OKRSEK",
        "registered": "VOL_SEZNAM",
        "issued": "VYD_OBALKY",
        "cast": "ODEVZ_OBAL",
        "valid": "PL_HL_CELK",
    }
    assert cz.filters == {"round": "KOLO"}
    assert cz.candidates is not None and cz.candidates.key == "CKAND"


def test_long_preset_convention():
    long = preset("long")
    assert long.long is not None
    assert (long.long.choice, long.long.votes) == ("choice", "votes")
    assert long.columns["station"] == "station"
    assert set(long.optional) == {"region", "district", "commission"}
    assert long.long.roles["Registered Voters"] == "registered"
    assert long.long.roles["registered"] == "registered"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"colums": {}}, "unknown sections \\['colums'\\]"),
        ({"columns": {"voters": "x"}}, "'voters' is not a role"),
        ({"columns": {"registered": "x"}}, "names no station identifier"),
        ({"columns": {"station": 3}}, "\\[columns\\] must map names to strings"),
        ({"columns": {"station": "s"}, "format": {"separator": ";;"}}, "one character"),
        ({"columns": {"station": "s"}, "format": {"flavour": "x"}}, "unknown keys in \\[format\\]"),
        (
            {"columns": {"station": "s"}, "format": {"optional": ["valid"]}},
            "not an identifier role",
        ),
        ({"columns": {"station": "s"}, "parties": {"columns": "abc"}}, "must be a list of strings"),
        ({"columns": {"station": "s"}, "parties": {"pattern": "("}}, "not a regular expression"),
        (
            {"columns": {"station": "s"}, "parties": {"before": "x"}},
            "unknown keys in \\[parties\\]",
        ),
        ({"columns": {"station": "s"}, "kinds": {"foreign": "x"}}, "not a station kind"),
        ({"columns": {"station": "s"}, "kinds": {"zero": "x"}}, "not a station kind"),
        ({"columns": {"station": "s"}, "channel": {"values": {"a": "fax"}}}, "not a channel"),
        ({"columns": {"station": "s"}, "long": {"choice": "c"}}, "needs 'choice' and 'votes'"),
        (
            {
                "columns": {"station": "s"},
                "long": {"choice": "c", "votes": "v", "roles": {"R": "region"}},
            },
            "not a count role",
        ),
        ({"columns": {"station": "s"}, "candidates": {"key": "k"}}, "needs 'key' and 'name'"),
        (
            {
                "columns": {"station": "s"},
                "candidates": {"key": "k", "name": "{x}", "number": "\\d+"},
            },
            "needs a group",
        ),
        ({"columns": {"station": "s"}, "info": {"colour": "x"}}, "unknown keys in \\[info\\]"),
        ({"columns": {"station": "s"}, "ignore": {"patterns": ["("]}}, "not a regular expression"),
        ({"columns": {"station": "s"}, "labels": {"region": "x"}}, "must map names to strings"),
    ],
)
def test_malformed_mappings_are_mapping_errors(doc, message):
    with pytest.raises(MappingError, match=message):
        parse_mapping(doc, source="my.toml")


def test_mapping_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[columns\n", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid TOML") as caught:
        load_mapping(bad)
    assert caught.value.file == str(bad)
    with pytest.raises(MappingError, match="cannot read the mapping"):
        load_mapping(tmp_path / "none.toml")
    with pytest.raises(MappingError, match="unknown format 'x'; known: tallyscope, russia-cec"):
        preset("x")


def test_suggested_mapping_is_valid_toml_and_a_valid_mapping():
    header = [
        "precinct",
        "county",
        "registered_voters",
        "ballots_cast",
        "invalid",
        "valid",
        "A",
        "B",
    ]
    text = suggest_mapping(header, name="test")
    mapping = parse_mapping(tomllib.loads(text))
    assert mapping.name == "test"
    assert mapping.columns == {
        "district": "county",
        "station": "precinct",
        "registered": "registered_voters",
        "cast": "ballots_cast",
        "invalid": "invalid",
        "valid": "valid",
    }
    assert mapping.parties.columns == ("A", "B")


def test_suggestion_uses_a_sample_to_leave_out_text_columns():
    header = ["station", "place", "A"]
    text = suggest_mapping(
        header, sample={"place": ["Oslo", None], "A": ["1", "2.0"]}, recognised="x"
    )
    doc = tomllib.loads(text)
    assert doc["parties"]["columns"] == ["A"]
    assert "recognised as format 'x'" in text
    assert '# not counts, left out: ["place"]' in text
