"""Anomalous votes and the clean result: Shpilkin's method, textbook and robust.

Both versions rest on Shpilkin's premise: the other parties' votes O are not touched by ballot
stuffing, so the leader's clean votes are k·O for a clean ratio k measured where the election
is clean, and the leader's votes beyond that are anomalous: A = L - k·O. For stuffing, A is the
number of ballots stuffed; a vote moved from another party to the leader counts 1 + k times
(it adds one to L and removes one from O).

``method="shpilkin-classic"`` (Shpilkin 2009-2021; Kobak, Shpilkin & Pshenichnikov 2016): the
clean core is the turnout bins (1 pp) up to the mode of the other parties' votes; k = ΣL/ΣO
over the core; A = Σ over the stations above it of (L - k·O). Its premise, that the leader's
share does not depend on turnout in a clean election, fails in clean elections: in Poland
2025 it gives Trzaskowski 15 % (round 1) and 22 % (round 2) "anomalous" votes and Nawrocki
-28 %, because big-city stations have both higher turnout and a different vote. Kept because
the published figures come from it.

``method="robust"`` (the default, tallyscope's): clean heterogeneity shifts and tilts the whole
turnout × share cloud; stuffing drags stations beyond the turnout range any clean station
reaches. The clean turnout range is taken as symmetric on the logit scale about the mode of the
registered voters' turnout distribution: it ends at the mirror image of the lowest ``q``
(default 0.1 %) of registered voters. k is measured over all stations inside that range, and
A counts only the stations beyond it. Shifts and tilts of the clean cloud stay inside the
range and are not counted (Poland: |A| < 0.3 % for both candidates in both rounds), while the
stuffed tail is. What it does not count: fraud that keeps a station inside the clean range
(incremental stuffing of a few percent, rewriting at ordinary turnout); it is therefore a
lower bound where fraud is widespread, and it is unreliable when a fraud cluster dominates
the turnout distribution itself (Russia 2020 and 2024: the mode lies in the stuffed range),
which the result's ``reliable`` flag and ``warning`` say.

Intervals: percentile bootstrap over regions (the default where there are at least 10),
commissions or stations, with the core and k re-estimated in every replicate.

References: Shpilkin, S. (2009-2021), analyses of Russian federal elections (Troitsky Variant,
Novaya Gazeta, Facebook posts); Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016).
Integer percentages as electoral falsification fingerprints. Annals of Applied Statistics
10(1), 54-73; Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2018). Putin's peaks: Russian
election data revisited. Significance 15(3), 8-9.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl
from scipy import ndimage, sparse

from tallyscope._rng import RNGLike, check_rng
from tallyscope.methods._stations import StationData, analysed, station_data
from tallyscope.model import ANALYSED_KINDS, Election
from tallyscope.results import TestResult, _Serialisable
from tallyscope.stats import monte_carlo_pvalue, percentile_interval, resample_counts

__all__ = [
    "AnomalousVotesResult",
    "RegionAnomaly",
    "TurnoutCurves",
    "anomalous_votes",
    "counted_stations",
    "turnout_curves",
]

METHODS = ("robust", "shpilkin-classic")
REFERENCE = "Shpilkin (2009-2021); Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1)"

# Robust method: logit-turnout grid and the smoothing of the registered-voter histogram.
_LOGIT_EDGES = np.linspace(-9.5, 9.5, 951)  # 0.02 logit units
_SMOOTH = np.exp(-0.5 * (np.arange(-12, 13) / 5.0) ** 2)
_SMOOTH /= _SMOOTH.sum()
#: (turnout %, share %) beyond which a station is in the corner no clean election reaches
#: (Poland 2025: 0.00-0.07 % of stations; Russia 2011-2021: 5.6-8.7 %).
CORNER = (90.0, 80.0)
#: Fewest regions for resampling regions (the default); below it, commissions are resampled.
MIN_REGIONS = 10
# Classic method: 1-pp turnout bins, 100 % in the last bin.
_PCT_EDGES = np.arange(0.0, 101.0)


@dataclasses.dataclass(frozen=True, slots=True)
class RegionAnomaly(_Serialisable):
    """A region's share of the national estimate (the national core and k applied to it)."""

    region: str
    stations: int
    leader_votes: int
    anomalous_votes: float
    anomalous_pct_of_leader: float
    tail_stations: int


