"""Commands that analyse an election: `analyze`, `evote`."""

# No `from __future__ import annotations`: Typer reads these annotations at run time.

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tallyscope.analysis import AnalysisResult, analyze
from tallyscope.cli._common import (
    BootOption,
    JsonFlag,
    LoadOptions,
    PartyOption,
    SeedOption,
    SimsOption,
    Target,
    app,
    console,
    domain_errors,
    err_console,
    load_target,
    loads_election,
    print_json,
)
from tallyscope.exceptions import TallyscopeError
from tallyscope.methods.evoting import evote
from tallyscope.results import NotApplicable


@app.command(name="analyze")
@domain_errors
@loads_election
def analyze_command(
    target: Target,
    as_json: JsonFlag = False,
    sims: SimsOption = 10_000,
    boot: BootOption = 1000,
    seed: SeedOption = None,
    party: PartyOption = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Run the battery per value of a column, side by side: channel or kind."
        ),
    ] = None,
    stations_csv: Annotated[
        Path | None,
        typer.Option(
            "--stations-csv", help="Write the most anomalous stations (with their counts) to a CSV."
        ),
    ] = None,
    *,
    load: LoadOptions,
) -> None:
    """Run every forensic method and say what they find (see docs/analyze-json.md for --json)."""
    election = load_target(target, load)
    if by is None:
        with err_console.status("running the battery", spinner="dots"):
            result = analyze(election, party=party, sims=sims, boot=boot, seed=seed)
        if stations_csv is not None and not isinstance(result.ranking, NotApplicable):
            result.ranking.write_stations(str(stations_csv))
        print_json(result) if as_json else _print_analysis(result)
        return
    if by not in ("channel", "kind"):
        raise TallyscopeError(f"--by {by!r}: choose channel or kind")
    values = [v for v in election.stations[by].cast(str).unique().sort().to_list() if v is not None]
    results = {}
    for value in values:
        with err_console.status(f"running the battery on {by} = {value}", spinner="dots"):
            subset = election.filter(f"{by} = '{value}'")
            kinds = "all" if by == "kind" else ("regular",)
            results[value] = analyze(
                subset, party=party, kinds=kinds, sims=sims, boot=boot, seed=seed
            )
    print_json(results) if as_json else _print_side_by_side(by, results)


def _p(value: float) -> str:
    return "n/a" if value != value else (f"{value:.2g}" if value >= 1e-4 else f"{value:.1e}")


def _print_analysis(result: AnalysisResult) -> None:
    info, summary = result.election, result.summary
    console.print(
        f"[bold]{escape(summary.name)}[/]" + (f"  ({info['id']})" if info.get("id") else "")
    )
    console.print(
        f"party tested: {escape(result.settings['party'])}; seed {result.settings['seed']}"
    )
    console.print(f"\n[bold]{escape(result.verdict)}[/]\n")
    tests = Table(title="Tests (p-values Holm-corrected across the battery)", show_edge=False)
    for column in ("test", "statistic", "p", "p (Holm)", "rejects", "question"):
        tests.add_column(column)
    for t in result.tests:
        tests.add_row(
            t.name,
            f"{t.statistic:,.4g}",
            _p(t.p_value),
            _p(t.p_holm),
            "yes" if t.rejects else "no",
            t.what,
        )
    console.print(tests)
    for name, entry in result.results.items():
        if isinstance(entry, NotApplicable):
            console.print(f"[yellow]{name}: not applicable[/] - {escape(entry.reason)}")
    _print_anomalous(
        result.results.get("anomalous_votes"), result.results.get("anomalous_votes_classic")
    )
    _print_peaks(result.results.get("integer_peaks"))
    _print_descriptive(result.results.get("turnout_share"), result.results.get("fingerprint"))
    ranking = result.ranking
    if not isinstance(ranking, NotApplicable):
        table = Table(title="Regions by anomalous votes (first 10)", show_edge=False)
        for column in (
            "region",
            "stations",
            "anomalous votes",
            "% of leader",
            "integer excess",
            "p (Holm)",
            "corner %",
        ):
            table.add_column(column, justify="left" if column == "region" else "right")
        for row in ranking.regions.head(10).iter_rows(named=True):
            table.add_row(
                escape(row["region"]), f"{row['stations']:,}", f"{row['anomalous_votes']:,.0f}",
                f"{row['anomalous_pct_of_leader']:.1f}", f"{row['integer_excess']:+.1f}",
                _p(row["integer_p_holm"]), f"{row['corner_stations_pct']:.1f}",
            )  # fmt: skip
        console.print(table)
    console.print(f"timings (s): {result.timings_s}", style="dim")


