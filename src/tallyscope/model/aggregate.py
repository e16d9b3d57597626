"""National and per-group totals of an election."""

from __future__ import annotations

import polars as pl

from tallyscope.model.election import Election
from tallyscope.model.schema import Kind
from tallyscope.results import PartyTotal, Summary

__all__ = ["summarize"]


def _pct(part: int, whole: int | None) -> float | None:
    return round(100.0 * part / whole, 4) if whole else None


def summarize(election: Election) -> Summary:
    """Totals over every station row with figures (all kinds); empty rows are counted apart."""
    table = election.stations
    with_data = table.filter(pl.col("kind") != Kind.EMPTY.value)
    roles = [r for r in ("registered", "issued", "cast", "valid", "invalid") if r in table.columns]
    totals = with_data.select(pl.col(roles).sum()).row(0, named=True) if roles else {}
    party_votes = with_data.select(pl.col(list(election.parties)).sum()).row(0)
    cast, valid = int(totals["cast"]), int(totals["valid"])
    issued = int(totals["issued"]) if election.has("issued") else None
    registered = int(totals["registered"]) if election.has("registered") else None
    basis = "issued / registered" if issued is not None else "cast / registered"
    numerator = "issued" if issued is not None else "cast"
    both = (
        with_data.filter(pl.col(numerator).is_not_null() & pl.col("registered").is_not_null())
        if registered
        else None
    )
    turnout = (
        _pct(int(both[numerator].sum()), int(both["registered"].sum()))
        if both is not None
        else None
    )
    if both is not None and both.height < with_data.height:
        basis += f" over the {both.height:,} stations publishing both"
    empty = table.height - with_data.height
    return Summary(
        id=election.info.id,
        name=election.info.name,
        stations=with_data.height,
        by_kind={k: int(n) for k, n in with_data.group_by("kind").len().sort("kind").iter_rows()},
        registered=registered,
        issued=issued,
        cast=cast,
        valid=valid,
        invalid=int(totals["invalid"]) if election.has("invalid") else None,
        turnout_pct=turnout,
        turnout_basis=basis,
        leader=election.leader,
        parties=[
            PartyTotal(name, int(v), _pct(int(v), cast), _pct(int(v), valid))
            for name, v in zip(election.parties, party_votes, strict=True)
        ],
        excluded={"empty: no figures published": empty} if empty else {},
        flagged=election.flagged(),
        derived=dict(election.info.provenance.get("derived", {})),
    )
