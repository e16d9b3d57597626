"""The battery: every station-level method on one election, and what they say together.

``analyze`` runs the methods, each with its own child random generator spawned from one seed
(so adding a method never changes another's numbers), turns methods that cannot run into
:class:`~tallyscope.results.NotApplicable` entries, corrects the battery's p-values for
multiple testing (Holm), and ranks regions, commissions and stations.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import tallyscope
from tallyscope._rng import check_rng
from tallyscope.exceptions import NotApplicableError
from tallyscope.methods.digits import digit_tests
from tallyscope.methods.fingerprints import fingerprint, histograms
from tallyscope.methods.integer_peaks import integer_peaks
from tallyscope.methods.ranking import RankingResult, rank
from tallyscope.methods.regression import turnout_share
from tallyscope.methods.shpilkin import anomalous_votes, turnout_curves
from tallyscope.methods.spikes import spikes
from tallyscope.model import ANALYSED_KINDS, Election, summarize
from tallyscope.results import NotApplicable, Summary, TestResult, _Serialisable
from tallyscope.stats import holm

__all__ = ["AnalysisResult", "analyze"]

ALPHA = 0.05


@dataclasses.dataclass(frozen=True, slots=True)
class BatteryTest(_Serialisable):
    """One test of the battery with its raw and Holm-adjusted p-values."""

    name: str
    label: str
    statistic: float
    p_value: float
    p_holm: float
    rejects: bool
    what: str


@dataclasses.dataclass(frozen=True, slots=True)
class AnalysisResult(_Serialisable):
    """Everything ``tallyscope analyze`` reports (see docs/analyze-json.md for the schema)."""

    election: dict[str, Any]
    summary: Summary
    settings: dict[str, Any]
    results: dict[str, Any]
    tests: list[BatteryTest]
    ranking: RankingResult | NotApplicable
    verdict: str
    timings_s: dict[str, float]
    version: str

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "election": self.election,
            "summary": self.summary.to_dict(),
            "settings": self.settings,
            "verdict": self.verdict,
            "tests": [t.to_dict() for t in self.tests],
        }
        out |= {name: result.to_dict() for name, result in self.results.items()}
        out["ranking"] = self.ranking.to_dict()
        out["timings_s"] = self.timings_s
        out["version"] = self.version
        return out


# name -> (function of (election, settings, rng), the test it contributes and what it asks)
_Method = Callable[[Election, dict[str, Any], np.random.Generator], Any]


def _integer_peaks(election: Election, s: dict[str, Any], rng: np.random.Generator) -> Any:
    return integer_peaks(election, party=s["party"], kinds=s["kinds"], n_sims=s["sims"], rng=rng)


def _anomalous(method: str) -> _Method:
    def run(election: Election, s: dict[str, Any], rng: np.random.Generator) -> Any:
        return anomalous_votes(
            election, party=s["party"], kinds=s["kinds"], method=method, n_boot=s["boot"], rng=rng
        )

    return run


def _turnout_share(election: Election, s: dict[str, Any], rng: np.random.Generator) -> Any:
    return turnout_share(election, party=s["party"], kinds=s["kinds"], n_boot=s["boot"], rng=rng)


def _digits(election: Election, s: dict[str, Any], rng: np.random.Generator) -> Any:
    return digit_tests(election, kinds=s["kinds"], n_sims=min(s["sims"], 1000), rng=rng)


def _spikes(election: Election, s: dict[str, Any], rng: np.random.Generator) -> Any:
    return spikes(election, party=s["party"], kinds=s["kinds"], n_sims=s["sims"], rng=rng)


def _fingerprint(election: Election, s: dict[str, Any], rng: np.random.Generator) -> Any:
    return fingerprint(election, party=s["party"], kinds=s["kinds"])


def _histograms(election: Election, s: dict[str, Any], rng: np.random.Generator) -> Any:
    return histograms(election, party=s["party"], kinds=s["kinds"])


def _turnout_curves(election: Election, s: dict[str, Any], rng: np.random.Generator) -> Any:
    return turnout_curves(election, kinds=s["kinds"])


#: name -> (the method, and for each test it contributes: its label and the question it asks). A method with
#: one test has ``test()``; one with several has ``tests()``, keyed as here.
METHODS: dict[str, tuple[_Method, dict[str, tuple[str, str]]]] = {
    "integer_peaks": (
        _integer_peaks,
        {
            "integer_peaks": (
                "integer percentages",
                "more stations with whole-number turnout or share percentages than chance gives",
            )
        },
    ),
    "anomalous_votes": (
        _anomalous("robust"),
        {
            "anomalous_votes": (
                "anomalous votes",
                "leader votes beyond the turnout range clean stations reach (above 1 % of them)",
            )
        },
    ),
    "anomalous_votes_classic": (_anomalous("shpilkin-classic"), {}),
    "digits": (
        _digits,
        {
            "last-digit": (
                "last digits",
                "last digits of vote counts unlike their binomial variation (Beber & Scacco)",
            ),
            "second-digit": (
                "second digits",
                "second digits of vote counts unlike their binomial variation (Mebane)",
            ),
        },
    ),
    "turnout_share": (_turnout_share, {}),
    "fingerprint": (_fingerprint, {}),
    "histograms": (_histograms, {}),
    "turnout_curves": (_turnout_curves, {}),
    "spikes": (
        _spikes,
        {
            "spikes": (
                "focal-share spikes",
                "more stations at whole or simple-fraction shares (1/2, 2/3) than each station's "
                "own binomial variation gives (Rozenas)",
            )
        },
    ),
}


def analyze(
    election: Election,
    *,
    party: str | None = None,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    sims: int = 10_000,
    boot: int = 1000,
    seed: int | None = None,
    methods: Iterable[str] | None = None,
) -> AnalysisResult:
    """Run the battery (all of :data:`METHODS` unless ``methods`` names some).

    ``sims`` sets the Monte Carlo size of the simulated nulls, ``boot`` the bootstrap size,
    ``seed`` makes the whole run reproducible.
    """
    chosen = list(METHODS) if methods is None else list(methods)
    unknown = set(chosen) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; known: {list(METHODS)}")
    settings = {
        "party": election.party(party),
        "kinds": list(kinds) if kinds not in (None, "all") else "all",
        "sims": sims,
        "boot": boot,
        "seed": seed,
        "alpha": ALPHA,
    }
    children = dict(zip(METHODS, check_rng(seed).spawn(len(METHODS)), strict=True))
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for name in chosen:
        start = time.perf_counter()
        try:
            results[name] = METHODS[name][0](election, settings, children[name])
        except NotApplicableError as error:
            results[name] = NotApplicable(name, str(error))
        timings[name] = round(time.perf_counter() - start, 3)

    start = time.perf_counter()
    anomalous = results.get("anomalous_votes")
    try:
        ranking: RankingResult | NotApplicable = rank(
            election,
            party=settings["party"],
            kinds=kinds,
            anomalous=anomalous if not isinstance(anomalous, NotApplicable) else None,
        )
    except NotApplicableError as error:
        ranking = NotApplicable("ranking", str(error))
    timings["ranking"] = round(time.perf_counter() - start, 3)

    tests = _battery(results)
    return AnalysisResult(
        election=election.info.to_dict() | {"leader": election.leader},
        summary=summarize(election),
        settings=settings,
        results=results,
        tests=tests,
        ranking=ranking,
        verdict=_verdict(tests, results),
        timings_s=timings,
        version=tallyscope.__version__,
    )


def _battery(results: dict[str, Any]) -> list[BatteryTest]:
    raw: dict[str, tuple[TestResult, tuple[str, str]]] = {}
    for name, result in results.items():
        questions = METHODS[name][1]
        if not questions or isinstance(result, NotApplicable):
            continue
        tests = result.tests() if len(questions) > 1 else {name: result.test()}
        raw |= {test: (tests[test], text) for test, text in questions.items()}
    adjusted = holm({name: test.pvalue for name, (test, _) in raw.items()})
    return [
        BatteryTest(
            name,
            label,
            test.statistic,
            test.pvalue,
            adjusted[name],
            adjusted[name] <= ALPHA,
            question,
        )
        for name, (test, (label, question)) in raw.items()
    ]


def _verdict(tests: list[BatteryTest], results: dict[str, Any]) -> str:
    rejected = [t for t in tests if t.rejects]
    if not tests:
        return "No test could run on this election."
    if not rejected:
        return (
            f"None of the {len(tests)} tests rejects a clean election at {ALPHA} after the battery's "
            "Holm correction."
        )
    names = ", ".join(f"{t.label} (p = {t.p_holm:.2g})" for t in rejected)
    sentence = f"{len(rejected)} of {len(tests)} tests reject a clean election at {ALPHA} after Holm correction: {names}."
    anomalous = results.get("anomalous_votes")
    if anomalous is not None and not isinstance(anomalous, NotApplicable):
        low, high = anomalous.interval
        sentence += (
            f" Anomalous votes for {anomalous.party}: {anomalous.estimate / 1e6:.2f} M "
            f"({low / 1e6:.2f}-{high / 1e6:.2f} M, {100 * anomalous.level:.0f} % interval)"
            + ("" if anomalous.reliable else " - unreliable here: " + (anomalous.warning or ""))
            + "."
        )
    return sentence