def _print_anomalous(robust: Any, classic: Any) -> None:
    if robust is None or isinstance(robust, NotApplicable):
        return
    low, high = robust.interval
    console.print(
        f"\n[bold]Anomalous votes[/] (robust): {robust.estimate:,.0f} [{low:,.0f}, {high:,.0f}] = "
        f"{robust.anomalous_pct_of_leader:.1f} % of the party's votes; clean share "
        f"{robust.clean_share_pct:.1f} % (official {robust.official_share_pct:.1f} %); clean range "
        f"ends at {robust.core['max_turnout_pct']:.1f} % turnout"
    )
    if robust.warning:
        console.print(f"[yellow]{escape(robust.warning)}[/]")
    if classic is not None and not isinstance(classic, NotApplicable):
        console.print(
            f"textbook Shpilkin: {classic.estimate:,.0f} ({classic.anomalous_pct_of_leader:.1f} %), clean share "
            f"{classic.clean_share_pct:.1f} % - it reads clean heterogeneity as fraud; shown for comparison"
        )


def _print_peaks(peaks: Any) -> None:
    if peaks is None or isinstance(peaks, NotApplicable):
        return
    console.print(
        f"\n[bold]Integer percentages[/]: {peaks.observed['either']:,} stations vs "
        f"{peaks.null_mean['either']:,.1f} expected (sd {peaks.null_sd['either']:.1f}; excess "
        f"{peaks.excess['either']:+,.1f}), p = {_p(peaks.p_value)} over {peaks.stations_included:,} stations"
    )


def _print_descriptive(dependence: Any, fingerprint: Any) -> None:
    if dependence is not None and not isinstance(dependence, NotApplicable):
        low, high = dependence.clean_range
        national, within = dependence.national.pearson, dependence.within.pearson
        verdict = "outside" if dependence.outside_clean_range else "inside"
        console.print(
            f"\n[bold]Turnout and share[/] (descriptive): r = {national.value:.2f} across stations, "
            f"{within.value:.2f} within commissions; clean elections: {low} to {high} - {verdict} that range"
        )
    if fingerprint is not None and not isinstance(fingerprint, NotApplicable):
        corner = fingerprint.high_corner
        console.print(
            f"[bold]Corner[/]: {corner.stations_pct:.2f} % of stations, holding {corner.leader_votes_pct:.2f} % "
            f"of the party's votes, have turnout > {corner.turnout_above:g} % and share > {corner.share_above:g} % "
            "(Poland 2025: at most 0.003 %)"
        )


def _print_side_by_side(by: str, results: dict[str, AnalysisResult]) -> None:
    table = Table(title=f"The battery by {by}", show_edge=False)
    table.add_column("")
    for value in results:
        table.add_column(f"{by} = {value}", justify="right")
    rows: dict[str, list[str]] = {
        "stations": [],
        "turnout %": [],
        "leader share %": [],
        "verdict": [],
    }
    for result in results.values():
        s = result.summary
        leader = next(p for p in s.parties if p.name == result.settings["party"])
        rows["stations"].append(f"{s.stations:,}")
        rows["turnout %"].append(f"{s.turnout_pct:.1f}" if s.turnout_pct is not None else "n/a")
        rows["leader share %"].append(
            f"{leader.pct_of_valid:.1f}" if leader.pct_of_valid is not None else "n/a"
        )
        rows["verdict"].append(
            "rejects" if any(t.rejects for t in result.tests) else "no test rejects"
        )
        for t in result.tests:
            rows.setdefault(f"p (Holm) {t.name}", []).append(_p(t.p_holm))
        robust = result.results.get("anomalous_votes")
        if robust is not None and not isinstance(robust, NotApplicable):
            rows.setdefault("anomalous votes %", []).append(f"{robust.anomalous_pct_of_leader:.1f}")
    for label, values in rows.items():
        table.add_row(label, *values)
    console.print(table)


@app.command(name="evote")
@domain_errors
@loads_election
def evote_command(
    target: Target,
    as_json: JsonFlag = False,
    sims: SimsOption = 10_000,
    seed: SeedOption = None,
    party: PartyOption = None,
    *,
    load: LoadOptions,
) -> None:
    """Paper versus remote e-vote, per district (2021) or region (2024): shares, the test of
    whether the e-vote fits the paper stations, the votes it added and the margins it moved."""
    election = load_target(target, load)
    with err_console.status("comparing the e-vote with the paper vote", spinner="dots"):
        result = evote(election, party=party, n_sims=sims, rng=seed)
    if as_json:
        print_json(result)
        return
    if isinstance(result, NotApplicable):
        console.print(f"[yellow]not applicable[/]: {escape(result.reason)}")
        return
    console.print(result.table())
    for added in result.added_votes:
        console.print(
            f"{escape(added.party)}: {added.added:+,.0f} votes beyond what the paper vote of the same units predicts "
            f"({added.ci.low:+,.0f} to {added.ci.high:+,.0f})"
        )
    if result.winners_changed:
        console.print(f"winner changed by the e-vote in: {', '.join(result.winners_changed)}")
