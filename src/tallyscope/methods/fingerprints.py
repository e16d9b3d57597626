"""Election fingerprints: the joint distribution of turnout and the leader's share.

The *fingerprint* (Klimek et al. 2012; the "comet" plots of Kobak et al. 2016) is the 2-D
histogram of the stations' turnout 100·G/V against the leader's share 100·L/R. A clean
election gives one roughly elliptical cloud; ballot stuffing and rewritten protocols smear it
towards the corner of 100 % turnout and 100 % share, and extreme fraud piles stations there.
:func:`histograms` gives the 1-D turnout and share histograms at 0.1 pp, where rewritten
protocols show as peaks at whole (and round) percentages.

This module describes; it tests nothing. It also gives the share of stations in the corner
of turnout above 90 % and share above 80 % (:class:`HighCorner`, stations with at least 100
registered voters), and the share of the leader's votes cast there. Measured on the bundled
elections (regular stations): Poland 2025 0.00 % of stations in both rounds; Russia 2011
8.55 % of stations holding 15.7 % of United Russia's votes, 2012 8.73 % holding 10.9 % of
Putin's, 2021 5.58 % holding 11.1 % of United Russia's.

**Binning.** ``bin_width`` must divide 100. Bin ``k`` of ``n = 100 / bin_width`` holds the
stations with ``k/n <= G/V < (k+1)/n``, decided in exact integer arithmetic (``n·G // V``), so
a station at exactly 70 % is in the bin that starts at 70 % whatever the rounding of
``100·G/V``. The last bin is closed: exactly 100 % falls in ``[100 - bin_width, 100]``. The
same rule holds for the share. Stations with a turnout above 100 % (G > V) are left out and
counted in ``excluded``, as are stations without valid or invalid ballots; stations abroad and
e-vote pseudo-stations are not regular stations and are left out by default (``kinds``).
With ``noise=True`` (:func:`histograms`) the percentages are no longer ratios of integers and
are binned as ``floor(value / bin_width)``, values below 0 or above 100 going to the first or
last bin.

**Weights.** ``"registered"`` weights each station by its registered voters V (the default of
the fingerprint: the histogram then counts voters, not stations, so small stations do not
dominate), ``"voters"`` by the ballots issued G (the people who voted), ``"stations"`` counts
stations.

References: Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S. (2012). Statistical detection of
systematic election irregularities. PNAS 109(41), 16469-16473. Kobak, D., Shpilkin, S. &
Pshenichnikov, M. S. (2016). Integer percentages as electoral falsification fingerprints.
Annals of Applied Statistics 10(1), 54-73.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np

from tallyscope._rng import RNGLike, check_rng
from tallyscope.methods._stations import StationData, station_data
from tallyscope.model import ANALYSED_KINDS, Election
from tallyscope.results import _Serialisable

__all__ = ["FingerprintResult", "HighCorner", "HistogramsResult", "fingerprint", "histograms"]

METHOD = "fingerprint"
REFERENCE = (
    "Klimek, Yegorov, Hanel & Thurner (2012), PNAS 109(41); "
    "Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1)"
)
WEIGHTS = ("registered", "voters", "stations")
BIN_RULE = (
    "bin k of n holds k/n <= x < (k+1)/n (exact integer arithmetic); the last bin is closed, "
    "so exactly 100 % falls in [100 - bin_width, 100]"
)
NOISE_RULE = (
    "numerators G and L each moved by uniform noise on [-0.5, 0.5) before dividing; bin "
    "floor(value / bin_width), values outside [0, 100] in the first or last bin"
)
#: The corner of :class:`HighCorner`: turnout above this and share above ``CORNER_SHARE``.
CORNER_TURNOUT = 90
CORNER_SHARE = 80
#: Stations with fewer registered voters are left out of the corner summary.
CORNER_MIN_REGISTERED = 100


@dataclasses.dataclass(frozen=True, slots=True)
class HighCorner(_Serialisable):
    """Stations with turnout above ``turnout_above`` % and share above ``share_above`` %,
    among those with at least ``min_registered`` voters: their number, their share of those
    stations, and their share of the leader's votes and of the registered voters there."""

    turnout_above: float
    share_above: float
    min_registered: int
    stations: int
    stations_pct: float
    leader_votes_pct: float
    registered_pct: float


