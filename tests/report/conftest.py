"""Results the report tests share: a synthetic election with planted fraud and an e-vote,
and the 2012 presidential election, each run once with small Monte Carlo sizes."""

from __future__ import annotations

import pytest

import tallyscope as ts
from tallyscope.analysis import analyze
from tallyscope.methods.evoting import evote
from tallyscope.synth import Fraud, generate

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")


@pytest.fixture(scope="session")
def synthetic():
    fraud = Fraud(f_i=0.1, f_e=0.02, evote_regions=4, evote_swing=0.1)
    return generate(3000, rng=2, fraud=fraud).election


@pytest.fixture(scope="session")
def synthetic_result(synthetic):
    return analyze(synthetic, sims=200, boot=50, seed=1)


@pytest.fixture(scope="session")
def synthetic_evote(synthetic):
    return evote(synthetic, n_sims=200, n_boot=100, rng=1)


@pytest.fixture(scope="session")
def ru2012_result():
    return analyze(ts.load("ru-2012-president"), sims=200, boot=50, seed=1)


@pytest.fixture(scope="session")
def ru2012_html(ru2012_result):
    import datetime as dt

    from tallyscope.report import render

    return render(ru2012_result, generated=dt.date(2025, 1, 31))
