"""A counter-based random stream for Numba kernels: every draw has its own seed, so results
do not depend on the number of threads.

Reference: Steele, G. L., Lea, D. & Flood, C. H. (2014). Fast splittable pseudorandom number
generators. OOPSLA 2014 (the SplitMix64 finaliser).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["splitmix64", "splitmix64_arrays"]


@njit(cache=True, inline="always")
def splitmix64(state: np.uint64) -> tuple[np.uint64, float]:
    """Advance ``state`` and return it with a uniform double in [0, 1)."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return state, (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


#: The same arithmetic on NumPy arrays of states, for the kernels' NumPy twins (the plain Python
#: function behind the compiled one; the function itself where compilation is disabled).
splitmix64_arrays = getattr(splitmix64, "py_func", splitmix64)
