"""Calibration: every method on synthetic elections whose truth is known.

For each scenario (clean, textbook or realistic; each fraud mechanism at several sizes; an
e-vote drawn like the paper vote or swung to the leader) and each seed, an election is
generated and every method that applies is run (the e-vote test on the e-vote scenarios
only). The table reports, per scenario and method, how often the method flags the election
at ``alpha`` (the false-positive rate on clean scenarios, the power on the others) and, for
methods that estimate a size, the mean error against the planted truth and how often the
interval covers it.

A method enters through :data:`CALIBRATED`: a function of (election, truth, rng) returning a
:class:`Outcome`. Seeds are ``base_seed + i``; scenarios run in worker processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import polars as pl

from tallyscope.methods.digits import digit_tests
from tallyscope.methods.evoting import evote
from tallyscope.methods.integer_peaks import integer_peaks
from tallyscope.methods.klimek import klimek_fit
from tallyscope.methods.mixture import mixture_fit
from tallyscope.methods.regression import turnout_share
from tallyscope.methods.shpilkin import anomalous_votes
from tallyscope.methods.spikes import spikes
from tallyscope.synth.generate import Fraud, Heterogeneity, Truth, generate

__all__ = [
    "CALIBRATED",
    "SCENARIOS",
    "SEED_CAP",
    "Outcome",
    "Scenario",
    "calibrate",
    "select_scenarios",
    "summarise",
    "to_markdown",
]

ALPHA = 0.05


@dataclasses.dataclass(frozen=True, slots=True)
class Scenario:
    """A synthetic-election setting: heterogeneity and planted fraud."""

    name: str
    heterogeneity: Heterogeneity
    fraud: Fraud
    clean: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """What a method said about one synthetic election."""

    flagged: bool
    estimate: float | None = None
    truth: float | None = None
    low: float | None = None
    high: float | None = None


def _scenarios() -> list[Scenario]:
    textbook, realistic = Heterogeneity(mode="independent"), Heterogeneity(mode="realistic")
    out = [
        Scenario("clean, textbook", textbook, Fraud(), True),
        Scenario("clean, realistic", realistic, Fraud(), True),
    ]
    for f_e in (0.01, 0.03):
        out.append(
            Scenario(
                f"stuffing {f_e:.0%} of stations", realistic, Fraud(f_e=f_e, alpha=np.inf), False
            )
        )
    for f_i in (0.1, 0.3):
        out.append(Scenario(f"incremental fraud {f_i:.0%}", realistic, Fraud(f_i=f_i), False))
    for f_round in (0.01, 0.02):
        out.append(
            Scenario(
                f"rounding {f_round:.0%} of protocols", realistic, Fraud(f_round=f_round), False
            )
        )
    out.append(
        Scenario("votes moved at 10 % of stations", realistic, Fraud(f_move=0.1, move=0.3), False)
    )
    # e-vote scenarios: 20 regions with an e-vote pseudo-station; only the e-vote test runs
    for source, label in (
        ("stations", "a random group of stations"),
        ("voters", "a random sample of voters"),
    ):
        fraud = Fraud(evote_regions=20, evote_source=source)
        out.append(Scenario(f"clean, e-vote {label}", realistic, fraud, True))
    for swing in (0.05, 0.1):
        fraud = Fraud(evote_regions=20, evote_source="stations", evote_swing=swing)
        out.append(Scenario(f"e-vote swing of {swing:.0%} of its votes", realistic, fraud, False))
    return out


SCENARIOS: list[Scenario] = _scenarios()


def _integer_peaks(election: Any, truth: Truth, rng: np.random.Generator) -> Outcome:
    result = integer_peaks(election, n_sims=0, by_region=False, rng=rng)
    return Outcome(result.p_value <= ALPHA)


def _anomalous(election: Any, truth: Truth, rng: np.random.Generator) -> Outcome:
    result = anomalous_votes(election, n_boot=200, rng=rng)
    low, high = result.interval
    return Outcome(
        result.p_value <= ALPHA, result.estimate, float(truth.anomalous_votes), low, high
    )


def _digit(name: str) -> Callable[[Any, Truth, np.random.Generator], Outcome]:
    def run(election: Any, truth: Truth, rng: np.random.Generator) -> Outcome:
        return Outcome(digit_tests(election, n_sims=500, rng=rng).test(name).pvalue <= ALPHA)

    return run


def _spikes(election: Any, truth: Truth, rng: np.random.Generator) -> Outcome:
    result = spikes(election, n_sims=500, rng=rng)
    estimate = result.spiked_share
    rounded = float(np.mean(truth.fraud == "rounding"))
    return Outcome(
        result.p_value <= ALPHA, estimate.value, rounded, estimate.ci.low, estimate.ci.high
    )


def _evote(election: Any, truth: Truth, rng: np.random.Generator) -> Outcome:
    result = evote(election, n_sims=999, n_boot=2000, rng=rng)
    added = result.added(election.info.leader)
    moved = float(truth.moved[truth.fraud == "evote"].sum())
    return Outcome(result.test().pvalue <= ALPHA, added.added, moved, added.ci.low, added.ci.high)


def _turnout_share(election: Any, truth: Truth, rng: np.random.Generator) -> Outcome:
    # descriptive, not a test at 0.05: flagged when a correlation leaves the clean range
    result = turnout_share(election, n_boot=100, by_region=False, rng=rng)
    return Outcome(result.outside_clean_range)


def _klimek(election: Any, truth: Truth, rng: np.random.Generator) -> Outcome:
    result = klimek_fit(election, n_boot=0, rng=rng)
    planted = float(np.mean(np.isin(truth.fraud, ("incremental", "extreme"))))
    return Outcome(result.fraud_detected, result.f_i.value + result.f_e.value, planted)


def _mixture(context: str) -> Callable[[Any, Truth, np.random.Generator], Outcome]:
    def run(election: Any, truth: Truth, rng: np.random.Generator) -> Outcome:
        result = mixture_fit(election, rng=rng, context=context)
        votes = result.fraudulent_votes
        # flagged: the interval lies above 1 % of the party's votes (the materiality margin
        # of the anomalous-vote test)
        flagged = votes.ci.low > 0.01 * result.party_votes
        planted = float(truth.stuffed.sum() + truth.moved.sum())
        return Outcome(flagged, votes.value, planted, votes.ci.low, votes.ci.high)

    return run


CALIBRATED: dict[str, Callable[[Any, Truth, np.random.Generator], Outcome]] = {
    "integer_peaks": _integer_peaks,
    "anomalous_votes": _anomalous,
    "last_digit": _digit("last-digit"),
    "second_digit": _digit("second-digit"),
    "spikes": _spikes,
    "turnout_share": _turnout_share,
    "evote": _evote,
    "klimek": _klimek,
    "mixture": _mixture("commission-weighted"),
    "mixture_median": _mixture("commission"),
}
#: Fitted models take seconds to a minute per election: they run on at most this many seeds.
SEED_CAP = {"klimek": 5, "mixture": 5, "mixture_median": 5}


def _run(args: tuple[Scenario, int, int, tuple[str, ...]]) -> list[dict[str, Any]]:
    scenario, seed, n_stations, methods = args
    synthetic = generate(
        n_stations, heterogeneity=scenario.heterogeneity, fraud=scenario.fraud, rng=seed
    )
    children = np.random.default_rng(seed).spawn(len(methods))
    rows = []
    for name, rng in zip(methods, children, strict=True):
        outcome = CALIBRATED[name](synthetic.election, synthetic.truth, rng)
        rows.append({"scenario": scenario.name, "clean": scenario.clean, "method": name, "seed": seed}
                    | dataclasses.asdict(outcome))  # fmt: skip
    return rows


#: Thread settings read when a worker imports Numba and NumPy's BLAS.
_ONE_THREAD = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _single_threaded_workers(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes whose kernels run on one thread each: the workers already fill the
    cores, and Numba's and BLAS's threads on top of them oversubscribe the machine (two
    concurrent Klimek fits on two cores ran 2.5 times slower). The workers are spawned, not
    forked, so that they read the thread settings when they import the libraries."""
    saved = {name: os.environ.get(name) for name in _ONE_THREAD}
    os.environ.update(dict.fromkeys(_ONE_THREAD, "1"))
    try:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            yield pool
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _applies(method: str, scenario: Scenario) -> bool:
    """The e-vote test runs on the scenarios with an e-vote, and only it does (the other
    methods analyse paper stations, which those scenarios leave as in the realistic ones)."""
    return (method == "evote") == (scenario.fraud.evote_regions > 0)