@dataclasses.dataclass(frozen=True, slots=True)
class FingerprintResult(_Serialisable):
    """The 2-D histogram of turnout (rows) by leader share (columns).

    ``counts[i, j]`` is the summed ``weight`` of the stations in turnout bin ``i`` and share
    bin ``j``; both axes have the ``edges`` ``0, bin_width, ..., 100`` and follow
    ``bin_rule``. ``to_dict`` gives the non-empty cells only, as three parallel lists
    (``turnout_bin``, ``share_bin``, ``value``).
    """

    party: str
    weight: str
    bin_width: float
    edges: np.ndarray
    counts: np.ndarray
    total: int
    stations_included: int
    excluded: dict[str, int]
    high_corner: HighCorner
    turnout_basis: str
    kinds: list[str]
    bin_rule: str = BIN_RULE
    method: str = METHOD
    reference: str = REFERENCE

    def to_dict(self) -> dict[str, Any]:
        out = _Serialisable.to_dict(self)
        rows, cols = np.nonzero(self.counts)
        out["edges"] = {"start": 0.0, "stop": 100.0, "width": self.bin_width}
        out["counts"] = {
            "shape": list(self.counts.shape),
            "format": "sparse: the non-empty cells, counts[turnout_bin[k], share_bin[k]] = value[k]",
            "turnout_bin": rows.tolist(),
            "share_bin": cols.tolist(),
            "value": self.counts[rows, cols].tolist(),
        }
        return out


@dataclasses.dataclass(frozen=True, slots=True)
class HistogramsResult(_Serialisable):
    """The 1-D histograms of turnout and leader share on the same ``edges``."""

    party: str
    weight: str
    bin_width: float
    edges: np.ndarray
    turnout: np.ndarray
    share: np.ndarray
    noise: bool
    seed: int | None
    stations_included: int
    excluded: dict[str, int]
    turnout_basis: str
    bin_rule: str
    method: str = "histograms"
    reference: str = REFERENCE

    def to_dict(self) -> dict[str, Any]:
        out = _Serialisable.to_dict(self)
        out["edges"] = {"start": 0.0, "stop": 100.0, "width": self.bin_width}
        out["turnout"] = [int(v) for v in self.turnout]
        out["share"] = [int(v) for v in self.share]
        return out


def _n_bins(bin_width: float) -> int:
    if not bin_width > 0:
        raise ValueError(f"bin_width must be positive, not {bin_width!r}")
    n = round(100.0 / bin_width)
    if n < 1 or abs(n * bin_width - 100.0) > 1e-9 * 100.0:
        raise ValueError(f"bin_width must divide 100 (0.1, 0.5, 1, ...), not {bin_width!r}")
    return int(n)


def _weights(data: StationData, weight: str) -> np.ndarray:
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {WEIGHTS}, not {weight!r}")
    if weight == "registered":
        return data.V
    if weight == "voters":
        return data.G
    return np.ones(data.n, dtype=np.int64)


def _select(data: StationData) -> StationData:
    data = data.subset(data.R > 0, "no valid or invalid ballots")
    return data.subset(data.G <= data.V, "turnout above 100 %")


