"""One tier group of one case, run like a job: attempts, remediation and the fallback chain.

:func:`run_group` drives a :class:`~harness.orchestration.jobs.Job` through its states while a
tier runs. A failure is classified (:mod:`~harness.orchestration.retry`):

- transient and malformed failures were already retried call by call by the device guard;
- ``too_deep`` on hardware is remediated once: the tier runs again at optimization level 3;
- a cause in :data:`~harness.orchestration.retry.FALLBACK_CAUSES` hands the job to the next tier of
  ``hardware -> simulator -> classical``;
- ``user`` and ``unknown`` failures stop there: the results are ``failed`` with the message.

A result produced by a stand-in tier keeps the suite's ``baseline`` and says where it came from:
``tier`` is the tier that produced it, ``lineage["fallback"]`` says why, and its events show the
hand-over. The report marks any result whose tier differs from its baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Sequence

from harness.kinds import FALLBACK_CHAIN, HARDWARE, HARDWARE_MITIGATED, strategy_of
from harness.orchestration.budget import BudgetMeter
from harness.orchestration.jobs import Job, utc_now
from harness.orchestration.retry import FALLBACK_CAUSES, RetryPolicy, classify, describe

if TYPE_CHECKING:
    from harness.executors.base import Device
    from harness.store.cache import CacheView, ResultCache
    from harness.records import Result

__all__ = ["CHAIN", "Attempt", "Execution", "run_group"]

CHAIN = FALLBACK_CHAIN
"""The tiers that may stand in for each tier, in order (:data:`harness.kinds.FALLBACK_CHAIN`)."""

DeviceWrap = Callable[["Device", str], "Device"]


@dataclass
class Execution:
    """How a run executes: retry policy, budget, cache, fallback, and a seam for fault injection.

    Attributes:
        policy: see :class:`~harness.orchestration.retry.RetryPolicy`.
        meter: the run's budget meter (None: unlimited).
        cache: seeded simulator jobs are served from and stored in it (None: no cache).
        fallback: allow the fallback chain. Off by default: a stand-in result cannot be compared
            with the stored baseline of the tier it replaces, so a run opts in (``--fallback``);
            off, a failed tier is a failed result (exit 3).
        wrap: ``wrap(device, tier) -> device`` applied to every new device before the guard; tests
            use it to inject faults at the executor seam.
    """

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    meter: BudgetMeter | None = None
    cache: "ResultCache | None" = None
    fallback: bool = False
    wrap: DeviceWrap | None = None


@dataclass
class Attempt:
    """One submission of a tier: makes its guarded device and collects what the tier leaves behind."""

    execution: Execution
    job: Job
    tier: str
    overrides: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    outcome: Any = None
    cache_view: "CacheView | None" = None

    def device(self, kind: str, settings: Any, *, seed_transpiler: int, seed_simulator: int) -> "Device":
        """The tier's device: built from ``settings``, cached, timed out, wrapped and guarded."""
        from harness.executors import make_device
        from harness.executors.base import JobTimeout, ResultCaching, supports
        from harness.orchestration.guard import GuardedDevice

        device = make_device(kind, settings, seed_transpiler=seed_transpiler, seed_simulator=seed_simulator)
        timeout = getattr(settings, "job_timeout", None)
        if timeout is not None and supports(device, JobTimeout):
            device.job_timeout = timeout
        if self.execution.cache is not None and supports(device, ResultCaching):
            self.cache_view = self.execution.cache.view()
            device.cache = self.cache_view
        if self.execution.wrap is not None:
            device = self.execution.wrap(device, kind)
        return GuardedDevice(device, self.job, self.execution.policy, self.execution.meter)


RunTier = Callable[[str, Attempt], "list[Result]"]
"""``run_tier(tier, attempt)``: the results of one tier (its own baseline kinds), or an exception."""


