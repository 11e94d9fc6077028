"""The verbs of the harness as plain functions, shared by the CLI and the pytest plugin.

Each takes plain arguments (paths, numbers) so tests call them without a command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from harness.drift.verdict import Verdict
from harness.records import Result, Run

__all__ = ["EXIT_EXECUTION", "EXIT_INVALID", "EXIT_OK", "EXIT_REGRESSION", "GateOutcome",
           "compare_run", "exit_code", "gate", "plan_suites", "run_suites"]

EXIT_OK, EXIT_REGRESSION, EXIT_INVALID, EXIT_EXECUTION = 0, 1, 2, 3


def plan_suites(paths: Iterable[str | Path]):
    """Load and validate suites (files or folders) against their workloads."""
    from harness.orchestration.plan import plan_suite
    from harness.suite import load_suites

    return [plan_suite(s) for s in load_suites(paths)]


def run_suites(paths: Iterable[str | Path], *, seed: int | None = None,
               progress: Callable[[str, int, int], None] | None = None, only: Callable[[str, str], bool] | None = None) -> Run:
    """Run every case of the suites at ``paths``; ``only(suite, case_id)`` narrows the cases."""
    from dataclasses import replace

    from harness.orchestration.runner import run_plans

    plans = plan_suites(paths)
    if only is not None:
        plans = [replace(p, cases=tuple(c for c in p.cases if only(p.suite.name, c.case.case_id))) for p in plans]
    return run_plans(plans, seed=seed, progress=progress)


def compare_run(run: Run, baselines_dir: Path, *, alpha: float = 0.01) -> tuple[list[Verdict], Mapping[tuple, Result]]:
    """Verdicts of ``run`` against the stored baselines, and those baselines."""
    from harness.drift import compare
    from harness.store import stored_for

    stored = stored_for(run, baselines_dir)
    return compare(run, stored, alpha=alpha), stored


def exit_code(run: Run, verdicts: Sequence[Verdict], *, strict: bool = False) -> int:
    """3 if a case failed to execute, else 1 on a gating regression (or, if strict, a missing baseline), else 0."""
    if any(r.status == "failed" for r in run.results):
        return EXIT_EXECUTION
    if any(v.gate for v in verdicts):
        return EXIT_REGRESSION
    if strict and any(v.status == "no_baseline" for v in verdicts):
        return EXIT_REGRESSION
    return EXIT_OK


@dataclass(frozen=True)
class GateOutcome:
    run: Run
    run_path: Path
    verdicts: list[Verdict]
    reports: Mapping[str, Path]
    code: int


def gate(paths: Iterable[str | Path], *, baselines_dir: Path, runs_dir: Path, out_dir: Path,
         seed: int | None = None, alpha: float = 0.01, strict: bool = False,
         progress: Callable[[str, int, int], None] | None = None) -> GateOutcome:
    """The nightly command: run, record, compare with the stored baselines, report, and decide."""
    from harness.report import write_reports
    from harness.store import write_run

    run = run_suites(paths, seed=seed, progress=progress)
    run_path = write_run(run, runs_dir)
    verdicts, stored = compare_run(run, baselines_dir, alpha=alpha)
    reports = write_reports(run, verdicts, stored, out_dir)
    return GateOutcome(run, run_path, verdicts, reports, exit_code(run, verdicts, strict=strict))
