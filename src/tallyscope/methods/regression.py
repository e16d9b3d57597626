"""How the leader's share moves with turnout across stations: correlations and slopes.

Ballot stuffing raises turnout and the leader's share together, so a strong positive
dependence of share on turnout is one of the oldest signs of fraud in the Russian literature.
But the dependence is not zero in clean elections (issue #9): where people vote more, they
may vote differently. In Poland 2025 the leader's share correlates with turnout at r = 0.21
(Trzaskowski, round 1) and r = -0.27 (Nawrocki, round 2), and at 0.25 and -0.31 within
municipalities. This result is therefore **descriptive**: each correlation is reported with a
bootstrap interval beside :data:`CLEAN_RANGE`, the range seen in clean elections, and a plain
``outside_clean_range`` flag. It is not a test against zero, and it gives no p-value.

**Correlations** (stations with at least ``min_registered`` = 100 voters and some ballots):
Pearson's r and Spearman's rho of the leader's share 100·L/R with turnout 100·G/V

* ``national``: across all stations;
* ``within``: within commissions, each station's turnout and share taken as deviations from
  its commission's mean (the fixed-effects correlation; Spearman: the ranks, demeaned
  likewise), so that differences between places do not count;
* per region (``by_region``): across the region's stations and within its commissions.

Intervals are percentile intervals of a bootstrap that resamples whole commissions (Efron &
Tibshirani 1993, ch. 8): stations of a commission share a place and its officials, so they are
not independent. Every statistic here is a function of per-commission sums, so one set of
``n_boot`` resamples serves them all. Spearman's interval keeps the ranks of the full sample
(a rank transform first, then the bootstrap of Pearson's r of the ranks).

:data:`CLEAN_RANGE` = [-0.4, 0.4] is the range of the national and within-commission
correlations measured on clean controls and on realistic synthetic clean elections: Poland
2025 (both rounds, national and within municipalities) lies in [-0.32, 0.25], and 40 realistic
synthetic elections of :func:`tallyscope.synth.generate` (whose turnout-share correlation is
drawn in [-0.4, 0.4] at every level) within |r| <= 0.37. A correlation is
``outside_clean_range`` when its whole bootstrap interval lies outside that range; the
headline flag is raised when the national or the within-commission correlation is. Regions
are smaller and more uniform than a country, and their clean correlations are wider: Poland's
16 voivodeships reach r = 0.63 (round 1) and -0.68 (round 2) across stations and +-0.52 within
municipalities, so a region is flagged against :data:`REGION_CLEAN_RANGE` = [-0.7, 0.7].

**Sobyanin–Sukhovolsky regression.** Sobyanin and Sukhovolsky, analysing the Russian
elections and referendum of 1993, regressed each candidate's votes as a fraction of the
registered voters on turnout across electoral units (as described by Myagkov, Ordeshook &
Shakin 2009, ch. 2-3): the slope of L/V on G/V is the number of leader votes that come with
each additional ballot. If the turnout differences between stations came from voters much
like the others, the slope would be near the leader's overall share of the ballots; a slope
above 1 means the leader gains more than every extra ballot, which can only happen if votes
are also taken from the other parties (whose slope is then negative). It is estimated by
ordinary least squares across stations (unweighted), nationally, within commissions and per
region, with the same commission bootstrap. It is descriptive for the same reason as the
correlation: in clean elections it differs from the leader's share wherever turnout and
preferences vary together (Poland 2025 round 1: slope 0.50 against a share of 0.31).

References: Myagkov, M., Ordeshook, P. C. & Shakin, D. (2009). The Forensics of Election Fraud:
Russia and Ukraine. Cambridge University Press (ch. 2-3, on Sobyanin & Sukhovolsky's 1993-1995
analyses). Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S. (2012). PNAS 109(41) (turnout-share
dependence). Efron, B. & Tibshirani, R. (1993). An Introduction to the Bootstrap. Chapman & Hall.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

import numpy as np
from scipy import stats

from tallyscope._rng import RNGLike, check_rng
from tallyscope.methods._stations import StationData, station_data
from tallyscope.model import ANALYSED_KINDS, Election
from tallyscope.results import Estimate, _Serialisable
from tallyscope.stats import bootstrap_sums

__all__ = [
    "CLEAN_RANGE",
    "REGION_CLEAN_RANGE",
    "Correlation",
    "RegionTurnoutShare",
    "Slope",
    "TurnoutShareResult",
    "turnout_share",
]

METHOD = "turnout-share"
REFERENCE = (
    "Sobyanin & Sukhovolsky (1993-1995) as described by Myagkov, Ordeshook & Shakin (2009), "
    "The Forensics of Election Fraud, Cambridge UP; Klimek et al. (2012), PNAS 109(41)"
)
#: Correlations of share with turnout seen in clean elections (see the module docstring).
CLEAN_RANGE = (-0.4, 0.4)
#: The same for one region's stations (wider: see the module docstring).
REGION_CLEAN_RANGE = (-0.7, 0.7)
NOTE = (
    "descriptive: clean elections also correlate share with turnout; compare with "
    "clean_range, not with zero"
)
LEVEL = 0.95
#: Regions with fewer stations than this get no correlation (too few to say anything).
MIN_REGION_STATIONS = 10

# Columns of the per-commission sums: x = turnout, y = share (percent), rx, ry their ranks,
# u = G/V, w = L/V, o = (valid - L)/V; a "w" prefix marks within-commission sums of squares.
_COLUMNS = (
    "n", "x", "y", "xx", "yy", "xy",
    "rx", "ry", "rxrx", "ryry", "rxry",
    "u", "w", "o", "uu", "uw", "uo",
    "wxx", "wyy", "wxy", "wrxrx", "wryry", "wrxry", "wuu", "wuw", "wuo",
)  # fmt: skip
_C = {name: i for i, name in enumerate(_COLUMNS)}


@dataclasses.dataclass(frozen=True, slots=True)
class Correlation(_Serialisable):
    """Pearson's r and Spearman's rho of share with turnout, with bootstrap intervals."""

    scope: str
    pearson: Estimate
    spearman: Estimate
    stations: int
    commissions: int
    outside_clean_range: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Slope(_Serialisable):
    """Sobyanin–Sukhovolsky: the OLS slope of L/V on G/V (leader votes per extra ballot),
    across stations and within commissions, beside the leader's share of the ballots
    (sum L / sum G); ``others`` is the slope of the other parties' votes (valid - L)/V;
    ``above_one``: the slope's point estimate exceeds 1 (see its interval)."""

    slope: Estimate
    intercept: float
    within: Estimate
    others: Estimate
    leader_share: float
    above_one: bool


