"""Column mappings: a small TOML file that says which column of a table plays which role.

A mapping is all a new country's data needs: ``tallyscope.read(path, mapping="my.toml")``, or
``tallyscope summary FILE --mapping my.toml``; ``tallyscope mapping FILE`` writes a first draft.
The formats shipped in ``io/presets/`` (``pl-pkw``, ``ge-cec``, ``cz-volby``, ``long``) are
mappings too. Sections (all optional but ``[columns]``)::

    [format]                 # about the files this mapping reads
    name = "pl-pkw"
    description = "Poland, National Electoral Commission (PKW), polling-station results"
    country = "PL"
    separator = ";"          # default: guessed from the header line
    encoding = "utf-8"       # of the table (and of a candidate table)
    signature = ["teryt_gmina", "eligible_voters"]   # header columns that identify the format
    optional = ["region"]    # identifier roles whose columns a file may lack (see below)

    [columns]                # role = source column (roles: tallyscope.model.ID_ROLES, COUNT_ROLES)
    station = "polling_station_id"
    registered = "eligible_voters"
    cast = "ballots_cast"
    valid = "valid_votes"

    [parties]                # which columns are parties: one of columns / after / pattern
    after = "valid_votes"    # every column to the right of this one
    exclude = ["postal_code"]
    names = { CAND41 = "Georgian Dream" }   # optional display names

    [candidates]             # display names from a separate candidate table (see below)
    key = "CKAND"            # its column holding the candidate number
    name = "{JMENO} {PRIJMENI}"   # the display name: its columns in braces
    number = '^HLASY_0*(\\d+)$'   # group 1: the candidate number in a party column's header

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

Missing columns. A mapped identifier column (region, district, commission, station) that a
file lacks is an error, as the station key would silently change, unless its role is listed in
``[format] optional``. A mapped count column that a file lacks is not an error: the role is
recorded in ``info.provenance["absent"]`` (role -> the column or choice looked for) and the
methods that need it say they do not apply; so is a ``[derive]`` count role whose expression
names an absent column.

Filters. ``read_table(path, mapping, round=2)`` keeps the rows whose ``[filters]`` column
(``KOLO``) holds ``2``. A filter column that holds several values while no value is chosen is
an error that lists them (one file holding both rounds of an election is not one election).

Long tables. With ``[long]``, each row holds one station's figure for one choice: ``choice``
names the column of choice labels, ``votes`` the column of figures, ``[columns]`` the
identifier columns. Choices listed in ``roles`` become count roles (pseudo-choices such as
``"Registered Voters"``), every other choice is a party or candidate, in order of first
appearance; other columns (constant within a station) are kept for ``[kinds]``, ``[derive]``
and ``[channel]``. A role whose choice never appears is recorded as absent.

Candidate names. Where a table numbers its candidates (``HLASY_01`` ...) and a separate table
names them, pass that table as ``read_table(..., candidates=PATH)`` (command line:
``--candidates PATH``): a CSV or Parquet file read with this mapping's encoding. Each party
column whose header matches ``[candidates] number`` takes the name of the candidate table's row
whose ``key`` holds that number (compared as numbers, so ``04`` is ``4``); ``name`` is a
template over that row's columns, with ``{number}`` for the number itself. A party column with
no candidate row keeps its header. ``candidates=`` may also be a dict of party column or
candidate number -> name, for which no ``[candidates]`` section is needed.
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

__all__ = [
    "CandidateSpec",
    "ColumnMapping",
    "LongSpec",
    "PartySpec",
    "load_mapping",
    "parse_mapping",
]

ROLES = frozenset(ID_ROLES) | frozenset(COUNT_ROLES)
_SECTIONS = {
    "format",
    "columns",
    "parties",
    "candidates",
    "derive",
    "labels",
    "kinds",
    "channel",
    "filters",
    "long",
    "ignore",
    "info",
}
_FORMAT_KEYS = {"name", "description", "country", "separator", "encoding", "signature", "optional"}
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
class CandidateSpec:
    """How to name numbered candidate columns from a separate candidate table."""

    key: str
    name: str
    number: str = r"(\d+)\D*$"


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
    optional: tuple[str, ...] = ()
    derive: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    channel_column: str | None = None
    channel_values: dict[str, str] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)
    long: LongSpec | None = None
    candidates: CandidateSpec | None = None
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


def _string(value: Any, what: str, source: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise MappingError(f"{what} must be a string", file=source)
    return value


def _string_list(value: Any, what: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise MappingError(f"{what} must be a list of strings", file=source)
    return tuple(value)


def _regex(value: str, what: str, source: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise MappingError(f"{what} is not a regular expression: {error}", file=source) from None
    return value


def _unknown_keys(table: dict[str, Any], known: set[str], what: str, source: str) -> None:
    extra = set(table) - known
    if extra:
        raise MappingError(
            f"unknown keys in {what}: {sorted(extra)}; known: {sorted(known)}", file=source
        )


def parse_mapping(doc: dict[str, Any], *, source: str = "<mapping>") -> ColumnMapping:
    """Validate a mapping given as a dict (the parsed TOML)."""
    unknown = set(doc) - _SECTIONS
    if unknown:
        raise MappingError(
            f"unknown sections {sorted(unknown)}; known: {sorted(_SECTIONS)}", file=source
        )
    fmt = _table(doc, "format", source)
    _unknown_keys(fmt, _FORMAT_KEYS, "[format]", source)
    separator = _string(fmt.get("separator"), "[format] separator", source)
    if separator is not None and len(separator) != 1:
        raise MappingError(
            f"[format] separator must be one character, not {separator!r}", file=source
        )
    columns = _strings(_table(doc, "columns", source), "[columns]", source)
    derive = _strings(_table(doc, "derive", source), "[derive]", source)
    for role in list(columns) + list(derive):
        if role not in ROLES:
            raise MappingError(f"{role!r} is not a role; roles: {sorted(ROLES)}", file=source)
    optional = _string_list(fmt.get("optional", []), "[format] optional", source)
    for role in optional:
        if role not in ID_ROLES:
            raise MappingError(
                f"[format] optional: {role!r} is not an identifier role {ID_ROLES} "
                "(count roles are always optional)",
                file=source,
            )
    parties_doc = _table(doc, "parties", source)
    _unknown_keys(
        parties_doc, {"columns", "after", "pattern", "exclude", "names"}, "[parties]", source
    )
    pattern = _string(parties_doc.get("pattern"), "[parties] pattern", source)
    parties = PartySpec(
        columns=_string_list(parties_doc.get("columns", []), "[parties] columns", source),
        after=_string(parties_doc.get("after"), "[parties] after", source),
        pattern=None if pattern is None else _regex(pattern, "[parties] pattern", source),
        exclude=_string_list(parties_doc.get("exclude", []), "[parties] exclude", source),
        names=_strings(parties_doc.get("names", {}), "[parties] names", source),
    )
    candidates = None
    candidates_doc = _table(doc, "candidates", source)
    if candidates_doc:
        _unknown_keys(candidates_doc, {"key", "name", "number"}, "[candidates]", source)
        if not {"key", "name"} <= set(candidates_doc):
            raise MappingError("[candidates] needs 'key' and 'name'", file=source)
        candidates = CandidateSpec(
            key=str(_string(candidates_doc["key"], "[candidates] key", source)),
            name=str(_string(candidates_doc["name"], "[candidates] name", source)),
            number=_regex(
                str(_string(candidates_doc.get("number", CandidateSpec.number), "", source)),
                "[candidates] number",
                source,
            ),
        )
        if re.compile(candidates.number).groups < 1:
            raise MappingError(
                "[candidates] number needs a group: the candidate number", file=source
            )
    kinds = _strings(_table(doc, "kinds", source), "[kinds]", source)
    for kind in kinds:
        if kind not in {k.value for k in Kind} - {Kind.EMPTY.value, Kind.ZERO.value}:
            raise MappingError(f"[kinds] {kind!r} is not a station kind", file=source)
    channel = _table(doc, "channel", source)
    _unknown_keys(channel, {"column", "values"}, "[channel]", source)
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
        _unknown_keys(long_doc, {"choice", "votes", "roles"}, "[long]", source)
        if not {"choice", "votes"} <= set(long_doc):
            raise MappingError("[long] needs 'choice' and 'votes'", file=source)
        roles = _strings(long_doc.get("roles", {}), "[long] roles", source)
        for role in roles.values():
            if role not in COUNT_ROLES:
                raise MappingError(f"[long] roles: {role!r} is not a count role", file=source)
        long = LongSpec(
            str(_string(long_doc["choice"], "[long] choice", source)),
            str(_string(long_doc["votes"], "[long] votes", source)),
            roles,
        )
    info = _strings(_table(doc, "info", source), "[info]", source)
    if set(info) - _INFO_KEYS:
        raise MappingError(f"unknown keys in [info]: {sorted(set(info) - _INFO_KEYS)}", file=source)
    ids = [r for r in ID_ROLES if r in columns or r in derive]
    if not ids:
        raise MappingError(
            "the mapping names no station identifier (region, district, commission or station)",
            file=source,
        )
    ignore = _table(doc, "ignore", source)
    _unknown_keys(ignore, {"patterns"}, "[ignore]", source)
    return ColumnMapping(
        name=str(fmt.get("name", Path(source).stem)),
        description=str(fmt.get("description", "")),
        country=str(fmt.get("country", "")),
        separator=separator,
        encoding=str(fmt.get("encoding", "utf-8")),
        signature=_string_list(fmt.get("signature", []), "[format] signature", source),
        optional=optional,
        columns=columns,
        parties=parties,
        derive=derive,
        labels={
            k: _strings(v, f"[labels.{k}]", source)
            for k, v in _table(doc, "labels", source).items()
        },
        kinds=kinds,
        channel_column=_string(channel.get("column"), "[channel] column", source),
        channel_values=values,
        filters=_strings(_table(doc, "filters", source), "[filters]", source),
        long=long,
        candidates=candidates,
        ignore=tuple(
            _regex(p, "[ignore] patterns", source)
            for p in _string_list(ignore.get("patterns", []), "[ignore] patterns", source)
        ),
        info=info,
    )


def load_mapping(path: str | os.PathLike[str]) -> ColumnMapping:
    """Read and validate a mapping file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise MappingError(f"cannot read the mapping: {reason}", file=path) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"not valid TOML: {error}", file=path) from None
    return parse_mapping(doc, source=str(path))