@dataclasses.dataclass(frozen=True, slots=True)
class AnomalousVotesResult(_Serialisable):
    """The anomalous votes, the clean result and how they were found.

    ``estimate`` is the number of anomalous votes for ``party``, with ``interval``;
    ``clean_share_pct`` the party's share of valid votes with the anomalous votes removed
    (``clean_share_interval``), ``official_share_pct`` its official share of valid votes;
    ``excess_turnout_pct`` the turnout the anomalous votes account for if they are stuffed
    ballots; ``core`` the rule and the turnout where the clean range ends; ``p_value`` the
    bootstrap p-value of "anomalous votes at most ``margin_pct`` % of the party's votes".
    """

    method: str
    party: str
    estimate: float
    interval: tuple[float, float]
    level: float
    anomalous_pct_of_leader: float
    anomalous_pct_interval: tuple[float, float]
    clean_share_pct: float
    clean_share_interval: tuple[float, float]
    official_share_pct: float
    official_turnout_pct: float
    clean_turnout_pct: float
    excess_turnout_pct: float
    k: float
    core: dict[str, Any]
    reliable: bool
    warning: str | None
    stations_included: int
    excluded: dict[str, int]
    cluster: str
    n_boot: int
    seed: int | None
    by_region: list[RegionAnomaly]
    turnout_basis: str
    margin_pct: float
    p_value: float
    reference: str = REFERENCE

    def test(self) -> TestResult:
        """The one-sided bootstrap test of "anomalous votes at most ``margin_pct`` % of the
        party's votes"."""
        return TestResult(
            self.anomalous_pct_of_leader,
            self.p_value,
            f"anomalous-votes ({self.method})",
            n_resamples=self.n_boot,
            params={"margin_pct": self.margin_pct},
        )


@dataclasses.dataclass(frozen=True, slots=True)
class _Binned:
    """Per-cluster sums of registered voters, leader and other votes in turnout bins
    (sparse, clusters × bins)."""

    registered: sparse.csr_matrix
    leader: sparse.csr_matrix
    others: sparse.csr_matrix


