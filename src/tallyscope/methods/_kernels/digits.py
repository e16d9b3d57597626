"""Kernels of the digit tests, each with a plain NumPy twin used in the tests.

Under the null of :mod:`tallyscope.methods.digits` a party's count at a station is
``X ~ Binomial(n, x/n)`` (``x`` the published count, ``n`` the station's valid votes). What a
digit test sees of ``X`` is one of eleven *categories*: 0 when ``X < min_count`` (the count
is not used), else 1 + the digit (0-9). :func:`digit_probabilities` gives each count's exact
category probabilities for the last digit and for the second significant digit, summing the
binomial pmf outward from the mode until the terms fall below 1e-17 of the mode's (the rest
of the mass is below 1e-15). :func:`digit_null_draws` then draws categories, one per count
and simulation: a categorical draw from the exact probabilities is exactly as good as
redrawing the count and reading its digit, and much cheaper. Each simulation has its own
SplitMix64 stream, so the draws do not depend on the number of threads.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numba import njit, prange
from scipy import stats

from tallyscope.methods._kernels._random import splitmix64, splitmix64_arrays

__all__ = [
    "N_CATEGORIES",
    "digit_null_draws",
    "digit_null_draws_numpy",
    "digit_probabilities",
    "digit_probabilities_numpy",
    "last_digit",
    "second_digit",
]

#: Category 0: the count is below ``min_count``; categories 1-10: digits 0-9.
N_CATEGORIES = 11
#: The pmf is summed until its terms fall below this fraction of the pmf at the mode.
_RELATIVE_CUTOFF = 1e-17
#: Counts per block of :func:`digit_null_draws` (the block's rows stay in cache).
_BLOCK = 2048
#: Simulations per parallel task of :func:`digit_null_draws`.
_CHUNK = 16
#: Inputs at least this large use the parallel kernels.
_PARALLEL_COUNTS = 20_000
_PARALLEL_DRAWS = 5_000_000


def _threads(parallel: bool, kernel: Any, *args: Any) -> Any:
    """Run ``kernel`` on all Numba threads, or on one for small inputs."""
    if parallel:
        return kernel(*args)
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return kernel(*args)
    finally:
        numba.set_num_threads(previous)


def last_digit(k: np.ndarray) -> np.ndarray:
    """The last decimal digit of non-negative integers."""
    return np.asarray(k, dtype=np.int64) % 10


def second_digit(k: np.ndarray) -> np.ndarray:
    """The second significant digit of integers >= 10 (-1 below 10)."""
    k = np.asarray(k, dtype=np.int64)
    out = np.full(k.shape, -1, dtype=np.int64)
    big = k >= 10
    magnitude = np.floor(np.log10(np.maximum(k, 1))).astype(np.int64)
    # log10 can round the wrong way at powers of ten: fix the magnitude with integers
    magnitude = np.where(10**magnitude > k, magnitude - 1, magnitude)
    magnitude = np.where(10 ** (magnitude + 1) <= k, magnitude + 1, magnitude)
    out[big] = (k[big] // 10 ** (magnitude[big] - 1)) % 10
    return out


@njit(cache=True, inline="always")
def _second(k: int) -> int:
    while k >= 100:
        k //= 10
    return k % 10


@njit(cache=True, inline="always")
def _add(last: np.ndarray, second: np.ndarray, i: int, k: int, w: float, min_count: int) -> None:
    last[i, 1 + k % 10 if k >= min_count else 0] += w
    second[i, 1 + _second(k) if k >= min_count and k >= 10 else 0] += w


def digit_probabilities(
    x: np.ndarray, n: np.ndarray, min_count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Category probabilities of the last and second digits of X ~ Binomial(n, x/n).

    Returns two ``(len(x), 11)`` arrays. A count enters the last-digit test when
    ``X >= min_count``, the second-digit test when ``X >= max(min_count, 10)``. Large inputs
    run on all threads, small ones on one (starting threads costs more than it saves).
    """
    x = np.ascontiguousarray(x, dtype=np.int64)
    n = np.ascontiguousarray(n, dtype=np.int64)
    return _threads(x.size >= _PARALLEL_COUNTS, _probabilities, x, n, int(min_count))


