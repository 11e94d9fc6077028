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
A proportion whose worsening moves it toward 0.5 and whose two sides have the history's shots and
trials is judged instead with the variance under the null, the history's total per night on both
sides with its degrees of freedom (``t-null-history``, :func:`harness.drift.per_metric.history_null`),
not each side's binomial variance at its own value, which a regression toward 0.5 inflates.

Effects, intervals, tolerance and minimum detectable effect are in the metric's unit in every
verdict; for timings, judged on the log scale, they are converted against the baseline value
(``baseline * (ratio - 1)``) and ``tolerance`` is the absolute worsening that the declared
fraction allows. The decision itself is :func:`harness.drift.rule.decide`, with Holm-adjusted
p-values over two families: the gating metrics of the run, and the non-gating ones.

Speed: each metric's test is set up per metric (a :class:`harness.drift.batch.Pending`), then every
family (z and t on standard errors, Welch, machine-relative timings) is computed in one array call
(:mod:`harness.drift.batch`), and Holm runs once per family: 10,000 metrics take a fraction of a
second (``benchmarks/compare_speed.py``). ``reference=True`` computes the same tests one scalar call
per metric; the tests hold the two to each other. Only the Mann-Whitney fallback (fewer than 5
timings in the run) bootstraps, per timing.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Mapping  # isinstance on typing.Mapping is ~10x slower, per metric
from dataclasses import dataclass
from typing import Any, Callable

from harness.drift.batch import Pending, evaluate
from harness.drift.layers import changed_layers
from harness.drift.machine import MachineModel
from harness.drift.multiplicity import holm
from harness.drift.outcome import is_fallback
from harness.drift.per_metric import TIMING_JITTER, additive_test, cache_hits, run_wide, timing_test_of, usable
from harness.drift.power import holm_level, mde_factor
from harness.drift.rule import decide
from harness.drift.stat_tests import Comparison
from harness.homogeneity import g_test
from harness.drift.verdict import Verdict
from harness.errors import BaselineError, UnsupportedError
from harness.kinds import EXCESS_KINDS, METRIC_KINDS, METRIC_TESTS
from harness.records import Result, Run

__all__ = ["EXCESS_KINDS", "TIMING_JITTER", "compare"]


@dataclass
class _Tested:
    """A metric whose test is set up (``Pending``, computed with the others of its family) or ran
    (``Comparison``); its status waits for the run-wide correction."""

    fields: dict[str, Any]
    comparison: Comparison | Pending
    tau: float  # on the comparison's scale
    to_unit: Callable[[float], float]  # effect on the comparison's scale -> metric unit
    gating: bool
    machine_hides: bool = False  # the night's machine shift alone is worse than the tolerance
    notes: tuple[str, ...] = ()  # after the test's own note
    with_g: bool = False  # a distribution with counts on both sides: the G-test is named with the test


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


def _judge(name: str, spec: Mapping[str, Any], new_res: Result, old_res: Result | None,
           alpha: float, excess: float | None = None, machine: MachineModel | None = None,
           between: tuple[float, float, float, float] | None = None, changed: Any = False) -> Verdict | _Tested:
    better = spec["better"]
    tol, relative = float(spec.get("tolerance", 0.0)), bool(spec.get("relative", False))
    gating = bool(spec.get("gate", True))
    base = dict(suite=new_res.suite, case_id=new_res.case_id, baseline=new_res.baseline, metric=name,
                better=better, tolerance=tol)
    new = new_res.metrics.get(name)
    if new_res.status != "ok":
        return Verdict(**base, status="failed", note=f"the result failed: {new_res.error or 'no error recorded'}")
    if not usable(new):
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
    if old_res.status != "ok" or not usable(old):
        return Verdict(**base, status="no_baseline", note=f"the stored baseline has no value for metric {name!r}")
    b = float(old.value)
    if changed is False:  # not computed once for the result by the caller
        changed = changed_layers(new_res.lineage, old_res.lineage)
    base.update(baseline_value=b, changed_layer=changed)
    kind = new.kind
    if kind not in METRIC_KINDS:
        raise UnsupportedError(f"{new_res.suite}/{new_res.case_id}/{new_res.baseline}: metric {name!r} has kind "
                               f"{kind!r}", hint=f"use one of {', '.join(METRIC_KINDS)} in the workload")
    notes = [] if old.kind == kind else [f"kind changed from {old.kind} to {kind}; judged as {kind}"]
    machine_hides = False
    test = METRIC_TESTS[kind]  # the family that judges this kind (see harness.kinds)
    if test == "timing":
        cached = [side for side, r in (("this run", new_res), ("the stored baseline", old_res)) if cache_hits(r)]
        if cached:
            return Verdict(**base, status="inconclusive", effect=new.value - old.value,
                           note=f"not a latency: {' and '.join(cached)} was served from the result cache")
        frac = tol if relative else (tol / b if b > 0 else 0.0)
        tau = math.log1p(frac)
        base["tolerance"] = b * frac if better == "lower" else b * frac / (1 + frac)
        comparison, why = timing_test_of(new, old, better, alpha, machine, (*new_res.key, name))
        shift = machine.shift if machine is not None else 0.0
        if isinstance(comparison, Pending) and comparison.family == "machine" and tau > 0 \
                and (shift if better == "lower" else -shift) > tau:
            notes.append(f"every timing moved {math.expm1(shift):+.1%} together, more than the tolerance: a slower "
                         "machine and a change that slowed everything look alike within one night")
            machine_hides = True

        def to_unit(x: float) -> float:  # log ratio -> seconds against the baseline value
            return b * math.expm1(x)
    else:
        tau = tol * abs(b) if relative else tol
        base["tolerance"] = tau
        comparison, why = additive_test(new, old, better, excess, between)
        to_unit = float  # type: ignore[assignment]
        if kind == "distribution":
            notes.append(_g_note(new_res, old_res))
    if comparison is None:
        effect = new.value - old.value
        return Verdict(**base, status="inconclusive", effect=effect, note="; ".join([why, *notes]))
    with_g = kind == "distribution" and bool(new_res.counts) and bool(old_res.counts)
    return _Tested(base, comparison, tau, to_unit, gating, machine_hides, tuple(notes), with_g)


