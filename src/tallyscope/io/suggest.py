"""A ready-to-edit mapping for a header no format recognises (``tallyscope mapping FILE``)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from tallyscope.exceptions import SchemaError
from tallyscope.io._source import read_header, read_raw
from tallyscope.io._text import normalise_header
from tallyscope.io.formats import detect_format

__all__ = ["guess_roles", "suggest_file_mapping", "suggest_mapping"]

# Role -> patterns of common column names (English and a few other languages), tried in order.
_GUESSES: dict[str, list[str]] = {
    "region": [r"^(region|state|province|voivodeship|oblast|kraj)\b"],
    "district": [r"^(district|county|okres|powiat|constituency)\b"],
    "commission": [r"(municipality|commune|gmina|obec|commission|tik)\b"],
    "station": [r"(station|precinct|polling|okrsek|uik|division)"],
    "registered": [r"(registered|eligible|electorate|voters_on_list|vol_seznam)"],
    "issued": [r"(issued|ballots_given|vyd_obalky|participated)"],
    "cast": [r"(ballots_cast|total_ballots|cast|odevz)"],
    "invalid": [r"(invalid|spoiled|rejected|null_votes)"],
    "valid": [r"^(valid|total_valid|valid_votes|pl_hl_celk)"],
}
NEEDED = ("station", "registered", "valid")
_COUNT = re.compile(r"^\d+(\.0+)?$")


def guess_roles(columns: list[str]) -> dict[str, str]:
    """Role -> the first column whose name suggests it (each column used once)."""
    guesses: dict[str, str] = {}
    for role, patterns in _GUESSES.items():
        for column in columns:
            key = normalise_header(column)
            if column not in guesses.values() and any(re.search(p, key) for p in patterns):
                guesses[role] = column
                break
    return guesses


def _is_count(values: list[str | None]) -> bool:
    return all(v is None or not v.strip() or _COUNT.match(v.strip()) for v in values)


def suggest_mapping(
    columns: list[str],
    *,
    name: str = "my-format",
    sample: Mapping[str, list[str | None]] | None = None,
    recognised: str | None = None,
) -> str:
    """TOML text of a mapping for ``columns``: guessed roles filled in, the rest commented.

    ``sample`` (column -> a few of its values) keeps columns that do not hold counts out of
    the party list; ``recognised`` names a format that already reads this header.
    """
    guesses = guess_roles(columns)
    rest = [c for c in columns if c not in guesses.values()]
    numeric_tail = [c for c in rest if sample is None or _is_count(list(sample.get(c, [])))]
    not_counts = [c for c in rest if c not in numeric_tail]
    lines = [
        "# Column mapping for tallyscope: check every line, then",
        "#   tallyscope summary FILE --mapping THIS.toml",
    ]
    if recognised is not None:
        lines += [
            f"# This header is already recognised as format {recognised!r}:",
            "# `tallyscope summary FILE` reads it without a mapping.",
        ]
    lines += [
        "[format]",
        f"name = {json.dumps(name)}",
        'description = ""',
        'country = ""',
        f"signature = {json.dumps(list(guesses.values())[:4], ensure_ascii=False)}",
        "",
        "[columns]",
    ]
    for role in _GUESSES:
        if role in guesses:
            lines.append(f"{role} = {json.dumps(guesses[role], ensure_ascii=False)}")
        else:
            lines.append(f'# {role} = "..."    # not found: name the column, or leave it out')
    lines += [
        "",
        "[parties]",
        "# every column listed here is a party or candidate; edit the list",
        f"columns = {json.dumps(numeric_tail, ensure_ascii=False)}",
    ]
    if not_counts:
        lines.append(f"# not counts, left out: {json.dumps(not_counts, ensure_ascii=False)}")
    lines += [
        "",
        "[kinds]",
        '# abroad = "<SQL condition on the columns>"',
    ]
    return "\n".join(lines) + "\n"


def suggest_file_mapping(path: str | os.PathLike[str], *, name: str | None = None) -> str:
    """:func:`suggest_mapping` for a file: its header, a sample of its rows (so columns of
    text are not offered as parties), and the format that already reads it, if any."""
    header = read_header(path)
    try:
        frame = read_raw(path).frame.head(200)
        sample: dict[str, list[str | None]] | None = {c: frame[c].to_list() for c in frame.columns}
    except SchemaError:
        sample = None
    return suggest_mapping(
        header,
        name=name or Path(path).name.split(".")[0],
        sample=sample,
        recognised=detect_format(header),
    )
