"""Kernel of the Klimek et al. (2012) fraud model, with a plain NumPy twin used in the tests.

:func:`klimek_histograms` simulates every station of an election ``n_sims`` times under the
model and bins the simulated (turnout, leader share) into three 2-D histograms, one per
component of the mixture: the clean station, the same station after incremental fraud and
after extreme fraud. The model's histogram for fractions ``f_i``, ``f_e`` is then
``(1 - f_i - f_e)·clean + f_i·incremental + f_e·extreme`` (its expectation over which
stations are chosen), so the fractions enter linearly and are solved for exactly.

All randomness comes in as standard normals (``normals[i, d, :]`` for station ``i`` and
replicate ``d``), drawn once per fit: the same normals at every parameter value (common random
numbers) make the discrepancy a smooth-looking function of the parameters, and the kernel
itself is deterministic. A station with ``V`` registered voters, an invalid-ballot rate ``q``
and covariates ``c = (c0, c1, c2)`` (``c0`` its centred log registered voters, ``c1``, ``c2``
fixed offsets of its clean logit turnout and share, its region's centre) has clean logit share
``nu + beta_nu·c0 + c2 + sigma_nu·z1`` and clean logit turnout
``tau + beta_tau·c0 + c1 + sigma_tau·(rho·z1 + sqrt(1 - rho²)·z0)``, where before use both
``z0`` and ``z1`` are multiplied by ``exp(h·(z0² + z1²)/4)`` (an elliptical Tukey
h-transformation: heavier tails in every direction for ``h > 0``, normal for ``h = 0``); then

* ballots ``G ≈ Binomial(V, turnout)``, ``round(q·G)`` of them invalid, the leader's votes
  ``L ≈ Binomial(G - invalid, share)``; each binomial by its normal approximation
  ``floor(n·p + sqrt(n·p·(1 - p))·z + 1/2)`` clipped to ``[0, n]`` (normals ``z2``, ``z3``);
  all ballots issued count as cast;
* incremental fraud: ``x = min(theta·|z4|, 1)``; ``Binomial(V - G, x)`` ballots are added
  for the leader (``z5``) and ``Binomial(valid - L, x^alpha)`` votes moved to the leader
  (``z6``);
* extreme fraud: the same with ``x = max(1 - extreme_sd·|z4|, 0)``.

Turnout is ``G/V`` and the share ``L/G``; bins are computed in integers,
``bin = (count·n_bins) // total`` (the last bin closed), so the NumPy twin and the kernel bin
identically and observed counts bin like simulated ones.
"""

from __future__ import annotations

import math

import numpy as np
from numba import get_num_threads, njit, prange

__all__ = [
    "N_NORMALS",
    "N_PARAMS",
    "bin_index",
    "klimek_histograms",
    "klimek_histograms_numpy",
    "simulate_counts_numpy",
]

#: Standard normals per station and replicate (see the module docstring).
N_NORMALS = 7
#: ``(tau, sigma_tau, nu, sigma_nu, rho, beta_tau, beta_nu, theta, alpha, h)``.
N_PARAMS = 10


