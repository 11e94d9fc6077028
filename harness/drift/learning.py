"""What the gate learns from history, and from which nights: never from what it should have blocked.

The excess variance (:mod:`harness.drift.excess`) widens a z-test, so learning it from the wrong
nights launders a regression: nights that regressed, read as noise, would make the next
regression look like noise too. A night's point of a metric teaches only when all hold:

- it was **accepted** for that metric: judged against a stored baseline and not a regression
  (unchanged, improvement or inconclusive); failed, cached, unjudged and regressed points never count;
- it ran the **same judged configuration** as tonight's result (:func:`judged_config`: tier,
  backend, mitigation settings, transpiler level, shots, trials), so a night with mitigation
  off, a PR run or an experiment never informs the nightly configuration;
- it was judged against the **current stored baseline** (:func:`baseline_ref`, a hash of the
  stored result's metrics): a promote starts the learning again.

Every point's configuration key and baseline reference are stored with it in the history
(:class:`harness.store.history.History` keeps them; this module computes them). The accepted
points of each metric give a screened successive-difference estimate, and the estimates are
pooled across the metrics of one kind on one baseline kind, measured in trials or not (empirical Bayes,
:func:`harness.drift.excess.pooled_excess`), so that a few nights already give a tight estimate; each
estimate carries its degrees of freedom, and ``compare`` refers the statistic to a t distribution with
them (Satterthwaite), so a short history widens the test exactly as much as it is uncertain.

So an intermittent regression blocks on every night it occurs (its nights never teach), and a
persistent one on every night until someone promotes a new baseline.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Protocol, Sequence

from harness.kinds import EXCESS_KINDS
from harness.drift.excess import MIN_POINTS, pooled_excess, series_moments
from harness.lineage import stable_hash
from harness.records import Result, Run

__all__ = ["ACCEPTED", "EXCESS_KINDS", "EXCESS_WINDOW", "LearnedPoint", "baseline_ref", "excess_keys",
           "judged_config", "learned_excess", "learning_tags"]

ACCEPTED = ("unchanged", "improvement", "inconclusive")
"""Verdict statuses of a point that may teach: judged against a baseline, and not a regression."""

EXCESS_WINDOW = 60
"""Runs of history (the most recent) read for learning: about two months of nightly runs."""

Key = tuple[str, str, str, str]

_SETTINGS_IGNORED = ("job_timeout", "policy")  # how to run, not what is measured


class LearnedPoint(Protocol):
    """What learning reads of one stored point (``harness.store.history.Point`` has these)."""

    run_id: str
    value: float | None
    status: str
    config: str | None
    baseline_ref: str | None

    @property
    def shot_stderr(self) -> float | None: ...


def judged_config(result: Result) -> str:
    """A short hash of what the gate judges a result under: tier, backend, mitigation, transpiler
    level, shots and trials (seeds, timestamps and code are not part of it: they are what varies)."""
    lineage = result.lineage if isinstance(result.lineage, Mapping) else {}
    settings = lineage.get("settings") if isinstance(lineage.get("settings"), Mapping) else {}
    device = lineage.get("device") if isinstance(lineage.get("device"), Mapping) else {}
    params = lineage.get("params") if isinstance(lineage.get("params"), Mapping) else {}
    shots = params.get("shots")
    if shots is None:
        shots = sorted({m.n for m in result.metrics.values() if m.kind != "timing" and m.n} or {None}, key=str)
    config = {
        "tier": result.tier,
        "baseline": result.baseline,
        "settings": {k: v for k, v in sorted(settings.items()) if k not in _SETTINGS_IGNORED},
        "backend": device.get("backend", settings.get("backend")),
        "shots": shots,
        "trials": lineage.get("trials", 1),
    }
    return stable_hash(config)[:16]


def baseline_ref(stored: Result | None) -> str | None:
    """A short hash of a stored baseline's values: it changes exactly when someone promotes."""
    if stored is None:
        return None
    return stable_hash({k: m.to_dict() for k, m in sorted(stored.metrics.items())})[:16]


def learning_tags(run: Run, stored: Mapping[tuple[str, str, str], Result]) -> dict[tuple[str, str, str], tuple]:
    """(suite, case id, baseline kind) -> (judged config, baseline reference) for every result of
    ``run``: what the history stores beside each point so later nights can filter on it."""
    return {r.key: (judged_config(r), baseline_ref(stored.get(r.key))) for r in run.results}


def learned_excess(run: Run, stored: Mapping[tuple[str, str, str], Result],
                   series: Mapping[Key, Sequence[LearnedPoint]], *, min_points: int = MIN_POINTS,
                   confidence: float = 0.5) -> dict[Key, float]:
    """Excess variance of each proportion, expectation and distribution metric of ``run``.

    Args:
        run: tonight's run (its own points in ``series``, if appended already, are ignored).
        stored: the stored baselines tonight is judged against.
        series: (suite, case id, baseline kind, metric) -> the metric's stored points, oldest first
            (e.g. ``History.series_many(keys, limit=EXCESS_WINDOW)``).
        min_points: fewest accepted points for a metric to have an estimate.
        confidence: 0.5 (default): posterior point estimates carrying their degrees of freedom
            (:class:`harness.drift.excess.Excess`), which ``compare`` refers to a t distribution;
            above 0.5, plain upper confidence bounds (the older, conservative treatment).

    Returns:
        The mapping :func:`harness.drift.compare` takes as ``history_excess``; metrics with fewer
        than ``min_points`` accepted nights are absent (shot noise alone).
    """
    moments, groups = {}, {}
    for res, name in excess_keys(run):
        key = (*res.key, name)
        config, ref = judged_config(res), baseline_ref(stored.get(res.key))
        if ref is None:
            continue
        points = [p for p in series.get(key, ()) if p.run_id != run.run_id and p.value is not None
                  and p.status in ACCEPTED and p.config == config and p.baseline_ref == ref]
        m = series_moments([p.value for p in points], [p.shot_stderr for p in points], min_points=min_points)
        if m is not None:
            moments[key] = m
            metric = res.metrics[name]
            # a value pooled over trials stores the trials' spread as its error, a single one its shot noise
            # alone: their excess relative to that error differs, so they pool apart
            groups[key] = (metric.kind, res.baseline, len(metric.samples) >= 2)
    return pooled_excess(moments, groups, confidence=confidence)


def excess_keys(run: Run) -> Iterable[tuple[Result, str]]:
    """The (result, metric name) pairs of ``run`` that take an excess variance."""
    for res in run.results:
        for name, m in res.metrics.items():
            if m.kind in EXCESS_KINDS:
                yield res, name
