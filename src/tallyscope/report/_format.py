"""Numbers as the report prints them: for citation, not for computation.

Thousands separated by commas, a true minus sign, a no-break space before "%" and "million",
ranges with an en dash, p-values to two significant figures with powers of ten written out.
Every function returns plain text (HTML escaping is the template's job) except
:func:`p_html`, which returns markup.
"""

from __future__ import annotations

import math
from typing import Any

from tallyscope._dependencies import import_optional

__all__ = [
    "count",
    "interval",
    "is_number",
    "number",
    "p_html",
    "p_text",
    "pct",
    "pp",
    "signed",
    "votes",
]

NBSP = "\u00a0"
MINUS = "\u2212"
DASH = "\u2013"


def is_number(value: Any) -> bool:
    """A finite real number (not a bool, None or NaN)."""
    if isinstance(value, bool) or value is None:
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def number(value: Any, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals and thousands separators; "n/a" if not a number."""
    if not is_number(value):
        return "n/a"
    v = float(value)
    if round(v, digits) == 0:
        v = 0.0  # no "−0.0"
    return _minus(f"{v:,.{digits}f}")


def count(value: Any) -> str:
    """A whole number with thousands separators: 32,371,737."""
    if not is_number(value):
        return "n/a"
    return _minus(f"{round(float(value)):,d}")


def signed(value: Any, digits: int = 0) -> str:
    """A number with its sign: +1,007 or −12.5."""
    if not is_number(value):
        return "n/a"
    v = float(value)
    if round(v, digits) == 0:
        return f"{0.0:.{digits}f}"
    return _minus(f"{v:+,.{digits}f}")


def pct(value: Any, digits: int = 1) -> str:
    """A percentage: 30.4 %."""
    if not is_number(value):
        return "n/a"
    return f"{number(value, digits)}{NBSP}%"


def pp(value: Any, digits: int = 1) -> str:
    """A difference of percentages in points: +4.1 pp."""
    if not is_number(value):
        return "n/a"
    return f"{signed(value, digits)}{NBSP}pp"


def votes(value: Any) -> str:
    """A number of votes: 9.75 million, 412,300, −1.20 million."""
    if not is_number(value):
        return "n/a"
    v = float(value)
    if abs(v) >= 1e6:
        return f"{number(v / 1e6, 2)}{NBSP}million"
    return count(v)


def interval(low: Any, high: Any, kind: str = "number", digits: int = 1) -> str:
    """A range "low–high" ("low to high" when one end is negative) in the style of ``kind``
    (``"votes"``, ``"pct"``, ``"number"``, ``"count"``); the unit is written once, after the
    high end."""
    if not (is_number(low) and is_number(high)):
        return "n/a"
    lo, hi = float(low), float(high)
    to = DASH if lo >= 0 and hi >= 0 else " to "  # "−7 to −2", not "−7–−2"
    if kind == "votes" and (abs(lo) >= 1e6 or abs(hi) >= 1e6):
        return f"{number(lo / 1e6, 2)}{to}{number(hi / 1e6, 2)}{NBSP}million"
    if kind == "votes" or kind == "count":
        return f"{count(lo)}{to}{count(hi)}"
    if kind == "pct":
        return f"{number(lo, digits)}{to}{number(hi, digits)}{NBSP}%"
    return f"{number(lo, digits)}{to}{number(hi, digits)}"


def _p_parts(p: float) -> tuple[str, str | None]:
    """(mantissa, exponent) of a small p-value, or (text, None) for an ordinary one."""
    if p >= 0.0095:
        return f"{p:.2f}", None
    if p >= 0.00095:
        return f"{p:.3f}", None
    mantissa, exponent = f"{p:.1e}".split("e")
    return mantissa, str(int(exponent))


def p_text(p: Any) -> str:
    """A p-value as text: 0.43, 0.012, 3.3e−17 (for CSV-like places and attributes)."""
    if not is_number(p):
        return "n/a"
    mantissa, exponent = _p_parts(float(p))
    return mantissa if exponent is None else f"{mantissa}e{_minus(exponent)}"


def p_html(p: Any) -> Any:
    """A p-value as markup (``markupsafe.Markup``): 0.43, 0.012, 3.3 × 10<sup>−17</sup>."""
    Markup = import_optional("markupsafe", purpose="the HTML report").Markup
    if not is_number(p):
        return Markup("n/a")
    mantissa, exponent = _p_parts(float(p))
    if exponent is None:
        return Markup(mantissa)
    return Markup(f"{mantissa}{NBSP}×{NBSP}10<sup>{_minus(exponent)}</sup>")
