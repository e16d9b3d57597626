"""Finite-mixture fraud model: kernels against their NumPy twins, planted fraud, a clean
election, reproducibility, the station table and bad input."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

import tallyscope as ts
from tallyscope.exceptions import NotApplicableError
from tallyscope.methods._kernels.mixture import (
    loo_group_median,
    loo_group_median_numpy,
    mixture_nodes,
    mixture_nodes_numpy,
    mixture_pass,
    mixture_pass_numpy,
    node_rule,
)
from tallyscope.methods.mixture import (
    CLASSES,
    MixtureModel,
    _commission_levels,
    _Design,
    _Grid,
    _Posterior,
    _select,
    mixture_fit,
)
from tallyscope.model import ANALYSED_KINDS
from tallyscope.synth import Fraud, generate


@pytest.fixture(scope="module")
def frauded():
    synth = generate(6000, fraud=Fraud(f_i=0.1, f_e=0.03), rng=1)
    return synth, mixture_fit(synth.election, rng=0, n_draws=100)


@pytest.fixture(scope="module")
def clean():
    synth = generate(4000, rng=2)
    return synth, mixture_fit(synth.election, rng=0, n_draws=50)


def _small_problem(n=40, seed=0):
    rng = np.random.default_rng(seed)
    V = rng.integers(150, 2000, n).astype(float)
    tau = 1 / (1 + np.exp(-rng.normal(0.5, 0.4, n)))
    nu = 1 / (1 + np.exp(-rng.normal(-0.3, 0.5, n)))
    G = rng.binomial(V.astype(int), tau).astype(float)
    L = rng.binomial(G.astype(int), nu).astype(float)
    G[:4] = V[:4] - 3  # a few near-total turnouts, as extreme fraud leaves them
    L[:4] = G[:4] - 5
    grid = _Grid.build(0.7, (1.0, 2.0))
    centre = np.column_stack([np.full(n, 0.5), np.full(n, -0.3)])
    sigma = np.array([[0.2, 0.03], [0.03, 0.3]])
    return V, G, L, grid, centre, sigma


def test_nodes_kernel_matches_numpy_twin():
    V, G, L, grid, centre, sigma = _small_problem()
    rule, fine = node_rule(2), node_rule(3)
    start = np.full((V.size, grid.m.size, 2), np.nan)
    fast = mixture_nodes(V, G, L, grid.m, grid.s, centre, np.linalg.inv(sigma), *rule, start, *fine)
    slow = mixture_nodes_numpy(
        V, G, L, grid.m, grid.s, centre, np.linalg.inv(sigma), *rule, None, *fine
    )
    x1, x2, lw, cov, _, n_active = fast
    sx1, sx2, slw, scov, _, sn_active = slow
    assert np.array_equal(n_active, sn_active)
    assert np.array_equal(np.isfinite(lw), np.isfinite(slw))
    ok = np.isfinite(lw)
    # the modes come from different optimisers (Fisher scoring against BFGS) that stop at
    # slightly different points where the likelihood is flat: compare in units of the
    # node spread
    sd1 = np.sqrt(cov[:, :, 0])[:, :, None].repeat(lw.shape[2], 2)
    sd2 = np.sqrt(cov[:, :, 2])[:, :, None].repeat(lw.shape[2], 2)
    assert np.max(np.abs(x1 - sx1)[ok] / sd1[ok]) < 0.02
    assert np.max(np.abs(x2 - sx2)[ok] / sd2[ok]) < 0.02
    np.testing.assert_allclose(cov, scov, rtol=1e-2, atol=1e-6)
    # what the nodes are for: each station's likelihood and class posterior agree
    log_q = np.log(np.full(grid.m.size, 1.0 / grid.m.size))
    a = mixture_pass_numpy(*fast, log_q, centre, sigma, L, grid.m, grid.s, True)
    b = mixture_pass_numpy(*slow, log_q, centre, sigma, L, grid.m, grid.s, True)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(a[1], b[1], atol=1e-4)
    np.testing.assert_allclose(a[4][:, 0], b[4][:, 0], rtol=1e-3, atol=1e-2)


def test_pass_kernel_matches_numpy_twin():
    V, G, L, grid, centre, sigma = _small_problem(seed=1)
    start = np.full((V.size, grid.m.size, 2), np.nan)
    nodes = mixture_nodes(
        V, G, L, grid.m, grid.s, centre, np.linalg.inv(sigma), *node_rule(2), start, *node_rule(3)
    )
    log_q = np.log(np.full(grid.m.size, 1.0 / grid.m.size))
    shifted = centre + np.array([0.05, -0.02])
    wider = sigma * 1.1
    for with_votes in (False, True):
        fast = mixture_pass(*nodes, log_q, shifted, wider, L, grid.m, grid.s, with_votes)
        slow = mixture_pass_numpy(*nodes, log_q, shifted, wider, L, grid.m, grid.s, with_votes)
        for a, b in zip(fast, slow, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_loo_group_median_matches_numpy_twin():
    rng = np.random.default_rng(3)
    values = rng.normal(size=300)
    groups = rng.integers(0, 40, 300)
    groups[0] = 99  # a group of one takes the fallback
    fallback = np.full(300, -7.0)
    np.testing.assert_allclose(
        loo_group_median(values, groups, fallback), loo_group_median_numpy(values, groups, fallback)
    )


def test_weighted_design_fit_is_weighted_least_squares():
    rng = np.random.default_rng(5)
    n = 200
    region = rng.integers(0, 4, n)
    Z = rng.normal(size=(n, 2))
    y = rng.normal(size=(n, 2))
    w = rng.uniform(0.0, 1.0, n)
    w[:20] = 0.0  # nil weight: as if the station were not there
    X = np.column_stack([np.eye(4)[region], Z])
    expected = np.linalg.lstsq(X * np.sqrt(w)[:, None], y * np.sqrt(w)[:, None], rcond=None)[0]
    # the design standardises its columns: compare the fitted centres
    design = _Design(region, Z, ["a", "b"])
    fitted = design.predict(design.fit(y, w))
    np.testing.assert_allclose(fitted, X @ expected, atol=1e-10)
    kept = _Design(region[20:], Z[20:], ["a", "b"])
    np.testing.assert_allclose(kept.predict(kept.fit(y[20:], w[20:])), fitted[20:], atol=1e-10)


def test_design_products_match_the_dense_matrix():
    rng = np.random.default_rng(6)
    n = 300
    region = rng.integers(0, 5, n)
    groups = rng.integers(0, 12, n)
    design = _Design(region, rng.normal(size=(n, 3)), ["a", "b", "c"])
    X = np.column_stack([np.eye(5)[region], design.Z])
    v = rng.normal(size=(n, 2))
    w = rng.uniform(size=n)
    np.testing.assert_allclose(design.gram(w), X.T @ (w[:, None] * X), atol=1e-10)
    np.testing.assert_allclose(design.t_dot(v), X.T @ v, atol=1e-10)
    by_group = design.group_t_dot(v, groups)
    for g in (0, 7, 11):
        np.testing.assert_allclose(by_group[g], X[groups == g].T @ v[groups == g], atol=1e-10)


def test_information_along_coefficients_matches_differences():
    """The posterior's information along the clean coefficients comes from the chain rule
    through each station's centre; it must equal central differences of the summed score."""
    synth = generate(3000, fraud=Fraud(f_i=0.1, f_e=0.03), rng=3)
    model = MixtureModel(n_draws=0)
    data = _select(synth.election, None, ANALYSED_KINDS, model.min_registered)[0]
    fitter = model._fitter(data)
    phi = fitter.fit(model.max_iter, model.tol)[0]
    posterior = _Posterior(fitter, phi, np.random.default_rng(0), 10, 0.95)
    info = posterior.information(np.arange(posterior.dim))
    for j in posterior.coef_index[[0, 3, -2, -1]]:
        up, down = phi.copy(), phi.copy()
        up[j] += 1e-3
        down[j] -= 1e-3
        column = -(posterior.gradient(up) - posterior.gradient(down)) / 2e-3
        np.testing.assert_allclose(info[:, j], column, atol=2e-3 * np.abs(column).max())
    # the fit solves the coefficients' estimating equations
    gradient = posterior.gradient(phi)[posterior.coef_index]
    assert np.abs(gradient).max() < 1e-4 * np.abs(info[posterior.coef_index]).max()


