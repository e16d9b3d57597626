"""Cleaning of names: look-alike letters, spacing, numbering prefixes."""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

__all__ = ["clean_name", "map_unique", "normalise_header"]

# Latin letters that look like Cyrillic ones; replaced only inside words that mix both scripts.
_LATIN_TO_CYRILLIC = str.maketrans("AaBCcEeHKkMOoPpTXxYy", "АаВСсЕеНКкМОоРрТХхУу")
_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"\s+")


def _fix_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if _CYRILLIC.search(word) and _LATIN.search(word):
        return word.translate(_LATIN_TO_CYRILLIC)
    return word


def clean_name(value: str) -> str:
    """Collapse white space and replace Latin look-alikes inside Cyrillic words
    (``'Cоветская'`` with a Latin C becomes ``'Советская'``)."""
    return _WORD.sub(_fix_word, _SPACES.sub(" ", value).strip())


def normalise_header(value: str) -> str:
    """A header reduced for matching by meaning: cleaned, lower case, ``ё`` as ``е``."""
    return clean_name(value).casefold().replace("ё", "е")


def map_unique(column: pl.Series, function: Callable[[str], str | None]) -> pl.Series:
    """Apply a Python string function once per distinct value (names repeat a lot)."""
    uniques = column.unique().drop_nulls().to_list()
    mapping = {u: function(u) for u in uniques}
    return column.replace_strict(mapping, default=None, return_dtype=pl.String)
