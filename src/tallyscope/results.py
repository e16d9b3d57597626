"""Typed, serialisable results.

Every method returns a frozen dataclass. Each has ``to_dict()``, which gives plain JSON types
(arrays of more than a few thousand values, such as null distributions, are summarised, not
dumped). Tests return :class:`TestResult`, estimates :class:`Estimate`; a method that cannot
run on an election returns :class:`NotApplicable` with the reason, never a made-up number.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from enum import Enum
from typing import Any

import numpy as np
import polars as pl

__all__ = [
    "ConfidenceInterval",
    "Estimate",
    "NotApplicable",
    "Summary",
    "TestResult",
    "summarise_array",
    "to_jsonable",
]

#: Arrays longer than this are summarised in ``to_dict`` (mean, sd, quantiles).
MAX_ARRAY_IN_JSON = 2_000


def to_jsonable(value: Any) -> Any:
    """Convert results, arrays, frames and enums into JSON types (NaN becomes None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, pl.DataFrame):
        return [to_jsonable(r) for r in value.iter_rows(named=True)]
    if isinstance(value, np.ndarray):
        if value.size > MAX_ARRAY_IN_JSON:
            return summarise_array(value)
        return to_jsonable(value.tolist())
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summarise_array(values: np.ndarray) -> dict[str, Any]:
    """Size, mean, sd and the 2.5/50/97.5 % quantiles of an array (for JSON)."""
    flat = np.asarray(values, dtype=float).ravel()
    q = np.quantile(flat, [0.025, 0.5, 0.975])
    return {
        "n": int(flat.size),
        "mean": float(flat.mean()),
        "sd": float(flat.std(ddof=1)) if flat.size > 1 else 0.0,
        "quantiles": {"2.5%": float(q[0]), "50%": float(q[1]), "97.5%": float(q[2])},
    }


class _Serialisable:
    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True, slots=True)
class ConfidenceInterval(_Serialisable):
    """A two-sided interval ``[low, high]`` at ``level`` (0.95 is 95 %)."""

    low: float
    high: float
    level: float = 0.95

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_list(self) -> list[float]:
        return [self.low, self.high]


@dataclasses.dataclass(frozen=True, slots=True)
class Estimate(_Serialisable):
    """A point estimate with its interval and how the interval was made."""

    value: float
    ci: ConfidenceInterval | None = None
    method: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class TestResult(_Serialisable):
    """A hypothesis test: the statistic, its p-value and, where simulated, the null draws.

    A Monte Carlo p-value is ``(1 + k) / (1 + n)`` with ``k`` of ``n`` null draws at least as
    extreme as the observed statistic, so it is never zero.
    """

    __test__ = False  # not a pytest class

    statistic: float
    pvalue: float
    method: str
    null_distribution: np.ndarray | None = None
    n_resamples: int = 0
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def rejects(self, alpha: float = 0.05) -> bool:
        return bool(self.pvalue <= alpha)


@dataclasses.dataclass(frozen=True, slots=True)
class NotApplicable(_Serialisable):
    """A method that could not run on this election, and why."""

    method: str
    reason: str
    status: str = "not applicable"


@dataclasses.dataclass(frozen=True, slots=True)
class PartyTotal(_Serialisable):
    name: str
    votes: int
    pct_of_cast: float | None
    pct_of_valid: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class Summary(_Serialisable):
    """National totals of an election (``tallyscope summary``).

    ``stations`` counts the rows with figures, of every kind; ``excluded`` the rows left out
    of the totals, by reason; ``flagged`` the stations that break an identity of a clean
    protocol (they are counted in the totals). ``turnout_pct`` is issued / registered, or
    cast / registered where no issued figure exists (``turnout_basis`` says which); None
    where no registered-voter figure exists.
    """

    id: str | None
    name: str
    stations: int
    by_kind: dict[str, int]
    registered: int | None
    issued: int | None
    cast: int
    valid: int
    invalid: int | None
    turnout_pct: float | None
    turnout_basis: str
    leader: str
    parties: list[PartyTotal]
    excluded: dict[str, int]
    flagged: dict[str, int]
    derived: dict[str, str]
