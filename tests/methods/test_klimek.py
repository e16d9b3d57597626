"""The Klimek et al. (2012) fraud model: kernel against its NumPy twin, reproducibility,
recovery of planted fraud, clean elections, the bootstrap, settings, and the Polish control.

Fits here use reduced effort (smaller elections, a short global search, a short refinement);
docs/methods/klimek.md gives the full-effort figures on 100,000-station elections.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import tallyscope as ts
from tallyscope.methods._kernels.klimek import (
    N_NORMALS,
    N_PARAMS,
    klimek_histograms,
    klimek_histograms_numpy,
)
from tallyscope.methods._stations import station_data
from tallyscope.methods.klimek import (
    PARAMS,
    KlimekModel,
    KlimekResult,
    _clean_spreads,
    _starts,
    klimek_fit,
)
from tallyscope.synth import Fraud, Heterogeneity, generate

#: Reduced effort for synthetic elections of 20,000 stations.
FAST = {
    "n_sims": 8,
    "search_stations": 8_000,
    "search_generations": 12,
    "polish_evaluations": 200,
    "n_boot": 0,
}


@pytest.mark.parametrize(
    "params",
    [
        # tau, sigma_tau, nu, sigma_nu, rho, beta_tau, beta_nu, theta, alpha, tail
        [0.4, 0.3, -0.3, 0.5, 0.3, 0.1, -0.2, 0.35, 2.0, 0.0],
        [1.5, 0.8, 1.0, 0.2, -0.9, -0.5, 0.4, 1.0, 1.0, 0.3],
        [-2.0, 0.05, -3.0, 1.5, 0.0, 0.0, 0.0, 0.3, 4.0, 0.0],
    ],
)
def test_kernel_matches_numpy_twin(params):
    rng = np.random.default_rng(5)
    n = 400
    V = rng.integers(1, 3000, n)
    V[:5] = [1, 2, 3, 5, 8]  # tiny stations: zero ballots and the clipping
    q = rng.uniform(0.0, 0.05, n)
    c = rng.normal(0.0, 0.5, (n, 3))
    normals = rng.standard_normal((n, 3, N_NORMALS)).astype(np.float32)
    p = np.array(params, dtype=np.float64)
    assert p.size == N_PARAMS
    for n_bins in (100, 7):
        fast = klimek_histograms(V, q, c, normals, p, n_bins, 0.075)
        twin = klimek_histograms_numpy(V, q, c, normals, p, n_bins, 0.075)
        assert fast.shape == (3, n_bins, n_bins)
        np.testing.assert_array_equal(fast, twin)
        # every simulated station with ballots lands in one bin of each component
        assert fast.sum(axis=(1, 2)).max() <= n * 3


@pytest.fixture(scope="module")
def fraud_fit() -> KlimekResult:
    election = generate(20_000, fraud=Fraud(f_i=0.3, f_e=0.03), rng=11).election
    return klimek_fit(election, rng=0, **{**FAST, "n_boot": 4, "boot_evaluations": 40})


def test_planted_fraud_found_and_recovered(fraud_fit):
    # 0.344 here at reduced effort on 20,000 stations; full-effort fits on 100,000 stations are
    # within 0.05 in 11 of 13 runs with the default n_sims=8, 13 of 13 with 16
    # (docs/methods/klimek.md)
    assert abs(fraud_fit.f_e.value - 0.03) < 0.01
    assert abs(fraud_fit.f_i.value - 0.3) < 0.08
    assert fraud_fit.fraud_detected
    assert fraud_fit.discrepancy < fraud_fit.discrepancy_clean


def test_bootstrap_interval(fraud_fit):
    for name in ("f_i", "f_e", "theta", "tau"):
        ci = getattr(fraud_fit, name).ci
        assert ci is not None and ci.level == 0.95
        assert ci.low <= ci.high
    # the refits start from the estimate: the intervals contain it
    assert fraud_fit.f_i.ci.low <= fraud_fit.f_i.value <= fraud_fit.f_i.ci.high
    assert fraud_fit.f_e.ci.low <= fraud_fit.f_e.value <= fraud_fit.f_e.ci.high
    assert fraud_fit.bootstrap.shape[0] == 4
    # fixed parameters have no interval
    assert fraud_fit.tail.ci is None


def test_result_is_json_serialisable(fraud_fit):
    out = fraud_fit.to_dict()
    text = json.dumps(out)
    back = json.loads(text)
    assert back["method"] == "klimek"
    assert back["n_boot"] == 4
    assert back["settings"]["centres"] == "commission"
    assert "Klimek" in back["reference"]


def test_clean_spreads_measured_below_the_peak():
    # no region or commission effects: a station's logits are the national centre plus its
    # own clean deviation (sd 0.3, 0.4) plus binomial noise, which must be taken out
    flat = Heterogeneity(region=(0.0, 0.0), commission=(0.0, 0.0), station=(0.3, 0.4), mode="independent")  # fmt: skip
    election = generate(50_000, heterogeneity=flat, rng=4).election
    data = station_data(election)
    lt, ls = data.empirical_logits().T
    resid = np.column_stack([lt - np.median(lt), ls - np.median(ls)])
    sigma_tau, sigma_nu = _clean_spreads(resid, data)
    assert sigma_tau == pytest.approx(0.3, abs=0.03)
    assert sigma_nu == pytest.approx(0.4, abs=0.03)


def test_refinement_starts_along_the_theta_ridge():
    _, spec = KlimekModel()._check()
    params = spec.fixed.copy()
    params[PARAMS.index("theta")] = 0.6
    params[PARAMS.index("alpha")] = 2.0
    params[PARAMS.index("sigma_tau")] = params[PARAMS.index("sigma_nu")] = 0.3
    best = spec.unconstrained(params)
    starts = _starts(best, spec, 4)
    assert len(starts) == 4 and starts[0] is best
    thetas = [spec.natural(u)[PARAMS.index("theta")] for u in starts[1:]]
    np.testing.assert_allclose(thetas, [0.301, 0.406, 0.511], atol=1e-6)
    # theta held: nothing to spread
    assert len(_starts(best[:-1], spec.holding(theta=0.5), 4)) == 1


def test_held_parameters_reported_as_held(fraud_fit):
    for name in ("sigma_tau", "sigma_nu", "beta_tau", "beta_nu"):
        estimate = getattr(fraud_fit, name)
        assert estimate.ci is None
        assert "clean side" in estimate.method or "below the peak" in estimate.method
    assert fraud_fit.theta.method == "parametric bootstrap, percentile"


def test_spreads_fitted_on_request():
    election = generate(3_000, rng=2).election
    effort = {
        "search_stations": 1_000,
        "search_generations": 2,
        "polish_evaluations": 20,
        "n_boot": 0,
    }
    fitted = klimek_fit(election, rng=1, spreads="fitted", size_effect=False, **effort)
    assert fitted.sigma_tau.method == "fitted"
    assert fitted.settings["spreads"] == "fitted"
    assert fitted.beta_tau.method == "fixed" and fitted.beta_tau.value == 0.0


def test_clean_synthetic_not_accused():
    election = generate(20_000, rng=12).election
    result = klimek_fit(election, rng=0, **FAST)
    assert result.f_i.value + result.f_e.value < 0.05
    assert not result.fraud_detected


def test_same_seed_same_result():
    election = generate(3_000, fraud=Fraud(f_i=0.2, f_e=0.02), rng=3).election
    effort = {"search_stations": 1_000, "search_generations": 2, "polish_evaluations": 30}
    first = klimek_fit(election, rng=7, n_boot=2, boot_evaluations=10, **effort).to_dict()
    second = klimek_fit(election, rng=7, n_boot=2, boot_evaluations=10, **effort).to_dict()
    assert first == second


@pytest.mark.parametrize(
    "bad",
    [
        {"n_sims": 3},
        {"n_sims": 0},
        {"bin_width": 0.03},
        {"bin_width": 0.5},
        {"clean": "mixture"},
        {"centres": "station"},
        {"window": 0.1},
        {"weighting": "poisson"},
        {"theta_bounds": (0.5, 0.3)},
        {"alpha_bounds": (0.0, 2.0)},
        {"theta": 1.5},
        {"alpha": -1.0},
        {"extreme_sd": 1.5},
        {"n_boot": -1},
        {"level": 1.0},
        {"search_stations": 10},
        {"search_generations": 0},
        {"spreads": "wide"},
        {"starts": 0},
    ],
)
def test_bad_hyperparameters_raise(bad):
    election = generate(200, rng=1).election
    with pytest.raises(ValueError):
        KlimekModel(**bad).fit(election)


def test_unfitted_result_raises():
    with pytest.raises(ValueError, match="not fitted"):
        KlimekModel().result()


@pytest.mark.parametrize(
    "dataset",
    [
        # a minute on the shared machine
        pytest.param("pl-2025-president-1", marks=pytest.mark.slow),
    ],
)
def test_poland_not_accused(dataset):
    # full effort gives f_i + f_e = 0.000 (round 1) and 0.035 (round 2), see
    # docs/methods/klimek.md; here a shorter search on a 10,000-station subsample
    result = klimek_fit(
        ts.load(dataset),
        rng=0,
        n_boot=0,
        search_stations=10_000,
        search_generations=15,
        polish_evaluations=150,
    )
    assert result.f_i.value + result.f_e.value < 0.05
    assert not result.fraud_detected
