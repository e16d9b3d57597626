"""The generic loader: any CSV or Parquet table plus a :class:`ColumnMapping`."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import polars as pl

from tallyscope.exceptions import MappingError, SchemaError
from tallyscope.io._source import FIRST_DATA_ROW, parse_counts, read_bytes, read_csv_text, read_raw
from tallyscope.io.mapping import ColumnMapping
from tallyscope.model import Election, ElectionInfo, build_election
from tallyscope.model.schema import COUNT_ROLES, ID_ROLES, Kind

__all__ = ["read_table"]


def _raw_table(path: Path, mapping: ColumnMapping) -> tuple[pl.DataFrame, str, str]:
    if path.suffix.lower() in {".parquet", ".pq"}:
        raw, name = read_raw(path)
        return raw, name, hashlib.sha256(path.read_bytes()).hexdigest()
    data, name = read_bytes(path)
    raw = read_csv_text(data, name, separator=mapping.separator, encoding=mapping.encoding)
    return raw, name, hashlib.sha256(data).hexdigest()


def _party_columns(
    header: list[str], mapping: ColumnMapping, taken: set[str], name: str
) -> list[str]:
    spec = mapping.parties
    if spec.columns:
        absent = [c for c in spec.columns if c not in header]
        if absent:
            raise MappingError(f"party columns {absent} are not in the header", file=name, row=1)
        chosen = list(spec.columns)
    elif spec.after is not None:
        if spec.after not in header:
            raise MappingError(
                f"[parties] after = {spec.after!r}: no such column",
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
        raise MappingError(
            "no party or candidate columns found by the mapping's [parties]", file=name, row=1
        )
    return chosen


def _pivot_long(raw: pl.DataFrame, mapping: ColumnMapping, name: str) -> pl.DataFrame:
    spec = mapping.long
    assert spec is not None
    keys = [c for role, c in mapping.columns.items() if role in ID_ROLES]
    for column in [*keys, spec.choice, spec.votes]:
        if column not in raw.columns:
            raise SchemaError("the long table has no such column", file=name, row=1, column=column)
    raw = raw.with_row_index("_row", offset=FIRST_DATA_ROW)
    duplicated = raw.select(pl.struct([*keys, spec.choice]).is_duplicated()).to_series()
    if duplicated.any():
        row = int(raw.filter(duplicated)["_row"][0])
        raise SchemaError(
            "the same station and choice appear twice", file=name, row=row, column=spec.choice
        )
    wide = raw.pivot(
        on=spec.choice, index=keys, values=spec.votes, aggregate_function=None, sort_columns=False
    )
    first_rows = raw.group_by(keys, maintain_order=True).agg(pl.col("_row").min().alias("row"))
    return wide.join(first_rows, on=keys, how="left", nulls_equal=True).rename(
        {
            choice: f"\x00role:{role}"
            for choice, role in spec.roles.items()
            if choice in wide.columns
        }
    )


def read_table(
    path: str | os.PathLike[str],
    mapping: ColumnMapping,
    *,
    info: dict[str, Any] | None = None,
    **filters: Any,
) -> Election:
    """Read a CSV (plain or zipped) or Parquet table with a column mapping.

    ``filters`` select rows by the mapping's ``[filters]`` keywords (e.g. ``round=2``).
    Mapped columns missing from the file are reported in ``info.provenance["absent"]`` and the
    methods that need them return "not applicable"; a missing station identifier or party
    column is an error.
    """
    path = Path(path)
    raw, name, digest = _raw_table(path, mapping)
    raw = _apply_filters(raw, mapping, filters, name)
    columns = dict(mapping.columns)
    if mapping.long is not None:
        raw = _pivot_long(raw, mapping, name)
        columns |= {
            role: f"\x00role:{role}"
            for role in mapping.long.roles.values()
            if f"\x00role:{role}" in raw.columns
        }
        rows = raw["row"]
        raw = raw.drop("row")
    else:
        rows = pl.Series("row", range(FIRST_DATA_ROW, FIRST_DATA_ROW + raw.height), dtype=pl.Int64)

    header = raw.columns
    absent = {role: column for role, column in columns.items() if column not in header}
    ids_present = [r for r in ID_ROLES if (r in columns and r not in absent) or r in mapping.derive]
    if not ids_present:
        missing = ", ".join(f"{r} ({c!r})" for r, c in absent.items() if r in ID_ROLES)
        raise SchemaError(f"no station identifier column: missing {missing}", file=name, row=1)
    columns = {r: c for r, c in columns.items() if r not in absent}
    parties = _party_columns(
        header, mapping, set(columns.values()) | set(mapping.filters.values()), name
    )
    count_sources = [c for r, c in columns.items() if r in COUNT_ROLES]
    parsed = parse_counts(raw, count_sources + parties, name, rows=rows)
    frame = parsed.with_columns(rows).with_columns([pl.col(c).alias(r) for r, c in columns.items()])
    frame = _derive(frame, mapping, name)
    roles = set(columns) | set(mapping.derive)
    ids = [r for r in ID_ROLES if r in roles]
    frame = frame.with_columns(pl.col(r).cast(pl.String).str.strip_chars() for r in ids)
    frame = frame.with_columns(
        pl.col(role).replace(labels)
        for role, labels in mapping.labels.items()
        if role in frame.columns
    )
    frame = _kinds_and_channel(frame, mapping, name)
    party_names = [mapping.parties.names.get(p, p) for p in parties]
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
        "sha256": digest,
        "loader": f"tallyscope.io.read_table (format {mapping.name})",
        "columns": {c: r for r, c in columns.items()},
        "absent": absent,
        "derived": {r: e for r, e in mapping.derive.items() if r in COUNT_ROLES},
        "filters": {k: str(v) for k, v in filters.items()},
    }
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
    raw: pl.DataFrame, mapping: ColumnMapping, filters: dict[str, Any], name: str
) -> pl.DataFrame:
    unknown = set(filters) - set(mapping.filters)
    if unknown:
        known = ", ".join(mapping.filters) or "none"
        raise MappingError(
            f"format {mapping.name!r} has no filter {sorted(unknown)}; its filters: {known}",
            file=name,
        )
    for keyword, value in filters.items():
        column = mapping.filters[keyword]
        if column not in raw.columns:
            raise SchemaError(f"no column for filter {keyword!r}", file=name, row=1, column=column)
        raw = raw.filter(pl.col(column).str.strip_chars() == str(value))
        if raw.is_empty():
            raise SchemaError(f"no rows with {column} = {value!r}", file=name, column=column)
    return raw


def _sql(frame: pl.DataFrame, expression: str, what: str, name: str) -> pl.Series:
    try:
        return frame.select(pl.sql_expr(expression)).to_series()
    except (pl.exceptions.PolarsError, ValueError) as error:
        raise MappingError(
            f"{what} = {expression!r} cannot be evaluated: {error}", file=name
        ) from None


def _derive(frame: pl.DataFrame, mapping: ColumnMapping, name: str) -> pl.DataFrame:
    for role, expression in mapping.derive.items():
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
    return frame


def _kinds_and_channel(frame: pl.DataFrame, mapping: ColumnMapping, name: str) -> pl.DataFrame:
    kind = pl.Series("kind", [Kind.REGULAR.value] * frame.height, dtype=pl.String)
    for label, condition in reversed(list(mapping.kinds.items())):
        hit = _sql(frame, condition, f"[kinds] {label}", name).fill_null(False)
        kind = pl.select(pl.when(hit).then(pl.lit(label)).otherwise(kind)).to_series()
    frame = frame.with_columns(kind.alias("kind"))
    if mapping.channel_column is not None:
        column = mapping.channel_column
        if column not in frame.columns:
            raise SchemaError("no such column for [channel]", file=name, row=1, column=column)
        values = frame[column].cast(pl.String)
        unknown = set(values.drop_nulls().unique()) - set(mapping.channel_values)
        if unknown:
            raise MappingError(
                f"[channel] has no entry for values {sorted(unknown)}", file=name, column=column
            )
        frame = frame.with_columns(
            values.replace_strict(mapping.channel_values, default=None).alias("channel")
        )
    return frame