def _finish(results: Sequence["Result"], kinds: Sequence[str], requested: str, job: Job,
            handovers: list[dict[str, Any]], extra: dict[str, Any]) -> list["Result"]:
    by_kind = {r.baseline: r for r in results}
    out = []
    for kind in kinds:
        # a stand-in tier has one result (its own kind); it stands for every requested kind
        r = by_kind.get(kind) or results[0]
        lineage = {**r.lineage, **extra}
        if job.tier != requested:
            lineage["fallback"] = {"requested": requested, "tier": job.tier, "handovers": handovers,
                                   "note": "mitigation is not applied on a stand-in tier" if kind ==
                                   HARDWARE_MITIGATED or strategy_of(kind) else None}
        out.append(replace(r, baseline=kind, tier=job.tier, lineage=lineage, events=job.history()))
    return out


def _failed(label: str, kinds: Sequence[str], job: Job, message: str, make_failed: Callable[..., list]) -> list:
    return [replace(r, events=job.history()) for r in make_failed(kinds, job.tier, message)]


def run_group(label: str, requested: str, kinds: Sequence[str], run_tier: RunTier, execution: Execution,
              make_failed: Callable[[Sequence[str], str, str], "list[Result]"]) -> list["Result"]:
    """Run the tier group ``kinds`` of one case on ``requested``, falling back along :data:`CHAIN`.

    Args:
        label: the job's name in messages (``"ghz n=3 [hardware]"``).
        requested: the tier the suite asked for.
        kinds: the baseline kinds the group must produce (``["hardware.raw", "hardware.mitigated"]``).
        run_tier: runs one tier (see :data:`RunTier`).
        execution: run-wide settings.
        make_failed: ``make_failed(kinds, tier, message)``: the failed results to record.

    Returns:
        One result per kind, ``ok`` or ``failed``, each carrying the job's events.
    """
    job = Job(label, tier=requested)
    chain = [requested, *(CHAIN[requested] if execution.fallback else ())]
    handovers: list[dict[str, Any]] = []
    overrides: dict[str, Any] = {}
    remediated = False
    meter = execution.meter
    while True:
        if meter is not None and meter.out_of_time():
            job.to("cancelled", {"reason": f"run budget of {meter.budget.seconds:g} s spent"})
            return _failed(label, kinds, job, f"cancelled: the run's time budget of {meter.budget.seconds:g} s "
                           "was spent before this case ran", make_failed)
        job.to("submitted", {"tier": job.tier, **({"overrides": overrides} if overrides else {})})
        job.to("running")
        attempt = Attempt(execution, job, job.tier, dict(overrides))
        try:
            results = run_tier(job.tier, attempt)
        except Exception as exc:  # classified: retried, remediated, handed over or recorded
            cause = classify(exc)
            message = describe(exc)
            if job.state != "failed":
                job.to("failed", {"cause": cause, "error": message})
            if (cause == "too_deep" and job.tier == HARDWARE and not remediated
                    and execution.policy.remediate_too_deep):
                remediated, overrides = True, {"optimization_level": 3}
                job.to("retried", {"cause": cause, "remediation": "re-transpile at optimization_level 3"})
                continue
            position = chain.index(job.tier)
            if cause in FALLBACK_CAUSES and position + 1 < len(chain):
                nxt = chain[position + 1]
                handovers.append({"from": job.tier, "to": nxt, "cause": cause, "error": message, "at": utc_now()})
                job.to("fallen_back", {"from": job.tier, "to": nxt, "cause": cause, "error": message}, tier=nxt)
                overrides = {}
                continue
            if handovers:
                message += f" (after falling back from {requested}: " + "; ".join(
                    f"{h['from']}: {h['cause']}" for h in handovers) + ")"
            return _failed(label, kinds, job, message if cause in ("user", "unknown") else f"{cause}: {message}",
                           make_failed)
        extra = dict(attempt.lineage)
        if overrides:
            extra["remediation"] = {"overrides": overrides, "reason": "the first attempt was too deep"}
        job.to("completed", {"results": len(results), "attempts": job.attempts})
        return _finish(results, kinds, requested, job, handovers, extra)
