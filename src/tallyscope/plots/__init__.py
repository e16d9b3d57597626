"""Figures from results: each function takes a result object, draws on ``ax`` (a new figure
when None) and returns the Axes. Nothing here computes a statistic; the numbers come from
the methods. matplotlib is the optional ``[plot]`` extra (``pip install "tallyscope[plot]"``)
and is imported only when a figure is drawn; figures are made without pyplot, so no window
opens and no backend needs choosing.

    from tallyscope import plots
    from tallyscope.analysis import analyze

    result = analyze(tallyscope.load("ru-2011-duma"), seed=1)
    ax = plots.comet(result.results["fingerprint"])
    plots.save(ax, "comet.png")

=================  ====================================================================
:func:`comet`      turnout × share fingerprint (FingerprintResult), log colour scale
:func:`shpilkin`   votes by turnout of every party (TurnoutCurves), clean range shaded
:func:`histogram`  one 0.1-pp turnout or share histogram (HistogramsResult)
:func:`histograms` both, integer percentages marked
:func:`peaks`      integer-percentage count against its exact null (IntegerPeaksResult)
:func:`evote`      paper vote and e-vote by unit (EvoteResult)
:func:`compare`    indicators across elections (ElectionIndicators)
:func:`save`       write a figure to .png, .svg or .pdf
=================  ====================================================================
"""

from tallyscope.plots._base import save, short_name, to_svg
from tallyscope.plots.compare import compare
from tallyscope.plots.evote import evote
from tallyscope.plots.fingerprint import comet, histogram, histograms
from tallyscope.plots.integer_peaks import peaks
from tallyscope.plots.shpilkin import shpilkin

__all__ = [
    "comet",
    "compare",
    "evote",
    "histogram",
    "histograms",
    "peaks",
    "save",
    "short_name",
    "shpilkin",
    "to_svg",
]
