"""Kernels of the finite-mixture fraud model, each with a plain NumPy twin used in the tests.

A station has ``V`` registered voters, ``A = V - G`` abstainers, ``O = G - L`` ballots not for
the party and ``L`` for it. Under a component with manufactured fraction ``m`` and stolen
fraction ``s``, and clean turnout and party share ``(tau, nu)``, the counts are multinomial:

    P(abstain) = (1 - tau)(1 - m),  P(other) = tau (1 - nu)(1 - s),  P(party) = the rest.

A station's likelihood under a component integrates the clean latent ``x = (logit tau,
logit nu) ~ N(mu, Sigma)`` out. :func:`mixture_nodes` places adaptive Gauss-Hermite nodes
once, around the mode of the exact multinomial likelihood times a fixed Gaussian *reference*
prior, and stores each node's log weight (rule weight, exact log likelihood, minus the log
density of the Gaussian the nodes were drawn from). :func:`mixture_pass` then evaluates the
mixture for any ``(mu, Sigma)`` near the reference by adding ``log N(x_node; mu, Sigma)``: an
importance-weighted quadrature, exact for the multinomial, that costs one Gaussian density
per node and parameter update (the E-step).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from scipy import optimize, special

__all__ = [
    "loo_group_median",
    "loo_group_median_numpy",
    "mixture_nodes",
    "mixture_nodes_numpy",
    "mixture_pass",
    "mixture_pass_numpy",
    "node_rule",
]

_NEG_INF = -np.inf
#: Components this many log units below a station's best (under the reference) are dropped.
PRUNE = 30.0


def node_rule(order: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tensor Gauss-Hermite nodes ``(z1, z2)`` and log weights for a standard bivariate normal."""
    z, w = np.polynomial.hermite_e.hermegauss(order)
    w = w / w.sum()
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    return z1.ravel(), z2.ravel(), np.log(np.outer(w, w).ravel())


@njit(cache=True, inline="always")
def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0.0 else x * math.log(y)


@njit(cache=True, inline="always")
def _loglik(A: float, O: float, L: float, x1: float, x2: float, m: float, s: float) -> float:  # noqa: E741
    tau = 1.0 / (1.0 + math.exp(-x1))
    nu = 1.0 / (1.0 + math.exp(-x2))
    pa = (1.0 - tau) * (1.0 - m)
    po = tau * (1.0 - nu) * (1.0 - s)
    pl = 1.0 - pa - po
    if pa <= 0.0 or po <= 0.0 or pl <= 0.0:
        return -np.inf
    return _xlogy(A, pa) + _xlogy(O, po) + _xlogy(L, pl)


@njit(cache=True, inline="always")
def _information(
    V: float, x1: float, x2: float, m: float, s: float
) -> tuple[float, float, float, float, float, float, float]:
    """Fisher information of the multinomial in ``x`` (11, 12, 22) and, for the score, the
    derivatives of the three cell probabilities and the probabilities themselves."""
    tau = 1.0 / (1.0 + math.exp(-x1))
    nu = 1.0 / (1.0 + math.exp(-x2))
    pa = (1.0 - tau) * (1.0 - m)
    po = tau * (1.0 - nu) * (1.0 - s)
    pl = 1.0 - pa - po
    dt = tau * (1.0 - tau)
    ga1 = -(1.0 - m) * dt
    go1 = (1.0 - nu) * (1.0 - s) * dt
    go2 = -tau * (1.0 - s) * nu * (1.0 - nu)
    gl1 = -(ga1 + go1)
    gl2 = -go2
    i11 = V * (ga1 * ga1 / pa + go1 * go1 / po + gl1 * gl1 / pl)
    i12 = V * (go1 * go2 / po + gl1 * gl2 / pl)
    i22 = V * (go2 * go2 / po + gl2 * gl2 / pl)
    return i11, i12, i22, pa, po, pl, ga1


