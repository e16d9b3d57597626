"""Where to look: regions, commissions and stations ranked by anomaly.

Three indicators per unit, each from a method of the battery, so a user can sort by any:

* anomalous votes (the robust estimate's stations beyond the clean turnout range, with the
  national clean ratio k; the units' figures add up to the national estimate);
* the integer-percentage excess: observed minus expected count of stations with a whole
  turnout or share percentage, its z-score and exact p-value (Kobak et al. 2016), with the
  Holm adjustment over the units of the table;
* the share of stations in the corner no clean election reaches (turnout > 90 %, leader share
  > 80 %: Poland 2025 0.00-0.07 %, Russia 2011-2021 5.6-8.7 %).

Units are ordered by anomalous votes. Stations carry their counts and flags, for observers.

References: Kobak, Shpilkin & Pshenichnikov (2016), Annals of Applied Statistics 10(1);
Holm (1979), Scandinavian Journal of Statistics 6(2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl

from tallyscope.methods._kernels.integer import integer_probabilities, is_integer
from tallyscope.methods._stations import station_data
from tallyscope.methods.shpilkin import (
    CORNER,
    AnomalousVotesResult,
    anomalous_votes,
    counted_stations,
)
from tallyscope.model import ANALYSED_KINDS, Election
from tallyscope.results import _Serialisable
from tallyscope.stats import PoissonBinomial, holm

__all__ = ["RankingResult", "rank"]


@dataclasses.dataclass(frozen=True, slots=True)
class RankingResult(_Serialisable):
    """Regions, commissions and stations with their anomaly indicators, most anomalous first."""

    party: str
    regions: pl.DataFrame
    commissions: pl.DataFrame
    stations: pl.DataFrame
    anomalous_method: str

    def to_dict(self, top: int = 20) -> dict[str, Any]:
        return {
            "party": self.party,
            "anomalous_method": self.anomalous_method,
            "regions": self.regions.to_dicts(),
            "commissions": self.commissions.head(top).to_dicts(),
            "stations": self.stations.head(top).to_dicts(),
        }

    def write_stations(self, path: str) -> None:
        """The station list as CSV (one row per station, most anomalous first)."""
        self.stations.write_csv(path)


def _units(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    table = (
        frame.group_by(keys, maintain_order=True)
        .agg(
            pl.len().alias("stations"),
            pl.col("registered").sum(),
            pl.col("leader_votes").sum(),
            pl.col("anomalous_votes").sum(),
            pl.col("integer").sum().alias("integer_observed"),
            pl.col("p_integer").sum().alias("integer_expected"),
            (pl.col("p_integer") * (1 - pl.col("p_integer"))).sum().alias("_var"),
            pl.col("in_corner").mean().mul(100).alias("corner_stations_pct"),
            (pl.col("issued").sum() / pl.col("registered").sum() * 100).alias("turnout_pct"),
            (pl.col("leader_votes").sum() / pl.col("cast").sum() * 100).alias("leader_share_pct"),
            pl.col("p_integer").alias("_p"),
        )
        .with_columns(
            (pl.col("anomalous_votes") / pl.col("leader_votes") * 100).alias(
                "anomalous_pct_of_leader"
            ),
            (pl.col("integer_observed") - pl.col("integer_expected")).alias("integer_excess"),
        )
        .with_columns(
            pl.when(pl.col("_var") > 0)
            .then(pl.col("integer_excess") / pl.col("_var").sqrt())
            .otherwise(None)
            .alias("integer_z")
        )
    )
    pvalues = [
        PoissonBinomial(p.to_numpy().astype(float)).sf(int(observed))
        for p, observed in zip(table["_p"], table["integer_observed"], strict=True)
    ]
    named = {str(i): p for i, p in enumerate(pvalues)}
    adjusted = holm(named) if named else {}
    return (
        table.with_columns(
            pl.Series("integer_p", pvalues, dtype=pl.Float64),
            pl.Series(
                "integer_p_holm", [adjusted[str(i)] for i in range(len(pvalues))], dtype=pl.Float64
            ),
        )
        .drop("_p", "_var")
        .sort("anomalous_votes", descending=True)
    )


def rank(
    election: Election,
    *,
    party: str | None = None,
    kinds: Iterable[str] | str | None = ANALYSED_KINDS,
    anomalous: AnomalousVotesResult | None = None,
    top_stations: int | None = 1000,
) -> RankingResult:
    """Rank regions, commissions and stations by anomaly (see the module docstring).

    ``anomalous`` reuses an :func:`anomalous_votes` result (robust by default); the station
    list keeps the ``top_stations`` most anomalous (None: all).
    """
    anomalous = anomalous or anomalous_votes(election, party=party, kinds=kinds, n_boot=0)
    data = station_data(election, party=party, kinds=kinds)
    data = data.subset(data.V >= 100, "fewer than 100 registered voters")
    data = data.subset(data.R > 0, "no valid or invalid ballots")
    turnout, share = data.turnout, data.share
    counted = counted_stations(turnout, anomalous.core)
    contribution = np.where(counted, data.L - anomalous.k * data.O, 0.0)
    eligible = (turnout <= 99.0) & (share <= 99.0)
    share_int, turnout_int = is_integer(data.L, data.R), is_integer(data.G, data.V)
    p_integer = 1.0 - (1.0 - integer_probabilities(data.L, data.R)) * (
        1.0 - integer_probabilities(data.G, data.V)
    )
    frame = pl.DataFrame(
        {
            "region": np.asarray(data.region_names, dtype=object)[data.region],
            "commission": [data.commission_names[c].split(" / ")[-1] for c in data.commission],
            "station": data.station,
            "registered": data.V,
            "issued": data.G,
            "cast": data.R,
            "leader_votes": data.L,
            "turnout_pct": np.round(turnout, 2),
            "share_pct": np.round(share, 2),
            "integer_turnout": turnout_int & eligible,
            "integer_share": share_int & eligible,
            "integer": (turnout_int | share_int) & eligible,
            "p_integer": np.where(eligible, p_integer, 0.0),
            "in_corner": (turnout > CORNER[0]) & (share > CORNER[1]),
            "beyond_clean_range": counted,
            "anomalous_votes": np.round(contribution, 1),
        },
        strict=False,
    )
    regions = _units(frame, ["region"])
    commissions = _units(frame, ["region", "commission"])
    stations = (
        frame.drop("p_integer", "integer")
        .sort(["anomalous_votes", "in_corner"], descending=[True, True])
        .head(top_stations if top_stations is not None else frame.height)
    )
    return RankingResult(data.party, regions, commissions, stations, anomalous.method)
