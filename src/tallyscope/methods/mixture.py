"""Finite-mixture fraud model: every station is clean, incrementally or extremely frauded.

The eforensics family of Mebane (2016) and Ferrari, McAlister & Mebane (2018), fitted by EM.
A station's clean turnout ``tau`` and party share ``nu`` are logit-normal around a centre that
depends on its region and on fraud-free context (station and commission size, and the mean
turnout and share of the *other* stations of its commission, each weighted by its fitted
probability of being clean, or their plain median), with a full covariance, so the clean class
may tilt turnout against share as real clean elections do. Fraud then turns a
fraction ``m`` of the clean abstainers into ballots for the party (manufactured votes) and a
fraction ``s = m**alpha`` of the other ballots into votes for it (stolen votes): incremental
fraud has ``m`` half-normal on (0, 0.7) as in Klimek et al. (2012), extreme fraud has ``1 - m``
half-normal on (0, 0.3). The counts are multinomial given ``(tau, nu, m, s)``; each station's
likelihood integrates the clean latent out by Gauss-Hermite quadrature; the clean distribution
is estimated with each station weighted by its probability of not being extremely frauded. The
model is written out in ``docs/methods/mixture.md``.

Intervals come from an approximate sampling distribution of all the parameters, the clean
centres' region effects and slopes included (normal, centred at the maximum, with a
commission-clustered sandwich covariance), combined with each station's posterior uncertainty
about its own fraudulent votes.

References: Mebane, W. R. (2016). Election forensics: frauds tests and observation-level
frauds probabilities. Annual Meeting of the Midwest Political Science Association, Chicago.
Ferrari, D., McAlister, K. & Mebane, W. R. (2018). Developments in positive empirical models
of election frauds: dimensions and decisions. Summer Meeting of the Political Methodology
Society, Provo. Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S. (2012). Statistical detection
of systematic election irregularities. PNAS 109(41), 16469-16473. Varadhan, R. & Roland, C.
(2008). Simple and globally convergent methods for accelerating the convergence of any EM
algorithm. Scandinavian Journal of Statistics 35(2), 335-353.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from scipy import optimize, special, stats

from tallyscope._rng import RNGLike, check_rng
from tallyscope.exceptions import ConvergenceWarning, NotApplicableError, TallyscopeError
from tallyscope.methods._kernels.mixture import (
    loo_group_median,
    mixture_nodes,
    mixture_pass,
    node_rule,
)
from tallyscope.methods._stations import StationData, station_data
from tallyscope.model import ANALYSED_KINDS, Election
from tallyscope.results import ConfidenceInterval, Estimate, _Serialisable

__all__ = ["MixtureModel", "MixtureResult", "mixture_fit"]

METHOD = "mixture"
REFERENCE = (
    "Mebane (2016), Election forensics: frauds tests and observation-level frauds "
    "probabilities; Ferrari, McAlister & Mebane (2018), Developments in positive empirical "
    "models of election frauds: dimensions and decisions"
)
CLASSES = ("clean", "incremental", "extreme")
#: What the model does on a known clean election; carried by every result (docs/methods/mixture.md).
CAVEAT = (
    "On Poland's clean 2025 first round this model puts 8.5 % of stations in the incremental "
    "class (2.4 % of Trzaskowski's votes): high-turnout stations that lean to one candidate "
    "look like incremental fraud to it. Read its fraud classes as departures from a normal "
    "clean cloud around each commission, not as proof of fraud. Fraud spread alike over all "
    "the stations of a commission becomes that commission's clean level and is not counted. "
    "On synthetic elections with 10 % incremental fraud its interval covers the planted total "
    "in 28 of 30 seeds at 100,000 stations and 46 of 50 at 20,000."
)
CONTEXTS = ("commission", "commission-weighted", "region", "national")

#: Bins of 1 - m for extreme fraud (finer towards m = 1, where abstention vanishes).
_EXTREME_EDGES = (0.3, 0.15, 0.07, 0.03, 0.01, 0.0)
_INCREMENTAL_BINS = 7
_THETA_E_BOUNDS = (0.005, 1.0)
_THETA_I_MAX = 3.0
_CLAMP = 30.0
_MIN_STATIONS = 50


# ---------------------------------------------------------------------------------------------
# Result


@dataclasses.dataclass(frozen=True, slots=True)
class MixtureResult(_Serialisable):
    """A fitted finite-mixture fraud model.

    ``pi`` holds the national class probabilities (``clean``, ``incremental``, ``extreme``),
    ``fraudulent_votes`` the votes fraud added to the party (manufactured plus stolen) and
    ``fraudulent_share`` the same as a share of the party's votes in the analysed stations.
    Values are maximum-likelihood estimates; intervals are quantiles of the approximate
    posterior described in ``docs/methods/mixture.md``.
    ``parameters`` holds the fitted fraud magnitudes and clean distribution, ``posterior`` the
    diagnostics of the interval (draws, and the standard deviation of the fraudulent votes due
    to the national parameters and to the stations). The per-station class probabilities are in
    :meth:`station_probabilities` (kept out of ``to_dict``).
    """

    party: str
    stations_included: int
    excluded: dict[str, int]
    pi: dict[str, Estimate]
    fraudulent_votes: Estimate
    fraudulent_share: Estimate
    party_votes: int
    parameters: dict[str, Any]
    posterior: dict[str, Any]
    log_likelihood: float
    iterations: int
    converged: bool
    turnout_basis: str
    settings: dict[str, Any]
    seed: int | None
    stations: pl.DataFrame = dataclasses.field(repr=False, compare=False)
    method: str = METHOD
    reference: str = REFERENCE
    caveat: str = CAVEAT

    def to_dict(self) -> dict[str, Any]:
        out = _Serialisable.to_dict(self)
        out.pop("stations")
        return out

    def station_probabilities(self) -> pl.DataFrame:
        """One row per analysed station: identifiers, counts, the posterior probability of
        each class and the expected fraudulent votes."""
        return self.stations

    def write_station_probabilities(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`station_probabilities` to ``path`` (Parquet for ``.parquet``, CSV
        otherwise) and return the path."""
        path = Path(path)
        if path.suffix.lower() == ".parquet":
            self.stations.write_parquet(path)
        else:
            self.stations.write_csv(path)
        return path


# ---------------------------------------------------------------------------------------------
# Model structure: components, their weights, the clean centres


