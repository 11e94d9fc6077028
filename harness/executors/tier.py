"""One tier of one case: the device, the hybrid loop, the raw and mitigated sides, the scoring.

:func:`run_tier` is the whole work of a tier; the orchestration only decides which tier runs,
with which settings and on which (guarded) device, and what happens when it fails:

- ``classical``: the workload's heuristic, timed (``time_to_solution``);
- ``simulator``: the hybrid loop on an ideal device, scored; with ``cross_check: cirq`` the final
  circuit(s) also run on cirq: the agreement is lineage and ``vendor_tvd`` a metric;
- ``hardware``: the hybrid loop on the device, then two sides scored alike: ``hardware.raw`` (the
  loop's own final execution) and ``hardware.mitigated`` (the suite's mitigation of that circuit,
  reusing the same counts: no technique configured, no second job), then one result per strategy
  the suite compares (``hardware.mitigated.<name>``, paired with raw through shared resamples).

Every value in and out is plain (:class:`TierCase` in, :class:`~harness.records.Result` out), so
the same function runs in this process, on a worker or under a benchmark.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import numpy as np

from harness.errors import HarnessError
from harness.executors.base import Closeable, StageClock, supports
from harness.kinds import CLASSICAL, SIMULATOR, TIER_KINDS
from harness.records import STAGES, Metric, Result

if TYPE_CHECKING:
    from harness.executors.base import Device
    from harness.workloads.base import Workload, WorkloadParams

__all__ = [
    "DeviceFactory", "TierCase", "TierRun", "case_lineage", "estimate_tier", "failed_results", "run_tier", "timed_solve",
]

DeviceFactory = Callable[..., "Device"]
"""``factory(tier, settings, *, seed_transpiler, seed_simulator) -> Device`` (default:
:func:`harness.executors.make_device`; the orchestration passes one that guards the device)."""


@dataclass(frozen=True)
class TierCase:
    """What a tier needs of one case (one trial): the workload bound to its point, and its seeds.

    Attributes:
        suite, case_id: the result's identity.
        workload, params, options: the workload, the case's matrix point and the suite's options.
        seeds: the case's seed streams (:func:`harness.lineage.derive_seeds`).
        lineage: the case's own lineage (:func:`case_lineage`), copied into every result.
    """

    suite: str
    case_id: str
    workload: "Workload"
    params: "WorkloadParams"
    options: "WorkloadParams"
    seeds: Mapping[str, int]
    lineage: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class TierRun:
    """A tier's results, and lineage entries that hold for all of them (the cross-check)."""

    results: list[Result]
    lineage: dict[str, Any] = field(default_factory=dict)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _timing(seconds: float) -> Metric:
    return Metric(value=seconds, kind="timing", n=1, samples=(seconds,), unit="s")


def case_lineage(*, suite_file: str, suite_sha256: str, workload: str, params: "WorkloadParams",
                 options: "WorkloadParams", seed: int, seeds: Mapping[str, int], env: Mapping[str, Any]) -> dict[str, Any]:
    """Where every result of a case comes from: the suite file, the point, the seeds and the environment."""
    return {
        "suite_file": suite_file,
        "suite_sha256": suite_sha256,
        "workload": workload,
        "params": params.model_dump(mode="json"),
        "options": options.model_dump(mode="json"),
        "seed": seed,
        "seeds": dict(seeds),
        "code": env["code"],
        "python": env["python"],
        "sdk": env["sdk"],
    }


def failed_results(case: TierCase, kinds: Iterable[str], tier: str, exc: BaseException | str) -> list[Result]:
    """One ``failed`` result per kind, its error the message of ``exc`` (and where it was raised)."""
    if isinstance(exc, str):
        message = exc
    elif isinstance(exc, HarnessError):
        message = exc.message
    else:
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {frame.filename}:{frame.lineno}" if frame else ""
        message = f"{type(exc).__name__}: {exc}{where}"
    return [Result(suite=case.suite, case_id=case.case_id, baseline=k, tier=tier, status="failed",
                   lineage={**case.lineage, "tier": tier, "finished": _now()}, error=message) for k in kinds]


def _default_factory() -> DeviceFactory:
    from harness.executors import make_device

    return make_device


def _run_classical(case: TierCase, settings: Any) -> Result:
    from harness.suite.schema import ClassicalSettings

    settings = settings or ClassicalSettings()
    clock = StageClock()
    started = _now()
    with clock.stage("preprocess"):
        problem = case.workload.build(case.params, case.options)
    with clock.stage("execute"):
        t0 = time.perf_counter()
        outcome = case.workload.classical(problem, settings, np.random.default_rng(case.seeds[CLASSICAL]))
        elapsed = time.perf_counter() - t0
    metrics = {**outcome.metrics, "time_to_solution": _timing(elapsed)}
    lineage = {**case.lineage, "tier": CLASSICAL, CLASSICAL: settings.model_dump(mode="json"),
               "info": dict(outcome.info), "started": started, "finished": _now()}
    return Result(suite=case.suite, case_id=case.case_id, baseline=CLASSICAL, tier=CLASSICAL,
                  status="ok", metrics=metrics, timings=clock.seconds, resources={}, lineage=lineage,
                  trace=outcome.trace)


