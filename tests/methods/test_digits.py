"""Last-digit and second-digit tests against each station's binomial null."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import polars as pl
import pytest

import tallyscope as ts
from tallyscope.exceptions import NotApplicableError
from tallyscope.methods._kernels.digits import (
    digit_null_draws,
    digit_null_draws_numpy,
    digit_probabilities,
    digit_probabilities_numpy,
    last_digit,
    second_digit,
)
from tallyscope.methods.digits import BENFORD_SECOND, CAVEAT, digit_tests
from tallyscope.model import Election
from tallyscope.synth.generate import Fraud, Heterogeneity, generate


def _cells(seed: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = rng.integers(0, 600, size)
    x = rng.binomial(n, rng.uniform(0.0, 1.0, size))
    n[:3] = 0
    x[:3] = 0
    x[3:8] = 0
    x[8:13] = n[8:13]  # p = 1
    x[13:18] = np.minimum(n[13:18], 1)
    return x, n


def _heaped(election: Election, fraction: float, base: int, seed: int) -> Election:
    """A fraction of the leader's counts rounded to a multiple of ``base``, the difference
    taken from (or given to) Party B so that the protocol still adds up."""
    rng = np.random.default_rng(seed)
    st = election.stations
    L, B = st["Leader"].to_numpy(), st["Party B"].to_numpy()
    new = np.where(rng.random(L.size) < fraction, np.round(L / base) * base, L).astype(np.int64)
    ok = B - (new - L) >= 0
    new = np.where(ok, new, L)
    table = st.with_columns(pl.Series("Leader", new), pl.Series("Party B", B - (new - L)))
    return Election(table, election.parties, election.info)


# -- kernels -------------------------------------------------------------------------------


def test_digit_functions():
    k = np.array([0, 7, 10, 19, 99, 100, 109, 110, 999, 1000, 1099, 12345, 10**6])
    assert last_digit(k).tolist() == [0, 7, 0, 9, 9, 0, 9, 0, 9, 0, 9, 5, 0]
    assert second_digit(k).tolist() == [-1, -1, 0, 9, 9, 0, 0, 1, 9, 0, 0, 2, 0]
    assert BENFORD_SECOND.sum() == pytest.approx(1.0)
    assert BENFORD_SECOND[0] == pytest.approx(0.11968, abs=1e-5)


@pytest.mark.parametrize("min_count", [1, 10, 25])
def test_probability_kernel_equals_numpy_twin(min_count):
    x, n = _cells(1, 400)
    got = digit_probabilities(x, n, min_count)
    want = digit_probabilities_numpy(x, n, min_count)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-12)
        np.testing.assert_allclose(g.sum(axis=1), 1.0, atol=1e-12)


def test_probabilities_match_redrawn_binomial_counts():
    # the kernel's categories are those of actually redrawing Binomial(n, x/n)
    rng = np.random.default_rng(2)
    for x, n in ((12, 900), (37, 150), (480, 1000), (3, 40)):
        last, second = digit_probabilities(np.array([x]), np.array([n]), 10)
        draws = rng.binomial(n, x / n, 400_000)
        cat_last = np.where(draws >= 10, 1 + draws % 10, 0)
        cat_second = np.where(draws >= 10, 1 + second_digit(draws), 0)
        for probs, cats in ((last[0], cat_last), (second[0], cat_second)):
            freq = np.bincount(cats, minlength=11) / draws.size
            np.testing.assert_allclose(freq, probs, atol=4e-3)


def test_draw_kernel_equals_numpy_twin():
    x, n = _cells(3, 300)
    last, _ = digit_probabilities(x, n, 10)
    cdf = np.cumsum(last, axis=1)
    cdf[:, -1] = 1.0
    group = np.random.default_rng(4).integers(0, 3, x.size)
    seeds = np.random.default_rng(5).integers(1, 2**63 - 1, 64, dtype=np.uint64)
    got = digit_null_draws(cdf, group, 3, seeds)
    assert np.array_equal(got, digit_null_draws_numpy(cdf, group, 3, seeds))
    assert (got.sum(axis=2) == np.bincount(group, minlength=3)).all()
    # and the draws follow the probabilities
    mean = got.sum(axis=1).mean(axis=0)
    np.testing.assert_allclose(mean, last.sum(axis=0), atol=2.5)


def test_kernels_equal_twins_without_jit():
    script = (
        "import numpy as np\n"
        "from tallyscope.methods._kernels import digits as k\n"
        "rng = np.random.default_rng(0)\n"
        "n = rng.integers(1, 300, 40); x = rng.binomial(n, 0.3)\n"
        "a, b = k.digit_probabilities(x, n, 10), k.digit_probabilities_numpy(x, n, 10)\n"
        "assert all(np.allclose(p, q, atol=1e-12) for p, q in zip(a, b))\n"
        "cdf = np.cumsum(a[0], axis=1); cdf[:, -1] = 1.0\n"
        "g = np.zeros(40, dtype=np.int64); s = np.arange(1, 9, dtype=np.uint64)\n"
        "assert (k.digit_null_draws(cdf, g, 1, s) == k.digit_null_draws_numpy(cdf, g, 1, s)).all()\n"
    )
    env = os.environ | {"NUMBA_DISABLE_JIT": "1"}
    subprocess.run([sys.executable, "-W", "ignore", "-c", script], env=env, check=True)


# -- the method ----------------------------------------------------------------------------


def test_result_shape_determinism_and_json():
    e = generate(2000, rng=7).election
    a = digit_tests(e, n_sims=200, rng=11)
    b = digit_tests(e, n_sims=200, rng=11)
    assert a.to_dict() == b.to_dict()
    assert a.parties == ["Leader", "Party B", "Party C", "Party D"][: len(a.parties)]
    doc = json.loads(json.dumps(a.to_dict()))
    assert doc["caveat"] == CAVEAT and "Deckert" in doc["caveat"]
    assert set(doc["last"]["null_distribution"]) == {"n", "mean", "sd", "quantiles"}
    tests = a.tests()
    assert set(tests) == {"last-digit", "second-digit"}
    assert tests["last-digit"].n_resamples == 200
    assert 1 / 201 <= tests["last-digit"].pvalue <= 1
    assert a.test("second-digit").pvalue == a.second.p_value
    for t in (a.last, a.second):
        assert sum(t.observed) == t.counts == sum(p.counts for p in t.by_party)
        assert sum(t.expected) == pytest.approx(t.counts)
    with pytest.raises(ValueError, match="name"):
        a.test("first-digit")


def test_party_selection_and_errors():
    e = generate(1000, n_parties=8, rng=8).election
    r = digit_tests(e, n_sims=50, rng=1)
    assert set(r.parties) | set(r.skipped) == set(e.parties)
    assert all(m < 30 for m in r.skipped.values())
    r0 = digit_tests(e, n_sims=50, rng=1, min_median=0, parties=["Leader", "Party B"])
    assert r0.parties == ["Leader", "Party B"] and r0.skipped == {}
    with pytest.raises(NotApplicableError, match="median"):
        digit_tests(e, min_median=10**6)
    for bad in ({"min_count": 0}, {"n_sims": 0}, {"draws": "fast"}, {"min_median": -1}):
        with pytest.raises(ValueError):
            digit_tests(e, **bad)


def test_normal_and_exact_nulls_agree():
    e = generate(6000, rng=9).election
    exact = digit_tests(e, n_sims=400, rng=2, draws="exact")
    normal = digit_tests(e, n_sims=400, rng=2, draws="normal")
    for a, b in ((exact.last, normal.last), (exact.second, normal.second)):
        assert a.statistic == b.statistic
        qa, qb = (
            np.quantile(a.null_distribution, [0.5, 0.9]),
            np.quantile(b.null_distribution, [0.5, 0.9]),
        )
        np.testing.assert_allclose(qa, qb, rtol=0.2)
        assert abs(a.p_value - b.p_value) < 0.1
    assert {p.null for p in exact.last.by_party} == {"exact"}
    assert {p.null for p in normal.last.by_party} == {"normal"}


def test_heaped_counts_are_detected():
    base = generate(3000, rng=10).election
    clean = digit_tests(base, n_sims=200, rng=1)
    tens = digit_tests(_heaped(base, 0.2, 10, 1), n_sims=200, rng=1)
    hundreds = digit_tests(_heaped(base, 0.2, 100, 1), n_sims=200, rng=1)
    assert clean.last.p_value > 0.05 and clean.second.p_value > 0.05
    assert tens.last.p_value <= 0.01 and tens.last.statistic > 10 * clean.last.statistic
    leader = next(p for p in tens.last.by_party if p.party == "Leader")
    assert leader.p_value <= 0.01 and leader.observed[0] > 2 * leader.expected[0]
    assert hundreds.second.p_value <= 0.01
    assert hundreds.second.statistic > 5 * clean.second.statistic


def test_stuffing_and_rounding_leave_digits_alone():
    # documented behaviour: the null is centred on each station's own counts, so fraud that
    # keeps the counts smooth does not show (Deckert, Myagkov & Ordeshook 2011)
    for fraud in (Fraud(f_e=0.1), Fraud(f_round=0.3)):
        r = digit_tests(generate(3000, fraud=fraud, rng=12).election, n_sims=200, rng=1)
        assert r.last.p_value > 0.01 and r.second.p_value > 0.01


@pytest.mark.parametrize("dataset", ["pl-2025-president-1", "pl-2025-president-2"])
def test_polish_control_is_not_accused(dataset):
    r = digit_tests(ts.load(dataset), rng=1)
    for test in (r.last, r.second):
        assert test.p_value > 0.05
        assert all(p.p_value > 0.05 for p in test.by_party)
    if dataset.endswith("1"):
        assert r.parties == ["Braun", "Mentzen", "Nawrocki", "Trzaskowski"]
        assert r.skipped["Jakubiak"] < 30


@pytest.mark.slow
def test_false_positive_rate_on_clean_synthetic_elections():
    # 200 seeds per heterogeneity mode, 1,000 stations, 100 simulations (exact draws): at
    # alpha = 0.05 the last-digit test rejects in 2-3 % of seeds; the second-digit test is
    # conservative (0-2.5 %; see the module docstring)
    for mode in ("independent", "realistic"):
        p = np.array(
            [
                [t.p_value for t in (r.last, r.second)]
                for r in (
                    digit_tests(
                        generate(1000, heterogeneity=Heterogeneity(mode=mode), rng=seed).election,
                        n_sims=100,
                        rng=seed,
                    )
                    for seed in range(200)
                )
            ]
        )
        rates = (p <= 0.05).mean(axis=0)
        assert (rates <= 0.09).all(), (mode, rates)


@pytest.mark.slow
def test_russia_2021_is_rejected():
    r = digit_tests(ts.load("ru-2021-duma"), rng=1)
    assert r.last.p_value <= 0.01
    assert len(r.parties) == 4
