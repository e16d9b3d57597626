"""Russian Cyrillic to Latin letters, for English readers of the report.

The BGN/PCGN (1947) romanisation of Russian, the one English-language maps and gazetteers
use: е and ё are ``ye`` and ``yë`` at the start of a word and after a vowel, й, ъ or ь, else
``e`` and ``ë``; й and ы are both ``y``; х ``kh``, ц ``ts``, щ ``shch``. Two simplifications,
as in common English usage: the soft and hard signs are dropped (``signs=True`` keeps them as
the primes ʹ and ʺ of the standard), and the middle dot BGN/PCGN puts in ambiguous letter
pairs (т·с) is not written. Text in other scripts passes through unchanged; words in capitals
stay in capitals (``ЕДИНАЯ РОССИЯ`` -> ``YEDINAYA ROSSIYA``).

    >>> transliterate("Республика Саха (Якутия)")
    'Respublika Sakha (Yakutiya)'
    >>> transliterate("Ханты-Мансийский автономный округ - Югра")
    'Khanty-Mansiyskiy avtonomnyy okrug - Yugra'

Reference: BGN/PCGN, Romanization of Russian (1947 system), US Board on Geographic Names and
the UK Permanent Committee on Geographical Names.
"""

from __future__ import annotations

__all__ = ["transliterate"]

_LETTERS = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "ë", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
_SIGNS = {"ъ": "ʺ", "ь": "ʹ"}
#: After these (or at the start of a word) е and ё take a y.
_IOTATING = set("аеёиоуыэюяйъь")


def transliterate(text: str, *, signs: bool = False) -> str:
    """``text`` with its Russian letters in BGN/PCGN Latin (see the module docstring);
    ``signs=True`` writes the soft and hard signs as ʹ and ʺ instead of dropping them."""
    out: list[str] = []
    previous = ""
    for i, char in enumerate(text):
        lower = char.lower()
        if lower not in _LETTERS:
            out.append(char)
            previous = lower
            continue
        latin = _SIGNS[lower] if signs and lower in _SIGNS else _LETTERS[lower]
        if lower in "её" and (not previous.isalpha() or previous in _IOTATING):
            latin = "y" + latin
        if char != lower and latin:
            latin = latin.upper() if _in_capitals(text, i) else latin[0].upper() + latin[1:]
        out.append(latin)
        previous = lower
    return "".join(out)


def _in_capitals(text: str, i: int) -> bool:
    """Whether the capital at ``i`` belongs to a word written in capitals (a neighbouring
    letter is a capital too)."""
    for j in (i + 1, i - 1):
        if 0 <= j < len(text) and text[j].isalpha():
            return text[j].isupper()
    return False
