"""Remote electronic voting against the paper vote of the same units (issue #6)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

import tallyscope as ts
from tallyscope.methods.evoting import AddedVotes, EvoteResult, EvoteUnit, evote
from tallyscope.results import NotApplicable
from tallyscope.synth import Fraud, generate

UR = "ЕДИНАЯ РОССИЯ"
MOSCOW = "Город Москва"


@pytest.fixture(scope="module")
def duma_2021() -> ts.Election:
    return ts.load("ru-2021-duma")


@pytest.fixture(scope="module")
def deg_2021(duma_2021) -> EvoteResult:
    return evote(duma_2021, party=UR, n_sims=2_000, n_boot=500, rng=2021)


@pytest.fixture(scope="module")
def president_2024() -> ts.Election:
    return ts.load("ru-2024-president")


@pytest.fixture(scope="module")
def deg_2024(president_2024) -> EvoteResult:
    return evote(president_2024, n_sims=2_000, n_boot=500, rng=2024)


def _unit(result: EvoteResult, name: str) -> EvoteUnit:
    return next(u for u in result.units if u.unit == name)


# -- 2021: the Moscow districts -------------------------------------------------------------


def test_2021_units_are_the_districts(deg_2021):
    assert deg_2021.level == "district"
    assert len(deg_2021.units) == 33
    assert deg_2021.units_excluded == {}
    assert all(u.evote_rows == 1 for u in deg_2021.units)
    moscow = [u for u in deg_2021.units if u.region == MOSCOW]
    assert [u.district for u in moscow] == [f"ОИК №{n}" for n in range(196, 211)]


def test_2021_moscow_united_russia_paper_vs_evote(deg_2021):
    moscow = [u for u in deg_2021.units if u.region == MOSCOW]
    assert len(moscow) == 15
    for u in moscow:
        # 25-35 % on paper to the whole percent (24.95 % in ОИК №198, 35.18 % in ОИК №199)
        assert 24.5 <= u.paper_share <= 35.5, u.unit
        assert 42.0 <= u.evote_share <= 48.0, u.unit
        assert 11.0 < u.difference.value < 18.0
        assert u.difference.ci.low > 10.0
        # the e-vote is beyond 90 % of the district's stations and far outside what random
        # groups of its stations give: flagged after Holm, in United Russia's favour
        assert u.percentile > 90.0
        assert u.p_greater == pytest.approx(1 / 2_001)
        assert u.p_holm_two_sided <= 0.05
        assert u.unit in deg_2021.flagged


def test_2021_national_deg_totals(deg_2021):
    t = deg_2021.evote_totals
    assert t.rows == 33
    assert t.registered == 2_650_325
    assert t.cast == 2_480_446
    party = next(p for p in t.votes if UR in p)
    assert t.votes[party] == 1_166_200
    assert round(t.pct_of_cast[party], 2) == 47.02
    assert deg_2021.party == party


def test_2021_added_votes_and_margins(deg_2021):
    ur = deg_2021.added()
    assert isinstance(ur, AddedVotes)
    assert ur.evote_votes == 1_166_200
    # United Russia got some 327 thousand e-votes more than the paper vote of the same
    # districts predicts; the added votes of all parties sum to zero
    assert 300_000 < ur.added < 350_000
    assert ur.ci.low > 300_000
    assert sum(a.added for a in deg_2021.added_votes) == pytest.approx(0.0, abs=1e-3)
    kprf = next(a for a in deg_2021.added_votes if "КОММУНИСТИЧЕСКАЯ ПАРТИЯ РОССИЙСКОЙ" in a.party)
    assert kprf.added < -300_000
    assert deg_2021.top_two == (ur.party, kprf.party)
    # the party-list winner changed from the Communists to United Russia in ten Moscow
    # districts once the e-vote was added, and nowhere else
    changed = [_unit(deg_2021, name) for name in deg_2021.winners_changed]
    assert len(changed) == 10
    for u in changed:
        assert u.region == MOSCOW
        assert u.winner_paper == kprf.party and u.winner_with_evote == ur.party
        assert u.paper_margin < 0 < u.margin_with_evote


def test_2021_evote_below_paper_is_flagged_too(deg_2021):
    # two-sided: in Nizhny Novgorod the e-vote gave United Russia less than the paper vote
    lower = [u for u in deg_2021.units if u.difference.ci.high < 0 and u.p_holm_less <= 0.05]
    assert {u.region for u in lower} == {"Нижегородская область"}


def test_station_null_is_more_lenient(duma_2021):
    lenient = evote(duma_2021, party=UR, null="station", n_sims=2_000, n_boot=200, rng=1)
    moscow = [u for u in lenient.units if u.region == MOSCOW]
    # against single stations the e-vote is unusual (raw p < 0.11) but not flagged after Holm
    assert all(u.p_greater < 0.11 for u in moscow)
    assert lenient.flagged == []


# -- 2024: the regions ----------------------------------------------------------------------


def test_2024_units_are_the_regions(deg_2024):
    assert deg_2024.level == "region"
    assert len(deg_2024.units) == 29
    assert deg_2024.evote_totals.rows == 29
    assert deg_2024.party.startswith("Путин")
    assert deg_2024.excluded["kind: empty"] == 2_268
    for u in deg_2024.units:
        assert u.district is None
        assert 70.0 < u.paper_share < 95.0 and 80.0 < u.evote_share < 96.0


def test_2024_moscow_paper_vs_evote(deg_2024):
    moscow = _unit(deg_2024, MOSCOW)
    assert round(moscow.paper_share, 2) == 76.80
    assert round(moscow.evote_share, 2) == 89.10
    assert moscow.paper_stations == 2_198
    assert moscow.paper.cast == 1_738_112 and moscow.evote.cast == 3_642_924
    assert moscow.p_holm_greater <= 0.05
    assert not moscow.winner_changed


def test_paper_definition(deg_2024, president_2024, duma_2021):
    # paper = every non-electronic row of the unit; in Moscow 2024 that is the regular
    # stations (no mobile or abroad rows), so narrowing to regular rows changes nothing
    regular = evote(president_2024, paper_kinds=("regular",), n_sims=50, n_boot=20, rng=0)
    assert _unit(regular, MOSCOW).paper_share == _unit(deg_2024, MOSCOW).paper_share
    # the official percentages are of valid + invalid ballots; of valid ballots Moscow's
    # paper figure is 80.67 % (4.8 % of paper ballots are invalid, 5 e-ballots are)
    valid = evote(president_2024, base="valid", n_sims=50, n_boot=20, rng=0)
    assert round(_unit(valid, MOSCOW).paper_share, 2) == 80.67
    assert round(_unit(valid, MOSCOW).evote_share, 2) == 89.10
    # in 2021 stations abroad belong to districts: ОИК №129 has 94 of them
    name = "Нижегородская область / ОИК №129"
    every = evote(duma_2021, n_sims=50, n_boot=20, rng=0)
    only = evote(duma_2021, paper_kinds=("regular",), n_sims=50, n_boot=20, rng=0)
    assert _unit(every, name).paper_stations == _unit(only, name).paper_stations + 94
    assert round(_unit(only, name).paper_share, 2) == 46.98
    assert round(_unit(every, name).paper_share, 2) == 47.77


# -- synthetic elections --------------------------------------------------------------------


def _synth(seed: int, swing: float) -> ts.Election:
    fraud = Fraud(evote_regions=20, evote_swing=swing)
    return generate(4_000, fraud=fraud, rng=seed).election


def test_same_seed_same_result():
    election = _synth(7, 0.05)
    a = evote(election, n_sims=500, n_boot=100, rng=11).to_dict()
    b = evote(election, n_sims=500, n_boot=100, rng=11).to_dict()
    c = evote(election, n_sims=500, n_boot=100, rng=12).to_dict()
    assert a == b
    assert a["seed"] == 11
    assert [u["p_two_sided"] for u in a["units"]] != [u["p_two_sided"] for u in c["units"]]


def test_generator_null_is_not_flagged():
    # the generator's e-vote is a random sample of its region's voters: never flagged
    # beyond alpha (the test is conservative here: random samples of voters vary less than
    # random groups of stations)
    rates, flags = [], []
    for seed in range(40):
        result = evote(_synth(seed, 0.0), n_sims=499, n_boot=100, rng=seed)
        assert result.level == "region" and len(result.units) == 20
        rates.append(np.mean([u.p_two_sided <= 0.05 for u in result.units]))
        flags.append(result.test().pvalue <= 0.05)
    assert np.mean(rates) <= 0.05
    assert np.mean(flags) <= 0.05


def _station_group_evote(seed: int) -> ts.Election:
    """A clean election whose e-vote in each region is a random group of its stations, taken
    off the paper count: the null hypothesis of the matched test exactly."""
    fraud = Fraud(evote_regions=20, evote_source="stations")
    return generate(6_000, fraud=fraud, rng=seed).election


@pytest.mark.slow
def test_random_station_groups_are_rejected_at_about_alpha():
    rates, greater, flags = [], [], []
    for seed in range(100):
        result = evote(_station_group_evote(seed), n_sims=499, n_boot=200, rng=seed)
        rates.append(np.mean([u.p_two_sided <= 0.05 for u in result.units]))
        greater.append(np.mean([u.p_greater <= 0.05 for u in result.units]))
        flags.append(result.test().pvalue <= 0.05)
    assert 0.03 <= np.mean(rates) <= 0.075  # 2,000 unit tests: about 5.5 %
    assert 0.03 <= np.mean(greater) <= 0.075
    assert np.mean(flags) <= 0.10


def test_planted_swing_is_flagged_and_sized():
    for seed in range(4):
        synth = generate(4_000, fraud=Fraud(evote_regions=20, evote_swing=0.15), rng=seed)
        result = evote(synth.election, n_sims=499, n_boot=300, rng=seed)
        assert len(result.flagged) == 20
        assert all(u.p_holm_greater <= 0.05 for u in result.units)
        assert all(13.0 < u.difference.value < 16.5 for u in result.units)
        moved = int(synth.truth.moved[synth.truth.fraud == "evote"].sum())
        added = result.added("Leader")
        assert moved in added.ci
        assert result.test().rejects()


# -- contract -------------------------------------------------------------------------------


def test_not_applicable_without_electronic_rows():
    clean = generate(500, n_regions=5, rng=0).election
    assert evote(clean) == NotApplicable("evote", "no electronic-voting rows")
    assert isinstance(evote(ts.load("pl-2025-president-1")), NotApplicable)
    # asked for districts where the e-vote rows carry none
    assert isinstance(evote(_synth(0, 0.0), level="district"), NotApplicable)


def test_result_serialises_and_tabulates(deg_2024):
    doc = json.loads(json.dumps(deg_2024.to_dict()))
    assert doc["method"] == "evote" and doc["seed"] == 2024
    assert doc["n_sims"] == 2_000 and doc["null"] == "matched" and doc["base"] == "cast"
    assert doc["reference"].startswith("Efron & Tibshirani")
    assert len(doc["units"]) == 29 and "winner_changed" in doc["units"][0]
    assert doc["test"]["pvalue"] == deg_2024.test().pvalue
    table = deg_2024.table()
    assert table.height == 29
    for column in ("paper_share", "evote_share", "difference", "percentile", "p_holm_two_sided"):
        assert column in table.columns
    parties = deg_2024.party_table()
    assert parties.height == 29 * 4
    assert (
        parties.group_by("unit").agg(pl.col("added_votes").sum())["added_votes"].abs().max() < 1e-6
    )


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ({"null": "binomial"}, "null must be"),
        ({"base": "registered"}, "base must be"),
        ({"level": "station"}, "level must be"),
        ({"n_sims": 0}, "n_sims"),
        ({"confidence": 1.5}, "confidence"),
        ({"paper_kinds": ("regular", "electronic")}, "paper_kinds"),
    ],
)
def test_invalid_arguments(option, match):
    with pytest.raises(ValueError, match=match):
        evote(_synth(0, 0.0), **option)
