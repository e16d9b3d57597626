"""Kernels of the resampled-kernel-density spike test, each with a NumPy twin for the tests.

A count ``x`` out of ``n`` is *focal* when its percentage ``100 x / n`` lies less than ``tol``
percentage points from a focal value: a whole percentage from 1 to 99, or ``100 p / q`` for a
fraction ``0 < p / q < 1`` with ``q <= max_denominator`` (0 % and 100 % are never focal).
For integers this is the rule of Kobak et al. (2016), to the last floating-point bit.

Under the null a station's count is redrawn from its own binomial, ``Binomial(n, p)``, at a
rate ``p`` drawn from a Gaussian kernel around its observed share (bandwidth ``h``, reflected
into (0, 1)): :func:`focal_probabilities` gives the exact probability that the redrawn count is
focal (Gauss-Hermite over the kernel, the binomial pmf summed over focal counts), and
:func:`focal_null_draws` draws the number of focal stations under that null.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from scipy import stats

from tallyscope.methods._kernels._random import splitmix64

__all__ = [
    "focal_index",
    "focal_null_draws",
    "focal_null_draws_numpy",
    "focal_probabilities",
    "focal_probabilities_numpy",
    "focal_values",
    "is_focal",
    "kernel_rates",
]

#: Gauss-Hermite order of the kernel quadrature.
_KERNEL_NODES = 9
#: Counts further than this many binomial standard deviations from every node add < 1e-30.
_SD_WINDOW = 12.0


def focal_values(max_denominator: int) -> np.ndarray:
    """Focal percentages, sorted: 1..99 and 100 p / q for q <= ``max_denominator``."""
    values = {float(k) for k in range(1, 100)}
    for q in range(2, max_denominator + 1):
        for p in range(1, q):
            v = 100.0 * p / q
            if abs(v - round(v)) > 1e-9:
                values.add(v)
    return np.array(sorted(values))


@njit(cache=True, inline="always")
def _focal(x: int, n: int, max_denominator: int, tol: float) -> int:
    """Index into :func:`focal_values` of the focal value ``100 x / n`` is at, or -1."""
    if n <= 0 or x <= 0 or x >= n:
        return -1
    pct = 100.0 * x / n
    best = -1
    if abs(pct - round(pct)) < tol:
        k = int(round(pct))
        if 1 <= k <= 99:
            return k  # marker; resolved by the caller through the table
    for q in range(2, max_denominator + 1):
        p = round(pct * q / 100.0)
        if 0 < p < q:
            v = 100.0 * p / q
            if abs(v - round(v)) > 1e-9 and abs(pct - v) < tol:
                best = 1000 * q + int(p)
                break
    return best


def _table(max_denominator: int) -> np.ndarray:
    """Lookup from the codes of :func:`_focal` (k for integers, 1000 q + p for fractions) to
    indices of :func:`focal_values`."""
    values = focal_values(max_denominator)
    table = np.full(1000 * (max_denominator + 1) + max_denominator + 1, -1, dtype=np.int64)
    for k in range(1, 100):
        table[k] = int(np.searchsorted(values, float(k)))
    for q in range(2, max_denominator + 1):
        for p in range(1, q):
            v = 100.0 * p / q
            if abs(v - round(v)) > 1e-9:
                table[1000 * q + p] = int(np.argmin(np.abs(values - v)))
    return table


def focal_index(x: np.ndarray, n: np.ndarray, max_denominator: int, tol: float) -> np.ndarray:
    """Index of the focal value each ``100 x / n`` is at (-1: none)."""
    return _focal_index(
        np.asarray(x, dtype=np.int64), np.asarray(n, dtype=np.int64), max_denominator, tol,
        _table(max_denominator),
    )  # fmt: skip


@njit(cache=True)
def _focal_index(
    x: np.ndarray, n: np.ndarray, max_denominator: int, tol: float, table: np.ndarray
) -> np.ndarray:
    out = np.full(x.size, -1, dtype=np.int64)
    for i in range(x.size):
        code = _focal(x[i], n[i], max_denominator, tol)
        if code >= 0:
            out[i] = table[code]
    return out


def is_focal(x: np.ndarray, n: np.ndarray, max_denominator: int, tol: float) -> np.ndarray:
    """Whether ``100 x / n`` is focal."""
    return focal_index(x, n, max_denominator, tol) >= 0


def kernel_rates(x: np.ndarray, n: np.ndarray, bandwidth: float) -> tuple[np.ndarray, np.ndarray]:
    """Kernel nodes (stations x nodes) around each observed share ``x / n`` (0.5 where
    ``n = 0``), reflected into (0, 1), and their weights."""
    share = np.where(n > 0, x / np.maximum(n, 1), 0.5)
    z, w = np.polynomial.hermite_e.hermegauss(_KERNEL_NODES)
    w = w / w.sum()
    rates = share[:, None] + bandwidth * z[None, :]
    rates = np.abs(rates)  # reflect at 0
    rates = 1.0 - np.abs(1.0 - rates)  # reflect at 1
    return np.clip(rates, 1e-12, 1.0 - 1e-12), w


@njit(cache=True, parallel=True)
def _probabilities(
    x: np.ndarray,
    n: np.ndarray,
    rates: np.ndarray,
    weights: np.ndarray,
    max_denominator: int,
    tol: float,
    table: np.ndarray,
    n_focal: int,
    n_chunks: int,
) -> tuple[np.ndarray, np.ndarray]:
    size = x.size
    out = np.zeros(size)
    by_value = np.zeros((n_chunks, n_focal))
    chunk = (size + n_chunks - 1) // n_chunks
    J = weights.size
    for c in prange(n_chunks):
        for i in range(c * chunk, min(size, (c + 1) * chunk)):
            ni = n[i]
            if ni <= 0:
                continue
            lo_p, hi_p = 1.0, 0.0
            for t in range(J):
                lo_p = min(lo_p, rates[i, t])
                hi_p = max(hi_p, rates[i, t])
            sd = math.sqrt(ni * 0.25)
            c_lo = max(1, int(math.floor(ni * lo_p - _SD_WINDOW * sd)) - 1)
            c_hi = min(ni - 1, int(math.ceil(ni * hi_p + _SD_WINDOW * sd)) + 1)
            log_norm = math.lgamma(ni + 1.0)
            total = 0.0
            for count in range(c_lo, c_hi + 1):
                code = _focal(count, ni, max_denominator, tol)
                if code < 0:
                    continue
                base = log_norm - math.lgamma(count + 1.0) - math.lgamma(ni - count + 1.0)
                prob = 0.0
                for t in range(J):
                    p = rates[i, t]
                    prob += weights[t] * math.exp(
                        base + count * math.log(p) + (ni - count) * math.log1p(-p)
                    )
                total += prob
                by_value[c, table[code]] += prob
            out[i] = min(total, 1.0)
    return out, by_value.sum(axis=0)


def focal_probabilities(
    x: np.ndarray,
    n: np.ndarray,
    bandwidth: float,
    max_denominator: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per station, the probability that a count redrawn under the resampled-kernel null is
    focal; and, per focal value, the expected number of stations there."""
    x = np.asarray(x, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    rates, weights = kernel_rates(x, n, bandwidth)
    table = _table(max_denominator)
    return _probabilities(
        x, n, rates, weights, max_denominator, tol, table,
        focal_values(max_denominator).size, 64,
    )  # fmt: skip


def focal_probabilities_numpy(
    x: np.ndarray,
    n: np.ndarray,
    bandwidth: float,
    max_denominator: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Twin of :func:`focal_probabilities`: the binomial pmf of every count, from SciPy."""
    x = np.asarray(x, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    rates, weights = kernel_rates(x, n, bandwidth)
    values = focal_values(max_denominator)
    out = np.zeros(x.size)
    by_value = np.zeros(values.size)
    for i in range(x.size):
        if n[i] <= 0:
            continue
        counts = np.arange(n[i] + 1)
        index = focal_index(counts, np.full_like(counts, n[i]), max_denominator, tol)
        pmf = stats.binom.pmf(counts[None, :], n[i], rates[i][:, None]).T @ weights
        hit = index >= 0
        out[i] = pmf[hit].sum()
        np.add.at(by_value, index[hit], pmf[hit])
    return out, by_value


@njit(cache=True, parallel=True)
def focal_null_draws(p: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Number of focal stations in each null draw (one per seed): station ``i`` is focal with
    probability ``p[i]``, independently, which is exactly what redrawing its count from the
    resampled kernel and checking it gives. Each draw has its own seed, so the result does not
    depend on the number of threads."""
    out = np.zeros(seeds.size)
    for d in prange(seeds.size):
        state = np.uint64(seeds[d])
        total = 0.0
        for i in range(p.size):
            state, u = splitmix64(state)
            if u < p[i]:
                total += 1.0
        out[d] = total
    return out


def focal_null_draws_numpy(
    x: np.ndarray,
    n: np.ndarray,
    bandwidth: float,
    max_denominator: int,
    tol: float,
    n_draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Twin of :func:`focal_null_draws` that resamples the counts themselves: a rate from each
    station's kernel, then ``Binomial(n, rate)``, then the focal check."""
    x = np.asarray(x, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    rates, weights = kernel_rates(x, n, bandwidth)
    out = np.zeros(n_draws)
    for d in range(n_draws):
        node = rng.choice(weights.size, size=x.size, p=weights)
        redrawn = rng.binomial(n, rates[np.arange(x.size), node])
        out[d] = is_focal(redrawn, n, max_denominator, tol).sum()
    return out
