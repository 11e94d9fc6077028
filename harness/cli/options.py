"""The options several commands share, and the folders a command writes (its project's, unless given)."""

from __future__ import annotations

from pathlib import Path

import click

from harness.errors import HarnessError

__all__ = ["DIRS", "EXECUTION", "OUT", "PUBLISH", "SESSION", "project_dirs", "quiet_progress", "run_budget",
           "scale_out_check", "strict_check", "with_options"]


def with_options(options):
    """Decorate a command with each of ``options``, in the order listed (as its help shows them)."""
    def decorate(fn):
        for opt in reversed(options):
            fn = opt(fn)
        return fn
    return decorate


DIRS = [
    click.option("--baselines", "baselines_dir", type=click.Path(path_type=Path), default=None,
                 help="Folder of stored baselines (reviewed like code). Default: baselines/ of the project root "
                      "(found from the suites, else from the current directory: see README, 'Where files live')."),
    click.option("--runs-dir", type=click.Path(path_type=Path), default=None,
                 help="Folder where run records are written. Default: .runs/ of the project root."),
]
OUT = click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
                   help="Folder of the reports. Default: reports/ of the project root.")


def _url(ctx, param, value):
    if not value:  # nothing to check: the report package (jinja2, scipy) is not imported for it
        return None
    from harness.report import check_report_url

    try:
        return check_report_url(value)
    except HarnessError as exc:
        raise click.BadParameter(str(exc)) from None  # the message and, on its own line, the fix


PUBLISH = [
    click.option("--base-run", "base_ref", default=None, metavar="RUN",
                 help="The base branch's run record (an id in --runs-dir or a path): comment.md adds what moved "
                      "against it (the verdicts stay against the stored baselines)."),
    click.option("--report-url", envvar="QHARNESS_REPORT_URL", default=None, callback=_url, metavar="URL",
                 help="Where index.html will be published: linked from summary.md and comment.md "
                      "[env: QHARNESS_REPORT_URL]. Without it the Markdown has no link."),
    click.option("--webhook", "webhook_url", envvar="QHARNESS_WEBHOOK_URL", default=None, metavar="URL",
                 help="POST the outcome as JSON to URL once the reports are written [env: QHARNESS_WEBHOOK_URL]; "
                      "a failed post is a warning and never changes the exit code."),
]

EXECUTION = [
    click.option("--max-shots", type=click.IntRange(1), default=None, help="Run budget: shots over all jobs."),
    click.option("--max-circuits", type=click.IntRange(1), default=None, help="Run budget: circuits over all jobs."),
    click.option("--max-seconds", type=click.FloatRange(0, min_open=True), default=None,
                 help="Run budget: wall seconds; cases not started by then are cancelled."),
    click.option("--cache/--no-cache", default=True, show_default=True,
                 help="Serve identical seeded simulator jobs from <runs-dir>/cache."),
    click.option("--fallback", is_flag=True,
                 help="Let a failed or over-budget tier hand over: hardware -> simulator -> classical "
                      "(the result keeps its baseline kind and records the tier that produced it)."),
    click.option("--dry-run", is_flag=True, help="Print what would execute and its cost; run nothing."),
    click.option("--workers", type=click.IntRange(1), default=None,
                 help="Run the cases on a local Dask cluster of N worker processes (results as a serial run)."),
    click.option("--scheduler", metavar="ADDRESS", default=None,
                 help="Run the cases on an existing Dask cluster, e.g. tcp://10.0.0.5:8786."),
]

SESSION: dict[str, Path | None] = {"runs_dir": None}
"""The runs folder of the command being run: where a crash log goes."""


def project_dirs(suites, baselines_dir, runs_dir, out_dir=None):
    """The folders to use: those given, else the project root's (found from the suites, not the cwd)."""
    from harness.store.project import project_paths

    found = project_paths(suites)
    runs_dir = runs_dir if runs_dir is not None else found.runs_dir
    SESSION["runs_dir"] = Path(runs_dir)  # where a crash log goes
    return (baselines_dir if baselines_dir is not None else found.baselines, runs_dir,
            out_dir if out_dir is not None else found.reports)


def quiet_progress(quiet: bool) -> bool:
    """A subcommand's ``--quiet``, or the global ``-q``."""
    ctx = click.get_current_context(silent=True)
    return quiet or bool(ctx and (ctx.find_root().obj or {}).get("verbosity", 0) < 0)


def scale_out_check(workers, scheduler) -> None:
    if workers is not None and scheduler is not None:
        raise click.UsageError("give --workers N (a local cluster) or --scheduler ADDRESS (an existing one), not both")


def run_budget(max_shots, max_circuits, max_seconds):
    """The run budget of ``--max-shots``, ``--max-circuits`` and ``--max-seconds`` (None: unbounded)."""
    if max_shots is None and max_circuits is None and max_seconds is None:
        return None
    from harness.orchestration.budget import Budget

    return Budget(shots=max_shots, circuits=max_circuits, seconds=max_seconds)


def strict_check(baselines_dir: Path) -> None:
    """--strict believes only baselines as git has committed them (see harness.store.git_state)."""
    from harness.store.git_state import require_committed

    warning = require_committed(baselines_dir)
    if warning:
        click.echo(warning, err=True)