def test_planted_fraud_detected_and_size_in_interval(frauded):
    synth, result = frauded
    truth = synth.truth.anomalous_votes
    assert result.pi["incremental"].value + result.pi["extreme"].value > 0.08
    assert result.pi["extreme"].value == pytest.approx(0.03, abs=0.01)
    assert result.pi["extreme"].ci.low > 0.01
    ci = result.fraudulent_votes.ci
    assert ci.low <= truth <= ci.high, (truth, result.fraudulent_votes)
    assert result.fraudulent_votes.value == pytest.approx(truth, rel=0.1)
    assert result.fraudulent_share.value == pytest.approx(truth / result.party_votes, rel=0.1)
    # stations planted with extreme fraud are recognised as such
    table = result.station_probabilities()
    index = table["station"].cast(int).to_numpy() - 1
    extreme = synth.truth.fraud[index] == "extreme"
    assert table["p_extreme"].to_numpy()[extreme].mean() > 0.9
    assert table["p_extreme"].to_numpy()[~extreme].mean() < 0.01


def test_fit_stops_at_the_solution(frauded):
    """The weighted clean step makes the likelihood flat near the solution; the fit must not
    stop there early: 40 more EM steps barely move the class probabilities."""
    synth, _ = frauded
    model = MixtureModel(n_draws=0)
    data = _select(synth.election, None, ANALYSED_KINDS, model.min_registered)[0]
    fitter = model._fitter(data)
    phi, _, converged = fitter.fit(model.max_iter, model.tol)
    assert converged
    start = fitter.layout.unpack(phi)[0].pi
    for _ in range(40):
        phi = fitter.m_step(phi, fitter.evaluate(phi))
    np.testing.assert_allclose(fitter.layout.unpack(phi)[0].pi, start, atol=1e-3)


