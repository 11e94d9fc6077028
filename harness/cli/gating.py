"""``harness gate``: run suites, judge them against the stored baselines, write the reports; the nightly command."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from harness.cli.options import (DIRS, EXECUTION, OUT, PUBLISH, project_dirs, quiet_progress, run_budget,
                                 scale_out_check, strict_check, with_options)
from harness.cli.output import Progress, echo_json, echo_sizing, notify, print_outcome
from harness.errors import HarnessError

__all__ = ["gate_cmd"]


@click.command(name="gate")
@click.argument("suites", nargs=-1, required=True, type=click.Path(path_type=Path))
@with_options(DIRS)
@OUT
@click.option("--seed", type=int, default=None, help="Override every suite's seed.")
@click.option("--alpha", type=click.FloatRange(1e-6, 0.5), default=0.01, show_default=True)
@click.option("--strict", is_flag=True,
              help="A missing, fallback or orphaned baseline fails the gate; baselines must be as git has committed "
                   "them (use in nightly CI).")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the outcome as JSON on stdout (the schema of verdicts.json, plus record and reports; "
                   "see README, 'Reports and CI'); the other lines go to stderr.")
@with_options(PUBLISH)
@with_options(EXECUTION)
def gate_cmd(suites, baselines_dir, runs_dir, out_dir, seed, alpha, strict, quiet, as_json, base_ref, report_url,
             webhook_url,
             max_shots, max_circuits, max_seconds, cache, fallback, dry_run, workers, scheduler):
    """Run SUITES, compare with the stored baselines, write reports, exit 1 on regression."""
    from harness.commands import dry_run as estimate, gate

    scale_out_check(workers, scheduler)
    baselines_dir, runs_dir, out_dir = project_dirs(suites, baselines_dir, runs_dir, out_dir)
    budget = run_budget(max_shots, max_circuits, max_seconds)
    if dry_run:
        if as_json:
            raise click.UsageError("--json prints a gate's outcome; --dry-run runs nothing: give one of them")
        click.echo(estimate(suites, budget=budget, baselines_dir=baselines_dir, runs_dir=runs_dir))
        sys.exit(0)
    if strict:  # before running: a doomed strict gate fails in seconds
        strict_check(baselines_dir)
    base = None
    if base_ref:  # before running, too: a wrong reference costs seconds, not a whole run
        from harness.store import load_run, resolve_run

        base = load_run(resolve_run(base_ref, runs_dir))
    progress = Progress(not quiet_progress(quiet))
    start = time.perf_counter()
    try:
        done = gate(suites, baselines_dir=baselines_dir, runs_dir=runs_dir, out_dir=out_dir, seed=seed,
                    alpha=alpha, strict=strict, progress=progress, budget=budget, cache=cache, fallback=fallback,
                    workers=workers, scheduler=scheduler, report_url=report_url, base_run=base)
    except HarnessError as exc:  # exit 4 after the record and reports were written: --json says so too
        written = getattr(exc, "gate_run", None)
        if as_json and written is not None:
            progress.close()
            echo_json(written)
        raise
    progress.close()
    echo_sizing(done.run.environment.get("sizing"), err=as_json)
    print_outcome(done.run, done.outcome, time.perf_counter() - start, err=as_json)
    click.echo(f"record: {done.run_path}", err=as_json)
    click.echo(f"report: {done.reports['html']}", err=as_json)
    if as_json:
        echo_json(done)
    notify(webhook_url, done.run, done.outcome, done.stored, report_url)
    sys.exit(done.code)