@dataclasses.dataclass(frozen=True, slots=True)
class RegionTurnoutShare(_Serialisable):
    """One region: its correlations across and within commissions, and its slope;
    ``outside_clean_range`` against :data:`REGION_CLEAN_RANGE`."""

    region: str
    stations: int
    commissions: int
    pearson: Estimate
    spearman: Estimate
    within: Estimate
    slope: Estimate
    leader_share: float
    outside_clean_range: bool


@dataclasses.dataclass(frozen=True, slots=True)
class TurnoutShareResult(_Serialisable):
    """The turnout-share dependence of an election (descriptive; see the module docstring)."""

    party: str
    stations_included: int
    excluded: dict[str, int]
    national: Correlation
    within: Correlation
    sobyanin_sukhovolsky: Slope
    by_region: list[RegionTurnoutShare]
    clean_range: tuple[float, float]
    region_clean_range: tuple[float, float]
    outside_clean_range: bool
    min_registered: int
    n_boot: int
    seed: int | None
    turnout_basis: str
    note: str = NOTE
    method: str = METHOD
    reference: str = REFERENCE


def _select(data: StationData, min_registered: int) -> StationData:
    data = data.subset(data.R > 0, "no valid or invalid ballots")
    registered = data.V
    return data.subset(
        registered >= min_registered, f"fewer than {min_registered} registered voters"
    )


