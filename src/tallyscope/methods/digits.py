"""Digit tests of the vote counts: last digits and second digits against a binomial null.

Two tests of each party's count at each station:

* **last digit** (Beber & Scacco 2012): people who invent numbers favour some final digits,
  while the last digit of a count of hundreds of independent votes is close to uniform;
* **second digit** (Mebane 2006, 2011): the second significant digit of the counts, which
  Mebane compares with Benford's second-digit law.

**The null is simulated, not assumed.** Small counts do not have uniform last digits, nor do
counts follow Benford's law: both depend on each station's size and the party's strength
there. Under the null each party's count ``x`` at a station with ``n`` valid votes is redrawn
as ``X ~ Binomial(n, x/n)`` (the marginal of a multinomial on the valid votes), parties
independently of one another. The exact digit distribution of every redrawn count follows from
the binomial pmf (:mod:`tallyscope.methods._kernels.digits`); ``n_sims`` simulations of the
digit counts then give the null distribution of the statistic, and the p-value is the Monte
Carlo ``(1 + k) / (1 + n_sims)``. A count enters the last-digit test when it is at least
``min_count`` (10 by default: a count of one digit has no last digit distinct from its first)
and the second-digit test when it is at least ``max(min_count, 10)``; redrawn counts obey the
same rule, so the null and the data are cut alike.

The statistic is Pearson's chi-square of the observed digit counts against the proportions the
null expects (not against the uniform or Benford law, which is reported as ``law_statistic``
for reference only). Each party is tested, and the parties are pooled: the pooled test is the
headline (``test()``), the per-party p-values come with Holm's adjustment.

**Which parties.** A party enters only where its median count at the analysed stations is at
least ``min_median`` (30 by default). The plug-in null redraws each count around the observed
one, so the null's count distribution is the observed one blurred a second time by binomial
noise. For a large party that is harmless, but the counts of a small party (a median of a few
votes) fall steeply just above the cut at 10, and the blurred null is flatter there: it then
expects too few low last digits, and a clean election is accused. Measured: Poland 2025
round 1, Bartoszewicz (median 2 votes) chi-square 48 on 1,271 counts and Jakubiak (median 4)
53 on 4,155, against about 9 expected; on synthetic clean elections of 95,000 stations a
median below 10 gives chi-square about 33 and a median of 10-20 about 15, while parties with a
median of 30 or more stay near the null's 9. Skipped parties are listed in ``skipped`` with
their medians; ``min_median=0`` tests every party.

**Calibration** (clean synthetic elections, :func:`tallyscope.synth.generate`, 4 parties,
both heterogeneity modes; share of seeds rejected at 0.05, pooled tests): last digit 4.0 and
2.5 % (independent, realistic; 1,000 stations, 200 seeds), 7.5 and 6.0 % (3,000 stations, 200
seeds), 4.0 and 6.0 % (30,000 stations, 100 seeds, normal draws); second digit 2.5 and 0.5 %,
3.5 and 5.5 %, 3.0 and 7.0 %. The second-digit test is conservative on small elections: the
binomial null of a count in the hundreds largely fixes its second digit, so the null's
expected digits follow the observed ones.

**Simulating.** Where a party has at most 20,000 counts in the null, or any digit is expected
fewer than 200 times, each simulation draws every count's digit from its exact distribution
(``draws="exact"``, a Numba kernel). Beyond that, the party's digit counts are a sum of tens of
thousands of independent categorical draws, and are drawn from the normal distribution with
their exact mean and covariance (``draws="normal"``); the error of that approximation in a
chi-square tail is far below the Monte Carlo error of 1,000 draws, and it keeps the test within
a second on 95,000 stations. ``draws`` forces one or the other.

**Caveats** (Deckert, Myagkov & Ordeshook 2011; :data:`CAVEAT`): digit tests are not fraud
tests. There is no theory that makes clean vote counts follow Benford's law; digit patterns
move with the size of the stations, the number and strength of the parties and the way
voters sort themselves, and fraud can leave them untouched or move them either way. This
implementation compares each count with its own station's binomial model, so it detects
digit-level irregularities (invented or rounded numbers), not stuffing or vote moving that
keeps the counts smooth. On the Polish control neither test rejects, pooled or for any party
(2025 round 1, the four candidates with a median of 30 votes or more: p = 0.90 and 0.63;
round 2, both candidates: p = 0.71 and 0.89).

References: Beber, B. & Scacco, A. (2012). What the numbers say: a digit-based test for
election fraud. Political Analysis 20(2), 211-234. Mebane, W. R. Jr. (2006). Election
forensics: vote counts and Benford's law. Summer meeting of the Political Methodology Society;
Mebane, W. R. Jr. (2011). Comment on "Benford's law and the detection of election fraud".
Political Analysis 19(3), 269-272. Deckert, J., Myagkov, M. & Ordeshook, P. C. (2011).
Benford's law and the detection of election fraud. Political Analysis 19(3), 245-268.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from tallyscope._rng import RNGLike, check_rng
from tallyscope.exceptions import NotApplicableError
from tallyscope.methods._kernels.digits import (
    digit_null_draws,
    digit_probabilities,
    last_digit,
    second_digit,
)
from tallyscope.model import ANALYSED_KINDS, Election
from tallyscope.results import TestResult, _Serialisable, summarise_array
from tallyscope.stats import holm, monte_carlo_pvalue

__all__ = ["CAVEAT", "DigitTest", "DigitsResult", "PartyDigits", "digit_tests"]

METHOD = "digits"
REFERENCE = (
    "Beber & Scacco (2012), Political Analysis 20(2); Mebane (2006, 2011); caveats: "
    "Deckert, Myagkov & Ordeshook (2011), Political Analysis 19(3)"
)
CAVEAT = (
    "Digit tests are not fraud tests (Deckert, Myagkov & Ordeshook 2011): no theory makes "
    "clean vote counts follow Benford's law, digit patterns change with station size, the "
    "number and strength of parties and how voters sort themselves, and fraud can leave them "
    "unchanged or move them either way. Each count is compared with its own station's binomial "
    "model, so a rejection points to digit-level irregularities (invented or rounded numbers), "
    "and no rejection does not rule out stuffing or vote moving."
)
NULL = "each party's count redrawn as Binomial(valid, count/valid), parties independently"
TESTS = ("last-digit", "second-digit")
LAWS = {"last-digit": "uniform", "second-digit": "Benford's second-digit law"}
DRAWS = ("auto", "exact", "normal")

#: Benford's law for the second significant digit: P(d) = sum_k log10(1 + 1/(10k + d)).
BENFORD_SECOND = np.array(
    [sum(np.log10(1.0 + 1.0 / (10 * k + d)) for k in range(1, 10)) for d in range(10)]
)
#: A party is simulated exactly up to this many counts in the null (see the module docstring).
EXACT_MAX_COUNTS = 20_000
#: ... or when some digit is expected fewer times than this.
NORMAL_MIN_EXPECTED = 200.0
#: Counts reaching the threshold with a smaller probability than this are left out of the null.
_NEGLIGIBLE = 1e-12


@dataclasses.dataclass(frozen=True, slots=True)
class PartyDigits(_Serialisable):
    """One party's digits: observed and expected counts of digits 0-9, chi-square, p-values
    (raw and Holm-adjusted over the parties tested) and how its null was drawn."""

    party: str
    counts: int
    observed: list[int]
    expected: list[float]
    statistic: float
    p_value: float
    p_holm: float
    null: str


@dataclasses.dataclass(frozen=True, slots=True)
class DigitTest(_Serialisable):
    """One digit test pooled over the parties tested, with each party's own result.

    ``observed`` and ``expected`` are the counts of digits 0-9 (``expected`` scaled to the
    ``counts`` observed); ``statistic`` is the chi-square against the null's proportions,
    ``law_statistic`` the chi-square against ``law`` (reference only) and ``law_null_mean``
    what the null expects of it.
    """

    name: str
    statistic: float
    p_value: float
    counts: int
    observed: list[int]
    expected: list[float]
    law: str
    law_statistic: float
    law_null_mean: float
    null_distribution: np.ndarray
    by_party: list[PartyDigits]

    def test(self) -> TestResult:
        return TestResult(
            statistic=self.statistic,
            pvalue=self.p_value,
            method=f"{METHOD}: {self.name}",
            null_distribution=self.null_distribution,
            n_resamples=int(self.null_distribution.size),
            params={"null": NULL, "counts": self.counts, "parties": len(self.by_party)},
        )

    def to_dict(self) -> dict[str, Any]:
        out = _Serialisable.to_dict(self)
        out["null_distribution"] = summarise_array(self.null_distribution)
        return out


@dataclasses.dataclass(frozen=True, slots=True)
class DigitsResult(_Serialisable):
    """The last-digit and second-digit tests of an election's vote counts.

    ``parties`` were tested; ``skipped`` maps the others to their median count (below
    ``min_median``). ``caveat`` says what the tests can and cannot show.
    """

    last: DigitTest
    second: DigitTest
    parties: list[str]
    skipped: dict[str, float]
    stations_included: int
    excluded: dict[str, int]
    min_count: int
    min_median: float
    n_sims: int
    draws: str
    seed: int | None
    null: str = NULL
    caveat: str = CAVEAT
    method: str = METHOD
    reference: str = REFERENCE

    def tests(self) -> dict[str, TestResult]:
        """Both tests, by name (``"last-digit"``, ``"second-digit"``)."""
        return {"last-digit": self.last.test(), "second-digit": self.second.test()}

    def test(self, name: str = "last-digit") -> TestResult:
        """One test by name; the last-digit test by default."""
        if name not in TESTS:
            raise ValueError(f"name must be one of {TESTS}, not {name!r}")
        return self.tests()[name]


def _digits_iv(min_count: int, min_median: float, n_sims: int, draws: str) -> None:
    if int(min_count) != min_count or min_count < 1:
        raise ValueError(f"min_count must be a positive integer, not {min_count!r}")
    if min_median < 0:
        raise ValueError(f"min_median must be >= 0, not {min_median!r}")
    if n_sims < 1:
        raise ValueError(f"n_sims must be at least 1, not {n_sims!r}")
    if draws not in DRAWS:
        raise ValueError(f"draws must be one of {DRAWS}, not {draws!r}")


def digit_tests(
    election: Election,
    *,
    parties: Sequence[str] | None = None,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    min_count: int = 10,
    min_median: float = 30,
    n_sims: int = 1000,
    draws: str = "auto",
    rng: RNGLike = None,
) -> DigitsResult:
    """Last-digit and second-digit tests of every party's count at every station.

    ``parties`` (default: all) are tested where their median count is at least
    ``min_median``; counts below ``min_count`` are not used. ``n_sims`` simulations of the
    binomial null (``draws``: ``"exact"``, ``"normal"`` or ``"auto"``, see the module
    docstring), seeded by ``rng``, give Monte Carlo p-values. Raises
    :class:`NotApplicableError` when no party is large enough.
    """
    _digits_iv(min_count, min_median, n_sims, draws)
    min_count = int(min_count)
    seed = rng if isinstance(rng, int) else None
    rng = check_rng(rng)
    names = list(election.parties) if parties is None else [election.party(p) for p in parties]
    selection = election.select(kinds=kinds, require=("valid", *names))
    chosen = selection.election
    excluded = dict(selection.excluded)
    valid = chosen.counts("valid")
    votes = chosen.votes(names)
    keep = valid > 0
    if not keep.all():
        excluded["no valid votes"] = excluded.get("no valid votes", 0) + int((~keep).sum())
        valid, votes = valid[keep], votes[keep]
    medians = np.median(votes, axis=0) if valid.size else np.zeros(len(names))
    tested = [j for j in range(len(names)) if medians[j] >= min_median]
    skipped = {names[j]: float(medians[j]) for j in range(len(names)) if j not in tested}
    if not tested:
        raise NotApplicableError(
            f"no party has a median count of at least {min_median} at the analysed stations"
        )

    thresholds = {"last-digit": min_count, "second-digit": max(min_count, 10)}
    observed = {t: np.zeros((len(tested), 10), dtype=np.int64) for t in TESTS}
    nulls: dict[str, list[_PartyNull]] = {t: [] for t in TESTS}
    for g, j in enumerate(tested):
        x = votes[:, j]
        probabilities = dict(zip(TESTS, digit_probabilities(x, valid, min_count), strict=True))
        for t in TESTS:
            used = x >= thresholds[t]
            digit = last_digit(x[used]) if t == "last-digit" else second_digit(x[used])
            observed[t][g] = np.bincount(digit, minlength=10)
            nulls[t].append(_party_null(probabilities[t], draws))

    results = {}
    for t in TESTS:
        sims = _simulate(nulls[t], n_sims, rng)
        results[t] = _test(t, [names[j] for j in tested], observed[t], nulls[t], sims)
    return DigitsResult(
        last=results["last-digit"],
        second=results["second-digit"],
        parties=[names[j] for j in tested],
        skipped=skipped,
        stations_included=int(valid.size),
        excluded=excluded,
        min_count=min_count,
        min_median=float(min_median),
        n_sims=n_sims,
        draws=draws,
        seed=seed,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _PartyNull:
    """A party's null: the mean and covariance of its category counts, and the cumulative
    category probabilities of its counts where they are drawn exactly (else None)."""

    mean: np.ndarray
    cov: np.ndarray
    cdf: np.ndarray | None


def _party_null(probabilities: np.ndarray, draws: str) -> _PartyNull:
    p = probabilities[probabilities[:, 0] < 1.0 - _NEGLIGIBLE]
    mean = p.sum(axis=0)
    cov = np.diag(mean) - p.T @ p
    exact = draws == "exact" or (
        draws == "auto" and (p.shape[0] <= EXACT_MAX_COUNTS or mean[1:].min() < NORMAL_MIN_EXPECTED)
    )
    cdf = None
    if exact:
        cdf = np.cumsum(p, axis=1)
        cdf[:, -1] = 1.0
    return _PartyNull(mean, cov, cdf)


def _simulate(nulls: list[_PartyNull], n_sims: int, rng: np.random.Generator) -> np.ndarray:
    """Simulated counts of digits 0-9, ``(n_sims, parties, 10)``."""
    out = np.zeros((n_sims, len(nulls), 10))
    exact = [g for g, null in enumerate(nulls) if null.cdf is not None]
    if exact:
        cdf = np.concatenate([nulls[g].cdf for g in exact])
        group = np.concatenate(
            [np.full(nulls[g].cdf.shape[0], k, dtype=np.int64) for k, g in enumerate(exact)]
        )
        seeds = rng.integers(1, 2**63 - 1, size=n_sims, dtype=np.uint64)
        counts = digit_null_draws(np.ascontiguousarray(cdf), group, len(exact), seeds)
        out[:, exact, :] = counts[:, :, 1:]
    for g, null in enumerate(nulls):
        if null.cdf is None:
            values, vectors = np.linalg.eigh(null.cov[1:, 1:])
            root = vectors * np.sqrt(np.clip(values, 0.0, None))
            out[:, g, :] = null.mean[1:] + rng.standard_normal((n_sims, 10)) @ root.T
    return out


def _chi2(counts: np.ndarray, proportions: np.ndarray) -> np.ndarray:
    """Pearson's chi-square of digit counts (last axis) against ``proportions``."""
    n = counts.sum(axis=-1, keepdims=True)
    expected = n * proportions
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (counts - expected) ** 2 / expected, 0.0)
    return terms.sum(axis=-1)