def test_commission_levels_leave_the_station_and_weigh_by_cleanness():
    synth = generate(400, rng=7)
    data = _select(synth.election, None, ANALYSED_KINDS, 100)[0]
    rng = np.random.default_rng(8)
    clean = rng.uniform(0.0, 1.0, data.n)
    region, com = data.region, data.commission
    clean[com == com[0]] = 0.0  # a commission with no clean-looking station
    levels = _commission_levels(data, region, clean)
    y = np.log((data.G + 0.5) / (data.V - data.G + 0.5))
    for i in rng.choice(data.n, 30, replace=False).tolist() + [0]:
        others = np.arange(data.n) != i
        national = np.sum(clean[others] * y[others]) / clean[others].sum()
        in_region = others & (region == region[i])
        regional = (np.sum(clean[in_region] * y[in_region]) + national) / (
            clean[in_region].sum() + 1.0
        )
        in_commission = others & (com == com[i])
        expected = (np.sum(clean[in_commission] * y[in_commission]) + regional) / (
            clean[in_commission].sum() + 1.0
        )
        assert levels[i, 0] == pytest.approx(expected, rel=1e-12)
        if i == 0:  # no clean-looking station in its commission: its region's level
            assert levels[i, 0] == pytest.approx(regional, rel=1e-12)
    # the station's own counts do not enter its level
    data.G[5] = data.V[5]
    np.testing.assert_allclose(_commission_levels(data, region, clean)[5], levels[5], rtol=1e-12)


def test_levels_settle_and_nodes_follow_at_the_solution(frauded):
    """The default context's commission levels are at their fixed point when the fit ends, and
    every station's nodes sit at the final clean distribution."""
    synth, _ = frauded
    model = MixtureModel(n_draws=0)
    data = _select(synth.election, None, ANALYSED_KINDS, model.min_registered)[0]
    fitter = model._fitter(data)
    phi, _, converged = fitter.fit(model.max_iter, model.tol)
    assert converged
    shape, centres = fitter.drift(phi)
    assert shape < 0.01 and centres.max() < 0.01
    assert fitter.refresh_levels(phi) is None