@njit(cache=True, parallel=True)
def _probabilities(x: np.ndarray, n: np.ndarray, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    m = x.size
    last = np.zeros((m, N_CATEGORIES))
    second = np.zeros((m, N_CATEGORIES))
    for i in prange(m):
        ni, xi = n[i], x[i]
        if ni <= 0 or xi <= 0 or xi >= ni:
            k = 0 if ni <= 0 else xi
            _add(last, second, i, k, 1.0, min_count)
            continue
        p = xi / ni
        ratio_up = p / (1.0 - p)
        mode = min(ni, int(math.floor((ni + 1) * p)))
        total = 1.0
        _add(last, second, i, mode, 1.0, min_count)
        w = 1.0
        k = mode
        while k < ni:  # upwards: pmf(k + 1) = pmf(k) (n - k) / (k + 1) p / q
            w *= (ni - k) / (k + 1.0) * ratio_up
            k += 1
            if w < _RELATIVE_CUTOFF:
                break
            _add(last, second, i, k, w, min_count)
            total += w
        w = 1.0
        k = mode
        while k > 0:  # downwards: pmf(k - 1) = pmf(k) k / (n - k + 1) q / p
            w *= k / (ni - k + 1.0) / ratio_up
            k -= 1
            if w < _RELATIVE_CUTOFF:
                break
            _add(last, second, i, k, w, min_count)
            total += w
        for c in range(N_CATEGORIES):
            last[i, c] /= total
            second[i, c] /= total
    return last, second


def digit_probabilities_numpy(
    x: np.ndarray, n: np.ndarray, min_count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Twin of :func:`digit_probabilities`: the whole binomial pmf, digit by digit."""
    m = len(x)
    last = np.zeros((m, N_CATEGORIES))
    second = np.zeros((m, N_CATEGORIES))
    for i, (xi, ni) in enumerate(zip(x, n, strict=True)):
        values = np.arange(max(int(ni), 0) + 1)
        pmf = stats.binom.pmf(values, ni, xi / ni) if ni > 0 else np.ones(1)
        used = values >= min_count
        np.add.at(last[i], np.where(used, 1 + last_digit(values), 0), pmf)
        used &= values >= 10
        np.add.at(second[i], np.where(used, 1 + second_digit(values), 0), pmf)
    return last, second


def digit_null_draws(
    cdf: np.ndarray, group: np.ndarray, n_groups: int, seeds: np.ndarray
) -> np.ndarray:
    """Category counts of simulated digits: ``(len(seeds), n_groups, 11)``.

    ``cdf`` holds each count's cumulative category probabilities (its last column 1);
    simulation ``d`` draws one uniform per count from its own SplitMix64 stream seeded with
    ``seeds[d]``, in the order of the rows, and takes the first category whose cumulative
    probability exceeds it. The simulations are shared out in chunks of ``_CHUNK``; a chunk
    walks the rows block by block, all its simulations finishing a block before the next, so
    the block stays in cache. Large inputs run on all threads, small ones on one.
    """
    cdf = np.ascontiguousarray(cdf, dtype=np.float64)
    group = np.ascontiguousarray(group, dtype=np.int64)
    seeds = np.ascontiguousarray(seeds, dtype=np.uint64)
    parallel = cdf.shape[0] * seeds.size >= _PARALLEL_DRAWS
    return _threads(parallel, _draws, cdf, group, int(n_groups), seeds)


@njit(cache=True, parallel=True)
def _draws(cdf: np.ndarray, group: np.ndarray, n_groups: int, seeds: np.ndarray) -> np.ndarray:
    n_sims = seeds.size
    m, k_max = cdf.shape
    out = np.zeros((n_sims, n_groups, k_max), dtype=np.int64)
    n_chunks = (n_sims + _CHUNK - 1) // _CHUNK
    for chunk in prange(n_chunks):
        first = chunk * _CHUNK
        last = min(first + _CHUNK, n_sims)
        states = seeds[first:last].copy()
        for start in range(0, m, _BLOCK):
            stop = min(start + _BLOCK, m)
            for d in range(first, last):
                state = states[d - first]
                for i in range(start, stop):
                    state, u = splitmix64(state)
                    c = 0
                    while c < k_max - 1 and u >= cdf[i, c]:
                        c += 1
                    out[d, group[i], c] += 1
                states[d - first] = state
    return out


def digit_null_draws_numpy(
    cdf: np.ndarray, group: np.ndarray, n_groups: int, seeds: np.ndarray
) -> np.ndarray:
    """Twin of :func:`digit_null_draws`: the same streams, vectorised over simulations."""
    n_sims = seeds.size
    out = np.zeros((n_sims, n_groups, cdf.shape[1]), dtype=np.int64)
    state = np.asarray(seeds, dtype=np.uint64).copy()
    sims = np.arange(n_sims)
    with np.errstate(over="ignore"):
        for i in range(cdf.shape[0]):
            state, u = splitmix64_arrays(state)
            category = np.minimum(np.searchsorted(cdf[i], u, side="right"), cdf.shape[1] - 1)
            np.add.at(out, (sims, group[i], category), 1)
    return out
