"""A ready-to-edit mapping for a header no format recognises (``tallyscope mapping FILE``)."""

from __future__ import annotations

import json
import re

from tallyscope.io._text import normalise_header

__all__ = ["guess_roles", "suggest_mapping"]

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


def suggest_mapping(columns: list[str], *, name: str = "my-format") -> str:
    """TOML text of a mapping for ``columns``: guessed roles filled in, the rest commented."""
    guesses = guess_roles(columns)
    numeric_tail = [c for c in columns if c not in guesses.values()]
    lines = [
        "# Column mapping for tallyscope: check every line, then",
        "#   tallyscope summary FILE --mapping THIS.toml",
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
        "",
        "[kinds]",
        '# abroad = "<SQL condition on the columns>"',
    ]
    return "\n".join(lines) + "\n"
