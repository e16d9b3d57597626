"""Spikes at focal vote shares, against a resampled kernel density (Rozenas 2017).

Protocols written to order often carry coarse shares (50 %, 60 %, 75 %, 2/3). Small stations
produce such shares naturally (a station with 4 valid votes can only report 0, 25, 50, 75 or
100 %), so their frequency alone proves nothing. Each station's share ``L / R`` (or turnout
``G / V``) is compared with a null that keeps the station's own binomial variation: a rate is
drawn from a Gaussian kernel around its observed share (bandwidth ``h``, reflected into
(0, 1)), and its count is redrawn from ``Binomial(R, rate)``. Pooled over stations, the
redrawn shares form the resampled kernel density of Rozenas (2017): smooth where the observed
distribution may spike, but with the same lattice of fractions that small denominators
impose. The probability that a station's redrawn share is focal follows exactly from the
binomial pmf; the number of focal stations under the null is then Poisson-binomial.

The statistic is the estimated share of spiked stations: if a fraction ``pi`` of stations
report a focal share by construction and the rest are focal with their null probability
``p_i``, the expected number of focal stations is ``pi n + (1 - pi) sum p_i``, whence
``pi_hat = (observed - sum p_i) / (n - sum p_i)``. Its p-value is Monte Carlo,
``(1 + k) / (1 + n_sims)`` with ``k`` null draws at least as large.

Reference: Rozenas, A. (2017). Detecting election fraud from irregularities in vote-share
distributions. Political Analysis 25(1), 41-56.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy import special

from tallyscope._rng import RNGLike, check_rng
from tallyscope.methods._kernels.spikes import (
    focal_index,
    focal_null_draws,
    focal_probabilities,
    focal_values,
)
from tallyscope.methods._stations import StationData, station_data
from tallyscope.model import ANALYSED_KINDS, Election
from tallyscope.results import ConfidenceInterval, Estimate, TestResult, _Serialisable
from tallyscope.stats import monte_carlo_pvalue

__all__ = ["FocalSpike", "SpikesResult", "spikes"]

METHOD = "spikes"
REFERENCE = "Rozenas (2017), Political Analysis 25(1), 41-56"
VARIABLES = ("share", "turnout")


@dataclasses.dataclass(frozen=True, slots=True)
class FocalSpike(_Serialisable):
    """Stations at one focal percentage, observed against the null expectation."""

    value: float
    observed: int
    expected: float
    excess: float


@dataclasses.dataclass(frozen=True, slots=True)
class SpikesResult(_Serialisable):
    """Focal shares observed against the resampled-kernel null.

    ``observed`` stations are focal where the null expects ``expected`` (sd ``null_sd``);
    ``spiked_share`` estimates the fraction of stations whose share was set to a focal value,
    with a normal interval; ``p_value`` is the Monte Carlo p-value of that excess.
    ``by_value`` lists the focal values with the largest excess.
    """

    party: str
    variable: str
    stations_included: int
    excluded: dict[str, int]
    observed: int
    expected: float
    null_sd: float
    excess: float
    spiked_share: Estimate
    p_value: float
    n_sims: int
    seed: int | None
    focal: dict[str, Any]
    bandwidth: float
    by_value: list[FocalSpike]
    null_distribution: np.ndarray = dataclasses.field(repr=False, compare=False)
    method: str = METHOD
    reference: str = REFERENCE

    def test(self) -> TestResult:
        """The test: the estimated spiked share against its resampled null."""
        return TestResult(
            statistic=float(self.spiked_share.value),
            pvalue=self.p_value,
            method=METHOD,
            null_distribution=self.null_distribution,
            n_resamples=self.n_sims,
            params={
                "variable": self.variable,
                "stations": self.stations_included,
                "null": "resampled kernel density (binomial per station)",
                "bandwidth": self.bandwidth,
            },
        )


def _counts(data: StationData, variable: str) -> tuple[np.ndarray, np.ndarray]:
    """The count and its total: the party's votes of ballots cast, or ballots of registered."""
    return (data.L, data.R) if variable == "share" else (data.G, data.V)


