"""Excess variance: how much more a metric moves from night to night than its shot noise explains.

A proportion or expectation value carries an analytic shot-noise standard error, but its
nightly spread is larger: transpiler seeds, optimizer starts and device drift add a term
``tau^2`` that no single run can see. Over a metric's history (values ``v_i`` with shot
errors ``s_i``, in run order) the model is::

    v_i = mu_i + e_i + s_i z_i,   e_i ~ N(0, tau^2),   z_i ~ N(0, 1)

with a level ``mu_i`` that is constant apart from rare steps, slow drifts and one-night spikes.

The estimate is a method of moments on **successive differences** ``d_i = v_{i+1} - v_i``:
``E[d_i^2] = 2 tau^2 + s_i^2 + s_{i+1}^2`` whatever the level, as long as it moves slowly
(von Neumann's mean square successive difference), so a drift or an old regression in the
history does not masquerade as noise. Steps and spikes leave a few huge differences; those
beyond :data:`SCREEN` robust standard deviations (scale from the median of ``d_i^2``) are
dropped before the mean is taken. Then::

    tau^2 = max(0, (mean(d_i^2) - mean(s_i^2 + s_{i+1}^2)) / 2)

Shrinkage for short histories: an estimate from 10 points is uncertain by about half of
itself, and an *under*-estimate is what produces false alarms (a z-test at Holm's
per-metric level, ``z ~ 4``, is very sensitive to it). So the returned value is an upper
confidence bound: the total per-point variance ``V = tau^2 + mean(s^2)`` is raised to its
one-sided ``confidence`` bound under a chi-square law with the differences' effective degrees
of freedom, and shot noise is taken off again. With ``confidence=0.5`` it is the plain
(median-unbiased) estimate; the bound shrinks toward it as the history grows.

Fewer than :data:`MIN_POINTS` usable points: no estimate (``None``); the caller then uses shot
noise alone and says so.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

import numpy as np
from scipy import stats

__all__ = ["CONFIDENCE", "MIN_POINTS", "SCREEN", "excess_variance"]

MIN_POINTS = 5
"""Fewest usable history points (4 differences) from which an excess variance is estimated."""

SCREEN = 4.5
"""Differences beyond this many robust standard deviations are steps or spikes, not noise."""

CONFIDENCE = 0.8
"""Default one-sided confidence of the upper bound returned (see the module docstring)."""

# Median of chi-square with 1 degree of freedom: median(d^2) / this estimates E[d^2] for normal d.
_CHI2_1_MEDIAN = float(stats.chi2.ppf(0.5, 1))
# Successive differences overlap: n - 1 of them carry about 2/3 of the information of as many
# independent squares (von Neumann's ratio has variance ~ 1.5 times that of the sample variance).
_DOF_PER_DIFFERENCE = 2.0 / 3.0


def excess_variance(values: Sequence[float], stderrs: Sequence[float | None], *, min_points: int = MIN_POINTS,
                    confidence: float = CONFIDENCE) -> float | None:
    """Estimate ``tau^2``, the variance beyond shot noise, from one metric's history.

    Args:
        values: the metric's values in run order (oldest first). Non-finite entries are dropped.
        stderrs: shot-noise standard error of each value (None or non-finite counts as 0: the
            whole spread is then excess).
        min_points: fewest usable points for an estimate (at least 3).
        confidence: one-sided confidence of the upper bound, in [0.5, 1); 0.5 gives the point
            estimate.

    Returns:
        ``tau^2 >= 0`` in the metric's unit squared, or None with fewer than ``min_points`` points.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> v = 0.5 + rng.normal(0, 0.02, 400) + rng.normal(0, 0.01, 400)  # excess 0.02, shot 0.01
        >>> round(math.sqrt(excess_variance(v, [0.01] * 400, confidence=0.5)), 2)
        0.02
    """
    if len(values) != len(stderrs):
        raise ValueError(f"values ({len(values)}) and stderrs ({len(stderrs)}) differ in length")
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence={confidence} must be in [0.5, 1)")
    v = np.asarray(values, float)
    s = np.array([0.0 if e is None else float(e) for e in stderrs])
    s[~np.isfinite(s)] = 0.0
    keep = np.isfinite(v)
    v, s = v[keep], s[keep]
    if v.size < max(3, min_points):
        return None
    d2 = np.diff(v) ** 2
    shot = s[:-1] ** 2 + s[1:] ** 2
    scale = np.median(d2) / _CHI2_1_MEDIAN
    if scale > 0:
        ok = d2 <= SCREEN ** 2 * scale
        d2, shot = d2[ok], shot[ok]
    mean_shot = float(np.mean(s ** 2))
    tau2 = max(0.0, (float(np.mean(d2)) - float(np.mean(shot))) / 2.0)
    if confidence == 0.5 or (tau2 == 0.0 and mean_shot == 0.0):
        return tau2
    factor = _bound_factor(d2.size, confidence)
    return max(0.0, (tau2 + mean_shot) * factor - mean_shot)


@lru_cache(maxsize=1024)
def _bound_factor(differences: int, confidence: float) -> float:
    """Upper ``confidence`` bound of a variance over its median-unbiased estimate (cached: a run asks
    for the same few history lengths many times)."""
    dof = max(1.0, _DOF_PER_DIFFERENCE * differences)
    return float(stats.chi2.ppf(0.5, dof) / stats.chi2.ppf(1.0 - confidence, dof))
