"""Run planned suites: every case on every declared baseline kind, with timings and lineage.

A tier that raises does not stop the run: its result is recorded as ``failed`` with the
error, and the gate later exits 3 for it. What a result says about where it came from is
complete enough to reproduce it (see :func:`_lineage`).
"""

from __future__ import annotations

import secrets
import time
import traceback
from datetime import datetime, timezone
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from harness.errors import HarnessError
from harness.executors.base import StageClock
from harness.kinds import CLASSICAL, HARDWARE, HARDWARE_RAW, SIMULATOR, TIER_KINDS, TIERS
from harness.lineage import derive_seeds, environment
from harness.orchestration.plan import CasePlan, SuitePlan
from harness.records import STAGES, Metric, Result, Run

if TYPE_CHECKING:
    import concurrent.futures

    from harness.store.journal import Journal
    from harness.orchestration.tiers import Attempt, Execution

__all__ = ["new_run_id", "run_case", "run_plans", "tier_groups", "timed_solve"]

Progress = Callable[[str, int, int], None]
"""Called as ``progress(label, index, total)`` before each case starts (index from 0)."""


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by time to the microsecond, unique across machines: ``20261121T235900.123456Z-3fa2c1``."""
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{secrets.token_hex(3)}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _timing(seconds: float) -> Metric:
    return Metric(value=seconds, kind="timing", n=1, samples=(seconds,), unit="s")


def _case_lineage(plan: SuitePlan, cp: CasePlan, seeds: dict[str, int], env: dict[str, Any]) -> dict[str, Any]:
    s = plan.suite
    return {
        "suite_file": str(s.path),
        "suite_sha256": s.sha256,
        "workload": plan.workload.name,
        "params": cp.params.model_dump(mode="json"),
        "options": plan.options.model_dump(mode="json"),
        "seed": s.model.seed,
        "seeds": seeds,
        "code": env["code"],
        "python": env["python"],
        "sdk": env["sdk"],
    }


def _run_classical(plan: SuitePlan, cp: CasePlan, seeds: dict[str, int], base: dict) -> Result:
    from harness.suite.schema import ClassicalSettings

    settings = plan.suite.model.baselines.classical or ClassicalSettings()
    clock = StageClock()
    started = _now()
    with clock.stage("preprocess"):
        problem = plan.workload.build(cp.params, plan.options)
    with clock.stage("execute"):
        t0 = time.perf_counter()
        outcome = plan.workload.classical(problem, settings, np.random.default_rng(seeds[CLASSICAL]))
        elapsed = time.perf_counter() - t0
    metrics = {**outcome.metrics, "time_to_solution": _timing(elapsed)}
    lineage = {**base, "tier": CLASSICAL, CLASSICAL: settings.model_dump(mode="json"),
               "info": dict(outcome.info), "started": started, "finished": _now()}
    return Result(suite=plan.suite.name, case_id=cp.case.case_id, baseline=CLASSICAL, tier=CLASSICAL,
                  status="ok", metrics=metrics, timings=clock.seconds, resources={}, lineage=lineage,
                  trace=outcome.trace)


def _run_quantum(plan: SuitePlan, cp: CasePlan, seeds: dict[str, int], base: dict, tier: str,
                 attempt: "Attempt | None" = None, settings: Any = None) -> list[Result]:
    """The simulator result, or the hardware raw and mitigated pair, of one case.

    ``attempt`` (from :func:`harness.orchestration.tiers.run_group`) supplies the guarded device;
    ``settings`` replaces the suite's block for this tier (fallback, remediation, backend choice).
    """
    from harness.executors import make_device
    from harness.mitigation import mitigate
    from harness.mitigation.raw import execute as mitigate_raw
    from harness.suite.schema import MitigationSettings

    settings = settings if settings is not None else getattr(plan.suite.model.baselines, tier)
    started = _now()
    build = attempt.device if attempt is not None else make_device
    device = build(tier, settings, seed_transpiler=seeds["transpiler"], seed_simulator=seeds[tier])
    closer = getattr(device, "close", None)  # a real-hardware batch is closed when the tier ends
    try:
        with device.clock.stage("preprocess"):
            problem = plan.workload.build(cp.params, plan.options)
        t0 = time.perf_counter()
        outcome = plan.workload.quantum(problem, device, np.random.default_rng(seeds["optimizer"]))
        if attempt is not None:
            attempt.outcome = outcome  # the cross-check reruns its final circuit(s)
        loop_seconds = time.perf_counter() - t0
        ident = dict(suite=plan.suite.name, case_id=cp.case.case_id, tier=tier, status="ok", trace=outcome.trace)
        common = {**base, "tier": tier, "settings": settings.model_dump(mode="json"),
                  "quantum": dict(outcome.info), "evaluations": len(outcome.trace)}
        # a multi-circuit workload (VQE: one circuit per Pauli basis) scores a list of distributions;
        # its counts stay in the lineage, since Result.counts is one distribution for the drift test
        multi = bool(getattr(plan.workload, "multi_circuit", False))
        if multi:
            common["counts_list"] = [dict(c) for c in outcome.counts_list]
        if tier == SIMULATOR:
            with device.clock.stage("postprocess"):
                if multi:
                    probs = [{k: v / sum(c.values()) for k, v in c.items()} for c in outcome.counts_list]
                    metrics = plan.workload.score(problem, probs, outcome.shots)
                else:
                    total = sum(outcome.counts.values())
                    metrics = plan.workload.score(problem, {k: v / total for k, v in outcome.counts.items()}, total)
            metrics["time_to_solution"] = _timing(loop_seconds)
            return [Result(**ident, baseline=SIMULATOR, metrics=metrics, counts=None if multi else dict(outcome.counts),
                           timings=dict(device.clock.seconds), resources=device.resources.to_dict(),
                           lineage={**common, "device": device.lineage(), "started": started, "finished": _now()})]

        def score(probs, shots):
            return plan.workload.score(problem, probs, shots)

        loop_timings = dict(device.clock.seconds)
        loop_resources = device.resources.to_dict()
        out = []
        raw_kind, mitigated_kind = TIER_KINDS[tier]
        for kind, technique, mitigation in (
            (raw_kind, mitigate_raw, MitigationSettings()),
            (mitigated_kind, mitigate, settings.mitigation),
        ):
            before = dict(device.clock.seconds)
            # raw scores the loop's own final execution rather than running the same circuit again
            reuse = {"counts": list(outcome.counts_list) if multi else [outcome.counts]} if kind == HARDWARE_RAW else {}
            m = technique(device, list(outcome.circuits) if multi else outcome.circuit, outcome.shots, score, mitigation,
                          np.random.default_rng(seeds["mitigation"]), **reuse)
            spent = {s: loop_timings[s] + device.clock.seconds[s] - before[s] for s in STAGES}
            metrics = {**m.metrics, "time_to_solution": _timing(loop_seconds)}
            details = dict(m.details)
            counts = details.pop("counts", None)
            # The raw result keeps its counts for the distribution test; mitigated values come from
            # several noise-scaled executions and are not a distribution of counts.
            counts = counts if kind == HARDWARE_RAW and isinstance(counts, dict) else None
            out.append(Result(**ident, baseline=kind, metrics=metrics, counts=counts, timings=spent,
                              resources={**loop_resources, "mitigation": dict(m.resources)},
                              lineage={**common, "device": device.lineage(), "mitigation": mitigation.model_dump(mode="json"),
                                       "mitigation_details": details, "started": started, "finished": _now()}))
        return out
    finally:
        if closer is not None:
            closer()


def _failed(plan: SuitePlan, cp: CasePlan, kinds: Iterable[str], tier: str, exc: BaseException | str,
            base: dict) -> list[Result]:
    if isinstance(exc, str):
        message = exc
    elif isinstance(exc, HarnessError):
        message = exc.message
    else:
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {frame.filename}:{frame.lineno}" if frame else ""
        message = f"{type(exc).__name__}: {exc}{where}"
    return [Result(suite=plan.suite.name, case_id=cp.case.case_id, baseline=k, tier=tier, status="failed",
                   lineage={**base, "tier": tier, "finished": _now()}, error=message) for k in kinds]


def _tier_settings(plan: SuitePlan, cp: CasePlan, tier: str, attempt: "Attempt") -> Any:
    """The settings a tier runs with: the suite's, a default simulator for a stand-in, the backend
    chosen among candidates, and any remediation overrides."""
    from harness.suite.schema import SimulatorSettings

    settings = getattr(plan.suite.model.baselines, tier) or (SimulatorSettings() if tier == SIMULATOR else None)
    if tier == HARDWARE and isinstance(settings.backend, list):
        from harness.orchestration.selection import select_backend

        width = getattr(cp.params, "n", None)
        chosen, why = select_backend(settings.backend, settings.policy, width if isinstance(width, int) else None)
        attempt.lineage["backend_selection"] = why
        settings = settings.model_copy(update={"backend": chosen})
    if attempt.overrides:
        settings = settings.model_copy(update=attempt.overrides)
    return settings


def _cross_check(settings: Any, attempt: "Attempt", seed: int) -> dict[str, Any]:
    """Aer versus cirq on the final circuit(s): the ``cross_check`` lineage entry (never raises)."""
    from harness.executors.cirq_device import cross_check

    outcome = attempt.outcome
    circuits = list(getattr(outcome, "circuits", None) or [outcome.circuit])
    counts = list(getattr(outcome, "counts_list", None) or [outcome.counts])
    try:
        checks = [cross_check(c, n, sum(n.values()), seed + i, noise=settings.cross_check_noise,
                              alpha=1e-3 / len(circuits))  # Bonferroni over the circuits of one result
                  for i, (c, n) in enumerate(zip(circuits, counts))]
    except Exception as exc:  # a cross-check that cannot run is reported, the result stands
        return {"engine": "cirq", "verdict": "error", "error": f"{type(exc).__name__}: {exc}"}
    worst = min(checks, key=lambda c: c["p_value"])
    return {**worst, "circuits": len(checks), "verdict": "disagree" if any(c["verdict"] == "disagree"
                                                                          for c in checks) else "agree"}


def _run_tier(plan: SuitePlan, cp: CasePlan, seeds: dict[str, int], base: dict, tier: str,
              attempt: "Attempt") -> list[Result]:
    """One tier of one case, as :func:`harness.orchestration.tiers.run_group` asks for it."""
    if tier == CLASSICAL:
        return [_run_classical(plan, cp, seeds, base)]
    settings = _tier_settings(plan, cp, tier, attempt)
    results = _run_quantum(plan, cp, seeds, base, tier, attempt=attempt, settings=settings)
    if attempt.cache_view is not None:
        results = [replace(r, resources={**r.resources, "cache": attempt.cache_view.to_dict()}) for r in results]
    if tier == SIMULATOR and getattr(settings, "cross_check", None) == "cirq" and attempt.outcome is not None:
        attempt.lineage["cross_check"] = _cross_check(settings, attempt, seeds[SIMULATOR])
    return results


_GROUPS = tuple((tier, TIER_KINDS[tier]) for tier in TIERS)


def tier_groups(plan: SuitePlan) -> list[tuple[str, tuple[str, ...]]]:
    """The (tier, baseline kinds) groups a case of ``plan`` runs, in run order."""
    kinds = plan.baseline_kinds
    return [(tier, group) for tier, group in _GROUPS if group[0] in kinds]


def run_case(plan: SuitePlan, cp: CasePlan, *, seed: int | None, env: dict[str, Any], execution: "Execution",
             done: "dict[tuple[str, str, str], Result] | None" = None,
             on_group: Callable[[list[Result]], None] | None = None) -> list[Result]:
    """Every tier group of one case, as :func:`run_plans` runs it (also the unit of work of a worker).

    Args:
        plan, cp: the suite and the case.
        seed: overrides the suite's seed (None: the suite's).
        env: the run-wide environment (:func:`harness.lineage.environment`), read once per run.
        execution: see ``Execution``.
        done: results already recorded by key (a resumed journal); their groups are not run again.
        on_group: called with each newly finished group's results (the serial run journals them).
    """
    from harness.orchestration.tiers import run_group

    from harness.orchestration.trials import merge_trials, trial_case_id

    suite_seed = plan.suite.model.seed if seed is None else seed
    contexts = []
    for trial in range(plan.suite.model.trials):
        seeds = derive_seeds(suite_seed, trial_case_id(cp.case.case_id, trial))
        base = _case_lineage(plan, cp, seeds, env)
        base["seed"] = suite_seed
        contexts.append((seeds, base))

    results: list[Result] = []
    for tier, group in tier_groups(plan):
        keys = [(plan.suite.name, cp.case.case_id, k) for k in group]
        if done is not None and all(k in done for k in keys):
            results += [done[k] for k in keys]  # recorded before an interruption
            continue
        per_trial = []
        for trial, (seeds, base) in enumerate(contexts):
            def run_tier(t: str, attempt, seeds=seeds, base=base) -> list[Result]:
                return _run_tier(plan, cp, seeds, base, t, attempt)

            def make_failed(ks, t, message, base=base) -> list[Result]:
                return _failed(plan, cp, ks, t, message, base)

            label = f"{plan.suite.name} {cp.case.case_id}{f' trial {trial}' if trial else ''} [{tier}]"
            per_trial.append(run_group(label, tier, group, run_tier, execution, make_failed))
        kinds = list(dict.fromkeys(r.baseline for r in per_trial[0]))
        group_results = [merge_trials([r for trial_results in per_trial for r in trial_results if r.baseline == k])
                         for k in kinds]
        if on_group is not None:
            on_group(group_results)
        results += group_results
    return results


def timed_solve(plan: SuitePlan, cp: CasePlan, tier: str, *,
                seed: int | None = None) -> tuple[Callable[[], tuple], Callable[..., Any]]:
    """The work the runner times as ``time_to_solution`` for one case and tier, for repeated timing.

    Returns ``(setup, solve)``: ``setup()`` builds, untimed, what a run has before its clock starts
    (the problem, the classical settings or a new device, a new generator seeded as the run seeds
    it) and returns the arguments; ``solve(*setup())`` is the timed work: the classical heuristic,
    or the hybrid loop on that fresh device (transpilation included). The generator is always the
    last argument. Used by the pytest plugin to repeat the measurement under pytest-benchmark.
    """
    from types import SimpleNamespace

    from harness.suite.schema import ClassicalSettings

    suite_seed = plan.suite.model.seed if seed is None else seed
    seeds = derive_seeds(suite_seed, cp.case.case_id)
    if tier == CLASSICAL:
        settings = plan.suite.model.baselines.classical or ClassicalSettings()

        def setup_classical() -> tuple:
            return (plan.workload.build(cp.params, plan.options), settings,
                    np.random.default_rng(seeds[CLASSICAL]))
        return setup_classical, plan.workload.classical

    from harness.executors import make_device

    # the same settings the runner would use (backend chosen among candidates; no remediation)
    chosen = _tier_settings(plan, cp, tier, SimpleNamespace(lineage={}, overrides={}))

    def setup_quantum() -> tuple:
        device = make_device(tier, chosen, seed_transpiler=seeds["transpiler"], seed_simulator=seeds[tier])
        return (plan.workload.build(cp.params, plan.options), device, np.random.default_rng(seeds["optimizer"]))
    return setup_quantum, plan.workload.quantum


def run_plans(plans: Iterable[SuitePlan], *, seed: int | None = None, progress: Progress | None = None,
              execution: "Execution | None" = None, journal: "Journal | None" = None,
              executor: "concurrent.futures.Executor | None" = None, slots: int | None = None) -> Run:
    """Execute every case of every plan on each declared baseline kind and return the immutable Run.

    Each tier group of a case runs as a job (:func:`harness.orchestration.tiers.run_group`): retried,
    remediated or handed down the fallback chain as its failure's cause allows.

    Args:
        plans: validated suites (see :func:`harness.orchestration.plan.plan_suite`).
        seed: overrides each suite's seed (a re-run with other seeds must not raise false alarms).
        progress: see :data:`Progress`.
        execution: retry policy, budget, cache and fallback settings (defaults: see ``Execution``).
        journal: every finished tier group is appended to it; groups it already holds are not
            run again (resume), and the run keeps the journal's run id.
        executor: run the cases as independent tasks on this ``concurrent.futures`` executor (one
            task per case, e.g. :func:`harness.orchestration.distributed.dask_executor`); results
            come back in the serial order and equal a serial run's for the same seeds. What stays
            with this process (journal, budget, progress) is described in
            :mod:`harness.orchestration.distributed`. None: run here, one case after another.
        slots: cases in flight at once with ``executor`` (default: 1 per case, i.e. all).
    """
    from harness.orchestration.tiers import Execution

    plans = list(plans)
    execution = execution or Execution()
    env = environment(".")
    run_id = journal.run_id if journal is not None else new_run_id()
    cases = [(plan, cp) for plan in plans for cp in plan.cases]
    results: list[Result] = []
    if executor is None:
        for index, (plan, cp) in enumerate(cases):
            if progress:
                progress(f"{plan.suite.name} {cp.case.case_id}", index, len(cases))
            results += run_case(plan, cp, seed=seed, env=env, execution=execution,
                                done=journal.done if journal is not None else None,
                                on_group=journal.append if journal is not None else None)
    else:
        from harness.orchestration.distributed import map_cases

        for case_results in map_cases(cases, executor, slots=slots or max(1, len(cases)), seed=seed, env=env,
                                      execution=execution, journal=journal, progress=progress):
            results += case_results
    suites = {p.suite.name: {"path": str(p.suite.path), "sha256": p.suite.sha256, "workload": p.workload.name,
                             "description": p.suite.model.description, "metrics": p.metric_specs()} for p in plans}
    if execution.meter is not None:
        env = {**env, "budget": execution.meter.to_dict()}
    created = journal.header["created"] if journal is not None else _now()
    return Run(run_id=run_id, created=created, results=tuple(results), suites=suites, environment=env)
