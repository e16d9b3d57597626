"""The report in a real browser (headless Chromium through Playwright): every figure renders,
nothing is fetched, no console error, the tables sort and filter, the page fits a phone.

Skipped where Playwright or Debian's ``chromium`` (/usr/bin/chromium; scripts/setup.sh
installs it) is missing. A screenshot of the top of the page is saved under the test's tmp
folder; to refresh the README's picture, render a report and point the test at it:

    tallyscope report ru-2011-duma -o ru-2011-duma.html --seed 1
    TALLYSCOPE_SCREENSHOT_REPORT=ru-2011-duma.html TALLYSCOPE_SCREENSHOT=docs/img/report.png \\
        .venv/bin/python -m pytest tests/report/test_browser.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tallyscope.report import render

CHROMIUM = Path(os.environ.get("TALLYSCOPE_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
FIGURES = ("comet", "shpilkin", "histograms", "peaks")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')"
    )
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; see scripts/setup.sh)"
        )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class Page:
    """A page with its console errors and any request that left the file."""

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 900) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def guard(route):
            url = route.request.url
            if url.startswith(("file:", "data:", "about:")):
                route.continue_()
            else:
                self.requests.append(url)
                route.abort()

        self.page.route("**/*", guard)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")

    def close(self) -> None:
        self.page.close()


def check_figures(page, expected: tuple[str, ...]) -> None:
    for name in expected:
        box = page.locator(f"#fig-{name} svg.figure-svg").bounding_box()
        assert box is not None, name
        assert box["width"] > 100 and box["height"] > 100, (name, box)


@pytest.fixture(scope="module")
def report_file(ru2012_html, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "ru-2012-president.html"
    path.write_text(ru2012_html, encoding="utf-8")
    return path


def test_report_renders_in_chromium(browser, report_file, tmp_path):
    view = Page(browser, report_file)
    page = view.page
    assert view.errors == []
    assert view.requests == []
    check_figures(page, FIGURES)
    assert page.locator("#headline .card").count() == 4
    shot = tmp_path / "report-top.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    view.close()


def test_tables_sort_and_filter(browser, report_file):
    view = Page(browser, report_file)
    page = view.page
    table = page.locator("#regions-table")
    stations = table.locator("thead th", has_text="Stations")
    stations.click()  # descending
    assert stations.get_attribute("aria-sort") == "descending"
    values = [
        float(v)
        for v in table.locator("tbody tr td:nth-child(2)").evaluate_all(
            "cells => cells.map(c => c.getAttribute('data-v'))"
        )
    ]
    assert values == sorted(values, reverse=True)
    stations.press("Enter")  # ascending, from the keyboard
    assert stations.get_attribute("aria-sort") == "ascending"
    region = table.locator("thead th", has_text="Region")
    region.click()
    names = table.locator("tbody tr th").evaluate_all(
        "cells => cells.map(c => c.getAttribute('data-v'))"
    )
    assert names[0] > names[-1]  # descending, alphabetically (Cyrillic)
    rows = page.locator("#commissions-table tbody tr")
    total = rows.count()
    page.fill("#commission-filter", "Adygeya")  # the transliteration finds it too
    visible = page.locator("#commissions-table tbody tr:not([hidden])").count()
    assert 0 < visible < total
    assert view.errors == []
    view.close()


def test_report_fits_a_phone(browser, report_file, tmp_path):
    view = Page(browser, report_file, width=390, height=844)
    page = view.page
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, "the page scrolls sideways on a phone (tables scroll inside their box)"
    check_figures(page, FIGURES)
    page.screenshot(path=str(tmp_path / "report-phone.png"))
    view.close()


def test_evote_figure_renders(browser, synthetic_result, synthetic_evote, tmp_path):
    path = tmp_path / "synthetic.html"
    path.write_text(render(synthetic_result, evote=synthetic_evote), encoding="utf-8")
    view = Page(browser, path)
    check_figures(view.page, (*FIGURES, "evote"))
    assert view.errors == [] and view.requests == []
    view.close()


def test_screenshot_for_the_readme(browser):
    """With TALLYSCOPE_SCREENSHOT_REPORT (a rendered report) and TALLYSCOPE_SCREENSHOT (a
    PNG path), check that report too and save the top of it (the README's picture)."""
    source = os.environ.get("TALLYSCOPE_SCREENSHOT_REPORT")
    target = os.environ.get("TALLYSCOPE_SCREENSHOT")
    if not (source and target):
        pytest.skip("set TALLYSCOPE_SCREENSHOT_REPORT and TALLYSCOPE_SCREENSHOT to save one")
    view = Page(browser, Path(source), width=1200, height=1300)
    assert view.errors == [] and view.requests == []
    check_figures(view.page, FIGURES)
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.png")
    view.page.screenshot(path=str(tmp))
    shutil.move(tmp, out)
    view.close()
