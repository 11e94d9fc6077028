"""The verbs of the harness as plain functions, shared by the CLI and the pytest plugin.

Each takes plain arguments (paths, numbers) so tests call them without a command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from harness.drift.outcome import EXIT_EXECUTION, EXIT_INVALID, EXIT_OK, EXIT_REGRESSION, GateOutcome, gate_outcome
from harness.drift.verdict import Verdict
from harness.records import Result, Run

__all__ = ["EXIT_EXECUTION", "EXIT_INVALID", "EXIT_OK", "EXIT_REGRESSION", "GateRun", "check", "compare_run",
           "dry_run", "gate", "judge_run", "learn_from", "open_history", "plan_suites", "planned_metrics",
           "predict_plans", "record_run", "run_suites", "size_plans"]


def plan_suites(paths: Iterable[str | Path], *, check_width: bool = True):
    """Load and validate suites (files or folders) against their workloads.

    ``check_width``: refuse a case wider than its fake backend now (off when a fallback may take it).
    """
    from harness.orchestration.plan import plan_suite
    from harness.suite import load_suites

    return [plan_suite(s, check_width=check_width) for s in load_suites(paths)]


def run_suites(paths: Iterable[str | Path], *, seed: int | None = None,
               progress: Callable[[str, int, int], None] | None = None, only: Callable[[str, str], bool] | None = None,
               execution=None, journal=None) -> Run:
    """Run every case of the suites at ``paths``; ``only(suite, case_id)`` narrows the cases.

    ``execution`` and ``journal`` are passed to :func:`harness.orchestration.runner.run_plans`.
    """
    from harness.orchestration.runner import run_plans

    plans = plan_suites(paths)
    if only is not None:
        plans = [replace(p, cases=tuple(c for c in p.cases if only(p.suite.name, c.case.case_id))) for p in plans]
    return run_plans(plans, seed=seed, progress=progress, execution=execution, journal=journal)


def _execution(runs_dir: Path, budget, cache: bool, fallback: bool):
    from harness.orchestration.budget import BudgetMeter
    from harness.store.cache import ResultCache
    from harness.orchestration.tiers import Execution

    return Execution(meter=BudgetMeter(budget) if budget is not None else None,
                     cache=ResultCache(Path(runs_dir) / "cache") if cache else None, fallback=fallback)


def _scale_out(workers: int | None, scheduler: str | None):
    """The Dask executor asked for, or a context holding None (a serial run)."""
    from contextlib import nullcontext

    if workers is None and scheduler is None:
        return nullcontext(None)
    if workers is not None and scheduler is not None:
        from harness.errors import UnsupportedError

        raise UnsupportedError(f"both workers ({workers}) and a scheduler ({scheduler}) were given",
                               hint="pass --workers N for a local cluster, or --scheduler ADDRESS for an existing one")
    from harness.orchestration.distributed import dask_executor

    return dask_executor(workers=workers, scheduler=scheduler)


def record_run(paths: Sequence[str | Path], *, runs_dir: Path, seed: int | None = None,
               progress: Callable[[str, int, int], None] | None = None, budget=None, cache: bool = True,
               fallback: bool = False, resume: str | None = None, workers: int | None = None,
               scheduler: str | None = None, out_dir: Path | None = None,
               with_history: bool = False, baselines_dir: Path | None = None) -> tuple[Run, Path]:
    """Run suites with a journal, write the run record, and return it with its path.

    Every finished tier group is journaled (``<runs_dir>/<run_id>.journal.jsonl``) before the run
    moves on; ``resume=RUN_ID`` continues an interrupted run from its journal (same run id, suites
    and seed; groups already journaled are not run again).

    Args:
        paths: suite files or folders (with ``resume``: empty to reuse the journal's).
        runs_dir: where records, journals and the cache live.
        budget: a :class:`harness.orchestration.budget.Budget`, or None for no limits.
        cache: serve identical seeded simulator jobs from ``<runs_dir>/cache``.
        fallback: let a failed tier hand over to the next of hardware -> simulator -> classical.
        workers: run the cases on a local Dask cluster of this many worker processes.
        scheduler: run the cases on the Dask cluster of this scheduler address. Results, their
            order and the journal are as in a serial run (see :mod:`harness.orchestration.distributed`).
        out_dir, with_history: also checked before anything runs (the report folder; the history
            database in ``runs_dir``), as ``runs_dir`` always is (see :mod:`harness.store.preflight`).
        baselines_dir: the stored baselines that size the shots of suites asking for it
            (``precision: {auto_shots: true}``, :mod:`harness.orchestration.sizing`); what was
            chosen is in the run's ``environment["sizing"]`` and the journal, so a resume keeps it.

    Raises:
        BaselineError: ``resume`` names no interrupted run, a finished one, or a suite changed since.
        ResourceError: a folder, the disk or the history is unusable (exit 4); raised before the
            run when found by the preflight, else with the run id to resume.
        UnsupportedError: both ``workers`` and ``scheduler``, or dask.distributed is not installed.
    """
    from harness.errors import BaselineError
    from harness.store.journal import Journal, journal_path, read_journal
    from harness.orchestration.jobs import utc_now
    from harness.orchestration.runner import new_run_id
    from harness.store import write_run

    from harness.store.preflight import preflight

    execution = _execution(runs_dir, budget, cache, fallback)
    if resume is not None:
        journal_file = journal_path(runs_dir, resume)  # refuses what is not a run id
        if (Path(runs_dir) / f"{resume}.json").exists():
            raise BaselineError(f"run {resume} is complete: its record exists in {runs_dir}",
                                hint="resume only an interrupted run; start a new one with `harness run SUITES`")
        journal = read_journal(journal_file)
        paths = list(paths) or journal.header["suites"]
        seed = journal.header.get("seed") if seed is None else seed
        plans = _sized(plan_suites(paths, check_width=not fallback), journal.header.get("sizing", {}))
        changed = [p.suite.name for p in plans
                   if journal.header.get("sha256", {}).get(p.suite.name, p.suite.sha256) != p.suite.sha256]
        if changed:
            raise BaselineError(f"run {resume}: suite(s) {', '.join(changed)} changed since the run started",
                                hint="results of two suite versions cannot share a run; start a new run")
        preflight(runs_dir=runs_dir, out_dir=out_dir, history=with_history)
    else:
        plans, sizings = size_plans(plan_suites(paths, check_width=not fallback), baselines_dir=baselines_dir,
                                    runs_dir=runs_dir)
        preflight(runs_dir=runs_dir, out_dir=out_dir, history=with_history)
        journal = Journal.create(runs_dir, new_run_id(), utc_now(), [str(p) for p in paths], seed,
                                 {"sha256": {p.suite.name: p.suite.sha256 for p in plans},
                                  "sizing": _sizing_record(sizings)})
    from harness.orchestration.runner import run_plans

    try:
        with _scale_out(workers, scheduler) as out:
            run = run_plans(plans, seed=seed, progress=progress, execution=execution, journal=journal,
                            executor=out.executor if out else None, slots=out.slots if out else None)
        if out is not None:
            run = replace(run, environment={**run.environment, "scale_out": out.info})
        # whether whole folders of suites were collected: their stored baselines are all expected (orphans)
        run = replace(run, environment={**run.environment, "collected_folder": any(Path(p).is_dir() for p in paths)})
        if journal.header.get("sizing"):
            run = replace(run, environment={**run.environment, "sizing": journal.header["sizing"]})
        path = write_run(run, runs_dir)
    except KeyboardInterrupt as exc:  # Ctrl-C: what finished is journaled (kept); say how to finish the run
        exc.resume_command = f"harness run --resume {journal.run_id} --runs-dir {runs_dir}"
        raise
    except Exception as exc:
        from harness.store.faults import interrupted

        fault = interrupted(exc, journal, runs_dir)
        if fault is exc:
            raise
        raise fault from exc
    journal.close()
    return run, path


def dry_run(paths: Iterable[str | Path], *, budget=None, baselines_dir: Path | None = None,
            runs_dir: Path | None = None) -> str:
    """What running ``paths`` would execute and cost (cases x baseline kinds, circuits, shots); runs nothing.

    A custom workload's module is not imported: the text says which file each suite would import.
    Suites asking the harness to size their shots are estimated at the sized shots (``baselines_dir``).
    """
    from harness.orchestration.budget import estimate_plans, format_estimate
    from harness.orchestration.plan import plan_suite, plan_without_code
    from harness.suite import load_suites
    from harness.workloads.custom import is_custom

    plans, imports = [], []
    for suite in load_suites(paths):
        if is_custom(suite.model.workload):
            plan = plan_without_code(suite)
            imports.append(f"  {suite.name}: {suite.model.workload} from {plan.workload.source} (not imported)")
        else:
            plan = plan_suite(suite)
        plans.append(plan)
    plans, sizings = size_plans(plans, baselines_dir=baselines_dir, runs_dir=runs_dir)
    text = format_estimate(estimate_plans(plans), budget)
    if sizings:
        text += "\nshots sized by precision: auto_shots (the estimate uses them):\n" + "\n".join(
            "  " + z.describe().replace("\n", "\n  ") for z in sizings)
    if imports:
        text += ("\nsuite code a run would import (review it like code; the estimate assumes one circuit of "
                 "`shots` per case):\n" + "\n".join(imports))
    return text


def planned_metrics(plans) -> list:
    """The gating metrics a run of ``plans`` will judge (:class:`harness.drift.power.Planned`), in run order."""
    from harness.drift.power import Planned

    out = []
    for plan in plans:
        trials = int(getattr(plan.suite.model, "trials", 1) or 1)
        specs = plan.metric_specs()
        for cp in plan.cases:
            shots = int(getattr(cp.params, "shots", 0) or 0)
            for kind in plan.baseline_kinds:
                for name, spec in specs.items():
                    if spec.get("gate", True) and (not spec.get("kinds") or kind in spec["kinds"]):
                        out.append(Planned(plan.suite.name, cp.case.case_id, kind, name, spec["kind"], spec["better"],
                                           float(spec.get("tolerance", 0.0)), bool(spec.get("relative", False)),
                                           shots, trials))
    return out


def _amplification(plans) -> dict:
    """The mitigation's variance amplification per planned mitigated result, where the technique knows it."""
    try:
        from harness.mitigation.registry import variance_amplification
    except ImportError:  # techniques that cannot say: worst case is not assumed, 1 is (stated in the basis)
        return {}
    out = {}
    for plan in plans:
        hw = plan.suite.model.baselines.hardware
        if hw is None:
            continue
        for kind, mitigation in hw.mitigated().items():  # hardware.mitigated and each compared strategy
            amp = variance_amplification(mitigation)
            if amp is not None:
                out.update({(plan.suite.name, cp.case.case_id, kind): float(amp) for cp in plan.cases})
    return out


def check(paths: Iterable[str | Path], *, baselines_dir: Path, runs_dir: Path | None = None, alpha: float = 0.01):
    """Predict, before running, the minimum detectable effect of every gating metric of ``paths``.

    Uses the stored baselines' standard errors, the planned shots and trials (as sized, for a suite
    that asks the harness to size them), the mitigation's variance amplification and the excess
    variance the history teaches (see :mod:`harness.drift.power`). Returns the predictions.
    """
    plans, _ = size_plans(plan_suites(paths), baselines_dir=baselines_dir, runs_dir=runs_dir, alpha=alpha)
    return predict_plans(plans, baselines_dir=baselines_dir, runs_dir=runs_dir, alpha=alpha)


def size_plans(plans, *, baselines_dir: Path | None, runs_dir: Path | None = None, alpha: float = 0.01):
    """``plans`` with the shots of suites asking for it sized (:mod:`harness.orchestration.sizing`), and what was chosen."""
    if baselines_dir is None or not any(p.suite.model.precision.auto_shots for p in plans):
        return plans, []
    from harness.orchestration.sizing import size_shots

    return size_shots(plans, predict_plans(plans, baselines_dir=baselines_dir, runs_dir=runs_dir, alpha=alpha))


def _sizing_record(sizings) -> dict:
    return {f"{z.suite}/{z.case_id}": {"declared": z.declared, "shots": z.shots, "notes": list(z.notes)}
            for z in sizings}


def _sized(plans, record: Mapping[str, Mapping]) -> list:
    """``plans`` with the shots a journal's sizing chose (a resumed run keeps its precision)."""
    from harness.orchestration.sizing import Sizing, apply_sizing

    return apply_sizing(plans, [Sizing(*key.split("/", 1), int(v["declared"]), int(v["shots"]))
                                for key, v in record.items()])


def predict_plans(plans, *, baselines_dir: Path, runs_dir: Path | None = None, alpha: float = 0.01):
    """The power predictions of :func:`check` for already planned suites."""
    from harness.drift.power import predict
    from harness.store import load_baselines

    planned = planned_metrics(plans)
    stored = load_baselines(baselines_dir, {(p.suite, p.case_id) for p in planned})
    history = open_history(runs_dir) if runs_dir is not None else None
    excess = {}
    if history is not None and stored:
        # tonight's configuration is not known before running: the stored baseline's stands for it
        excess = learn_from(history, Run("check", "", tuple(stored.values())), stored)
    return predict(planned, stored, alpha=alpha, excess=excess, amplification=_amplification(plans))


def open_history(runs_dir: Path, *, create: bool = False):
    """The run history beside the run records (``<runs_dir>/history.sqlite``), or None if absent."""
    from harness.store.history import History

    path = Path(runs_dir) / "history.sqlite"
    return History(path) if create or path.exists() else None


def compare_run(run: Run, baselines_dir: Path, *, alpha: float = 0.01, history=None,
                timings: Mapping | None = None,
                baseline_timings: Mapping | None = None) -> tuple[list[Verdict], Mapping[tuple, Result]]:
    """Verdicts of ``run`` against the stored baselines, and those baselines.

    With a ``history``, proportions and expectation values also carry the excess variance the
    history shows beyond shot noise (seeds, optimizer starts, device drift), learned only from
    accepted nights under the same judged configuration and stored baseline
    (:mod:`harness.drift.learning`).

    ``timings`` and ``baseline_timings`` map (suite, case id, baseline kind) to a timing metric
    with repeats (from a pytest-benchmark JSON, see
    :func:`harness.store.benchmark_files.timings_from_json`); they replace ``time_to_solution`` of
    the run's results and of the stored baselines, so timings are judged on real repeats.
    """
    from harness.drift import compare
    from harness.drift.benchmark_json import apply_timings
    from harness.store import stored_for

    stored = stored_for(run, baselines_dir)
    if timings:
        run = replace(run, results=apply_timings(run.results, timings))
    if baseline_timings:
        stored = dict(zip(stored, apply_timings(stored.values(), baseline_timings)))
    excess = learn_from(history, run, stored) if history is not None else None
    return compare(run, stored, alpha=alpha, history_excess=excess), stored


def learn_from(history, run: Run, stored: Mapping[tuple, Result]) -> dict:
    """The excess variance ``history`` teaches about ``run`` (see :mod:`harness.drift.learning`)."""
    from harness.drift.learning import EXCESS_WINDOW, excess_keys, learned_excess

    keys = [(*res.key, name) for res, name in excess_keys(run)]
    return learned_excess(run, stored, history.series_many(keys, limit=EXCESS_WINDOW + 1))


def judge_run(run: Run, baselines_dir: Path, *, alpha: float = 0.01, strict: bool = False, history=None,
              timings: Mapping | None = None, baseline_timings: Mapping | None = None,
              all_suites: bool | None = None) -> tuple[GateOutcome, Mapping[tuple, Result]]:
    """The gate's one judgement of ``run``: its outcome (verdicts, statuses, exit code) and the baselines read.

    Every entry point (``harness gate``, ``harness compare``, ``harness report``, ``pytest suites/``)
    judges through here, so they agree verdict by verdict for the same run, baselines and history.

    ``all_suites``: the run collected whole folders of suites, so a stored baseline of any suite it
    did not run is orphaned (see :func:`harness.store.project.orphaned_baselines`); None reads it
    from the run record (``environment["collected_folder"]``).
    """
    from harness.store.project import orphaned_baselines

    verdicts, stored = compare_run(run, baselines_dir, alpha=alpha, history=history, timings=timings,
                                   baseline_timings=baseline_timings)
    if all_suites is None:
        all_suites = bool(run.environment.get("collected_folder", False))
    orphaned = orphaned_baselines(baselines_dir, run, all_suites=all_suites)
    return gate_outcome(run, verdicts, strict=strict, orphaned=orphaned, baselines=str(baselines_dir)), stored


@dataclass(frozen=True)
class GateRun:
    """What ``gate`` did: the run, where its record is, the outcome, and the reports written."""

    run: Run
    run_path: Path
    outcome: GateOutcome
    reports: Mapping[str, Path]
    stored: Mapping[tuple, Result] = field(default_factory=dict)
    """The stored baselines the run was judged against."""

    @property
    def verdicts(self) -> list[Verdict]:
        return list(self.outcome.verdicts)

    @property
    def code(self) -> int:
        return self.outcome.code


def gate(paths: Iterable[str | Path], *, baselines_dir: Path, runs_dir: Path, out_dir: Path,
         seed: int | None = None, alpha: float = 0.01, strict: bool = False,
         progress: Callable[[str, int, int], None] | None = None, budget=None, cache: bool = True,
         fallback: bool = False, workers: int | None = None, scheduler: str | None = None,
         report_url: str | None = None, base_run: Run | None = None) -> GateRun:
    """The nightly command: run, record, compare with the stored baselines, report, and decide.

    ``budget``, ``cache``, ``fallback``, ``workers`` and ``scheduler`` are as in :func:`record_run`;
    ``report_url`` is where the HTML report will be published (linked from the Markdown outputs);
    ``base_run``, the base branch's run record, adds what moved against it to ``comment.md``.
    """
    from harness.report import write_reports

    from harness.errors import ResourceError

    run, run_path = record_run(list(paths), runs_dir=runs_dir, seed=seed, progress=progress, budget=budget,
                               cache=cache, fallback=fallback, workers=workers, scheduler=scheduler,
                               out_dir=out_dir, with_history=True, baselines_dir=baselines_dir)
    # The run is recorded: from here a failing history must not cost the verdicts or the reports.
    fault, history = None, None
    try:
        history = open_history(runs_dir, create=True)
    except ResourceError as exc:
        fault = exc
    outcome, stored = judge_run(run, baselines_dir, alpha=alpha, strict=strict, history=history)
    if history is not None:
        from harness.drift.learning import learning_tags

        try:
            history.append(run, outcome.verdicts, learning_tags(run, stored))
        except ResourceError as exc:
            fault, history = exc, None
    if fault is not None:  # the reports say so: the failure is their first reason, exit 4
        from harness.drift.outcome import EXIT_ENVIRONMENT

        outcome = replace(outcome, code=EXIT_ENVIRONMENT,
                          reasons=(f"the history was not used: {fault.message}", *outcome.reasons))
    reports = write_reports(run, outcome, stored, out_dir, history=history, report_url=report_url, base_run=base_run)
    if fault is not None:
        fault.message += (f"; the run record {run_path} and the reports in {out_dir} were written, judged "
                          "without the history, and the run is not in it")
        fault.gate_run = GateRun(run, run_path, outcome, reports, stored)  # for `gate --json`: what was written
        raise fault
    return GateRun(run, run_path, outcome, reports, stored)
