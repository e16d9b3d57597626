"""Monte Carlo p-values and the bootstrap over units (stations or commissions).

Reference for the bootstrap: Efron, B. & Tibshirani, R. (1993). An Introduction to the
Bootstrap. Chapman & Hall (percentile intervals, ch. 13; resampling clusters, ch. 8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tallyscope._rng import RNGLike, check_rng
from tallyscope.results import ConfidenceInterval

__all__ = ["BootstrapResult", "bootstrap_sums", "monte_carlo_pvalue"]


def monte_carlo_pvalue(observed: float, null: np.ndarray, *, alternative: str = "greater") -> float:
    """``(1 + k) / (1 + n)``, ``k`` the null draws at least as extreme as ``observed``."""
    null = np.asarray(null, dtype=float)
    if alternative == "greater":
        k = np.sum(null >= observed)
    elif alternative == "less":
        k = np.sum(null <= observed)
    elif alternative == "two-sided":
        centre = np.mean(null)
        k = np.sum(np.abs(null - centre) >= abs(observed - centre))
    else:
        raise ValueError(
            f"alternative must be 'greater', 'less' or 'two-sided', not {alternative!r}"
        )
    return float((1 + k) / (1 + null.size))


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    """Percentile interval and the bootstrap draws it came from."""

    ci: ConfidenceInterval
    distribution: np.ndarray
    standard_error: float


def bootstrap_sums(
    unit_sums: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    n_resamples: int = 1000,
    level: float = 0.95,
    rng: RNGLike = None,
    batch: int = 250,
) -> BootstrapResult:
    """Bootstrap a statistic that depends on the data only through sums over units.

    ``unit_sums`` has one row per unit (a station, or a commission when resampling
    clusters) and one column per summed quantity; ``statistic`` maps a ``(B, m)`` array of
    resampled totals to ``B`` values. Units are drawn with replacement (multinomial counts),
    ``batch`` replicates at a time to bound memory.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), not {level}")
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    rng = check_rng(rng)
    unit_sums = np.asarray(unit_sums, dtype=float)
    n_units = unit_sums.shape[0]
    draws = []
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        counts = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=size)
        draws.append(statistic(counts @ unit_sums))
    distribution = np.concatenate(draws)
    finite = distribution[np.isfinite(distribution)]
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [alpha, 1.0 - alpha]) if finite.size else (np.nan, np.nan)
    se = float(np.std(finite, ddof=1)) if finite.size > 1 else float("nan")
    return BootstrapResult(ConfidenceInterval(float(low), float(high), level), distribution, se)
