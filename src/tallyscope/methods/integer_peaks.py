"""Integer-percentage peaks: too many stations report a whole-number turnout or share.

Rewritten protocols often carry round percentages (a turnout of exactly 80 %, a share of
exactly 70 %). Each station is tested for a turnout 100·G/V and a leader share 100·L/R within
0.05 pp of a whole number; the count of such stations is compared with its distribution under
a null that keeps every station's denominators and redraws L ~ Binomial(R, L/R) and
G ~ Binomial(V, G/V). Under that null the stations are independent and each is integer with a
probability that follows exactly from the binomial pmf, so the count is Poisson-binomial: its
mean, sd and tail are computed exactly, with Monte Carlo draws as the cross-check and for the
weighted counts.

Reference: Kobak, D., Shpilkin, S. & Pshenichnikov, M. S. (2016). Integer percentages as
electoral falsification fingerprints. Annals of Applied Statistics 10(1), 54-73.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np

from tallyscope._rng import RNGLike, check_rng
from tallyscope.methods._kernels.integer import (
    integer_null_draws,
    integer_probabilities,
    is_integer,
)
from tallyscope.methods._stations import StationData, station_data
from tallyscope.model import ANALYSED_KINDS, Election
from tallyscope.results import TestResult, _Serialisable
from tallyscope.stats import PoissonBinomial, monte_carlo_pvalue

__all__ = ["IntegerPeaksResult", "RegionPeaks", "integer_peaks"]

METHOD = "integer-peaks"
REFERENCE = "Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1)"
COUNTS = ("either", "share", "turnout")
WEIGHTS = ("registered", "issued", "leader")


@dataclasses.dataclass(frozen=True, slots=True)
class RegionPeaks(_Serialisable):
    """The integer count (turnout or share) of one region against its exact null."""

    region: str
    stations: int
    observed: int
    null_mean: float
    null_sd: float
    excess: float
    p_value: float


@dataclasses.dataclass(frozen=True, slots=True)
class IntegerPeaksResult(_Serialisable):
    """Observed integer counts, their exact null, the Monte Carlo cross-check and regions.

    ``observed``, ``null_mean``, ``null_sd`` and ``excess`` hold the counts of stations
    integer in ``either`` turnout or share, in ``share`` and in ``turnout``; ``p_value`` is
    the exact P(count >= observed) of ``either``, ``p_values`` that of each count.
    ``weighted`` holds the same for ``either`` weighted by each station's registered voters,
    ballots issued and leader votes, with Monte Carlo p-values.
    """

    party: str
    stations_included: int
    excluded: dict[str, int]
    observed: dict[str, int]
    null_mean: dict[str, float]
    null_sd: dict[str, float]
    excess: dict[str, float]
    p_value: float
    p_values: dict[str, float]
    weighted: dict[str, dict[str, float]]
    mc_null_mean: dict[str, float]
    n_sims: int
    seed: int | None
    by_region: list[RegionPeaks]
    null_pmf: np.ndarray
    turnout_basis: str
    method: str = METHOD
    reference: str = REFERENCE

    def test(self) -> TestResult:
        """The headline test: the count of stations integer in turnout or share."""
        return TestResult(
            statistic=float(self.observed["either"]),
            pvalue=self.p_value,
            method=METHOD,
            params={"null": "exact Poisson-binomial", "stations": self.stations_included},
        )

    def to_dict(self) -> dict[str, Any]:
        out = _Serialisable.to_dict(self)
        out["null_pmf"] = _pmf_window(
            self.null_pmf, self.null_mean["either"], self.null_sd["either"]
        )
        return out


def _pmf_window(pmf: np.ndarray, mean: float, sd: float) -> dict[str, Any]:
    lo = max(0, int(mean - 6 * sd))
    hi = min(pmf.size, int(mean + 6 * sd) + 1)
    return {"start": lo, "pmf": [float(v) for v in pmf[lo:hi]]}


def _select(data: StationData) -> StationData:
    data = data.subset(data.R > 0, "no valid or invalid ballots")
    data = data.subset(data.V >= 100, "fewer than 100 registered voters")
    data = data.subset(data.turnout <= 99.0, "turnout above 99 %")
    return data.subset(data.share <= 99.0, "leader share above 99 %")


def integer_peaks(
    election: Election,
    *,
    party: str | None = None,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    n_sims: int = 10_000,
    rng: RNGLike = None,
    by_region: bool = True,
) -> IntegerPeaksResult:
    """Test an election for an excess of integer turnout and share percentages.

    Stations enter with R > 0, V >= 100, turnout <= 99 % and share <= 99 % (the selection of
    Kobak et al.); ``kinds="all"`` reproduces their tables, which include every station.
    ``n_sims`` Monte Carlo draws (0 to skip) cross-check the exact null and give the weighted
    counts' p-values; ``rng`` seeds them.
    """
    if n_sims < 0:
        raise ValueError("n_sims must be >= 0")
    seed = rng if isinstance(rng, int) else None
    rng = check_rng(rng)
    data = _select(station_data(election, party=party, kinds=kinds))
    share_int = is_integer(data.L, data.R)
    turnout_int = is_integer(data.G, data.V)
    either_int = share_int | turnout_int
    p_share = integer_probabilities(data.L, data.R)
    p_turnout = integer_probabilities(data.G, data.V)
    p_either = 1.0 - (1.0 - p_share) * (1.0 - p_turnout)

    nulls = {
        "either": PoissonBinomial(p_either),
        "share": PoissonBinomial(p_share),
        "turnout": PoissonBinomial(p_turnout),
    }
    observed = {
        "either": int(either_int.sum()),
        "share": int(share_int.sum()),
        "turnout": int(turnout_int.sum()),
    }
    p_values = {k: nulls[k].sf(observed[k]) for k in COUNTS}

    weights = np.vstack([data.V, data.G, data.L]).astype(float)
    draws = (
        integer_null_draws(
            p_share, p_turnout, weights, rng.integers(1, 2**63 - 1, size=n_sims, dtype=np.uint64)
        )
        if n_sims
        else np.zeros((0, 3 + len(WEIGHTS)))
    )
    weighted = {}
    for j, name in enumerate(WEIGHTS):
        w = weights[j]
        obs = float(w[either_int].sum())
        mean = float(np.sum(w * p_either))
        sd = float(np.sqrt(np.sum(w**2 * p_either * (1.0 - p_either))))
        weighted[name] = {
            "observed": obs,
            "null_mean": mean,
            "null_sd": sd,
            "excess": obs - mean,
            "p_value": monte_carlo_pvalue(obs, draws[:, 3 + j]) if n_sims else float("nan"),
        }
    return IntegerPeaksResult(
        party=data.party,
        stations_included=data.n,
        excluded=data.excluded,
        observed=observed,
        null_mean={k: nulls[k].mean for k in COUNTS},
        null_sd={k: nulls[k].sd for k in COUNTS},
        excess={k: observed[k] - nulls[k].mean for k in COUNTS},
        p_value=p_values["either"],
        p_values=p_values,
        weighted=weighted,
        mc_null_mean={
            k: float(draws[:, j].mean()) if n_sims else float("nan") for j, k in enumerate(COUNTS)
        },
        n_sims=n_sims,
        seed=seed,
        by_region=_by_region(data, either_int, p_either) if by_region else [],
        null_pmf=nulls["either"].pmf(),
        turnout_basis=data.turnout_basis,
    )


def _by_region(data: StationData, either: np.ndarray, p: np.ndarray) -> list[RegionPeaks]:
    out = []
    for code, name in enumerate(data.region_names):
        mask = data.region == code
        if not mask.any():
            continue
        null = PoissonBinomial(p[mask])
        obs = int(either[mask].sum())
        out.append(
            RegionPeaks(
                name, int(mask.sum()), obs, null.mean, null.sd, obs - null.mean, null.sf(obs)
            )
        )
    return sorted(out, key=lambda r: r.p_value)
