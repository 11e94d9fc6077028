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

**Pooling across similar metrics** (:func:`pooled_excess`): one metric's 10 nights give a
variance uncertain by half of itself, but metrics of one kind on one tier (the proportions of
the mitigated tier, say) tend to share their excess *relative to their shot noise*. Each series
gives a ratio ``r_j = V_j / mean(s^2)`` with ``nu_j`` degrees of freedom; the ratios are
moderated by empirical Bayes (the scaled-inverse-chi-square prior of Smyth's limma, fitted by
moments of ``log r_j``, or by maximum likelihood for series of few degrees of freedom:
:mod:`harness.drift.prior`): the prior's ratio ``r_0`` and strength ``d_0`` come from how much the
metrics of the group agree beyond their sampling noise, and each metric's posterior ratio is
``(d_0 r_0 + nu_j r_j) / (d_0 + nu_j)`` with ``d_0 + nu_j`` degrees of freedom. Metrics that
agree pool strongly (a tight bound from few nights each); a group whose metrics differ keeps
each metric's own estimate (``d_0`` near 0).

**Estimated, not bounded** (:class:`Excess`): the pooled estimate is returned as the posterior
point estimate together with its degrees of freedom ``d_0 + nu_j`` (and the total per-point
variance it came from), so a test refers its statistic to a t distribution whose degrees of
freedom come from the variance estimate (Welch-Satterthwaite; limma's moderated t): tight when
the metrics of a group agree, honest when a history is short, and calibrated rather than
conservative. An ``Excess`` is a float (the point estimate), so a caller that adds it to a
variance keeps working. :func:`excess_variance` (one series, no pooling) still returns an upper
confidence bound for callers that test against a normal tail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Hashable, Mapping, Sequence

import numpy as np
from scipy import stats

from harness.drift.prior import fit_prior

__all__ = ["CONFIDENCE", "MIN_POINTS", "SCREEN", "Excess", "Moments", "excess_df", "excess_variance", "pooled_excess",
           "series_moments", "squeeze_variances", "satterthwaite"]

MIN_POINTS = 5
"""Fewest usable history points (4 differences) from which an excess variance is estimated."""

SCREEN = 4.5
"""Differences beyond this many robust standard deviations are steps or spikes, not noise."""

CONFIDENCE = 0.8
"""Default one-sided confidence of the upper bound :func:`excess_variance` returns (a single series judged
against a normal tail); pooled estimates are :class:`Excess` point estimates with their degrees of freedom."""


class Excess(float):
    """An excess variance estimated with ``dof`` degrees of freedom: the float is the point estimate
    (metric unit squared, >= 0); ``total`` is the per-point variance (excess + mean shot noise) it was
    taken from, whose estimate has ``dof`` degrees of freedom (used by :func:`satterthwaite`).

    >>> e = Excess(0.5, dof=12.0, total=1.5)
    >>> e + 1.0, e.dof, e.total
    (1.5, 12.0, 1.5)
    """

    dof: float
    total: float

    def __new__(cls, value: float, *, dof: float, total: float) -> "Excess":
        obj = super().__new__(cls, value)
        obj.dof, obj.total = float(dof), float(total)
        return obj

    def __reduce__(self):  # pickles (Dask workers) as the same value with its dof
        return (_excess, (float(self), self.dof, self.total))


def excess_df(excess: float, variance: float, copies: int = 2) -> float:
    """Satterthwaite degrees of freedom of a test variance ``variance`` holding ``copies`` times an
    estimated excess (both sides of a comparison draw their own): ``inf`` for a plain float (known)."""
    if not isinstance(excess, Excess) or not math.isfinite(excess.dof):
        return math.inf
    # the excess is total - mean shot, and the total's estimate is what carries the dof
    return satterthwaite(variance, [(copies * excess.total, excess.dof)])


def _excess(value: float, dof: float, total: float) -> Excess:
    return Excess(value, dof=dof, total=total)


def satterthwaite(variance: float, terms: Sequence[tuple[float, float]]) -> float:
    """Welch-Satterthwaite degrees of freedom of ``variance``, a sum of known parts and estimated ones.

    ``terms`` lists each estimated part as (its contribution to ``variance``, its degrees of freedom);
    the rest of ``variance`` is known exactly. Returns ``inf`` when nothing is estimated.

    >>> satterthwaite(2.0, [(1.0, 10.0), (1.0, 10.0)])
    20.0
    >>> satterthwaite(2.0, [])
    inf
    """
    noise = 0.0
    for c, d in terms:
        if c > 0 and d < math.inf:
            noise += c * c / d
    return variance * variance / noise if noise > 0 else math.inf

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
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence={confidence} must be in [0.5, 1)")
    m = series_moments(values, stderrs, min_points=min_points)
    if m is None:
        return None
    if confidence == 0.5 or (m.tau2 == 0.0 and m.mean_shot == 0.0):
        return m.tau2
    factor = _bound_factor(m.dof, confidence)
    return max(0.0, (m.tau2 + m.mean_shot) * factor - m.mean_shot)


@dataclass(frozen=True)
class Moments:
    """What one series says about its variance: the excess ``tau2`` (>= 0), the mean squared shot
    error, the effective degrees of freedom, and ``raw``, the unclamped moment estimate of the total
    per-point variance (it may fall below ``mean_shot`` by chance; pooling needs it unclamped)."""

    tau2: float
    mean_shot: float
    dof: float
    raw: float | None = None

    @property
    def total(self) -> float:
        return self.tau2 + self.mean_shot

    @property
    def ratio(self) -> float:
        """The total over the shot variance, kept positive (a tenth of shot noise at least)."""
        raw = self.total if self.raw is None else self.raw
        return max(raw / self.mean_shot, 0.1)


def series_moments(values: Sequence[float], stderrs: Sequence[float | None], *,
                   min_points: int = MIN_POINTS) -> Moments | None:
    """The screened successive-difference estimate of one series (None when too short); see above."""
    if len(values) != len(stderrs):
        raise ValueError(f"values ({len(values)}) and stderrs ({len(stderrs)}) differ in length")
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
    raw_excess = (float(np.mean(d2)) - float(np.mean(shot))) / 2.0
    return Moments(max(0.0, raw_excess), mean_shot, max(1.0, _DOF_PER_DIFFERENCE * d2.size), mean_shot + raw_excess)


def pooled_excess(moments: Mapping[Hashable, Moments], groups: Mapping[Hashable, Hashable], *,
                  confidence: float = 0.5, min_group: int = 3, prior: str = "moments") -> dict[Hashable, float]:
    """Excess variance of each series, moderated across the series of its group (empirical Bayes).

    Args:
        moments: series key -> its :func:`series_moments`.
        groups: series key -> group (e.g. (metric kind, baseline kind)); series pool within a group.
        confidence: 0.5 (default): the posterior point estimate, as an :class:`Excess` carrying its
            degrees of freedom (for a t reference); above 0.5, a one-sided upper confidence bound, as a
            plain float (for a normal reference; the older, conservative treatment).
        min_group: fewest series with shot noise in a group for a prior to be fitted; smaller
            groups (and series without shot errors) keep their own estimate.
        prior: how the group's prior is fitted (:mod:`harness.drift.prior`): ``"moments"`` (Smyth's),
            or ``"ml"`` (maximum likelihood; steadier for series of few degrees of freedom, such as
            the 4 of 5 trials).

    Returns:
        series key -> excess variance ``>= 0`` (metric unit squared), for every key of ``moments``.

    Example:
        >>> rng = np.random.default_rng(3)
        >>> ms = {j: series_moments(0.5 + rng.normal(0, 0.02, 8) + rng.normal(0, 0.01, 8), [0.01] * 8)
        ...       for j in range(40)}
        >>> ex = pooled_excess(ms, dict.fromkeys(ms, "g"), confidence=0.5)
        >>> 0.015 < float(np.sqrt(np.median(list(ex.values())))) < 0.025
        True
    """
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence={confidence} must be in [0.5, 1)")
    keys = list(moments)
    if not keys:
        return {}
    # as arrays (a run of 10,000 metrics in trials pools 20,000 series): element-wise the same arithmetic
    shot, tau2, dof = (np.array(c, float) for c in zip(*((m.mean_shot, m.tau2, m.dof) for m in moments.values())))
    total = tau2 + shot
    raw = np.array([m.total if m.raw is None else m.raw for m in moments.values()], float)
    member = (shot > 0) & (total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.maximum(raw / shot, 0.1)
    by_group: dict[Hashable, list[int]] = {}
    for i, (key, ok) in enumerate(zip(keys, member.tolist())):
        if ok:
            by_group.setdefault(groups.get(key), []).append(i)
    d0s, r0s = np.zeros(len(keys)), np.zeros(len(keys))
    pooled = np.zeros(len(keys), bool)
    for idx in by_group.values():
        if len(idx) >= min_group:
            d0, r0 = fit_prior(ratio[idx], dof[idx], prior)
            d0s[idx], r0s[idx], pooled[idx] = d0, max(r0, 1.0), True  # the total is never below shot noise
    with np.errstate(divide="ignore", invalid="ignore"):
        post = (d0s * r0s + dof * ratio) / (d0s + dof) * shot
    total = np.where(pooled, post, total)
    dof = np.where(pooled, d0s + dof, dof)
    if confidence > 0.5:
        bound = np.array([_bound_factor(float(f), confidence) for f in dof.tolist()])
        return dict(zip(keys, np.maximum(0.0, total * bound - shot).tolist()))
    return {key: Excess(max(0.0, t - s), dof=f, total=max(t, s))
            for key, t, s, f in zip(keys, total.tolist(), shot.tolist(), dof.tolist())}


def squeeze_variances(variances: np.ndarray, dof: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample variances moderated toward their common prior (limma's empirical Bayes), and their
    posterior degrees of freedom. With fewer than 3 variances they are returned as they are.

    >>> post, d = squeeze_variances(np.array([0.8, 1.0, 1.2, 0.9, 1.1]), np.full(5, 4.0))
    >>> bool(np.ptp(post) < 0.4) and bool(d.min() > 4)
    True
    """
    v, dof = np.maximum(np.asarray(variances, float), 1e-300), np.asarray(dof, float)
    if v.size < 3:
        return v, dof
    d0, s0 = fit_prior(v, dof)
    return (d0 * s0 + dof * v) / (d0 + dof), d0 + dof


@lru_cache(maxsize=1024)
def _bound_factor(dof: float, confidence: float) -> float:
    """Upper ``confidence`` bound of a variance over its median-unbiased estimate with ``dof`` degrees of
    freedom (cached: a run asks for the same few history lengths many times)."""
    return float(stats.chi2.ppf(0.5, dof) / stats.chi2.ppf(1.0 - confidence, dof))