def _g_note(new_res: Result, old_res: Result) -> str:
    if not new_res.counts or not old_res.counts:
        return "no counts on one side: distribution not tested"
    g = g_test(new_res.counts, old_res.counts)
    if g is None:
        return "too few counts to test the distribution"
    return f"distribution changed? G-test p={g.p_value:.2g} (G={g.statistic:.3g}, {g.bins} bins; reported, not gating)"


def _finish(t: _Tested, p_worse: float, p_better: float, alpha: float, family: int = 1,
            scale: float | None = None) -> Verdict:
    # The mde at the level a lone regression must reach in its Holm family (alpha / m), not at alpha:
    # it is what the run could detect, and what `harness check` predicts. ``scale``: that ratio, if known.
    c = t.comparison
    assert isinstance(c, Comparison)
    if scale is None:
        scale = mde_factor(holm_level(alpha, family)) / mde_factor(alpha)
    fields = dict(t.fields, test=c.test + (" + G-test" if t.with_g else ""),
                  note="; ".join(n for n in [c.note, *t.notes] if n))
    status, why = decide(c, better=fields["better"], tau=t.tau, p_worse=p_worse, p_better=p_better, alpha=alpha,
                         mde=c.mde * scale)
    if status == "unchanged" and t.machine_hides:
        status, why = "inconclusive", "unchanged relative to the machine, but the machine itself moved beyond the tolerance"
    conv = t.to_unit
    # The mde is a worsening: for a log-scale timing where higher is better it is a drop.
    mde = c.mde * scale
    mde = conv(mde) if fields["better"] == "lower" else -conv(-mde)
    fields["note"] = "; ".join(n for n in (why, fields["note"]) if n)
    return Verdict(**fields, status=status, effect=conv(c.effect), ci_low=conv(c.ci[0]),
                   ci_high=conv(c.ci[1]), p_value=c.p_worse, p_adjusted=p_worse, mde=abs(mde),
                   gate=status == "regression" and t.gating)


def compare(run: Run, stored: Mapping[tuple[str, str, str], Result], *, alpha: float = 0.01,
            history_excess: Mapping[tuple[str, str, str, str], float] | None = None,
            reference: bool = False) -> list[Verdict]:
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
        reference: compute each metric's test with its scalar function, one call per metric (slow:
            the reference the tests hold the vectorised path to), instead of one array call per
            test family.

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
    # A run of 10,000 metrics allocates ~10^5 short-lived objects and no reference cycles; the cyclic
    # collector would meanwhile traverse every record of the run on each full pass (a third of the time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _compare(run, stored, alpha, history_excess, reference)
    finally:
        if enabled:
            gc.enable()


def _compare(run: Run, stored: Mapping[tuple[str, str, str], Result], alpha: float,
             history_excess: Mapping[tuple[str, str, str, str], float] | None, reference: bool) -> list[Verdict]:
    excess = history_excess or {}
    for key, value in excess.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise UnsupportedError(f"history_excess{key!r} = {value!r} is not a variance",
                                   hint="pass finite values >= 0 (metric unit squared), e.g. from learning.learned_excess")
    specs = {suite: _spec(run, suite) for suite in {r.suite for r in run.results}}
    machine, between = run_wide(run, stored, specs)
    judged: list[Verdict | _Tested] = []
    for res in run.results:
        old_res = stored.get(res.key)
        changed = changed_layers(res.lineage, old_res.lineage) if old_res is not None else None
        for name, spec in specs[res.suite].items():
            if spec.get("kinds") and res.baseline not in spec["kinds"]:
                continue  # a metric of some baseline kinds only (the simulator's cross-check)
            key = (*res.key, name)
            judged.append(_judge(name, spec, res, old_res, alpha, excess.get(key), machine, between.get(key),
                                 changed))
    # every test of a family in one array call (or, as the reference, one scalar call each)
    waiting = [j for j in judged if isinstance(j, _Tested) and isinstance(j.comparison, Pending)]
    for j, c in zip(waiting, evaluate([j.comparison for j in waiting], alpha=alpha, machine=machine,
                                      vectorised=not reference)):
        j.comparison = c
    adjusted: dict[int, tuple[float, float, float]] = {}
    for gating in (True, False):
        family = [i for i, j in enumerate(judged) if isinstance(j, _Tested) and j.gating is gating]
        worse = holm([judged[i].comparison.p_worse for i in family])
        better = holm([judged[i].comparison.p_better for i in family])
        scale = mde_factor(holm_level(alpha, len(family))) / mde_factor(alpha)
        adjusted.update(zip(family, zip(worse, better, [scale] * len(family))))
    return [_finish(j, adjusted[i][0], adjusted[i][1], alpha, scale=adjusted[i][2]) if isinstance(j, _Tested) else j
            for i, j in enumerate(judged)]
