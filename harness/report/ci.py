"""What every CI output shares (order, number formats, status words), and the JSON record of a gate.

Each output renders a :class:`harness.drift.outcome.GateOutcome` (passing verdicts alone gives the
non-strict outcome): pass or fail, the exit code and its reasons come from it, so the HTML banner,
``summary.md``, the PR comment, JUnit (:mod:`harness.report.junit`), ``verdicts.json`` and
``harness gate --json`` cannot disagree with the exit code.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any, Iterable

from harness.drift.outcome import GateOutcome, as_outcome
from harness.drift.verdict import STATUSES, Verdict
from harness.kinds import kind_order
from harness.records import Run

__all__ = [
    "STATUS_ICONS",
    "STATUS_LABELS",
    "VERDICTS_SCHEMA",
    "decide_text",
    "effect_text",
    "fmt",
    "key_text",
    "md",
    "regressions",
    "sort_verdicts",
    "verdicts_json",
]

VERDICTS_SCHEMA = 2
"""2: the outcome (exit code, status, reasons, result statuses, orphaned baselines) beside the verdicts."""

STATUS_LABELS = {
    "regression": "regression", "improvement": "improvement", "unchanged": "unchanged",
    "inconclusive": "inconclusive", "no_baseline": "no baseline", "fallback": "fallback", "failed": "failed",
}
# Icons sit beside the word, never instead of it, so nothing depends on colour or glyph support.
STATUS_ICONS = {
    "regression": "✖", "improvement": "✚", "unchanged": "=",
    "inconclusive": "?", "no_baseline": "∅", "fallback": "↪", "failed": "⚠",
}


def fmt(x: float | None, spec: str = ".4g") -> str:
    """A number for display; ``—`` when absent, ``nan``/``inf`` spelled out."""
    if x is None:
        return "—"
    x = float(x)
    return format(x, spec) if math.isfinite(x) else str(x)


def effect_text(v: Verdict) -> str:
    """``+0.031 [+0.012, +0.05]``: the effect (new minus baseline) and its interval."""
    text = fmt(v.effect, "+.3g")
    if v.ci_low is not None or v.ci_high is not None:
        text += f" [{fmt(v.ci_low, '+.3g')}, {fmt(v.ci_high, '+.3g')}]"
    return text


def sort_verdicts(run: Run, verdicts: Iterable[Verdict]) -> list[Verdict]:
    """Verdicts in the run's own order: suites and cases as run, baseline kinds in display order."""
    suites: dict[str, int] = {name: i for i, name in enumerate(run.suites)}
    cases: dict[tuple[str, str], int] = {}
    for r in run.results:
        suites.setdefault(r.suite, len(suites))
        cases.setdefault((r.suite, r.case_id), len(cases))
    big = len(cases) + len(suites) + 1  # verdicts for something not in the run go last, stably

    def key(v: Verdict) -> tuple:
        kind = kind_order(v.baseline)
        return (suites.get(v.suite, big), cases.get((v.suite, v.case_id), big), kind)

    return sorted(verdicts, key=key)


def regressions(run: Run, verdicts: Iterable[Verdict]) -> list[Verdict]:
    """Regressions, the gating ones first, each group in run order."""
    regs = [v for v in sort_verdicts(run, verdicts) if v.status == "regression"]
    return sorted(regs, key=lambda v: not v.gate)


def md(text: Any) -> str:
    """Markdown text that renders as itself: HTML-escaped (job summaries render HTML), markup and table
    separators escaped, on one line."""
    s = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    return re.sub(r"([\\`*_\[\]|~])", r"\\\1", s)


def key_text(key: tuple[str, str, str]) -> str:
    """``suite / case [kind]``."""
    return f"{key[0]} / {key[1]} [{key[2]}]"


def decide_text(v: Verdict) -> str:
    """What would turn an inconclusive verdict into a call, from the reason the rule gave (its note)."""
    if v.note.startswith("underpowered"):
        return ("more shots or trials, so that the detectable effect falls below the tolerance "
                "(`harness check SUITES` prints how many)")
    if "machine itself moved" in v.note:
        return "a recalibrated device, or a stored baseline promoted on the machine as it is now"
    return ("more samples (shots or trials) narrow the interval; tonight's estimate lies too close to the "
            "tolerance to call either way")


Judged = GateOutcome | Iterable[Verdict]


def _finite(d: dict[str, Any]) -> dict[str, Any]:
    # JSON has no NaN; an undefined number is null.
    return {k: (None if isinstance(x, float) and not math.isfinite(x) else x) for k, x in d.items()}


def verdicts_json(run: Run, judged: Judged) -> dict[str, Any]:
    """The machine-readable record: ``{schema, run_id, passed, exit_code, status, reasons, counts, ..., verdicts}``.

    ``passed`` is true exactly when ``exit_code`` is 0.
    """
    outcome = as_outcome(run, judged)
    verdicts = sort_verdicts(run, outcome.verdicts)
    return {
        "schema": VERDICTS_SCHEMA,
        "run_id": run.run_id,
        **outcome.to_dict(),
        "verdicts": [_finite(v.to_dict()) for v in verdicts],
    }