def calibrate(
    *,
    seeds: int = 200,
    n_stations: int = 10_000,
    scenarios: Sequence[Scenario] = SCENARIOS,
    methods: Iterable[str] | None = None,
    base_seed: int = 0,
    workers: int | None = None,
    model_seeds: int | None = None,
) -> pl.DataFrame:
    """Run the calibration and return one row per scenario and method.

    Columns: ``flag_rate`` (false-positive rate on clean scenarios, power otherwise), its
    binomial standard error, and for size estimates ``mean_error_pct`` (estimate minus truth,
    in percent of the truth; not given where the truth is zero) and
    ``coverage`` (share of intervals holding the truth). The fitted models run on the first
    ``model_seeds`` seeds only (default :data:`SEED_CAP`).
    """
    names = tuple(CALIBRATED if methods is None else methods)
    unknown = set(names) - set(CALIBRATED)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; known: {list(CALIBRATED)}")
    cap = SEED_CAP if model_seeds is None else dict.fromkeys(SEED_CAP, model_seeds)
    jobs = [
        (s, base_seed + i, n_stations, chosen)
        for s in scenarios
        for i in range(seeds)
        if (chosen := tuple(n for n in names if i < cap.get(n, seeds) and _applies(n, s)))
    ]
    workers = workers or min(2, os.cpu_count() or 1)
    if workers > 1:
        with _single_threaded_workers(workers) as pool:
            rows = [r for chunk in pool.map(_run, jobs, chunksize=4) for r in chunk]
    else:
        rows = [r for job in jobs for r in _run(job)]
    numbers = {column: pl.Float64 for column in ("estimate", "truth", "low", "high")}
    return summarise(pl.DataFrame(rows, schema_overrides=numbers, infer_schema_length=None))


