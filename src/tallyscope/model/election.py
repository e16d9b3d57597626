"""The canonical election: metadata plus one validated row per polling station."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from tallyscope.exceptions import NotApplicableError, TallyscopeError
from tallyscope.model.schema import ANALYSED_KINDS, CHECK_BITS, COUNT_ROLES, ID_ROLES, Kind

__all__ = ["Election", "ElectionInfo", "Selection"]


@dataclass(frozen=True, slots=True)
class ElectionInfo:
    """What an election is and where its figures come from."""

    country: str
    date: str
    kind: str
    name: str
    id: str | None = None
    leader: str | None = None
    source: str = ""
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"provenance": dict(self.provenance)}


@dataclass(frozen=True, slots=True)
class Selection:
    """The stations a method analyses, and how many it left out for each reason."""

    election: Election
    excluded: dict[str, int]


class Election:
    """One election: :class:`ElectionInfo` plus a Polars table with one row per station.

    Build one with a loader (:func:`tallyscope.load`, :func:`tallyscope.read_cec`,
    :func:`tallyscope.read_table`) or :func:`tallyscope.model.build_election`; the constructor
    trusts its input and is for code that already holds a validated table.
    """

    __slots__ = ("_stations", "info", "parties")

    def __init__(self, stations: pl.DataFrame, parties: Sequence[str], info: ElectionInfo) -> None:
        self._stations = stations
        self.parties: tuple[str, ...] = tuple(parties)
        self.info = info

    # -- access ---------------------------------------------------------------------------
    @property
    def stations(self) -> pl.DataFrame:
        """The station table (a Polars DataFrame; treat it as read-only)."""
        return self._stations

    def __len__(self) -> int:
        return self._stations.height

    def __repr__(self) -> str:
        return (
            f"Election({self.info.id or self.info.name!r}, {len(self):,} stations, "
            f"{len(self.parties)} parties, leader={self.leader!r})"
        )

    @property
    def leader(self) -> str:
        """The leader: ``info.leader`` if set, else the party with most votes."""
        if self.info.leader is not None:
            return self.info.leader
        if not self.parties:
            raise NotApplicableError("this election has no party columns")
        totals = self._stations.select(pl.col(list(self.parties)).sum()).row(0)
        return self.parties[int(np.argmax(totals))]

    def party(self, name: str | None) -> str:
        """The party column called ``name``; ``None`` is the leader. A unique prefix or
        substring (case-insensitive) is accepted, so ``"Путин"`` finds the full name."""
        if name is None:
            return self.leader
        if name in self.parties:
            return name
        needle = name.casefold()
        hits = [p for p in self.parties if needle in p.casefold()]
        if len(hits) == 1:
            return hits[0]
        what = "matches several parties" if hits else "matches no party"
        raise NotApplicableError(f"{name!r} {what}; parties are: {', '.join(self.parties)}")

    def has(self, role: str) -> bool:
        """Whether the table has a count role with at least one published value."""
        return role in self._stations.columns and self._stations[role].null_count() < len(self)

    def counts(self, role: str) -> np.ndarray:
        """A count role (or a party) as an int64 array; raises if absent or incomplete."""
        if role not in COUNT_ROLES and role not in self.parties:
            raise KeyError(f"{role!r} is neither a count role nor a party")
        if not self.has(role):
            raise NotApplicableError(f"this election has no {role!r} figures")
        column = self._stations[role]
        if column.null_count():
            raise NotApplicableError(
                f"{column.null_count():,} stations have no {role!r} figure; select stations "
                f"with require=({role!r},) first"
            )
        return column.to_numpy().astype(np.int64, copy=False)

    def votes(self, parties: Iterable[str] | None = None) -> np.ndarray:
        """Votes as an int64 matrix, one row per station, one column per party."""
        names = list(self.parties if parties is None else parties)
        return self._stations.select(names).to_numpy().astype(np.int64, copy=False)

    def group_codes(self, level: str) -> tuple[np.ndarray, list[str]]:
        """Integer codes 0..k-1 of each station's group at an identifier level, and the
        groups' names (a commission is named with its region, as names repeat across regions)."""
        if level not in ID_ROLES:
            raise KeyError(f"level must be one of {ID_ROLES}, not {level!r}")
        upto = list(ID_ROLES[: ID_ROLES.index(level) + 1])
        keys = self._stations.select(
            pl.concat_str([pl.col(c).fill_null("") for c in upto], separator=" / ")
            if level != "region"
            else pl.col("region").fill_null("")
        ).to_series()
        names, codes = np.unique(keys.to_numpy(), return_inverse=True)
        return codes.astype(np.int64), [str(n) for n in names]

    # -- derived tables -------------------------------------------------------------------
    def filter(self, predicate: pl.Expr | str) -> Election:
        """The stations matching a Polars expression or a SQL condition
        (``"kind = 'regular' and region = 'Город Москва'"``)."""
        try:
            expr = pl.sql_expr(predicate) if isinstance(predicate, str) else predicate
            table = self._stations.filter(expr)
        except (pl.exceptions.PolarsError, ValueError) as error:
            raise TallyscopeError(f"cannot filter stations by {predicate!r}: {error}") from None
        return Election(table, self.parties, self.info)

    def select(
        self, *, kinds: Iterable[str] | str | None = ANALYSED_KINDS, require: Iterable[str] = ()
    ) -> Selection:
        """Stations of the given kinds (``"all"`` or ``None``: every kind with figures) whose
        ``require``d roles are published; the rest are counted by reason, never dropped unseen."""
        table = self._stations
        excluded: dict[str, int] = {}
        wanted = (
            [k.value for k in Kind if k is not Kind.EMPTY]
            if kinds is None or kinds == "all"
            else [Kind(k).value for k in kinds]
        )
        counts = table.group_by("kind").len()
        for kind, n in counts.iter_rows():
            if kind not in wanted:
                excluded[f"kind: {kind}"] = int(n)
        table = table.filter(pl.col("kind").is_in(wanted))
        for role in require:
            if role not in table.columns:
                raise NotApplicableError(f"this election has no {role!r} figures")
            missing = table[role].null_count()
            if missing:
                excluded[f"no {role} figure"] = missing
                table = table.filter(pl.col(role).is_not_null())
        return Selection(Election(table, self.parties, self.info), excluded)

    def flagged(self) -> dict[str, int]:
        """How many stations break each identity of a clean protocol (see :class:`Check`)."""
        flags = self._stations["flags"]
        return {
            check.value: int(((flags & bit) > 0).sum())
            for check, bit in CHECK_BITS.items()
            if ((flags & bit) > 0).any()
        }

    def with_info(self, **changes: Any) -> Election:
        """The same stations with some metadata replaced (e.g. ``leader=``)."""
        info = dataclasses.replace(self.info, **changes)
        if info.leader is not None and info.leader not in self.parties:
            info = dataclasses.replace(info, leader=self.party(info.leader))
        return Election(self._stations, self.parties, info)

    def equals(self, other: object) -> bool:
        """Same metadata, parties and station table (order and values)."""
        return (
            isinstance(other, Election)
            and self.info == other.info
            and self.parties == other.parties
            and self._stations.equals(other._stations)
        )
