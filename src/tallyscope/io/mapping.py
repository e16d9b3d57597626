"""Column mappings: a small TOML file that says which column of a table plays which role.

A mapping is all a new country's data needs. Sections (all optional but ``[columns]``)::

    [format]                 # about the files this mapping reads
    name = "pl-pkw"
    description = "Poland, National Electoral Commission (PKW), polling-station results"
    country = "PL"
    separator = ";"          # default: guessed from the header line
    signature = ["teryt_gmina", "eligible_voters"]   # header columns that identify the format

    [columns]                # role = source column (roles: tallyscope.model.ID_ROLES, COUNT_ROLES)
    station = "polling_station_id"
    registered = "eligible_voters"
    cast = "ballots_cast"
    valid = "valid_votes"

    [parties]                # which columns are parties: one of columns / after / pattern
    after = "valid_votes"    # every column to the right of this one
    names = { CAND41 = "Georgian Dream" }   # optional display names

    [derive]                 # role = SQL expression over the source columns and mapped roles
    region = "substr(lpad(teryt_gmina, 6, '0'), 1, 2)"

    [labels.region]          # value = display name
    "02" = "dolnośląskie"

    [kinds]                  # kind = SQL condition; the first that holds wins, else "regular"
    abroad = "teryt_gmina IS NULL"

    [channel]                # counting channel from a column's values
    column = "division_type"
    values = { electronic = "machine", traditional = "paper" }

    [filters]                # keyword of read_table = column it selects on
    round = "KOLO"

    [long]                   # for long tables: one row per station and choice
    choice = "candidate"
    votes = "votes"
    roles = { "Registered Voters" = "registered", "Ballots Cast" = "cast" }

    [ignore]
    patterns = ["_ocr_"]     # regular expressions of columns never read

    [info]                   # defaults for the election's metadata
    kind = "president"
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tallyscope.exceptions import MappingError
from tallyscope.model.schema import COUNT_ROLES, ID_ROLES, Channel, Kind

__all__ = ["ColumnMapping", "LongSpec", "PartySpec", "load_mapping", "parse_mapping"]

ROLES = frozenset(ID_ROLES) | frozenset(COUNT_ROLES)
_SECTIONS = {
    "format",
    "columns",
    "parties",
    "derive",
    "labels",
    "kinds",
    "channel",
    "filters",
    "long",
    "ignore",
    "info",
}
_INFO_KEYS = {"country", "date", "kind", "name", "leader", "source", "id"}


@dataclass(frozen=True, slots=True)
class PartySpec:
    """Which columns hold party or candidate votes."""

    columns: tuple[str, ...] = ()
    after: str | None = None
    pattern: str | None = None
    exclude: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LongSpec:
    """A long table: one row per station and choice, pivoted into the station table."""

    choice: str
    votes: str
    roles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """A parsed, validated mapping (see the module docstring for the TOML layout)."""

    name: str
    columns: dict[str, str]
    parties: PartySpec = PartySpec()
    description: str = ""
    country: str = ""
    separator: str | None = None
    encoding: str = "utf-8"
    signature: tuple[str, ...] = ()
    derive: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    channel_column: str | None = None
    channel_values: dict[str, str] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)
    long: LongSpec | None = None
    ignore: tuple[str, ...] = ()
    info: dict[str, str] = field(default_factory=dict)

    def ignored(self, column: str) -> bool:
        return any(re.search(p, column) for p in self.ignore)

    def matches(self, header: list[str]) -> bool:
        """Whether a header carries every column of this mapping's signature."""
        return bool(self.signature) and set(self.signature) <= set(header)


