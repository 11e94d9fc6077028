"""Run planned suites: schedule every case on every declared tier, with its seeds and journal.

The work of one tier of one case (device, hybrid loop, raw and mitigated sides, scoring) is
:func:`harness.executors.tier.run_tier`; this module decides what runs: the cases in order (or
as tasks on an executor, :mod:`harness.orchestration.distributed`), each tier group as a job
(:func:`harness.orchestration.tiers.run_group`: retries, remediation, fallback), the settings a
tier runs with (backend choice among candidates), trials merged, groups journaled.

A tier that raises does not stop the run: its result is recorded as ``failed`` with the
error, and the gate later exits 3 for it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Iterable

from harness.executors.tier import TierCase, failed_results, run_tier
from harness.executors.tier import timed_solve as _timed_solve
from harness.kinds import HARDWARE, SIMULATOR
from harness.lineage import derive_seeds, environment
from harness.orchestration.jobs import utc_now
from harness.orchestration.plan import CasePlan, SuitePlan, progress_label
from harness.records import Result, Run

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


def _run_tier(plan: SuitePlan, cp: CasePlan, case: TierCase, tier: str, attempt: "Attempt") -> list[Result]:
    """One tier of one case, as :func:`harness.orchestration.tiers.run_group` asks for it."""
    ran = run_tier(case, tier, _tier_settings(plan, cp, tier, attempt), factory=attempt.device)
    attempt.lineage.update(ran.lineage)
    results = ran.results
    if attempt.cache_view is not None:
        results = [replace(r, resources={**r.resources, "cache": attempt.cache_view.to_dict()}) for r in results]
    return results


def tier_groups(plan: SuitePlan) -> list[tuple[str, tuple[str, ...]]]:
    """The (tier, baseline kinds) groups a case of ``plan`` runs, in run order."""
    return list(plan.tier_groups)


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
    cases = [plan.tier_case(cp, derive_seeds(suite_seed, trial_case_id(cp.case.case_id, trial)), env, seed=suite_seed)
             for trial in range(plan.suite.model.trials)]

    results: list[Result] = []
    for tier, group in tier_groups(plan):
        keys = [(plan.suite.name, cp.case.case_id, k) for k in group]
        if done is not None and all(k in done for k in keys):
            results += [done[k] for k in keys]  # recorded before an interruption
            continue
        per_trial = []
        for trial, case in enumerate(cases):
            def one_tier(t: str, attempt, case=case) -> list[Result]:
                return _run_tier(plan, cp, case, t, attempt)

            def make_failed(ks, t, message, case=case) -> list[Result]:
                return failed_results(case, ks, t, message)

            label = f"{plan.suite.name} {cp.case.case_id}{f' trial {trial}' if trial else ''} [{tier}]"
            per_trial.append(run_group(label, tier, group, one_tier, execution, make_failed))
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

    ``(setup, solve)`` of :func:`harness.executors.tier.timed_solve`, with the settings the runner
    would use (backend chosen among candidates; no remediation) and the case's seeds. Used by the
    pytest plugin to repeat the measurement under pytest-benchmark.
    """
    from types import SimpleNamespace

    suite_seed = plan.suite.model.seed if seed is None else seed
    case = plan.tier_case(cp, derive_seeds(suite_seed, cp.case.case_id), None)
    chosen = _tier_settings(plan, cp, tier, SimpleNamespace(lineage={}, overrides={}))
    return _timed_solve(case, tier, chosen)


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
                progress(progress_label(plan, cp, journal.done if journal is not None else None), index, len(cases))
            results += run_case(plan, cp, seed=seed, env=env, execution=execution,
                                done=journal.done if journal is not None else None,
                                on_group=journal.append if journal is not None else None)
    else:
        from harness.orchestration.distributed import map_cases

        for case_results in map_cases(cases, run_case, executor, slots=slots or max(1, len(cases)), seed=seed, env=env,
                                      execution=execution, journal=journal, progress=progress):
            results += case_results
    suites = {p.suite.name: {"path": str(p.suite.path), "sha256": p.suite.sha256, "workload": p.workload.name,
                             "description": p.suite.model.description, "metrics": p.metric_specs()} for p in plans}
    if execution.meter is not None:
        env = {**env, "budget": execution.meter.to_dict()}
    created = journal.header["created"] if journal is not None else utc_now()
    return Run(run_id=run_id, created=created, results=tuple(results), suites=suites, environment=env)
