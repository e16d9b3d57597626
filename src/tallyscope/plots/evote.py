"""The remote e-vote beside the paper vote of the same units.

Reference: the method of :mod:`tallyscope.methods.evoting` (bootstrap of the unit's paper
stations; Efron & Tibshirani 1993; Davison & Hinkley 1997).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tallyscope.plots._base import COLORS, finish, new_axes, short_name, styled

__all__ = ["evote"]


def _unit_label(unit: str, width: int = 38) -> str:
    return unit if len(unit) <= width else unit[: width - 1].rstrip() + "…"


@styled
def evote(result: Any, *, ax: Any = None) -> Any:
    """The tested party's share on paper (open circle) and in the e-vote (filled) of every
    unit of an :class:`~tallyscope.methods.evoting.EvoteResult`, units ordered by their paper
    share; units whose difference the Holm-corrected test flags are drawn in the house red.
    Returns the Axes."""
    units = sorted(result.units, key=lambda u: u.paper_share)
    n = len(units)
    ax = new_axes(ax, (7.0, 1.3 + 0.2 * max(n, 3)))
    y = np.arange(n)
    flagged = set(result.flagged)
    for i, u in enumerate(units):
        color = COLORS["leader"] if u.unit in flagged else COLORS["muted"]
        ax.plot([u.paper_share, u.evote_share], [i, i], color=color, linewidth=1.0, zorder=2)
    paper = [u.paper_share for u in units]
    evote_share = [u.evote_share for u in units]
    colors = [COLORS["leader"] if u.unit in flagged else COLORS["ink"] for u in units]
    ax.scatter(
        paper,
        y,
        s=22,
        facecolors="white",
        edgecolors=COLORS["ink"],
        linewidths=1.0,
        zorder=3,
        label="paper vote",
    )
    ax.scatter(evote_share, y, s=22, color=colors, zorder=4, label="e-vote")
    ax.set_yticks(y)
    ax.set_yticklabels([_unit_label(u.unit) for u in units], fontsize=7)
    ax.set_ylim(-0.7, n - 0.3)
    base = "valid + invalid ballots" if result.base == "cast" else "valid ballots"
    ax.set_xlabel(f"Share of {short_name(result.party)}, % of {base}")
    ax.set_title(f"Paper vote and e-vote by {result.level}")
    if flagged:
        ax.scatter([], [], s=22, color=COLORS["leader"], label="flagged (Holm, 5 %)")
    ax.legend(loc="lower right", handletextpad=0.3)
    finish(ax, grid="x")
    return ax
