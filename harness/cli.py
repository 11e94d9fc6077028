"""``harness``: run suites, compare them with stored baselines, report, and gate CI.

Exit codes: 0 pass, 1 regression (or a strict-mode failure), 2 invalid input (or nothing judged:
no stored baseline found), 3 execution failed, 4 internal or environment error
(full disk, locked or corrupt database, permissions, a folder gone). A gate's code
comes from its one outcome (:mod:`harness.drift.outcome`), which every report renders too.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from pathlib import Path

import click

from harness.errors import BaselineError, HarnessError

__all__ = ["main"]

log = logging.getLogger("harness")

_LEVELS = (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG)
"""Log level by verbosity, from ``-qq`` to ``-vv`` (the default, 0, is WARNING)."""


class _Stderr(logging.StreamHandler):
    """A handler on whatever ``sys.stderr`` is when a record is written (not the one at setup)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        """Ignored on purpose: ``StreamHandler.__init__`` assigns the stream it was given, but this handler
        always writes to the current ``sys.stderr`` (click's test runner and pytest swap it per call)."""


def _verbosity(verbose: int, quiet: int) -> int:
    """Set the ``harness`` logger (on stderr) for ``-v``/``-q`` counts; returns the verbosity, -2 to 2.

    ``-vv`` also shows the SDKs' debug logs (qiskit's transpiler passes, the runtime's jobs).
    """
    verbosity = max(-2, min(2, verbose - quiet))
    handler = next((h for h in log.handlers if isinstance(h, _Stderr)), None)
    if handler is None:
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(_LEVELS[verbosity + 2])
    for name in ("qiskit", "qiskit_aer", "qiskit_ibm_runtime"):
        sdk = logging.getLogger(name)
        if verbosity == 2:
            sdk.setLevel(logging.DEBUG)
            sdk.addHandler(handler)
        elif handler in sdk.handlers:
            sdk.setLevel(logging.NOTSET)
            sdk.removeHandler(handler)
    return verbosity


def _quiet_progress(quiet: bool) -> bool:
    """A subcommand's ``--quiet``, or the global ``-q``."""
    ctx = click.get_current_context(silent=True)
    return quiet or bool(ctx and (ctx.find_root().obj or {}).get("verbosity", 0) < 0)


_dirs = [
    click.option("--baselines", "baselines_dir", type=click.Path(path_type=Path), default=None,
                 help="Folder of stored baselines (reviewed like code). Default: baselines/ of the project root "
                      "(found from the suites, else from the current directory: see README, 'Where files live')."),
    click.option("--runs-dir", type=click.Path(path_type=Path), default=None,
                 help="Folder where run records are written. Default: .runs/ of the project root."),
]
_out = click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
                    help="Folder of the reports. Default: reports/ of the project root.")


def _url(ctx, param, value):
    if not value:  # nothing to check: the report package (jinja2, scipy) is not imported for it
        return None
    from harness.report import check_report_url

    try:
        return check_report_url(value)
    except HarnessError as exc:
        raise click.BadParameter(str(exc)) from None  # the message and, on its own line, the fix