def test_replacing_some_stations_nodes_equals_replacing_all_there(frauded):
    """Nodes depend on their own station's centre only: re-placing a subset gives those
    stations the nodes a full placement would, and leaves the others as they were."""
    synth, _ = frauded
    model = MixtureModel(n_draws=0)
    data = _select(synth.election, None, ANALYSED_KINDS, model.min_registered)[0]
    some, full = model._fitter(data), model._fitter(data)
    phi = some.initial()
    some.place_nodes(phi)
    full.place_nodes(phi)
    before = some.x1.copy()
    weights, coef, sigma = some.layout.unpack(phi)
    moved = some.layout.pack(weights, coef + np.array([0.05, -0.03]), sigma)  # centres only
    stations = np.arange(0, data.n, 3)
    some.place_nodes(moved, stations)
    full.place_nodes(moved)
    for name in ("x1", "x2", "lw", "cov", "active", "n_active"):
        np.testing.assert_array_equal(getattr(some, name)[stations], getattr(full, name)[stations])
    rest = np.setdiff1d(np.arange(data.n), stations)
    np.testing.assert_array_equal(some.x1[rest], before[rest])
    assert not np.array_equal(some.x1[stations], before[stations])
    assert some.drift(moved)[1][stations].max() == 0.0
    assert some.drift(moved)[1][rest].min() > 0.0


def test_median_commission_context_recovers_planted_fraud(frauded):
    synth, _ = frauded
    result = mixture_fit(synth.election, context="commission", rng=0, n_draws=50)
    assert result.converged
    assert result.settings["context"] == "commission"
    truth = synth.truth.anomalous_votes
    ci = result.fraudulent_votes.ci
    assert ci.low <= truth <= ci.high, (truth, result.fraudulent_votes)
    assert "commission median logit share" in result.parameters["clean_covariates"]


def test_clean_election_not_accused(clean):
    _, result = clean
    assert result.pi["incremental"].value + result.pi["extreme"].value < 0.05
    assert result.fraudulent_share.value < 0.01
    assert result.fraudulent_share.ci.high < 0.05


def test_same_seed_same_result():
    synth = generate(1500, fraud=Fraud(f_e=0.05), rng=4)
    a = mixture_fit(synth.election, rng=5, n_draws=20)
    b = mixture_fit(synth.election, rng=5, n_draws=20)
    assert a.to_dict() == b.to_dict()
    assert a.stations.equals(b.stations)


def test_station_table_written(frauded, tmp_path):
    _, result = frauded
    for name in ("p.csv", "p.parquet"):
        path = result.write_station_probabilities(tmp_path / name)
        assert path.exists()
        table = pl.read_csv(path) if name.endswith("csv") else pl.read_parquet(path)
        assert table.height == result.stations_included
        probs = table.select([f"p_{c}" for c in CLASSES]).to_numpy()
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
        assert {"station", "fraudulent_votes"} <= set(table.columns)


def test_to_dict_is_json(frauded):
    _, result = frauded
    out = result.to_dict()
    json.dumps(out, allow_nan=False)
    assert "stations" not in out
    assert set(out["pi"]) == set(CLASSES)
    assert sum(out["pi"][c]["value"] for c in CLASSES) == pytest.approx(1.0)


@pytest.mark.slow
def test_poland_round_two_not_accused():
    # about 30 s: 30,503 stations
    result = mixture_fit(ts.load("pl-2025-president-2"), rng=0, n_draws=50)
    assert result.pi["incremental"].value + result.pi["extreme"].value < 0.05  # 0.016
    assert result.fraudulent_share.value < 0.01  # 0.32 %


@pytest.mark.xfail(
    run=False,
    strict=True,
    reason="known failure, measured 2026-11-25: national pi incremental 0.085 + extreme 0.0006 "
    "and 2.4 % of Trzaskowski's votes; the clean logit-turnout residuals of Poland have a "
    "heavy right tail (skewness 2.7, excess kurtosis 66) that the normal clean class cannot "
    "hold (see docs/methods/mixture.md)",
)
def test_poland_round_one_not_accused():
    result = mixture_fit(ts.load("pl-2025-president-1"), rng=0, n_draws=50)
    assert result.pi["incremental"].value + result.pi["extreme"].value < 0.05
    assert result.fraudulent_share.value < 0.01


def test_bad_input():
    synth = generate(300, rng=6)
    with pytest.raises(ValueError, match="context"):
        mixture_fit(synth.election, context="district")
    with pytest.raises(ValueError, match="k must"):
        MixtureModel(k=1.5).fit(synth.election)
    with pytest.raises(ValueError, match="level"):
        mixture_fit(synth.election, level=95)
    with pytest.raises(ValueError, match="invalid parameter"):
        MixtureModel().set_params(bins=3)
    with pytest.raises(NotApplicableError, match="at least"):
        mixture_fit(synth.election, min_registered=3000)
    with pytest.raises(Exception, match="party|Nobody"):
        mixture_fit(synth.election, party="Nobody")
