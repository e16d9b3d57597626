"""Summary totals do not depend on the order of the stations or of the party columns."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import tallyscope as ts
from tallyscope.model import build_election
from tallyscope.testing.strategies import elections


def _totals(summary) -> dict:
    return {
        "stations": summary.stations,
        "by_kind": summary.by_kind,
        "registered": summary.registered,
        "issued": summary.issued,
        "cast": summary.cast,
        "valid": summary.valid,
        "invalid": summary.invalid,
        "turnout_pct": summary.turnout_pct,
        "parties": {p.name: (p.votes, p.pct_of_cast, p.pct_of_valid) for p in summary.parties},
        "excluded": summary.excluded,
        "flagged": summary.flagged,
    }


def _rebuilt(election, order, parties):
    frame = election.stations.drop("flags", "row")[list(order)]
    return build_election(frame, parties, election.info)


@settings(max_examples=60, deadline=None)
@given(elections(), st.data())
def test_summary_is_invariant_to_station_order(election, data):
    order = data.draw(st.permutations(range(len(election))))
    shuffled = _rebuilt(election, order, election.parties)
    assert _totals(ts.summarize(shuffled)) == _totals(ts.summarize(election))


@settings(max_examples=60, deadline=None)
@given(elections(), st.data())
def test_summary_is_invariant_to_party_column_order(election, data):
    parties = data.draw(st.permutations(election.parties))
    frame = election.stations.drop("flags").select(
        [c for c in election.stations.columns if c not in election.parties and c != "flags"]
        + list(parties)
    )
    reordered = build_election(frame, parties, election.info)
    before, after = ts.summarize(election), ts.summarize(reordered)
    assert _totals(after) == _totals(before)
    votes = {p.name: p.votes for p in before.parties}
    if sorted(votes.values()).count(max(votes.values())) == 1:  # a unique leader
        assert after.leader == before.leader


@settings(max_examples=40, deadline=None)
@given(elections())
def test_strategy_protocols_are_valid(election):
    table = election.stations
    assert election.flagged() == {}
    assert (table["issued"] <= table["registered"]).all()
    assert (table["cast"] <= table["issued"]).all()
    assert (table["valid"] + table["invalid"] == table["cast"]).all()
    assert (table.select(election.parties).sum_horizontal() == table["valid"]).all()
    assert table["station"].is_unique().all()
    kinds = set(table["kind"].cast(pl.String))
    assert kinds <= {"regular", "zero"}