def _test(
    name: str,
    parties: list[str],
    observed: np.ndarray,
    nulls: list[_PartyNull],
    sims: np.ndarray,
) -> DigitTest:
    means = np.array([null.mean[1:] for null in nulls])
    by_party, p_values = [], {}
    for g, party in enumerate(parties):
        proportions = means[g] / means[g].sum() if means[g].sum() > 0 else np.full(10, 0.1)
        statistic = float(_chi2(observed[g], proportions))
        p_values[party] = monte_carlo_pvalue(statistic, _chi2(sims[:, g], proportions))
        by_party.append((party, g, proportions, statistic))
    adjusted = holm(p_values)
    parties_out = [
        PartyDigits(
            party=party,
            counts=int(observed[g].sum()),
            observed=[int(v) for v in observed[g]],
            expected=[float(v) for v in observed[g].sum() * proportions],
            statistic=statistic,
            p_value=p_values[party],
            p_holm=adjusted[party],
            null="exact" if nulls[g].cdf is not None else "normal",
        )
        for party, g, proportions, statistic in by_party
    ]
    pooled = observed.sum(axis=0)
    proportions = means.sum(axis=0) / means.sum()
    null_statistics = _chi2(sims.sum(axis=1), proportions)
    statistic = float(_chi2(pooled, proportions))
    law = np.full(10, 0.1) if name == "last-digit" else BENFORD_SECOND
    return DigitTest(
        name=name,
        statistic=statistic,
        p_value=monte_carlo_pvalue(statistic, null_statistics),
        counts=int(pooled.sum()),
        observed=[int(v) for v in pooled],
        expected=[float(v) for v in pooled.sum() * proportions],
        law=LAWS[name],
        law_statistic=float(_chi2(pooled, law)),
        law_null_mean=float(_chi2(sims.sum(axis=1), law).mean()),
        null_distribution=null_statistics,
        by_party=parties_out,
    )