def _spikes_iv(variable: str, n_sims: int, bandwidth: float, max_denominator: int,
               tolerance: float, min_count: int, level: float) -> None:  # fmt: skip
    if variable not in VARIABLES:
        raise ValueError(f"variable must be one of {VARIABLES}, not {variable!r}")
    if n_sims < 1:
        raise ValueError("n_sims must be at least 1")
    if not 0.0 < bandwidth < 0.5:
        raise ValueError(f"bandwidth must be in (0, 0.5), not {bandwidth}")
    if not 1 <= max_denominator <= 20:
        raise ValueError(f"max_denominator must be in 1..20, not {max_denominator}")
    if not 0.0 < tolerance < 0.5:
        raise ValueError(f"tolerance must be in (0, 0.5) percentage points, not {tolerance}")
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), not {level}")


def spikes(
    election: Election,
    *,
    party: str | None = None,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    variable: str = "share",
    n_sims: int = 1000,
    bandwidth: float = 0.01,
    max_denominator: int = 4,
    tolerance: float = 0.05,
    min_count: int = 20,
    level: float = 0.95,
    rng: RNGLike = None,
) -> SpikesResult:
    """Test for excess mass at focal shares (Rozenas's resampled kernel density).

    ``variable`` is the party's share of ballots cast (``"share"``, L/R) or turnout
    (``"turnout"``, G/V). A share is focal within ``tolerance`` percentage points of a whole
    percentage (1..99) or of ``p/q`` with ``q <= max_denominator``. Stations with fewer than
    ``min_count`` ballots (registered voters for turnout) are left out. ``bandwidth`` is the
    kernel's standard deviation on the share scale (0.01: one percentage point); ``n_sims``
    Monte Carlo draws give the p-value; ``rng`` seeds them.
    """
    _spikes_iv(variable, n_sims, bandwidth, max_denominator, tolerance, min_count, level)
    seed = rng if isinstance(rng, int) else None
    rng = check_rng(rng)
    data = station_data(election, party=party, kinds=kinds, need_registered=variable == "turnout")
    total = "ballots" if variable == "share" else "registered voters"
    data = data.subset(_counts(data, variable)[1] >= min_count, f"fewer than {min_count} {total}")
    data = data.subset(np.less_equal(*_counts(data, variable)), "count above its total")
    x, n = _counts(data, variable)
    values = focal_values(max_denominator)
    index = focal_index(x, n, max_denominator, tolerance)
    focal = index >= 0
    p, expected_by_value = focal_probabilities(x, n, bandwidth, max_denominator, tolerance)
    stations = int(x.size)
    observed = int(focal.sum())
    expected = float(p.sum())
    null_sd = float(np.sqrt(np.sum(p * (1.0 - p))))
    denominator = max(stations - expected, 1e-9)
    share = (observed - expected) / denominator
    seeds = rng.integers(1, 2**63 - 1, size=n_sims, dtype=np.uint64)
    null_counts = focal_null_draws(p, seeds)
    null_share = (null_counts - expected) / denominator
    p_value = monte_carlo_pvalue(share, null_share)
    # interval: the binomial variance of the focal count under the fitted mixture
    pi = min(max(share, 0.0), 1.0)
    q = pi + (1.0 - pi) * p
    se = float(np.sqrt(np.sum(q * (1.0 - q)))) / denominator
    z = float(special.ndtri(0.5 + level / 2.0))
    ci = ConfidenceInterval(max(0.0, share - z * se), min(1.0, max(0.0, share + z * se)), level)
    observed_by_value = np.bincount(index[focal], minlength=values.size)
    excess = observed_by_value - expected_by_value
    top = np.argsort(-excess)[:10]
    by_value = [
        FocalSpike(
            float(round(values[j], 4)),
            int(observed_by_value[j]),
            float(expected_by_value[j]),
            float(excess[j]),
        )
        for j in top
    ]
    return SpikesResult(
        party=data.party,
        variable=variable,
        stations_included=stations,
        excluded=data.excluded,
        observed=observed,
        expected=expected,
        null_sd=null_sd,
        excess=observed - expected,
        spiked_share=Estimate(
            max(share, 0.0), ci, "moment estimator (observed - expected) / (n - expected)"
        ),
        p_value=p_value,
        n_sims=n_sims,
        seed=seed,
        focal={
            "integers": "1..99 %",
            "max_denominator": max_denominator,
            "tolerance_pp": tolerance,
            "values": int(values.size),
        },
        bandwidth=bandwidth,
        by_value=by_value,
        null_distribution=null_share,
    )
