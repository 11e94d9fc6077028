"""``harness compare`` and ``harness report``: judge a run record against the stored baselines, and render it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from harness.cli.options import DIRS, OUT, PUBLISH, project_dirs, strict_check, with_options
from harness.cli.output import notify

__all__ = ["compare", "report"]


@click.command()
@click.argument("run_ref", metavar="RUN", default="latest")
@with_options(DIRS)
@click.option("--alpha", type=click.FloatRange(1e-6, 0.5), default=0.01, show_default=True,
              help="Family-wise false-alarm rate of the gate.")
@click.option("--json", "as_json", is_flag=True, help="Print verdicts as JSON.")
@click.option("--strict", is_flag=True,
              help="A missing, fallback or orphaned baseline fails the gate; baselines must be as git has committed them.")
@click.option("--timings", "timings_file", type=click.Path(path_type=Path), default=None,
              help="pytest-benchmark JSON of this run's cases: time_to_solution is judged on its rounds.")
@click.option("--baseline-timings", "baseline_timings_file", type=click.Path(path_type=Path), default=None,
              help="pytest-benchmark JSON of the baseline's cases (default: the repeats stored in the baselines).")
def compare(run_ref, baselines_dir, runs_dir, alpha, as_json, strict, timings_file, baseline_timings_file):
    """Judge RUN against the stored baselines; exit 1 on a regression.

    \b
    Timings on real repeats (see README, pytest-benchmark):
      pytest suites/ --harness-benchmark --benchmark-json new.json
      harness compare latest --timings new.json [--baseline-timings old.json]
    """
    from harness.commands import judge_run, open_history
    from harness.store.benchmark_files import timings_from_json
    from harness.report import render_markdown, verdicts_json
    from harness.store import load_run, resolve_run

    baselines_dir, runs_dir, _ = project_dirs((), baselines_dir, runs_dir)
    if strict:
        strict_check(baselines_dir)
    record = load_run(resolve_run(run_ref, runs_dir))
    timings = timings_from_json(timings_file) if timings_file is not None else None
    baseline_timings = timings_from_json(baseline_timings_file) if baseline_timings_file is not None else None
    for name, table in ((timings_file, timings), (baseline_timings_file, baseline_timings)):
        if table is not None and not any(r.key in table for r in record.results):
            click.echo(f"warning: no benchmark in {name} times a result of run {record.run_id}", err=True)
    outcome, _ = judge_run(record, baselines_dir, alpha=alpha, strict=strict, history=open_history(runs_dir),
                           timings=timings, baseline_timings=baseline_timings)
    if as_json:
        click.echo(json.dumps(verdicts_json(record, outcome), indent=2))
    else:
        click.echo(render_markdown(record, outcome))
    sys.exit(outcome.code)


@click.command()
@click.argument("run_ref", metavar="RUN", default="latest")
@with_options(DIRS)
@OUT
@click.option("--alpha", type=click.FloatRange(1e-6, 0.5), default=0.01, show_default=True)
@click.option("--strict", is_flag=True, help="Judge as a strict gate (missing, fallback, orphaned baselines fail).")
@with_options(PUBLISH)
def report(run_ref, baselines_dir, runs_dir, out_dir, alpha, strict, base_ref, report_url, webhook_url):
    """Write the HTML report (and CI outputs) of RUN and print the gate's outcome for it."""
    from harness.commands import judge_run, open_history
    from harness.report import write_reports
    from harness.store import load_run, resolve_run
    from harness.store.preflight import check_folder

    baselines_dir, runs_dir, out_dir = project_dirs((), baselines_dir, runs_dir, out_dir)
    if strict:
        strict_check(baselines_dir)
    record = load_run(resolve_run(run_ref, runs_dir))
    base = load_run(resolve_run(base_ref, runs_dir)) if base_ref else None
    check_folder(out_dir, "output", "--out")  # a file, a read-only or full disk: named before judging
    history = open_history(runs_dir)
    outcome, stored = judge_run(record, baselines_dir, alpha=alpha, strict=strict, history=history)
    paths = write_reports(record, outcome, stored, out_dir, history=history, report_url=report_url, base_run=base)
    click.echo(outcome.headline())
    click.echo(f"report: {paths['html']}")
    notify(webhook_url, record, outcome, stored, report_url)