@dataclasses.dataclass(frozen=True)
class _Grid:
    """The mixture components: class, manufactured fraction m, stolen fraction s, the bin of m
    and the alpha of s = m**alpha."""

    cls: np.ndarray
    m: np.ndarray
    s: np.ndarray
    bin: np.ndarray
    alpha: np.ndarray
    centres: tuple[np.ndarray, np.ndarray]  # bin centres of m (incremental), 1 - m (extreme)
    widths: tuple[np.ndarray, np.ndarray]
    alphas: tuple[float, ...]

    @classmethod
    def build(cls, k: float, alphas: tuple[float, ...]) -> _Grid:
        inc_edges = np.linspace(0.0, k, _INCREMENTAL_BINS + 1)
        ext_edges = np.array(_EXTREME_EDGES) * (1.0 - k) / 0.3
        inc_c, inc_w = (inc_edges[1:] + inc_edges[:-1]) / 2, np.diff(inc_edges)
        ext_c, ext_w = (ext_edges[1:] + ext_edges[:-1]) / 2, -np.diff(ext_edges)
        rows = [(0, 0.0, 0.0, 0, 0)]
        for c, ms in ((1, inc_c), (2, 1.0 - ext_c)):
            for b, m in enumerate(ms):
                rows.extend((c, m, m**a, b, j) for j, a in enumerate(alphas))
        table = np.array(rows, dtype=float)
        return cls(
            cls=table[:, 0].astype(np.int64),
            m=table[:, 1],
            s=table[:, 2],
            bin=table[:, 3].astype(np.int64),
            alpha=table[:, 4].astype(np.int64),
            centres=(inc_c, ext_c),
            widths=(inc_w, ext_w),
            alphas=tuple(alphas),
        )


@dataclasses.dataclass
class _Weights:
    """The national mixture weights: class probabilities, magnitude scales and alpha weights."""

    pi: np.ndarray  # (3,)
    theta: np.ndarray  # (2,) incremental scale of m, extreme scale of 1 - m
    v: np.ndarray  # (2, n_alpha)

    def log_q(self, grid: _Grid) -> np.ndarray:
        out = np.full(grid.m.size, -np.inf)
        with np.errstate(divide="ignore"):
            out[0] = np.log(self.pi[0])
            for c in (1, 2):
                bins = _bin_log_weights(grid.centres[c - 1], grid.widths[c - 1], self.theta[c - 1])
                mask = grid.cls == c
                out[mask] = (
                    np.log(self.pi[c])
                    + bins[grid.bin[mask]]
                    + np.log(self.v[c - 1][grid.alpha[mask]])
                )
        return out


def _bin_log_weights(centres: np.ndarray, widths: np.ndarray, theta: float) -> np.ndarray:
    """Half-normal(theta) probability of each bin (midpoint rule), normalised on the bins."""
    w = -0.5 * (centres / theta) ** 2 + np.log(widths)
    return w - special.logsumexp(w)