def _same_as_raw(mitigation: Any, raw: Any) -> bool:
    """Whether a mitigated side's settings give exactly the raw outcome: no technique, same bootstrap."""
    from harness.mitigation.registry import stack

    return not stack(mitigation) and mitigation.bootstrap == raw.bootstrap


def _run_quantum(case: TierCase, tier: str, settings: Any, factory: DeviceFactory) -> tuple[list[Result], Any]:
    """The simulator result, or the hardware raw and mitigated pair, and the loop's outcome."""
    from harness.mitigation import mitigate
    from harness.mitigation import execute_raw as mitigate_raw
    from harness.mitigation.base import HistogramScore
    from harness.suite.schema import MitigationSettings

    started = _now()
    device = factory(tier, settings, seed_transpiler=case.seeds["transpiler"], seed_simulator=case.seeds[tier])
    try:
        with device.clock.stage("preprocess"):
            problem = case.workload.build(case.params, case.options)
        t0 = time.perf_counter()
        outcome = case.workload.quantum(problem, device, np.random.default_rng(case.seeds["optimizer"]))
        loop_seconds = time.perf_counter() - t0
        ident = dict(suite=case.suite, case_id=case.case_id, tier=tier, status="ok", trace=outcome.trace)
        common = {**case.lineage, "tier": tier, "settings": settings.model_dump(mode="json"),
                  "quantum": dict(outcome.info), "evaluations": len(outcome.trace)}
        # a multi-circuit workload (VQE: one circuit per Pauli basis) scores a list of distributions;
        # its counts stay in the lineage, since Result.counts is one distribution for the drift test
        multi = bool(getattr(case.workload, "multi_circuit", False))
        if multi:
            common["counts_list"] = [dict(c) for c in outcome.counts_list]
        if tier == SIMULATOR:
            with device.clock.stage("postprocess"):
                if multi:
                    probs = [{k: v / sum(c.values()) for k, v in c.items()} for c in outcome.counts_list]
                    metrics = case.workload.score(problem, probs, outcome.shots)
                else:
                    total = sum(outcome.counts.values())
                    metrics = case.workload.score(problem, {k: v / total for k, v in outcome.counts.items()}, total)
            metrics["time_to_solution"] = _timing(loop_seconds)
            return [Result(**ident, baseline=SIMULATOR, metrics=metrics, counts=None if multi else dict(outcome.counts),
                           timings=dict(device.clock.seconds), resources=device.resources.to_dict(),
                           lineage={**common, "device": device.lineage(), "started": started,
                                    "finished": _now()})], outcome

        def score_one(probs, shots):
            return case.workload.score(problem, probs, shots)

        score: Any = score_one
        if case.workload.scores_histograms():  # the bootstrap scores all its resamples in one call
            score = HistogramScore(score_one, lambda keys, probs, shots: case.workload.score_many(
                problem, keys, probs, shots))

        loop_timings = dict(device.clock.seconds)
        loop_resources = device.resources.to_dict()
        final = list(outcome.counts_list) if multi else [outcome.counts]
        raw_kind = TIER_KINDS[tier][0]
        circuits = list(outcome.circuits) if multi else outcome.circuit
        compare: dict[str, Any] = {}
        if settings.strategies:  # strategies compared: paired bootstraps, errors against the exact ideal
            from harness.mitigation.ideal import ideal_values

            ideal, source = ideal_values(circuits, score, outcome.shots)
            compare = {"pair_seed": case.seeds["mitigation"], "ideal": ideal}
            common["ideal"] = {"values": ideal, "source": source}
        out = []
        raw_settings = MitigationSettings()
        # every side reuses the loop's own final execution: no technique runs the same circuit again
        sides = [(raw_kind, mitigate_raw, raw_settings),
                 *((kind, mitigate, s) for kind, s in settings.mitigated().items())]
        raw_outcome = None
        for kind, technique, mitigation in sides:
            before = dict(device.clock.seconds)
            if raw_outcome is not None and not compare and _same_as_raw(mitigation, raw_settings):
                # no technique and the raw side's bootstrap: the same counts and seed give the raw
                # outcome, so it is taken instead of being scored and bootstrapped a second time
                m = raw_outcome
            else:
                m = technique(device, circuits, outcome.shots, score, mitigation,
                              np.random.default_rng(case.seeds["mitigation"]), counts=final, **compare)
            if kind == raw_kind:
                raw_outcome = m
            spent = {s: loop_timings[s] + device.clock.seconds[s] - before[s] for s in STAGES}
            # the mitigated time to solution is the loop plus the mitigation run itself
            extra = m.seconds if kind != raw_kind else 0.0
            metrics = {**m.metrics, "time_to_solution": _timing(loop_seconds + extra)}
            details = dict(m.details)
            counts = details.pop("counts", None)
            # The raw result keeps its counts for the distribution test; mitigated values come from
            # several noise-scaled executions and are not a distribution of counts.
            counts = counts if kind == raw_kind and isinstance(counts, dict) else None
            out.append(Result(**ident, baseline=kind, metrics=metrics, counts=counts, timings=spent,
                              resources={**loop_resources, "mitigation": dict(m.resources)},
                              lineage={**common, "device": device.lineage(),
                                       "mitigation": mitigation.model_dump(mode="json"),
                                       "mitigation_details": details, "started": started, "finished": _now()}))
        return out, outcome
    finally:
        if supports(device, Closeable):  # a real-hardware batch is closed when the tier ends
            device.close()


