"""Compare a run with its stored baselines: one :class:`Verdict` per result and declared metric.

The test follows the metric's kind (see :data:`harness.kinds.METRIC_TESTS`) and the data
stored with it:

- ``proportion``, ``expectation``: z-test on both standard errors (a proportion without
  ``stderr`` uses the binomial one from ``value`` and ``n``).
- ``scalar``: Welch's t-test on the trials when both sides have >= 2; otherwise a z-test on
  the standard errors; otherwise inconclusive.
- ``timing``: with >= 3 repeats per side, Mann-Whitney U on log times, Hodges-Lehmann ratio and
  bootstrap interval. With fewer, a z-test on log times using the stored standard errors (delta
  method) or, without them, an *assumed* repeat-to-repeat jitter of :data:`TIMING_JITTER` (log
  standard deviation). A single timing is then a regression only when it is slower than the
  tolerance by a large factor (about 2.7x at alpha 0.01 for one gating metric); the test name
  ``z-log-assumed`` and the note say the noise was assumed. Timing tolerances are fractions
  (``relative``); an absolute one is read as seconds and turned into a fraction of the baseline.
- ``distribution``: the metric's own z-test decides direction and tolerance; when both results
  carry counts, a G-test of "the distribution changed" is reported in the note only (a
  distribution can change without the score moving, which is not a regression of the score).

Excess variance: nightly spread beyond shot noise (transpiler seeds, optimizer starts, device
drift) is invisible in one run. When ``compare`` is given ``history_excess`` (estimated by
:func:`harness.drift.excess.excess_variance` over the metric's history), that variance is added
to the squared standard error of *both* sides of a ``proportion``, ``expectation`` or
``distribution`` z-test (each side carries its own draw of seeds and drift). An estimate that
carries its degrees of freedom (:class:`harness.drift.excess.Excess`, what
``learning.learned_excess`` returns) makes it a t-test, ``t+excess``, with Welch-Satterthwaite
degrees of freedom from the estimate; a plain float is taken as known (``z+excess``). The note
gives the term. Scalars with trials and timings already measure their own spread and are left alone.

Effects, intervals, tolerance and minimum detectable effect are in the metric's unit in every
verdict; for timings, judged on the log scale, they are converted against the baseline value
(``baseline * (ratio - 1)``) and ``tolerance`` is the absolute worsening that the declared
fraction allows. The decision itself is :func:`harness.drift.rule.decide`, with Holm-adjusted
p-values over two families: the gating metrics of the run, and the non-gating ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

import numpy as np

from harness.drift.excess import excess_df
from harness.drift.layers import changed_layers
from harness.drift.machine import MachineModel, fit_machine, relative_timing_test
from harness.drift.multiplicity import holm
from harness.drift.outcome import is_fallback
from harness.drift.pooled_trials import between_trial_excess, pooled_trials_test, trial_moments
from harness.drift.power import holm_level, mde_factor
from harness.drift.rule import decide
from harness.drift.stat_tests import Comparison, binomial_stderr, timing_test, welch_test, z_test
from harness.homogeneity import g_test
from harness.drift.verdict import Verdict
from harness.errors import BaselineError, UnsupportedError
from harness.kinds import EXCESS_KINDS, METRIC_KINDS, METRIC_TESTS
from harness.records import Metric, Result, Run

__all__ = ["EXCESS_KINDS", "TIMING_JITTER", "compare"]

TIMING_JITTER = 0.3
"""Assumed log standard deviation of one timing repeat (about 30 %), used only when fewer than 3
repeats and no standard error are stored: wall times on shared CI machines vary this much."""


@dataclass(frozen=True)
class _Tested:
    """A metric whose test ran; its status waits for the run-wide correction."""

    fields: dict[str, Any]
    comparison: Comparison
    tau: float  # on the comparison's scale
    to_unit: Callable[[float], float]  # effect on the comparison's scale -> metric unit
    gating: bool
    machine_hides: bool = False  # the night's machine shift alone is worse than the tolerance


def _spec(run: Run, suite: str) -> Mapping[str, Mapping[str, Any]]:
    entry = run.suites.get(suite)
    metrics = entry.get("metrics") if isinstance(entry, Mapping) else None
    if not isinstance(metrics, Mapping):
        raise BaselineError(f"run {run.run_id}: no metric specs for suite {suite!r} in its 'suites' section",
                            hint="record the suite's metrics block in Run.suites[suite]['metrics']")
    out = {}
    for name, spec in metrics.items():
        spec = spec.model_dump() if hasattr(spec, "model_dump") else dict(spec)
        if spec.get("better") not in ("higher", "lower"):
            raise BaselineError(f"run {run.run_id}, suite {suite!r}, metric {name!r}: better must be "
                                f"'higher' or 'lower', not {spec.get('better')!r}",
                                hint="fix the suite's metrics block")
        out[name] = spec
    return out


def _usable(m: Metric | None) -> bool:
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


def _additive(new: Metric, old: Metric, better: str, alpha: float, excess: float | None = None,
              between: tuple[float, float] | None = None) -> tuple[Comparison | None, str]:
    if between is not None:
        # proportions in trials with known shots: pooled counts, between-trial variance term
        return pooled_trials_test(new, old, *between, better=better, alpha=alpha, excess=excess or 0.0), ""
    if len(new.samples) >= 2 and len(old.samples) >= 2:
        # per-trial values (a scalar's trials, or a suite's `trials:` for any kind): their spread holds
        # every source of variation, and Welch's t accounts for how few trials estimate it
        return welch_test(new.samples, old.samples, better=better, alpha=alpha), ""
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
        return z_test(new.value, se_new, old.value, se_old, better=better, alpha=alpha,
                      test="t+excess" if math.isfinite(df) else "z+excess", note=note, df=df), ""
    return z_test(new.value, se_new, old.value, se_old, better=better, alpha=alpha, note=note), ""


def _timing(new: Metric, old: Metric, better: str, alpha: float, machine: MachineModel | None = None,
            key: tuple | None = None) -> tuple[Comparison | None, str]:
    xs, ys = new.samples or (new.value,), old.samples or (old.value,)
    if min(min(xs), min(ys), new.value, old.value) <= 0:
        return None, "a timing is zero or negative: cannot judge it on the log scale"
    if len(xs) >= 3 and len(ys) >= 3:
        if machine is not None and key in machine.stats:  # relative to the night's machine shift
            return relative_timing_test(machine, key, better=better, alpha=alpha), ""
        return timing_test(xs, ys, better=better, alpha=alpha), ""
    if new.stderr is not None and old.stderr is not None:
        # Delta method: the standard error of log(t) is stderr / t.
        return z_test(math.log(new.value), new.stderr / new.value, math.log(old.value), old.stderr / old.value,
                      better=better, alpha=alpha, test="z-log", scale="log",
                      note="fewer than 3 repeats: z-test on log times (delta-method errors)"), ""
    lx, ly = np.log(xs), np.log(ys)
    return z_test(float(lx.mean()), TIMING_JITTER / math.sqrt(lx.size), float(ly.mean()),
                  TIMING_JITTER / math.sqrt(ly.size), better=better, alpha=alpha, test="z-log-assumed", scale="log",
                  note=(f"{lx.size} vs {ly.size} repeats: noise not measured, assumed {TIMING_JITTER:.0%} jitter "
                        "per repeat; record >= 3 repeats per side for a real test")), ""


def _cache_hits(result: Result) -> int:
    """Jobs of ``result`` served from the result cache: its timings then measure the cache, not the work."""
    cache = result.resources.get("cache") if isinstance(result.resources, Mapping) else None
    return int(cache.get("hits", 0)) if isinstance(cache, Mapping) else 0


def _judge(name: str, spec: Mapping[str, Any], new_res: Result, old_res: Result | None,
           alpha: float, excess: float | None = None, machine: MachineModel | None = None,
           between: tuple[float, float] | None = None) -> Verdict | _Tested:
    better = spec["better"]
    tol, relative = float(spec.get("tolerance", 0.0)), bool(spec.get("relative", False))
    gating = bool(spec.get("gate", True))
    base = dict(suite=new_res.suite, case_id=new_res.case_id, baseline=new_res.baseline, metric=name,
                better=better, tolerance=tol)
    new = new_res.metrics.get(name)
    if new_res.status != "ok":
        return Verdict(**base, status="failed", note=f"the result failed: {new_res.error or 'no error recorded'}")
    if not _usable(new):
        return Verdict(**base, status="failed", note=f"the result has no value for metric {name!r}")
    base["new_value"] = float(new.value)
    if is_fallback(new_res):
        # a stand-in tier's number says nothing about the tier asked for: never an "improvement" of its baseline
        return Verdict(**base, status="fallback",
                       note=f"produced by the {new_res.tier} tier standing in for {new_res.baseline}: not judged "
                            f"against the {new_res.baseline} baseline")
    if old_res is None:
        return Verdict(**base, status="no_baseline", note="no stored baseline for this case and baseline kind")
    old = old_res.metrics.get(name)
    if old_res.status != "ok" or not _usable(old):
        return Verdict(**base, status="no_baseline", note=f"the stored baseline has no value for metric {name!r}")
    b = float(old.value)
    base.update(baseline_value=b, changed_layer=changed_layers(new_res.lineage, old_res.lineage))
    kind = new.kind
    if kind not in METRIC_KINDS:
        raise UnsupportedError(f"{new_res.suite}/{new_res.case_id}/{new_res.baseline}: metric {name!r} has kind "
                               f"{kind!r}", hint=f"use one of {', '.join(METRIC_KINDS)} in the workload")
    notes = [] if old.kind == kind else [f"kind changed from {old.kind} to {kind}; judged as {kind}"]
    machine_hides = False
    cached = [side for side, r in (("this run", new_res), ("the stored baseline", old_res)) if _cache_hits(r)]
    test = METRIC_TESTS[kind]  # the family that judges this kind (see harness.kinds)
    if test == "timing" and cached:
        return Verdict(**base, status="inconclusive", effect=new.value - old.value,
                       note=f"not a latency: {' and '.join(cached)} was served from the result cache")
    if test == "timing":
        frac = tol if relative else (tol / b if b > 0 else 0.0)
        tau = math.log1p(frac)
        base["tolerance"] = b * frac if better == "lower" else b * frac / (1 + frac)
        comparison, why = _timing(new, old, better, alpha, machine, (*new_res.key, name))
        shift = machine.shift if machine is not None else 0.0
        if comparison is not None and comparison.test == "t-log-machine" and tau > 0 \
                and (shift if better == "lower" else -shift) > tau:
            notes.append(f"every timing moved {math.expm1(shift):+.1%} together, more than the tolerance: a slower "
                         "machine and a change that slowed everything look alike within one night")
            machine_hides = True

        def to_unit(x: float) -> float:  # log ratio -> seconds against the baseline value
            return b * math.expm1(x)
    else:
        tau = tol * abs(b) if relative else tol
        base["tolerance"] = tau
        comparison, why = _additive(new, old, better, alpha, excess, between)
        to_unit = float  # type: ignore[assignment]
        if kind == "distribution":
            notes.append(_g_note(new_res, old_res))
    if comparison is None:
        effect = new.value - old.value
        return Verdict(**base, status="inconclusive", effect=effect, note="; ".join([why, *notes]))
    with_g = kind == "distribution" and bool(new_res.counts) and bool(old_res.counts)
    fields = dict(base, test=comparison.test + (" + G-test" if with_g else ""),
                  note="; ".join(n for n in [comparison.note, *notes] if n))
    return _Tested(fields, comparison, tau, to_unit, gating, machine_hides)


def _g_note(new_res: Result, old_res: Result) -> str:
    if not new_res.counts or not old_res.counts:
        return "no counts on one side: distribution not tested"
    g = g_test(new_res.counts, old_res.counts)
    if g is None:
        return "too few counts to test the distribution"
    return f"distribution changed? G-test p={g.p_value:.2g} (G={g.statistic:.3g}, {g.bins} bins; reported, not gating)"


def _finish(t: _Tested, p_worse: float, p_better: float, alpha: float, family: int = 1) -> Verdict:
    # The mde at the level a lone regression must reach in its Holm family (alpha / m), not at alpha:
    # it is what the run could detect, and what `harness check` predicts.
    c = t.comparison
    c = replace(c, mde=c.mde * mde_factor(holm_level(alpha, family)) / mde_factor(alpha))
    status, why = decide(c, better=t.fields["better"], tau=t.tau, p_worse=p_worse, p_better=p_better, alpha=alpha)
    if status == "unchanged" and t.machine_hides:
        status, why = "inconclusive", "unchanged relative to the machine, but the machine itself moved beyond the tolerance"
    conv = t.to_unit
    # The mde is a worsening: for a log-scale timing where higher is better it is a drop.
    mde = conv(c.mde) if t.fields["better"] == "lower" else -conv(-c.mde)
    note = "; ".join(n for n in (why, t.fields["note"]) if n)
    return Verdict(**{**t.fields, "note": note}, status=status, effect=conv(c.effect), ci_low=conv(c.ci[0]),
                   ci_high=conv(c.ci[1]), p_value=c.p_worse, p_adjusted=p_worse, mde=abs(mde),
                   gate=status == "regression" and t.gating)


def compare(run: Run, stored: Mapping[tuple[str, str, str], Result], *, alpha: float = 0.01,
            history_excess: Mapping[tuple[str, str, str, str], float] | None = None) -> list[Verdict]:
    """Judge every declared metric of every result in ``run`` against its stored baseline.

    Args:
        run: the new run; ``run.suites[suite]["metrics"]`` declares, per metric name,
            ``better``, ``tolerance``, ``relative`` and ``gate`` (metrics not declared there
            are not judged).
        stored: (suite, case_id, baseline kind) -> the stored baseline result.
        alpha: family-wise significance level of the gate (Holm over the gating metrics).
        history_excess: (suite, case_id, baseline kind, metric) -> excess variance (metric unit
            squared) learned from history, e.g. by ``learning.learned_excess``; added to both
            sides of proportion, expectation and distribution z-tests (a t-test when the value is an
            :class:`~harness.drift.excess.Excess` with its degrees of freedom). Metrics without an
            entry use shot noise alone.

    Returns:
        One verdict per (result, declared metric), in run order.

    Raises:
        UnsupportedError: ``alpha`` outside (0, 0.5), a metric kind the harness does not know, or a
            ``history_excess`` value that is not a finite variance.
        BaselineError: the run lacks the metric specs of one of its suites.

    Example:
        >>> from harness.records import Metric, Result, Run
        >>> old = Result("s", "c", "simulator", "simulator", "ok", {"p": Metric(0.90, "proportion", n=4000)})
        >>> new = Result("s", "c", "simulator", "simulator", "ok", {"p": Metric(0.80, "proportion", n=4000)})
        >>> run = Run("r1", "2025-01-01", (new,), {"s": {"metrics": {"p": {"better": "higher", "tolerance": 0.03}}}})
        >>> [v.status for v in compare(run, {old.key: old})]
        ['regression']
    """
    if not 0 < alpha < 0.5:
        raise UnsupportedError(f"alpha={alpha} is not a significance level", hint="use a value in (0, 0.5), e.g. 0.01")
    excess = history_excess or {}
    for key, value in excess.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise UnsupportedError(f"history_excess{key!r} = {value!r} is not a variance",
                                   hint="pass finite values >= 0 (metric unit squared), e.g. from learning.learned_excess")
    specs = {suite: _spec(run, suite) for suite in {r.suite for r in run.results}}
    machine, between = _run_wide(run, stored, specs)
    judged: list[Verdict | _Tested] = []
    for res in run.results:
        for name, spec in specs[res.suite].items():
            if spec.get("kinds") and res.baseline not in spec["kinds"]:
                continue  # a metric of some baseline kinds only (the simulator's cross-check)
            key = (*res.key, name)
            pair = (between.get(("new", key)), between.get(("old", key)))
            judged.append(_judge(name, spec, res, stored.get(res.key), alpha, excess.get(key), machine,
                                 pair if None not in pair else None))
    adjusted: dict[int, tuple[float, float, int]] = {}
    for gating in (True, False):
        family = [i for i, j in enumerate(judged) if isinstance(j, _Tested) and j.gating is gating]
        worse = holm([judged[i].comparison.p_worse for i in family])
        better = holm([judged[i].comparison.p_better for i in family])
        adjusted.update(zip(family, zip(worse, better, [len(family)] * len(family))))
    return [_finish(j, *adjusted[i][:2], alpha, adjusted[i][2]) if isinstance(j, _Tested) else j
            for i, j in enumerate(judged)]


def _run_wide(run: Run, stored: Mapping[tuple[str, str, str], Result],
              specs: Mapping[str, Mapping[str, Any]]) -> tuple[MachineModel | None, dict]:
    """What the run's metrics say together: the night's machine shift of timings
    (:mod:`harness.drift.machine`) and the pooled between-trial variance of proportions in trials
    (:mod:`harness.drift.pooled_trials`), per side ("new" or "old") and metric."""
    pairs, sides, groups = {}, {}, {}
    for res in run.results:
        old_res = stored.get(res.key)
        if res.status != "ok" or old_res is None or old_res.status != "ok":
            continue
        for name in specs[res.suite]:
            new, old = res.metrics.get(name), old_res.metrics.get(name)
            if not (_usable(new) and _usable(old)):
                continue
            if METRIC_TESTS.get(new.kind) == "timing" and not (_cache_hits(res) or _cache_hits(old_res)):
                pairs[(*res.key, name)] = (new.samples, old.samples)
            elif trial_moments(new) is not None and trial_moments(old) is not None:
                for side, m in (("new", new), ("old", old)):
                    sides[side, (*res.key, name)] = m
                    groups[side, (*res.key, name)] = (m.kind, res.baseline)
    return fit_machine(pairs), between_trial_excess(sides, groups)

