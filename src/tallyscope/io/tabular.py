"""The generic loader: any CSV or Parquet table plus a :class:`ColumnMapping`.

See :mod:`tallyscope.io.mapping` for what a mapping says, and how missing columns, filters,
long tables and candidate tables are handled.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl

from tallyscope.exceptions import MappingError, SchemaError
from tallyscope.io._source import parse_counts, read_raw
from tallyscope.io.mapping import ColumnMapping
from tallyscope.model import Election, ElectionInfo, build_election
from tallyscope.model.schema import COUNT_ROLES, ID_ROLES, Kind

__all__ = ["read_table"]

#: Prefix of the internal names the roles of a long table get after the pivot.
_ROLE = "\x00role:"


def _party_columns(
    header: list[str], mapping: ColumnMapping, taken: set[str], name: str
) -> list[str]:
    spec = mapping.parties
    if spec.columns:
        absent = [c for c in spec.columns if c not in header]
        if absent:
            raise SchemaError(
                f"party columns {absent} named in [parties] are not in the header",
                file=name,
                row=1,
                column=absent[0],
            )
        chosen = list(spec.columns)
    elif spec.after is not None:
        if spec.after not in header:
            raise SchemaError(
                "no such column: [parties] takes every column after it",
                file=name,
                row=1,
                column=spec.after,
            )
        chosen = header[header.index(spec.after) + 1 :]
    elif spec.pattern is not None:
        chosen = [c for c in header if re.search(spec.pattern, c)]
    else:
        chosen = [c for c in header if c not in taken]
    chosen = [
        c for c in chosen if c not in spec.exclude and c not in taken and not mapping.ignored(c)
    ]
    if not chosen:
        raise SchemaError(
            "no party or candidate columns found by the mapping's [parties]", file=name, row=1
        )
    return chosen


class _Pivoted(NamedTuple):
    frame: pl.DataFrame
    rows: pl.Series  # the first file row of each station
    roles: dict[str, str]  # role -> its column in ``frame``
    used: dict[str, str]  # pseudo-choice -> role
    parties: list[str]
    absent: dict[str, str]  # role -> the pseudo-choices looked for


def _pivot_long(raw: pl.DataFrame, rows: pl.Series, mapping: ColumnMapping, name: str) -> _Pivoted:
    """The wide table of a long one."""
    spec = mapping.long
    assert spec is not None
    for column in (spec.choice, spec.votes):
        if column not in raw.columns:
            raise SchemaError("the long table has no such column", file=name, row=1, column=column)
    keys = [c for role, c in mapping.columns.items() if role in ID_ROLES and c in raw.columns]
    raw = parse_counts(raw, [spec.votes], name, rows=rows).with_columns(rows.alias("\x00row"))
    choice = raw[spec.choice].str.strip_chars()
    raw = raw.with_columns(choice.alias(spec.choice))
    blank = choice.is_null() | (choice == "")
    if blank.any():
        raise SchemaError(
            "a row names no choice",
            file=name,
            row=int(rows.filter(blank)[0]),
            column=spec.choice,
        )
    key = pl.struct([*keys, spec.choice])
    duplicated = raw.select(key.is_duplicated()).to_series()
    if duplicated.any():
        repeated = raw.filter(duplicated).select([*keys, spec.choice, "\x00row"]).rows()
        first = repeated[0]
        again = next(r[-1] for r in repeated[1:] if r[:-1] == first[:-1])
        raise SchemaError(
            f"the same station and choice ({first[-2]!r}) appear again at row {again}",
            file=name,
            row=int(first[-1]),
            column=spec.choice,
        )
    other = [c for c in raw.columns if c not in {*keys, spec.choice, spec.votes, "\x00row"}]
    choices = raw[spec.choice].unique(maintain_order=True).to_list()
    clash = sorted(set(choices) & {*keys, *other})
    if clash:
        raise SchemaError(
            f"choices {clash} have the names of columns of the table",
            file=name,
            column=spec.choice,
        )
    try:
        wide = raw.pivot(
            on=spec.choice,
            index=keys,
            values=spec.votes,
            aggregate_function=None,
            sort_columns=False,
        )
    except pl.exceptions.PolarsError as error:
        raise SchemaError(f"cannot pivot the long table: {error}", file=name) from None
    stations = raw.group_by(keys, maintain_order=True).agg(
        pl.col("\x00row").min(), *[pl.col(c).first() for c in other]
    )
    wide = stations.join(wide, on=keys, how="left", nulls_equal=True, maintain_order="left")

    role_columns: dict[str, str] = {}
    used: dict[str, str] = {}
    for role in dict.fromkeys(spec.roles.values()):
        labels = [c for c, r in spec.roles.items() if r == role and c in choices]
        if len(labels) > 1:
            raise SchemaError(
                f"choices {labels} all give {role!r}; keep one", file=name, column=spec.choice
            )
        if labels:
            role_columns[role] = _ROLE + role
            used[labels[0]] = role
            wide = wide.rename({labels[0]: _ROLE + role})
    absent = {
        role: " or ".join(repr(c) for c, r in spec.roles.items() if r == role)
        for role in dict.fromkeys(spec.roles.values())
        if role not in role_columns
    }
    parties = [c for c in choices if c not in spec.roles]
    return _Pivoted(
        wide.drop("\x00row"), wide["\x00row"].alias("row"), role_columns, used, parties, absent
    )


def _candidate_names(
    candidates: Mapping[str, str] | str | os.PathLike[str] | None,
    mapping: ColumnMapping,
    parties: list[str],
    name: str,
) -> dict[str, str]:
    """Display names of party columns: [parties] names, then the candidate table."""
    names = {p: mapping.parties.names[p] for p in parties if p in mapping.parties.names}
    if candidates is None:
        return names
    spec = mapping.candidates
    number_of: dict[str, str] = {}
    for party in parties:
        found = re.search(spec.number if spec else r"(\d+)\D*$", party)
        if found and found.group(1):
            number_of[party] = _number(found.group(1))
    if isinstance(candidates, Mapping):
        given = {str(k): str(v) for k, v in candidates.items()}
        for party in parties:
            if party in given:
                names[party] = given[party]
            elif party in number_of and number_of[party] in {_number(k) for k in given}:
                names[party] = next(v for k, v in given.items() if _number(k) == number_of[party])
        return names
    if spec is None:
        raise MappingError(
            f"format {mapping.name!r} has no [candidates] section, so it cannot read a "
            "candidate table; pass a dict of names instead, or add the section",
            file=name,
        )
    table = read_raw(candidates, encoding=mapping.encoding)
    frame = table.frame
    if spec.key not in frame.columns:
        raise SchemaError(
            "no such column for [candidates] key", file=table.name, row=1, column=spec.key
        )
    by_number: dict[str, dict[str, Any]] = {}
    for row_number, record in zip(table.rows, frame.iter_rows(named=True), strict=True):
        key = (record[spec.key] or "").strip()
        if not key:
            continue
        number = _number(key)
        if number in by_number:
            raise SchemaError(
                f"candidate number {key} appears twice",
                file=table.name,
                row=int(row_number),
                column=spec.key,
            )
        by_number[number] = {k: (v or "").strip() for k, v in record.items()}
    for party, number in number_of.items():
        if number not in by_number:
            continue
        fields = by_number[number] | {"number": number}
        try:
            label = spec.name.format_map(fields)
        except (KeyError, IndexError, ValueError) as error:
            raise MappingError(
                f"[candidates] name = {spec.name!r} cannot be filled from the candidate "
                f"table: {error!r} (its columns: {', '.join(frame.columns)})",
                file=table.name,
            ) from None
        names[party] = re.sub(r"\s+", " ", label).strip() or party
    return names


def _number(value: str) -> str:
    value = value.strip()
    return str(int(value)) if value.isdigit() else value


def read_table(
    path: str | os.PathLike[str],
    mapping: ColumnMapping,
    *,
    info: dict[str, Any] | None = None,
    candidates: Mapping[str, str] | str | os.PathLike[str] | None = None,
    **filters: Any,
) -> Election:
    """Read a CSV (plain or zipped) or Parquet table with a column mapping.

    ``filters`` select rows by the mapping's ``[filters]`` keywords (e.g. ``round=2``);
    ``candidates`` is a candidate table (a path) or a dict that names numbered candidate
    columns (see :mod:`tallyscope.io.mapping`). Mapped count columns missing from the file are
    reported in ``info.provenance["absent"]`` and the methods that need them return "not
    applicable"; a missing station identifier (unless ``[format] optional``) or party column
    is an error. Party columns with no figure in any row are left out and listed in
    ``info.provenance["parties_without_figures"]``.
    """
    path = Path(path)
    table = read_raw(path, separator=mapping.separator, encoding=mapping.encoding)
    raw, rows, name = table.frame, table.rows, table.name
    raw, rows = _apply_filters(raw, rows, mapping, filters, name)

    absent = {role: c for role, c in mapping.columns.items() if c not in raw.columns}
    missing_ids = [r for r in ID_ROLES if r in absent and r not in mapping.optional]
    if missing_ids:
        role = missing_ids[0]
        raise SchemaError(
            f"no such column: the mapping reads the {role} (a station identifier) from it",
            file=name,
            row=1,
            column=absent[role],
        )
    columns = {r: c for r, c in mapping.columns.items() if r not in absent}
    if mapping.long is not None:
        pivoted = _pivot_long(raw, rows, mapping, name)
        raw, rows, parties = pivoted.frame, pivoted.rows, pivoted.parties
        columns |= pivoted.roles
        absent |= pivoted.absent
    else:
        expressions = [*mapping.derive.values(), *mapping.kinds.values()]
        taken = (
            set(columns.values())
            | set(mapping.filters.values())
            | {mapping.channel_column}
            | {c for e in expressions for c in _mentions(e, set(raw.columns))}
        )
        parties = _party_columns(raw.columns, mapping, taken - {None}, name)
    count_sources = [c for r, c in columns.items() if r in COUNT_ROLES]
    parsed = parse_counts(raw, count_sources + parties, name, rows=rows)
    frame = parsed.with_columns(rows.alias("row")).with_columns(
        [pl.col(c).alias(r) for r, c in columns.items()]
    )
    frame, derived, skipped = _derive(frame, mapping, set(absent) | set(absent.values()), name)
    absent |= skipped
    roles = set(columns) | set(derived)
    ids = [r for r in ID_ROLES if r in roles]
    if not ids:
        raise SchemaError("no station identifier column is in the file", file=name, row=1)
    frame = frame.with_columns(pl.col(r).cast(pl.String).str.strip_chars() for r in ids)
    frame = frame.with_columns(
        pl.col(role).replace(labels)
        for role, labels in mapping.labels.items()
        if role in frame.columns
    )
    frame = _kinds_and_channel(frame, mapping, name)

    without_figures = [p for p in parties if frame[p].null_count() == frame.height]
    if without_figures and len(without_figures) < len(parties):
        parties = [p for p in parties if p not in without_figures]
    else:
        without_figures = []
    display = _candidate_names(candidates, mapping, parties, name)
    party_names = [display.get(p, p) for p in parties]
    keep = ids + [r for r in COUNT_ROLES if r in roles] + ["kind", "row"]
    keep += ["channel"] if "channel" in frame.columns else []
    frame = frame.select(
        [pl.col(c) for c in keep]
        + [pl.col(p).alias(n) for p, n in zip(parties, party_names, strict=True)]
    )

    meta: dict[str, Any] = {
        "country": mapping.country,
        "date": "",
        "kind": "",
        "name": f"{mapping.description or mapping.name} ({path.name})",
        "source": mapping.description or mapping.name,
    } | dict(mapping.info)
    meta["provenance"] = {
        "file": path.name,
        "sha256": table.sha256,
        "loader": f"tallyscope.io.read_table (format {mapping.name})",
        "columns": {c: r for r, c in columns.items() if not c.startswith(_ROLE)},
        "absent": absent,
        "derived": {r: e for r, e in derived.items() if r in COUNT_ROLES},
        "filters": {k: str(v) for k, v in filters.items()},
    }
    if mapping.long is not None:
        meta["provenance"]["long"] = pivoted.used
    if without_figures:
        meta["provenance"]["parties_without_figures"] = without_figures
    meta.update(info or {})
    if isinstance(meta.get("leader"), str) and meta["leader"] not in party_names:
        hits = [p for p in party_names if str(meta["leader"]).casefold() in p.casefold()]
        if len(hits) != 1:
            raise SchemaError(
                f"leader {meta['leader']!r} matches {len(hits)} party columns", file=name
            )
        meta["leader"] = hits[0]
    return build_election(frame, party_names, ElectionInfo(**meta), source=name)


def _apply_filters(
    raw: pl.DataFrame,
    rows: pl.Series,
    mapping: ColumnMapping,
    filters: dict[str, Any],
    name: str,
) -> tuple[pl.DataFrame, pl.Series]:
    unknown = set(filters) - set(mapping.filters)
    if unknown:
        known = ", ".join(f"{k}=" for k in mapping.filters) or "none"
        raise MappingError(
            f"format {mapping.name!r} has no filter {', '.join(sorted(unknown))}; "
            f"its filters: {known}",
            file=name,
        )
    for keyword, column in mapping.filters.items():
        if column not in raw.columns:
            if keyword in filters:
                raise SchemaError(
                    f"no column for filter {keyword!r}", file=name, row=1, column=column
                )
            continue
        values = raw[column].str.strip_chars()
        if keyword not in filters:
            held = values.drop_nulls().unique().sort().to_list()
            if len(held) > 1:
                shown = ", ".join(held[:10]) + (", ..." if len(held) > 10 else "")
                raise SchemaError(
                    f"the file holds several values of {column} ({shown}); choose one with "
                    f"{keyword}={held[0]!r} (command line: --select {keyword}={held[0]})",
                    file=name,
                    column=column,
                )
            continue
        keep = (values == str(filters[keyword]).strip()).fill_null(False)
        if not keep.any():
            held = values.drop_nulls().unique().sort().to_list()[:10]
            raise SchemaError(
                f"no rows with {column} = {filters[keyword]!r} (it holds {', '.join(held)})",
                file=name,
                column=column,
            )
        raw, rows = raw.filter(keep), rows.filter(keep)
    return raw, rows


def _sql(frame: pl.DataFrame, expression: str, what: str, name: str) -> pl.Series:
    try:
        return frame.select(pl.sql_expr(expression)).to_series()
    except (pl.exceptions.PolarsError, ValueError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise MappingError(
            f"{what} = {expression!r} cannot be evaluated: {detail}", file=name
        ) from None


def _mentions(expression: str, names: set[str]) -> list[str]:
    """The names an SQL expression refers to (as a bare word or a quoted identifier)."""
    return [
        n
        for n in names
        if re.search(rf'(?<![\w"]){re.escape(n)}(?![\w"])|"{re.escape(n)}"', expression)
    ]


def _derive(
    frame: pl.DataFrame, mapping: ColumnMapping, absent: set[str], name: str
) -> tuple[pl.DataFrame, dict[str, str], dict[str, str]]:
    """Apply ``[derive]``; a count role whose expression names an absent column is skipped
    (returned as absent), an identifier is an error unless optional."""
    derived: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for role, expression in mapping.derive.items():
        missing = _mentions(expression, absent | set(skipped))
        if missing and (role in COUNT_ROLES or role in mapping.optional):
            skipped[role] = f"[derive] {expression} (needs {', '.join(sorted(missing))})"
            continue
        values = _sql(frame, expression, f"[derive] {role}", name)
        if role in COUNT_ROLES:
            if not (values.dtype.is_integer() or values.dtype == pl.Null):
                raise MappingError(
                    f"[derive] {role} must give whole numbers, gives {values.dtype}", file=name
                )
            values = values.cast(pl.Int64)
        else:
            values = values.cast(pl.String)
        frame = frame.with_columns(values.alias(role))
        derived[role] = expression
    return frame, derived, skipped


def _kinds_and_channel(frame: pl.DataFrame, mapping: ColumnMapping, name: str) -> pl.DataFrame:
    kind = pl.Series("kind", [Kind.REGULAR.value] * frame.height, dtype=pl.String)
    for label, condition in reversed(list(mapping.kinds.items())):
        hit = _sql(frame, condition, f"[kinds] {label}", name)
        if hit.dtype not in (pl.Boolean, pl.Null):
            raise MappingError(
                f"[kinds] {label} = {condition!r} must be a condition, gives {hit.dtype}",
                file=name,
            )
        kind = pl.select(pl.when(hit.fill_null(False)).then(pl.lit(label)).otherwise(kind))
        kind = kind.to_series()
    frame = frame.with_columns(kind.alias("kind"))
    if mapping.channel_column is not None:
        column = mapping.channel_column
        if column not in frame.columns:
            raise SchemaError("no such column for [channel]", file=name, row=1, column=column)
        values = frame[column].cast(pl.String).str.strip_chars()
        unknown = set(values.drop_nulls().unique()) - set(mapping.channel_values)
        if unknown:
            raise MappingError(
                f"[channel] has no entry for values {sorted(unknown)}", file=name, column=column
            )
        frame = frame.with_columns(
            values.replace_strict(mapping.channel_values, default=None).alias("channel")
        )
    return frame
