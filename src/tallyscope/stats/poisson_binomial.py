"""The exact distribution of a sum of independent Bernoulli variables (Poisson binomial).

The count of stations with some property (an integer percentage, say) under a null where
each station has it independently with probability ``p_i`` is Poisson-binomial. Its pmf comes
from convolving the stations' two-point distributions, pairwise by FFT (divide and conquer,
O(n log² n), a whole level of pairs at a time); tails too small for double precision are bounded by Chernoff's inequality.

Reference: Hong, Y. (2013). On computing the distribution function for the Poisson binomial
distribution. Computational Statistics & Data Analysis 59, 41-51.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["PoissonBinomial"]

#: Below this, a tail sum from the FFT pmf is rounding noise; the Chernoff bound is used.
_FFT_FLOOR = 1e-12


def _pmf(p: np.ndarray) -> np.ndarray:
    """Multiply the stations' polynomials (1 - p) + p z pairwise, a whole level at a time."""
    if p.size == 0:
        return np.array([1.0])
    rows = np.stack([1.0 - p, p], axis=1)
    while rows.shape[0] > 1:
        if rows.shape[0] % 2:
            identity = np.zeros((1, rows.shape[1]))
            identity[0, 0] = 1.0
            rows = np.vstack([rows, identity])
        a, b = rows[0::2], rows[1::2]
        length = 2 * rows.shape[1] - 1
        if rows.shape[1] <= 32:
            out = np.zeros((a.shape[0], length))
            for j in range(rows.shape[1]):
                out[:, j : j + rows.shape[1]] += a[:, j : j + 1] * b
        else:
            size = 1 << (length - 1).bit_length()
            out = np.fft.irfft(
                np.fft.rfft(a, size, axis=1) * np.fft.rfft(b, size, axis=1), size, axis=1
            )[:, :length]
        rows = np.clip(out, 0.0, None)
    pmf = rows[0][: p.size + 1]  # padding rows add trailing zeros
    return pmf / pmf.sum()


@dataclass(frozen=True, slots=True)
class PoissonBinomial:
    """Sum of independent Bernoulli(``p[i]``)."""

    p: np.ndarray

    @property
    def mean(self) -> float:
        return float(np.sum(self.p))

    @property
    def var(self) -> float:
        return float(np.sum(self.p * (1.0 - self.p)))

    @property
    def sd(self) -> float:
        return float(np.sqrt(self.var))

    def pmf(self) -> np.ndarray:
        """P(X = k) for k = 0..n. Stations with p in {0, 1} only shift the distribution."""
        p = np.asarray(self.p, dtype=float)
        certain = int(np.sum(p >= 1.0))
        core = _pmf(p[(p > 0.0) & (p < 1.0)])
        out = np.zeros(p.size + 1)
        out[certain : certain + core.size] = core
        return out

    def sf(self, k: int) -> float:
        """P(X >= k), exact where above 1e-12, else Chernoff's upper bound."""
        n = self.p.size
        if k <= 0:
            return 1.0
        if k > n:
            return 0.0
        tail = float(self.pmf()[k:].sum())
        if tail >= _FFT_FLOOR or k <= self.mean:
            return min(1.0, tail)
        return min(_FFT_FLOOR, self.chernoff_bound(k))

    def chernoff_bound(self, k: float) -> float:
        """min over t > 0 of E[exp(tX)] exp(-tk): a rigorous upper bound on P(X >= k)."""
        p = self.p

        def log_bound(t: float) -> float:
            return float(np.sum(np.log1p(p * np.expm1(t))) - t * k)

        result = optimize.minimize_scalar(log_bound, bounds=(0.0, 50.0), method="bounded")
        return float(np.exp(min(0.0, result.fun)))