@njit(cache=True)
def _mode(
    A: float, O: float, L: float, m: float, s: float, c1: float, c2: float,  # noqa: E741
    q11: float, q12: float, q22: float, s1: float, s2: float,
) -> tuple[float, float, float, float, float]:  # fmt: skip
    """Mode of the multinomial log likelihood plus the Gaussian reference log prior (centre
    ``c``, precision ``q``), by Fisher scoring with step halving, and the covariance there
    (inverse of Fisher information plus prior precision)."""
    V = A + O + L
    if math.isnan(s1):
        # start from the clean counts this component implies, where it implies any
        tau = 1.0 - (A + 0.5) / (V + 1.0) / (1.0 - m)
        nu = 1.0 - (O + 0.5) / (V + 1.0) / (max(tau, 1e-12) * (1.0 - s))
        if 0.0 < tau < 1.0 and 0.0 < nu < 1.0:
            s1, s2 = math.log(tau / (1.0 - tau)), math.log(nu / (1.0 - nu))
        else:
            s1, s2 = c1, c2
    x1, x2 = s1, s2
    obj = _loglik(A, O, L, x1, x2, m, s)
    if obj == -np.inf:
        x1, x2 = c1, c2
        obj = _loglik(A, O, L, x1, x2, m, s)
    for _ in range(60):
        tau = 1.0 / (1.0 + math.exp(-x1))
        nu = 1.0 / (1.0 + math.exp(-x2))
        i11, i12, i22, pa, po, pl, ga1 = _information(V, x1, x2, m, s)
        dt = tau * (1.0 - tau)
        go1 = (1.0 - nu) * (1.0 - s) * dt
        go2 = -tau * (1.0 - s) * nu * (1.0 - nu)
        d1 = x1 - c1
        d2 = x2 - c2
        g1 = A / pa * ga1 + O / po * go1 - L / pl * (ga1 + go1) - (q11 * d1 + q12 * d2)
        g2 = O / po * go2 - L / pl * go2 - (q12 * d1 + q22 * d2)
        h11, h12, h22 = i11 + q11, i12 + q12, i22 + q22
        det = h11 * h22 - h12 * h12
        u1 = (h22 * g1 - h12 * g2) / det
        u2 = (h11 * g2 - h12 * g1) / det
        step = 1.0
        current = obj - 0.5 * (q11 * d1 * d1 + 2.0 * q12 * d1 * d2 + q22 * d2 * d2)
        accepted = False
        y1 = y2 = new = 0.0
        for _half in range(40):
            y1 = x1 + step * u1
            y2 = x2 + step * u2
            e1 = y1 - c1
            e2 = y2 - c2
            ll = _loglik(A, O, L, y1, y2, m, s)
            new = ll - 0.5 * (q11 * e1 * e1 + 2.0 * q12 * e1 * e2 + q22 * e2 * e2)
            if new >= current:
                accepted = True
                obj = ll
                break
            step *= 0.5
        if not accepted:
            break
        moved = step * (abs(u1) + abs(u2))
        x1, x2 = y1, y2
        if moved < 1e-6 or new - current < 1e-9:
            break
    i11, i12, i22, pa, po, pl, ga1 = _information(V, x1, x2, m, s)
    h11, h12, h22 = i11 + q11, i12 + q12, i22 + q22
    det = h11 * h22 - h12 * h12
    return x1, x2, h22 / det, -h12 / det, h11 / det


@njit(cache=True)
def _prune(
    x1: np.ndarray, x2: np.ndarray, lw: np.ndarray, ref_centre: np.ndarray,
    q11: float, q12: float, q22: float, i: int, active: np.ndarray, n_active: np.ndarray,
) -> None:  # fmt: skip
    """Drop (weight -inf) the components of station ``i`` whose likelihood under the
    reference is below exp(-PRUNE) times the best component's (no mixture weight within
    reason revives them), and list the others in ``active[i]``."""
    K, J = lw.shape[1], lw.shape[2]
    scores = np.full(K, -np.inf)
    best = -np.inf
    for k in range(K):
        top = -np.inf
        for j in range(J):
            if lw[i, k, j] == -np.inf:
                continue
            e1 = x1[i, k, j] - ref_centre[i, 0]
            e2 = x2[i, k, j] - ref_centre[i, 1]
            v = lw[i, k, j] - 0.5 * (q11 * e1 * e1 + 2.0 * q12 * e1 * e2 + q22 * e2 * e2)
            if v > top:
                top = v
        scores[k] = top
        if top > best:
            best = top
    count = 0
    for k in range(K):
        if scores[k] < best - PRUNE:
            for j in range(J):
                lw[i, k, j] = -np.inf
        else:
            active[i, count] = k
            count += 1
    n_active[i] = count