def _table(doc: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(f"[{key}] must be a table", file=source)
    return value


def _strings(value: Any, what: str, source: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise MappingError(f"{what} must map names to strings", file=source)
    return {str(k): v for k, v in value.items()}


def parse_mapping(doc: dict[str, Any], *, source: str = "<mapping>") -> ColumnMapping:
    """Validate a mapping given as a dict (the parsed TOML)."""
    unknown = set(doc) - _SECTIONS
    if unknown:
        raise MappingError(
            f"unknown sections {sorted(unknown)}; known: {sorted(_SECTIONS)}", file=source
        )
    fmt = _table(doc, "format", source)
    columns = _strings(_table(doc, "columns", source), "[columns]", source)
    derive = _strings(_table(doc, "derive", source), "[derive]", source)
    for role in list(columns) + list(derive):
        if role not in ROLES:
            raise MappingError(f"{role!r} is not a role; roles: {sorted(ROLES)}", file=source)
    parties_doc = _table(doc, "parties", source)
    party_keys = set(parties_doc) - {"columns", "after", "pattern", "exclude", "names"}
    if party_keys:
        raise MappingError(f"unknown keys in [parties]: {sorted(party_keys)}", file=source)
    if "pattern" in parties_doc:
        try:
            re.compile(parties_doc["pattern"])
        except re.error as error:
            raise MappingError(
                f"[parties] pattern is not a regular expression: {error}", file=source
            ) from None
    parties = PartySpec(
        columns=tuple(parties_doc.get("columns", ())),
        after=parties_doc.get("after"),
        pattern=parties_doc.get("pattern"),
        exclude=tuple(parties_doc.get("exclude", ())),
        names=_strings(parties_doc.get("names", {}), "[parties] names", source),
    )
    kinds = _strings(_table(doc, "kinds", source), "[kinds]", source)
    for kind in kinds:
        if kind not in {k.value for k in Kind} - {Kind.EMPTY.value, Kind.ZERO.value}:
            raise MappingError(f"[kinds] {kind!r} is not a station kind", file=source)
    channel = _table(doc, "channel", source)
    values = _strings(channel.get("values", {}), "[channel] values", source)
    for value in values.values():
        if value not in {c.value for c in Channel}:
            raise MappingError(
                f"[channel] {value!r} is not a channel ({', '.join(c.value for c in Channel)})",
                file=source,
            )
    long_doc = _table(doc, "long", source)
    long = None
    if long_doc:
        if not {"choice", "votes"} <= set(long_doc):
            raise MappingError("[long] needs 'choice' and 'votes'", file=source)
        roles = _strings(long_doc.get("roles", {}), "[long] roles", source)
        for role in roles.values():
            if role not in COUNT_ROLES:
                raise MappingError(f"[long] roles: {role!r} is not a count role", file=source)
        long = LongSpec(long_doc["choice"], long_doc["votes"], roles)
    info = _strings(_table(doc, "info", source), "[info]", source)
    if set(info) - _INFO_KEYS:
        raise MappingError(f"unknown keys in [info]: {sorted(set(info) - _INFO_KEYS)}", file=source)
    ids = [r for r in ID_ROLES if r in columns or r in derive]
    if not ids and long is None:
        raise MappingError(
            "the mapping names no station identifier (region, district, commission or station)",
            file=source,
        )
    return ColumnMapping(
        name=str(fmt.get("name", Path(source).stem)),
        description=str(fmt.get("description", "")),
        country=str(fmt.get("country", "")),
        separator=fmt.get("separator"),
        encoding=str(fmt.get("encoding", "utf-8")),
        signature=tuple(fmt.get("signature", ())),
        columns=columns,
        parties=parties,
        derive=derive,
        labels={
            k: _strings(v, f"[labels.{k}]", source)
            for k, v in _table(doc, "labels", source).items()
        },
        kinds=kinds,
        channel_column=channel.get("column"),
        channel_values=values,
        filters=_strings(_table(doc, "filters", source), "[filters]", source),
        long=long,
        ignore=tuple(_table(doc, "ignore", source).get("patterns", ())),
        info=info,
    )


def load_mapping(path: str | os.PathLike[str]) -> ColumnMapping:
    """Read and validate a mapping file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise MappingError(f"cannot read the mapping: {error.strerror}", file=path) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"not valid TOML: {error}", file=path) from None
    return parse_mapping(doc, source=str(path))
