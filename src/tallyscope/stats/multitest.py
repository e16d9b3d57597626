"""Multiple-testing corrections for a battery of tests.

Reference: Holm, S. (1979). A simple sequentially rejective multiple test procedure.
Scandinavian Journal of Statistics 6(2), 65-70.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["holm"]


def holm(pvalues: Mapping[str, float]) -> dict[str, float]:
    """Holm-adjusted p-values (family-wise error control, any dependence between tests)."""
    names = list(pvalues)
    p = np.array([pvalues[n] for n in names], dtype=float)
    order = np.argsort(p)
    m = p.size
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return {n: float(a) for n, a in zip(names, adjusted, strict=True)}
