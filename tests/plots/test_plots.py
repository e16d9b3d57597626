"""Plots: each takes results, returns Axes, and writes PNG and SVG; labels; lazy imports."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tallyscope import plots
from tallyscope.analysis import analyze
from tallyscope.methods.evoting import evote
from tallyscope.plots._base import format_count
from tallyscope.report import indicators
from tallyscope.synth import Fraud, generate

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.axes import Axes  # noqa: E402


@pytest.fixture(scope="module")
def election():
    fraud = Fraud(f_i=0.1, f_e=0.02, evote_regions=4, evote_swing=0.1)
    return generate(3000, rng=2, fraud=fraud).election


@pytest.fixture(scope="module")
def result(election):
    return analyze(election, sims=200, boot=50, seed=1)


@pytest.fixture(scope="module")
def evote_result(election):
    return evote(election, n_sims=200, n_boot=100, rng=1)


def _one_axes(obj):
    assert isinstance(obj, Axes)
    return obj


def _axes_array(obj, n):
    assert isinstance(obj, np.ndarray) and obj.shape == (n,)
    assert all(isinstance(a, Axes) for a in obj)
    return obj


def _drawn(result, evote_result):
    r = result.results
    return {
        "comet": _one_axes(plots.comet(r["fingerprint"])),
        "shpilkin": _one_axes(plots.shpilkin(r["turnout_curves"], anomalous=r["anomalous_votes"])),
        "histogram": _one_axes(plots.histogram(r["histograms"], "share")),
        "histograms": _axes_array(plots.histograms(r["histograms"]), 2),
        "peaks": _one_axes(plots.peaks(r["integer_peaks"])),
        "evote": _one_axes(plots.evote(evote_result)),
        "compare": _axes_array(plots.compare([indicators(result), indicators(result)]), 2),
    }


def test_every_plot_returns_axes_and_writes_png_and_svg(result, evote_result, tmp_path):
    for name, axes in _drawn(result, evote_result).items():
        png = plots.save(axes, tmp_path / f"{name}.png", dpi=60)
        svg = plots.save(axes, tmp_path / f"{name}.svg")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert png.stat().st_size > 2_000, name
        text = svg.read_text(encoding="utf-8")
        assert "<svg" in text and "</svg>" in text, name


def test_plots_draw_on_given_axes(result):
    from matplotlib.figure import Figure

    figure = Figure()
    ax = figure.add_subplot()
    assert plots.comet(result.results["fingerprint"], ax=ax, colorbar=False) is ax
    pair = Figure().subplots(2, 1)
    out = plots.histograms(result.results["histograms"], ax=pair)
    assert list(out) == list(pair)
    with pytest.raises(ValueError, match="2 axes"):
        plots.histograms(result.results["histograms"], ax=[ax])


def test_plots_show_the_numbers_of_the_result(result):
    r = result.results
    peaks = r["integer_peaks"]
    ax = plots.peaks(peaks)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert f"observed {peaks.observed['either']:,}" in texts
    lines = [line.get_xdata()[0] for line in ax.get_lines()]
    assert peaks.observed["either"] in lines
    robust = r["anomalous_votes"]
    ax = plots.shpilkin(r["turnout_curves"], anomalous=robust)
    spans = [p for p in ax.patches if p.get_alpha() is not None]
    assert spans, "the clean range is shaded"
    x0 = spans[0].get_x()
    assert x0 == pytest.approx(robust.core["min_turnout_pct"])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == plots.short_name(robust.party)  # the tested party comes first


def test_plots_save_rejects_unknown_suffix(result, tmp_path):
    ax = plots.comet(result.results["fingerprint"])
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        plots.save(ax, tmp_path / "figure.gif")


def test_to_svg_is_inline_ready_and_ids_are_prefixed(result):
    ax = plots.peaks(result.results["integer_peaks"])
    svg = plots.to_svg(ax, prefix="peaks", title="Integer peaks")
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!DOCTYPE" not in svg
    assert 'aria-label="Integer peaks"' in svg and "viewBox=" in svg
    head = svg[: svg.index(">")]
    assert " width=" not in head and " height=" not in head
    import re

    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(i.startswith("peaks-") for i in ids)
    refs = re.findall(r"url\(#([^)]+)\)", svg) + re.findall(r'href="#([^"]+)"', svg)
    assert all(r.startswith("peaks-") for r in refs)
    assert set(refs) <= set(ids)


def test_the_same_figure_gives_the_same_svg(result):
    first = plots.to_svg(plots.comet(result.results["fingerprint"]))
    second = plots.to_svg(plots.comet(result.results["fingerprint"]))
    assert first == second


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ('6. Всероссийская политическая партия "ЕДИНАЯ РОССИЯ"', "ЕДИНАЯ РОССИЯ"),
        ('4. Политическая партия "Коммунистическая партия Российской Федерации"', "КПРФ"),
        ("3. Политическая партия ЛДПР – Либерально-демократическая партия России", "ЛДПР"),
        ("6. Партия СПРАВЕДЛИВАЯ РОССИЯ – ЗА ПРАВДУ", "СПРАВЕДЛИВАЯ РОССИЯ"),
        ("14. ПАРТИЯ ПЕНСИОНЕРОВ", "ПАРТИЯ ПЕНСИОНЕРОВ"),
        ("Путин Владимир Владимирович", "Путин В. В."),
        ("Хакамада Ирина Муцуовна", "Хакамада И. М."),
        ("Против всех", "Против всех"),
        ("ДА", "ДА"),
        ("Trzaskowski", "Trzaskowski"),
        ("CAND3", "CAND3"),
        ("41 Georgian Dream", "41 Georgian Dream"),
    ],
)
def test_short_names(name, short):
    assert plots.short_name(name) == short


def test_format_count():
    assert [format_count(v) for v in (0, 950, 1500, 16_500, 750_000, 2_100_000, -1500)] == [
        "0",
        "950",
        "1.5k",
        "16.5k",
        "750k",
        "2.1M",
        "−1.5k",
    ]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_import_tallyscope_loads_no_plotting_library():
    done = _run(
        """
        import sys
        import tallyscope, tallyscope.plots, tallyscope.report, tallyscope.cli
        loaded = sorted(m for m in ("matplotlib", "jinja2") if m in sys.modules)
        print(",".join(loaded))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_a_missing_matplotlib_fails_only_when_used_and_says_what_to_install():
    done = _run(
        """
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        import tallyscope
        from tallyscope import plots
        from tallyscope.exceptions import TallyscopeError
        try:
            plots.comet(None)
        except TallyscopeError as error:
            assert isinstance(error, ImportError)
            print(error)
        """
    )
    assert done.returncode == 0, done.stderr
    assert 'pip install "tallyscope[plot]"' in done.stdout
    assert "matplotlib" in done.stdout


def test_a_missing_jinja2_fails_when_a_report_is_rendered():
    done = _run(
        """
        import sys
        sys.modules["jinja2"] = None
        from tallyscope.report import render
        from tallyscope.report._render import environment
        try:
            environment()
        except ImportError as error:
            print(error)
        """
    )
    assert done.returncode == 0, done.stderr
    assert (
        'jinja2 is needed for the HTML report but is not installed: pip install "tallyscope[plot]"'
        in done.stdout
    )
