"""Turn a parsed table into a validated :class:`Election`.

Every loader ends here, so the rules live in one place: derived roles (with the derivation
recorded in the provenance), station kinds that follow from the figures (empty, zero), the
identity checks of a clean protocol (flags), and the errors for counts no protocol can hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import polars as pl

from tallyscope.exceptions import SchemaError
from tallyscope.model.election import Election, ElectionInfo
from tallyscope.model.schema import (
    CHECK_BITS,
    COUNT_ROLES,
    ID_ROLES,
    META_COLUMNS,
    RESERVED,
    Check,
    Kind,
)

__all__ = ["build_election", "combine"]

#: Roles summed from their parts when the source gives only the parts.
SUMS: dict[str, tuple[str, ...]] = {
    "issued": ("issued_early", "issued_station", "issued_outside"),
    "boxes": ("box_mobile", "box_stationary"),
}


def build_election(
    frame: pl.DataFrame,
    parties: Sequence[str],
    info: ElectionInfo,
    *,
    source: object | None = None,
) -> Election:
    """Validate ``frame`` and return the :class:`Election`.

    ``frame`` holds identifier columns (strings), count roles and party columns (integers,
    null where unpublished), and optionally ``kind``, ``channel`` and ``row`` (the source row
    of each station, for messages). ``source`` names the file in error messages.
    """
    parties = list(parties)
    _check_columns(frame, parties, source)
    if "row" not in frame.columns:
        frame = frame.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    counts = [c for c in COUNT_ROLES if c in frame.columns]
    _check_non_negative(frame, counts + parties, source)

    derived: dict[str, str] = {}
    frame, derived = _derive(frame, parties, derived)
    counts = [c for c in COUNT_ROLES if c in frame.columns]
    _check_non_negative(frame, ["invalid"] if "invalid" in derived else [], source)

    frame = _assign_kinds(frame, counts + parties)
    frame = frame.with_columns(_flags(frame, parties).alias("flags"))
    ids = [c for c in ID_ROLES if c in frame.columns]
    _check_unique(frame, ids, source)

    missing_ids = [pl.lit(None, dtype=pl.String).alias(c) for c in ID_ROLES if c not in ids]
    frame = frame.with_columns(missing_ids) if missing_ids else frame
    if "channel" not in frame.columns:
        frame = frame.with_columns(pl.lit(None).alias("channel"))
    frame = frame.select(
        [pl.col(c).cast(pl.String) for c in ID_ROLES]
        + [
            pl.col("kind").cast(META_COLUMNS["kind"]),
            pl.col("channel").cast(META_COLUMNS["channel"]),
        ]
        + [pl.col(c).cast(pl.Int64) for c in counts + parties]
        + [pl.col("row").cast(pl.Int64), pl.col("flags")]
    )
    if derived:
        info = _with_provenance(info, derived=derived | dict(info.provenance.get("derived", {})))
    return Election(frame, parties, info)


def _with_provenance(info: ElectionInfo, **extra: object) -> ElectionInfo:
    return replace(info, provenance=dict(info.provenance) | extra)


def _check_columns(frame: pl.DataFrame, parties: list[str], source: object | None) -> None:
    if not parties:
        raise SchemaError("no party or candidate columns", file=source)
    clash = sorted(set(parties) & RESERVED)
    if clash:
        raise SchemaError(f"party names clash with reserved column names: {clash}", file=source)
    if len(set(parties)) != len(parties):
        raise SchemaError("two party columns have the same name", file=source)
    absent = [p for p in parties if p not in frame.columns]
    if absent:
        raise SchemaError(f"party columns missing from the table: {absent}", file=source)
    for name in [c for c in COUNT_ROLES if c in frame.columns] + parties:
        if not frame.schema[name].is_integer() and frame.schema[name] != pl.Null:
            raise SchemaError(
                f"counts must be integers, found {frame.schema[name]}", file=source, column=name
            )


def _check_non_negative(frame: pl.DataFrame, columns: list[str], source: object | None) -> None:
    if not columns:
        return
    negative = frame.select(
        pl.any_horizontal([pl.col(c) < 0 for c in columns]).fill_null(False)
    ).to_series()
    if negative.any():
        i = int(negative.arg_true()[0])
        row = frame["row"][i] if "row" in frame.columns else i + 2
        column = next(c for c in columns if (frame[c][i] or 0) < 0)
        raise SchemaError(f"negative count {frame[column][i]}", file=source, row=row, column=column)


def _strict_sum(columns: Sequence[str]) -> pl.Expr:
    """Sum that is null when any part is null (a partly published protocol has no total)."""
    total = pl.sum_horizontal([pl.col(c) for c in columns]).cast(pl.Int64)
    return (
        pl.when(pl.any_horizontal([pl.col(c).is_null() for c in columns]))
        .then(None)
        .otherwise(total)
    )


def _derive(
    frame: pl.DataFrame, parties: list[str], derived: dict[str, str]
) -> tuple[pl.DataFrame, dict[str, str]]:
    have = set(frame.columns)
    for role, parts in SUMS.items():
        if role not in have and all(p in have for p in parts):
            frame = frame.with_columns(_strict_sum(parts).alias(role))
            derived[role] = " + ".join(parts)
    if "valid" not in have:
        frame = frame.with_columns(_strict_sum(parties).alias("valid"))
        derived["valid"] = "sum of party votes"
    have = set(frame.columns)
    if "cast" not in have and "invalid" in have:
        frame = frame.with_columns((pl.col("valid") + pl.col("invalid")).alias("cast"))
        derived["cast"] = "valid + invalid"
    elif "cast" in have and "invalid" not in have:
        frame = frame.with_columns((pl.col("cast") - pl.col("valid")).alias("invalid"))
        derived["invalid"] = "cast - valid"
    elif "cast" not in have:
        frame = frame.with_columns(pl.col("valid").alias("cast"))
        derived["cast"] = "valid (no invalid-ballot figure published)"
    return frame, derived


def _assign_kinds(frame: pl.DataFrame, figures: list[str]) -> pl.DataFrame:
    given = (
        pl.col("kind").cast(pl.String) if "kind" in frame.columns else pl.lit(Kind.REGULAR.value)
    )
    empty = pl.all_horizontal([pl.col(c).is_null() for c in figures])
    # No ballots at all; or no registered voters at a regular station (abroad, voters often
    # register on the day, so a zero register there is no sign of a dead row).
    zero = pl.col("cast") == 0
    if "registered" in frame.columns:
        zero = zero | (
            (pl.col("registered") == 0)
            & (given.fill_null(Kind.REGULAR.value) == Kind.REGULAR.value)
        )
    kind = (
        pl.when(empty)
        .then(pl.lit(Kind.EMPTY.value))
        .when(zero.fill_null(False))
        .then(pl.lit(Kind.ZERO.value))
        .otherwise(given.fill_null(Kind.REGULAR.value))
    )
    return frame.with_columns(kind.alias("kind"))


def _flags(frame: pl.DataFrame, parties: list[str]) -> pl.Expr:
    have = set(frame.columns)
    tests: dict[Check, pl.Expr] = {
        Check.VOTES_SUM: pl.sum_horizontal([pl.col(p) for p in parties]) != pl.col("valid"),
    }
    if "boxes" in have:
        tests[Check.BOXES] = pl.col("boxes") != pl.col("cast")
    if "issued" in have and "registered" in have:
        tests[Check.ISSUED_OVER_REGISTERED] = pl.col("issued") > pl.col("registered")
    if "issued" in have:
        tests[Check.CAST_OVER_ISSUED] = pl.col("cast") > pl.col("issued")
    elif "registered" in have:
        tests[Check.CAST_OVER_REGISTERED] = pl.col("cast") > pl.col("registered")
    bits = [
        pl.when(test.fill_null(False))
        .then(pl.lit(CHECK_BITS[check], pl.UInt8))
        .otherwise(pl.lit(0, pl.UInt8))
        for check, test in tests.items()
    ]
    data = pl.col("kind") != Kind.EMPTY.value
    return pl.when(data).then(pl.sum_horizontal(bits).cast(pl.UInt8)).otherwise(pl.lit(0, pl.UInt8))


def _check_unique(frame: pl.DataFrame, ids: list[str], source: object | None) -> None:
    if not ids:
        raise SchemaError("the table has no station identifier columns", file=source)
    duplicated = frame.select(pl.struct(ids).is_duplicated()).to_series()
    if duplicated.any():
        rows = frame.filter(duplicated).select("row", *ids).head(2)
        key = ", ".join(f"{c}={v!r}" for c, v in zip(ids, rows.row(0)[1:], strict=True))
        raise SchemaError(
            f"duplicate station key ({key}) also at row {rows['row'][1]}",
            file=source,
            row=rows["row"][0],
            column=", ".join(ids),
        )


def combine(elections: Sequence[Election], info: ElectionInfo) -> Election:
    """One election from several tables of the same vote (e.g. paper stations plus an e-vote
    file); the parties must be the same, station keys must not repeat."""
    first = elections[0]
    for other in elections[1:]:
        if set(other.parties) != set(first.parties):
            raise SchemaError(
                f"cannot combine: parties differ ({first.parties} vs {other.parties})"
            )
    frame = pl.concat([e.stations.drop("flags") for e in elections], how="diagonal_relaxed")
    return build_election(frame, first.parties, info)
