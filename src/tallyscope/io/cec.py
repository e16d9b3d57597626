"""Loader for the Russian Central Election Commission's polling-station CSV files.

The files (2004-2024, compiled by Sergey Shpilkin) have English identifier columns (``region``,
``oik``, ``tik``, ``uik``, sometimes ``level``, ``name``, ``url``), one column per protocol line
with a Russian name whose wording changes from year to year, and one column per party or
candidate. Protocol lines are matched by meaning (key words), never by position or exact
wording; every other numeric column is a party or candidate.

Station kinds:

* ``abroad``: the region is the foreign pseudo-region (``Территория за пределами РФ``,
  ``Зарубежная территория``), or the station number is 8000-8999, the numbers of foreign
  stations in every file (in 2016 and 2021 they sit inside domestic regions);
* ``special``: Baikonur, the city Russia leases in Kazakhstan;
* ``electronic``: remote e-vote pseudo-stations: labels mentioning electronic voting, or a
  domestic "station" with more than 25,000 registered voters (no polling room holds that many;
  the largest physical station in 2004-2024 has 14,781), as Moscow's 2021 stations 5001-5015;
* ``empty`` and ``zero`` follow from the figures (see :func:`~tallyscope.model.build_election`).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl

from tallyscope.exceptions import SchemaError
from tallyscope.io._source import parse_counts, read_bytes, read_csv_text
from tallyscope.io._text import clean_name, map_unique, normalise_header
from tallyscope.model import Channel, Election, ElectionInfo, Kind, build_election

__all__ = ["classify_header", "read_cec"]

#: More registered voters than any physical polling station holds.
ELECTRONIC_MIN_REGISTERED = 25_000
ABROAD_NUMBERS = range(8000, 9000)
ABROAD_REGION = "Территория за пределами РФ"

_ID_COLUMNS = {"region": "region", "oik": "district", "tik": "commission", "uik": "station"}
_IGNORED_ID_COLUMNS = {"url", "level", "name"}
_LOOKS_LIKE = {
    "region": "a column named 'region'",
    "registered": "a column like 'Число избирателей, включенных в список избирателей'",
}


def _has(*words: str) -> Callable[[str], bool]:
    return lambda header: all(w in header for w in words)


# Protocol lines by meaning, in the order they are tried (the first match wins).
_PROTOCOL_LINES: list[tuple[str | None, Callable[[str], bool]]] = [
    (None, lambda h: "открепительн" in h or "удостоверен" in h),  # absentee certificates
    (
        "registered",
        lambda h: ("избирател" in h or "участник" in h) and ("включенн" in h or "внесенн" in h),
    ),
    ("unaccounted", _has("не учтенн")),
    ("received", _has("получен", "бюллетен")),
    ("issued_early", _has("выдан", "досрочно")),
    ("issued_outside", _has("выдан", "вне помещени")),
    ("issued_station", lambda h: "выдан" in h and ("в помещени" in h or "в день голосования" in h)),
    ("issued", _has("выдан", "бюллетен")),
    ("cancelled", _has("погашенн")),
    ("box_mobile", _has("переносн")),
    ("box_stationary", _has("стационарн")),
    ("boxes", _has("ящик")),
    ("invalid", _has("недействительн")),
    ("valid", _has("действительн")),
    ("lost", _has("утраченн")),
]


def _is_protocol_line(header: str) -> bool:
    return header.startswith("число")


def classify_header(
    columns: list[str], *, file: object | None = None
) -> tuple[dict[str, str], list[str], list[str]]:
    """Split a CEC header into ``{column: role}``, the party columns and the ignored columns.

    Raises :class:`SchemaError` when a required line (registered voters, a station
    identifier) is missing or two columns claim the same role.
    """
    roles: dict[str, str] = {}
    parties: list[str] = []
    ignored: list[str] = []
    for column in columns:
        key = normalise_header(column)
        if key in _ID_COLUMNS:
            roles[column] = _ID_COLUMNS[key]
        elif key in _IGNORED_ID_COLUMNS:
            ignored.append(column)
        elif _is_protocol_line(key):
            role = next((r for r, test in _PROTOCOL_LINES if test(key)), None)
            if role is None:
                ignored.append(column)
            else:
                roles[column] = role
        else:
            parties.append(column)
    by_role: dict[str, list[str]] = {}
    for column, role in roles.items():
        by_role.setdefault(role, []).append(column)
    for role, claimants in by_role.items():
        if len(claimants) > 1:
            raise SchemaError(f"columns {claimants} all look like {role!r}", file=file, row=1)
    missing = [r for r in ("region", "registered") if r not in by_role]
    if missing:
        wanted = "; ".join(f"{r}: {_LOOKS_LIKE[r]}" for r in missing)
        raise SchemaError(
            f"no column for the required role {', '.join(missing)} ({wanted}); "
            "is this a CEC polling-station file?",
            file=file,
            row=1,
        )
    if not parties:
        raise SchemaError("no party or candidate columns", file=file, row=1)
    return roles, parties, ignored


def _station_label(value: str) -> str | None:
    digits = re.search(r"\d+", value)
    return digits.group(0) if digits else clean_name(value) or None


def _region_name(value: str) -> str:
    name = re.sub(r"^\d+\s+", "", clean_name(value))
    name = name[:1].upper() + name[1:]
    if re.search(r"за пределами|зарубежн", name, re.IGNORECASE):
        return ABROAD_REGION
    return name


def _commission_name(value: str) -> str:
    return re.sub(r"^\d+\s+", "", clean_name(value))


def _infer_election(parties: list[str], ignored_frame: pl.DataFrame, name: str) -> tuple[str, str]:
    if {p.strip().upper() for p in parties} >= {"ДА", "НЕТ"}:
        title = ignored_frame["name"][0] if "name" in ignored_frame.columns else "referendum"
        return "referendum", clean_name(str(title))
    if all(re.match(r"^\s*\d+\s*\.", p) for p in parties):
        return "parliament", f"State Duma party-list vote ({Path(name).name})"
    return "president", f"presidential election ({Path(name).name})"


def read_cec(
    path: str | os.PathLike[str],
    *,
    kind: str | None = None,
    encoding: str = "utf-8",
    info: dict[str, object] | None = None,
) -> Election:
    """Read a Russian CEC polling-station CSV (plain or zipped) into an :class:`Election`.

    ``kind`` forces one station kind on every row (e.g. ``"electronic"`` for a regional
    e-vote file); by default a file whose name mentions electronic voting is read as
    e-vote rows, and kinds are otherwise inferred per row (see the module docstring).
    ``info`` overrides metadata fields (``id``, ``date``, ``name``, ``leader``, ...).
    """
    if kind is not None and kind not in {k.value for k in Kind}:
        raise SchemaError(
            f"kind={kind!r} is not a station kind ({', '.join(k.value for k in Kind)})", file=path
        )
    data, name = read_bytes(path)
    raw, rows = read_csv_text(data, name, separator=",", encoding=encoding)
    roles, parties, ignored = classify_header(raw.columns, file=name)
    counts = [c for c, r in roles.items() if r not in _ID_COLUMNS.values()]
    parsed = parse_counts(raw, counts + parties, name, rows=rows)

    frame = parsed.select(
        [pl.col(c).alias(r) for c, r in roles.items()]
        + [pl.col(p).alias(clean_name(p)) for p in parties]
    ).with_columns(rows)
    frame = _normalise_ids(frame)
    party_names = [clean_name(p) for p in parties]
    frame = frame.with_columns(
        _kinds(frame, forced=kind or ("electronic" if _names_evote(name) else None)).alias("kind")
    )
    frame = frame.with_columns(
        pl.when(pl.col("kind") == Kind.ELECTRONIC.value)
        .then(pl.lit(Channel.EVOTE.value))
        .otherwise(pl.lit(Channel.PAPER.value))
        .alias("channel")
    )
    election_kind, title = _infer_election(parties, raw.select(ignored), name)
    meta: dict[str, object] = {
        "country": "RU",
        "date": "",
        "kind": election_kind,
        "name": f"Russia, {title}",
        "source": "Central Election Commission of the Russian Federation, polling-station protocols",
        "provenance": {
            "file": Path(str(path)).name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "loader": "tallyscope.io.read_cec",
            "columns": {c: r for c, r in roles.items()},
            "ignored_columns": ignored,
        },
    }
    meta.update(info or {})
    if isinstance(meta.get("leader"), str):
        meta["leader"] = _resolve_party(str(meta["leader"]), party_names, name)
    return build_election(frame, party_names, ElectionInfo(**meta), source=name)  # type: ignore[arg-type]


def _resolve_party(pattern: str, parties: list[str], name: str) -> str:
    hits = [p for p in parties if pattern.casefold() in p.casefold()]
    if len(hits) != 1:
        raise SchemaError(f"leader {pattern!r} matches {len(hits)} party columns", file=name)
    return hits[0]


def _names_evote(name: str) -> bool:
    return bool(re.search(r"electronic|дэг|deg\b|e-?vot", Path(name).name, re.IGNORECASE))


def _normalise_ids(frame: pl.DataFrame) -> pl.DataFrame:
    cleaners = {
        "region": _region_name,
        "district": clean_name,
        "station": _station_label,
        "commission": _commission_name,
    }
    frame = frame.with_columns(
        map_unique(frame[c], f).alias(c) for c, f in cleaners.items() if c in frame.columns
    )
    if "commission" in frame.columns:
        # 2024: abroad rows carry the station label ("УИК №8140") in the commission column.
        label_only = pl.col("commission").str.contains(r"^УИК\s*№").fill_null(False)
        frame = frame.with_columns(
            pl.when(label_only)
            .then(pl.col("region"))
            .otherwise(pl.col("commission"))
            .alias("commission")
        )
    return frame


def _kinds(frame: pl.DataFrame, forced: str | None) -> pl.Expr:
    if forced is not None:
        return pl.lit(Kind(forced).value)
    labels = [c for c in ("district", "commission", "station") if c in frame.columns]
    evote_label = pl.any_horizontal(
        [pl.col(c).str.contains(r"(?i)электрон").fill_null(False) for c in labels]
        or [pl.lit(False)]
    )
    number = (
        pl.col("station").str.extract(r"(\d+)").cast(pl.Int64, strict=False)
        if "station" in frame.columns
        else pl.lit(None, pl.Int64)
    )
    abroad = (pl.col("region") == ABROAD_REGION) | number.is_between(
        ABROAD_NUMBERS.start, ABROAD_NUMBERS.stop - 1
    ).fill_null(False)
    special = pl.col("region").str.contains(r"(?i)байконур")
    huge = (pl.col("registered") > ELECTRONIC_MIN_REGISTERED).fill_null(False)
    return (
        pl.when(special)
        .then(pl.lit(Kind.SPECIAL.value))
        .when(abroad)
        .then(pl.lit(Kind.ABROAD.value))
        .when(evote_label | huge)
        .then(pl.lit(Kind.ELECTRONIC.value))
        .otherwise(pl.lit(Kind.REGULAR.value))
    )