_publish = [
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


def _notify(webhook_url, run, outcome, stored, report_url) -> None:
    """Post the outcome to the webhook, if one is set; a failure is one warning line on stderr."""
    if not webhook_url:
        return
    from harness.report.webhook import post_webhook, webhook_payload

    problem = post_webhook(webhook_url, webhook_payload(run, outcome, stored, report_url))
    if problem:
        click.echo(f"warning: {problem}", err=True)


def _project(suites, baselines_dir, runs_dir, out_dir=None):
    """The folders to use: those given, else the project root's (found from the suites, not the cwd)."""
    from harness.store.project import project_paths

    found = project_paths(suites)
    runs_dir = runs_dir if runs_dir is not None else found.runs_dir
    _remember(runs_dir)  # where a crash log goes
    return (baselines_dir if baselines_dir is not None else found.baselines, runs_dir,
            out_dir if out_dir is not None else found.reports)


_execution_options = [
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


def _scale_out_check(workers, scheduler) -> None:
    if workers is not None and scheduler is not None:
        raise click.UsageError("give --workers N (a local cluster) or --scheduler ADDRESS (an existing one), not both")


def _budget(max_shots, max_circuits, max_seconds):
    if max_shots is None and max_circuits is None and max_seconds is None:
        return None
    from harness.orchestration.budget import Budget

    return Budget(shots=max_shots, circuits=max_circuits, seconds=max_seconds)


def _with(options):
    def decorate(fn):
        for opt in reversed(options):
            fn = opt(fn)
        return fn
    return decorate


class _Progress:
    """A tqdm bar on a terminal; one plain line per case otherwise (CI logs); an INFO log line with ``-v``."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __call__(self, label: str, index: int, total: int) -> None:
        if not self.enabled:
            return
        if log.isEnabledFor(logging.INFO):
            log.info("case %d/%d: %s", index + 1, total, label)
        elif sys.stderr.isatty():
            from tqdm import tqdm

            if self.bar is None:
                self.bar = tqdm(total=total, unit="case", file=sys.stderr, dynamic_ncols=True)
            elif index:
                self.bar.update(1)
            self.bar.set_description_str(label[:60])
        else:
            click.echo(f"[{index + 1}/{total}] {label}", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qharness")
@click.option("-v", "--verbose", count=True, help="More log output on stderr: -v info (each case), -vv debug, SDKs too.")
@click.option("-q", "--quiet", count=True, help="Less output: errors only and no progress; -qq critical only.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int) -> None:
    """Benchmark hybrid quantum-classical workflows and gate regressions.

    \b
    Typical nightly use:
      harness gate suites/                 run, compare with baselines/, report; exit 1 on regression
    First time, or after a reviewed change:
      harness run suites/                  writes a run record and prints its path
      harness baseline promote latest      stores that run's results as the baselines
    \b
    Inspect:
      harness compare latest [--json]      verdicts of a run against the stored baselines
      harness report latest                HTML, Markdown, JUnit and JSON into reports/
      harness check suites/                gating metrics that cannot detect their tolerance, and the fix
    """
    ctx.obj = {"verbosity": _verbosity(verbose, quiet)}
    _plain_warnings()


def _plain_warnings() -> None:
    """What the store warns of (a discarded cache entry, a recovered promote) prints as one line."""
    import warnings

    from harness.store.untrusted import StoreWarning

    original = warnings.showwarning
    if getattr(original, "_harness", False):
        return

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, StoreWarning):
            click.echo(f"warning: {message}", err=True)
        else:
            original(message, category, filename, lineno, file, line)

    show._harness = True
    warnings.showwarning = show


@cli.command()
@click.argument("suites", nargs=-1, type=click.Path(path_type=Path))
@_with(_dirs)
@click.option("--seed", type=int, default=None, help="Override every suite's seed.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--resume", "resume", metavar="RUN_ID", default=None,
              help="Finish an interrupted run from its journal; journaled results are not run again.")
@_with(_execution_options)
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
    _scale_out_check(workers, scheduler)
    baselines_dir, runs_dir, _ = _project(suites, baselines_dir, runs_dir)
    budget = _budget(max_shots, max_circuits, max_seconds)
    if dry_run:
        if not suites:
            raise click.UsageError("--dry-run needs SUITES")
        click.echo(estimate(suites, budget=budget, baselines_dir=baselines_dir, runs_dir=runs_dir))
        sys.exit(0)
    progress = _Progress(not _quiet_progress(quiet))
    start = time.perf_counter()
    record, path = record_run(list(suites), runs_dir=runs_dir, seed=seed, progress=progress, budget=budget,
                              cache=cache, fallback=fallback, resume=resume, workers=workers, scheduler=scheduler,
                              baselines_dir=baselines_dir)
    progress.close()
    _echo_sizing(record.environment.get("sizing"))
    failed = [r for r in record.results if r.status == "failed"]
    click.echo(f"run {record.run_id}: {len(record.results)} results in {time.perf_counter() - start:.1f} s")
    for r in failed:
        click.echo(f"  FAILED {r.suite} {r.case_id} [{r.baseline}]: {r.error}", err=True)
    click.echo(f"record: {path}")
    sys.exit(3 if failed else 0)


@cli.group()
def baseline() -> None:
    """Manage stored baselines."""


@baseline.command()
@click.argument("run_ref", metavar="RUN")
@_with(_dirs)
@click.option("--suite", "suites", multiple=True, help="Promote only these suites (repeatable).")
def promote(run_ref, baselines_dir, runs_dir, suites):
    """Store the results of RUN (a path, a run id, or 'latest') as the baselines of its cases."""
    from harness.store import load_run, promote as do_promote, resolve_run
    from harness.store.preflight import check_folder

    baselines_dir, runs_dir, _ = _project((), baselines_dir, runs_dir)
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
@_with(_dirs[:1])
def migrate(baselines_dir):
    """Rewrite stored baselines of an older schema in the current layout, for review.

    The gate refuses older files rather than upgrading them unseen; this command checks each
    one (its old checksum, where it had one) and rewrites it. Nothing is written if any is refused.
    """
    from harness.store.baselines import migrate as do_migrate

    given = baselines_dir is not None
    baselines_dir, _, _ = _project((), baselines_dir, None)
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


def _strict_check(baselines_dir: Path) -> None:
    """--strict believes only baselines as git has committed them (see harness.store.git_state)."""
    from harness.store.git_state import require_committed

    warning = require_committed(baselines_dir)
    if warning:
        click.echo(warning, err=True)


@cli.command()
@click.argument("run_ref", metavar="RUN", default="latest")
@_with(_dirs)
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

    baselines_dir, runs_dir, _ = _project((), baselines_dir, runs_dir)
    if strict:
        _strict_check(baselines_dir)
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


@cli.command()
@click.argument("run_ref", metavar="RUN", default="latest")
@_with(_dirs)
@_out
@click.option("--alpha", type=click.FloatRange(1e-6, 0.5), default=0.01, show_default=True)
@click.option("--strict", is_flag=True, help="Judge as a strict gate (missing, fallback, orphaned baselines fail).")
@_with(_publish)
def report(run_ref, baselines_dir, runs_dir, out_dir, alpha, strict, base_ref, report_url, webhook_url):
    """Write the HTML report (and CI outputs) of RUN and print the gate's outcome for it."""
    from harness.commands import judge_run, open_history
    from harness.report import write_reports
    from harness.store import load_run, resolve_run
    from harness.store.preflight import check_folder

    baselines_dir, runs_dir, out_dir = _project((), baselines_dir, runs_dir, out_dir)
    if strict:
        _strict_check(baselines_dir)
    record = load_run(resolve_run(run_ref, runs_dir))
    base = load_run(resolve_run(base_ref, runs_dir)) if base_ref else None
    check_folder(out_dir, "output", "--out")  # a file, a read-only or full disk: named before judging
    history = open_history(runs_dir)
    outcome, stored = judge_run(record, baselines_dir, alpha=alpha, strict=strict, history=history)
    paths = write_reports(record, outcome, stored, out_dir, history=history, report_url=report_url, base_run=base)
    click.echo(outcome.headline())
    click.echo(f"report: {paths['html']}")
    _notify(webhook_url, record, outcome, stored, report_url)


@cli.command()
@click.argument("suites", nargs=-1, required=True, type=click.Path(path_type=Path))
@_with(_dirs)
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

    baselines_dir, runs_dir, _ = _project(suites, baselines_dir, runs_dir)
    plans, sizings = size_plans(plan_suites(list(suites)), baselines_dir=baselines_dir, runs_dir=runs_dir, alpha=alpha)
    _echo_sizing(_sizing_record(sizings))
    preds = predict_plans(plans, baselines_dir=baselines_dir, runs_dir=runs_dir, alpha=alpha)
    click.echo(format_predictions(preds, alpha=alpha))
    sys.exit(1 if any(q.underpowered for q in preds) else 0)


def _echo_sizing(sizing, *, err: bool = False) -> None:
    """Say which cases ``precision: {auto_shots: true}`` gave more shots, and what shots could not fix."""
    for key, z in (sizing or {}).items():
        click.echo(f"sized {key}: shots {z['declared']} -> {z['shots']}", err=err)
        for note in z.get("notes", ()):
            click.echo(f"  {note}", err=err)


@cli.command(name="gate")
@click.argument("suites", nargs=-1, required=True, type=click.Path(path_type=Path))
@_with(_dirs)
@_out
@click.option("--seed", type=int, default=None, help="Override every suite's seed.")
@click.option("--alpha", type=click.FloatRange(1e-6, 0.5), default=0.01, show_default=True)
@click.option("--strict", is_flag=True,
              help="A missing, fallback or orphaned baseline fails the gate; baselines must be as git has committed "
                   "them (use in nightly CI).")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the outcome as JSON on stdout (the schema of verdicts.json, plus record and reports; "
                   "see README, 'Reports and CI'); the other lines go to stderr.")
@_with(_publish)
@_with(_execution_options)
def gate_cmd(suites, baselines_dir, runs_dir, out_dir, seed, alpha, strict, quiet, as_json, base_ref, report_url,
             webhook_url,
             max_shots, max_circuits, max_seconds, cache, fallback, dry_run, workers, scheduler):
    """Run SUITES, compare with the stored baselines, write reports, exit 1 on regression."""
    from harness.commands import dry_run as estimate, gate

    _scale_out_check(workers, scheduler)
    baselines_dir, runs_dir, out_dir = _project(suites, baselines_dir, runs_dir, out_dir)
    budget = _budget(max_shots, max_circuits, max_seconds)
    if dry_run:
        if as_json:
            raise click.UsageError("--json prints a gate's outcome; --dry-run runs nothing: give one of them")
        click.echo(estimate(suites, budget=budget, baselines_dir=baselines_dir, runs_dir=runs_dir))
        sys.exit(0)
    if strict:  # before running: a doomed strict gate fails in seconds
        _strict_check(baselines_dir)
    base = None
    if base_ref:  # before running, too: a wrong reference costs seconds, not a whole run
        from harness.store import load_run, resolve_run

        base = load_run(resolve_run(base_ref, runs_dir))
    progress = _Progress(not _quiet_progress(quiet))
    start = time.perf_counter()
    try:
        done = gate(suites, baselines_dir=baselines_dir, runs_dir=runs_dir, out_dir=out_dir, seed=seed,
                    alpha=alpha, strict=strict, progress=progress, budget=budget, cache=cache, fallback=fallback,
                    workers=workers, scheduler=scheduler, report_url=report_url, base_run=base)
    except HarnessError as exc:  # exit 4 after the record and reports were written: --json says so too
        written = getattr(exc, "gate_run", None)
        if as_json and written is not None:
            progress.close()
            _echo_json(written)
        raise
    progress.close()
    _echo_sizing(done.run.environment.get("sizing"), err=as_json)
    _print_outcome(done.run, done.outcome, time.perf_counter() - start, err=as_json)
    click.echo(f"record: {done.run_path}", err=as_json)
    click.echo(f"report: {done.reports['html']}", err=as_json)
    if as_json:
        _echo_json(done)
    _notify(webhook_url, done.run, done.outcome, done.stored, report_url)
    sys.exit(done.code)


def _echo_json(done) -> None:
    """``gate --json``: the outcome document (verdicts.json's schema) with the record and reports written."""
    from harness.report import verdicts_json

    doc = {**verdicts_json(done.run, done.outcome), "record": str(done.run_path),
           "reports": {kind: str(p) for kind, p in done.reports.items()}}
    click.echo(json.dumps(doc, indent=2, allow_nan=False))


def _print_outcome(run, outcome, seconds: float, err: bool = False) -> None:
    """The gate's lines: counts, then the headline and every reason, then what blocks or failed
    (on stderr with ``err``, when stdout is the JSON)."""
    click.echo(f"run {run.run_id} in {seconds:.1f} s: "
               + ", ".join(f"{n} {k}" for k, n in outcome.counts.items() if n), err=err)
    click.echo(outcome.headline(), err=err)
    for reason in outcome.reasons[1:]:
        click.echo(f"  - {reason}", err=err)
    for v in outcome.blocking:
        click.echo(f"  REGRESSION {v.suite} {v.case_id} [{v.baseline}] {v.metric}: "
                   f"{v.baseline_value:.4g} -> {v.new_value:.4g} (effect {v.effect:+.4g})"
                   + (f"; changed: {v.changed_layer}" if v.changed_layer else ""), err=err)
    for r in run.results:
        if r.status == "failed":
            click.echo(f"  FAILED {r.suite} {r.case_id} [{r.baseline}]: {r.error}", err=True)
    for k in outcome.orphaned:
        click.echo(f"  ORPHANED baseline {k[0]} {k[1]} [{k[2]}]: no result of this run exercised it", err=True)


_SESSION: dict[str, Path | None] = {"runs_dir": None}
"""The runs folder of the command being run: where a crash log goes."""


def _remember(runs_dir: Path) -> None:
    _SESSION["runs_dir"] = Path(runs_dir)


def _fail(exc: BaseException, fault: HarnessError) -> None:
    """Print a code-4 failure as a few lines (what, fix, log, resume) and exit 4."""
    from harness.store.faults import write_crash_log

    log = write_crash_log(exc, _SESSION["runs_dir"])
    click.echo(_printable(f"error: {fault.message}"), err=True)
    if fault.hint:
        click.echo(_printable(f"  fix: {fault.hint}"), err=True)
    resume = getattr(fault, "resume_command", None)
    if resume:
        click.echo(f"  finish the run afterwards: {resume}", err=True)
    if log is not None:
        click.echo(f"  details: {log}", err=True)
    else:
        click.echo("  details (no folder could hold a log):\n" + "".join(traceback.format_exception(exc)), err=True)
    sys.exit(4)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: every failure ends in a message and its exit code, never a traceback.

    0 pass, 1 regression, 2 invalid input, 3 execution failed, 4 internal or environment error
    (full disk, locked or corrupt database, permissions, a folder gone): the traceback of a
    code-4 failure goes to a log file whose path is printed.
    """
    _SESSION["runs_dir"] = None
    try:
        cli.main(args=argv, prog_name="harness", standalone_mode=False)
        sys.exit(0)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        click.echo("aborted", err=True)
        # click turns Ctrl-C into Abort; the interrupt it came from knows the run to resume
        resume = getattr(exc, "resume_command", None) or getattr(exc.__cause__, "resume_command", None)
        if resume:  # an interrupted run: its finished results are journaled
            click.echo(f"  finish the run: {resume}", err=True)
        sys.exit(130)
    except HarnessError as exc:
        if exc.exit_code == 4:
            _fail(exc, exc)
        click.echo(_printable(f"error: {exc}"), err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place every other failure becomes exit 4
        from harness.errors import InternalError
        from harness.store.faults import describe

        fault = describe(exc) or InternalError(f"internal error: {type(exc).__name__}: {_short(exc)}",
                                               hint="this is a bug in qharness: please report it with the log file")
        _fail(exc, fault)


def _printable(text: str) -> str:
    """``text`` with what no terminal encoding can show (a lone surrogate from a file name) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text if len(text) <= 200 else text[:200] + "..."


if __name__ == "__main__":
    main()
