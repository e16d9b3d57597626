"""The bundled elections: what each is, and which source files it is built from.

``scripts/build_datasets.py`` reads the source files listed here and writes one Parquet file per
election into ``datasets/data/`` with a ``registry.json`` of checksums; at run time only those
Parquet files are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CATALOGUE", "DatasetSpec"]

_CEC = "Central Election Commission of the Russian Federation, polling-station protocols (compiled by S. Shpilkin)"


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """One bundled election: its id, source files (relative to the shared data folder),
    the loader (``cec`` or a format preset) and metadata."""

    id: str
    files: tuple[str, ...]
    loader: str
    country: str
    date: str
    kind: str
    name: str
    source: str
    leader: str | None = None
    licence: str = "public record (official election results)"
    notes: str = ""
    loader_options: dict[str, Any] = field(default_factory=dict)


def _ru(
    id_: str, file: str, date: str, kind: str, name: str, leader: str, **extra: Any
) -> DatasetSpec:
    return DatasetSpec(
        id_,
        (f"russia/{file}", *extra.pop("more", ())),
        "cec",
        "RU",
        date,
        kind,
        name,
        _CEC,
        leader,
        **extra,
    )


CATALOGUE: dict[str, DatasetSpec] = {
    spec.id: spec
    for spec in [
        _ru(
            "ru-2004-president",
            "2004.csv.zip",
            "2004-03-14",
            "president",
            "Russia, presidential election 2004",
            "Путин",
        ),
        _ru(
            "ru-2007-duma",
            "2007.csv.zip",
            "2007-12-02",
            "parliament",
            "Russia, State Duma 2007 (party list)",
            "ЕДИНАЯ РОССИЯ",
        ),
        _ru(
            "ru-2008-president",
            "2008.csv.zip",
            "2008-03-02",
            "president",
            "Russia, presidential election 2008",
            "Медведев",
        ),
        _ru(
            "ru-2011-duma",
            "2011.csv.zip",
            "2011-12-04",
            "parliament",
            "Russia, State Duma 2011 (party list)",
            "ЕДИНАЯ РОССИЯ",
        ),
        _ru(
            "ru-2012-president",
            "2012.csv.zip",
            "2012-03-04",
            "president",
            "Russia, presidential election 2012",
            "Путин",
        ),
        _ru(
            "ru-2016-duma",
            "2016.csv.zip",
            "2016-09-18",
            "parliament",
            "Russia, State Duma 2016 (party list)",
            "ЕДИНАЯ РОССИЯ",
        ),
        _ru(
            "ru-2020-referendum",
            "2020.csv.zip",
            "2020-07-01",
            "referendum",
            "Russia, constitutional amendments vote 2020",
            "ДА",
        ),
        _ru(
            "ru-2021-duma",
            "2021.csv.zip",
            "2021-09-19",
            "parliament",
            "Russia, State Duma 2021 (party list)",
            "ЕДИНАЯ РОССИЯ",
            notes="includes the remote e-vote (DEG) as 33 electronic pseudo-stations",
        ),
        _ru(
            "ru-2024-president",
            "2024.csv.zip",
            "2024-03-17",
            "president",
            "Russia, presidential election 2024",
            "Путин",
            more=("russia/2024-electronic-voting.csv",),
            notes="the regional remote e-vote file is merged in as 29 electronic pseudo-stations, one per region",
        ),
        DatasetSpec(
            "pl-2025-president-1",
            ("poland/2025-president-round1.csv",),
            "pl-pkw",
            "PL",
            "2025-05-18",
            "president",
            "Poland, presidential election 2025, round 1",
            "Państwowa Komisja Wyborcza (PKW), open data",
            "Trzaskowski",
            notes="clean control: an election independent observers regard as clean",
        ),
        DatasetSpec(
            "pl-2025-president-2",
            ("poland/2025-president-round2.csv",),
            "pl-pkw",
            "PL",
            "2025-06-01",
            "president",
            "Poland, presidential election 2025, round 2",
            "Państwowa Komisja Wyborcza (PKW), open data",
            "Nawrocki",
            notes="clean control: an election independent observers regard as clean",
        ),
        DatasetSpec(
            "ge-2024-parliament",
            ("georgia/2024-parliament.csv",),
            "ge-cec",
            "GE",
            "2024-10-26",
            "parliament",
            "Georgia, parliamentary election 2024 (proportional list)",
            "Central Election Commission of Georgia, results site (scrape)",
            "Georgian Dream",
            licence="MIT (see LICENSE-georgia beside the data)",
            notes="2,256 machine-counted and 839 hand-counted precincts (channel machine / paper)",
        ),
    ]
}
