"""The turnout × share fingerprint ("comet") and the 0.1-pp turnout and share histograms.

References: Klimek, Yegorov, Hanel & Thurner (2012), PNAS 109(41); Kobak, Shpilkin &
Pshenichnikov (2016), Integer percentages as electoral falsification fingerprints, Annals of
Applied Statistics 10(1), fig. 1 (the comet on a log colour scale) and fig. 2 (the
histograms at 0.1 pp).
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
    new_axes_grid,
    short_name,
    styled,
)

__all__ = ["comet", "histogram", "histograms"]

_WEIGHT_LABEL = {
    "registered": "registered voters",
    "voters": "voters (ballots issued)",
    "stations": "stations",
}


def _cmap(name: str | None) -> Any:
    """A copy of the colour map with empty cells left white."""
    return matplotlib.colormaps[name or "magma_r"].with_extremes(bad="white", under="white")


@styled
def comet(
    result: Any,
    *,
    ax: Any = None,
    cmap: str | None = None,
    corner: bool = True,
    colorbar: bool = True,
) -> Any:
    """The 2-D histogram of turnout (x) by the party's share (y) of a
    :class:`~tallyscope.methods.fingerprints.FingerprintResult`, on a log colour scale
    (Kobak et al. 2016, fig. 1). ``corner`` outlines the corner of turnout above 90 % and
    share above 80 %, with the share of stations there. Returns the Axes."""
    ax = new_axes(ax, (5.6, 4.9))
    counts = np.ma.masked_less_equal(np.asarray(result.counts, dtype=float), 0.0)
    positive = counts.compressed()
    vmin = float(positive.min()) if positive.size else 1.0
    vmax = float(positive.max()) if positive.size else 10.0
    norm = matplotlib.colors.LogNorm(vmin=max(vmin, 1.0), vmax=max(vmax, vmin * 10.0, 10.0))
    edges = np.asarray(result.edges, dtype=float)
    image = ax.imshow(
        counts.T,
        origin="lower",
        extent=(edges[0], edges[-1], edges[0], edges[-1]),
        cmap=_cmap(cmap),
        norm=norm,
        interpolation="nearest",
        aspect="equal",
        rasterized=True,
    )
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(edges[0], edges[-1])
    ax.set_xticks(np.arange(0, 101, 10))
    ax.set_yticks(np.arange(0, 101, 10))
    ax.set_xlabel(f"Turnout, % ({result.turnout_basis})")
    ax.set_ylabel(f"Share of {short_name(result.party)}, %")
    ax.set_title("Turnout × share fingerprint")
    if corner:
        hc = result.high_corner
        for color, width, style in (("white", 2.6, "-"), (COLORS["clean"], 1.3, (0, (3, 1.5)))):
            ax.add_patch(
                matplotlib.patches.Rectangle(
                    (hc.turnout_above, hc.share_above),
                    edges[-1] - hc.turnout_above,
                    edges[-1] - hc.share_above,
                    fill=False,
                    edgecolor=color,
                    linewidth=width,
                    linestyle=style,
                    clip_on=False,
                )
            )
        ax.annotate(
            f"turnout > {hc.turnout_above:g} %, share > {hc.share_above:g} %:\n{hc.stations_pct:.1f} % of stations,\n{hc.leader_votes_pct:.1f} % of the party's votes",
            xy=(hc.turnout_above, hc.share_above),
            xytext=(-5, -5),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=7.5,
            color=COLORS["clean"],
            bbox={
                "boxstyle": "round,pad=0.25",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.9,
            },
        )
    if colorbar:
        bar = ax.get_figure().colorbar(image, ax=ax, shrink=0.82, pad=0.02, aspect=30)
        bar.set_label(
            f"{_WEIGHT_LABEL.get(result.weight, result.weight)} per "
            f"{result.bin_width:g} × {result.bin_width:g} pp cell (log scale)",
            color=COLORS["ink"],
        )
        bar.outline.set_visible(False)
        bar.ax.tick_params(colors=COLORS["muted"], labelcolor=COLORS["ink"], labelsize=7.5)
        bar.ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(format_count))
    finish(ax, grid=None)
    return ax


@styled
def histogram(result: Any, which: str = "turnout", *, ax: Any = None, integers: bool = True) -> Any:
    """One 0.1-pp histogram of a :class:`~tallyscope.methods.fingerprints.HistogramsResult`:
    ``which`` is ``"turnout"`` or ``"share"``. ``integers`` marks the bins that hold whole
    percentages (the bins starting at 0, 1, ..., 99 %), where rewritten protocols pile up
    (Kobak et al. 2016, fig. 2). The closed last bin (exactly 100 %) is drawn cut at the
    height of the others and labelled with its count. Returns the Axes."""
    if which not in ("turnout", "share"):
        raise ValueError(f"which must be 'turnout' or 'share', not {which!r}")
    ax = new_axes(ax, (7.0, 2.8))
    values = np.asarray(getattr(result, which), dtype=float)
    edges = np.asarray(result.edges, dtype=float)
    color = COLORS["ink"] if which == "turnout" else COLORS["leader"]
    ax.stairs(values, edges, fill=True, color=color, alpha=0.85, linewidth=0)
    top = float(values[:-1].max()) if values.size > 1 else float(values.max(initial=1.0))
    last = float(values[-1]) if values.size else 0.0
    ceiling = clip_last_bin(ax, edges, top, last, headroom=1.12, color=COLORS["muted"])
    ax.set_ylim(0, ceiling)
    if integers:
        starts = edges[:-1]
        whole = np.isclose(starts, np.round(starts))
        centres = starts[whole] + 0.5 * result.bin_width
        heights = np.minimum(values[whole], ceiling)
        ax.scatter(
            centres,
            heights,
            s=5,
            color=COLORS["clean"],
            linewidths=0,
            zorder=3,
            label="bins holding whole percentages",
        )
        ax.legend(loc="upper left", handletextpad=0.2, borderaxespad=0.2)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xticks(np.arange(0, 101, 10))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(format_count))
    unit = _WEIGHT_LABEL.get(result.weight, result.weight)
    ax.set_ylabel(f"{unit} per {result.bin_width:g} pp")
    if which == "turnout":
        ax.set_xlabel(f"Turnout, % ({result.turnout_basis})")
        ax.set_title(f"Turnout at {result.bin_width:g} pp")
    else:
        ax.set_xlabel(f"Share of {short_name(result.party)}, %")
        ax.set_title(f"Share of {short_name(result.party)} at {result.bin_width:g} pp")
    finish(ax)
    return ax


@styled
def histograms(result: Any, *, ax: Any = None, integers: bool = True) -> Any:
    """The turnout and the share histogram (see :func:`histogram`) one above the other;
    ``ax`` may give the two Axes. Returns them as an array."""
    axes = new_axes_grid(ax, 2, (7.0, 5.4), nrows=2, ncols=1)
    histogram(result, "turnout", ax=axes[0], integers=integers)
    histogram(result, "share", ax=axes[1], integers=integers)
    return np.array(axes, dtype=object)
