"""Reports of a judged run: HTML for people; Markdown, a PR comment, JUnit XML and JSON for CI.

Example::

    from harness.report import write_reports
    from harness.store.history import DEFAULT_HISTORY, History

    paths = write_reports(run, verdicts, stored, Path("reports"), history=History(DEFAULT_HISTORY))
    paths["html"]  # reports/index.html, opens offline; with a history it draws each metric's trend

All outputs render one :class:`harness.drift.outcome.GateOutcome`, so they agree with each
other and with the exit code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from harness.drift.outcome import GateOutcome, as_outcome
from harness.drift.verdict import Verdict
from harness.records import Run
from harness.store.atomic import write_set
from harness.report.ci import verdicts_json
from harness.report.html import Stored, render_html
from harness.report.junit import render_junit
from harness.report.markdown import check_report_url, render_comment, render_markdown
from harness.report.trends import SeriesSource

__all__ = ["REPORT_FILES", "check_report_url", "render_comment", "render_html", "render_junit", "render_markdown",
           "verdicts_json", "write_reports"]

REPORT_FILES = {"html": "index.html", "markdown": "summary.md", "comment": "comment.md", "junit": "junit.xml",
                "json": "verdicts.json"}
"""File name of each report inside the output folder."""


def write_reports(run: Run, judged: GateOutcome | Iterable[Verdict], stored: Stored, out_dir: Path,
                  history: SeriesSource | None = None, report_url: str | None = None,
                  base_run: Run | None = None) -> dict[str, Path]:
    """Render every report of the gate's outcome into ``out_dir`` (created if missing), each atomically.

    ``judged`` is the outcome (verdicts alone give the non-strict outcome without orphaned baselines).

    ``history`` (``harness.store.history.History``) adds the trends to the HTML report; None leaves them out.
    ``report_url``, where ``index.html`` will be published, is linked from ``summary.md`` and ``comment.md``.
    ``base_run`` (the base branch's run record) adds to ``comment.md`` what moved against it.

    Returns:
        ``{"html": out_dir/index.html, "markdown": out_dir/summary.md, "comment": out_dir/comment.md,
        "junit": out_dir/junit.xml, "json": out_dir/verdicts.json}``.

    Raises:
        HarnessError: ``report_url`` is not an absolute http(s) address (exit 2).
        ResourceError: ``out_dir`` cannot be created or written (exit 4), naming the run to report again.
    """
    outcome = as_outcome(run, judged)
    url = check_report_url(report_url)
    out_dir = Path(out_dir)
    # Render everything before touching the disk, so a template error leaves the old reports whole.
    texts = {
        "html": render_html(run, outcome, stored, history),
        "markdown": render_markdown(run, outcome, stored, url),
        "comment": render_comment(run, outcome, stored, url, base_run),
        "junit": render_junit(run, outcome),
        "json": json.dumps(verdicts_json(run, outcome), indent=2, allow_nan=False) + "\n",
    }
    try:  # under the folder's lock: a second gate writing the same folder waits, and never mixes its files in
        written = write_set(out_dir, {REPORT_FILES[kind]: text for kind, text in texts.items()})
    except OSError as e:
        from harness.store.faults import describe

        fault = describe(e, str(out_dir))
        fault.message = f"cannot write the reports: {fault.message}"
        fault.hint = f"{fault.hint}; the run record is kept: `harness report {run.run_id} --out DIR` writes them again"
        raise fault from e
    return {kind: written[name] for kind, name in REPORT_FILES.items()}