def summarise(raw: pl.DataFrame) -> pl.DataFrame:
    """One row per scenario and method from the per-seed outcomes."""
    has_truth = pl.col("truth").is_not_null() & pl.col("estimate").is_not_null()
    scale = pl.when(pl.col("truth").abs() > 0).then(pl.col("truth").abs()).otherwise(None)
    return (
        raw.group_by("scenario", "method", maintain_order=True)
        .agg(
            pl.col("clean").first(),
            pl.len().alias("seeds"),
            pl.col("flagged").mean().alias("flag_rate"),
            ((pl.col("estimate") - pl.col("truth")) / scale * 100)
            .filter(has_truth)
            .mean()
            .alias("mean_error_pct"),
            ((pl.col("low") <= pl.col("truth")) & (pl.col("truth") <= pl.col("high")))
            .filter(has_truth & pl.col("low").is_not_null())
            .mean()
            .alias("coverage"),
        )
        .with_columns(
            (pl.col("flag_rate") * (1 - pl.col("flag_rate")) / pl.col("seeds"))
            .sqrt()
            .alias("flag_rate_se")
        )
    )


def select_scenarios(names: Iterable[str]) -> list[Scenario]:
    """The scenarios whose name starts with one of ``names`` (case-insensitive), e.g.
    ``["clean"]`` for both clean scenarios."""
    prefixes = [n.lower() for n in names]
    chosen = [s for s in SCENARIOS if any(s.name.lower().startswith(p) for p in prefixes)]
    if not chosen:
        known = "; ".join(s.name for s in SCENARIOS)
        raise ValueError(f"no scenario starts with {list(names)}; known: {known}")
    return chosen


def to_markdown(
    table: pl.DataFrame,
    *,
    seeds: int,
    n_stations: int,
    methods: Iterable[str] | None = None,
    scenarios: Iterable[str] | None = None,
    model_seeds: int | None = None,
) -> str:
    """The calibration table as Markdown, with the command that regenerates it."""
    chosen = "".join(f" --method {m}" for m in methods or ())
    chosen += "".join(f' --scenario "{s}"' for s in scenarios or ())
    if model_seeds is not None:
        chosen += f" --model-seeds {model_seeds}"
    cap = max(SEED_CAP.values()) if model_seeds is None else model_seeds
    lines = [
        "# Calibration on synthetic elections",
        "",
        f"Regenerate: `tallyscope calibrate --seeds {seeds} --stations {n_stations}{chosen} -o docs/calibration.md`.",
        f"{seeds} synthetic elections of {n_stations:,} stations per scenario (`tallyscope.synth.generate`).",
        "On clean scenarios `flag rate` is the false-positive rate at 0.05 (must stay at or below 7 %);",
        "on the others it is the power. `error` is the estimate minus the planted truth, in percent of the",
        "truth; `coverage` the share of 95 % intervals that hold it. The fitted models (Klimek, mixture",
        'and `mixture_median`, the mixture with `context="commission"`)',
        f"take seconds to a minute per election and run on the first {cap} seeds only. Klimek flags when its f_i + f_e exceeds 0.05 and its error is that of f_i + f_e (the",
        "truth being the planted fraction of frauded stations); the mixtures flag when their interval of",
        "fraudulent votes lies above 1 % of the party's votes; spikes' truth is the share of rounded",
        "protocols. The e-vote test runs on the e-vote scenarios only (20 regions with an e-vote) and",
        "flags when its Holm-adjusted smallest p-value is at most 0.05; its size is the votes the swing",
        "moved, against the e-vote's added votes.",
        "",
        "| scenario | method | seeds | flag rate | ± se | error % | coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.iter_rows(named=True):
        error = "" if row["mean_error_pct"] is None else f"{row['mean_error_pct']:+.1f}"
        coverage = "" if row["coverage"] is None else f"{row['coverage']:.0%}"
        lines.append(
            f"| {row['scenario']} | {row['method']} | {row['seeds']} | {row['flag_rate']:.1%} | {row['flag_rate_se']:.1%} | {error} | {coverage} |"
        )
    return "\n".join(lines) + "\n"
