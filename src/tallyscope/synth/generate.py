"""Synthetic elections with known truth: clean protocols, then fraud of chosen kinds and sizes.

Clean model. Stations nest in commissions and regions. On the logit scale, a station's turnout
and leader share are a national centre plus region, commission and station effects. In the
``realistic`` mode (the default) each level's turnout and share effects are correlated
(``correlation``, drawn in [-0.4, 0.4] when not given): a latent factor, urban against rural
say, moves turnout and the leader's share together, as in real clean elections (Poland 2025:
r = 0.23 and -0.29 between turnout and the leading candidates' shares, also within
municipalities). Default spreads are those measured on Poland 2025 (logit sd of regional
means 0.17 for turnout and 0.43 for share; commissions 0.25 and 0.53 around them; stations
0.32 and 0.38). ``independent`` is the textbook clean election: no correlation at any level.
Counts are then drawn: G ~ Binomial(V, turnout), invalid ~ Binomial(G, 1.5 %), party votes
~ Multinomial(valid, shares); V is log-normal around 850 (Poland's median).

Fraud, planted on top (Klimek et al. 2012 for the first two):

* incremental stuffing in a fraction ``f_i`` of stations: with x ~ |N(0, theta)|, a
  fraction x of the non-voters' ballots is cast for the leader and a fraction x^alpha of the
  other parties' votes is moved to the leader;
* extreme stuffing in a fraction ``f_e``: the same with x = 1 - |N(0, 0.075)|;
* rounding in a fraction ``f_round``: the protocol is rewritten so that turnout and the
  leader's share reach the next whole percentage, ballots added and votes moved to the leader
  as needed (Kobak et al. 2016);
* vote moving in a fraction ``f_move``: a fraction ``move`` of the other parties' votes goes to
  the leader, turnout unchanged;
* e-vote pseudo-stations (``evote_regions``), one per region, of 20,000-60,000 registered
  voters: with ``evote_source="voters"`` a random sample of the region's voters at its paper
  rates; with ``"stations"`` a random group of the region's stations, summed and taken off the
  paper count (the null of the e-vote test exactly). ``evote_swing`` then moves that share of
  the e-vote's valid votes from the other parties to the leader.

Every changed ballot is recorded in :class:`Truth`.

References: Klimek, P., Yegorov, Y., Hanel, R. & Thurner, S. (2012). Statistical detection of
systematic election irregularities. PNAS 109(41), 16469-16473. Kobak, D., Shpilkin, S. &
Pshenichnikov, M. S. (2016). Annals of Applied Statistics 10(1), 54-73.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tallyscope._rng import RNGLike, check_rng
from tallyscope.io.parquet import write_election
from tallyscope.methods._kernels.integer import is_integer
from tallyscope.model import Election, ElectionInfo, Kind, build_election
from tallyscope.results import to_jsonable

__all__ = ["Fraud", "Heterogeneity", "SynthElection", "Truth", "generate"]


@dataclass(frozen=True, slots=True)
class Heterogeneity:
    """Spreads (logit scale) of turnout and share at each level, and their correlation."""

    turnout_centre: float = 0.6
    share_centre: float = -0.3
    region: tuple[float, float] = (0.17, 0.43)
    commission: tuple[float, float] = (0.25, 0.53)
    station: tuple[float, float] = (0.32, 0.38)
    correlation: float | None = None  # None: drawn in [-0.4, 0.4] (realistic mode)
    mode: str = "realistic"  # or "independent"


@dataclass(frozen=True, slots=True)
class Fraud:
    """Sizes of the planted fraud (all zero: a clean election)."""

    f_i: float = 0.0
    f_e: float = 0.0
    theta: float = 0.3
    alpha: float = 2.0
    f_round: float = 0.0
    f_move: float = 0.0
    move: float = 0.3
    evote_regions: int = 0
    evote_swing: float = 0.0
    evote_source: str = "voters"  # or "stations": see the module docstring
    clustered: bool = False  # fraud chosen by whole commissions rather than stations


@dataclass(frozen=True, slots=True)
class Truth:
    """What was planted, per station (in the order of ``election.stations``) and in total."""

    fraud: np.ndarray  # "none", "incremental", "extreme", "rounding", "moving", "evote"
    stuffed: np.ndarray  # ballots added for the leader
    moved: np.ndarray  # votes moved from other parties to the leader
    clean_leader: np.ndarray  # the leader's votes before fraud
    correlation: float
    config: dict[str, Any]

    @property
    def anomalous_votes(self) -> int:
        """Leader votes added by fraud: ballots stuffed plus votes moved."""
        return int(self.stuffed.sum() + self.moved.sum())

    def totals(self) -> dict[str, Any]:
        kinds, counts = np.unique(self.fraud, return_counts=True)
        return {
            "anomalous_votes": self.anomalous_votes,
            "stuffed": int(self.stuffed.sum()),
            "moved": int(self.moved.sum()),
            "clean_leader_votes": int(self.clean_leader.sum()),
            "stations_by_fraud": {str(k): int(n) for k, n in zip(kinds, counts, strict=True)},
            "correlation": self.correlation,
            "config": self.config,
        }

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "fraud": self.fraud,
                "stuffed": self.stuffed,
                "moved": self.moved,
                "clean_leader": self.clean_leader,
            }
        )


@dataclass(frozen=True, slots=True)
class SynthElection:
    election: Election
    truth: Truth

    def write(self, path: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write the election (tallyscope Parquet) and ``<stem>.truth.json`` beside it, with
        the per-station truth in ``<stem>.truth.parquet``."""
        path = Path(path)
        write_election(self.election, path)
        self.truth.frame().write_parquet(path.with_suffix(".truth.parquet"))
        truth_json = path.with_suffix(".truth.json")
        truth_json.write_text(json.dumps(to_jsonable(self.truth.totals()), indent=2) + "\n")
        return path, truth_json


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _correlated(
    rng: np.random.Generator, size: int, sd: tuple[float, float], rho: float
) -> tuple[np.ndarray, np.ndarray]:
    z = rng.standard_normal(size)
    a = np.sqrt(abs(rho))
    t = sd[0] * (a * z + np.sqrt(1 - abs(rho)) * rng.standard_normal(size))
    s = sd[1] * (np.sign(rho) * a * z + np.sqrt(1 - abs(rho)) * rng.standard_normal(size))
    return t, s