def _bin(data: StationData, bins: np.ndarray, clusters: np.ndarray, n_bins: int) -> _Binned:
    n_clusters = int(clusters.max()) + 1 if clusters.size else 0

    def matrix(values: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix(
            (values.astype(float), (clusters, bins)), shape=(n_clusters, n_bins)
        )

    return _Binned(matrix(data.V), matrix(data.L), matrix(data.O))


def _robust_core(v: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the first and last bins inside the clean range, per row of a
    (replicates × bins) array of registered voters by logit turnout."""
    mode = np.argmax(ndimage.convolve1d(v, _SMOOTH, axis=1, mode="constant"), axis=1)
    cumulative = np.cumsum(v, axis=1)
    low = np.argmax(cumulative >= q * cumulative[:, -1:], axis=1)
    return low, np.clip(2 * mode - low, 0, v.shape[1] - 1)


def _classic_core(o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bin 0 and the turnout bin holding the mode of the other parties' votes, per row."""
    return np.zeros(o.shape[0], dtype=np.int64), np.argmax(o, axis=1)


def _statistic(
    leader: np.ndarray, others: np.ndarray, core: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """A and k per row: k = ΣL/ΣO over bins up to ``core[1]``; A sums L - k·O over the bins
    above it and, as the mirror correction of the robust rule, over the bins below
    ``core[0]`` (none for the classic rule)."""
    position = np.arange(leader.shape[1])[None, :]
    start, end = core[0][:, None], core[1][:, None]
    inside = position <= end
    with np.errstate(divide="ignore", invalid="ignore"):
        k = (leader * inside).sum(axis=1) / (others * inside).sum(axis=1)
    counted = (position > end) | (position < start)
    return ((leader - k[:, None] * others) * counted).sum(axis=1), k


def anomalous_votes(
    election: Election,
    *,
    party: str | None = None,
    method: str = "robust",
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    core_max_turnout: float | None = None,
    q: float = 0.001,
    n_boot: int = 1000,
    level: float = 0.95,
    cluster: str = "auto",
    margin_pct: float = 1.0,
    rng: RNGLike = None,
) -> AnomalousVotesResult:
    """Estimate the leader's (or ``party``'s) anomalous votes and the clean result.

    ``method`` is ``"robust"`` or ``"shpilkin-classic"`` (see the module docstring);
    ``core_max_turnout`` (percent) sets where the clean core ends instead of the rule;
    ``q`` is the lower tail mirrored by the robust rule; ``n_boot`` bootstrap replicates
    over ``cluster`` give the ``level`` interval: ``"auto"`` resamples regions where there are
    at least 10 (clean heterogeneity varies by region, and the interval must carry it: on
    realistic synthetic clean elections resampling regions gives 5 % false positives, resampling
    commissions 18 %), else commissions; ``"station"`` resamples stations.
    Stations with fewer than 100 registered voters are left out (counted in ``excluded``).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if cluster not in ("auto", "region", "commission", "station"):
        raise ValueError("cluster must be 'auto', 'region', 'commission' or 'station'")
    seed = rng if isinstance(rng, int) else None
    rng = check_rng(rng)
    data = station_data(election, party=party, kinds=kinds)
    data = data.subset(data.V >= 100, "fewer than 100 registered voters")
    data = data.subset(data.R > 0, "no valid or invalid ballots")
    turnout = np.clip(data.G / data.V, 1e-4, 1 - 1e-4)

    if method == "robust":
        edges = _LOGIT_EDGES
        position = np.log(turnout / (1 - turnout))
        if core_max_turnout is not None:
            fixed = np.log(core_max_turnout / (100 - core_max_turnout))
    else:
        edges = _PCT_EDGES
        position = 100.0 * turnout
        fixed = core_max_turnout
    bins = np.clip(np.searchsorted(edges, position, side="right") - 1, 0, edges.size - 2)
    if cluster == "auto":
        cluster = "region" if np.unique(data.region).size >= MIN_REGIONS else "commission"
    clusters = {"region": data.region, "commission": data.commission, "station": np.arange(data.n)}[
        cluster
    ]
    _, clusters = np.unique(clusters, return_inverse=True)
    binned = _bin(data, bins, clusters, edges.size - 1)

    def core_of(v: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if core_max_turnout is not None:
            index = int(np.clip(np.searchsorted(edges, fixed, side="right") - 1, 0, edges.size - 2))
            return np.zeros(v.shape[0], dtype=np.int64), np.full(v.shape[0], index)
        return _robust_core(v, q) if method == "robust" else _classic_core(o)

    totals = [np.asarray(m.sum(axis=0)) for m in (binned.registered, binned.leader, binned.others)]
    core = core_of(totals[0], totals[2])
    A, k = _statistic(totals[1], totals[2], core)
    A, k, low_index, core_index = float(A[0]), float(k[0]), int(core[0][0]), int(core[1][0])

    draws = _bootstrap(binned, core_of, n_boot, rng)
    finite = draws[np.isfinite(draws)]
    interval = percentile_interval(draws, level).ci
    low, high = interval.low, interval.high

    L_total = data.L.sum()
    valid_total, V_total, G_total = data.valid.sum(), data.V.sum(), data.G.sum()
    pct = 100.0 / L_total
    clean_share = (
        100.0 * (L_total - np.array([A, low, high])) / (valid_total - np.array([A, low, high]))
    )
    upper_pct, lower_pct = (
        (100.0 / (1.0 + np.exp(-edges[[core_index + 1, low_index]])))
        if method == "robust"
        else edges[[core_index + 1, 0]]
    )
    tail = bins > core_index
    counted = tail | (bins < low_index)
    reliable, warning = _reliability(method, totals[0], edges, tail, data)
    return AnomalousVotesResult(
        method=method,
        party=data.party,
        estimate=A,
        interval=(float(low), float(high)),
        level=level,
        anomalous_pct_of_leader=A * pct,
        anomalous_pct_interval=(float(low * pct), float(high * pct)),
        clean_share_pct=float(clean_share[0]),
        clean_share_interval=(float(clean_share[2]), float(clean_share[1])),
        official_share_pct=100.0 * L_total / valid_total,
        official_turnout_pct=100.0 * G_total / V_total,
        clean_turnout_pct=100.0 * (G_total - A) / V_total,
        excess_turnout_pct=100.0 * A / V_total,
        k=k,
        core={
            "rule": _core_rule(method, core_max_turnout, q),
            "max_turnout_pct": float(upper_pct),
            "min_turnout_pct": float(lower_pct) if method == "robust" else 0.0,
            "stations_in_core": int((~tail).sum()),
            "stations_beyond": int(tail.sum()),
        },
        reliable=reliable,
        warning=warning,
        stations_included=data.n,
        excluded=data.excluded,
        cluster=cluster,
        n_boot=n_boot,
        seed=seed,
        by_region=_by_region(data, counted, tail, k),
        turnout_basis=data.turnout_basis,
        margin_pct=margin_pct,
        p_value=(
            monte_carlo_pvalue(margin_pct / pct, finite, alternative="less")
            if finite.size
            else float("nan")
        ),
    )


def counted_stations(turnout_pct: np.ndarray, core: dict[str, Any]) -> np.ndarray:
    """Which stations an estimate counts: those beyond the clean range (and, for the robust
    rule, below its mirrored lower end)."""
    return (turnout_pct >= core["max_turnout_pct"]) | (turnout_pct < core["min_turnout_pct"])


def _core_rule(method: str, fixed: float | None, q: float) -> str:
    if fixed is not None:
        return f"turnout up to {fixed} % (set by the user)"
    if method == "robust":
        return (
            f"logit turnout up to the mirror image, about the mode of registered voters' turnout, "
            f"of the lowest {100 * q:g} % of registered voters"
        )
    return "turnout bins (1 pp) up to the mode of the other parties' votes"


def _bootstrap(binned: _Binned, core_of: Any, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """A per replicate, the core and k re-estimated on the resampled clusters."""
    out = []
    for counts in resample_counts(binned.registered.shape[0], n_boot, rng, batch=100):
        weights = sparse.csr_matrix(counts.astype(float))
        registered, leader, others = (
            (weights @ m).toarray() for m in (binned.registered, binned.leader, binned.others)
        )
        out.append(_statistic(leader, others, core_of(registered, others))[0])
    return np.concatenate(out) if out else np.array([])


def _reliability(
    method: str, v: np.ndarray, edges: np.ndarray, tail: np.ndarray, data: StationData
) -> tuple[bool, str | None]:
    beyond = float(data.V[tail].sum() / data.V.sum())
    if method == "shpilkin-classic":
        return True, (
            "textbook version: it assumes the leader's share does not depend on turnout in a clean "
            "election, which real clean elections contradict (Poland 2025 gets 15-23 % 'anomalous' votes)"
        )
    mode = float(edges[np.argmax(ndimage.convolve1d(v[0], _SMOOTH, mode="constant"))])
    mode_pct = 100.0 / (1.0 + np.exp(-mode))
    corner = ~tail & (data.turnout > CORNER[0]) & (data.share > CORNER[1])
    inside = float(data.V[corner].sum() / data.V[~tail].sum()) if (~tail).any() else 0.0
    if mode_pct > 80.0 or beyond > 0.5 or inside > 0.02:
        return False, (
            f"the turnout distribution is dominated by its high-turnout part (mode {mode_pct:.0f} %, "
            f"{100 * beyond:.0f} % of registered voters beyond the clean range, {100 * inside:.1f} % of "
            f"those inside it at turnout > {CORNER[0]:g} % with a share > {CORNER[1]:g} %): the clean "
            "range cannot be told from the stuffed one, and the estimate is a loose lower bound"
        )
    return True, None


def _by_region(
    data: StationData, counted: np.ndarray, tail: np.ndarray, k: float
) -> list[RegionAnomaly]:
    contribution = np.where(counted, data.L - k * data.O, 0.0)
    n_regions = len(data.region_names)
    anomalous = np.bincount(data.region, contribution, n_regions)
    leader = np.bincount(data.region, data.L, n_regions)
    stations = np.bincount(data.region, minlength=n_regions)
    beyond = np.bincount(data.region, tail, n_regions)
    out = [
        RegionAnomaly(
            data.region_names[r],
            int(stations[r]),
            int(leader[r]),
            float(anomalous[r]),
            float(100.0 * anomalous[r] / leader[r]) if leader[r] else 0.0,
            int(beyond[r]),
        )  # fmt: skip
        for r in range(n_regions)
        if stations[r]
    ]
    return sorted(out, key=lambda r: -r.anomalous_votes)


@dataclasses.dataclass(frozen=True, slots=True)
class TurnoutCurves(_Serialisable):
    """Votes of every party by station turnout (the "Shpilkin plot"): ``votes[party][i]`` is
    the party's votes at stations with turnout in ``[edges[i], edges[i + 1])``, the last bin
    closed at 100 %."""

    edges: np.ndarray
    votes: dict[str, np.ndarray]
    registered: np.ndarray
    stations: np.ndarray
    excluded: dict[str, int]
    turnout_basis: str


def turnout_curves(
    election: Election,
    *,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    bin_width: float = 1.0,
) -> TurnoutCurves:
    """The votes of each party binned by station turnout (Shpilkin; Kobak et al. 2016, fig. 1)."""
    data = station_data(election, kinds=kinds)
    data = data.subset(data.V > 0, "no registered voters")
    edges = np.linspace(0.0, 100.0, int(round(100.0 / bin_width)) + 1)
    bins = np.clip(
        np.searchsorted(edges, np.minimum(data.turnout, 100.0), side="right") - 1, 0, edges.size - 2
    )
    chosen = analysed(election, kinds=kinds).election.stations.filter(pl.col("registered") > 0)
    n = edges.size - 1
    votes = {p: np.bincount(bins, chosen[p].to_numpy(), n) for p in election.parties}
    return TurnoutCurves(
        edges,
        votes,
        np.bincount(bins, data.V, n),
        np.bincount(bins, minlength=n),
        data.excluded,
        data.turnout_basis,
    )
