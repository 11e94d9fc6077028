"""How each metric is tested, set up one metric at a time: the test family and its inputs
(:class:`harness.drift.batch.Pending`, computed later with the rest of its family), and what the
run's metrics say together (the night's machine shift, the trials' pooled between-trial variance).
The rules are those of :mod:`harness.drift.compare`, whose docstring states them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping  # isinstance on typing.Mapping is ~10x slower, per metric
from typing import Any

import numpy as np

from harness.drift.batch import Pending
from harness.drift.excess import Excess, excess_df, pooled_excess
from harness.drift.machine import MachineModel, fit_machine
from harness.drift.pooled_trials import PRIOR, pooled_trials_args, trial_moments_many
from harness.drift.stat_tests import Comparison, binomial_stderr, timing_test
from harness.kinds import EXCESS_KINDS, METRIC_TESTS
from harness.records import Metric, Result, Run

__all__ = ["TIMING_JITTER", "additive_test", "cache_hits", "history_null", "run_wide", "timing_test_of", "usable"]

TIMING_JITTER = 0.3
"""Assumed log standard deviation of one timing repeat (about 30 %), used only when fewer than 3
repeats and no standard error are stored: wall times on shared CI machines vary this much."""


def usable(m: Metric | None) -> bool:
    return m is not None and m.value is not None and math.isfinite(m.value)


def _stderr(m: Metric) -> float | None:
    """The metric's standard error: stored, binomial (proportions), or from its trials."""
    if m.stderr is not None and math.isfinite(m.stderr) and m.stderr >= 0:
        return float(m.stderr)
    if m.kind == "proportion" and m.n:
        return binomial_stderr(m.value, m.n)
    if len(m.samples) >= 2:
        return float(np.std(m.samples, ddof=1) / math.sqrt(len(m.samples)))
    return None


def history_null(new: Metric, old: Metric, better: str, excess: float | None) -> Excess | None:
    """``excess`` when its ``total`` is the variance to judge the proportion with, else None.

    A proportion's binomial variance depends on the proportion. Where a worsening moves it toward
    0.5 (higher is better above 0.5, lower is better below), the new side's variance at its own
    value grows with the regression, so a test that takes each side's variance at its own value
    (Wald) gives away power exactly where a regression is; pooling both sides (the score test)
    gives away a little more with equal shots: ``2 pbar (1 - pbar) = pb qb + pn qn + (pb - pn)^2 / 2``.
    The variance the null hypothesis implies is the one of the nights the metric was accepted on,
    under tonight's judged configuration and against tonight's baseline (:mod:`harness.drift.learning`):
    their mean squared shot error plus the excess, the ``total`` of an
    :class:`~harness.drift.excess.Excess`, estimated with its ``dof`` and independent of tonight's
    pair, so the t reference is exact for it. It is used for a proportion (single, or pooled over
    trials, whose stored standard error then holds the between-trial spread) whose two sides have the
    shots and trials the history was learned at (tonight's: the configuration includes them).

    Where a worsening moves the proportion away from 0.5, the stepped side's own variance is the
    smaller one and the Wald test (calibrated too: its first-order terms cancel between the sides)
    is the more powerful: None, and the caller keeps each side's own variance.
    """
    if new.kind != "proportion" or not isinstance(excess, Excess) or not math.isfinite(excess.dof):
        return None
    if not new.n or new.n != old.n or len(new.samples) != len(old.samples) or not excess.total > 0:
        return None
    toward_half = old.value > 0.5 if better == "higher" else old.value < 0.5
    return excess if toward_half else None


def additive_test(new: Metric, old: Metric, better: str, excess: float | None = None,
              between: tuple[float, float, float, float] | None = None) -> tuple[Pending | None, str]:
    null = history_null(new, old, better, excess)
    if null is not None:  # both sides' variance as the null implies it, from the history (see history_null)
        se = math.sqrt(null.total)
        note = (f"variance under the null from the accepted history: sd {se:.3g} per side (shot "
                f"{math.sqrt(max(0.0, null.total - null)):.3g}, excess {math.sqrt(null):.3g}), not each side's own at its "
                f"value; t reference with the estimate's df={null.dof:.0f}")
        return Pending("z", (new.value, se, old.value, se, null.dof), better, "t-null-history", "additive", note), ""
    if between is not None:
        # proportions in trials with known shots: pooled counts, between-trial variance term
        ex_new, ex_old, shot_new, shot_old = between
        mn, se_new, mo, se_old, df, test, note = pooled_trials_args(new, old, shot_new, shot_old, ex_new, ex_old,
                                                                    excess or 0.0)
        return Pending("z", (mn, se_new, mo, se_old, df), better, test, "additive", note), ""
    if len(new.samples) >= 2 and len(old.samples) >= 2:
        # per-trial values (a scalar's trials, or a suite's `trials:` for any kind): their spread holds
        # every source of variation, and Welch's t accounts for how few trials estimate it
        return Pending("welch", (new.samples, old.samples), better, "welch-t"), ""
    se_new, se_old = _stderr(new), _stderr(old)
    if se_new is None or se_old is None:
        side = "new result" if se_new is None else "baseline"
        return None, (f"the {side} has no standard error, no n (proportions) and fewer than 2 trials: "
                      "nothing to judge the change against; record trials or a stderr")
    note = "fewer than 2 trials per side: z-test on standard errors" if METRIC_TESTS.get(new.kind) == "welch" else ""
    if excess is not None and new.kind in EXCESS_KINDS:
        # Each side drew its own seeds and device state: the excess adds to both.
        shot = math.hypot(se_new, se_old)
        se_new, se_old = math.sqrt(se_new ** 2 + excess), math.sqrt(se_old ** 2 + excess)
        note = (f"excess variance from history: sd {math.sqrt(excess):.3g} per side added to shot noise "
                f"(combined se {shot:.3g} -> {math.hypot(se_new, se_old):.3g})")
        df = excess_df(excess, se_new ** 2 + se_old ** 2)
        if math.isfinite(df):  # an estimate with its degrees of freedom: a t reference (Satterthwaite)
            note += f"; estimated with {excess.dof:.0f} df, t reference with df={df:.0f}"
        return Pending("z", (new.value, se_new, old.value, se_old, df), better,
                       "t+excess" if math.isfinite(df) else "z+excess", "additive", note), ""
    return Pending("z", (new.value, se_new, old.value, se_old, math.inf), better, "z", "additive", note), ""


