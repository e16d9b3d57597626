"""Names and types of the canonical station table.

One row per polling station. Identifier columns are strings, counts are nullable ``Int64``
(null only where the source published nothing), and each party or candidate has its own count
column, named as the source writes it. The letters V, G, R and L of Kobak, Shpilkin &
Pshenichnikov (2016) are ``registered``, ``issued``, ``cast`` and the leader's column.
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl

__all__ = [
    "ANALYSED_KINDS",
    "COUNT_ROLES",
    "ID_ROLES",
    "RESERVED",
    "Channel",
    "Check",
    "Kind",
]


class Kind(StrEnum):
    """What a station row is. Station methods analyse ``regular`` rows unless told otherwise."""

    REGULAR = "regular"
    MOBILE = "mobile"
    SPECIAL = "special"  # a special territory, such as Baikonur
    ABROAD = "abroad"
    ELECTRONIC = "electronic"  # a remote e-vote pseudo-station
    ZERO = "zero"  # no registered voters or no ballots cast
    EMPTY = "empty"  # the source published no figures for this row


class Channel(StrEnum):
    """How the votes of a station were cast or counted, where the source says."""

    PAPER = "paper"
    MACHINE = "machine"
    EVOTE = "evote"


class Check(StrEnum):
    """Identities of a clean protocol; a station that breaks one is flagged, not dropped."""

    VOTES_SUM = "party votes do not sum to valid"
    BOXES = "ballots in boxes differ from valid + invalid"
    ISSUED_OVER_REGISTERED = "ballots issued exceed registered voters"
    CAST_OVER_ISSUED = "valid + invalid exceed ballots issued"
    CAST_OVER_REGISTERED = "valid + invalid exceed registered voters (no issued figure)"


#: Station kinds that station-level methods analyse by default.
ANALYSED_KINDS: tuple[Kind, ...] = (Kind.REGULAR,)

#: Identifier roles, from the top of the hierarchy down. ``district`` is an electoral district
#: (Russia's OIK), ``commission`` a territorial commission or municipality.
ID_ROLES: tuple[str, ...] = ("region", "district", "commission", "station")

#: Count roles with their meaning. ``issued``, ``boxes`` and ``cast`` are derived from their
#: parts when the source gives only the parts.
COUNT_ROLES: dict[str, str] = {
    "registered": "registered voters (V)",
    "received": "ballots received by the station",
    "issued_early": "ballots issued to early voters",
    "issued_station": "ballots issued at the station on the day",
    "issued_outside": "ballots issued outside the station (mobile box)",
    "issued": "ballots issued in all (G)",
    "cancelled": "unused ballots cancelled",
    "box_mobile": "ballots found in mobile boxes",
    "box_stationary": "ballots found in stationary boxes",
    "boxes": "ballots found in all boxes",
    "invalid": "invalid ballots",
    "valid": "valid ballots",
    "cast": "valid + invalid ballots (R)",
    "lost": "ballots lost",
    "unaccounted": "ballots not accounted for on receipt",
}

#: Columns the table keeps besides the roles and the parties.
META_COLUMNS: dict[str, pl.DataType] = {
    "kind": pl.Enum([k.value for k in Kind]),
    "channel": pl.Enum([c.value for c in Channel]),
    "row": pl.Int64(),
    "flags": pl.UInt8(),
}

#: Names a party column may not take.
RESERVED: frozenset[str] = frozenset(ID_ROLES) | frozenset(COUNT_ROLES) | frozenset(META_COLUMNS)

CHECK_BITS: dict[Check, int] = {check: 1 << i for i, check in enumerate(Check)}
