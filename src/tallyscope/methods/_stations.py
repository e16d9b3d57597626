"""The per-station arrays every station-level method starts from.

Notation of Kobak, Shpilkin & Pshenichnikov (2016): V registered voters, G ballots issued,
R valid + invalid ballots, L the leader's votes (or any party's), O = valid - L the other
parties' votes. Turnout is 100·G/V and the share 100·L/R. Where a source publishes no
ballots-issued figure, G is R (turnout = ballots cast / registered) and ``turnout_basis``
says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from tallyscope.exceptions import NotApplicableError
from tallyscope.model import ANALYSED_KINDS, Election, Selection

__all__ = ["StationData", "analysed", "station_data"]


@dataclass(frozen=True, slots=True)
class StationData:
    """Integer arrays of the analysed stations and what was left out."""

    V: np.ndarray
    G: np.ndarray
    R: np.ndarray
    L: np.ndarray
    valid: np.ndarray
    party: str
    turnout_basis: str
    region: np.ndarray
    region_names: list[str]
    commission: np.ndarray
    commission_names: list[str]
    station: np.ndarray
    excluded: dict[str, int]
    kinds: tuple[str, ...]

    @property
    def O(self) -> np.ndarray:  # noqa: E743 - the paper's letter
        return self.valid - self.L

    @property
    def n(self) -> int:
        return int(self.V.size)

    @property
    def turnout(self) -> np.ndarray:
        """100·G/V in percent (NaN where V = 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return 100.0 * self.G / self.V

    @property
    def share(self) -> np.ndarray:
        """100·L/R in percent (NaN where R = 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return 100.0 * self.L / self.R

    def empirical_logits(self) -> np.ndarray:
        """Empirical logits (stations x 2) of turnout G/V and of the party's share of the valid
        votes L/valid, with a half count added to each cell."""
        return np.column_stack(
            [
                np.log((self.G + 0.5) / (self.V - self.G + 0.5)),
                np.log((self.L + 0.5) / (self.valid - self.L + 0.5)),
            ]
        )

    def subset(self, mask: np.ndarray, reason: str | None = None) -> StationData:
        """The stations where ``mask`` holds; the others are counted under ``reason``."""
        excluded = dict(self.excluded)
        dropped = int(mask.size - np.count_nonzero(mask))
        if dropped and reason is not None:
            excluded[reason] = excluded.get(reason, 0) + dropped
        return StationData(
            self.V[mask], self.G[mask], self.R[mask], self.L[mask], self.valid[mask], self.party,
            self.turnout_basis, self.region[mask], self.region_names, self.commission[mask],
            self.commission_names, self.station[mask], excluded, self.kinds,
        )  # fmt: skip


def station_data(
    election: Election,
    *,
    party: str | None = None,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    need_registered: bool = True,
) -> StationData:
    """The analysed stations of ``election`` as arrays (``party`` defaults to the leader).

    Stations of other kinds, and stations missing a needed figure, are counted in
    ``excluded`` by reason. Raises :class:`NotApplicableError` when the election has no
    registered-voter figures and ``need_registered`` is true.
    """
    name = election.party(party)
    selection = analysed(election, kinds=kinds, need_registered=need_registered)
    basis = "issued" if election.has("issued") else "cast"
    chosen = selection.election
    R = chosen.counts("cast")
    V = chosen.counts("registered") if need_registered else np.zeros_like(R)
    region, region_names = chosen.group_codes("region")
    commission, commission_names = chosen.group_codes("commission")
    wanted = tuple(
        k
        for k in ("regular", "mobile", "special", "abroad", "electronic", "zero")
        if k in _kind_set(kinds)
    )
    return StationData(
        V=V,
        G=chosen.counts(basis),
        R=R,
        L=chosen.counts(name),
        valid=chosen.counts("valid"),
        party=name,
        turnout_basis=f"{basis} / registered",
        region=region,
        region_names=region_names,
        commission=commission,
        commission_names=commission_names,
        station=chosen.stations["station"].fill_null("").to_numpy(),
        excluded=selection.excluded,
        kinds=wanted,
    )


def analysed(
    election: Election,
    *,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    need_registered: bool = True,
) -> Selection:
    """The stations :func:`station_data` takes, as a :class:`Selection` (same order)."""
    if need_registered and not election.has("registered"):
        raise NotApplicableError("needs registered voters, which this election does not publish")
    basis = "issued" if election.has("issued") else "cast"
    require = ["cast", "valid", *(["registered"] if need_registered else []), basis]
    return election.select(kinds=kinds, require=dict.fromkeys(require))


def _kind_set(kinds: Iterable[str] | str | None) -> set[str]:
    if kinds is None or kinds == "all":
        return {"regular", "mobile", "special", "abroad", "electronic", "zero"}
    return {str(k) for k in kinds}
