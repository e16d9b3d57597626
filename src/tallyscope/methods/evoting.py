"""Remote electronic voting against the paper vote of the same units.

Where an election publishes its remote e-vote as pseudo-stations (kind ``electronic``), each
e-vote is set beside the paper vote of its own unit (the electoral district it was counted
in, or its region): turnout, every party's share, and the tested party's share with the
difference d = e-vote share minus paper share and a percentile interval (bootstrap of the
unit's paper stations, binomial noise on the e-vote).

Each unit is then tested against its own variation. ``null="matched"`` (the default) asks
whether splitting the unit's stations at random into two groups of the sizes of the e-vote
and of the paper vote could give a difference as large as d: a pseudo-e-vote of exactly the
e-vote's ballots is assembled from paper stations drawn with replacement (the last station
taken in part), a pseudo-paper vote is a bootstrap resample of the paper stations, and the
null difference is the one minus the other. It carries the unit's between-station variation
at the e-vote's scale, the binomial noise, and the paper side's own uncertainty, which
matters when the e-vote is a large part of the unit (Moscow 2024: two thirds). ``null=
"station"`` is more lenient: the e-vote is one more station of the unit, with the share of
one resampled station and binomial noise at the e-vote's size. The e-vote's rank among the
unit's station shares (``percentile``) is reported with either. Monte Carlo p-values are
``(1 + k) / (1 + n)``, two-sided and one-sided; Holm's procedure adjusts them over units.

Nationally, the votes the e-vote gave each party beyond what the paper vote of the same
units predicts (e-vote valid ballots times the paper share of valid ballots, summed over
units) are given with an interval that carries the same variation as the matched null (what
the e-vote would have given as a random group of its unit's stations), and the margin between
the two national leaders is shown in each unit on paper and with the e-vote added.

A flagged unit means the e-vote differs from the unit's paper vote by more than random
groups of the unit's stations do. E-voters are not such a group: they choose the channel
(younger, more urban, online; in Russia also employees asked by their employer to vote
online), so a difference is expected even where every vote is counted honestly. The test
cannot tell self-selection, or pressure on e-voters, from a falsified count; a large
difference in the direction of the authorities' candidate, uniform across units whose
paper votes differ, is what an analyst would then look into.

References: Efron, B. & Tibshirani, R. (1993). An Introduction to the Bootstrap. Chapman &
Hall (resampling units, percentile intervals). Davison, A. C. & Hinkley, D. V. (1997).
Bootstrap Methods and their Application. Cambridge University Press (Monte Carlo tests and
the (1 + k) / (1 + n) p-value, ch. 4). Holm, S. (1979). A simple sequentially rejective
multiple test procedure. Scandinavian Journal of Statistics 6(2), 65-70. On the Russian
remote e-vote (DEG): Buzin, A. Yu. et al., Experience and prospects of remote electronic
voting, Electoral Politics (electoralpolitics.org).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl

from tallyscope._rng import RNGLike, check_rng
from tallyscope.model import Election, Kind
from tallyscope.results import (
    ConfidenceInterval,
    Estimate,
    NotApplicable,
    TestResult,
    _Serialisable,
)
from tallyscope.stats import holm, monte_carlo_pvalue

__all__ = ["AddedVotes", "EvoteResult", "EvoteTotals", "EvoteUnit", "evote"]

METHOD = "evote"
REFERENCE = (
    "Efron & Tibshirani (1993), An Introduction to the Bootstrap; Davison & Hinkley (1997), "
    "Bootstrap Methods and their Application, ch. 4; Holm (1979), Scandinavian Journal of "
    "Statistics 6(2)"
)
LEVELS = ("region", "district")
NULLS = ("matched", "station")
BASES = ("cast", "valid")
ALTERNATIVES = ("two-sided", "greater", "less")
#: Largest number of station indices drawn at once (bounds memory of the null draws).
_CHUNK = 2_000_000


@dataclasses.dataclass(frozen=True, slots=True)
class EvoteTotals(_Serialisable):
    """Summed figures of a set of rows; ``pct_of_cast`` is each party's share of valid +
    invalid ballots, in percent."""

    rows: int
    registered: int | None
    issued: int | None
    cast: int
    valid: int
    invalid: int
    votes: dict[str, int]
    pct_of_cast: dict[str, float]


@dataclasses.dataclass(frozen=True, slots=True)
class EvoteUnit(_Serialisable):
    """One unit (district or region): its paper vote and its e-vote side by side.

    Shares are in percent of ``base`` (valid + invalid ballots by default); ``difference`` is
    e-vote minus paper in the tested party's share (percentage points). ``percentile`` is the
    rank of the e-vote share among the unit's paper stations (100: above every station).
    ``null_mean`` and ``null_sd`` describe the difference under the null (points), and
    ``stations_drawn`` the mean number of stations in a pseudo-e-vote. ``p_*`` are Monte
    Carlo p-values (``greater``: the e-vote favours the party more than the paper vote),
    ``p_holm_*`` the same after Holm's correction over units. ``expected_votes`` are the
    e-vote's valid ballots times each party's paper share of valid ballots, ``added_votes``
    the e-vote's votes minus them. Margins are between the two national leaders, in points
    of ``base``; ``evote_margin`` within the e-vote alone.
    """

    unit: str
    region: str
    district: str | None
    paper_stations: int
    evote_rows: int
    paper: EvoteTotals
    evote: EvoteTotals
    paper_turnout: float | None
    evote_turnout: float | None
    paper_shares: dict[str, float]
    evote_shares: dict[str, float]
    paper_share: float
    evote_share: float
    difference: Estimate
    percentile: float
    null_mean: float
    null_sd: float
    stations_drawn: float
    p_two_sided: float
    p_greater: float
    p_less: float
    p_holm_two_sided: float
    p_holm_greater: float
    p_holm_less: float
    expected_votes: dict[str, float]
    added_votes: dict[str, float]
    paper_margin: float
    evote_margin: float
    margin_with_evote: float
    winner_paper: str
    winner_with_evote: str

    @property
    def winner_changed(self) -> bool:
        return self.winner_paper != self.winner_with_evote

    def to_dict(self) -> dict[str, Any]:
        return _Serialisable.to_dict(self) | {"winner_changed": self.winner_changed}


@dataclasses.dataclass(frozen=True, slots=True)
class AddedVotes(_Serialisable):
    """The votes the e-vote gave a party beyond the paper prediction, over all units.

    ``expected`` is the sum over units of e-vote valid ballots times the party's paper share
    of valid ballots; ``added = evote_votes - expected``. ``ci`` is the interval of the votes
    the e-vote added beyond what its voters would have given as a random group of their
    unit's stations (the matched null's variation: a pseudo-e-vote assembled from the paper
    stations, against a bootstrap of them); it covers the votes a planted swing moved.
    """

    party: str
    evote_votes: int
    expected: float
    added: float
    ci: ConfidenceInterval
    evote_pct_of_valid: float
    paper_pct_of_valid: float


@dataclasses.dataclass(frozen=True, slots=True)
class EvoteResult(_Serialisable):
    """Each unit's e-vote against its paper vote, and the national balance of the e-vote.

    ``units`` holds one :class:`EvoteUnit` per unit with an e-vote (``table()`` shows them
    as a Polars frame, ``party_table()`` every party's shares); ``evote_totals`` sums every
    electronic row of the election, ``paper_totals`` the paper rows of the analysed units.
    ``added_votes`` gives, per party, the e-vote's votes beyond the paper prediction;
    ``top_two`` the national leaders whose margin each unit reports. ``excluded`` counts rows
    left out by reason, ``units_excluded`` units with an e-vote that could not be analysed.
    """

    party: str
    level: str
    base: str
    null: str
    paper_kinds: tuple[str, ...]
    units: list[EvoteUnit]
    units_excluded: dict[str, int]
    excluded: dict[str, int]
    evote_totals: EvoteTotals
    paper_totals: EvoteTotals
    added_votes: list[AddedVotes]
    top_two: tuple[str, str]
    alpha: float
    confidence: float
    n_sims: int
    n_boot: int
    seed: int | None
    method: str = METHOD
    reference: str = REFERENCE

    @property
    def flagged(self) -> list[str]:
        """Units whose Holm-adjusted two-sided p-value is at most ``alpha``."""
        return [u.unit for u in self.units if u.p_holm_two_sided <= self.alpha]

    @property
    def winners_changed(self) -> list[str]:
        """Units whose winner on paper differs from the winner with the e-vote added."""
        return [u.unit for u in self.units if u.winner_changed]

    def added(self, party: str | None = None) -> AddedVotes:
        """The added-vote figures of ``party`` (default: the tested party)."""
        name = self.party if party is None else party
        for row in self.added_votes:
            if row.party == name:
                return row
        raise KeyError(f"no party {name!r}")

    def test(self) -> TestResult:
        """The national test: does any unit's e-vote depart from its paper stations?

        The statistic is the smallest two-sided p-value over units and the p-value its Holm
        (here Bonferroni) adjustment, which controls the family-wise error over units.
        """
        raw = [u.p_two_sided for u in self.units]
        adjusted = [u.p_holm_two_sided for u in self.units]
        return TestResult(
            statistic=float(min(raw)) if raw else float("nan"),
            pvalue=float(min(adjusted)) if adjusted else float("nan"),
            method=METHOD,
            n_resamples=self.n_sims,
            params={
                "null": self.null,
                "level": self.level,
                "units": len(self.units),
                "flagged": len(self.flagged),
                "correction": "Holm",
            },
        )

    def table(self) -> pl.DataFrame:
        """One row per unit, for display (shares and margins in percent of ``base``)."""
        rows = []
        for u in self.units:
            rows.append(
                {
                    "unit": u.unit,
                    "region": u.region,
                    "district": u.district,
                    "paper_stations": u.paper_stations,
                    "paper_cast": u.paper.cast,
                    "evote_cast": u.evote.cast,
                    "paper_turnout": u.paper_turnout,
                    "evote_turnout": u.evote_turnout,
                    "paper_share": u.paper_share,
                    "evote_share": u.evote_share,
                    "difference": u.difference.value,
                    "difference_low": u.difference.ci.low if u.difference.ci else None,
                    "difference_high": u.difference.ci.high if u.difference.ci else None,
                    "percentile": u.percentile,
                    "p_two_sided": u.p_two_sided,
                    "p_greater": u.p_greater,
                    "p_less": u.p_less,
                    "p_holm_two_sided": u.p_holm_two_sided,
                    "p_holm_greater": u.p_holm_greater,
                    "flagged": u.p_holm_two_sided <= self.alpha,
                    "added_votes": u.added_votes[self.party],
                    "paper_margin": u.paper_margin,
                    "margin_with_evote": u.margin_with_evote,
                    "winner_paper": u.winner_paper,
                    "winner_with_evote": u.winner_with_evote,
                    "winner_changed": u.winner_changed,
                }
            )
        return pl.DataFrame(rows, infer_schema_length=None)

    def party_table(self) -> pl.DataFrame:
        """One row per unit and party: paper and e-vote shares, expected and added votes."""
        rows = [
            {
                "unit": u.unit,
                "party": p,
                "paper_share": u.paper_shares[p],
                "evote_share": u.evote_shares[p],
                "difference": u.evote_shares[p] - u.paper_shares[p],
                "paper_votes": u.paper.votes[p],
                "evote_votes": u.evote.votes[p],
                "expected_votes": u.expected_votes[p],
                "added_votes": u.added_votes[p],
            }
            for u in self.units
            for p in u.paper_shares
        ]
        return pl.DataFrame(rows, infer_schema_length=None)

    def to_dict(self) -> dict[str, Any]:
        out = _Serialisable.to_dict(self)
        out["flagged"] = self.flagged
        out["winners_changed"] = self.winners_changed
        out["test"] = self.test().to_dict()
        return out


# -- validation -----------------------------------------------------------------------------


def _evote_iv(
    level: str | None,
    null: str,
    base: str,
    n_sims: int,
    n_boot: int,
    confidence: float,
    alpha: float,
    paper_kinds: Iterable[str] | None,
) -> tuple[str | None, tuple[str, ...]]:
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS} or None, not {level!r}")
    if null not in NULLS:
        raise ValueError(f"null must be one of {NULLS}, not {null!r}")
    if base not in BASES:
        raise ValueError(f"base must be one of {BASES}, not {base!r}")
    if n_sims < 1:
        raise ValueError("n_sims must be at least 1")
    if n_boot < 1:
        raise ValueError("n_boot must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), not {alpha}")
    if paper_kinds is None:
        kinds = tuple(k.value for k in Kind if k not in (Kind.ELECTRONIC, Kind.EMPTY))
    else:
        kinds = tuple(
            Kind(k).value for k in ([paper_kinds] if isinstance(paper_kinds, str) else paper_kinds)
        )
        if Kind.ELECTRONIC.value in kinds:
            raise ValueError("paper_kinds cannot include 'electronic'")
    return level, kinds


# -- the method -----------------------------------------------------------------------------


def evote(
    election: Election,
    *,
    party: str | None = None,
    level: str | None = None,
    n_sims: int = 10_000,
    rng: RNGLike = None,
    null: str = "matched",
    base: str = "cast",
    paper_kinds: Iterable[str] | None = None,
    n_boot: int = 2_000,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> EvoteResult | NotApplicable:
    """Compare each unit's remote e-vote with the paper vote of the same unit.

    ``party`` is the tested party (default: the national leader). ``level`` is the unit:
    ``"district"`` where the e-vote rows carry a district, else ``"region"`` (None picks).
    The paper vote of a unit is every non-electronic row of the unit with figures (regular,
    mobile, special, abroad and zero-ballot rows), which reproduces the official split of
    the unit's total into paper and e-vote; ``paper_kinds=("regular",)`` narrows it.
    Shares are of valid + invalid ballots (``base="cast"``, the official percentages) or of
    valid ballots (``base="valid"``, which removes the paper ballots an e-vote cannot spoil).

    ``null="matched"`` (default) tests the difference e-vote minus paper against random
    splits of the unit's paper stations into a group of the e-vote's size and the rest;
    ``null="station"`` against one resampled station's share with binomial noise at the
    e-vote's size (more lenient: the e-vote may be as atypical as any single station).
    ``n_sims`` null draws per unit give Monte Carlo p-values; ``n_boot`` bootstrap resamples
    of each unit's paper stations give the intervals (``confidence``). ``alpha`` is the
    family-wise level of the flags. ``rng`` seeds every draw (each unit has its own stream).

    Returns :class:`~tallyscope.results.NotApplicable` where the election has no electronic
    rows, or none whose unit also has paper stations.
    """
    level, kinds = _evote_iv(level, null, base, n_sims, n_boot, confidence, alpha, paper_kinds)
    seed = rng if isinstance(rng, int) and not isinstance(rng, bool) else None
    rng = check_rng(rng)
    name = election.party(party)
    parties = list(election.parties)
    table = election.stations
    is_evote = pl.col("kind") == Kind.ELECTRONIC.value
    evote_rows = table.filter(is_evote)
    if evote_rows.height == 0:
        return NotApplicable(METHOD, "no electronic-voting rows")
    if level is None:
        level = "district" if evote_rows["district"].is_not_null().any() else "region"

    excluded: dict[str, int] = {}
    units_excluded: dict[str, int] = {}
    key_columns = ["region"] if level == "region" else ["region", "district"]
    has_key = pl.all_horizontal([pl.col(c).is_not_null() for c in key_columns])
    has_figures = pl.col("cast").is_not_null() & pl.col("valid").is_not_null()
    key = (
        pl.col("region")
        if level == "region"
        else pl.concat_str([pl.col("region"), pl.col("district")], separator=" / ")
    ).alias("_unit")

    _count(excluded, evote_rows.filter(~has_key).height, f"e-vote row without a {level}")
    _count(excluded, evote_rows.filter(has_key & ~has_figures).height, "e-vote row without figures")
    evote_rows = evote_rows.filter(has_key & has_figures).with_columns(key)
    if evote_rows.height == 0:
        return NotApplicable(METHOD, f"no electronic-voting row has a {level} and figures")
    unit_order = evote_rows["_unit"].unique(maintain_order=True).to_list()

    others = table.filter(~is_evote)
    for kind, n in others.filter(~pl.col("kind").is_in(kinds)).group_by("kind").len().iter_rows():
        _count(excluded, int(n), f"kind: {kind}")
    paper = others.filter(pl.col("kind").is_in(kinds))
    _count(excluded, paper.filter(~has_figures).height, "no cast or valid figure")
    _count(excluded, paper.filter(has_figures & ~has_key).height, f"paper row without a {level}")
    paper = paper.filter(has_figures & has_key).with_columns(key)
    outside = paper.filter(~pl.col("_unit").is_in(unit_order)).height
    _count(excluded, outside, "paper rows outside the units with an e-vote")
    paper = paper.filter(pl.col("_unit").is_in(unit_order))

    totals_all = (
        table.filter(pl.col("kind") != Kind.EMPTY.value).select(pl.col(parties).sum()).row(0)
    )
    order = np.argsort(-np.asarray(totals_all, dtype=float), kind="stable")
    top_two = (parties[int(order[0])], parties[int(order[1])] if len(parties) > 1 else parties[0])

    groups = dict(paper.partition_by("_unit", as_dict=True, maintain_order=True))
    egroups = dict(evote_rows.partition_by("_unit", as_dict=True, maintain_order=True))
    children = rng.spawn(len(unit_order))
    units: list[EvoteUnit] = []
    expected_draws = np.zeros((n_boot, len(parties)))
    pvalues: dict[str, dict[str, float]] = {}
    pending: list[dict[str, Any]] = []
    for unit, child in zip(unit_order, children, strict=True):
        frame = groups.get((unit,))
        erows = egroups[(unit,)]
        if frame is None or frame.filter(pl.col(base) > 0).height == 0:
            _count(units_excluded, 1, "no paper stations with ballots in the unit")
            continue
        if int(erows[base].sum()) == 0:
            _count(units_excluded, 1, "no ballots in the e-vote")
            continue
        computed = _unit(
            frame, erows, parties, name, base, null, n_sims, n_boot, confidence, child, top_two
        )
        expected_draws += computed.pop("_expected_draws")
        pvalues[unit] = computed.pop("_p")
        region = erows["region"][0]
        district = erows["district"][0] if level == "district" else None
        pending.append({"unit": unit, "region": region, "district": district} | computed)

    if not pending:
        return NotApplicable(METHOD, "no e-vote unit has paper stations with ballots")

    adjusted = {alt: holm({u: p[alt] for u, p in pvalues.items()}) for alt in ALTERNATIVES}
    for item in pending:
        u = item["unit"]
        units.append(
            EvoteUnit(
                **item,
                p_two_sided=pvalues[u]["two-sided"],
                p_greater=pvalues[u]["greater"],
                p_less=pvalues[u]["less"],
                p_holm_two_sided=adjusted["two-sided"][u],
                p_holm_greater=adjusted["greater"][u],
                p_holm_less=adjusted["less"][u],
            )
        )

    analysed = [u.unit for u in units]
    evote_all = table.filter(is_evote)
    paper_used = paper.filter(pl.col("_unit").is_in(analysed))
    evote_used = evote_rows.filter(pl.col("_unit").is_in(analysed))
    e_valid = int(evote_used["valid"].sum())
    added = []
    tail = (1.0 - confidence) / 2.0
    for j, p in enumerate(parties):
        actual = int(evote_used[p].sum())
        expected = float(sum(u.expected_votes[p] for u in units))
        low, high = np.quantile(actual - expected_draws[:, j], [tail, 1.0 - tail])
        added.append(
            AddedVotes(
                party=p,
                evote_votes=actual,
                expected=expected,
                added=actual - expected,
                ci=ConfidenceInterval(float(low), float(high), confidence),
                evote_pct_of_valid=_pct(actual, e_valid),
                paper_pct_of_valid=_pct(expected, e_valid),
            )
        )

    return EvoteResult(
        party=name,
        level=level,
        base=base,
        null=null,
        paper_kinds=kinds,
        units=units,
        units_excluded=units_excluded,
        excluded=excluded,
        evote_totals=_totals(evote_all, parties),
        paper_totals=_totals(paper_used, parties),
        added_votes=added,
        top_two=top_two,
        alpha=alpha,
        confidence=confidence,
        n_sims=n_sims,
        n_boot=n_boot,
        seed=seed,
    )


# -- helpers --------------------------------------------------------------------------------


def _count(store: dict[str, int], n: int, reason: str) -> None:
    if n:
        store[reason] = store.get(reason, 0) + int(n)


def _pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else float("nan")


def _sum_or_none(frame: pl.DataFrame, column: str) -> int | None:
    if (
        column not in frame.columns
        or frame.height == 0
        or frame[column].null_count() == frame.height
    ):
        return None
    return int(frame[column].sum())


def _totals(frame: pl.DataFrame, parties: list[str]) -> EvoteTotals:
    frame = frame.filter(pl.col("cast").is_not_null())
    cast = int(frame["cast"].sum())
    votes = {p: int(frame[p].sum()) for p in parties}
    return EvoteTotals(
        rows=frame.height,
        registered=_sum_or_none(frame, "registered"),
        issued=_sum_or_none(frame, "issued"),
        cast=cast,
        valid=int(frame["valid"].sum()),
        invalid=int(frame["invalid"].sum())
        if "invalid" in frame.columns
        else cast - int(frame["valid"].sum()),
        votes=votes,
        pct_of_cast={p: _pct(v, cast) for p, v in votes.items()},
    )


def _turnout(t: EvoteTotals) -> float | None:
    if not t.registered:
        return None
    return _pct(t.issued if t.issued is not None else t.cast, t.registered)


def _resampled_counts(rng: np.random.Generator, n_units: int, size: int) -> np.ndarray:
    """``size`` bootstrap resamples of ``n_units`` units, as counts per unit (size x n)."""
    out = np.empty((size, n_units), dtype=np.float64)
    step = max(1, _CHUNK // max(n_units, 1))
    for start in range(0, size, step):
        b = min(step, size - start)
        idx = rng.integers(0, n_units, size=(b, n_units)) + n_units * np.arange(b)[:, None]
        out[start : start + b] = np.bincount(idx.ravel(), minlength=b * n_units).reshape(b, n_units)
    return out


def _matched_null(
    rng: np.random.Generator, L: np.ndarray, R: np.ndarray, n: int, n_sims: int
) -> tuple[np.ndarray, float]:
    """Shares of ``n_sims`` pseudo-stations of exactly ``n`` ballots, each assembled from
    stations drawn with replacement until ``n`` ballots are reached (the last station taken
    in part); and the mean number of stations a pseudo-station holds. ``L`` holds the votes
    of one party (stations) or of several (stations x parties; the shares are then
    n_sims x parties)."""
    votes = L.reshape(L.shape[0], -1)
    out = np.empty((n_sims, votes.shape[1]))
    used = np.empty(n_sims)
    expected = n / R.mean()
    k = int(np.ceil(expected + 5.0 * np.sqrt(expected) * (1.0 + R.std() / R.mean()) + 3))
    start = 0
    while start < n_sims:
        b = min(max(1, _CHUNK // (k * votes.shape[1])), n_sims - start)
        idx = rng.integers(0, R.size, size=(b, k), dtype=np.int32)
        cum_r = np.cumsum(R[idx], axis=1)
        if cum_r[:, -1].min() < n:  # too few stations drawn for some row: draw more
            k *= 2
            continue
        cum_l = np.cumsum(votes[idx], axis=1)  # b x k x parties
        j = np.count_nonzero(cum_r < n, axis=1)  # the station that reaches n ballots
        rows = np.arange(b)
        before_r = np.where(j > 0, cum_r[rows, j - 1], 0.0)
        before_l = np.where((j > 0)[:, None], cum_l[rows, j - 1], 0.0)
        part = (n - before_r) / R[idx[rows, j]]
        out[start : start + b] = (before_l + part[:, None] * votes[idx[rows, j]]) / n
        used[start : start + b] = j + part
        start += b
    return (out[:, 0] if L.ndim == 1 else out), float(used.mean())


def _station_null(
    rng: np.random.Generator, L: np.ndarray, R: np.ndarray, n: int, n_sims: int
) -> np.ndarray:
    """One resampled station's share with binomial noise at the e-vote's size ``n``."""
    j = rng.integers(0, L.size, size=n_sims)
    return rng.binomial(n, L[j] / R[j]) / n


def _unit(
    frame: pl.DataFrame,
    erows: pl.DataFrame,
    parties: list[str],
    name: str,
    base: str,
    null: str,
    n_sims: int,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
    top_two: tuple[str, str],
) -> dict[str, Any]:
    paper_t = _totals(frame, parties)
    evote_t = _totals(erows, parties)
    paper_base = paper_t.cast if base == "cast" else paper_t.valid
    evote_base = evote_t.cast if base == "cast" else evote_t.valid

    stations = frame.filter(pl.col(base) > 0)
    R = stations[base].to_numpy().astype(np.float64)
    L = stations[name].to_numpy().astype(np.float64)
    valid = stations["valid"].to_numpy().astype(np.float64)
    V = stations.select(parties).to_numpy().astype(np.float64)
    share = L / R
    e_share = evote_t.votes[name] / evote_base
    p_share = paper_t.votes[name] / paper_base

    # the test: where the e-vote share falls in the unit's own variation
    below = np.count_nonzero(share < e_share)
    ties = np.count_nonzero(share == e_share)
    percentile = 100.0 * (below + 0.5 * ties) / share.size
    # the interval: bootstrap the paper stations, binomial noise on the e-vote
    counts = _resampled_counts(rng, R.size, n_boot)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot_paper = (counts @ L) / (counts @ R)
        boot_shares = (counts @ V) / (counts @ valid)[:, None]
    n_e = evote_base
    boot_evote = rng.binomial(n_e, min(max(e_share, 0.0), 1.0), size=n_boot) / n_e
    diff = 100.0 * (boot_evote - boot_paper)
    tail = (1.0 - confidence) / 2.0
    low, high = np.nanquantile(diff, [tail, 1.0 - tail])

    # the test: the difference e-vote minus paper against random splits of the unit's
    # stations, a pseudo-e-vote of the e-vote's size minus a pseudo-paper vote (one of the
    # bootstrap replicates above, paired at random)
    if null == "matched":
        e_draws, drawn = _matched_null(rng, L, R, n_e, n_sims)
        draws = e_draws - boot_paper[rng.integers(0, n_boot, size=n_sims)]
    else:
        draws, drawn = _station_null(rng, L, R, n_e, n_sims) - p_share, 1.0
    observed = e_share - p_share
    p = {alt: monte_carlo_pvalue(observed, draws, alternative=alt) for alt in ALTERNATIVES}

    paper_valid_share = {
        p: paper_t.votes[p] / paper_t.valid if paper_t.valid else 0.0 for p in parties
    }
    expected = {p: evote_t.valid * paper_valid_share[p] for p in parties}
    a, b = top_two
    combined = {p: paper_t.votes[p] + evote_t.votes[p] for p in parties}
    return {
        "paper_stations": int(R.size),
        "evote_rows": erows.height,
        "paper": paper_t,
        "evote": evote_t,
        "paper_turnout": _turnout(paper_t),
        "evote_turnout": _turnout(evote_t),
        "paper_shares": {p: _pct(paper_t.votes[p], paper_base) for p in parties},
        "evote_shares": {p: _pct(evote_t.votes[p], evote_base) for p in parties},
        "paper_share": 100.0 * p_share,
        "evote_share": 100.0 * e_share,
        "difference": Estimate(
            100.0 * (e_share - p_share),
            ConfidenceInterval(float(low), float(high), confidence),
            "bootstrap of the unit's paper stations + binomial noise of the e-vote",
        ),
        "percentile": float(percentile),
        "null_mean": 100.0 * float(draws.mean()),  # of the difference, in points
        "null_sd": 100.0 * float(draws.std(ddof=1)) if draws.size > 1 else 0.0,
        "stations_drawn": drawn,
        "expected_votes": expected,
        "added_votes": {p: evote_t.votes[p] - expected[p] for p in parties},
        "paper_margin": _pct(paper_t.votes[a] - paper_t.votes[b], paper_base),
        "evote_margin": _pct(evote_t.votes[a] - evote_t.votes[b], evote_base),
        "margin_with_evote": _pct(combined[a] - combined[b], paper_base + evote_base),
        "winner_paper": max(parties, key=lambda q: paper_t.votes[q]),
        "winner_with_evote": max(parties, key=lambda q: combined[q]),
        "_p": p,
        "_expected_draws": _expected_draws(
            rng,
            V,
            valid,
            evote_t.valid,
            np.array([paper_valid_share[q] for q in parties]),
            boot_shares,
            counts,
        ),
    }


def _expected_draws(
    rng: np.random.Generator,
    V: np.ndarray,
    valid: np.ndarray,
    e_valid: int,
    paper_share: np.ndarray,
    boot_shares: np.ndarray,
    counts: np.ndarray,
) -> np.ndarray:
    """Draws of the e-vote's votes per party had its voters been a random group of the unit's
    stations (n_boot x parties): the paper share of valid ballots plus the difference between
    a pseudo-e-vote of the e-vote's valid ballots, assembled from the paper stations as in the
    matched null, and the bootstrap paper share it is set against. This is the variation the
    matched test allows, so an interval from these draws covers the votes a swing moved."""
    if e_valid <= 0 or valid.sum() <= 0:
        return np.zeros((counts.shape[0], V.shape[1]))
    pseudo, _ = _matched_null(rng, V, valid, e_valid, counts.shape[0])
    shift = np.nan_to_num(pseudo - boot_shares)
    return e_valid * (paper_share[None, :] + shift)
