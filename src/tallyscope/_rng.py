"""Random number generators, following SPEC 7: one ``rng`` argument everywhere."""

from __future__ import annotations

import numpy as np

RNGLike = np.random.Generator | np.random.SeedSequence | int | None


def check_rng(rng: RNGLike) -> np.random.Generator:
    """Return a Generator for ``rng`` (a seed, a SeedSequence, a Generator or None)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not (
        rng is None or isinstance(rng, int | np.integer | np.random.SeedSequence)
    ):
        raise TypeError(
            f"rng must be an int seed, a numpy Generator or None, not {type(rng).__name__}"
        )
    return np.random.default_rng(rng)


def spawn(rng: RNGLike, n: int) -> list[np.random.Generator]:
    """``n`` independent child generators of ``rng`` (for batches and parallel work)."""
    return check_rng(rng).spawn(n)


def seed_for_numba(rng: np.random.Generator) -> int:
    """A 63-bit seed drawn from ``rng`` for a Numba kernel's own generator."""
    return int(rng.integers(0, 2**63 - 1))