def _commission_sums(data: StationData, rx: np.ndarray, ry: np.ndarray) -> np.ndarray:
    """Per-commission sums (rows: commissions present in ``data``, columns: ``_COLUMNS``)."""
    codes, group = np.unique(data.commission, return_inverse=True)
    k = codes.size
    x, y = data.turnout, data.share
    u = data.G / data.V
    w = data.L / data.V
    o = (data.valid - data.L) / data.V
    out = np.zeros((k, len(_COLUMNS)))
    values = {
        "n": np.ones_like(x), "x": x, "y": y, "xx": x * x, "yy": y * y, "xy": x * y,
        "rx": rx, "ry": ry, "rxrx": rx * rx, "ryry": ry * ry, "rxry": rx * ry,
        "u": u, "w": w, "o": o, "uu": u * u, "uw": u * w, "uo": u * o,
    }  # fmt: skip
    for name, v in values.items():
        out[:, _C[name]] = np.bincount(group, weights=v, minlength=k)
    n = out[:, _C["n"]]
    for name, (a, b) in {
        "wxx": ("x", "x"), "wyy": ("y", "y"), "wxy": ("x", "y"),
        "wrxrx": ("rx", "rx"), "wryry": ("ry", "ry"), "wrxry": ("rx", "ry"),
        "wuu": ("u", "u"), "wuw": ("u", "w"), "wuo": ("u", "o"),
    }.items():  # fmt: skip
        # within-commission centred cross products: sum ab - (sum a)(sum b) / n
        product = a + b if a + b in _C else b + a
        out[:, _C[name]] = out[:, _C[product]] - out[:, _C[a]] * out[:, _C[b]] / n
    return out


def _centred(t: np.ndarray, a: str, b: str) -> np.ndarray:
    n = t[..., _C["n"]]
    product = a + b if a + b in _C else b + a
    return t[..., _C[product]] - t[..., _C[a]] * t[..., _C[b]] / n


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _pearson(t: np.ndarray) -> np.ndarray:
    return _ratio(_centred(t, "x", "y"), np.sqrt(_centred(t, "x", "x") * _centred(t, "y", "y")))


def _spearman(t: np.ndarray) -> np.ndarray:
    return _ratio(
        _centred(t, "rx", "ry"), np.sqrt(_centred(t, "rx", "rx") * _centred(t, "ry", "ry"))
    )


def _within_pearson(t: np.ndarray) -> np.ndarray:
    return _ratio(t[..., _C["wxy"]], np.sqrt(t[..., _C["wxx"]] * t[..., _C["wyy"]]))


def _within_spearman(t: np.ndarray) -> np.ndarray:
    return _ratio(t[..., _C["wrxry"]], np.sqrt(t[..., _C["wrxrx"]] * t[..., _C["wryry"]]))


def _slope(t: np.ndarray) -> np.ndarray:
    return _ratio(_centred(t, "u", "w"), _centred(t, "u", "u"))


def _others_slope(t: np.ndarray) -> np.ndarray:
    return _ratio(_centred(t, "u", "o"), _centred(t, "u", "u"))


def _within_slope(t: np.ndarray) -> np.ndarray:
    return _ratio(t[..., _C["wuw"]], t[..., _C["wuu"]])


_STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "pearson": _pearson,
    "spearman": _spearman,
    "within_pearson": _within_pearson,
    "within_spearman": _within_spearman,
    "slope": _slope,
    "others_slope": _others_slope,
    "within_slope": _within_slope,
}


def _bootstrap(sums: np.ndarray, n_boot: int, rng: np.random.Generator) -> dict[str, Estimate]:
    """Every statistic with a percentile interval from one set of commission resamples."""
    totals = sums.sum(axis=0)
    draws = (
        bootstrap_sums(sums, _STATISTICS, n_resamples=n_boot, level=LEVEL, rng=rng)
        if sums.shape[0] > 1 and n_boot
        else {}
    )
    return {
        name: Estimate(
            float(statistic(totals)),
            draws[name].ci if name in draws and np.isfinite(draws[name].ci.low) else None,
            "percentile bootstrap over commissions",
        )
        for name, statistic in _STATISTICS.items()
    }


