"""``harness run`` and ``harness check``: run suites into a run record, or predict whether their metrics can decide."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from harness.cli.options import (DIRS, EXECUTION, project_dirs, quiet_progress, run_budget, scale_out_check,
                                 with_options)
from harness.cli.output import Progress, echo_sizing

__all__ = ["check", "run"]


@click.command()
@click.argument("suites", nargs=-1, type=click.Path(path_type=Path))
@with_options(DIRS)
@click.option("--seed", type=int, default=None, help="Override every suite's seed.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--resume", "resume", metavar="RUN_ID", default=None,
              help="Finish an interrupted run from its journal; journaled results are not run again.")
@with_options(EXECUTION)
def run(suites, baselines_dir, runs_dir, seed, quiet, resume, max_shots, max_circuits, max_seconds, cache,
        fallback, dry_run, workers, scheduler):
    """Run SUITES (files or folders) and write an immutable run record.

    \b
    Every finished result is journaled as it completes; if the run is interrupted,
      harness run --resume RUN_ID          finishes it without running those again.
    \b
    Cases are independent; spread them over processes or machines with Dask:
      harness run suites/ --workers 2                      a local cluster of 2 processes
      harness run suites/ --scheduler tcp://HOST:8786      an existing cluster
    """
    from harness.commands import dry_run as estimate, record_run

    if not suites and not resume:
        raise click.UsageError("give SUITES to run, or --resume RUN_ID")
    scale_out_check(workers, scheduler)
    baselines_dir, runs_dir, _ = project_dirs(suites, baselines_dir, runs_dir)
    budget = run_budget(max_shots, max_circuits, max_seconds)
    if dry_run:
        if not suites:
            raise click.UsageError("--dry-run needs SUITES")
        click.echo(estimate(suites, budget=budget, baselines_dir=baselines_dir, runs_dir=runs_dir))
        sys.exit(0)
    progress = Progress(not quiet_progress(quiet))
    start = time.perf_counter()
    record, path = record_run(list(suites), runs_dir=runs_dir, seed=seed, progress=progress, budget=budget,
                              cache=cache, fallback=fallback, resume=resume, workers=workers, scheduler=scheduler,
                              baselines_dir=baselines_dir)
    progress.close()
    echo_sizing(record.environment.get("sizing"))
    failed = [r for r in record.results if r.status == "failed"]
    click.echo(f"run {record.run_id}: {len(record.results)} results in {time.perf_counter() - start:.1f} s")
    for r in failed:
        click.echo(f"  FAILED {r.suite} {r.case_id} [{r.baseline}]: {r.error}", err=True)
    click.echo(f"record: {path}")
    sys.exit(3 if failed else 0)


@click.command()
@click.argument("suites", nargs=-1, required=True, type=click.Path(path_type=Path))
@with_options(DIRS)
@click.option("--alpha", type=click.FloatRange(1e-6, 0.5), default=0.01, show_default=True)
def check(suites, baselines_dir, runs_dir, alpha):
    """Predict, without running, whether every gating metric of SUITES can detect its tolerance.

    \b
    Lists each gating metric whose predicted minimum detectable effect (80 % power, at the level a
    lone regression needs among all gating metrics) exceeds its tolerance, with the shots or trials
    that would fix it. Exit 1 if any is underpowered, 0 otherwise.
    """
    from harness.commands import _sizing_record, plan_suites, predict_plans, size_plans
    from harness.drift.power import format_predictions

    baselines_dir, runs_dir, _ = project_dirs(suites, baselines_dir, runs_dir)
    plans, sizings = size_plans(plan_suites(list(suites)), baselines_dir=baselines_dir, runs_dir=runs_dir, alpha=alpha)
    echo_sizing(_sizing_record(sizings))
    preds = predict_plans(plans, baselines_dir=baselines_dir, runs_dir=runs_dir, alpha=alpha)
    click.echo(format_predictions(preds, alpha=alpha))
    sys.exit(1 if any(q.underpowered for q in preds) else 0)
