"""Monte Carlo p-values and the bootstrap over units (stations or commissions).

Reference for the bootstrap: Efron, B. & Tibshirani, R. (1993). An Introduction to the
Bootstrap. Chapman & Hall (percentile intervals, ch. 13; resampling clusters, ch. 8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from tallyscope._rng import RNGLike, check_rng
from tallyscope.results import ConfidenceInterval

__all__ = [
    "BootstrapResult",
    "bootstrap_sums",
    "monte_carlo_pvalue",
    "percentile_interval",
    "resample_counts",
]


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


def resample_counts(
    n_units: int, n_resamples: int, rng: np.random.Generator, *, batch: int = 250
) -> Iterator[np.ndarray]:
    """How often each of ``n_units`` units is drawn in each bootstrap replicate (drawing units
    with replacement): ``(size, n_units)`` integer arrays, ``batch`` replicates at a time."""
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        picks = rng.integers(0, n_units, size=(size, n_units))
        flat = (np.arange(size)[:, None] * n_units + picks).ravel()
        yield np.bincount(flat, minlength=size * n_units).reshape(size, n_units)


def percentile_interval(draws: np.ndarray, level: float) -> BootstrapResult:
    """The percentile interval of bootstrap draws (non-finite draws ignored)."""
    finite = draws[np.isfinite(draws)]
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [alpha, 1.0 - alpha]) if finite.size else (np.nan, np.nan)
    se = float(np.std(finite, ddof=1)) if finite.size > 1 else float("nan")
    return BootstrapResult(ConfidenceInterval(float(low), float(high), level), draws, se)


def bootstrap_sums(
    unit_sums: np.ndarray,
    statistics: Mapping[str, Callable[[np.ndarray], np.ndarray]],
    *,
    n_resamples: int = 1000,
    level: float = 0.95,
    rng: RNGLike = None,
    batch: int = 250,
) -> dict[str, BootstrapResult]:
    """Bootstrap statistics that depend on the data only through sums over units.

    ``unit_sums`` has one row per unit (a station, or a commission when resampling
    clusters) and one column per summed quantity; each statistic maps a ``(B, m)`` array of
    resampled totals to ``B`` values. All statistics share the same replicates.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), not {level}")
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    unit_sums = np.asarray(unit_sums, dtype=float)
    draws: dict[str, list[np.ndarray]] = {name: [] for name in statistics}
    for counts in resample_counts(unit_sums.shape[0], n_resamples, check_rng(rng), batch=batch):
        totals = counts @ unit_sums
        for name, statistic in statistics.items():
            draws[name].append(statistic(totals))
    return {name: percentile_interval(np.concatenate(d), level) for name, d in draws.items()}