def _outside(estimate: Estimate, bounds: tuple[float, float] = CLEAN_RANGE) -> bool:
    low, high = bounds
    if not np.isfinite(estimate.value):
        return False
    if estimate.ci is None:
        return not low <= estimate.value <= high
    return estimate.ci.low > high or estimate.ci.high < low


def _iv(n_boot: int, min_registered: int) -> None:
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, not {n_boot!r}")
    if min_registered < 1:
        raise ValueError(f"min_registered must be at least 1, not {min_registered!r}")


def turnout_share(
    election: Election,
    *,
    party: str | None = None,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    n_boot: int = 1000,
    rng: RNGLike = None,
    by_region: bool = True,
    min_registered: int = 100,
) -> TurnoutShareResult:
    """Correlation of ``party``'s share with turnout and the Sobyanin–Sukhovolsky slope.

    Stations with at least ``min_registered`` voters and some ballots enter; ``n_boot``
    commission resamples (0: no intervals), seeded by ``rng``, give the intervals. The result
    is descriptive: read ``outside_clean_range``, not a p-value (see the module docstring).
    """
    _iv(n_boot, min_registered)
    seed = rng if isinstance(rng, int) else None
    rng = check_rng(rng)
    data = _select(station_data(election, party=party, kinds=kinds), min_registered)
    rx = stats.rankdata(data.turnout)
    ry = stats.rankdata(data.share)
    sums = _commission_sums(data, rx, ry)
    national = _bootstrap(sums, n_boot, rng)
    k = sums.shape[0]
    across = Correlation(
        "national", national["pearson"], national["spearman"], data.n, k,
        _outside(national["pearson"]),
    )  # fmt: skip
    within = Correlation(
        "within commissions", national["within_pearson"], national["within_spearman"], data.n,
        k, _outside(national["within_pearson"]),
    )  # fmt: skip
    share = float(data.L.sum() / data.G.sum()) if data.G.sum() else float("nan")
    totals = sums.sum(axis=0)
    slope = national["slope"].value
    ss = Slope(
        slope=national["slope"],
        intercept=float((totals[_C["w"]] - slope * totals[_C["u"]]) / totals[_C["n"]])
        if data.n
        else float("nan"),
        within=national["within_slope"],
        others=national["others_slope"],
        leader_share=share,
        above_one=bool(slope > 1.0),
    )
    return TurnoutShareResult(
        party=data.party,
        stations_included=data.n,
        excluded=data.excluded,
        national=across,
        within=within,
        sobyanin_sukhovolsky=ss,
        by_region=_by_region(data, n_boot, rng) if by_region else [],
        clean_range=CLEAN_RANGE,
        region_clean_range=REGION_CLEAN_RANGE,
        outside_clean_range=across.outside_clean_range or within.outside_clean_range,
        min_registered=min_registered,
        n_boot=n_boot,
        seed=seed,
        turnout_basis=data.turnout_basis,
    )


def _by_region(
    data: StationData, n_boot: int, rng: np.random.Generator
) -> list[RegionTurnoutShare]:
    out = []
    for code, name in enumerate(data.region_names):
        mask = data.region == code
        if mask.sum() < MIN_REGION_STATIONS:
            continue
        region = data.subset(mask)
        rx = stats.rankdata(region.turnout)
        ry = stats.rankdata(region.share)
        sums = _commission_sums(region, rx, ry)
        est = _bootstrap(sums, n_boot, rng)
        out.append(
            RegionTurnoutShare(
                region=name,
                stations=region.n,
                commissions=int(sums.shape[0]),
                pearson=est["pearson"],
                spearman=est["spearman"],
                within=est["within_pearson"],
                slope=est["slope"],
                leader_share=float(region.L.sum() / region.G.sum()),
                outside_clean_range=_outside(est["pearson"], REGION_CLEAN_RANGE)
                or _outside(est["within_pearson"], REGION_CLEAN_RANGE),
            )
        )
    return out
