"""The Klimek et al. (2012) fraud model: incremental and extreme ballot stuffing, fitted to an
election's turnout × leader-share fingerprint.

Model. Each station's clean turnout and leader share are drawn around a clean centre; with
probability ``f_i`` a station suffers *incremental* fraud (a fraction ``x ~ |N(0, theta)|`` of
its non-voters' ballots is cast for the leader and a fraction ``x^alpha`` of the other
parties' votes is moved to the leader), with probability ``f_e`` *extreme* fraud (the same
with ``x = 1 - |N(0, 0.075)|``, close to 1). The model is simulated on the election's own
stations (their registered voters and invalid-ballot rates), ``n_sims`` times, and the
simulated 2-D histogram of (turnout, share) is matched to the observed one.

Estimation. For given clean and fraud-shape parameters the kernel returns the histograms of
the three components (clean, incremental, extreme) over the same simulated stations, so the
model histogram is linear in ``(f_i, f_e)`` and the fractions are solved exactly (a quadratic
on the triangle ``f_i, f_e >= 0, f_i + f_e <= 1``), which is an infinitely fine grid over
``(f_i, f_e)``. The remaining parameters are searched globally by differential evolution on
a subsample of stations, then refined on all stations by Nelder-Mead. Simulations use common
random numbers (the same normals at every parameter value).

Discrepancy. ``sum_b w_b (h_b - m_b)²`` over histogram bins, ``h`` the observed and ``m`` the
model fractions of stations. Two details differ from a plain least-squares fit:

* the simulated histogram is noisy, and ``E|h - m|²`` adds the simulation variance, which is
  smaller for mixtures (their components average different simulated stations) and so
  biases a plain fit towards fraud. The simulated replicates are split in two halves ``m1``,
  ``m2`` and ``sum w (h - m1)(h - m2)`` is used instead: its expectation has no simulation
  variance (the halves are independent);
* ``weighting="chi2"`` (the default) weights each bin by ``1 / max(h̃_b, 0.5/N)``, ``h̃`` the
  observed histogram smoothed by one bin (a Neyman chi-square). The fraud mechanisms are told
  apart from the clean cloud by where sparse stations lie (the smear to 100 % turnout, the
  empty corner of a clean election); plain least squares (``"uniform"``, the paper's choice)
  weights the dense main peak almost exclusively.

Deliberate changes to the paper's clean model (robustness fixes, see issue #9):

* **Correlation.** The paper draws clean turnout and share independently around (τ, ν).
  Real clean elections are tilted clouds: turnout and the leader's share are correlated
  (Poland 2025: r = 0.17 to 0.26 between logit turnout and the leading candidates' logit
  shares), and a model without correlation reads the tilt as incremental fraud, which also
  moves stations up and to the right. The clean part here is a bivariate normal on the logit
  scale with a fitted correlation ``rho`` (``clean="independent"`` restores the paper).
* **Station size.** Urban and rural stations differ in both turnout and preference, and
  their size tells them apart: in Poland 2025 the log of a station's registered voters
  correlates with logit turnout at r = 0.33 and with the candidates' logit shares at
  r = ±0.42; the turnout-share correlation left after removing it is 0.03 to 0.14. The clean
  centres therefore move linearly with the centred log registered voters (``beta_tau``,
  ``beta_nu``; ``size_effect=False`` removes them). The synthetic generator draws sizes
  independently of everything, so this costs nothing there.
* **Regional clean centres.** One clean cloud for the whole country is not elliptical where
  regions and municipalities differ (Poland 2025, round 1: the leader's share runs from 10 %
  in the rural east to 45 % in the cities), and the pooled model reads the shape as fraud
  (f_i = 0.09 on Poland round 1). Each station's clean centre is therefore shifted by the
  robust centre of its surroundings (``centres="commission"``, the default): the median of
  its region's stations plus the shrunk leave-one-out mean of the other stations of its
  commission (``sum / (n + 1)``), both counted only over stations below an upper edge
  above the national main peak. Both fraud mechanisms move stations up in turnout and share,
  so the side of the peak below it is clean; its root mean square distance from the peak
  ``s`` sets the edge ``peak + window·s`` in each coordinate (``window=2``), and stations
  pushed far up by fraud do not move their neighbours' centres. The station itself never enters its own centre.
  ``centres="region"`` uses the regional medians only, ``"pooled"`` none (the paper).
  Fraud that is uniform within a commission and small enough to stay inside the window is
  partly absorbed: regional heterogeneity and regionally organised moderate fraud look the
  same in a fingerprint, and this choice takes the first reading (see docs).
* **Measured, not searched.** The size slopes and the clean spreads are taken from the clean
  side of the peak (``spreads="clean_side"``): least-squares slopes on the relative log size,
  and the root mean square distance below the mode net of binomial noise. Searched, they trade
  against incremental fraud: a size slope stood in for the share spread on a synthetic
  election (f_i = 0.24 for a planted 0.3), and searched spreads narrow to a tight cloud
  around each commission on Poland's first round, whose tail is then read as fraud
  (f_i = 0.066; measured: 0.000). ``spreads="fitted"`` searches the spreads.
* **Smallest fraud.** Incremental fraud with ``theta`` small moves stations less than the
  clean spread and cannot be told from a slightly different clean cloud: with ``theta`` free
  down to 0.2, a fit trades ``f_i`` against ``theta`` and read a synthetic f_i = 0.3 as 0.94.
  ``theta`` is therefore bounded below by ``theta_bounds[0]`` (0.3), so ``f_i`` counts
  stations with fraud large enough to leave the main peak, and ``alpha`` by 1 (vote moving
  never larger than stuffing). The refinement starts at several points along the ridge where
  ``theta`` trades against ``f_i``.
* **Heavy tails** (``heavy_tails=True``, off by default): the clean normals are multiplied by
  ``exp(h·r²/4)`` (``r²`` their squared norm, ``h`` fitted in [0, 0.5]). It is off because it
  trades against incremental fraud in the same way.

Interval. A parametric bootstrap: ``n_boot`` elections are simulated from the fitted model
on the same stations and refitted (a local refit from the estimate); percentile intervals.

Reference: Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S. (2012). Statistical detection of
systematic election irregularities. PNAS 109(41), 16469-16473 (and its SI). See
docs/methods/klimek.md for the comparison with the published fits of Russia 2011 and 2012.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy import ndimage, optimize, special

from tallyscope._rng import RNGLike, check_rng
from tallyscope.methods._kernels.klimek import (
    N_NORMALS,
    bin_index,
    klimek_histograms,
    simulate_counts_numpy,
)
from tallyscope.methods._stations import StationData, station_data
from tallyscope.model import ANALYSED_KINDS, Election
from tallyscope.results import ConfidenceInterval, Estimate, _Serialisable

__all__ = ["KlimekModel", "KlimekResult", "klimek_fit"]

METHOD = "klimek"
#: What the fit does on elections whose truth is known; carried by every result.
CAVEAT = (
    "f_e (extreme fraud) is recovered on synthetic elections to within 0.003; f_i (incremental "
    "fraud) is within 0.05 of the truth in 11 of 13 100,000-station synthetic elections with "
    "the default n_sims=8 (simulation noise: the misses overestimate by 0.055 and 0.08) and in "
    "13 of 13 with n_sims=16, which however flags 8.5 % of clean 10,000-station elections "
    "(above 7 %; 5.5 % with 8); it depends on the clean model (commission centres, spreads "
    "measured below the peak, theta >= 0.3). On Poland's clean 2025 rounds f_i + f_e = 0.000 "
    "and 0.042, the second close to the 0.05 threshold. The interval is a "
    "parametric bootstrap: noise under the fitted model, not model error "
    "(docs/methods/klimek.md)."
)
REFERENCE = (
    "Klimek, Yegorov, Hanel & Thurner (2012), Statistical detection of systematic election "
    "irregularities, PNAS 109(41), 16469-16473"
)
CLEAN_MODELS = ("correlated", "independent")
CENTRES = ("commission", "region", "pooled")
SPREADS = ("clean_side", "fitted")
WEIGHTINGS = ("chi2", "uniform")
#: Names of the model parameters, in the order of the kernel's parameter vector.
PARAMS = (
    "tau", "sigma_tau", "nu", "sigma_nu", "rho", "beta_tau", "beta_nu", "theta", "alpha", "tail",
)  # fmt: skip
_THETA = PARAMS.index("theta")
#: Ranges searched for the clean parameters (logit scale; centres relative to the main peak).
_CENTRE_RANGE = (-1.0, 0.3)
_SIGMA_RANGE = (0.05, 1.5)
_RHO_RANGE = (-0.95, 0.95)
#: Range of the clean tail parameter ``h`` (0: normal).
_TAIL_BOUNDS = (0.0, 0.5)


@dataclasses.dataclass(frozen=True, slots=True)
class KlimekResult(_Serialisable):
    """Fitted fractions of incremental (``f_i``) and extreme (``f_e``) fraud, the fraud
    shape (``theta``, ``alpha``) and the clean model, each with its bootstrap interval.

    ``tau`` and ``nu`` are the clean median turnout and leader share (of valid votes) of a
    station of average (log) size, as fractions; ``sigma_tau``, ``sigma_nu`` and ``rho`` the
    clean spreads and correlation on the logit scale; ``beta_tau``, ``beta_nu`` the change of
    the clean logit centres per unit of log registered voters; ``tail`` the clean tail
    parameter ``h`` (0 unless ``heavy_tails``). ``tau`` and ``nu`` are for a station whose
    region and commission sit at the national centre (each station's centre is shifted by
    its surroundings', see ``centres``). ``fraud_detected`` is
    ``f_i + f_e > threshold``. ``discrepancy`` is the fitted model's, ``discrepancy_clean``
    that of the best model without fraud (refitted), so their ratio shows what the fraud
    components explain.
    """

    party: str
    f_i: Estimate
    f_e: Estimate
    theta: Estimate
    alpha: Estimate
    tau: Estimate
    nu: Estimate
    sigma_tau: Estimate
    sigma_nu: Estimate
    rho: Estimate
    beta_tau: Estimate
    beta_nu: Estimate
    tail: Estimate
    fraud_detected: bool
    threshold: float
    discrepancy: float
    discrepancy_clean: float
    stations_included: int
    excluded: dict[str, int]
    turnout_basis: str
    settings: dict[str, Any]
    seed: int | None
    bootstrap: np.ndarray
    method: str = METHOD
    reference: str = REFERENCE
    caveat: str = CAVEAT

    def to_dict(self) -> dict[str, Any]:
        out = _Serialisable.to_dict(self)
        del out["bootstrap"]
        out["n_boot"] = int(self.bootstrap.shape[0])
        return out


@dataclasses.dataclass(frozen=True, slots=True)
class _Spec:
    """Which parameters are free, their fixed values and the searched ranges."""

    free: np.ndarray  # bool mask over PARAMS
    fixed: np.ndarray  # values of the fixed parameters (natural scale)
    theta_bounds: tuple[float, float]
    alpha_bounds: tuple[float, float]

    def holding(self, **values: float) -> _Spec:
        """The same specification with the named parameters held at ``values``."""
        free, fixed = self.free.copy(), self.fixed.copy()
        for name, value in values.items():
            free[PARAMS.index(name)] = False
            fixed[PARAMS.index(name)] = value
        return dataclasses.replace(self, free=free, fixed=fixed)

    def natural(self, u: np.ndarray) -> np.ndarray:
        """Kernel parameters from the free unconstrained coordinates ``u``."""
        full = self.fixed.copy()
        values = np.empty(len(PARAMS))
        values[:] = np.nan
        values[self.free] = u
        for k, name in enumerate(PARAMS):
            if not self.free[k]:
                continue
            v = values[k]
            if name in ("sigma_tau", "sigma_nu"):
                v = math.exp(v)
            elif name == "rho":
                v = math.tanh(v)
            elif name in ("theta", "alpha", "tail"):
                lo, hi = self._range(name)
                v = lo + (hi - lo) / (1.0 + math.exp(-v))
            full[k] = v
        return full

    def _range(self, name: str) -> tuple[float, float]:
        if name == "theta":
            return self.theta_bounds
        return self.alpha_bounds if name == "alpha" else _TAIL_BOUNDS

    def unconstrained(self, params: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`natural` (free coordinates only)."""
        out = []
        for k, name in enumerate(PARAMS):
            if not self.free[k]:
                continue
            v = float(params[k])
            if name in ("sigma_tau", "sigma_nu"):
                v = math.log(v)
            elif name == "rho":
                v = math.atanh(max(min(v, 0.999), -0.999))
            elif name in ("theta", "alpha", "tail"):
                lo, hi = self._range(name)
                p = min(max((v - lo) / (hi - lo), 1e-6), 1 - 1e-6)
                v = math.log(p / (1.0 - p))
            out.append(v)
        return np.array(out)


class _Problem:
    """The discrepancy of one observed histogram against the model, on given stations."""

    def __init__(
        self,
        V: np.ndarray,
        q: np.ndarray,
        c: np.ndarray,
        observed: np.ndarray,
        spec: _Spec,
        *,
        n_sims: int,
        n_bins: int,
        weighting: str,
        extreme_sd: float,
        rng: np.random.Generator,
    ) -> None:
        self.V, self.q, self.c, self.spec = V, q, c, spec
        self.n_bins, self.extreme_sd = n_bins, extreme_sd
        self.h = observed.ravel() / observed.sum()
        half = max(1, n_sims // 2)
        self.halves = [
            rng.standard_normal((V.size, half, N_NORMALS), dtype=np.float32) for _ in range(2)
        ]
        self.norm = float(V.size * half)
        self.sw = np.sqrt(_weights(observed, weighting))
        self.evaluations = 0

    def components(self, params: np.ndarray) -> list[np.ndarray]:
        """The (clean, incremental, extreme) histograms of each half, as fractions."""
        return [
            klimek_histograms(self.V, self.q, self.c, z, params, self.n_bins, self.extreme_sd)
            .reshape(3, -1)
            .astype(np.float64)
            / self.norm
            for z in self.halves
        ]

    def terms(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``D(f) = c - 2 g·f + f'Qf``, the cross-half discrepancy as a function of f."""
        (C1, I1, E1), (C2, I2, E2) = self.components(params)
        sw = self.sw
        r1, r2 = (self.h - C1) * sw, (self.h - C2) * sw
        A1, B1, A2, B2 = (I1 - C1) * sw, (E1 - C1) * sw, (I2 - C2) * sw, (E2 - C2) * sw
        ab = 0.5 * (A1 @ B2 + B1 @ A2)
        g = 0.5 * np.array([r1 @ A2 + r2 @ A1, r1 @ B2 + r2 @ B1])
        Q = np.array([[A1 @ A2, ab], [ab, B1 @ B2]])
        return float(r1 @ r2), g, Q

    def solve(self, u: np.ndarray, *, clean_only: bool = False) -> tuple[float, float, float]:
        """(discrepancy, f_i, f_e) at the free coordinates ``u``."""
        self.evaluations += 1
        c, g, Q = self.terms(self.spec.natural(u))
        if clean_only:
            return c, 0.0, 0.0
        return _minimise_on_triangle(c, g, Q)

    def value(self, u: np.ndarray, clean_only: bool = False) -> float:
        return self.solve(u, clean_only=clean_only)[0]


def _weights(observed: np.ndarray, weighting: str) -> np.ndarray:
    if weighting == "uniform":
        return np.ones(observed.size)
    n = observed.sum()
    smooth = ndimage.gaussian_filter(observed.astype(np.float64) / n, 1.0, mode="constant")
    return 1.0 / np.maximum(smooth.ravel(), 0.5 / n)


def _minimise_on_triangle(c: float, g: np.ndarray, Q: np.ndarray) -> tuple[float, float, float]:
    """Minimise ``c - 2 g·f + f'Qf`` over ``f >= 0, f_i + f_e <= 1`` (Q may be indefinite)."""
    candidates = [np.zeros(2), np.array([1.0, 0.0]), np.array([0.0, 1.0])]
    for k in (0, 1):  # the edges f_e = 0 and f_i = 0
        if Q[k, k] > 0:
            f = np.zeros(2)
            f[k] = min(max(g[k] / Q[k, k], 0.0), 1.0)
            candidates.append(f)
    d = np.array([-1.0, 1.0])  # the edge f_i + f_e = 1: f = (1 - t, t)
    e0 = np.array([1.0, 0.0])
    curvature = d @ Q @ d
    if curvature > 0:
        t = min(max((d @ g - d @ Q @ e0) / curvature, 0.0), 1.0)
        candidates.append(e0 + t * d)
    det = Q[0, 0] * Q[1, 1] - Q[0, 1] * Q[1, 0]
    if Q[0, 0] > 0 and det > 0:
        f = np.linalg.solve(Q, g)
        if f[0] >= 0 and f[1] >= 0 and f.sum() <= 1:
            candidates.append(f)
    values = [c - 2.0 * g @ f + f @ Q @ f for f in candidates]
    best = int(np.argmin(values))
    return float(values[best]), float(candidates[best][0]), float(candidates[best][1])


def _select(data: StationData, min_registered: int) -> StationData:
    data = data.subset(
        max(1, min_registered) <= data.V, f"fewer than {max(1, min_registered)} registered voters"
    )
    data = data.subset(data.R > 0, "no valid or invalid ballots")
    data = data.subset(data.G <= data.V, "turnout above 100 %")
    data = data.subset(data.valid <= data.R, "more valid than cast ballots")
    return data.subset((data.L >= 0) & (data.valid >= data.L), "party votes outside [0, valid]")


def _starts(best: np.ndarray, spec: _Spec, k: int) -> list[np.ndarray]:
    """Starting points of the refinement: the search's best and, with ``theta`` free, up to
    ``k - 1`` copies of it with ``theta`` spread over the lowest 30 % of its range.

    Incremental fraud is weakly identified along a ridge where a larger ``theta`` (fraud per
    station) trades against a smaller ``f_i``, and Nelder-Mead on the rough discrepancy stops
    where it lands on that ridge; the refinement therefore starts at several points along it.
    """
    starts = [best]
    if not spec.free[_THETA] or k < 2:
        return starts
    lo, hi = spec.theta_bounds
    params = spec.natural(best)
    for fraction in np.linspace(0.0, 0.3, k - 1):
        params[_THETA] = lo + fraction * (hi - lo) + 1e-3
        u = spec.unconstrained(params)
        if np.max(np.abs(u - best)) > 0.05:
            starts.append(u)
    return starts


def _clean_spreads(resid: np.ndarray, data: StationData) -> tuple[float, float]:
    """Clean spreads of logit turnout and share from the side of the peak fraud does not reach.

    ``resid`` are the stations' logits net of their surroundings and size. In each coordinate
    the root mean square distance below the mode (smoothed histogram, bins of 0.01) measures
    the clean spread plus the binomial noise of the counts; the mean binomial variance of the
    empirical logit, ``1/(n·p·(1 - p))``, is subtracted (the kernel adds it back).
    """
    edges = np.linspace(-6.0, 6.0, 1201)
    middles = 0.5 * (edges[:-1] + edges[1:])
    out = []
    for k, (count, total) in enumerate(((data.G, data.V), (data.L, data.valid))):
        r = resid[:, k]
        counts, _ = np.histogram(r, bins=edges)
        mode = middles[np.argmax(ndimage.gaussian_filter1d(counts.astype(np.float64), 5.0))]
        observed = _spread_below(r, mode) ** 2
        p = np.clip((count + 0.5) / (total + 1.0), 1e-3, 1.0 - 1e-3)
        noise = float(np.mean(1.0 / (np.maximum(total, 1) * p * (1.0 - p))))
        out.append(math.sqrt(max(observed - noise, _SIGMA_RANGE[0] ** 2)))
    return out[0], out[1]


def _histogram(bins: tuple[np.ndarray, np.ndarray], n_bins: int) -> np.ndarray:
    """Station counts per (turnout bin, share bin)."""
    out = np.zeros((n_bins, n_bins), dtype=np.int64)
    np.add.at(out, bins, 1)
    return out


def _main_peak(data: StationData) -> tuple[float, float]:
    """Logit turnout and share at the top of the smoothed fingerprint (the main peak)."""
    lt, ls = data.empirical_logits().T
    edges = np.linspace(-6.0, 6.0, 121)
    counts, _, _ = np.histogram2d(lt, ls, bins=[edges, edges])
    i, j = np.unravel_index(np.argmax(ndimage.gaussian_filter(counts, 2.0)), counts.shape)
    centres = 0.5 * (edges[:-1] + edges[1:])
    return float(centres[i]), float(centres[j])


#: Pseudo-count of the shrinkage of a region's or commission's centre towards the level above
#: (about the ratio of station to commission variance on Poland 2025, 0.36² / 0.5²).
_SHRINK = 1.0


def _clean_side(data: StationData, peak: tuple[float, float], window: float) -> np.ndarray:
    """Stations below the upper edge of the main peak: the side fraud does not reach.

    Both fraud mechanisms move stations up in turnout and share, so the side of the main peak
    below it in each coordinate is clean. Its root mean square distance from the peak, ``s``,
    sets the upper edge ``peak + window·s``; nothing is cut below (stations there are not
    fraud's product, and cutting them would bias low-share regions' centres up).
    """
    inside = np.ones(data.n, dtype=bool)
    for x, centre in zip(data.empirical_logits().T, peak, strict=True):
        inside &= x - centre <= window * max(_spread_below(x, centre), 0.05)
    return inside


def _spread_below(x: np.ndarray, centre: float) -> float:
    """Root mean square distance from ``centre`` of the values below it (0.5 if none)."""
    below = x[x < centre]
    return math.sqrt(float(np.mean((below - centre) ** 2))) if below.size else 0.5


def _clean_offsets(
    data: StationData, values: np.ndarray, inside: np.ndarray, level: str
) -> np.ndarray:
    """Each station's surroundings: its region's robust centre of ``values`` (columns, e.g.
    logit turnout and share) minus the national one, ``(n, k)``; zero for ``"pooled"``.

    A region's centre is the median of its stations on the clean side (``inside``; stations
    pushed far up by fraud do not count), shrunk towards the national median of those by
    ``n/(n + 1)`` (``n`` the region's such stations; 0 for a region with none). With ``level
    = "commission"`` the leave-one-out mean of the other clean-side stations of the station's
    commission, relative to its region's, is added, shrunk the same way.
    """
    out = np.zeros_like(values, dtype=np.float64)
    if level == "pooled" or not inside.any():
        return out
    national = np.median(values[inside], axis=0)
    for r in np.unique(data.region):
        here = data.region == r
        sel = here & inside
        n = int(np.count_nonzero(sel))
        if n == 0:
            continue
        centre = np.median(values[sel], axis=0)
        out[here] = (centre - national) * (n / (n + _SHRINK))
    if level == "commission":
        out += _commission_offsets(data.commission, values - national - out, inside)
    return out


def _size_slopes(y: np.ndarray, size: np.ndarray, inside: np.ndarray) -> tuple[float, float]:
    """Least-squares slopes of the clean-side stations' logit turnout and share (net of their
    surroundings, ``y``) on their relative log size."""
    x = size[inside] - size[inside].mean()
    denominator = float(x @ x)
    if denominator <= 0:
        return 0.0, 0.0
    slopes = x @ (y[inside] - y[inside].mean(axis=0)) / denominator
    return float(slopes[0]), float(slopes[1])


def _commission_offsets(commission: np.ndarray, resid: np.ndarray, inside: np.ndarray):
    """Leave-one-out, shrunk means of ``resid`` over the other in-window stations of each
    station's commission: ``sum / (n + 1)`` over those ``n`` stations."""
    codes = np.unique(commission, return_inverse=True)[1].ravel()
    w = inside.astype(np.float64)
    n = np.bincount(codes, weights=w)[codes] - w
    out = np.empty_like(resid)
    for k in range(resid.shape[1]):
        total = np.bincount(codes, weights=w * resid[:, k])[codes] - w * resid[:, k]
        out[:, k] = total / (n + _SHRINK)
    return out


class KlimekModel:
    """The Klimek et al. (2012) model of incremental and extreme fraud, as an estimator.

    ``KlimekModel(n_sims=16, rng=0).fit(election).result()``. Hyperparameters (stored as
    given, checked by :meth:`fit`):

    * ``n_sims``: simulated copies of the election per evaluation (even, >= 2; they form the
      two independent halves of the discrepancy);
    * ``bin_width``: width of the histogram bins (fractions of 1; ``1/bin_width`` bins per
      axis);
    * ``alpha``, ``theta``: fixed values, or ``None`` to fit them within ``alpha_bounds`` and
      ``theta_bounds``;
    * ``clean``: ``"correlated"`` (bivariate normal on the logit scale with a fitted
      correlation) or ``"independent"`` (the paper's); ``size_effect``: clean centres move
      with the log of the station's registered voters (slopes measured on the clean side of
      the peak); ``spreads``: ``"clean_side"`` (the clean spreads measured below the peak) or
      ``"fitted"`` (searched); ``heavy_tails``: fit the clean tail parameter ``h`` (else 0,
      normal);
    * ``centres``: ``"commission"`` (region median plus leave-one-out commission mean),
      ``"region"`` or ``"pooled"`` clean centres; ``window``: half-width of the window around
      the main peak that the centres are computed in, in units of the peak's lower spread;
    * ``weighting``: ``"chi2"`` or ``"uniform"`` (plain least squares) over bins;
    * ``extreme_sd``: the spread of ``1 - x`` under extreme fraud (0.075 in the paper);
    * ``n_boot``, ``level``: parametric bootstrap refits and the interval's level;
    * ``threshold``: ``f_i + f_e`` above which ``fraud_detected`` is reported;
    * ``search_stations``, ``search_generations``, ``polish_evaluations``, ``starts``,
      ``boot_evaluations``: the effort of the global search (differential evolution on at most
      ``search_stations`` stations), of the refinement on all stations (Nelder-Mead from
      ``starts`` points along the ``theta`` ridge, each for at most ``polish_evaluations``)
      and of each bootstrap refit;
    * ``min_registered``: stations with fewer registered voters are left out;
    * ``rng``: seed or Generator for every random draw.

    Learned attributes end in ``_``: ``f_i_``, ``f_e_``, ``params_`` (dict of the fitted
    model parameters), ``ci_`` (dict of intervals), ``discrepancy_``,
    ``discrepancy_clean_``, ``histogram_`` (observed station counts, turnout bins × share
    bins), ``model_histogram_`` (the fitted model's expected counts), ``bootstrap_``,
    ``party_``, ``n_stations_``, ``excluded_``, ``turnout_basis_``, ``seed_``, ``offsets_``
    (each station's clean-centre offsets, logit turnout and share).
    """

    def __init__(
        self,
        *,
        n_sims: int = 8,
        bin_width: float = 0.01,
        alpha: float | None = None,
        theta: float | None = None,
        clean: str = "correlated",
        size_effect: bool = True,
        spreads: str = "clean_side",
        heavy_tails: bool = False,
        centres: str = "commission",
        window: float = 2.0,
        weighting: str = "chi2",
        theta_bounds: tuple[float, float] = (0.3, 1.0),
        alpha_bounds: tuple[float, float] = (1.0, 4.0),
        extreme_sd: float = 0.075,
        n_boot: int = 20,
        level: float = 0.95,
        threshold: float = 0.05,
        search_stations: int = 30_000,
        search_generations: int = 40,
        polish_evaluations: int = 800,
        starts: int = 4,
        boot_evaluations: int = 250,
        min_registered: int = 1,
        rng: RNGLike = None,
    ) -> None:
        self.n_sims = n_sims
        self.bin_width = bin_width
        self.alpha = alpha
        self.theta = theta
        self.clean = clean
        self.size_effect = size_effect
        self.spreads = spreads
        self.heavy_tails = heavy_tails
        self.centres = centres
        self.window = window
        self.weighting = weighting
        self.theta_bounds = theta_bounds
        self.alpha_bounds = alpha_bounds
        self.extreme_sd = extreme_sd
        self.n_boot = n_boot
        self.level = level
        self.threshold = threshold
        self.search_stations = search_stations
        self.search_generations = search_generations
        self.polish_evaluations = polish_evaluations
        self.starts = starts
        self.boot_evaluations = boot_evaluations
        self.min_registered = min_registered
        self.rng = rng

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters, as given to ``__init__``."""
        return {name: getattr(self, name) for name in _HYPERPARAMETERS}

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items() if v != _DEFAULTS[k] or k == "rng"}
        inner = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"KlimekModel({inner})"

    # -- fitting ------------------------------------------------------------------------
    def _check(self) -> tuple[int, _Spec]:
        if not isinstance(self.n_sims, int | np.integer) or self.n_sims < 2 or self.n_sims % 2:
            raise ValueError(f"n_sims must be an even integer >= 2, not {self.n_sims!r}")
        if not 0.002 <= float(self.bin_width) <= 0.25:
            raise ValueError(f"bin_width must be in [0.002, 0.25], not {self.bin_width!r}")
        n_bins = int(round(1.0 / float(self.bin_width)))
        if abs(n_bins * float(self.bin_width) - 1.0) > 1e-6:
            raise ValueError(
                f"bin_width must divide 1 (0.01, 0.02, 0.05, ...), not {self.bin_width!r}"
            )
        if self.clean not in CLEAN_MODELS:
            raise ValueError(f"clean must be one of {CLEAN_MODELS}, not {self.clean!r}")
        if self.spreads not in SPREADS:
            raise ValueError(f"spreads must be one of {SPREADS}, not {self.spreads!r}")
        if self.centres not in CENTRES:
            raise ValueError(f"centres must be one of {CENTRES}, not {self.centres!r}")
        if not 0.5 <= float(self.window) <= 10.0:
            raise ValueError(f"window must be in [0.5, 10], not {self.window!r}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {self.weighting!r}")
        lo, hi = (float(b) for b in self.theta_bounds)
        if not 0.0 < lo < hi <= 1.0:
            raise ValueError(
                f"theta_bounds must satisfy 0 < low < high <= 1, not {self.theta_bounds!r}"
            )
        alo, ahi = (float(b) for b in self.alpha_bounds)
        if not 0.0 < alo < ahi:
            raise ValueError(f"alpha_bounds must satisfy 0 < low < high, not {self.alpha_bounds!r}")
        if self.theta is not None and not 0.0 < float(self.theta) <= 1.0:
            raise ValueError(f"theta must be in (0, 1] or None, not {self.theta!r}")
        if self.alpha is not None and not float(self.alpha) > 0.0:
            raise ValueError(f"alpha must be positive or None, not {self.alpha!r}")
        if not 0.0 < float(self.extreme_sd) < 1.0:
            raise ValueError(f"extreme_sd must be in (0, 1), not {self.extreme_sd!r}")
        if self.n_boot < 0:
            raise ValueError(f"n_boot must be >= 0, not {self.n_boot!r}")
        if not 0.0 < float(self.level) < 1.0:
            raise ValueError(f"level must be in (0, 1), not {self.level!r}")
        if self.starts < 1:
            raise ValueError(f"starts must be >= 1, not {self.starts!r}")
        if self.search_stations < 100 or self.search_generations < 1:
            raise ValueError("search_stations must be >= 100 and search_generations >= 1")
        free = np.ones(len(PARAMS), dtype=bool)
        free[[PARAMS.index("beta_tau"), PARAMS.index("beta_nu")]] = False  # measured by fit()
        fixed = np.zeros(len(PARAMS))
        if self.clean == "independent":
            free[PARAMS.index("rho")] = False
        if not self.heavy_tails:
            free[PARAMS.index("tail")] = False
        if self.theta is not None:
            free[PARAMS.index("theta")] = False
            fixed[PARAMS.index("theta")] = float(self.theta)
        if self.alpha is not None:
            free[PARAMS.index("alpha")] = False
            fixed[PARAMS.index("alpha")] = float(self.alpha)
        return n_bins, _Spec(free, fixed, (lo, hi), (alo, ahi))

    def fit(
        self,
        election: Election,
        party: str | None = None,
        kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    ) -> KlimekModel:
        """Fit the model to ``election`` (``party`` defaults to the leader); returns self.

        Stations enter with registered voters (at least ``min_registered``), ballots cast,
        turnout <= 100 % and consistent counts; the others are counted in ``excluded_``.
        """
        n_bins, spec = self._check()
        seed = self.rng if isinstance(self.rng, int | np.integer) else None
        rng = check_rng(self.rng)
        data = _select(station_data(election, party=party, kinds=kinds), int(self.min_registered))
        if data.n < 50:
            raise ValueError(f"the Klimek fit needs at least 50 stations, {data.n} are left")
        V = data.V.astype(np.int64)
        q = 1.0 - data.valid / data.R
        peak = _main_peak(data)
        inside = _clean_side(data, peak, float(self.window))
        logits = np.column_stack([data.empirical_logits(), np.log(V)])
        offsets = _clean_offsets(data, logits, inside, self.centres)
        c = np.zeros((data.n, 3))
        c[:, 0] = logits[:, 2] - offsets[:, 2]  # log size relative to the surroundings
        c[:, 0] -= c[:, 0].mean()
        c[:, 1:] = offsets[:, :2]
        # the size slopes are estimated on the clean side, not searched: free, they trade
        # against the clean spread and incremental fraud (docs/methods/klimek.md)
        resid = logits[:, :2] - offsets[:, :2]
        slopes = _size_slopes(resid, c[:, 0], inside) if self.size_effect else (0.0, 0.0)
        spec = spec.holding(beta_tau=slopes[0], beta_nu=slopes[1])
        if self.spreads == "clean_side":
            # likewise the clean spreads: fitted, they widen to absorb incremental fraud
            resid -= np.outer(c[:, 0], slopes)
            spreads = _clean_spreads(resid, data)
            spec = spec.holding(sigma_tau=spreads[0], sigma_nu=spreads[1])
        bins = (bin_index(data.G, V, n_bins), bin_index(data.L, data.R, n_bins))
        observed = _histogram(bins, n_bins)

        problem, u, discrepancy, f_i, f_e = self._estimate(V, q, c, bins, spec, n_bins, peak, rng)
        params = spec.natural(u)
        clean = optimize.minimize(
            problem.value,
            u,
            args=(True,),
            method="Nelder-Mead",
            options=self._nm_options(u, self.boot_evaluations),
        )
        model_hist = self._expected(problem, params, f_i, f_e) * data.n
        boot = self._bootstrap(V, q, c, spec, n_bins, u, params, f_i, f_e, rng)

        self.party_ = data.party
        self.n_stations_ = data.n
        self.excluded_ = dict(data.excluded)
        self.turnout_basis_ = data.turnout_basis
        self.seed_ = None if seed is None else int(seed)
        self.f_i_, self.f_e_ = f_i, f_e
        self.params_ = {name: float(v) for name, v in zip(PARAMS, params, strict=True)}
        self.free_ = {name: bool(k) for name, k in zip(PARAMS, spec.free, strict=True)}
        self.discrepancy_ = float(discrepancy)
        self.discrepancy_clean_ = float(min(clean.fun, problem.value(u, True)))
        self.histogram_ = observed
        self.model_histogram_ = model_hist
        self.bootstrap_ = boot
        self.n_bins_ = n_bins
        self.offsets_ = c[:, 1:].copy()
        return self

    def _problem(self, V, q, c, observed, spec, n_bins, rng, n_sims=None) -> _Problem:
        return _Problem(
            V, q, c, observed, spec,
            n_sims=self.n_sims if n_sims is None else n_sims,
            n_bins=n_bins,
            weighting=self.weighting,
            extreme_sd=float(self.extreme_sd),
            rng=rng,
        )  # fmt: skip

    @staticmethod
    def _nm_options(u: np.ndarray, maxfev: int, step: float = 0.05) -> dict[str, Any]:
        simplex = np.vstack([u, u + step * np.eye(u.size)])
        return {"initial_simplex": simplex, "maxfev": int(maxfev), "xatol": 1e-4, "fatol": 1e-14}

    def _bounds(self, spec: _Spec, peak: tuple[float, float]) -> list[tuple[float, float]]:
        ranges = {
            "tau": (peak[0] + _CENTRE_RANGE[0], peak[0] + _CENTRE_RANGE[1]),
            "nu": (peak[1] + _CENTRE_RANGE[0], peak[1] + _CENTRE_RANGE[1]),
            "sigma_tau": tuple(math.log(s) for s in _SIGMA_RANGE),
            "sigma_nu": tuple(math.log(s) for s in _SIGMA_RANGE),
            "rho": tuple(math.atanh(r) for r in _RHO_RANGE),
            "theta": (-4.0, 4.0),
            "alpha": (-4.0, 4.0),
            "tail": (-4.0, 4.0),
        }
        return [ranges[name] for k, name in enumerate(PARAMS) if spec.free[k]]

    def _estimate(self, V, q, c, bins, spec, n_bins, peak, rng):
        """Global search on a subsample, then refinement on all stations."""
        n = V.size
        pick = np.arange(n)
        if n > self.search_stations:
            pick = np.sort(rng.choice(n, size=int(self.search_stations), replace=False))
        sub = (bins[0][pick], bins[1][pick])
        search = self._problem(
            V[pick], q[pick], c[pick], _histogram(sub, n_bins), spec, n_bins, rng, n_sims=2
        )
        found = optimize.differential_evolution(
            search.value,
            self._bounds(spec, peak),
            maxiter=int(self.search_generations),
            popsize=8,
            tol=1e-3,
            seed=int(rng.integers(2**32)),
            init="sobol",
            polish=False,
        )
        problem = self._problem(V, q, c, _histogram(bins, n_bins), spec, n_bins, rng)
        # the discrepancy is rough (binned simulations) and Nelder-Mead stops in the nearest
        # dip: refine from several points along the theta ridge on all stations, keep the best
        best = None
        for start in _starts(found.x, spec, int(self.starts)):
            refined = optimize.minimize(
                problem.value,
                start,
                method="Nelder-Mead",
                options=self._nm_options(start, self.polish_evaluations),
            )
            if best is None or refined.fun < best.fun:
                best = refined
        value, f_i, f_e = problem.solve(best.x)
        return problem, best.x, value, f_i, f_e

    @staticmethod
    def _expected(problem: _Problem, params: np.ndarray, f_i: float, f_e: float) -> np.ndarray:
        """The model's expected histogram (fractions of stations), both halves averaged."""
        weights = np.array([1.0 - f_i - f_e, f_i, f_e])
        halves = problem.components(params)
        mean = sum(weights @ h for h in halves) / len(halves)
        return mean.reshape(problem.n_bins, problem.n_bins)

    def _bootstrap(self, V, q, c, spec, n_bins, u, params, f_i, f_e, rng) -> np.ndarray:
        """Parametric bootstrap: elections simulated from the fitted model on the same
        stations, each refitted from the estimate (Nelder-Mead, ``boot_evaluations``)."""
        rows = np.empty((int(self.n_boot), len(_BOOT_COLUMNS)))
        index = np.arange(V.size)
        for b in range(int(self.n_boot)):
            z = rng.standard_normal((V.size, 1, N_NORMALS))
            G, L = simulate_counts_numpy(V, q, c, z, params, float(self.extreme_sd))
            draw = rng.random(V.size)
            state = np.where(draw < f_i, 1, np.where(draw < f_i + f_e, 2, 0))
            G, L = G[state, index], L[state, index]
            keep = G > 0
            bins = (bin_index(G[keep], V[keep], n_bins), bin_index(L[keep], G[keep], n_bins))
            problem = self._problem(
                V[keep], q[keep], c[keep], _histogram(bins, n_bins), spec, n_bins, rng
            )
            refit = optimize.minimize(
                problem.value,
                u,
                method="Nelder-Mead",
                options=self._nm_options(u, self.boot_evaluations),
            )
            _, fi_b, fe_b = problem.solve(refit.x)
            rows[b, :2] = fi_b, fe_b
            rows[b, 2:] = spec.natural(refit.x)
        return rows

    # -- results ------------------------------------------------------------------------
    def result(self) -> KlimekResult:
        """The fitted model as a :class:`KlimekResult` (after :meth:`fit`)."""
        if not hasattr(self, "f_i_"):
            raise ValueError("this KlimekModel is not fitted yet: call fit(election) first")
        level = float(self.level)
        boot = self.bootstrap_
        values = {"f_i": self.f_i_, "f_e": self.f_e_, **self.params_}
        measured = {
            name: how
            for name, how in _MEASURED.items()
            if (self.size_effect if name.startswith("beta") else self.spreads == "clean_side")
        }
        estimates = {}
        for k, name in enumerate(_BOOT_COLUMNS):
            free = name in ("f_i", "f_e") or self.free_[name]
            ci = None
            if free and boot.shape[0] >= 2:
                lo, hi = np.quantile(boot[:, k], [(1 - level) / 2, (1 + level) / 2])
                ci = ConfidenceInterval(float(lo), float(hi), level)
            how = (
                "parametric bootstrap, percentile"
                if ci is not None
                else ("fitted" if free else measured.get(name, "fixed"))
            )
            value = float(values[name])
            if name in ("tau", "nu"):  # logit centres -> fractions
                value = float(special.expit(value))
                if ci is not None:
                    ci = ConfidenceInterval(
                        float(special.expit(ci.low)), float(special.expit(ci.high)), level
                    )
            estimates[name] = Estimate(value, ci, how)
        settings = {k: v for k, v in self.get_params().items() if k != "rng"}
        settings["n_bins"] = self.n_bins_
        settings["theta_bounds"] = list(self.theta_bounds)
        settings["alpha_bounds"] = list(self.alpha_bounds)
        return KlimekResult(
            party=self.party_,
            **estimates,
            fraud_detected=bool(self.f_i_ + self.f_e_ > float(self.threshold)),
            threshold=float(self.threshold),
            discrepancy=self.discrepancy_,
            discrepancy_clean=self.discrepancy_clean_,
            stations_included=self.n_stations_,
            excluded=self.excluded_,
            turnout_basis=self.turnout_basis_,
            settings=settings,
            seed=self.seed_,
            bootstrap=boot,
        )


#: How the parameters measured on the clean side of the peak (not searched) are set.
_MEASURED = {
    "beta_tau": "least squares on the clean side of the peak",
    "beta_nu": "least squares on the clean side of the peak",
    "sigma_tau": "spread below the peak, net of binomial noise",
    "sigma_nu": "spread below the peak, net of binomial noise",
}
#: Columns of ``bootstrap_``: the fractions, then the model parameters.
_BOOT_COLUMNS = ("f_i", "f_e", *PARAMS)
_HYPERPARAMETERS = (
    "n_sims", "bin_width", "alpha", "theta", "clean", "size_effect", "spreads", "heavy_tails", "centres", "window",
    "weighting",
    "theta_bounds", "alpha_bounds", "extreme_sd", "n_boot", "level", "threshold",
    "search_stations", "search_generations", "polish_evaluations", "starts", "boot_evaluations",
    "min_registered", "rng",
)  # fmt: skip
_DEFAULTS = {name: KlimekModel.__init__.__kwdefaults__[name] for name in _HYPERPARAMETERS}


def klimek_fit(
    election: Election,
    *,
    party: str | None = None,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    **kwargs: Any,
) -> KlimekResult:
    """Fit :class:`KlimekModel` (``kwargs`` are its hyperparameters) and return its result.

    >>> result = klimek_fit(tallyscope.load("ru-2011-duma"), rng=0)  # doctest: +SKIP
    >>> result.f_i.value, result.f_e.value  # doctest: +SKIP
    """
    return KlimekModel(**kwargs).fit(election, party=party, kinds=kinds).result()