def bin_index(numerator: np.ndarray, denominator: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin of ``numerator / denominator`` among ``n_bins`` equal bins of [0, 1], in exact
    integer arithmetic; a ratio of exactly 1 goes to the last bin. Needs
    0 <= numerator <= denominator and denominator > 0."""
    index = (n_bins * np.asarray(numerator, dtype=np.int64)) // np.asarray(
        denominator, dtype=np.int64
    )
    return np.minimum(index, n_bins - 1)


def fingerprint(
    election: Election,
    *,
    party: str | None = None,
    bin_width: float = 0.5,
    weight: str = "registered",
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
) -> FingerprintResult:
    """The 2-D histogram of turnout × ``party``'s share (the leader by default).

    ``bin_width`` (percentage points, dividing 100) and ``weight`` (``"registered"``,
    ``"voters"``, ``"stations"``) as in the module docstring; ``kinds`` the stations analysed
    (regular stations by default: stations abroad and e-vote pseudo-stations are left out and
    counted in ``excluded``).
    """
    n = _n_bins(bin_width)
    data = _select(station_data(election, party=party, kinds=kinds))
    w = _weights(data, weight)
    rows = bin_index(data.G, data.V, n)
    cols = bin_index(data.L, data.R, n)
    counts = np.bincount(rows * n + cols, weights=w, minlength=n * n)
    counts = np.rint(counts).astype(np.int64).reshape(n, n)
    return FingerprintResult(
        party=data.party,
        weight=weight,
        bin_width=float(bin_width),
        edges=np.linspace(0.0, 100.0, n + 1),
        counts=counts,
        total=int(w.sum()),
        stations_included=data.n,
        excluded=data.excluded,
        high_corner=high_corner(data),
        turnout_basis=data.turnout_basis,
        kinds=list(data.kinds),
    )


def high_corner(data: StationData) -> HighCorner:
    """The :class:`HighCorner` summary of the stations in ``data`` (exact comparisons:
    ``100·G > 90·V`` and ``100·L > 80·R``)."""
    big = data.V >= CORNER_MIN_REGISTERED
    V, G, R, L = data.V[big], data.G[big], data.R[big], data.L[big]
    corner = (100 * G > CORNER_TURNOUT * V) & (100 * L > CORNER_SHARE * R)
    n = int(big.sum())

    def pct(part: float, whole: float) -> float:
        return 100.0 * part / whole if whole else float("nan")

    return HighCorner(
        turnout_above=CORNER_TURNOUT,
        share_above=CORNER_SHARE,
        min_registered=CORNER_MIN_REGISTERED,
        stations=int(corner.sum()),
        stations_pct=pct(int(corner.sum()), n),
        leader_votes_pct=pct(int(L[corner].sum()), int(L.sum())),
        registered_pct=pct(int(V[corner].sum()), int(V.sum())),
    )


def histograms(
    election: Election,
    *,
    party: str | None = None,
    bin_width: float = 0.1,
    noise: bool = False,
    weight: str = "stations",
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    rng: RNGLike = None,
) -> HistogramsResult:
    """The 1-D histograms of turnout and ``party``'s share at ``bin_width`` pp (0.1 by default).

    With ``noise=True`` each station's G and L are moved by uniform noise on [-0.5, 0.5)
    before dividing (Kobak et al. 2016): a station with 200 voters can only report
    percentages in steps of 0.5, and without the noise the small denominators make spikes at
    simple fractions that are not integer-percentage peaks. ``rng`` seeds the noise.
    ``weight`` counts ``"stations"`` by default (or ``"registered"``, ``"voters"``).
    """
    n = _n_bins(bin_width)
    seed = rng if isinstance(rng, int) else None
    data = _select(station_data(election, party=party, kinds=kinds))
    w = _weights(data, weight)
    if noise:
        generator = check_rng(rng)
        turnout = 100.0 * (data.G + generator.uniform(-0.5, 0.5, data.n)) / data.V
        share = 100.0 * (data.L + generator.uniform(-0.5, 0.5, data.n)) / data.R
        rows = np.clip(np.floor(turnout / (100.0 / n)), 0, n - 1).astype(np.int64)
        cols = np.clip(np.floor(share / (100.0 / n)), 0, n - 1).astype(np.int64)
        rule = NOISE_RULE
    else:
        rows = bin_index(data.G, data.V, n)
        cols = bin_index(data.L, data.R, n)
        rule = BIN_RULE
    return HistogramsResult(
        party=data.party,
        weight=weight,
        bin_width=float(bin_width),
        edges=np.linspace(0.0, 100.0, n + 1),
        turnout=np.rint(np.bincount(rows, weights=w, minlength=n)).astype(np.int64),
        share=np.rint(np.bincount(cols, weights=w, minlength=n)).astype(np.int64),
        noise=noise,
        seed=seed,
        stations_included=data.n,
        excluded=data.excluded,
        turnout_basis=data.turnout_basis,
        bin_rule=rule,
    )
