"""Proportions measured in trials, judged on the pooled count with a between-trial variance term.

A suite with ``trials: T`` gives each proportion T values from ``n / T`` shots each. Welch's t
on T = 5 values has 4 degrees of freedom and, at Holm's per-metric level in a run of hundreds
of metrics, needs a t quantile near 10 instead of a normal one near 4: it catches almost nothing
(0.13 of the optimal test's power at a 0.04 drop). But the shots are known, so most of the
variance is known too. Per side, the mean of the trials is the pooled proportion ``p``, and::

    var(p) = (shot + between) / T,   shot = p (1 - p) / (n / T)

where ``between`` is the variance across trials beyond shot noise (seeds, optimizer starts;
for a mitigated value also the mitigation's amplification, which the binomial term leaves out).
``between`` is estimated from the spread of the trials, ``s^2 - shot`` with T - 1 degrees of
freedom, moderated across the proportions of the same baseline kind in the run by empirical
Bayes (:func:`harness.drift.excess.pooled_excess`, the prior fitted by maximum likelihood,
:data:`PRIOR`): with many metrics of few trials the spread is known well (the posterior has the
prior's degrees of freedom on top of each metric's T - 1).
The statistic is referred to a t distribution whose degrees of freedom come from the estimated
variances (Welch-Satterthwaite over both sides' posteriors and any learned night-to-night
excess), so it is calibrated however strongly the group pools; the test is named
``t-pooled-trials`` (``z-pooled-trials`` when every variance term was passed as a known float).
"""

from __future__ import annotations

import math
from typing import Hashable, Mapping

import numpy as np

from harness.drift.excess import Excess, Moments, pooled_excess, satterthwaite
from harness.drift.stat_tests import Comparison, binomial_stderr, z_test
from harness.records import Metric

__all__ = ["PRIOR", "between_trial_excess", "pooled_trials_args", "pooled_trials_test", "trial_moments", "trial_moments_many"]


PRIOR = "ml"
"""How the between-trial prior is fitted (:mod:`harness.drift.prior`): 4-df spreads leave Smyth's moment
estimate of its strength too noisy (d0 at 16 or less on one night in twenty where the metrics agree)."""


def trial_moments(m: Metric) -> Moments | None:
    """Shot and between-trial variance of one proportion's trials; None unless it is a proportion with
    >= 2 finite trials and its pooled shots ``n`` known."""
    t = len(m.samples)
    if m.kind != "proportion" or t < 2 or not m.n or m.n < t:
        return None
    v = np.asarray(m.samples, float)
    if not np.all(np.isfinite(v)):
        return None
    se = binomial_stderr(float(v.mean()), m.n // t)
    if se is None or se <= 0:
        return None
    shot, spread = se ** 2, float(v.var(ddof=1))
    return Moments(max(0.0, spread - shot), shot, float(t - 1), spread)


def trial_moments_many(metrics: Mapping[Hashable, Metric]) -> dict[Hashable, Moments]:
    """:func:`trial_moments` of many metrics at once (grouped by trials and shots per trial, one array
    each), for those that have them, in the input's order."""
    by_size: dict[tuple[int, int], list[Hashable]] = {}
    for key, m in metrics.items():
        t = len(m.samples)
        if m.kind == "proportion" and t >= 2 and m.n and m.n >= t:
            by_size.setdefault((t, m.n // t), []).append(key)
    found: dict[Hashable, Moments] = {}
    for (t, shots), keys in by_size.items():
        v = np.array([metrics[k].samples for k in keys], float)
        p = v.mean(axis=1)
        q = np.where((p <= 0.0) | (p >= 1.0), (np.clip(p, 0.0, 1.0) * shots + 0.5) / (shots + 1), p)
        shot = np.sqrt(q * (1.0 - q) / shots) ** 2  # binomial_stderr, squared
        spread = v.var(axis=1, ddof=1)
        ok = np.isfinite(v).all(axis=1) & (shot > 0)
        for k, good, sh, sp in zip(keys, ok.tolist(), shot.tolist(), spread.tolist()):
            if good:
                found[k] = Moments(max(0.0, sp - sh), sh, float(t - 1), sp)
    return {k: found[k] for k in metrics if k in found}


def between_trial_excess(metrics: Mapping[Hashable, Metric], groups: Mapping[Hashable, Hashable], *,
                         confidence: float = 0.5) -> dict[Hashable, float]:
    """Between-trial variance per trial for each metric that has :func:`trial_moments`, pooled per group
    (an :class:`~harness.drift.excess.Excess` with its degrees of freedom; see ``pooled_excess``)."""
    return pooled_excess(trial_moments_many(metrics), groups, confidence=confidence, prior=PRIOR)


def pooled_trials_args(new: Metric, old: Metric, shot_new: float, shot_old: float, ex_new: float, ex_old: float,
                       excess: float = 0.0) -> tuple[float, float, float, float, float, str, str]:
    """What the pooled-trials test computes before its tail: (pooled new, its se, pooled baseline, its se,
    Satterthwaite df, test name, note), from each side's shot variance per trial (``trial_moments``)."""
    terms = []  # the estimated parts of the variance: (contribution, degrees of freedom)

    def se(m: Metric, shot: float, ex: float) -> float:
        t = len(m.samples)
        if isinstance(ex, Excess):
            terms.append((ex.total / t, ex.dof))
        if isinstance(excess, Excess):
            terms.append((excess.total, excess.dof))
        return math.sqrt((shot + ex) / t + excess)

    se_new, se_old = se(new, shot_new, ex_new), se(old, shot_old, ex_old)
    df = satterthwaite(se_new ** 2 + se_old ** 2, terms)
    note = (f"pooled counts of {len(new.samples)} and {len(old.samples)} trials with a between-trial "
            f"variance term (sd per trial {math.sqrt(ex_new):.3g} and {math.sqrt(ex_old):.3g}, pooled across "
            "similar metrics)")
    if excess:
        note += f"; excess variance from history: sd {math.sqrt(excess):.3g} per side"
    if math.isfinite(df):
        note += f"; t reference with Satterthwaite df={df:.0f}"
    test = "t-pooled-trials" if math.isfinite(df) else "z-pooled-trials"
    mean_new, mean_old = sum(new.samples) / len(new.samples), sum(old.samples) / len(old.samples)
    return float(mean_new), se_new, float(mean_old), se_old, df, test, note


def pooled_trials_test(new: Metric, old: Metric, ex_new: float, ex_old: float, *, better: str, alpha: float,
                       excess: float = 0.0) -> Comparison:
    """z-test of the pooled proportions with each side's shot + between-trial variance of its mean.

    ``excess`` (night-to-night variance learned from history) is added to both sides as in the
    plain z-test.
    """
    shot_new, shot_old = trial_moments(new).mean_shot, trial_moments(old).mean_shot  # type: ignore[union-attr]
    mn, se_new, mo, se_old, df, test, note = pooled_trials_args(new, old, shot_new, shot_old, ex_new, ex_old, excess)
    return z_test(mn, se_new, mo, se_old, better=better, alpha=alpha, test=test, note=note, df=df)
