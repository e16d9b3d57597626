"""Kernels of the integer-percentage test, each with a plain NumPy twin used in the tests.

A count ``x`` out of ``n`` is *integer* when ``100·x/n``, computed in double precision, lies
less than 0.05 percentage points from a whole number: ``|100·x/n - round(100·x/n)| < 0.05``.
This is the rule of Kobak, Shpilkin & Pshenichnikov (2016) to the last floating-point bit:
at the boundary (distance exactly 0.05 in exact arithmetic) double rounding decides, and the
published counts depend on it.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from scipy import stats

from tallyscope.methods._kernels._random import splitmix64

__all__ = [
    "integer_null_draws",
    "integer_null_draws_numpy",
    "integer_probabilities",
    "integer_probabilities_numpy",
    "is_integer",
]

#: Percentages further than this many binomial standard deviations from the mean add < 1e-30.
_SD_WINDOW = 12.0


def is_integer(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Whether ``100·x/n`` is within 0.05 of a whole number (False where n = 0)."""
    x = np.asarray(x, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * x / n
        return (n > 0) & (np.abs(pct - np.round(pct)) < 0.05)


@njit(cache=True, inline="always")
def _integer(x: int, n: int) -> bool:
    pct = 100.0 * x / n
    return abs(pct - round(pct)) < 0.05


@njit(cache=True, inline="always")
def _log_pmf(count: int, n: int, log_p: float, log_q: float, log_norm: float) -> float:
    return (
        log_norm
        - math.lgamma(count + 1.0)
        - math.lgamma(n - count + 1.0)
        + count * log_p
        + (n - count) * log_q
    )


@njit(cache=True, parallel=True)
def integer_probabilities(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """P(100·X/n is integer) for X ~ Binomial(n, x/n), per station."""
    out = np.zeros(x.size)
    for i in prange(x.size):
        ni = n[i]
        if ni <= 0:
            continue
        p = x[i] / ni
        if p <= 0.0 or p >= 1.0:
            out[i] = 1.0 if _integer(x[i], ni) else 0.0
            continue
        log_p, log_q, log_norm = math.log(p), math.log1p(-p), math.lgamma(ni + 1.0)
        sd = 100.0 * math.sqrt(p * (1.0 - p) / ni)
        k_lo = max(0, int(math.floor(100.0 * p - _SD_WINDOW * sd)) - 1)
        k_hi = min(100, int(math.ceil(100.0 * p + _SD_WINDOW * sd)) + 1)
        total = 0.0
        for k in range(k_lo, k_hi + 1):
            # candidates: 20kn - n <= 2000 l <= 20kn + n, widened by one for double rounding
            l_lo = max(0, (20 * k * ni - ni) // 2000 - 1)
            l_hi = min(ni, (20 * k * ni + ni) // 2000 + 1)
            for count in range(l_lo, l_hi + 1):
                pct = 100.0 * count / ni
                if abs(pct - k) < 0.05:
                    total += math.exp(_log_pmf(count, ni, log_p, log_q, log_norm))
        out[i] = min(total, 1.0)
    return out


def integer_probabilities_numpy(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Twin of :func:`integer_probabilities`: sum the binomial pmf over every integer count."""
    out = np.zeros(len(x))
    for i, (xi, ni) in enumerate(zip(x, n, strict=True)):
        if ni <= 0:
            continue
        values = np.arange(ni + 1)
        out[i] = stats.binom.pmf(values, ni, xi / ni)[
            is_integer(values, np.full_like(values, ni))
        ].sum()
    return out


@njit(cache=True, parallel=True)
def integer_null_draws(
    p_share: np.ndarray, p_turnout: np.ndarray, weights: np.ndarray, seeds: np.ndarray
) -> np.ndarray:
    """Null draws of the integer counts: one row per seed, columns ``either, share, turnout``
    and then ``either`` weighted by each row of ``weights``.

    Under the binomial null a station is integer in share with probability ``p_share`` and
    in turnout with ``p_turnout``, independently: a Bernoulli draw is exactly as good as a
    binomial redraw followed by the integer check, and much cheaper. Each draw has its own
    seed, so the result does not depend on the number of threads.
    """
    n_draws, n_stations, n_weights = seeds.size, p_share.size, weights.shape[0]
    out = np.zeros((n_draws, 3 + n_weights))
    for d in prange(n_draws):
        state = np.uint64(seeds[d])
        for i in range(n_stations):
            state, u = splitmix64(state)
            share = u < p_share[i]
            state, u = splitmix64(state)
            turnout = u < p_turnout[i]
            if share:
                out[d, 1] += 1.0
            if turnout:
                out[d, 2] += 1.0
            if share or turnout:
                out[d, 0] += 1.0
                for w in range(n_weights):
                    out[d, 3 + w] += weights[w, i]
    return out


def integer_null_draws_numpy(
    L: np.ndarray,
    R: np.ndarray,
    G: np.ndarray,
    V: np.ndarray,
    weights: np.ndarray,
    n_draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Twin of :func:`integer_null_draws` that redraws the counts themselves:
    L ~ Binomial(R, L/R), G ~ Binomial(V, G/V), then applies the integer check."""
    out = np.zeros((n_draws, 3 + weights.shape[0]))
    for d in range(n_draws):
        share = is_integer(rng.binomial(R, L / R), R)
        turnout = is_integer(rng.binomial(V, G / V), V)
        either = share | turnout
        out[d, :3] = either.sum(), share.sum(), turnout.sum()
        out[d, 3:] = weights[:, either].sum(axis=1)
    return out
