"""Indicators across elections: one row per election, one chart, one HTML page.

:func:`indicators` reads the headline numbers of an ``AnalysisResult`` (it computes nothing):
the integer-percentage excess with its null sd and p-value, and the anomalous votes, robust
with its interval and textbook. :func:`render_compare` lays a list of them out over time,
as in Kobak, Shpilkin & Pshenichnikov (2018), Putin's peaks: Russian election data
revisited, Significance 15(3), 8-9.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tallyscope.results import NotApplicable, _Serialisable

__all__ = ["ElectionIndicators", "indicators", "render_compare", "write_compare"]

REFERENCE = (
    "Kobak, Shpilkin & Pshenichnikov (2018), Putin's peaks: Russian election data revisited, "
    "Significance 15(3)"
)
_KINDS = {"duma": "Duma", "president": "President", "referendum": "Referendum"}
NAN = float("nan")


@dataclasses.dataclass(frozen=True, slots=True)
class ElectionIndicators(_Serialisable):
    """The headline indicators of one election (NaN where a method could not run).

    ``integer_*``: stations with a whole-number turnout or share, observed and expected
    under the exact null, the excess, the null's sd and the exact p-value.
    ``anomalous_*``: the robust anomalous votes (count and % of the party's votes, with
    ``level`` intervals); ``reliable`` and ``warning`` as the estimate says;
    ``textbook_*``: the textbook Shpilkin figures beside them.
    """

    id: str | None
    name: str
    date: str
    kind: str
    label: str
    party: str
    stations_included: int | None
    integer_observed: float
    integer_expected: float
    integer_excess: float
    integer_null_sd: float
    integer_p: float
    anomalous_votes: float
    anomalous_interval: tuple[float, float]
    anomalous_pct: float
    anomalous_pct_interval: tuple[float, float]
    level: float
    reliable: bool | None
    warning: str | None
    official_share_pct: float
    clean_share_pct: float
    clean_share_interval: tuple[float, float]
    textbook_votes: float | None
    textbook_pct: float | None
    sims: int | None
    boot: int | None
    seed: int | None
    reference: str = REFERENCE


def _label(info: dict[str, Any]) -> str:
    """ "2011\nDuma": the year, and what was elected (from the dataset id where it says, as in
    ``ru-2011-duma``, else the election's kind)."""
    year = str(info.get("date") or "")[:4]
    kind = str(info.get("kind") or "")
    parts = str(info.get("id") or "").split("-")
    if len(parts) >= 3 and parts[1] == year:
        kind = " ".join(parts[2:])
    words = kind.split()
    if words:
        words[0] = _KINDS.get(words[0], words[0].title())
    return f"{year}\n{' '.join(words)}".strip()


def indicators(result: Any) -> ElectionIndicators:
    """The :class:`ElectionIndicators` of an :class:`~tallyscope.analysis.AnalysisResult`
    (run with at least ``integer_peaks``, ``anomalous_votes`` and, for the textbook figure,
    ``anomalous_votes_classic``)."""
    info, settings, results = result.election, result.settings, result.results
    peaks = results.get("integer_peaks")
    robust = results.get("anomalous_votes")
    classic = results.get("anomalous_votes_classic")
    has_peaks = peaks is not None and not isinstance(peaks, NotApplicable)
    has_robust = robust is not None and not isinstance(robust, NotApplicable)
    has_classic = classic is not None and not isinstance(classic, NotApplicable)
    return ElectionIndicators(
        id=info.get("id"),
        name=str(info.get("name") or info.get("id") or ""),
        date=str(info.get("date") or ""),
        kind=str(info.get("kind") or ""),
        label=_label(info),
        party=str(settings.get("party")),
        stations_included=(
            peaks.stations_included
            if has_peaks
            else (robust.stations_included if has_robust else None)
        ),
        integer_observed=float(peaks.observed["either"]) if has_peaks else NAN,
        integer_expected=float(peaks.null_mean["either"]) if has_peaks else NAN,
        integer_excess=float(peaks.excess["either"]) if has_peaks else NAN,
        integer_null_sd=float(peaks.null_sd["either"]) if has_peaks else NAN,
        integer_p=float(peaks.p_value) if has_peaks else NAN,
        anomalous_votes=float(robust.estimate) if has_robust else NAN,
        anomalous_interval=tuple(map(float, robust.interval)) if has_robust else (NAN, NAN),
        anomalous_pct=float(robust.anomalous_pct_of_leader) if has_robust else NAN,
        anomalous_pct_interval=(
            tuple(map(float, robust.anomalous_pct_interval)) if has_robust else (NAN, NAN)
        ),
        level=float(robust.level) if has_robust else 0.95,
        reliable=bool(robust.reliable) if has_robust else None,
        warning=robust.warning if has_robust else None,
        official_share_pct=float(robust.official_share_pct) if has_robust else NAN,
        clean_share_pct=float(robust.clean_share_pct) if has_robust else NAN,
        clean_share_interval=(
            tuple(map(float, robust.clean_share_interval)) if has_robust else (NAN, NAN)
        ),
        textbook_votes=float(classic.estimate) if has_classic else None,
        textbook_pct=float(classic.anomalous_pct_of_leader) if has_classic else None,
        sims=settings.get("sims"),
        boot=settings.get("boot"),
        seed=settings.get("seed"),
    )


def render_compare(
    rows: Sequence[ElectionIndicators],
    *,
    command: str | None = None,
    generated: _dt.date | None = None,
    version: str | None = None,
) -> str:
    """One HTML page (self-contained, like :func:`~tallyscope.report.render`) with the
    indicators of ``rows`` on one chart over time and in a table."""
    from tallyscope import plots
    from tallyscope.report._render import TEMPLATES, _figure, environment

    if version is None:
        import tallyscope

        version = tallyscope.__version__
    ordered = sorted(rows, key=lambda r: (r.date, r.id or ""))
    figure = _figure("compare", "Indicators across elections", lambda: plots.compare(ordered))
    context = {
        "rows": ordered,
        "figure": figure,
        "command": command,
        "generated": (generated or _dt.date.today()).isoformat(),
        "version": version,
        "reference": REFERENCE,
        "isnan": lambda v: v is None or (isinstance(v, float) and math.isnan(v)),
        "css": (TEMPLATES / "report.css").read_text(encoding="utf-8"),
        "js": (TEMPLATES / "report.js").read_text(encoding="utf-8"),
    }
    return environment().get_template("compare.html.j2").render(context)


def write_compare(
    rows: Sequence[ElectionIndicators], path: str | Path, *, command: str | None = None
) -> Path:
    """Write :func:`render_compare`'s page to ``path``; returns the path."""
    path = Path(path)
    path.write_text(render_compare(rows, command=command), encoding="utf-8")
    return path