def timing_test_of(new: Metric, old: Metric, better: str, alpha: float, machine: MachineModel | None = None,
            key: tuple | None = None) -> tuple[Comparison | Pending | None, str]:
    xs, ys = new.samples or (new.value,), old.samples or (old.value,)
    if min(min(xs), min(ys), new.value, old.value) <= 0:
        return None, "a timing is zero or negative: cannot judge it on the log scale"
    if len(xs) >= 3 and len(ys) >= 3:
        if machine is not None and key in machine.stats:  # relative to the night's machine shift
            return Pending("machine", (key,), better, "t-log-machine", "log"), ""
        return timing_test(xs, ys, better=better, alpha=alpha), ""
    if new.stderr is not None and old.stderr is not None:
        # Delta method: the standard error of log(t) is stderr / t.
        return Pending("z", (math.log(new.value), new.stderr / new.value, math.log(old.value),
                             old.stderr / old.value, math.inf), better, "z-log", "log",
                       "fewer than 3 repeats: z-test on log times (delta-method errors)"), ""
    lx, ly = np.log(xs), np.log(ys)
    return Pending("z", (float(lx.mean()), TIMING_JITTER / math.sqrt(lx.size), float(ly.mean()),
                         TIMING_JITTER / math.sqrt(ly.size), math.inf), better, "z-log-assumed", "log",
                   f"{lx.size} vs {ly.size} repeats: noise not measured, assumed {TIMING_JITTER:.0%} jitter "
                   "per repeat; record >= 3 repeats per side for a real test"), ""


def cache_hits(result: Result) -> int:
    """Jobs of ``result`` served from the result cache: its timings then measure the cache, not the work."""
    res = result.resources
    cache = res.get("cache") if type(res) is dict or isinstance(res, Mapping) else None
    return int(cache.get("hits", 0)) if cache is not None and isinstance(cache, Mapping) else 0


def run_wide(run: Run, stored: Mapping[tuple[str, str, str], Result],
              specs: Mapping[str, Mapping[str, Any]]) -> tuple[MachineModel | None, dict]:
    """What the run's metrics say together: the night's machine shift of timings
    (:mod:`harness.drift.machine`) and the pooled between-trial variance of proportions in trials
    (:mod:`harness.drift.pooled_trials`), per side ("new" or "old") and metric."""
    pairs, sides, groups, keys = {}, {}, {}, []
    for res in run.results:
        old_res = stored.get(res.key)
        if res.status != "ok" or old_res is None or old_res.status != "ok":
            continue
        for name in specs[res.suite]:
            new, old = res.metrics.get(name), old_res.metrics.get(name)
            if not (usable(new) and usable(old)):
                continue
            if METRIC_TESTS.get(new.kind) == "timing" and not (cache_hits(res) or cache_hits(old_res)):
                pairs[(*res.key, name)] = (new.samples, old.samples)
            elif new.kind == "proportion" and len(new.samples) >= 2 and len(old.samples) >= 2:
                key = (*res.key, name)
                keys.append(key)
                for side, m in (("new", new), ("old", old)):
                    sides[side, key] = m
                    groups[side, key] = (m.kind, res.baseline)
    # both sides of a metric must have trial moments (trials, shots known) for the pooled-count test
    moments = trial_moments_many(sides)
    moments = {k: m for k, m in moments.items() if ("new", k[1]) in moments and ("old", k[1]) in moments}
    ex = pooled_excess(moments, groups, prior=PRIOR)
    between = {k: (ex["new", k], ex["old", k], moments["new", k].mean_shot, moments["old", k].mean_shot)
               for k in keys if ("new", k) in ex}
    return fit_machine(pairs), between

