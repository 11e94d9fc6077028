"""``harness baseline promote`` and ``harness baseline migrate``: change the stored baselines, for review."""

from __future__ import annotations

import click

from harness.cli.options import DIRS, project_dirs, with_options
from harness.errors import BaselineError

__all__ = ["baseline"]


@click.group()
def baseline() -> None:
    """Manage stored baselines."""


@baseline.command()
@click.argument("run_ref", metavar="RUN")
@with_options(DIRS)
@click.option("--suite", "suites", multiple=True, help="Promote only these suites (repeatable).")
def promote(run_ref, baselines_dir, runs_dir, suites):
    """Store the results of RUN (a path, a run id, or 'latest') as the baselines of its cases."""
    from harness.store import load_run, promote as do_promote, resolve_run
    from harness.store.preflight import check_folder

    baselines_dir, runs_dir, _ = project_dirs((), baselines_dir, runs_dir)
    record = load_run(resolve_run(run_ref, runs_dir))
    known = sorted({r.suite for r in record.results})
    unknown = [name for name in suites if name not in known]
    if unknown:  # a misspelt --suite would otherwise promote nothing and say so in passing
        raise BaselineError(f"run {record.run_id} has no suite {', '.join(map(repr, unknown))}",
                            hint=f"use --suite with one of: {', '.join(known) or '(the run has no results)'}")
    check_folder(baselines_dir, "baselines", "--baselines")
    written = do_promote(record, baselines_dir, suites=suites or None)
    skipped = sum(1 for r in record.results if r.status != "ok")
    click.echo(f"promoted run {record.run_id}: {len(written)} baseline file(s) in {baselines_dir}")
    if skipped:
        click.echo(f"  {skipped} failed result(s) were not promoted", err=True)
    click.echo("review the diff (git diff baselines/) and commit it")


@baseline.command()
@with_options(DIRS[:1])
def migrate(baselines_dir):
    """Rewrite stored baselines of an older schema in the current layout, for review.

    The gate refuses older files rather than upgrading them unseen; this command checks each
    one (its old checksum, where it had one) and rewrites it. Nothing is written if any is refused.
    """
    from harness.store.baselines import migrate as do_migrate

    given = baselines_dir is not None
    baselines_dir, _, _ = project_dirs((), baselines_dir, None)
    if not baselines_dir.is_dir():
        raise BaselineError(f"{baselines_dir}: no such folder of stored baselines",
                            hint="check the path given to --baselines" if given else
                            "run from the project (the folder holding baselines/), or pass --baselines DIR")
    done = do_migrate(baselines_dir)
    for path, old, note in done:
        click.echo(f"  {path}: schema {old} -> current ({note})")
    click.echo(f"migrated {len(done)} baseline file(s) in {baselines_dir}")
    if done:
        click.echo("review the diff (git diff baselines/) and commit it")
