"""Indicators across elections: integer-percentage excess and anomalous votes over time.

As in Kobak, Shpilkin & Pshenichnikov (2018), Putin's peaks: Russian election data
revisited, Significance 15(3), 8-9.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tallyscope._dependencies import matplotlib
from tallyscope.plots._base import COLORS, finish, format_count, new_axes_grid, styled

__all__ = ["compare"]


@styled
def compare(indicators: Sequence[Any], *, ax: Any = None) -> Any:
    """Two panels over elections in date order, from
    :class:`~tallyscope.report.compare.ElectionIndicators` (one per election): above, the
    excess of stations with a whole-number turnout or share over chance, with bars of ±2 null
    standard deviations; below, the anomalous votes as a percentage of the tested party's
    votes, the robust estimate with its interval (open where the estimate flags itself as
    unreliable) beside the textbook Shpilkin figure. ``ax`` may give the two Axes. Returns
    them as an array."""
    rows = sorted(indicators, key=lambda i: (i.date, i.id or ""))
    n = len(rows)
    axes = new_axes_grid(ax, 2, (max(6.0, 0.75 * n + 2.5), 5.6), nrows=2, ncols=1, sharex=True)
    x = np.arange(n)
    top, bottom = axes

    excess = np.array([r.integer_excess for r in rows], dtype=float)
    sd = np.array([r.integer_null_sd for r in rows], dtype=float)
    top.axhline(0, color=COLORS["muted"], linewidth=0.7)
    top.bar(
        x,
        4 * sd,
        bottom=-2 * sd,
        width=0.42,
        color=COLORS["null"],
        alpha=0.45,
        linewidth=0,
        label="±2 sd of chance",
    )
    top.scatter(x, excess, s=30, color=COLORS["ink"], zorder=3, label="observed − expected")
    top.set_ylabel("Excess integer stations")
    top.set_title("Integer-percentage excess")
    top.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(format_count))
    top.legend(loc="upper left", ncols=2)

    robust = np.array([r.anomalous_pct for r in rows], dtype=float)
    low = np.array([r.anomalous_pct_interval[0] for r in rows], dtype=float)
    high = np.array([r.anomalous_pct_interval[1] for r in rows], dtype=float)
    textbook = np.array(
        [np.nan if r.textbook_pct is None else r.textbook_pct for r in rows], dtype=float
    )
    reliable = np.array([bool(r.reliable) for r in rows])
    bottom.axhline(0, color=COLORS["muted"], linewidth=0.7)
    bottom.errorbar(
        x,
        robust,
        yerr=np.vstack([np.maximum(robust - low, 0), np.maximum(high - robust, 0)]),
        fmt="none",
        ecolor=COLORS["leader"],
        elinewidth=1.2,
        capsize=3,
    )
    bottom.scatter(
        x[reliable],
        robust[reliable],
        s=30,
        color=COLORS["leader"],
        zorder=3,
        label="robust (95 % interval)",
    )
    if (~reliable).any():
        bottom.scatter(
            x[~reliable],
            robust[~reliable],
            s=30,
            facecolors="white",
            edgecolors=COLORS["leader"],
            linewidths=1.2,
            zorder=3,
            label="robust, unreliable here (lower bound)",
        )
    bottom.scatter(
        x + 0.18,
        textbook,
        s=26,
        marker="D",
        facecolors="white",
        edgecolors=COLORS["muted"],
        linewidths=1.0,
        zorder=3,
        label="textbook Shpilkin",
    )
    bottom.set_ylabel("Anomalous votes, % of party's votes")
    bottom.set_title("Anomalous votes")
    bottom.legend(loc="upper left", ncols=3)
    bottom.set_xticks(x)
    bottom.set_xticklabels([r.label for r in rows])
    bottom.set_xlim(-0.6, n - 0.4)
    for a in axes:
        finish(a)
    return np.array(axes, dtype=object)