@njit(cache=True)
def _rule_total(
    A: float, O: float, L: float, m: float, s: float, y1: float, y2: float,  # noqa: E741
    l11: float, l21: float, l22: float, r1: float, r2: float,
    q11: float, q12: float, q22: float, z1: np.ndarray, z2: np.ndarray, logw: np.ndarray,
) -> float:  # fmt: skip
    """log of an adaptive rule's estimate of the likelihood integral under the reference
    prior (without the constants the rules share)."""
    top = -np.inf
    total = 0.0
    for t in range(z1.size):
        a1 = y1 + l11 * z1[t]
        a2 = y2 + l21 * z1[t] + l22 * z2[t]
        e1 = a1 - r1
        e2 = a2 - r2
        term = (
            logw[t] + _loglik(A, O, L, a1, a2, m, s)
            - 0.5 * (q11 * e1 * e1 + 2.0 * q12 * e1 * e2 + q22 * e2 * e2)
            + 0.5 * (z1[t] * z1[t] + z2[t] * z2[t])
        )  # fmt: skip
        if term == -np.inf:
            continue
        if term > top:  # online log-sum-exp
            total = total * math.exp(top - term) + 1.0 if top > -np.inf else 1.0
            top = term
        else:
            total += math.exp(term - top)
    if top == -np.inf:
        return -np.inf
    return top + math.log(total)