def bin_index(count: np.ndarray, total: np.ndarray, n_bins: int) -> np.ndarray:
    """Integer bin ``(count·n_bins) // total`` of the fraction ``count/total`` (1 in the last
    bin); ``total`` must be positive."""
    count = np.asarray(count, dtype=np.int64)
    total = np.asarray(total, dtype=np.int64)
    return np.minimum(count * n_bins // total, n_bins - 1)


@njit(cache=True, inline="always")
def _binomial(n: int, p: float, z: float) -> int:
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    mean = n * p
    k = math.floor(mean + math.sqrt(mean * (1.0 - p)) * z + 0.5)
    if k < 0:
        return 0
    if k > n:
        return n
    return int(k)


@njit(cache=True, inline="always")
def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@njit(cache=True, inline="always")
def _add(hist: np.ndarray, c: int, V: int, G: int, L: int, n_bins: int) -> None:
    if G <= 0:
        return  # no ballots, no share (such stations are excluded from the observed data)
    hist[c, min(G * n_bins // V, n_bins - 1), min(L * n_bins // G, n_bins - 1)] += 1


@njit(cache=True, parallel=True)
def _klimek_histograms(
    V: np.ndarray,
    q: np.ndarray,
    c: np.ndarray,
    normals: np.ndarray,
    params: np.ndarray,
    n_bins: int,
    extreme_sd: float,
    n_blocks: int,
) -> np.ndarray:
    """The kernel of :func:`klimek_histograms`: stations are split in ``n_blocks`` blocks, one
    histogram per block, summed at the end (integer counts: the result does not depend on the
    number of threads)."""
    tau, s_t, nu, s_n, rho = params[0], params[1], params[2], params[3], params[4]
    b_t, b_n, theta, alpha, h = params[5], params[6], params[7], params[8], params[9]
    rest = math.sqrt(max(0.0, 1.0 - rho * rho))
    n, n_sims = normals.shape[0], normals.shape[1]
    local = np.zeros((n_blocks, 3, n_bins, n_bins), dtype=np.int64)
    for b in prange(n_blocks):
        hist = local[b]
        for i in range(b * n // n_blocks, (b + 1) * n // n_blocks):
            v = V[i]
            centre_t = tau + b_t * c[i, 0] + c[i, 1]
            centre_s = nu + b_n * c[i, 0] + c[i, 2]
            for d in range(n_sims):
                z = normals[i, d]
                z0, z1 = float(z[0]), float(z[1])
                g = math.exp(h * (z0 * z0 + z1 * z1) / 4.0)
                z0, z1 = g * z0, g * z1
                s = _expit(centre_s + s_n * z1)
                t = _expit(centre_t + s_t * (rho * z1 + rest * z0))
                G = _binomial(v, t, float(z[2]))
                valid = G - int(math.floor(q[i] * G + 0.5))
                L = _binomial(valid, s, float(z[3]))
                _add(hist, 0, v, G, L, n_bins)
                a = abs(float(z[4]))
                x = min(theta * a, 1.0)
                add = _binomial(v - G, x, float(z[5]))
                take = _binomial(valid - L, x**alpha, float(z[6]))
                _add(hist, 1, v, G + add, L + add + take, n_bins)
                x = max(1.0 - extreme_sd * a, 0.0)
                add = _binomial(v - G, x, float(z[5]))
                take = _binomial(valid - L, x**alpha, float(z[6]))
                _add(hist, 2, v, G + add, L + add + take, n_bins)
    return local.sum(axis=0)


def klimek_histograms(
    V: np.ndarray,
    q: np.ndarray,
    c: np.ndarray,
    normals: np.ndarray,
    params: np.ndarray,
    n_bins: int,
    extreme_sd: float,
) -> np.ndarray:
    """Counts ``(3, n_bins, n_bins)`` of simulated (turnout bin, share bin) per state: clean,
    incremental, extreme.

    ``V`` (int64, all > 0) are the stations' registered voters, ``q`` their invalid-ballot
    rates, ``c`` their covariates ``(len(V), 3)`` (size, turnout offset, share offset),
    ``normals`` a float array ``(len(V), n_sims, 7)`` and
    ``params`` the :data:`N_PARAMS` model parameters, centres on the logit scale.
    """
    n_blocks = max(1, min(int(V.size), 4 * get_num_threads()))
    return _klimek_histograms(
        np.ascontiguousarray(V, dtype=np.int64),
        np.ascontiguousarray(q, dtype=np.float64),
        np.ascontiguousarray(c, dtype=np.float64),
        np.ascontiguousarray(normals),
        np.ascontiguousarray(params, dtype=np.float64),
        int(n_bins),
        float(extreme_sd),
        n_blocks,
    )


def _binomial_numpy(n: np.ndarray, p: np.ndarray, z: np.ndarray) -> np.ndarray:
    mean = n * p
    with np.errstate(invalid="ignore"):
        k = np.floor(mean + np.sqrt(mean * (1.0 - p)) * z + 0.5)
    k = np.where((n <= 0) | (p <= 0.0), 0.0, np.where(p >= 1.0, n, k))
    return np.clip(k, 0, np.maximum(n, 0)).astype(np.int64)


def simulate_counts_numpy(
    V: np.ndarray,
    q: np.ndarray,
    c: np.ndarray,
    normals: np.ndarray,
    params: np.ndarray,
    extreme_sd: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Ballots ``G`` and leader votes ``L`` of every station in each of the three states
    (clean, incremental, extreme): two int64 arrays ``(3, len(V)·n_sims)``, the replicates of
    a station next to each other. ``normals`` as for :func:`klimek_histograms`."""
    tau, s_t, nu, s_n, rho, b_t, b_n, theta, alpha, h = (float(p) for p in params)
    z = np.asarray(normals, dtype=np.float64)
    shape = z.shape[:2]
    Vb = np.broadcast_to(np.asarray(V, np.int64)[:, None], shape).ravel()
    qb = np.broadcast_to(np.asarray(q, np.float64)[:, None], shape).ravel()
    c = np.asarray(c, np.float64)
    cb, ct, cs = (np.broadcast_to(c[:, k, None], shape).ravel() for k in range(3))
    z = z.reshape(-1, z.shape[2])
    g = np.exp(h * (z[:, 0] ** 2 + z[:, 1] ** 2) / 4.0)
    z0, z1 = g * z[:, 0], g * z[:, 1]
    s = 1.0 / (1.0 + np.exp(-(nu + b_n * cb + cs + s_n * z1)))
    rest = math.sqrt(max(0.0, 1.0 - rho * rho))
    t = 1.0 / (1.0 + np.exp(-(tau + b_t * cb + ct + s_t * (rho * z1 + rest * z0))))
    G = _binomial_numpy(Vb, t, z[:, 2])
    valid = G - np.floor(qb * G + 0.5).astype(np.int64)
    L = _binomial_numpy(valid, s, z[:, 3])
    out_G, out_L = np.empty((3, G.size), np.int64), np.empty((3, G.size), np.int64)
    out_G[0], out_L[0] = G, L
    a = np.abs(z[:, 4])
    for k, x in ((1, np.minimum(theta * a, 1.0)), (2, np.maximum(1.0 - extreme_sd * a, 0.0))):
        add = _binomial_numpy(Vb - G, x, z[:, 5])
        take = _binomial_numpy(valid - L, x**alpha, z[:, 6])
        out_G[k], out_L[k] = G + add, L + add + take
    return out_G, out_L


def klimek_histograms_numpy(
    V: np.ndarray,
    q: np.ndarray,
    c: np.ndarray,
    normals: np.ndarray,
    params: np.ndarray,
    n_bins: int,
    extreme_sd: float,
) -> np.ndarray:
    """Twin of :func:`klimek_histograms`: the same arithmetic, vectorised over stations."""
    G, L = simulate_counts_numpy(V, q, c, normals, params, extreme_sd)
    n_sims = np.asarray(normals).shape[1]
    Vb = np.repeat(np.asarray(V, np.int64), n_sims)
    out = np.zeros((3, n_bins, n_bins), dtype=np.int64)
    for k in range(3):
        keep = G[k] > 0
        bt = bin_index(G[k][keep], Vb[keep], n_bins)
        bs = bin_index(L[k][keep], G[k][keep], n_bins)
        np.add.at(out, (k, bt, bs), 1)
    return out
