"""The count of stations with a whole-number turnout or share against its exact null.

Reference: Kobak, Shpilkin & Pshenichnikov (2016), Integer percentages as electoral
falsification fingerprints, Annals of Applied Statistics 10(1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tallyscope._dependencies import matplotlib
from tallyscope.plots._base import COLORS, finish, new_axes, styled

__all__ = ["peaks"]


def format_p(p: float) -> str:
    """A p-value for a figure: 0.43, 0.012, 3.3 × 10⁻¹⁷."""
    if p != p:
        return "n/a"
    if p >= 0.0095:
        return f"{p:.2f}"
    if p >= 0.00095:
        return f"{p:.3f}"
    mantissa, exponent = f"{p:.1e}".split("e")
    digits = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa} × 10{digits}"


@styled
def peaks(result: Any, *, ax: Any = None, sds: float = 6.0) -> Any:
    """The exact null distribution (Poisson-binomial) of the number of stations integer in
    turnout or share, from an :class:`~tallyscope.methods.integer_peaks.IntegerPeaksResult`
    (``null_pmf``, ``null_mean``, ``null_sd``), with the observed count marked. The window
    spans ``sds`` null standard deviations about the mean, widened to show the observed
    count. Returns the Axes."""
    ax = new_axes(ax, (7.0, 2.9))
    mean, sd = float(result.null_mean["either"]), float(result.null_sd["either"])
    observed = int(result.observed["either"])
    pmf = np.asarray(result.null_pmf, dtype=float)
    span = max(sd, 1.0) * sds
    lo = max(0, int(np.floor(min(mean - span, observed - 0.15 * span))))
    hi = min(pmf.size - 1, int(np.ceil(max(mean + span, observed + 0.15 * span))))
    k = np.arange(lo, hi + 1)
    ax.fill_between(
        k,
        pmf[lo : hi + 1],
        step="mid",
        color=COLORS["null"],
        alpha=0.55,
        linewidth=0,
        label="null: counts chance gives (exact)",
    )
    ax.axvline(mean, color=COLORS["null"], linewidth=0.8, linestyle=(0, (2, 2)))
    ax.axvline(observed, color=COLORS["leader"], linewidth=1.8, label="observed")
    excess = float(result.excess["either"])
    ax.annotate(
        f"observed {observed:,}\nexpected {mean:,.0f} (sd {sd:,.1f})\n"
        f"excess {excess:+,.0f}, p = {format_p(result.p_value)}".replace("-", "−"),
        xy=(observed, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(-6 if observed > mean else 6, -2),
        textcoords="offset points",
        ha="right" if observed > mean else "left",
        va="top",
        fontsize=8,
        color=COLORS["leader"],
    )
    ax.set_xlim(lo, hi)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.3g}"))
    ax.set_xlabel(
        f"Stations with a whole-number turnout or share (of {result.stations_included:,})"
    )
    ax.set_ylabel("Probability")
    ax.set_title("Integer-percentage stations against chance")
    ax.legend(loc="upper left", handlelength=1.4)
    finish(ax)
    return ax