def run_tier(case: TierCase, tier: str, settings: Any, *, factory: DeviceFactory | None = None) -> TierRun:
    """Run ``tier`` of ``case`` with ``settings`` (the suite's block for the tier, as the run chose it).

    Args:
        case: the case (one trial of it).
        tier: one of :data:`harness.kinds.TIERS`.
        settings: the tier's settings; None for a classical tier the suite did not configure.
        factory: builds the device (see :data:`DeviceFactory`).

    Returns:
        The results of the tier's baseline kinds (:data:`harness.kinds.TIER_KINDS`), in order.

    Raises:
        Whatever the workload, the device or the mitigation raises: the caller classifies it.
    """
    if tier == CLASSICAL:
        return TierRun([_run_classical(case, settings)])
    results, outcome = _run_quantum(case, tier, settings, factory or _default_factory())
    lineage = {}
    if tier == SIMULATOR and getattr(settings, "cross_check", None) == "cirq":
        from harness.executors.cirq_device import cross_check_outcome, vendor_metric

        noise = settings.cross_check_noise
        lineage["cross_check"] = cross_check_outcome(outcome, case.seeds[SIMULATOR], noise=noise)
        extra = vendor_metric(lineage["cross_check"])  # vendor_tvd: the disagreement as a judged metric
        results = [replace(r, metrics={**r.metrics, **extra}) if r.status == "ok" else r for r in results]
    return TierRun(results, lineage)


def timed_solve(case: TierCase, tier: str, settings: Any,
                factory: DeviceFactory | None = None) -> tuple[Callable[[], tuple], Callable[..., Any]]:
    """The work :func:`run_tier` times as ``time_to_solution``, for repeated timing.

    Returns ``(setup, solve)``: ``setup()`` builds, untimed, what a run has before its clock starts
    (the problem, the classical settings or a new device, a new generator seeded as the run seeds
    it) and returns the arguments; ``solve(*setup())`` is the timed work: the classical heuristic,
    or the hybrid loop on that fresh device (transpilation included). The generator is always the
    last argument.
    """
    if tier == CLASSICAL:
        from harness.suite.schema import ClassicalSettings

        chosen = settings or ClassicalSettings()

        def setup_classical() -> tuple:
            return (case.workload.build(case.params, case.options), chosen,
                    np.random.default_rng(case.seeds[CLASSICAL]))
        return setup_classical, case.workload.classical

    make = factory or _default_factory()

    def setup_quantum() -> tuple:
        device = make(tier, settings, seed_transpiler=case.seeds["transpiler"], seed_simulator=case.seeds[tier])
        return (case.workload.build(case.params, case.options), device,
                np.random.default_rng(case.seeds["optimizer"]))
    return setup_quantum, case.workload.quantum


def estimate_tier(tier: str, settings: Any, *, loop: tuple[int, int], shots: int, trials: int,
                  mitigation_cost: Callable[[Any, int], tuple[int, int]]) -> list[tuple[str, int, int, str]]:
    """What :func:`run_tier` would execute, per baseline kind: ``(kind, circuits, shots, backend)``.

    Args:
        tier, settings: as for :func:`run_tier`.
        loop: (circuits, shots) of the hybrid loop over all trials (an upper bound).
        shots: shots per circuit of the case.
        trials: the suite's trials.
        mitigation_cost: ``(mitigation settings, shots) -> (circuits, shots)`` of one mitigated estimate.
    """
    if tier == CLASSICAL:
        return [(CLASSICAL, 0, 0, CLASSICAL)]
    if tier == SIMULATOR:
        return [(SIMULATOR, *loop, f"{settings.engine}_{settings.method}")]
    backend = settings.backend if isinstance(settings.backend, str) else "|".join(settings.backend)
    raw_kind = TIER_KINDS[tier][0]
    # the loop runs once (per trial) for every side; raw scores the loop's final execution
    rows = [(raw_kind, *loop, backend)]
    for kind, mitigation in settings.mitigated().items():
        circuits, mitigated_shots = mitigation_cost(mitigation, shots)
        rows.append((kind, trials * circuits, trials * mitigated_shots, backend))
    return rows
