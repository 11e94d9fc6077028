"""Repeated trials of a case: the same case run with independent seeds, merged into one result.

Shot noise is not the only spread of a hybrid result: transpiler seeds, optimizer starts and
device noise move it too. A suite's ``trials: T`` runs each case T times, trial ``t`` with the
seeds of ``case_id#t`` (trial 0 keeps the case's own seeds, so ``trials: 1`` changes nothing),
and merges each baseline kind's T results:

- each metric's value is the mean over trials and its standard error the spread across trials
  (sample standard deviation / sqrt(T)), which includes every source of variation at once; the
  per-trial values are kept as ``samples`` (timings then get a rank test on real repeats);
- counts are pooled, stage timings, shots, circuits and jobs are summed, events concatenated; the
  circuit's shape (``width``, ``depth``, ``two_qubit_gates``) is the largest trial's, never a sum;
- lineage is trial 0's, plus ``trials`` and every trial's seeds; the optimizer trace is trial 0's.

A trial that failed makes the merged result failed: a mean over the survivors would hide it.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Sequence

import numpy as np

from harness.records import Metric, Result

__all__ = ["merge_trials", "trial_case_id"]


def trial_case_id(case_id: str, trial: int) -> str:
    """The string whose hash seeds trial ``trial`` (trial 0 is the case itself)."""
    return case_id if trial == 0 else f"{case_id}#{trial}"


def _merge_metric(metrics: Sequence[Metric]) -> Metric:
    values = np.array([m.value for m in metrics], float)
    finite = values[np.isfinite(values)]
    first = metrics[0]
    if finite.size < len(values):
        return Metric(float("nan"), first.kind, None, None, tuple(values.tolist()), first.unit)
    stderr = float(np.std(finite, ddof=1) / math.sqrt(finite.size)) if finite.size > 1 else first.stderr
    ns = [m.n for m in metrics]
    n = int(sum(ns)) if all(isinstance(x, int) for x in ns) else None
    return Metric(float(finite.mean()), first.kind, stderr, n, tuple(finite.tolist()), first.unit)


def _sum_numbers(dicts: Sequence[Any]) -> Any:
    """Sum numeric leaves of equally shaped mappings; keep the first value of anything else."""
    first = dicts[0]
    if isinstance(first, dict):
        return {k: _sum_numbers([d.get(k) for d in dicts if isinstance(d, dict)]) for k in first}
    if isinstance(first, (int, float)) and not isinstance(first, bool) and all(
            isinstance(d, (int, float)) and not isinstance(d, bool) for d in dicts):
        return sum(dicts)
    return first


_SHAPE = ("width", "depth", "two_qubit_gates")  # what a circuit is, not what running it cost


def _resources(dicts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    merged = _sum_numbers(dicts)
    for k in _SHAPE:
        values = [d.get(k) for d in dicts]
        if k in merged and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            merged[k] = max(values)
    return merged


def merge_trials(trials: Sequence[Result]) -> Result:
    """One result from the trials of one case and baseline kind (see the module docstring)."""
    first = trials[0]
    if len(trials) == 1:
        return first
    lineage = {**first.lineage, "trials": len(trials), "trial_seeds": [t.lineage.get("seeds") for t in trials]}
    failed = [t for t in trials if t.status != "ok"]
    if failed:
        errors = "; ".join(sorted({t.error or "failed" for t in failed}))
        return Result(suite=first.suite, case_id=first.case_id, baseline=first.baseline, tier=failed[0].tier,
                      status="failed", lineage=lineage,
                      error=f"{len(failed)} of {len(trials)} trials failed: {errors}",
                      events=tuple(e for t in trials for e in t.events))
    tiers = {t.tier for t in trials}
    names = [n for n in first.metrics if all(n in t.metrics for t in trials)]
    counts = None
    if all(t.counts is not None for t in trials):
        pooled: Counter[str] = Counter()
        for t in trials:
            pooled.update(dict(t.counts))
        counts = dict(pooled)
    return Result(
        suite=first.suite, case_id=first.case_id, baseline=first.baseline,
        # a fallback in any trial is visible: the merged result names every tier that produced it
        tier=first.tier if len(tiers) == 1 else "+".join(sorted(tiers)),
        status="ok",
        metrics={n: _merge_metric([t.metrics[n] for t in trials]) for n in names},
        counts=counts,
        timings={s: sum(t.timings.get(s, 0.0) for t in trials) for s in first.timings},
        resources=_resources([dict(t.resources) for t in trials]),
        lineage=lineage,
        trace=first.trace,
        events=tuple(e for t in trials for e in t.events),
    )
