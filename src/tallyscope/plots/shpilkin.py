"""The votes-by-turnout curves of every party: the "Shpilkin plot".

Each curve is a party's votes summed over the stations of each 1-pp turnout bin. In a clean
election the curves have one shape, scaled by each party's support; ballot stuffing adds a
second hump to the leader's curve at high turnout that the other parties' curves do not have.

References: Shpilkin, S. (2009-2021), analyses of Russian federal elections; Kobak, Shpilkin
& Pshenichnikov (2016), Annals of Applied Statistics 10(1), fig. 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tallyscope._dependencies import matplotlib
from tallyscope.plots._base import (
    COLORS,
    clip_last_bin,
    finish,
    format_count,
    new_axes,
    short_name,
    styled,
)

__all__ = ["shpilkin"]


@styled
def shpilkin(
    curves: Any,
    *,
    anomalous: Any = None,
    party: str | None = None,
    ax: Any = None,
    parties: int = 6,
    clip_last: bool = True,
) -> Any:
    """Votes of every party by station turnout, from a
    :class:`~tallyscope.methods.shpilkin.TurnoutCurves`.

    The tested ``party`` (default: ``anomalous.party``, else the party with most votes) is
    drawn thick in the house red; the next ``parties - 1`` parties in colour, the rest thin
    and grey. With ``anomalous`` (an ``AnomalousVotesResult``) the clean turnout range of the
    estimate is shaded: the votes the estimate counts are those of the stations outside it.
    ``clip_last`` cuts the y axis at the height of the other bins when the last bin (turnout
    of 99-100 %, where Russian elections pile up) would flatten the curves, and labels its
    value. Returns the Axes.
    """
    ax = new_axes(ax, (7.0, 3.8))
    edges = np.asarray(curves.edges, dtype=float)
    centres = 0.5 * (edges[:-1] + edges[1:])
    totals = {name: float(np.sum(v)) for name, v in curves.votes.items()}
    order = sorted(totals, key=lambda name: -totals[name])
    leader = party or (anomalous.party if anomalous is not None else (order[0] if order else None))

    if anomalous is not None:
        core = anomalous.core
        low, high = float(core["min_turnout_pct"]), float(core["max_turnout_pct"])
        ax.axvspan(low, high, color=COLORS["clean"], alpha=0.07, linewidth=0, zorder=0)
        ax.axvline(high, color=COLORS["clean"], linewidth=0.8, linestyle=(0, (3, 2)), zorder=1)
        ax.annotate(
            f"clean range ends\nat {high:.1f} % turnout",
            xy=(high, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4 if high < 80 else -4, -2),
            textcoords="offset points",
            ha="left" if high < 80 else "right",
            va="top",
            fontsize=7.5,
            color=COLORS["clean"],
        )

    others = [name for name in order if name != leader]
    coloured = others[: max(parties - 1, 0)]
    rest = others[len(coloured) :]
    legend: list[Any] = []
    for i, name in enumerate(rest):
        (line,) = ax.plot(
            centres, curves.votes[name], color=COLORS["rest"], linewidth=0.8, zorder=2
        )
        if i == 0:
            line.set_label(f"{len(rest)} other {'party' if len(rest) == 1 else 'parties'}")
            legend.append(line)
    palette = COLORS["others"]
    for i, name in enumerate(coloured):
        (line,) = ax.plot(
            centres,
            curves.votes[name],
            color=palette[i % len(palette)],
            linewidth=1.1,
            label=short_name(name),
            zorder=3,
        )
        legend.insert(i, line)
    if leader is not None and leader in curves.votes:
        (line,) = ax.plot(
            centres,
            curves.votes[leader],
            color=COLORS["leader"],
            linewidth=2.0,
            label=short_name(leader),
            zorder=4,
        )
        legend.insert(0, line)
    if legend:
        ax.legend(
            handles=legend,
            loc="upper left",
            borderaxespad=0.3,
            handlelength=1.6,
        )
    ax.set_xlim(edges[0], edges[-1])
    if clip_last:
        _clip_last_bin(ax, edges, curves.votes)
    else:
        ax.set_ylim(bottom=0)
    ax.set_xticks(np.arange(0, 101, 10))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(format_count))
    width = float(edges[1] - edges[0]) if edges.size > 1 else 1.0
    ax.set_xlabel(f"Turnout, % ({curves.turnout_basis})")
    ax.set_ylabel(f"Votes per {width:g} pp of turnout")
    ax.set_title("Votes by turnout (Shpilkin plot)")
    finish(ax)
    return ax


def _clip_last_bin(ax: Any, edges: np.ndarray, votes: dict[str, np.ndarray]) -> None:
    rest = max((float(np.max(v[:-1])) for v in votes.values() if v.size > 1), default=0.0)
    last = max((float(v[-1]) for v in votes.values() if v.size), default=0.0)
    if rest <= 0:
        ax.set_ylim(bottom=0)
        return
    clip_last_bin(ax, edges, rest, last, headroom=1.15, color=COLORS["leader"])
