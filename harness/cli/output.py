"""What commands print besides their results: progress, sizing, the gate's lines, its JSON document, the webhook."""

from __future__ import annotations

import json
import logging
import sys

import click

__all__ = ["Progress", "echo_json", "echo_sizing", "notify", "print_outcome"]

log = logging.getLogger("harness")


class Progress:
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


def echo_sizing(sizing, *, err: bool = False) -> None:
    """Say which cases ``precision: {auto_shots: true}`` gave more shots, and what shots could not fix."""
    for key, z in (sizing or {}).items():
        click.echo(f"sized {key}: shots {z['declared']} -> {z['shots']}", err=err)
        for note in z.get("notes", ()):
            click.echo(f"  {note}", err=err)


def echo_json(done) -> None:
    """``gate --json``: the outcome document (verdicts.json's schema) with the record and reports written."""
    from harness.report import verdicts_json

    doc = {**verdicts_json(done.run, done.outcome), "record": str(done.run_path),
           "reports": {kind: str(p) for kind, p in done.reports.items()}}
    click.echo(json.dumps(doc, indent=2, allow_nan=False))


def print_outcome(run, outcome, seconds: float, err: bool = False) -> None:
    """The gate's lines: counts, then the headline and every reason, then what blocks or failed
    (on stderr with ``err``, when stdout is the JSON)."""
    report_only = outcome.counts.get("regression", 0) - len(outcome.blocking)  # a PASS beside them is no riddle
    click.echo(f"run {run.run_id} in {seconds:.1f} s: "
               + ", ".join(f"{n} {k}" + (f" ({report_only} report-only)" if k == "regression" and report_only else "")
                           for k, n in outcome.counts.items() if n), err=err)
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


def notify(webhook_url, run, outcome, stored, report_url) -> None:
    """Post the outcome to the webhook, if one is set; a failure is one warning line on stderr."""
    if not webhook_url:
        return
    from harness.report.webhook import post_webhook, webhook_payload

    problem = post_webhook(webhook_url, webhook_payload(run, outcome, stored, report_url))
    if problem:
        click.echo(f"warning: {problem}", err=True)