class _Design:
    """Clean centres: a fixed effect per region plus covariates, standardised here. A column
    constant at the start is dropped, and stays dropped when :meth:`replace` gives new
    values of the columns."""

    def __init__(
        self,
        region: np.ndarray,
        columns: np.ndarray,
        names: list[str],
        keep: np.ndarray | None = None,
    ):
        sd = columns.std(axis=0)
        if keep is None:
            keep = sd > 1e-9 * np.maximum(1.0, np.abs(columns).max(axis=0))
        sd = np.where(sd > 0, sd, 1.0)
        self.region, self.columns, self.all_names, self.keep = region, columns, names, keep
        self.R = int(region.max()) + 1
        self.Z = (columns[:, keep] - columns[:, keep].mean(axis=0)) / sd[keep]
        self.names = [name for name, k in zip(names, keep, strict=True) if k]
        self.p = self.R + self.Z.shape[1]

    def replace(self, columns: np.ndarray) -> _Design:
        """The same design with new values of its columns."""
        return _Design(self.region, columns, self.all_names, self.keep)

    def fit(self, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        """Weighted least-squares coefficients (p x 2) of ``y`` (stations x 2)."""
        w = np.ones(len(y)) if w is None else w
        return np.linalg.pinv(self.gram(w)) @ self.t_dot(w[:, None] * y)

    def gram(self, w: np.ndarray) -> np.ndarray:
        """``X' diag(w) X`` (p x p) of the design matrix X (region indicators, then Z)."""
        R, Z = self.R, self.Z
        wz = Z * w[:, None]
        zr = self._region_sums(wz)
        gram = np.zeros((self.p, self.p))
        gram[np.arange(R), np.arange(R)] = np.bincount(self.region, w, R)
        gram[:R, R:] = zr
        gram[R:, :R] = zr.T
        gram[R:, R:] = wz.T @ Z
        return gram

    def t_dot(self, v: np.ndarray) -> np.ndarray:
        """``X' v`` (p x m) for ``v`` (stations x m)."""
        return np.vstack([self._region_sums(v), self.Z.T @ v])

    def _region_sums(self, v: np.ndarray) -> np.ndarray:
        """Sums of the columns of ``v`` (stations x m) by region (R x m)."""
        return np.stack([np.bincount(self.region, c, self.R) for c in v.T], axis=1)

    def group_t_dot(self, v: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """``X' v`` summed within each group of stations (groups x p x m)."""
        G, R, m = int(groups.max()) + 1, self.R, v.shape[1]
        out = np.empty((G, self.p, m))
        cell = groups * R + self.region
        for k in range(m):
            out[:, :R, k] = np.bincount(cell, v[:, k], G * R).reshape(G, R)
            for j, z in enumerate(self.Z.T):
                out[:, R + j, k] = np.bincount(groups, z * v[:, k], G)
        return out

    def predict(self, coef: np.ndarray) -> np.ndarray:
        return coef[: self.R][self.region] + self.Z @ coef[self.R :]


def _covariates(data: StationData, context: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Fraud-free context of each station that does not depend on the fit (unstandardised):
    its region code, its size and, unless ``context="national"``, its commission's size; for
    ``context="commission"`` also the median empirical-logit turnout and share of the other
    stations of its commission."""
    n = data.n
    region = np.zeros(n, dtype=np.int64) if context == "national" else data.region
    log_v = np.log(data.V.astype(float))
    columns, names = [log_v], ["log registered"]
    if context != "national":
        com = data.commission
        C = int(com.max()) + 1
        size = np.bincount(com, minlength=C).astype(float)
        columns.append((np.bincount(com, log_v, C) / np.maximum(size, 1))[com])
        columns.append(np.log(np.maximum(size, 1.0))[com])
        names += ["commission mean log registered", "log commission stations"]
    if context == "commission":
        medians = ("commission median logit turnout", "commission median logit share")
        for name, value in zip(medians, data.empirical_logits().T, strict=True):
            fallback = _group_median(value, region)
            columns.append(loo_group_median(value, data.commission, fallback))
            names.append(name)
    return region, np.column_stack(columns), names


def _group_median(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    out = np.empty(values.size)
    for g in np.unique(groups):
        mask = groups == g
        out[mask] = np.median(values[mask])
    return out


#: Names of the two commission levels of ``context="commission-weighted"``.
_LEVELS = ["commission clean logit turnout", "commission clean logit share"]


def _commission_levels(data: StationData, region: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """The clean level of each station's commission (stations x 2): the mean empirical-logit
    turnout and share of the *other* stations of its commission, each weighted by its
    probability of being clean, so that neither the station itself nor the fraud the model
    sees around it sets its clean centre. One pseudo-station at the level of the region's
    other stations (itself so weighted, with one at the national level) is added, so that a
    commission with no clean-looking station left takes its region's level, smoothly."""
    y = data.empirical_logits()
    com = data.commission
    C, R = int(com.max()) + 1, int(region.max()) + 1
    out = np.empty_like(y)
    for j in (0, 1):
        wy = clean * y[:, j]
        national = (wy.sum() - wy) / (clean.sum() - clean)
        regional = (np.bincount(region, wy, R)[region] - wy + national) / (
            np.bincount(region, clean, R)[region] - clean + 1.0
        )
        out[:, j] = (np.bincount(com, wy, C)[com] - wy + regional) / (
            np.bincount(com, clean, C)[com] - clean + 1.0
        )
    return out


# ---------------------------------------------------------------------------------------------
# Parameter vector (unconstrained), used by SQUAREM and the posterior


@dataclasses.dataclass(frozen=True)
class _Layout:
    n_alpha: int
    p: int
    theta_bounds: tuple[tuple[float, float], tuple[float, float]]

    @property
    def size(self) -> int:
        return self.head + 2 * self.p + 3

    @property
    def head(self) -> int:
        """Coordinates of the mixture weights: two class log-ratios, two scales and the alpha
        log-ratios of each fraud class."""
        return 4 + 2 * (self.n_alpha - 1)

    def pack(self, w: _Weights, coef: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            lr = np.log(np.maximum(w.pi[1:], 1e-300)) - np.log(w.pi[0])
            lv = [np.log(np.maximum(w.v[c, 1:], 1e-300)) - np.log(w.v[c, 0]) for c in (0, 1)]
        t = [
            _to_logit((math.log(w.theta[c]) - math.log(lo)) / (math.log(hi) - math.log(lo)))
            for c, (lo, hi) in enumerate(self.theta_bounds)
        ]
        sd = np.sqrt(np.diag(sigma))
        rho = sigma[0, 1] / (sd[0] * sd[1])
        phi = np.concatenate(
            [lr, t, *lv, coef.ravel(), np.log(sd), [math.atanh(np.clip(rho, -0.999999, 0.999999))]]
        )
        return _clamp(phi, self)

    def natural(self, phi: np.ndarray) -> np.ndarray:
        """The parameters on the scale on which convergence is judged: class and alpha
        probabilities as such (a weight that tends to 0 moves forever on the log scale), log
        scales, coefficients, log sds and the atanh correlation as packed."""
        w = self.unpack(phi)[0]
        return np.concatenate([w.pi, w.v.ravel(), np.log(w.theta), _clamp(phi, self)[self.head :]])

    def unpack(self, phi: np.ndarray) -> tuple[_Weights, np.ndarray, np.ndarray]:
        phi = _clamp(phi, self)
        a = self.n_alpha - 1
        lr, t = phi[0:2], phi[2:4]
        lv = (phi[4 : 4 + a], phi[4 + a : 4 + 2 * a])
        o = self.head
        coef = phi[o : o + 2 * self.p].reshape(self.p, 2)
        ls1, ls2, z = phi[o + 2 * self.p :]
        pi = special.softmax(np.concatenate([[0.0], lr]))
        v = np.array([special.softmax(np.concatenate([[0.0], x])) for x in lv])
        theta = np.array(
            [
                math.exp(math.log(lo) + special.expit(t[c]) * (math.log(hi) - math.log(lo)))
                for c, (lo, hi) in enumerate(self.theta_bounds)
            ]
        )
        s1, s2, rho = math.exp(ls1), math.exp(ls2), math.tanh(z)
        sigma = np.array([[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]])
        return _Weights(pi, theta, v), coef, sigma


def _to_logit(u: float) -> float:
    u = min(max(u, 1e-12), 1 - 1e-12)
    return math.log(u / (1 - u))


def _clamp(phi: np.ndarray, layout: _Layout) -> np.ndarray:
    phi = np.array(phi, dtype=float)
    head = layout.head
    phi[:head] = np.clip(phi[:head], -_CLAMP, _CLAMP)
    tail = phi.size - 3
    phi[tail : tail + 2] = np.clip(phi[tail : tail + 2], -6.0, 3.0)
    phi[-1] = np.clip(phi[-1], -5.0, 5.0)
    return phi


# ---------------------------------------------------------------------------------------------
# The estimator


class MixtureModel:
    """Finite-mixture fraud model (eforensics family), fitted by EM; scikit-learn style.

    Parameters (keyword only):

    ``context``
        What the clean centre of a station depends on: ``"commission-weighted"`` (default: a
        region effect, station and commission size, and the mean turnout and share of the
        other stations of its commission, each weighted by its fitted probability of being
        clean, refitted until they settle), ``"commission"`` (the same with the plain median
        turnout and share of those stations: biased low at 100,000 stations, slightly fewer
        stations classed incremental on clean Poland; docs/methods/mixture.md), ``"region"``
        (region effect and sizes) or ``"national"`` (one centre and the station's size).
    ``min_registered``
        Stations with fewer registered voters are left out (default 100).
    ``k``
        Manufactured fraction that separates incremental (``m < k``) from extreme fraud.
    ``alphas``
        Exponents of stolen to manufactured fraction, ``s = m**alpha``, mixed with weights
        estimated per class.
    ``theta_min``
        Smallest scale of incremental fraud (half-normal ``m``): fraud that only ever changes
        a few percent of abstainers is indistinguishable from clean variation.
    ``n_draws``
        Draws from the approximate posterior of the national parameters (intervals; 0: none).
    ``level``
        Interval level.
    ``max_iter``, ``tol``
        EM iterations (SQUAREM-accelerated) and convergence tolerance: the largest change of
        any parameter (class and alpha probabilities, log scales, coefficients, log sds) in
        one cycle.
    ``rng``
        Seed or Generator (posterior draws).

    ``fit(election, party=None, kinds=ANALYSED_KINDS)`` returns ``self``; ``result()`` the
    :class:`MixtureResult`. Learned attributes end in ``_``; the election is not kept.
    """

    def __init__(
        self,
        *,
        context: str = "commission-weighted",
        min_registered: int = 100,
        k: float = 0.7,
        alphas: tuple[float, ...] = (1.0, 2.0, 4.0),
        theta_min: float = 0.2,
        n_draws: int = 200,
        level: float = 0.95,
        max_iter: int = 200,
        tol: float = 1e-4,
        rng: RNGLike = None,
    ) -> None:
        self.context = context
        self.min_registered = min_registered
        self.k = k
        self.alphas = alphas
        self.theta_min = theta_min
        self.n_draws = n_draws
        self.level = level
        self.max_iter = max_iter
        self.tol = tol
        self.rng = rng

    # -- scikit-learn conventions ------------------------------------------------------------
    _PARAMS = (
        "context",
        "min_registered",
        "k",
        "alphas",
        "theta_min",
        "n_draws",
        "level",
        "max_iter",
        "tol",
        "rng",
    )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> MixtureModel:
        for name, value in params.items():
            if name not in self._PARAMS:
                raise ValueError(f"invalid parameter {name!r} for MixtureModel")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        changed = {
            k: v
            for k, v in self.get_params().items()
            if v != _DEFAULTS[k] and not (k == "rng" and v is None)
        }
        return f"MixtureModel({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def _check_params(self) -> None:
        if self.context not in CONTEXTS:
            raise ValueError(f"context must be one of {CONTEXTS}, not {self.context!r}")
        if not 0.0 < self.k < 1.0:
            raise ValueError(f"k must be in (0, 1), not {self.k}")
        if not self.alphas or any(a <= 0 for a in self.alphas):
            raise ValueError("alphas must be positive numbers")
        if not 0.0 < self.theta_min < _THETA_I_MAX:
            raise ValueError(f"theta_min must be in (0, {_THETA_I_MAX}), not {self.theta_min}")
        if self.n_draws < 0:
            raise ValueError("n_draws must be >= 0")
        if not 0.0 < self.level < 1.0:
            raise ValueError(f"level must be in (0, 1), not {self.level}")
        if self.max_iter < 1:
            raise ValueError("max_iter must be at least 1")
        if self.min_registered < 1:
            raise ValueError("min_registered must be at least 1")

    # -- fitting -----------------------------------------------------------------------------
    def fit(
        self,
        election: Election,
        party: str | None = None,
        kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    ) -> MixtureModel:
        """Fit the model to ``election`` (``party`` defaults to the leader)."""
        self._check_params()
        for name in [a for a in vars(self) if a.endswith("_") and not a.startswith("_")]:
            delattr(self, name)
        seed = self.rng if isinstance(self.rng, int) else None
        rng = check_rng(self.rng)
        data, ids = _select(election, party, kinds, self.min_registered)
        fitter = self._fitter(data)
        phi, iterations, converged = fitter.fit(self.max_iter, self.tol)
        design, grid, layout = fitter.design, fitter.grid, fitter.layout
        if not converged:
            warnings.warn(
                f"the mixture EM did not converge (max_iter={self.max_iter} a run, tol={self.tol})",
                ConvergenceWarning,
                stacklevel=2,
            )
        weights, coef, sigma = layout.unpack(phi)
        final = fitter.evaluate(phi, with_votes=True)
        ll = final.ll
        posterior = (
            _Posterior(fitter, phi, rng, self.n_draws, self.level).run(ll) if self.n_draws else None
        )
        self.n_features_in_ = 3
        self.weights_ = weights
        self.coef_ = coef
        self.sigma_ = sigma
        self.log_likelihood_ = ll
        self.n_iter_ = iterations
        self.converged_ = converged
        self.result_ = _make_result(
            data, ids, design, grid, weights, coef, sigma, final, posterior, ll, iterations,
            converged, self.get_params(), seed, self.level,
        )  # fmt: skip
        return self

    def _fitter(self, data: StationData) -> _Fitter:
        """The EM machinery for the selected stations under these hyperparameters."""
        # invalid (and issued but uncast) ballots belong to no party and fraud does not touch
        # them: the model sees voters who cast a valid vote and those who did not
        data_model = dataclasses.replace(data, V=data.V - data.G + data.valid, G=data.valid)
        region, columns, names = _covariates(data_model, self.context)
        levels = self.context == "commission-weighted"
        if levels:
            clean = np.ones(data_model.n)
            columns = np.column_stack([columns, _commission_levels(data_model, region, clean)])
            names = names + _LEVELS
        design = _Design(region, columns, names)
        grid = _Grid.build(self.k, tuple(float(a) for a in self.alphas))
        layout = _Layout(
            len(grid.alphas), design.p, ((self.theta_min, _THETA_I_MAX), _THETA_E_BOUNDS)
        )
        return _Fitter(data_model, design, grid, layout, levels)

    def result(self) -> MixtureResult:
        """The fitted :class:`MixtureResult` (call :meth:`fit` first)."""
        if not hasattr(self, "result_"):
            raise TallyscopeError("this MixtureModel is not fitted yet; call fit(election) first")
        return self.result_


_DEFAULTS = {
    name: param.default
    for name, param in inspect.signature(MixtureModel.__init__).parameters.items()
    if name != "self"
}


def mixture_fit(
    election: Election,
    *,
    party: str | None = None,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    **hyperparameters: Any,
) -> MixtureResult:
    """Fit :class:`MixtureModel` (hyperparameters as keywords) and return its result."""
    return MixtureModel(**hyperparameters).fit(election, party=party, kinds=kinds).result()


# ---------------------------------------------------------------------------------------------
# Selection


def _select(
    election: Election, party: str | None, kinds: Iterable[str] | str | None, min_registered: int
) -> tuple[StationData, pl.DataFrame]:
    data = station_data(election, party=party, kinds=kinds)
    # the identifiers of the same stations, in the same order (as station_data selects them)
    basis = "issued" if election.has("issued") else "cast"
    selected = election.select(
        kinds=kinds, require=dict.fromkeys(["cast", "valid", "registered", basis])
    ).election.stations
    id_columns = [
        c for c in ("region", "district", "commission", "station") if c in selected.columns
    ]
    ids = selected.select(id_columns)
    if ids.height != data.n:
        raise TallyscopeError("internal error: station identifiers do not match the counts")
    rules = [
        (lambda d: d.V >= min_registered, f"fewer than {min_registered} registered voters"),  # noqa: SIM300
        (lambda d: d.V >= d.G, "more ballots than registered voters"),
        (lambda d: d.G >= d.valid, "more valid votes than ballots"),  # noqa: SIM300
        (lambda d: d.valid > 0, "no valid votes"),
        (lambda d: d.valid >= d.L, "more party votes than valid votes"),
    ]
    keep = np.ones(data.n, dtype=bool)
    for rule, reason in rules:
        mask = rule(data)
        data = data.subset(mask, reason)
        keep[np.flatnonzero(keep)[~mask]] = False
    ids = ids.filter(pl.Series(keep))
    if data.n < _MIN_STATIONS:
        raise NotApplicableError(
            f"the mixture model needs at least {_MIN_STATIONS} stations; {data.n} remain"
        )
    return data, ids


# ---------------------------------------------------------------------------------------------
# EM


@dataclasses.dataclass
class _Pass:
    ll: float
    ll_i: np.ndarray
    post: np.ndarray
    ex: np.ndarray
    exx: np.ndarray
    votes: np.ndarray
    centre: np.ndarray


#: The fitter's node arrays, as :func:`mixture_nodes` returns them.
_NODE_ARRAYS = ("x1", "x2", "lw", "cov", "active", "n_active")
#: EM's convergence tolerance and most SQUAREM cycles a run while the levels still move.
_LOOSE_TOL, _LOOSE_ITER = 1e-3, 4


class _Fitter:
    """The EM machinery on one election: node placement, E-step, M-step, SQUAREM."""

    ORDER = 2  # 2 x 2 adaptive Gauss-Hermite nodes per station and component ...
    CALIBRATION = 3  # ... whose total is calibrated to a 3 x 3 rule at the reference

    def __init__(
        self, data: StationData, design: _Design, grid: _Grid, layout: _Layout, levels: bool
    ):
        self.data, self.design, self.grid, self.layout = data, design, grid, layout
        self.levels = levels  # the design's last two columns are the commission levels
        self.L = data.L.astype(float)
        self.n = data.n
        self.rule = node_rule(self.ORDER)
        self.calibration = node_rule(self.CALIBRATION)
        self.start = np.full((self.n, grid.m.size, 2), np.nan)
        self.reference: tuple[np.ndarray, np.ndarray] | None = None

    def place_nodes(self, phi: np.ndarray, stations: np.ndarray | None = None) -> None:
        """Place the quadrature nodes around each station's posterior under the clean
        distribution of ``phi`` (the reference); with ``stations``, re-place only theirs, at
        their new clean centres under the reference's covariance."""
        _, coef, sigma = self.layout.unpack(phi)
        centre = self.design.predict(coef)
        if stations is None:
            stations = slice(None)
            self.reference = (centre, sigma)
        else:
            sigma = self.reference[1]
            self.reference[0][stations] = centre[stations]
        d = self.data
        nodes = mixture_nodes(
            d.V[stations].astype(float), d.G[stations].astype(float), self.L[stations],
            self.grid.m, self.grid.s, centre[stations], np.linalg.inv(sigma), *self.rule,
            self.start[stations], *self.calibration,
        )  # fmt: skip
        for name, placed in zip(_NODE_ARRAYS, nodes, strict=True):
            if isinstance(stations, slice):
                setattr(self, name, placed)
            else:
                getattr(self, name)[stations] = placed
        x1, x2, lw = nodes[:3]
        start = np.stack([x1.mean(axis=2), x2.mean(axis=2)], axis=-1).astype(float)
        start[~np.isfinite(lw).any(axis=2)] = np.nan
        self.start[stations] = start

    def drift(self, phi: np.ndarray) -> tuple[float, np.ndarray]:
        """How far the clean distribution of ``phi`` is from the reference of the nodes: in
        its covariance (log standard deviations, correlation), and each station's clean centre
        (in reference standard deviations)."""
        _, coef, sigma = self.layout.unpack(phi)
        centre = self.design.predict(coef)
        ref_centre, ref_sigma = self.reference
        sd, ref_sd = np.sqrt(np.diag(sigma)), np.sqrt(np.diag(ref_sigma))
        corr = sigma[0, 1] / (sd[0] * sd[1]) - ref_sigma[0, 1] / (ref_sd[0] * ref_sd[1])
        shape = max(float(np.max(np.abs(np.log(sd / ref_sd)))), abs(corr))
        return shape, np.max(np.abs(centre - ref_centre) / ref_sd, axis=1)

    def evaluate(
        self, phi: np.ndarray, *, with_votes: bool = False, shift: np.ndarray | None = None
    ) -> _Pass:
        weights, coef, sigma = self.layout.unpack(phi)
        centre = self.design.predict(coef)
        if shift is not None:
            centre = centre + shift
        ll_i, post, ex, exx, votes = mixture_pass(
            self.x1, self.x2, self.lw, self.cov, self.active, self.n_active,
            weights.log_q(self.grid), centre, sigma, self.L,
            self.grid.m, self.grid.s, with_votes,
        )  # fmt: skip
        ll = float(ll_i.sum()) if np.all(np.isfinite(ll_i)) else -np.inf
        return _Pass(ll, ll_i, post, ex, exx, votes, centre)

    def initial(self) -> np.ndarray:
        y = self.data.empirical_logits()
        coef = self.design.fit(y)
        resid = y - self.design.predict(coef)
        # a robust covariance: scaled median absolute deviations, correlation from ranks
        sd = 1.4826 * np.median(np.abs(resid - np.median(resid, axis=0)), axis=0)
        rho = math.sin(math.pi / 6 * stats.spearmanr(resid[:, 0], resid[:, 1])[0]) * 2
        rho = float(np.clip(rho, -0.9, 0.9))
        sigma = np.array([[sd[0] ** 2, rho * sd[0] * sd[1]], [rho * sd[0] * sd[1], sd[1] ** 2]])
        n_alpha = len(self.grid.alphas)
        weights = _Weights(
            np.array([0.94, 0.05, 0.01]),
            np.array([0.3, 0.05]),
            np.full((2, n_alpha), 1.0 / n_alpha),
        )
        return self.layout.pack(weights, coef, sigma)

    def m_step(self, phi: np.ndarray, e: _Pass) -> np.ndarray:
        grid, layout = self.grid, self.layout
        weights, _, _ = layout.unpack(phi)
        nk = e.post.sum(axis=0)
        totals = np.array([nk[grid.cls == c].sum() for c in range(3)])
        pi = np.maximum(totals / totals.sum(), 1e-300)
        v = weights.v.copy()
        theta = weights.theta.copy()
        for c in (1, 2):
            mask = grid.cls == c
            if totals[c] < 1e-6:
                continue
            va = np.bincount(grid.alpha[mask], nk[mask], len(grid.alphas))
            v[c - 1] = np.maximum(va / va.sum(), 1e-300)
            counts = np.bincount(grid.bin[mask], nk[mask], grid.centres[c - 1].size)
            lo, hi = layout.theta_bounds[c - 1]
            theta[c - 1] = _fit_theta(grid.centres[c - 1], grid.widths[c - 1], counts, lo, hi)
        w = self.clean_weights(e)
        coef = self.design.fit(e.ex, w)
        centre = self.design.predict(coef)
        scatter = _scatter(e, centre)
        sigma = np.einsum("n,nab->ab", w, scatter) / w.sum()
        return layout.pack(_Weights(pi, theta, v), coef, sigma)

    def clean_weights(self, e: _Pass) -> np.ndarray:
        """Each station's weight in the clean distribution's estimate: its probability of not
        being extremely frauded. Extreme fraud leaves almost no abstainers and few votes of
        the other parties, so such a station's clean latent is read off the assumed shape of
        its fraud magnitude, not off its counts; let in, whatever that shape misses widens the
        clean class, which then absorbs small incremental fraud."""
        return 1.0 - e.post[:, self.grid.cls == 2].sum(axis=1)

    def squarem(self, phi: np.ndarray, max_iter: int, tol: float) -> tuple[np.ndarray, int, bool]:
        """SQUAREM (Varadhan & Roland 2008, scheme S3, with their step-length control) around
        the EM map. The clean M-step is weighted, so the map's fixed point is a root of
        estimating equations rather than a maximum of the likelihood, which need not rise at
        every step: an extrapolation is kept unless it lowers the log likelihood by more than
        one unit (the default of their R package), and the fit has converged when a cycle
        changes no parameter by more than ``tol`` (see :meth:`_Layout.natural`)."""

        def step(phi: np.ndarray) -> tuple[np.ndarray, float]:
            e = self.evaluate(phi)
            return self.m_step(phi, e), e.ll

        step_max = 1.0
        for iteration in range(1, max_iter + 1):
            phi1, _ = step(phi)
            phi2, ll = step(phi1)
            r = phi1 - phi
            v = phi2 - phi1 - r
            nr, nv = float(np.linalg.norm(r)), float(np.linalg.norm(v))
            new = phi2
            if nv > 0 and nr > 0:
                alpha = max(-step_max, min(-1.0, -nr / nv))
                phi3, ll3 = step(phi - 2 * alpha * r + alpha**2 * v)
                if np.isfinite(ll3) and ll3 >= ll - 1.0:
                    new, ll = phi3, ll3
                    if alpha == -step_max:
                        step_max *= 4.0
                else:
                    step_max = max(1.0, step_max / 4.0)
            moved = float(np.max(np.abs(self.layout.natural(new) - self.layout.natural(phi))))
            phi = new
            if moved < tol:
                return phi, iteration, True
        return phi, max_iter, False

    def fit(self, max_iter: int, tol: float, rounds: int = 60) -> tuple[np.ndarray, int, bool]:
        """EM to convergence, recomputing the commission levels from the fitted clean
        probabilities until they settle (on average by less than 1e-4 on the logit scale;
        while they move, EM runs to a looser tolerance) and re-placing the nodes at the fitted
        clean distribution until it no longer moves (by 1 % of a standard deviation; by 10 %
        while the levels move): all of them if its covariance moved, else those of the
        stations whose clean centre did."""
        phi = self.initial()
        self.place_nodes(phi)
        total, strict = 0, not self.levels
        for _ in range(rounds):
            cycles, run_tol = (
                (max_iter, tol) if strict else (min(max_iter, _LOOSE_ITER), max(tol, _LOOSE_TOL))
            )
            phi, iterations, converged = self.squarem(phi, cycles, run_tol)
            total += iterations
            refitted = self.refresh_levels(phi) if self.levels else None
            if refitted is not None:
                phi = refitted
            settled = refitted is None
            limit = 0.01 if settled else 0.1
            shape, centres = self.drift(phi)
            if shape >= limit:
                self.place_nodes(phi)
            elif np.any(centres >= limit):
                self.place_nodes(phi, np.flatnonzero(centres >= limit / 4))
            elif settled and strict:
                return phi, total, converged
            strict = settled
        return phi, total, False

    def refresh_levels(self, phi: np.ndarray, tol: float = 1e-4) -> np.ndarray | None:
        """Recompute the commission levels with the clean probabilities under ``phi``; if
        they moved by ``tol`` or more on average (logit scale), take them into the design
        and return ``phi`` after one M-step on it."""
        e = self.evaluate(phi)
        clean = e.post[:, self.grid.cls == 0].sum(axis=1)
        columns = self.design.columns.copy()
        columns[:, -2:] = _commission_levels(self.data, self.design.region, clean)
        if np.mean(np.abs(columns[:, -2:] - self.design.columns[:, -2:])) < tol:
            return None
        self.design = self.design.replace(columns)
        return self.m_step(phi, e)


def _scatter(e: _Pass, centre: np.ndarray) -> np.ndarray:
    """Each station's posterior second moment of its clean latent about ``centre``
    (stations x 2 x 2)."""
    s11 = e.exx[:, 0] - 2 * centre[:, 0] * e.ex[:, 0] + centre[:, 0] ** 2
    s12 = (
        e.exx[:, 1]
        - centre[:, 0] * e.ex[:, 1]
        - centre[:, 1] * e.ex[:, 0]
        + centre[:, 0] * centre[:, 1]
    )
    s22 = e.exx[:, 2] - 2 * centre[:, 1] * e.ex[:, 1] + centre[:, 1] ** 2
    return np.stack([np.stack([s11, s12], -1), np.stack([s12, s22], -1)], -2)


def _fit_theta(
    centres: np.ndarray, widths: np.ndarray, counts: np.ndarray, lo: float, hi: float
) -> float:
    def nll(log_theta: float) -> float:
        return -float(counts @ _bin_log_weights(centres, widths, math.exp(log_theta)))

    res = optimize.minimize_scalar(
        nll, bounds=(math.log(lo), math.log(hi)), method="bounded", options={"xatol": 1e-6}
    )
    return float(math.exp(res.x))


# ---------------------------------------------------------------------------------------------
# Approximate posterior of the national parameters


class _Posterior:
    """Approximate posterior of every parameter of the model

        phi = (class log-ratios, magnitude scales, alpha log-ratios, the clean centres'
               coefficients (region effects and covariate slopes), log clean sds,
               atanh clean correlation):

    a normal centred at the maximum with the sandwich covariance ``H^-1 J H^-1``, where
    ``J`` is the outer product of the scores summed by commission (stations of one
    commission share its clean deviation, and in real elections often its fraud, so they
    are not independent) and ``H`` the observed information: central differences of the
    summed score (Fisher's identity, the clean coordinates weighted as in the M-step) along
    the mixture weights and the clean sds, and, along the coefficients, the chain rule
    through each station's clean centre (a station's score depends on the coefficients only
    through its own centre, so four passes with the centres shifted give every column).
    The covariates themselves are data: with ``context="commission-weighted"`` the levels
    are held at their final values, their own sampling variation entering only through the
    commission sums of ``J``. Each draw is pushed through one E-step, which gives the draw's
    expected fraudulent votes and, from every station's posterior over classes and
    magnitudes, their variance; the interval of the votes is then read from the mixture of
    those normals.

    Coordinates on a boundary are held at the maximum: an alpha weight that is (almost)
    nil, and everything of a class with less than one station's worth of probability
    (there the likelihood is flat and no normal approximation holds); the upper end of
    such a class's probability is where the log likelihood, scanned in that class's
    probability, has dropped by the one-sided chi-square quantile.
    """

    STEP = 1e-3

    def __init__(self, fitter: _Fitter, phi: np.ndarray, rng, n_draws: int, level: float):
        self.f = fitter
        self.phi = phi
        self.rng = rng
        self.n_draws = n_draws
        self.level = level
        self.a = fitter.layout.n_alpha - 1
        self.head = fitter.layout.head
        self.dim = fitter.layout.size
        self.coef_index = np.arange(self.head, self.dim - 3)  # coordinate (j, k) at head + 2j + k
        self.direct_index = np.r_[np.arange(self.head), np.arange(self.dim - 3, self.dim)]
        self.weights_hat = fitter.layout.unpack(phi)[0]

    def station_scores(
        self, phi: np.ndarray, shift: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-station estimating functions at ``phi`` from one E-step: the score of the log
        likelihood by Fisher's identity (each station's expected complete-data score), its
        clean coordinates weighted as in the M-step. Returned as the scores of the direct
        coordinates (stations x (head + 3)) and ``g`` (stations x 2), the score of the
        station's clean centre, whose coefficient scores are ``X' g``."""
        f, grid, head = self.f, self.f.grid, self.head
        e = f.evaluate(phi, shift=shift)
        direct = np.zeros((f.n, head + 3))
        h = 1e-6
        dq = np.zeros((grid.m.size, head))
        for j in range(head):
            up, down = phi.copy(), phi.copy()
            up[j] += h
            down[j] -= h
            with np.errstate(invalid="ignore"):
                dq[:, j] = (
                    f.layout.unpack(up)[0].log_q(grid) - f.layout.unpack(down)[0].log_q(grid)
                ) / (2 * h)
        dq[~np.isfinite(dq)] = 0.0
        direct[:, :head] = e.post @ dq
        sigma = f.layout.unpack(phi)[2]
        prec = np.linalg.inv(sigma)
        w = f.clean_weights(e)[:, None]
        g = w * ((e.ex - e.centre) @ prec)
        G = 0.5 * np.einsum("ab,nbc,cd->nad", prec, _scatter(e, e.centre) - sigma, prec)
        G *= w[:, :, None]
        s1, s2 = math.sqrt(sigma[0, 0]), math.sqrt(sigma[1, 1])
        rho = sigma[0, 1] / (s1 * s2)
        direct[:, head] = G[:, 0, 0] * 2 * s1 * s1 + 2 * G[:, 0, 1] * rho * s1 * s2
        direct[:, head + 1] = G[:, 1, 1] * 2 * s2 * s2 + 2 * G[:, 0, 1] * rho * s1 * s2
        direct[:, head + 2] = 2 * G[:, 0, 1] * s1 * s2 * (1 - rho * rho)
        return direct, g

    def gradient(self, phi: np.ndarray) -> np.ndarray:
        """Score of the log likelihood in phi (the sum of the station scores)."""
        direct, g = self.station_scores(phi)
        out = np.empty(self.dim)
        out[self.direct_index] = direct.sum(axis=0)
        out[self.coef_index] = self.f.design.t_dot(g).ravel()
        return out

    def information(self, idx: np.ndarray) -> np.ndarray:
        """Minus the derivative of the summed score, symmetrised, in the coordinates ``idx``
        (which include every coefficient)."""
        design, step = self.f.design, self.STEP
        H = np.zeros((self.dim, self.dim))
        for j in np.intersect1d(self.direct_index, idx):
            up, down = self.phi.copy(), self.phi.copy()
            up[j] += step
            down[j] -= step
            H[:, j] = (self.gradient(up) - self.gradient(down)) / (2 * step)
        for k in (0, 1):
            shift = np.zeros(2)
            shift[k] = step
            d_up, g_up = self.station_scores(self.phi, shift)
            d_down, g_down = self.station_scores(self.phi, -shift)
            cols = self.coef_index[k::2]
            H[np.ix_(self.direct_index, cols)] = design.t_dot((d_up - d_down) / (2 * step)).T
            dg = (g_up - g_down) / (2 * step)
            for m in (0, 1):
                H[np.ix_(self.coef_index[m::2], cols)] = design.gram(dg[:, m])
        H = H[np.ix_(idx, idx)]
        return -0.5 * (H + H.T)

    def cluster_scores(self) -> np.ndarray:
        """The station scores at the maximum summed by commission (commissions x dim)."""
        direct, g = self.station_scores(self.phi)
        commission = self.f.data.commission
        out = np.zeros((int(commission.max()) + 1, self.dim))
        for j, col in enumerate(self.direct_index):
            out[:, col] = np.bincount(commission, direct[:, j], out.shape[0])
        out[:, self.coef_index] = self.f.design.group_t_dot(g, commission).reshape(out.shape[0], -1)
        return out

    def absent(self) -> list[int]:
        """Fraud classes with less than one station's worth of probability at the maximum."""
        return [c for c in (1, 2) if self.weights_hat.pi[c] * self.f.n < 1.0]

    def held_coordinates(self, absent: list[int]) -> np.ndarray:
        """Coordinates held at the maximum: the alpha weights (nuisance, often flat), and
        everything of an absent class."""
        held = np.zeros(self.dim, dtype=bool)
        for c in (1, 2):
            # an alpha whose weight is (almost) nil sits on the boundary: hold it there
            v = self.weights_hat.v[c - 1]
            nil = v[1:] < 1e-3 if v[0] >= 1e-3 else np.ones(self.a, dtype=bool)
            held[4 + (c - 1) * self.a : 4 + c * self.a] = nil
        for c in absent:
            held[c - 1] = True
            held[1 + c] = True
            held[4 + (c - 1) * self.a : 4 + c * self.a] = True
        return held

    def upper_bound(self, c: int, ll_hat: float) -> float:
        """Upper end of an absent class's probability: scan its log-ratio until the log
        likelihood has dropped by the one-sided chi-square quantile."""
        drop = 0.5 * stats.chi2.ppf(2 * self.level - 1, 1)

        def moved(lr: float) -> np.ndarray:
            phi = self.phi.copy()
            phi[c - 1] = lr
            return phi

        def loss(lr: float) -> float:
            return ll_hat - self.f.evaluate(moved(lr)).ll - drop

        lo, hi = math.log(0.1 / self.f.n), 0.0
        if loss(lo) > 0:
            return float(special.softmax([0.0, lo])[1])
        if loss(hi) < 0:
            return float(special.softmax(np.concatenate([[0.0], self.phi[:2]]))[c])
        root = optimize.brentq(loss, lo, hi, xtol=0.01)
        return float(special.softmax(np.concatenate([[0.0], moved(root)[:2]]))[c])

    def run(self, ll_hat: float) -> dict[str, Any]:
        absent = self.absent()
        idx = np.flatnonzero(~self.held_coordinates(absent))
        k = idx.size
        vals, vecs = np.linalg.eigh(self.information(idx))
        vals = np.maximum(vals, 1e-9 * max(1.0, float(vals.max())))
        bread = (vecs / vals) @ vecs.T
        cluster = self.cluster_scores()[:, idx]
        cluster -= cluster.mean(axis=0)
        cov = bread @ (cluster.T @ cluster) @ bread
        cov = 0.5 * (cov + cov.T)
        cvals, cvecs = np.linalg.eigh(cov)
        cvals = np.clip(cvals, 0.0, 9.0)  # at most 3 units of sd along any direction
        chol = cvecs * np.sqrt(cvals)
        totals = np.empty(self.n_draws)
        variances = np.empty(self.n_draws)
        pis = np.empty((self.n_draws, 3))
        for b in range(self.n_draws):
            phi = self.phi.copy()
            phi[idx] += chol @ self.rng.standard_normal(k)
            e = self.f.evaluate(phi, with_votes=True)
            pis[b] = self.f.layout.unpack(phi)[0].pi
            totals[b] = e.votes[:, 0].sum()
            variances[b] = np.sum(np.maximum(e.votes[:, 1] - e.votes[:, 0] ** 2, 0.0))
        w = np.full(self.n_draws, 1.0 / self.n_draws)
        ess = float(self.n_draws)
        method = "normal approximation with commission-clustered sandwich covariance"
        alpha = (1.0 - self.level) / 2.0
        vote_ci = _mixture_quantiles(totals, np.sqrt(variances), w, (alpha, 1.0 - alpha))
        pi_ci = {
            name: tuple(_weighted_quantile(pis[:, c], w, (alpha, 1.0 - alpha)))
            for c, name in enumerate(CLASSES)
        }
        for c in absent:
            pi_ci[CLASSES[c]] = (0.0, self.upper_bound(c, ll_hat))
        if absent:
            low = pi_ci["clean"][0] - sum(pi_ci[CLASSES[c]][1] for c in absent)
            pi_ci["clean"] = (max(0.0, low), pi_ci["clean"][1])
        return {
            "method": method,
            "draws": self.n_draws,
            "effective_draws": ess,
            "votes_ci": vote_ci,
            "votes_mean": float(w @ totals),
            "votes_sd_parameters": float(np.sqrt(max(w @ (totals - w @ totals) ** 2, 0.0))),
            "votes_sd_stations": float(np.sqrt(w @ variances)),
            "pi_ci": pi_ci,
            "pi_mean": {name: float(w @ pis[:, c]) for c, name in enumerate(CLASSES)},
            "absent_classes": [CLASSES[c] for c in absent],
        }


def _weighted_quantile(x: np.ndarray, w: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    cw /= cw[-1]
    return [float(x[order][min(np.searchsorted(cw, q), x.size - 1)]) for q in qs]


def _mixture_quantiles(
    means: np.ndarray, sds: np.ndarray, w: np.ndarray, qs: tuple[float, ...]
) -> tuple[float, ...]:
    """Quantiles of sum_b w_b N(means_b, sds_b^2), by bisection on the mixture CDF."""
    sds = np.maximum(sds, 1e-9)
    lo = float(np.min(means - 10 * sds))
    hi = float(np.max(means + 10 * sds))
    out = []
    for q in qs:
        a, b = lo, hi
        for _ in range(100):
            mid = 0.5 * (a + b)
            if float(w @ special.ndtr((mid - means) / sds)) < q:
                a = mid
            else:
                b = mid
        out.append(max(0.0, 0.5 * (a + b)))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Result assembly


def _make_result(
    data: StationData,
    ids: pl.DataFrame,
    design: _Design,
    grid: _Grid,
    weights: _Weights,
    coef: np.ndarray,
    sigma: np.ndarray,
    final: _Pass,
    posterior: dict[str, Any] | None,
    ll: float,
    iterations: int,
    converged: bool,
    settings: dict[str, Any],
    seed: int | None,
    level: float,
) -> MixtureResult:
    probs = np.stack([final.post[:, grid.cls == c].sum(axis=1) for c in range(3)], axis=1)
    votes = final.votes[:, 0]
    total = float(votes.sum())
    party_votes = int(data.L.sum())
    method = "maximum likelihood (EM)"
    if posterior is not None:
        method += f"; {level:.0%} posterior interval ({posterior['method']})"
        vote_ci = ConfidenceInterval(*posterior["votes_ci"], level)
        share_ci = ConfidenceInterval(vote_ci.low / party_votes, vote_ci.high / party_votes, level)
        pi = {
            name: Estimate(
                float(weights.pi[c]), ConfidenceInterval(*posterior["pi_ci"][name], level), method
            )
            for c, name in enumerate(CLASSES)
        }
    else:
        vote_ci = share_ci = None
        pi = {name: Estimate(float(weights.pi[c]), None, method) for c, name in enumerate(CLASSES)}
    sd = np.sqrt(np.diag(sigma))
    parameters = {
        "incremental_scale": float(weights.theta[0]),
        "extreme_scale": float(weights.theta[1]),
        "alpha_weights": {
            cls: {f"{a:g}": float(weights.v[c][j]) for j, a in enumerate(grid.alphas)}
            for c, cls in enumerate(("incremental", "extreme"))
        },
        "clean_sd_logit_turnout": float(sd[0]),
        "clean_sd_logit_share": float(sd[1]),
        "clean_correlation": float(sigma[0, 1] / (sd[0] * sd[1])),
        "clean_covariates": {
            name: {"turnout": float(coef[design.R + j, 0]), "share": float(coef[design.R + j, 1])}
            for j, name in enumerate(design.names)
        },
        "regions": design.R,
    }
    table = ids.with_columns(
        pl.Series("registered", data.V),
        pl.Series("ballots", data.G),
        pl.Series("votes", data.L),
        pl.Series("p_clean", probs[:, 0]),
        pl.Series("p_incremental", probs[:, 1]),
        pl.Series("p_extreme", probs[:, 2]),
        pl.Series("fraudulent_votes", votes),
    )
    diagnostics = (
        {}
        if posterior is None
        else {
            k: posterior[k]
            for k in (
                "method",
                "draws",
                "effective_draws",
                "votes_mean",
                "votes_sd_parameters",
                "votes_sd_stations",
                "pi_mean",
                "absent_classes",
            )
        }
    )
    return MixtureResult(
        party=data.party,
        stations_included=data.n,
        excluded=data.excluded,
        pi=pi,
        fraudulent_votes=Estimate(total, vote_ci, method),
        fraudulent_share=Estimate(
            total / party_votes if party_votes else float("nan"), share_ci, method
        ),
        party_votes=party_votes,
        parameters=parameters,
        posterior=diagnostics,
        log_likelihood=float(ll),
        iterations=iterations,
        converged=converged,
        turnout_basis=data.turnout_basis,
        settings={
            k: (list(v) if isinstance(v, tuple) else v) for k, v in settings.items() if k != "rng"
        },
        seed=seed,
        stations=table,
    )
