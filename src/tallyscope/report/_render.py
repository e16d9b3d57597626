"""The forensic report: one self-contained HTML document from an ``AnalysisResult``.

Everything is inline: the figures as SVG, the style sheet, a few lines of JavaScript that
sort and filter the tables, and the station list as a ``data:`` link. Nothing is fetched
when the page is viewed. The report computes nothing: every number comes from the results
it is given; this module only selects, formats and lays them out.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
import platform
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tallyscope.report import _format as fmt
from tallyscope.report._translit import transliterate
from tallyscope.results import NotApplicable, to_jsonable

__all__ = ["environment", "render", "write_report"]

TEMPLATES = Path(__file__).with_name("templates")

#: What each battery result is called in the report.
METHOD_NAMES = {
    "integer_peaks": "Integer percentages",
    "anomalous_votes": "Anomalous votes (robust)",
    "anomalous_votes_classic": "Anomalous votes (textbook Shpilkin)",
    "digits": "Digit tests",
    "turnout_share": "Turnout and share (descriptive)",
    "fingerprint": "Fingerprint",
    "histograms": "0.1-pp histograms",
    "turnout_curves": "Votes by turnout",
    "evote": "Paper vote and e-vote",
    "last-digit": "Last digits",
    "second-digit": "Second digits",
}


def _statistic(name: str, value: float) -> str:
    if name == "integer_peaks":
        return f"{fmt.count(value)} stations"
    if name.startswith("anomalous_votes"):
        return f"{fmt.pct(value, 1)} of the party's votes"
    if name.endswith("-digit"):
        return f"χ² = {fmt.number(value, 1)}"
    return fmt.number(value, 3)


#: Columns of the region and commission tables: (key, header, kind, title).
UNIT_COLUMNS: list[tuple[str, str, str, str]] = [
    ("stations", "Stations", "count", "stations analysed"),
    ("registered", "Registered", "count", "registered voters"),
    ("turnout_pct", "Turnout", "pct", "ballots issued / registered voters"),
    ("leader_share_pct", "Share", "pct", "the party's votes / ballots cast"),
    ("anomalous_votes", "Anomalous votes", "count", "the robust estimate's anomalous votes"),
    ("anomalous_pct_of_leader", "% of party", "pct", "anomalous votes / the party's votes"),
    (
        "integer_excess",
        "Integer excess",
        "signed",
        "stations with whole-number turnout or share, observed − expected",
    ),
    ("integer_z", "z", "z", "integer excess / its null sd"),
    ("integer_p_holm", "p (Holm)", "p", "exact p-value of the integer excess, Holm over units"),
    ("corner_stations_pct", "Corner", "pct", "stations with turnout > 90 % and share > 80 %"),
]

STATION_PREVIEW = 15


def environment() -> Any:
    """The Jinja environment of the report templates, with the number filters."""
    from tallyscope._dependencies import import_optional

    jinja2 = import_optional("jinja2", purpose="the HTML report")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        count=fmt.count,
        number=fmt.number,
        pct=fmt.pct,
        pp=fmt.pp,
        signed=fmt.signed,
        votes=fmt.votes,
        p=fmt.p_html,
        p_text=fmt.p_text,
        translit=transliterate,
        short=_short_name,
    )
    env.globals.update(interval=fmt.interval, is_number=fmt.is_number)
    return env


def _short_name(name: str) -> str:
    from tallyscope.plots._base import short_name

    return short_name(name)


def _ok(result: Any) -> bool:
    return result is not None and not isinstance(result, NotApplicable)


def _figure(name: str, title: str, draw: Callable[[], Any]) -> dict[str, Any]:
    """A figure of the report as inline SVG, drawn by ``draw`` (a function returning axes)."""
    from tallyscope.plots._base import figure_of, to_svg

    axes = draw()
    figure = figure_of(axes)
    svg = to_svg(figure, prefix=name, title=title)
    figure.clear()
    return {"id": name, "title": title, "svg": svg, "narrow": False}


def _reason(result: Any) -> str | None:
    if result is None:
        return "not run"
    if isinstance(result, NotApplicable):
        return result.reason
    return None


# -- sections ---------------------------------------------------------------------------------


def _headline(result: Any) -> dict[str, Any]:
    settings, summary, results = result.settings, result.summary, result.results
    party = settings["party"]
    official = next((p for p in summary.parties if p.name == party), None)
    robust = results.get("anomalous_votes")
    classic = results.get("anomalous_votes_classic")
    peaks = results.get("integer_peaks")
    return {
        "party": party,
        "official": official,
        "summary": summary,
        "robust": robust if _ok(robust) else None,
        "robust_reason": _reason(robust),
        "classic": classic if _ok(classic) else None,
        "peaks": peaks if _ok(peaks) else None,
        "peaks_reason": _reason(peaks),
        "tests": [
            {
                "name": METHOD_NAMES.get(t.name, t.name),
                "what": t.what,
                "statistic": _statistic(t.name, t.statistic),
                "p": t.p_value,
                "p_holm": t.p_holm,
                "rejects": t.rejects,
            }
            for t in result.tests
        ],
        "verdict": result.verdict,
        "rejects": any(t.rejects for t in result.tests),
        "anomalous_rejects": any(t.rejects for t in result.tests if t.name == "anomalous_votes"),
        "alpha": settings.get("alpha", 0.05),
    }


def _further(result: Any) -> list[dict[str, Any]]:
    """The descriptive indicators beside the tests: the high corner, turnout and share."""
    out = []
    fp = result.results.get("fingerprint")
    if _ok(fp):
        hc = fp.high_corner
        out.append(
            {
                "label": "High corner",
                "value": fmt.pct(hc.stations_pct, 2) + " of stations",
                "detail": (
                    f"have turnout above {hc.turnout_above:g} % and a share above "
                    f"{hc.share_above:g} %, holding {fmt.pct(hc.leader_votes_pct, 1)} of the "
                    "party's votes. Clean elections put almost no station there (Poland 2025: "
                    "at most 0.07 %)."
                ),
                "reference": fp.reference,
            }
        )
    ts = result.results.get("turnout_share")
    if _ok(ts):
        low, high = ts.clean_range
        national = ts.national.pearson
        within = ts.within.pearson
        where = "outside" if ts.outside_clean_range else "inside"
        out.append(
            {
                "label": "Turnout and share",
                "value": f"r = {fmt.number(national.value, 2)}",
                "detail": (
                    f"across stations ({fmt.number(within.value, 2)} within commissions): the "
                    f"party does {'better' if national.value > 0 else 'worse'} where turnout is "
                    "higher. Descriptive, not a test: clean "
                    f"elections reach {fmt.number(low, 1)} to {fmt.number(high, 1)}, and this "
                    f"election is {where} that range."
                ),
                "reference": ts.reference,
            }
        )
    digits = result.results.get("digits")
    if _ok(digits):
        out.append(
            {
                "label": "Digits",
                "value": "last and second digits",
                "detail": (
                    "of the vote counts against their binomial variation; their p-values are in "
                    "the table above. " + digits.caveat
                ),
                "reference": digits.reference,
            }
        )
    return out


def _model_value(value: Any) -> dict[str, Any] | None:
    """A fitted number with its interval, from the shapes results use: a number, an
    ``Estimate`` dict (value, ci), or a dict with value and low/high or an interval."""
    if fmt.is_number(value):
        return {"value": float(value), "low": None, "high": None, "level": None}
    if isinstance(value, Mapping) and fmt.is_number(value.get("value")):
        ci = value.get("ci") or value.get("interval")
        low = high = level = None
        if isinstance(ci, Mapping):
            low, high, level = ci.get("low"), ci.get("high"), ci.get("level")
        elif isinstance(ci, list | tuple) and len(ci) == 2:
            low, high = ci
        elif fmt.is_number(value.get("low")) and fmt.is_number(value.get("high")):
            low, high = value["low"], value["high"]
        return {"value": float(value["value"]), "low": low, "high": high, "level": level}
    return None


_MODEL_MEANING = {
    "f_i": "Fraction of stations with incremental fraud: some ballots added and some votes "
    "moved to the party.",
    "f_e": "Fraction of stations with extreme fraud: nearly every ballot for the party, "
    "turnout near 100 %.",
}
_PROBABILITY_KEYS = (
    "class_probabilities",
    "probabilities",
    "weights",
    "mixing_proportions",
    "proportions",
    "pi",
)
_HOUSEKEEPING = {
    "seed",
    "n_sims",
    "n_boot",
    "n_resamples",
    "n_iter",
    "iterations",
    "stations_included",
    "stations",
    "level",
    "version",
    "bin_width",
    "n_bins",
}


def _interval_for(d: Mapping[str, Any], key: str) -> tuple[Any, Any, Any] | None:
    for name in (f"{key}_interval", f"{key}_ci"):
        found = d.get(name)
        if isinstance(found, list | tuple) and len(found) == 2:
            return found[0], found[1], d.get("level")
        if isinstance(found, Mapping) and "low" in found:
            return found["low"], found["high"], found.get("level")
    for name in ("intervals", "ci", "cis"):
        group = d.get(name)
        if isinstance(group, Mapping) and key in group:
            found = group[key]
            if isinstance(found, list | tuple) and len(found) == 2:
                return found[0], found[1], d.get("level")
            if isinstance(found, Mapping) and "low" in found:
                return found["low"], found["high"], found.get("level")
    return None


def _model(name: str, model: Any) -> dict[str, Any]:
    """A fitted fraud model, rendered from its ``to_dict()`` without knowing its class."""
    if isinstance(model, NotApplicable):
        return {"name": name, "reason": model.reason, "params": [], "reference": None}
    d = model.to_dict() if hasattr(model, "to_dict") else to_jsonable(model)
    if not isinstance(d, Mapping):
        d = {"value": d}
    params: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(key: str, label: str, value: Any, meaning: str | None) -> None:
        entry = _model_value(value)
        if entry is None:
            return
        if entry["low"] is None:
            found = _interval_for(d, key)
            if found is not None:
                entry["low"], entry["high"], entry["level"] = found
        entry.update(key=key, label=label, meaning=meaning)
        params.append(entry)
        seen.add(key)

    for key in ("f_i", "f_e"):
        if key in d:
            add(key, key, d[key], _MODEL_MEANING[key])
    for key in _PROBABILITY_KEYS:
        value = d.get(key)
        if isinstance(value, Mapping):
            for label, v in value.items():
                add(f"{key}.{label}", f"P(class {label})", v, None)
            seen.add(key)
        elif isinstance(value, list | tuple) and 0 < len(value) <= 12:
            intervals = d.get(f"{key}_interval") or d.get(f"{key}_ci")
            for i, v in enumerate(value):
                add(f"{key}.{i}", f"P(class {i + 1})", v, None)
                if (
                    isinstance(intervals, list | tuple)
                    and len(intervals) == len(value)
                    and isinstance(intervals[i], list | tuple)
                    and len(intervals[i]) == 2
                ):
                    params[-1]["low"], params[-1]["high"] = intervals[i]
            seen.add(key)
    classes = [p for p in params if p["key"].startswith(_PROBABILITY_KEYS)]
    if classes:  # said once, under the last class
        classes[-1]["meaning"] = "Share of stations in each class of the mixture."
    for key, value in d.items():
        if key in seen or key in _HOUSEKEEPING or key.endswith(("_interval", "_ci")):
            continue
        if key in ("intervals", "ci", "cis", "reference", "method", "party", "excluded"):
            continue
        if len(params) >= 12:
            break
        add(key, key.replace("_", " "), value, None)
    notes = [
        str(d[k]) for k in ("warning", "note", "caveat") if isinstance(d.get(k), str) and d.get(k)
    ]
    if d.get("converged") is False:
        notes.insert(0, "The fit did not converge; read its numbers with care.")
    return {
        "name": str(d.get("method") or name),
        "key": name,
        "reason": None,
        "params": params,
        "notes": notes,
        "reference": d.get("reference") or getattr(model, "reference", None),
        "party": d.get("party"),
    }


def _figures(result: Any) -> list[dict[str, Any]]:
    from tallyscope import plots

    results = result.results
    out: list[dict[str, Any]] = []
    fp = results.get("fingerprint")
    if _ok(fp):
        fig = _figure("comet", "Turnout × share fingerprint", lambda: plots.comet(fp))
        fig["caption"] = (
            "Each cell counts the registered voters of the stations with that turnout and "
            "share, on a log colour scale. A clean election is one cloud; ballot stuffing and "
            "rewritten protocols draw a tail towards 100 % turnout and 100 % share, and round "
            "percentages show as lines of darker cells."
        )
        fig["reference"] = fp.reference
        fig["narrow"] = True
        out.append(fig)
    else:
        out.append(_missing("comet", "Turnout × share fingerprint", fp))
    curves, robust = results.get("turnout_curves"), results.get("anomalous_votes")
    if _ok(curves):
        fig = _figure(
            "shpilkin",
            "Votes by turnout",
            lambda: plots.shpilkin(
                curves,
                anomalous=robust if _ok(robust) else None,
                party=result.settings["party"],
            ),
        )
        fig["caption"] = (
            "Every party's votes summed over the stations of each 1-pp turnout bin. In a clean "
            "election the curves share one shape; the tested party's curve (red) gaining a "
            "second hump at high turnout that the others lack is the signature of stuffing. "
            "The shaded band is the clean turnout range of the robust estimate: its anomalous "
            "votes are the party's votes beyond it, net of its clean ratio to the others."
        )
        fig["reference"] = robust.reference if _ok(robust) else "Shpilkin (2009-2021)"
        out.append(fig)
    else:
        out.append(_missing("shpilkin", "Votes by turnout", curves))
    hist = results.get("histograms")
    if _ok(hist):
        fig = _figure("histograms", "Turnout and share at 0.1 pp", lambda: plots.histograms(hist))
        fig["caption"] = (
            f"Stations per {hist.bin_width:g}-pp bin of turnout and of the party's share; "
            "blue dots mark the bins that hold whole percentages. Clean counts give smooth "
            "histograms; spikes on the dots (and at multiples of 5 and 10) are protocols "
            "written to a round number."
        )
        fig["reference"] = hist.reference
        out.append(fig)
    else:
        out.append(_missing("histograms", "Turnout and share at 0.1 pp", hist))
    peaks = results.get("integer_peaks")
    if _ok(peaks):
        fig = _figure(
            "peaks", "Integer-percentage stations against chance", lambda: plots.peaks(peaks)
        )
        fig["caption"] = (
            "The grey curve is the exact distribution of the number of stations with a "
            "whole-number turnout or share if each station's counts varied binomially (a "
            "Poisson-binomial law over the stations' own sizes); the red line is the number "
            "observed."
        )
        fig["reference"] = peaks.reference
        out.append(fig)
    else:
        out.append(_missing("peaks", "Integer-percentage stations against chance", peaks))
    return out


def _missing(name: str, title: str, result: Any) -> dict[str, Any]:
    return {
        "id": name,
        "title": title,
        "svg": None,
        "narrow": False,
        "reason": _reason(result) or "not run",
    }


def _unit_rows(frame: Any, keys: list[str]) -> list[dict[str, Any]]:
    rows = []
    for row in frame.iter_rows(named=True):
        cells = []
        for key, _, kind, _ in UNIT_COLUMNS:
            value = row.get(key)
            cells.append({"kind": kind, "value": value, "sort": _sort_value(value)})
        rows.append({"keys": [row.get(k) for k in keys], "cells": cells})
    return rows


def _sort_value(value: Any) -> str:
    if not fmt.is_number(value):
        return ""
    return repr(float(value))


def _where(result: Any) -> dict[str, Any] | None:
    ranking = result.ranking
    if isinstance(ranking, NotApplicable):
        return {"reason": ranking.reason}
    stations = ranking.stations
    csv = stations.write_csv()
    data = base64.b64encode(("\ufeff" + csv).encode("utf-8")).decode("ascii")
    stem = (result.election.get("id") or "election").replace("/", "-")
    return {
        "reason": None,
        "party": ranking.party,
        "method": ranking.anomalous_method,
        "columns": UNIT_COLUMNS,
        "regions": _unit_rows(ranking.regions, ["region"]),
        "commissions": _unit_rows(ranking.commissions, ["region", "commission"]),
        "n_commissions": ranking.commissions.height,
        "stations_preview": list(stations.head(STATION_PREVIEW).iter_rows(named=True)),
        "n_stations": stations.height,
        "csv_uri": f"data:text/csv;charset=utf-8;base64,{data}",
        "csv_name": f"{stem}-stations.csv",
        "csv_bytes": len(csv.encode("utf-8")),
    }


def _evote(evote: Any) -> dict[str, Any] | None:
    if evote is None:
        return None
    if isinstance(evote, NotApplicable):
        return {"reason": evote.reason}
    from tallyscope import plots

    figure = _figure("evote", "Paper vote and e-vote", lambda: plots.evote(evote))
    figure["caption"] = (
        f"The party's share in each {evote.level}'s paper vote (open circle) and e-vote "
        "(filled), units ordered by their paper share; red marks a unit whose difference is "
        "larger than random groups of its own stations give (Holm-corrected, 5 %)."
    )
    figure["reference"] = evote.reference
    try:
        added = evote.added()
    except KeyError:
        added = None
    return {
        "reason": None,
        "result": evote,
        "units": sorted(evote.units, key=lambda u: -abs(u.difference.value)),
        "added": added,
        "flagged": evote.flagged,
        "winners_changed": evote.winners_changed,
        "figure": figure,
    }


def _methods(result: Any, evote: Any, command: str | None) -> dict[str, Any]:
    info = result.election
    provenance = info.get("provenance") or {}
    excluded = []
    for name, entry in [*result.results.items(), ("evote", evote)]:
        if entry is None:
            continue
        label = METHOD_NAMES.get(name, name)
        if isinstance(entry, NotApplicable):
            excluded.append({"method": label, "stations": None, "reasons": {}, "na": entry.reason})
            continue
        stations = getattr(entry, "stations_included", None)
        excluded.append(
            {
                "method": label,
                "stations": stations if fmt.is_number(stations) else None,
                "reasons": dict(getattr(entry, "excluded", None) or {}),
                "na": None,
            }
        )
    references = []
    for name, entry in [*result.results.items(), ("evote", evote)]:
        ref = getattr(entry, "reference", None) if _ok(entry) else None
        if ref:
            references.append({"method": METHOD_NAMES.get(name, name), "reference": str(ref)})
    settings = dict(result.settings)
    kinds = settings.get("kinds")
    if isinstance(kinds, list | tuple):
        settings["kinds"] = ", ".join(str(to_jsonable(k)) for k in kinds)
    return {
        "source": info.get("source") or "",
        "licence": provenance.get("licence"),
        "files": provenance.get("files") or [],
        "built_with": provenance.get("built_with"),
        "derived": provenance.get("derived") or {},
        "excluded": excluded,
        "settings": settings,
        "timings": result.timings_s,
        "version": result.version,
        "python": platform.python_version(),
        "command": command or default_command(result),
        "references": references,
        "summary_excluded": result.summary.excluded,
        "flagged": result.summary.flagged,
    }


def default_command(result: Any) -> str:
    """The command that reproduces a report from its settings (bundled elections)."""
    info, settings = result.election, result.settings
    parts = ["tallyscope", "report", info.get("id") or "ELECTION.csv"]
    parts += ["-o", f"{info.get('id') or 'report'}.html"]
    parts += ["--sims", str(settings.get("sims")), "--boot", str(settings.get("boot"))]
    if settings.get("seed") is not None:
        parts += ["--seed", str(settings["seed"])]
    if settings.get("party") and settings.get("party") != info.get("leader"):
        parts += ["--party", str(settings["party"])]
    return shlex.join(parts)


# -- the document -----------------------------------------------------------------------------


def render(
    result: Any,
    *,
    evote: Any = None,
    models: Mapping[str, Any] | None = None,
    command: str | None = None,
    generated: _dt.date | None = None,
) -> str:
    """The report of an :class:`~tallyscope.analysis.AnalysisResult` as one HTML document.

    ``evote`` adds the paper-versus-e-vote section (an ``EvoteResult``, or the
    ``NotApplicable`` that says why there is none); ``models`` adds fitted fraud models
    (name -> result with ``to_dict()``, e.g. the Klimek and mixture models), shown from
    their dictionaries: f_i and f_e or class probabilities with their intervals where given.
    ``command`` is the command line that reproduces the report (by default one is built from
    the settings); ``generated`` the date printed on it (today by default).
    """
    env = environment()
    info = result.election
    context = {
        "info": info,
        "title": info.get("name") or info.get("id") or "Election",
        "headline": _headline(result),
        "further": _further(result),
        "models": [_model(name, m) for name, m in (models or {}).items()],
        "figures": _figures(result),
        "where": _where(result),
        "evote": _evote(evote),
        "methods": _methods(result, evote, command),
        "generated": (generated or _dt.date.today()).isoformat(),
        "settings": result.settings,
        "reproducible": result.settings.get("seed") is not None,
        "isfinite": lambda v: fmt.is_number(v) and math.isfinite(float(v)),
        "names": METHOD_NAMES,
        "version": result.version,
        "css": (TEMPLATES / "report.css").read_text(encoding="utf-8"),
        "js": (TEMPLATES / "report.js").read_text(encoding="utf-8"),
    }
    return env.get_template("report.html.j2").render(context)


def write_report(
    result: Any,
    path: str | Path,
    *,
    evote: Any = None,
    models: Mapping[str, Any] | None = None,
    command: str | None = None,
) -> Path:
    """Write :func:`render`'s document to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(render(result, evote=evote, models=models, command=command), encoding="utf-8")
    return path
