"""The HTML report: every section, the numbers of the results, nothing fetched at view time,
fraud models rendered from their dictionaries, the comparison page and the commands."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
import shlex
from html import unescape
from html.parser import HTMLParser
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

import tallyscope as ts
from tallyscope.analysis import analyze
from tallyscope.cli import app
from tallyscope.report import (
    ElectionIndicators,
    indicators,
    render,
    render_compare,
    write_compare,
    write_report,
)
from tallyscope.report import _format as fmt
from tallyscope.results import ConfidenceInterval, Estimate, NotApplicable, _Serialisable

DAY = dt.date(2025, 1, 31)
SECTIONS = ("headline", "figures", "where", "methods")
FIGURES = ("comet", "shpilkin", "histograms", "peaks")


class _Structure(HTMLParser):
    """Collects ids, the open/close balance of non-void elements, and external references."""

    VOID = {"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.external: list[str] = []
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        for key in ("src", "href", "xlink:href"):
            value = a.get(key, "")
            if re.match(r"^(https?:)?//", value):
                self.external.append(value)
        if tag == "a":
            self.links.append(a)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()


def parse(html: str) -> _Structure:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def html(synthetic_result, synthetic_evote) -> str:
    return render(synthetic_result, evote=synthetic_evote, generated=DAY)


def test_report_has_every_section(html):
    page = parse(html)
    assert page.errors == [] and page.stack == []
    ids = set(page.ids)
    assert set(SECTIONS) | {"evote"} <= ids
    assert {"card-official", "card-clean", "card-anomalous", "card-integer"} <= ids
    assert {f"fig-{name}" for name in (*FIGURES, "evote")} <= ids
    assert {"regions-table", "commissions-table", "evote-table", "commission-filter"} <= ids
    assert len(set(page.ids)) == len(page.ids), "ids are unique across the page and its SVGs"
    assert html.count("<svg") == len(FIGURES) + 1


def test_report_is_self_contained(html):
    page = parse(html)
    assert page.external == []
    assert "<link" not in html and "@import" not in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"url\((['\"]?)(https?:)?//", html)
    assert html.count("<style>") == 1 and html.count("<script>") == 1


def test_headline_shows_the_numbers_of_the_results(html, synthetic_result):
    r = synthetic_result.results
    robust, classic, peaks = r["anomalous_votes"], r["anomalous_votes_classic"], r["integer_peaks"]
    assert fmt.votes(robust.estimate) in html
    assert fmt.interval(*robust.interval, "votes") in html
    assert fmt.pct(robust.clean_share_pct) in html
    assert fmt.interval(*robust.clean_share_interval, "pct") in html
    assert fmt.votes(classic.estimate) in html
    assert "Textbook Shpilkin estimate — not the headline" in html
    assert "Poland 2025" in html  # why it is not the headline
    assert fmt.signed(peaks.excess["either"]) in html
    assert str(fmt.p_html(peaks.p_value)) in html
    assert synthetic_result.verdict in unescape(html)
    for test in synthetic_result.tests:
        assert str(fmt.p_html(test.p_holm)) in html
    for result in r.values():
        reference = getattr(result, "reference", None)
        if reference:
            assert reference in unescape(html)


def test_station_csv_is_embedded_as_a_download(html, synthetic_result):
    page = parse(html)
    (link,) = [a for a in page.links if "download" in a]
    assert link["download"].endswith("-stations.csv")
    prefix = "data:text/csv;charset=utf-8;base64,"
    assert link["href"].startswith(prefix)
    text = base64.b64decode(link["href"][len(prefix) :]).decode("utf-8")
    assert text.startswith("\ufeff")  # so that spreadsheets read it as UTF-8
    table = pl.read_csv(text[1:].encode())
    assert table.height == synthetic_result.ranking.stations.height
    assert {"station", "registered", "leader_votes", "anomalous_votes"} <= set(table.columns)


def test_unit_tables_list_every_region_and_commission(html, synthetic_result):
    ranking = synthetic_result.ranking
    regions = html[
        html.index('id="regions-table"') : html.index("</table>", html.index('id="regions-table"'))
    ]
    assert regions.count("<tr") == ranking.regions.height + 1
    commissions = html[html.index('id="commissions-table"') :]
    commissions = commissions[: commissions.index("</table>")]
    assert commissions.count("<tr") == ranking.commissions.height + 1
    assert 'class="data sortable units"' in html


def test_evote_section(html, synthetic_evote):
    section = html[html.index('id="evote"') : html.index('id="methods"')]
    for unit in synthetic_evote.units:
        assert unit.unit in section
    assert fmt.signed(synthetic_evote.added().added) in section


def test_methods_section(ru2012_result, ru2012_html):
    html = ru2012_html
    section = html[html.index('id="methods"') :]
    files = ru2012_result.election["provenance"]["files"]
    for f in files:
        assert f["file"] in section and f["sha256"] in section
    assert "Central Election Commission" in section
    assert f"tallyscope {ts.__version__}" in section
    assert "fewer than 100 registered voters" in section  # what was excluded and why
    excluded = ru2012_result.results["integer_peaks"].excluded["turnout above 99 %"]
    assert fmt.count(excluded) in section
    assert "Respublika Adygeya" in html  # regions transliterated
    assert "Республика Адыгея" in html  # and shown as they are
    # the command that reproduces it, from the settings
    assert (
        "tallyscope report ru-2012-president -o ru-2012-president.html --sims 200 --boot 50 "
        "--seed 1" in section
    )


def test_a_given_command_is_shown(synthetic_result):
    html = render(synthetic_result, command="tallyscope report my.csv -o r.html", generated=DAY)
    assert "<code>tallyscope report my.csv -o r.html</code>" in html


def test_rendering_is_deterministic(synthetic_result, tmp_path):
    first = render(synthetic_result, generated=DAY)
    path = write_report(synthetic_result, tmp_path / "report.html")
    assert (
        path.read_text(encoding="utf-8").replace(dt.date.today().isoformat(), DAY.isoformat())
        == first
    )


def test_methods_that_could_not_run_are_said_so(synthetic):
    partial = analyze(synthetic, sims=0, boot=10, seed=1, methods=["integer_peaks"])
    html = render(partial, evote=NotApplicable("evote", "no electronic rows"), generated=DAY)
    assert parse(html).errors == []
    assert html.count("<svg") == 1  # only the integer peaks
    assert "not drawn — not run" in html
    assert "Not applicable: no electronic rows" in html
    assert 'id="card-clean"' in html


@dataclasses.dataclass(frozen=True, slots=True)
class FakeKlimek(_Serialisable):
    f_i: Estimate
    f_e: Estimate
    converged: bool
    n_sims: int
    reference: str = "Klimek, Yegorov, Hanel & Thurner (2012), PNAS 109(41)"


@dataclasses.dataclass(frozen=True, slots=True)
class FakeMixture(_Serialisable):
    class_probabilities: list[float]
    class_probabilities_interval: list[tuple[float, float]]
    log_likelihood: float
    reference: str = "Mebane (2016), election forensics mixture model"


def test_fraud_models_render_from_their_dictionaries(synthetic_result):
    models: dict[str, Any] = {
        "klimek": FakeKlimek(
            Estimate(0.0812, ConfidenceInterval(0.061, 0.104, 0.95)),
            Estimate(0.0123, ConfidenceInterval(0.008, 0.017, 0.95)),
            converged=False,
            n_sims=100,
        ),
        "mixture": FakeMixture(
            [0.9, 0.07, 0.03], [(0.88, 0.92), (0.05, 0.09), (0.02, 0.04)], -12.5
        ),
        "other": NotApplicable("other", "no registered voters"),
    }
    html = render(synthetic_result, models=models, generated=DAY)
    section = html[html.index('id="models"') : html.index('id="figures"')]
    assert "0.081" in section and "0.061–0.104" in section and "(95&nbsp;%)" in section
    assert "0.012" in section and "0.008–0.017" in section
    assert "incremental fraud" in section and "extreme fraud" in section
    assert "did not converge" in section
    assert "P(class 1)" in section and "0.880–0.920" in section and "0.030" in section
    assert "Share of stations in each class" in section
    assert "log likelihood" in section and "−12.500" in section
    assert "Klimek, Yegorov, Hanel &amp; Thurner (2012)" in section
    assert "Mebane (2016)" in section
    assert "Not applicable: no registered voters" in section
    assert "n sims" not in section  # housekeeping is not shown


def test_number_formats():
    assert fmt.pct(30.41) == "30.4\u00a0%"
    assert fmt.votes(9_745_109) == "9.75\u00a0million"
    assert fmt.votes(412_300.4) == "412,300"
    assert fmt.interval(6_195_965, 14_476_767, "votes") == "6.20–14.48\u00a0million"
    assert fmt.interval(35.4, 44.64, "pct") == "35.4–44.6\u00a0%"
    assert fmt.interval(-0.7, -0.12, "pct") == "−0.7 to −0.1\u00a0%"
    assert fmt.interval(-71_877, 5_665, "votes") == "−71,877 to 5,665"
    assert fmt.signed(1007.4) == "+1,007" and fmt.signed(-12.5, 1) == "−12.5"
    assert fmt.signed(-0.04, 1) == "0.0" and fmt.number(-0.04, 1) == "0.0"
    assert str(fmt.p_html(3.27e-17)) == "3.3\u00a0×\u00a010<sup>−17</sup>"
    assert str(fmt.p_html(0.000999)) == "0.001"
    assert str(fmt.p_html(0.4321)) == "0.43"
    assert fmt.p_text(2.5e-5) == "2.5e−5"
    assert fmt.count(None) == "n/a" and fmt.pct(float("nan")) == "n/a"


def test_compare_page(synthetic_result, ru2012_result, tmp_path):
    rows = [indicators(ru2012_result), indicators(synthetic_result)]
    assert isinstance(rows[0], ElectionIndicators)
    peaks = ru2012_result.results["integer_peaks"]
    assert rows[0].integer_excess == pytest.approx(peaks.excess["either"])
    assert rows[0].integer_null_sd == pytest.approx(peaks.null_sd["either"])
    assert rows[0].label == "2012\nPresident"
    json.dumps(rows[0].to_dict())
    html = render_compare(rows, command="tallyscope compare --all", generated=DAY)
    page = parse(html)
    assert page.errors == [] and page.external == []
    assert {"chart", "table", "methods", "fig-compare", "compare-table"} <= set(page.ids)
    assert "Significance 15(3)" in html and "tallyscope compare --all" in html
    assert fmt.signed(peaks.excess["either"]) in html
    assert write_compare(rows, tmp_path / "c.html").stat().st_size > 10_000


# -- the commands -----------------------------------------------------------------------------


def run(*args: object) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


def one_error(result: Any) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def synthetic_file(synthetic, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "synthetic.parquet"
    ts.write_election(synthetic, path)
    return path


def test_report_command(synthetic_file, tmp_path):
    out = tmp_path / "report.html"
    done = run("report", synthetic_file, "-o", out, "--sims", 100, "--boot", 20, "--seed", 7)
    assert done.exit_code == 0, done.output
    html = out.read_text(encoding="utf-8")
    assert 'id="evote"' in html and 'id="fig-evote"' in html  # the file has e-vote rows
    assert f"tallyscope report {synthetic_file} -o {out} --sims 100 --boot 20 --seed 7" in html
    assert "wrote" in done.stderr


def test_report_command_on_a_filtered_bundled_election(tmp_path):
    out = tmp_path / "adygea.html"
    done = run(
        "report", "ru-2012-president", "-o", out, "--sims", 50, "--boot", 20, "--seed", 1,
        "--region", "Адыгея",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    html = out.read_text(encoding="utf-8")
    assert 'id="evote"' not in html  # no e-vote rows, no section
    command = unescape(re.search(r'<pre class="command"><code>(.*?)</code>', html).group(1))
    assert shlex.split(command)[-2:] == ["--region", "Адыгея"]


def test_plot_command(synthetic_file, tmp_path):
    for figure, suffix in (
        ("comet", "png"),
        ("shpilkin", "svg"),
        ("histograms", "png"),
        ("peaks", "svg"),
    ):
        out = tmp_path / f"{figure}.{suffix}"
        done = run("plot", figure, synthetic_file, "-o", out, "--dpi", 50, "--boot", 10)
        assert done.exit_code == 0, done.output
        assert out.stat().st_size > 2_000
    assert "png" in one_error(run("plot", "comet", synthetic_file, "-o", tmp_path / "x.gif"))


def test_compare_command(synthetic_file, tmp_path):
    out = tmp_path / "compare.html"
    done = run(
        "compare", synthetic_file, synthetic_file, "-o", out, "--json", "--sims", 0, "--boot", 20
    )
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)
    assert len(rows) == 2 and rows[0]["integer_excess"] == rows[1]["integer_excess"]
    assert {"integer_null_sd", "anomalous_pct", "anomalous_pct_interval", "textbook_pct"} <= set(
        rows[0]
    )
    assert out.exists()


def test_commands_fail_with_one_line(tmp_path):
    assert "--all" in one_error(run("compare"))
    one_error(run("report", "no-such-election", "-o", tmp_path / "r.html"))
    one_error(run("plot", "comet", "no-such-election", "-o", tmp_path / "c.png"))
