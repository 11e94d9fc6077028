"""The empirical-Bayes prior of a group of estimated variances: how strongly the metrics of one kind
and tier pool (Smyth's limma, a scaled inverse chi-square prior of strength ``d0`` and scale ``s0``).

Each series gives a variance (or a ratio to its shot noise) ``v_j`` with ``d_j`` degrees of freedom;
under the prior ``v_j / s0`` follows an F distribution with ``(d_j, d0)`` degrees of freedom, and a
series' posterior is ``(d0 s0 + d_j v_j) / (d0 + d_j)`` with ``d0 + d_j`` degrees of freedom. Two
estimators of ``(d0, s0)``, both with ``d0`` capped at the group's total degrees of freedom (a prior is
never worth more than the data it was fitted on):

- ``"moments"`` (:func:`fit_moments`, Smyth 2004): the mean and variance of ``log v_j``, the variance
  less its sampling part (a trigamma) giving ``d0``. Good when each series has many degrees of
  freedom (a history of 60 nights, 15 timing repeats).
- ``"ml"`` (:func:`fit_ml`): maximum likelihood of the F model, ``s0`` profiled out and ``d0`` found
  on a log grid refined by a bounded search. With few degrees of freedom per series (5 trials: 4 df)
  the log of a 4-df variance is skewed with a long lower tail, and the moment estimator's
  "variance less its sampling part" is mostly that tail's noise: over 120 such series whose ratios
  agree to a few percent, it puts ``d0`` at 16 or less on one night in twenty (Satterthwaite df near
  40, a t quantile of 4.4 instead of 4.0 at Holm's level in a run of 300 metrics) and is
  conservative there (0.86 of the nominal false-alarm rate per metric where every ratio is the same).
  The likelihood weighs each series by what its F density says: d0 at 27 or more on 19 nights in 20,
  1.02 of nominal, more power, and less liberal where the metrics genuinely differ (neither is
  calibrated for an outlying metric, which the prior shrinks; ``benchmarks/RESULTS-drift.md``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

__all__ = ["METHODS", "fit_ml", "fit_moments", "fit_prior"]

METHODS = ("moments", "ml")

_GRID = 25  # log-spaced values of d0 from 0.5 to the cap, before the bounded refinement


def fit_prior(values: np.ndarray, dof: np.ndarray, method: str = "moments") -> tuple[float, float]:
    """Prior ``(d0, s0)`` of variances ``values`` (> 0) with ``dof`` degrees of freedom, by ``method``."""
    if method == "moments":
        return fit_moments(values, dof)
    if method == "ml":
        return fit_ml(values, dof)
    raise ValueError(f"prior method {method!r} is not one of {', '.join(METHODS)}")


def fit_moments(values: np.ndarray, dof: np.ndarray) -> tuple[float, float]:
    """Smyth's moment estimate of ``(d0, s0)`` from the logs of the variances.

    >>> fit_moments(np.full(10, 2.0), np.full(10, 4.0))[0]  # no spread at all: d0 at its cap
    40.0
    """
    z = np.log(values) - special.digamma(dof / 2) + np.log(dof / 2)
    spread = float(np.var(z, ddof=1)) - float(np.mean(special.polygamma(1, dof / 2)))
    cap = float(dof.sum())
    d0 = cap if spread <= 1e-6 else min(cap, 2.0 * _trigamma_inverse(spread))
    s0 = math.exp(float(np.mean(z)) + special.digamma(d0 / 2) - math.log(d0 / 2))
    return d0, s0


def fit_ml(values: np.ndarray, dof: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood ``(d0, s0)`` of ``values / s0 ~ F(dof, d0)``, ``d0`` in [0.5, total dof].

    >>> rng = np.random.default_rng(0)  # true variances 3 / (chi2_10 / 10), each seen with 4 df
    >>> v = 3.0 / (rng.chisquare(10, 4000) / 10) * rng.chisquare(4, 4000) / 4
    >>> d0, s0 = fit_ml(v, np.full(4000, 4.0))
    >>> bool(9 < d0 < 12), round(s0, 1)
    (True, 3.0)
    """
    v, d = np.asarray(values, float), np.asarray(dof, float)
    cap = float(d.sum())
    lo, hi = float(np.log(v).min()) - 1.0, float(np.log(v).max()) + 1.0

    def scale(d0: float) -> float:
        # d log L / d log s0 = sum((d + d0) y / (1 + y) - d), y = d v / (d0 s0): decreasing in log s0
        def score(ls: float) -> float:
            y = d * v * math.exp(-ls) / d0
            return float(np.sum((d + d0) * y / (1.0 + y) - d))
        return optimize.brentq(score, lo, hi, xtol=1e-10)

    def nll(u: float) -> float:
        d0 = math.exp(u)
        ls = scale(d0)
        a, b = d / 2, d0 / 2
        x = v * math.exp(-ls)
        log_f = (special.gammaln(a + b) - special.gammaln(a) - special.gammaln(b) + a * np.log(d / d0)
                 + (a - 1) * np.log(x) - (a + b) * np.log1p(d * x / d0) - ls)
        return -float(log_f.sum())

    grid = np.linspace(math.log(0.5), math.log(cap), _GRID) if cap > 0.5 else np.array([math.log(cap)])
    values_ = [nll(float(u)) for u in grid]
    k = int(np.argmin(values_))
    u = float(grid[k])
    if 0 < k < grid.size - 1:
        res = optimize.minimize_scalar(nll, bounds=(float(grid[k - 1]), float(grid[k + 1])), method="bounded",
                                       options={"xatol": 1e-4})
        if res.fun < values_[k]:
            u = float(res.x)
    d0 = cap if k == grid.size - 1 else math.exp(u)  # at the cap: the group's total, exactly
    return d0, math.exp(scale(d0))


def _trigamma_inverse(x: float) -> float:
    """y with trigamma(y) = x (Newton's method from Smyth 2004, trigamma is decreasing)."""
    y = 0.5 + 1.0 / x
    for _ in range(50):
        tri = float(special.polygamma(1, y))
        step = tri * (1 - tri / x) / float(special.polygamma(2, y))
        y += step
        if -step / y < 1e-8:
            break
    return y
