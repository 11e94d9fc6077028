"""Drift: is a new run worse than its stored baselines? Pure statistics over records, no I/O.

``compare(run, stored)`` gives one :class:`Verdict` per result and declared metric: regression,
improvement, unchanged or inconclusive (or no_baseline / failed when there is nothing to test).
A regression needs both statistical significance after Holm's run-wide correction and a point
estimate worse than the metric's tolerance; "unchanged" needs the interval to fit within the
tolerance (equivalence), so too few shots give "inconclusive", never a false "unchanged". The
rule is written out in :mod:`harness.drift.rule`, the tests in :mod:`harness.drift.stat_tests`.
With ``history_excess`` (from :func:`harness.drift.learning.learned_excess`) the z-tests of
proportions and expectation values also count the night-to-night spread beyond shot noise
(:mod:`harness.drift.excess`); :mod:`harness.drift.changepoint` names the run where a metric's
history shifted (advisory).

Example:
    >>> from harness.drift import compare, gate_outcome
    >>> from harness.records import Metric, Result, Run
    >>> old = Result("ghz", "n=3", "simulator", "simulator", "ok", {"p": Metric(0.5, "proportion", n=4000)})
    >>> new = Result("ghz", "n=3", "simulator", "simulator", "ok", {"p": Metric(0.5, "proportion", n=4000)})
    >>> run = Run("r", "2025-01-01", (new,), {"ghz": {"metrics": {"p": {"better": "higher", "tolerance": 0.05}}}})
    >>> outcome = gate_outcome(run, compare(run, {old.key: old}))
    >>> outcome.counts["unchanged"], outcome.code
    (1, 0)

:func:`gate_outcome` (:mod:`harness.drift.outcome`) turns a run's verdicts into the gate's one
outcome: status per result, counts, the exit code and its reasons, rendered by every output.
"""

from importlib import import_module

# Exported names and the submodule each lives in: imported on first use (PEP 562), so importing
# one light submodule (``harness.drift.outcome`` for the exit codes) does not load scipy.stats.
_EXPORTS = {
    "change_points": "changepoint", "changepoint_view": "changepoint",
    "EXCESS_KINDS": "compare", "TIMING_JITTER": "compare", "compare": "compare",
    "excess_variance": "excess",
    "advisory": "multiplicity", "benjamini_hochberg": "multiplicity", "holm": "multiplicity",
    "GateOutcome": "outcome", "gate_outcome": "outcome",
    "STATUSES": "verdict", "Verdict": "verdict",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__all__ = [
    "EXCESS_KINDS",
    "GateOutcome",
    "STATUSES",
    "TIMING_JITTER",
    "Verdict",
    "advisory",
    "benjamini_hochberg",
    "change_points",
    "changepoint_view",
    "compare",
    "excess_variance",
    "gate_outcome",
    "holm",
]
