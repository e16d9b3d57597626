"""The forensic report: self-contained HTML from results.

:func:`render` turns an :class:`~tallyscope.analysis.AnalysisResult` (optionally with an
e-vote result and fitted fraud models) into one HTML document with its figures, tables,
styles and scripts inline; :func:`write_report` writes it. :func:`render_compare` and
:func:`write_compare` do the same for :class:`ElectionIndicators` of several elections.
jinja2 and matplotlib are the optional ``[plot]`` extra and are imported when a report is
rendered. The report computes nothing: it lays out the numbers the methods give.
"""

from tallyscope.report._render import default_command, render, write_report
from tallyscope.report._translit import transliterate
from tallyscope.report.compare import (
    ElectionIndicators,
    indicators,
    render_compare,
    write_compare,
)

__all__ = [
    "ElectionIndicators",
    "default_command",
    "indicators",
    "render",
    "render_compare",
    "transliterate",
    "write_compare",
    "write_report",
]