@njit(cache=True, parallel=True)
def mixture_nodes(
    V: np.ndarray,
    G: np.ndarray,
    L: np.ndarray,
    m: np.ndarray,
    s: np.ndarray,
    ref_centre: np.ndarray,
    ref_precision: np.ndarray,
    z1: np.ndarray,
    z2: np.ndarray,
    logw: np.ndarray,
    start: np.ndarray,
    cz1: np.ndarray,
    cz2: np.ndarray,
    clogw: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Adaptive Gauss-Hermite nodes ``x1, x2`` (clean latent) and log weights ``lw`` of every
    station, component and node, as float32 arrays of shape (stations, components, nodes),
    the covariance (11, 12, 22) of the Gaussian they were placed by (stations x
    components x 3), and each station's components that matter (``active[i, :n_active[i]]``;
    the others have weight -inf).

    ``sum_j exp(lw_j) N(x_j; mu, Sigma)`` approximates the station's likelihood under the
    component (relative to the saturated multinomial fit) for a clean distribution
    ``N(mu, Sigma)`` near the reference (``ref_centre`` per station, ``ref_precision``).
    The search for each mode starts at ``start`` (stations x components x 2; NaN: where the
    component's implied clean counts are, or the reference centre).

    With one node (``z1`` of size 1: a Laplace approximation), its weight is calibrated so
    that at the reference prior it equals the finer adaptive rule ``(cz1, cz2, clogw)``:
    the Laplace approximation then carries that rule's accuracy near the reference, for the
    cost of one Gaussian density per station and component in every E-step.
    """
    n, K, J = V.size, m.size, z1.size
    x1 = np.zeros((n, K, J), dtype=np.float32)
    x2 = np.zeros((n, K, J), dtype=np.float32)
    lw = np.full((n, K, J), _NEG_INF, dtype=np.float32)
    cov = np.zeros((n, K, 3), dtype=np.float32)
    active = np.zeros((n, K), dtype=np.int16)
    n_active = np.zeros(n, dtype=np.int64)
    q11, q12, q22 = ref_precision[0, 0], ref_precision[0, 1], ref_precision[1, 1]
    calibrate = cz1.size > J
    for i in prange(n):
        A = float(V[i] - G[i])
        O = float(G[i] - L[i])  # noqa: E741
        Li = float(L[i])
        Vi = float(V[i])
        sat = _xlogy(A, A / Vi) + _xlogy(O, O / Vi) + _xlogy(Li, Li / Vi)
        best = -np.inf
        for k in range(K):
            y1, y2, c11, c12, c22 = _mode(
                A, O, Li, m[k], s[k], ref_centre[i, 0], ref_centre[i, 1], q11, q12, q22,
                start[i, k, 0], start[i, k, 1],
            )  # fmt: skip
            cov[i, k, 0] = c11
            cov[i, k, 1] = c12
            cov[i, k, 2] = c22
            l11 = math.sqrt(c11)
            l21 = c12 / l11
            l22 = math.sqrt(max(c22 - l21 * l21, 1e-300))
            # Laplace value under the reference: skip the component if hopeless already
            e1 = y1 - ref_centre[i, 0]
            e2 = y2 - ref_centre[i, 1]
            lap = (
                _loglik(A, O, Li, y1, y2, m[k], s[k])
                - 0.5 * (q11 * e1 * e1 + 2.0 * q12 * e1 * e2 + q22 * e2 * e2)
                + math.log(l11 * l22)
            )
            if lap > best:
                best = lap
            if lap < best - PRUNE - 10.0:
                continue
            correction = 0.0
            if calibrate:
                # log of (fine rule) / (coarse rule), both at the reference prior
                correction = _rule_total(
                    A, O, Li, m[k], s[k], y1, y2, l11, l21, l22, ref_centre[i, 0],
                    ref_centre[i, 1], q11, q12, q22, cz1, cz2, clogw,
                ) - _rule_total(
                    A, O, Li, m[k], s[k], y1, y2, l11, l21, l22, ref_centre[i, 0],
                    ref_centre[i, 1], q11, q12, q22, z1, z2, logw,
                )  # fmt: skip
                if not math.isfinite(correction):
                    correction = 0.0
            for j in range(J):
                a1 = y1 + l11 * z1[j]
                a2 = y2 + l21 * z1[j] + l22 * z2[j]
                ll = _loglik(A, O, Li, a1, a2, m[k], s[k])
                if ll == -np.inf:
                    continue
                x1[i, k, j] = a1
                x2[i, k, j] = a2
                lw[i, k, j] = (
                    logw[j] + ll - sat + 0.5 * (z1[j] * z1[j] + z2[j] * z2[j])
                    + math.log(2.0 * math.pi) + math.log(l11 * l22) + correction
                )  # fmt: skip
        _prune(x1, x2, lw, ref_centre, q11, q12, q22, i, active, n_active)
    return x1, x2, lw, cov, active, n_active


def mixture_nodes_numpy(
    V: np.ndarray,
    G: np.ndarray,
    L: np.ndarray,
    m: np.ndarray,
    s: np.ndarray,
    ref_centre: np.ndarray,
    ref_precision: np.ndarray,
    z1: np.ndarray,
    z2: np.ndarray,
    logw: np.ndarray,
    start: np.ndarray | None = None,
    cz1: np.ndarray | None = None,
    cz2: np.ndarray | None = None,
    clogw: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Twin of :func:`mixture_nodes`: the mode by SciPy's BFGS, the rest written out with
    NumPy (``start`` is not needed: BFGS starts at the reference centre)."""
    n, K, J = len(V), len(m), len(z1)
    x1 = np.zeros((n, K, J), dtype=np.float32)
    x2 = np.zeros((n, K, J), dtype=np.float32)
    lw = np.full((n, K, J), -np.inf, dtype=np.float32)
    cov = np.zeros((n, K, 3), dtype=np.float32)
    prec = np.asarray(ref_precision, dtype=float)
    fine = cz1 is not None and cz1.size > J

    def cells(x: np.ndarray, mk: float, sk: float) -> np.ndarray:
        tau, nu = special.expit(x[..., 0]), special.expit(x[..., 1])
        pa = (1 - tau) * (1 - mk)
        po = tau * (1 - nu) * (1 - sk)
        return np.stack([pa, po, 1 - pa - po], axis=-1)

    def loglik(x: np.ndarray, counts: np.ndarray, mk: float, sk: float) -> np.ndarray:
        p = cells(x, mk, sk)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.sum(special.xlogy(counts, p), axis=-1)
        return np.where(np.all(p > 0, axis=-1), out, -np.inf)

    def rule(mode, chol, c, counts, mk, sk, a, b, w):
        z = np.stack([a, b], axis=1)
        x = mode + z @ chol.T
        d = x - c
        terms = w + loglik(x, counts, mk, sk) - 0.5 * np.einsum("ti,ij,tj->t", d, prec, d)
        return special.logsumexp(terms + 0.5 * np.sum(z * z, axis=1)), x

    for i in range(n):
        counts = np.array([V[i] - G[i], G[i] - L[i], L[i]], dtype=float)
        sat = np.sum(special.xlogy(counts, counts / V[i]))
        c = np.asarray(ref_centre[i], dtype=float)
        for k in range(K):

            def objective(
                x: np.ndarray, k: int = k, c: np.ndarray = c, counts: np.ndarray = counts
            ) -> float:
                value = loglik(x, counts, m[k], s[k])
                d = x - c
                return np.inf if value == -np.inf else -(value - 0.5 * d @ prec @ d)

            mode = optimize.minimize(objective, c, method="BFGS", options={"gtol": 1e-10}).x
            tau, nu = special.expit(mode)
            p = cells(mode, m[k], s[k])
            dt, dn = tau * (1 - tau), nu * (1 - nu)
            grads = np.array(
                [[-(1 - m[k]) * dt, 0.0], [(1 - nu) * (1 - s[k]) * dt, -tau * (1 - s[k]) * dn]]
            )
            grads = np.vstack([grads, -grads.sum(axis=0)])
            inv = np.linalg.inv(V[i] * (grads.T / p) @ grads + prec)
            cov[i, k] = inv[0, 0], inv[0, 1], inv[1, 1]
            chol = np.linalg.cholesky(inv)
            correction = 0.0
            if fine:
                correction = (
                    rule(mode, chol, c, counts, m[k], s[k], cz1, cz2, clogw)[0]
                    - rule(mode, chol, c, counts, m[k], s[k], z1, z2, logw)[0]
                )
                if not np.isfinite(correction):
                    correction = 0.0
            z = np.stack([z1, z2], axis=1)
            x = mode + z @ chol.T
            ll = loglik(x, counts, m[k], s[k])
            ok = np.isfinite(ll)
            x1[i, k, ok], x2[i, k, ok] = x[ok, 0], x[ok, 1]
            lw[i, k, ok] = (
                logw[ok] + ll[ok] - sat + 0.5 * np.sum(z[ok] ** 2, axis=1) + np.log(2 * np.pi)
                + np.log(chol[0, 0] * chol[1, 1]) + correction
            )  # fmt: skip
        # pruning, as in the kernel
        d1 = x1[i].astype(float) - c[0]
        d2 = x2[i].astype(float) - c[1]
        with np.errstate(invalid="ignore"):
            v = lw[i] - 0.5 * (
                prec[0, 0] * d1 * d1 + 2 * prec[0, 1] * d1 * d2 + prec[1, 1] * d2 * d2
            )
        scores = np.max(np.where(np.isfinite(lw[i]), v, -np.inf), axis=1)
        lw[i, scores < scores.max() - PRUNE] = -np.inf
    keep = np.isfinite(lw).any(axis=2)
    n_active = keep.sum(axis=1)
    active = np.zeros((n, K), dtype=np.int16)
    for i in range(n):
        active[i, : n_active[i]] = np.flatnonzero(keep[i])
    return x1, x2, lw, cov, active, n_active


@njit(cache=True, inline="always")
def _fraud_fraction(x1: float, x2: float, m: float, s: float) -> float:
    """Expected share of the party's votes that fraud added, at clean point ``x``."""
    tau = 1.0 / (1.0 + math.exp(-x1))
    nu = 1.0 / (1.0 + math.exp(-x2))
    added = tau * (1.0 - nu) * s + (1.0 - tau) * m
    return added / (tau * nu + added)


@njit(cache=True, parallel=True)
def mixture_pass(
    x1: np.ndarray,
    x2: np.ndarray,
    lw: np.ndarray,
    cov: np.ndarray,
    active: np.ndarray,
    n_active: np.ndarray,
    log_q: np.ndarray,
    centre: np.ndarray,
    sigma: np.ndarray,
    L: np.ndarray,
    m: np.ndarray,
    s: np.ndarray,
    with_votes: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One E-step at component log weights ``log_q``, clean centres ``centre`` (stations x 2)
    and clean covariance ``sigma`` (2 x 2).

    Returns per station: the log likelihood (up to a constant of the counts), the component
    posteriors (stations x components), ``E[x]`` (x 2), ``E[x x']`` as (11, 12, 22), and, with
    ``with_votes``, the posterior mean and second moment of the fraudulent votes
    ``L * added / party`` (with the binomial variance of that split included). With one node
    per component (a Laplace approximation) the node's covariance ``cov`` is added to
    ``E[x x']``.
    """
    n, K, J = x1.shape
    laplace = J == 1
    det = sigma[0, 0] * sigma[1, 1] - sigma[0, 1] * sigma[1, 0]
    p11, p12, p22 = sigma[1, 1] / det, -sigma[0, 1] / det, sigma[0, 0] / det
    const = -0.5 * math.log(det) - math.log(2.0 * math.pi)
    ll = np.empty(n)
    post = np.zeros((n, K))
    ex = np.zeros((n, 2))
    exx = np.zeros((n, 3))
    votes = np.zeros((n, 2))
    for i in prange(n):
        c1, c2 = centre[i, 0], centre[i, 1]
        top = -np.inf
        for t in range(n_active[i]):
            k = active[i, t]
            if log_q[k] == -np.inf:
                continue
            for j in range(J):
                w = lw[i, k, j]
                if w == -np.inf:
                    continue
                d1 = x1[i, k, j] - c1
                d2 = x2[i, k, j] - c2
                v = w + log_q[k] - 0.5 * (p11 * d1 * d1 + 2.0 * p12 * d1 * d2 + p22 * d2 * d2)
                if v > top:
                    top = v
        if top == -np.inf:
            ll[i] = -np.inf
            continue
        total = 0.0
        s1 = s2 = s11 = s12 = s22 = f1 = f2 = 0.0
        for t in range(n_active[i]):
            k = active[i, t]
            if log_q[k] == -np.inf:
                continue
            pk = 0.0
            for j in range(J):
                w = lw[i, k, j]
                if w == -np.inf:
                    continue
                a1 = x1[i, k, j]
                a2 = x2[i, k, j]
                d1 = a1 - c1
                d2 = a2 - c2
                v = w + log_q[k] - 0.5 * (p11 * d1 * d1 + 2.0 * p12 * d1 * d2 + p22 * d2 * d2) - top
                if v < -40.0:
                    continue
                e = math.exp(v)
                pk += e
                s1 += e * a1
                s2 += e * a2
                s11 += e * a1 * a1
                s12 += e * a1 * a2
                s22 += e * a2 * a2
                if laplace:
                    s11 += e * cov[i, k, 0]
                    s12 += e * cov[i, k, 1]
                    s22 += e * cov[i, k, 2]
                if with_votes and m[k] > 0.0:
                    frac = _fraud_fraction(a1, a2, m[k], s[k])
                    f = L[i] * frac
                    f1 += e * f
                    f2 += e * (f * f + L[i] * frac * (1.0 - frac))
            post[i, k] = pk
            total += pk
        for t in range(n_active[i]):
            post[i, active[i, t]] /= total
        ll[i] = top + math.log(total) + const
        ex[i, 0] = s1 / total
        ex[i, 1] = s2 / total
        exx[i, 0] = s11 / total
        exx[i, 1] = s12 / total
        exx[i, 2] = s22 / total
        votes[i, 0] = f1 / total
        votes[i, 1] = f2 / total
    return ll, post, ex, exx, votes


def mixture_pass_numpy(
    x1: np.ndarray,
    x2: np.ndarray,
    lw: np.ndarray,
    cov: np.ndarray,
    active: np.ndarray,
    n_active: np.ndarray,
    log_q: np.ndarray,
    centre: np.ndarray,
    sigma: np.ndarray,
    L: np.ndarray,
    m: np.ndarray,
    s: np.ndarray,
    with_votes: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Twin of :func:`mixture_pass`, vectorised with NumPy over every component (inactive
    ones have weight -inf already, so ``active`` is not needed); for tests and small
    elections."""
    x1 = x1.astype(float)
    x2 = x2.astype(float)
    prec = np.linalg.inv(sigma)
    d1 = x1 - centre[:, 0, None, None]
    d2 = x2 - centre[:, 1, None, None]
    quad = prec[0, 0] * d1 * d1 + 2 * prec[0, 1] * d1 * d2 + prec[1, 1] * d2 * d2
    with np.errstate(invalid="ignore"):
        logp = lw.astype(float) + log_q[None, :, None] - 0.5 * quad
    logp = np.where(np.isfinite(lw) & np.isfinite(log_q)[None, :, None], logp, -np.inf)
    top = logp.max(axis=(1, 2), keepdims=True)
    weight = np.exp(logp - top)
    total = weight.sum(axis=(1, 2), keepdims=True)
    weight = weight / total
    const = -0.5 * np.log(np.linalg.det(sigma)) - np.log(2 * np.pi)
    ll = (top + np.log(total)).ravel() + const
    ex = np.stack([(weight * x1).sum((1, 2)), (weight * x2).sum((1, 2))], axis=1)
    exx = np.stack(
        [
            (weight * x1 * x1).sum((1, 2)),
            (weight * x1 * x2).sum((1, 2)),
            (weight * x2 * x2).sum((1, 2)),
        ],
        axis=1,
    )
    if x1.shape[2] == 1:
        exx = exx + np.einsum("ik,ikc->ic", weight[:, :, 0], cov.astype(float))
    votes = np.zeros((x1.shape[0], 2))
    if with_votes:
        tau = 1 / (1 + np.exp(-x1))
        nu = 1 / (1 + np.exp(-x2))
        added = tau * (1 - nu) * s[None, :, None] + (1 - tau) * m[None, :, None]
        frac = np.where(m[None, :, None] > 0, added / (tau * nu + added), 0.0)
        f = L[:, None, None] * frac
        votes[:, 0] = (weight * f).sum((1, 2))
        votes[:, 1] = (weight * (f * f + L[:, None, None] * frac * (1 - frac))).sum((1, 2))
    return ll, weight.sum(2), ex, exx, votes


@njit(cache=True)
def loo_group_median(values: np.ndarray, groups: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """The median of the *other* members of each value's group (``fallback`` for a group of
    one). ``groups`` are integer codes."""
    n = values.size
    out = np.empty(n)
    order = np.argsort(groups, kind="mergesort")
    start = 0
    while start < n:
        end = start + 1
        while end < n and groups[order[end]] == groups[order[start]]:
            end += 1
        idx = order[start:end]
        k = end - start
        if k == 1:
            out[idx[0]] = fallback[idx[0]]
        else:
            sub = values[idx]
            rank = np.argsort(sub, kind="mergesort")
            srt = sub[rank]
            r = k - 1  # size of the others
            for pos in range(k):
                # median of srt without position pos
                if r % 2 == 1:
                    h = r // 2
                    val = srt[h + 1] if pos <= h else srt[h]
                else:
                    h1 = r // 2 - 1
                    h2 = r // 2
                    v1 = srt[h1 + 1] if pos <= h1 else srt[h1]
                    v2 = srt[h2 + 1] if pos <= h2 else srt[h2]
                    val = 0.5 * (v1 + v2)
                out[idx[rank[pos]]] = val
        start = end
    return out


def loo_group_median_numpy(
    values: np.ndarray, groups: np.ndarray, fallback: np.ndarray
) -> np.ndarray:
    """Twin of :func:`loo_group_median`: drop each value in turn and take the median."""
    out = np.empty(values.size)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        for t, i in enumerate(idx):
            others = np.delete(values[idx], t)
            out[i] = np.median(others) if others.size else fallback[i]
    return out