def generate(
    n_stations: int = 10_000,
    *,
    n_regions: int = 20,
    stations_per_commission: int = 12,
    n_parties: int = 4,
    heterogeneity: Heterogeneity = Heterogeneity(),
    fraud: Fraud = Fraud(),
    rng: RNGLike = None,
) -> SynthElection:
    """A synthetic election and its truth (see the module docstring for the model)."""
    if n_stations < n_regions:
        raise ValueError("need at least one station per region")
    if n_parties < 2:
        raise ValueError("need at least two parties")
    rng = check_rng(rng)
    h = heterogeneity
    rho = (
        0.0
        if h.mode == "independent"
        else (rng.uniform(-0.4, 0.4) if h.correlation is None else h.correlation)
    )
    if h.mode not in ("realistic", "independent"):
        raise ValueError("heterogeneity mode must be 'realistic' or 'independent'")
    if fraud.evote_source not in ("voters", "stations"):
        raise ValueError(f"evote_source must be 'voters' or 'stations', not {fraud.evote_source!r}")

    region = np.sort(rng.integers(0, n_regions, n_stations))
    region[:n_regions] = np.arange(n_regions)  # every region has a station
    region.sort()
    n_commissions = max(n_regions, n_stations // stations_per_commission)
    commission = np.minimum(
        region * (n_commissions // n_regions)
        + rng.integers(0, max(1, n_commissions // n_regions), n_stations),
        n_commissions - 1,
    )
    rt, rs = _correlated(rng, n_regions, h.region, rho)
    ct, cs = _correlated(rng, n_commissions, h.commission, rho)
    st, ss = _correlated(rng, n_stations, h.station, rho)
    turnout = _expit(h.turnout_centre + rt[region] + ct[commission] + st)
    share = _expit(h.share_centre + rs[region] + cs[commission] + ss)

    V = np.clip(np.round(rng.lognormal(np.log(850.0), 0.7, n_stations)), 30, 3500).astype(np.int64)
    G = rng.binomial(V, turnout)
    invalid = rng.binomial(G, 0.015)
    valid = G - invalid
    others = rng.dirichlet(np.full(n_parties - 1, 2.0))
    weights = np.column_stack([share, (1.0 - share)[:, None] * others[None, :]])
    votes = rng.multinomial(valid, weights / weights.sum(axis=1, keepdims=True))
    clean_leader = votes[:, 0].copy()

    labels = np.full(n_stations, "none", dtype=object)
    stuffed = np.zeros(n_stations, dtype=np.int64)
    moved = np.zeros(n_stations, dtype=np.int64)
    chosen = _choose(rng, fraud, commission, n_stations)
    for name, mask in chosen.items():
        labels[mask] = name
        if name in ("incremental", "extreme"):
            x = (
                np.clip(np.abs(rng.normal(0.0, fraud.theta, mask.sum())), 0.0, 1.0)
                if name == "incremental"
                else 1.0 - np.clip(np.abs(rng.normal(0.0, 0.075, mask.sum())), 0.0, 1.0)
            )
            add = rng.binomial(V[mask] - G[mask], x)
            take = rng.binomial(votes[mask, 1:], (x**fraud.alpha)[:, None])
        elif name == "moving":
            add = np.zeros(mask.sum(), dtype=np.int64)
            take = rng.binomial(votes[mask, 1:], fraud.move)
        else:  # rounding
            add, take = _rounding(V[mask], G[mask], valid[mask], invalid[mask], votes[mask])
        votes[mask, 1:] -= take
        votes[mask, 0] += add + take.sum(axis=1)
        G[mask] += add
        valid[mask] += add
        stuffed[mask] += add
        moved[mask] += take.sum(axis=1)

    names = ["Leader"] + [f"Party {chr(ord('B') + i)}" for i in range(n_parties - 1)]
    frame = pl.DataFrame(
        {
            "region": [f"Region {r + 1:02d}" for r in region],
            "commission": [f"Commission {c + 1:04d}" for c in commission],
            "station": [str(i + 1) for i in range(n_stations)],
            "registered": V,
            "issued": G,
            "invalid": invalid,
            "valid": valid,
        }
        | {name: votes[:, j] for j, name in enumerate(names)}
    ).with_columns(pl.lit(Kind.REGULAR.value).alias("kind"), pl.lit("paper").alias("channel"))
    if fraud.evote_regions:
        if fraud.evote_source == "voters":
            extra, swung = _evote(rng, frame, names, fraud)
            extra_stuffed = np.zeros(extra.height, dtype=np.int64)
            extra_moved, extra_clean = swung, extra["Leader"].to_numpy() - swung
        else:
            extra, groups, swung = _evote_from_stations(rng, frame, names, fraud)
            on_paper = np.ones(n_stations, dtype=bool)
            for group in groups:
                on_paper[group] = False
            extra_stuffed = np.array([stuffed[g].sum() for g in groups], dtype=np.int64)
            extra_moved = np.array([moved[g].sum() for g in groups], dtype=np.int64) + swung
            extra_clean = np.array([clean_leader[g].sum() for g in groups], dtype=np.int64)
            frame = frame.filter(pl.Series(on_paper))
            labels, stuffed, moved = labels[on_paper], stuffed[on_paper], moved[on_paper]
            clean_leader = clean_leader[on_paper]
        frame = pl.concat([frame, extra], how="diagonal_relaxed")
        labels = np.concatenate([labels, np.full(extra.height, "evote", dtype=object)])
        stuffed = np.concatenate([stuffed, extra_stuffed])
        moved = np.concatenate([moved, extra_moved])
        clean_leader = np.concatenate([clean_leader, extra_clean])
    config = {
        "n_stations": n_stations,
        "n_regions": n_regions,
        "n_parties": n_parties,
        "heterogeneity": dataclasses.asdict(h),
        "fraud": dataclasses.asdict(fraud),
    }
    info = ElectionInfo(
        country="XX",
        date="",
        kind="synthetic",
        name=f"synthetic election ({n_stations:,} stations)",
        leader="Leader",
        source="tallyscope.synth.generate",
        provenance={"generator": config},
    )
    election = build_election(frame, names, info)
    truth = Truth(labels.astype(str), stuffed, moved, clean_leader, float(rho), config)
    return SynthElection(election, truth)


def _choose(
    rng: np.random.Generator, fraud: Fraud, commission: np.ndarray, n: int
) -> dict[str, np.ndarray]:
    """Disjoint station masks for each fraud mechanism."""
    fractions = {
        "extreme": fraud.f_e,
        "incremental": fraud.f_i,
        "rounding": fraud.f_round,
        "moving": fraud.f_move,
    }
    if sum(fractions.values()) > 1:
        raise ValueError("fraud fractions add up to more than 1")
    if fraud.clustered:
        units = rng.permutation(commission.max() + 1)
        order = np.argsort(np.argsort(units)[commission], kind="stable")
    else:
        order = rng.permutation(n)
    masks, start = {}, 0
    for name, fraction in fractions.items():
        count = int(round(fraction * n))
        if count:
            mask = np.zeros(n, dtype=bool)
            mask[order[start : start + count]] = True
            masks[name] = mask
            start += count
    return masks


def _next_integer_count(x: np.ndarray, n: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """The smallest count c >= x (c <= cap) with 100·c/n within 0.05 of a whole number;
    x itself where no such count exists below the cap."""
    out = x.copy()
    todo = ~is_integer(x, n)
    for step in range(1, int(n.max()) // 100 + 3):
        if not todo.any():
            break
        hit = todo & (x + step <= cap) & is_integer(x + step, n)
        out[hit] = x[hit] + step
        todo &= ~hit
    return out


def _rounding(
    V: np.ndarray, G: np.ndarray, valid: np.ndarray, invalid: np.ndarray, votes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ballots to add and votes to move so that turnout and then the leader's share reach the
    next whole percentage (Kobak et al.'s rewritten protocols)."""
    add = _next_integer_count(G, V, V) - G
    R = valid + add + invalid
    L = votes[:, 0] + add
    others = votes[:, 1:]
    available = others.sum(axis=1)
    need = _next_integer_count(L, R, L + available) - L
    return add, _take_votes(others, need)


def _take_votes(others: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Votes to take from each other party: proportionally to their votes, the rounding
    remainder from the parties with most left."""
    take = np.floor(others * (need / np.maximum(others.sum(axis=1), 1))[:, None]).astype(np.int64)
    rest = need - take.sum(axis=1)
    rows = np.arange(len(take))
    for column in np.argsort(-(others - take), axis=1).T:
        step = np.minimum(rest, others[rows, column] - take[rows, column])
        take[rows, column] += step
        rest -= step
    return take


def _swing(rng: np.random.Generator, votes: np.ndarray, swing: float, leader: float) -> int:
    """Move ``swing`` of the valid votes (in expectation, at a leader share ``leader``) from the
    other parties to the leader, in place; return the votes moved."""
    take = rng.binomial(votes[1:], min(1.0, max(0.0, swing / max(1e-9, 1.0 - leader))))
    votes[1:] -= take
    votes[0] += take.sum()
    return int(take.sum())


def _evote_row(region: str, counts: dict[str, int]) -> dict[str, object]:
    return {"region": region, "commission": "e-vote", "station": None, "kind": Kind.ELECTRONIC.value,
            "channel": "evote", "valid": counts["issued"] - counts["invalid"]} | counts  # fmt: skip


def _evote(
    rng: np.random.Generator, frame: pl.DataFrame, names: list[str], fraud: Fraud
) -> tuple[pl.DataFrame, np.ndarray]:
    """One e-vote pseudo-station per region, a random sample of the region's voters at its
    paper rates, then the swing; returns the rows and the votes the swing moved."""
    regions = frame["region"].unique(maintain_order=True).to_list()[: fraud.evote_regions]
    rows, moved = [], []
    for region in regions:
        paper = frame.filter(pl.col("region") == region)
        totals = paper.select(pl.col(["registered", "issued", "invalid", *names]).sum()).row(
            0, named=True
        )
        V = int(rng.integers(20_000, 60_000))
        G = int(rng.binomial(V, totals["issued"] / totals["registered"]))
        invalid = int(rng.binomial(G, totals["invalid"] / max(totals["issued"], 1)))
        shares = np.array([totals[n] for n in names], dtype=float)
        votes = rng.multinomial(G - invalid, shares / shares.sum())
        moved.append(_swing(rng, votes, fraud.evote_swing, shares[0] / shares.sum()))
        counts = {"registered": V, "issued": G, "invalid": invalid}
        rows.append(_evote_row(region, counts | dict(zip(names, votes.tolist(), strict=True))))
    return pl.DataFrame(rows), np.array(moved, dtype=np.int64)


def _evote_from_stations(
    rng: np.random.Generator, frame: pl.DataFrame, names: list[str], fraud: Fraud
) -> tuple[pl.DataFrame, list[np.ndarray], np.ndarray]:
    """One e-vote pseudo-station per region, the sum of a random group of its stations (drawn
    until 20,000-60,000 registered voters), then the swing; returns the rows, each group's
    station indices and the votes the swing moved."""
    region = frame["region"].to_numpy()
    counts = frame.select(["registered", "issued", "invalid", *names]).to_numpy()
    rows, groups, moved = [], [], []
    for name in frame["region"].unique(maintain_order=True).to_list()[: fraud.evote_regions]:
        members = rng.permutation(np.flatnonzero(region == name))
        reached = np.cumsum(counts[members, 0])
        size = min(
            int(np.searchsorted(reached, rng.integers(20_000, 60_000))) + 1, members.size - 1
        )
        group = np.sort(members[: max(size, 1)])
        total = counts[group].sum(axis=0)
        votes = total[3:].copy()
        moved.append(_swing(rng, votes, fraud.evote_swing, votes[0] / max(votes.sum(), 1)))
        summed = {"registered": int(total[0]), "issued": int(total[1]), "invalid": int(total[2])}
        rows.append(_evote_row(name, summed | dict(zip(names, votes.tolist(), strict=True))))
        groups.append(group)
    return pl.DataFrame(rows), groups, np.array(moved, dtype=np.int64)
