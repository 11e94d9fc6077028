"""CI outputs of a run's verdicts: a Markdown job summary, JUnit XML and a JSON record.

The verdict arithmetic every output shares lives here too (counts, pass/fail, order,
number formats), so the HTML banner, the Markdown line, the JUnit failure count and the
JSON ``passed`` flag cannot disagree. A run passes when no verdict has ``gate`` set: the
drift step decides what blocks, the reports only show it.

JUnit mapping, one ``<testcase>`` per verdict, named ``"case_id [baseline] metric"``,
``classname`` the suite:

- ``regression`` with ``gate`` -> ``<failure type="regression">``, message naming the effect and interval;
- ``regression`` in a report-only metric (``gate`` false) -> passes, the regression in ``<system-out>``, so the
  failure count is exactly what blocks the gate;
- ``failed`` -> ``<error>``;
- ``no_baseline`` -> ``<skipped>`` saying nothing was compared and how to store a baseline: a case
  without a baseline is *not checked*, and CI shows it as skipped rather than as a silent pass;
- ``inconclusive`` -> ``<skipped>`` saying the samples could not tell (with the detectable effect);
- ``unchanged`` and ``improvement`` -> pass.
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any, Iterable, Sequence

from harness.drift.verdict import STATUSES, Verdict
from harness.kinds import kind_order
from harness.records import Run

__all__ = [
    "STATUS_ICONS",
    "STATUS_LABELS",
    "VERDICTS_SCHEMA",
    "count_statuses",
    "effect_text",
    "fmt",
    "gate_passed",
    "regressions",
    "render_junit",
    "render_markdown",
    "sort_verdicts",
    "verdicts_json",
]

VERDICTS_SCHEMA = 1

STATUS_LABELS = {
    "regression": "regression", "improvement": "improvement", "unchanged": "unchanged",
    "inconclusive": "inconclusive", "no_baseline": "no baseline", "failed": "failed",
}
# Icons sit beside the word, never instead of it, so nothing depends on colour or glyph support.
STATUS_ICONS = {
    "regression": "✖", "improvement": "✚", "unchanged": "=",
    "inconclusive": "?", "no_baseline": "∅", "failed": "⚠",
}
_MD_ROWS = 50  # a CI job summary stays short; the HTML report has the rest
_XML_BAD = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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


def count_statuses(verdicts: Iterable[Verdict]) -> dict[str, int]:
    """How many verdicts have each status, every status present (zeros included), in STATUSES order."""
    c = Counter(v.status for v in verdicts)
    return {s: c.get(s, 0) for s in STATUSES}


def gate_passed(verdicts: Iterable[Verdict]) -> bool:
    """True when no verdict blocks."""
    return not any(v.gate for v in verdicts)


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


def _summary_line(run: Run, verdicts: Sequence[Verdict]) -> str:
    blocking = sum(1 for v in verdicts if v.gate)
    regs = sum(1 for v in verdicts if v.status == "regression")
    if blocking:
        return f"✖ FAIL: {blocking} gating verdict(s) block run {run.run_id}"
    failed = sum(1 for v in verdicts if v.status == "failed")
    extra = f"; {regs} report-only regression(s)" if regs else ""
    extra += f"; {failed} metric(s) failed, not checked" if failed else ""
    return f"✔ PASS: nothing blocks run {run.run_id}{extra}"


def _md(text: Any) -> str:
    """One Markdown table cell: HTML-escaped (job summaries render HTML) and markup-inert."""
    s = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    return re.sub(r"([\\`*_\[\]|~])", r"\\\1", s)


def render_markdown(run: Run, verdicts: Iterable[Verdict]) -> str:
    """A short, link-free summary for a CI job page: PASS/FAIL, counts, regressions."""
    verdicts = sort_verdicts(run, verdicts)
    counts = count_statuses(verdicts)
    lines = [f"## qharness: {_md(_summary_line(run, verdicts))}", "",
             f"Run {_md(run.run_id)}, created {_md(run.created)}, {len(run.results)} results, "
             f"{len(verdicts)} verdicts.", "",
             "| " + " | ".join(STATUS_LABELS[s] for s in STATUSES) + " |",
             "|" + "---:|" * len(STATUSES),
             "| " + " | ".join(str(counts[s]) for s in STATUSES) + " |", ""]
    regs = regressions(run, verdicts)
    if regs:
        lines += ["### Regressions", "",
                  "| gate | suite | case | baseline | metric | baseline → new | effect [interval] | p (adj.) | test |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for v in regs[:_MD_ROWS]:
            lines.append("| " + " | ".join(_md(c) for c in (
                "blocks" if v.gate else "report only", v.suite, v.case_id, v.baseline, v.metric,
                f"{fmt(v.baseline_value)} → {fmt(v.new_value)}", effect_text(v),
                f"{fmt(v.p_value, '.3g')} ({fmt(v.p_adjusted, '.3g')})", v.test or "—")) + " |")
        if len(regs) > _MD_ROWS:
            lines.append(f"\n…and {len(regs) - _MD_ROWS} more regressions in the HTML report.")
        lines.append("")
    return "\n".join(lines)


def _xml(text: Any) -> str:
    # ElementTree escapes markup but writes control characters that no XML parser accepts.
    return _XML_BAD.sub("\ufffd", str(text))


def _detail(v: Verdict) -> str:
    parts = [f"{v.suite} / {v.case_id} [{v.baseline}] {v.metric}: {v.status}",
             f"baseline {fmt(v.baseline_value)} -> new {fmt(v.new_value)} (better: {v.better}, "
             f"tolerance {fmt(v.tolerance)})",
             f"effect {effect_text(v)}; p {fmt(v.p_value, '.3g')}, adjusted {fmt(v.p_adjusted, '.3g')}; "
             f"test {v.test or '-'}; minimum detectable effect {fmt(v.mde, '.3g')}"]
    if v.changed_layer:
        parts.append(f"changed layer: {v.changed_layer}")
    if v.note:
        parts.append(f"note: {v.note}")
    return "\n".join(parts)


def _testcase(parent: ET.Element, v: Verdict) -> str:
    """Append one testcase; return the JUnit outcome it counts as."""
    case = ET.SubElement(parent, "testcase", name=_xml(f"{v.case_id} [{v.baseline}] {v.metric}"),
                         classname=_xml(v.suite))
    if v.status == "failed":
        ET.SubElement(case, "error", type="failed",
                      message=_xml(f"no value for {v.metric}: {v.note or 'the result failed'}")).text = _xml(_detail(v))
        return "errors"
    if v.status == "regression" and v.gate:
        ET.SubElement(case, "failure", type="regression",
                      message=_xml(f"{v.metric} regressed: effect {effect_text(v)} (better: {v.better})"),
                      ).text = _xml(_detail(v))
        return "failures"
    if v.status == "no_baseline":
        ET.SubElement(case, "skipped", message=_xml(
            "NOT CHECKED: no stored baseline to compare with; review this run and promote it to store one"))
        return "skipped"
    if v.status == "inconclusive":
        ET.SubElement(case, "skipped", message=_xml(
            f"inconclusive: the samples cannot tell a change of this size (detectable effect {fmt(v.mde, '.3g')}); "
            f"effect {effect_text(v)}"))
        return "skipped"
    if v.status == "regression":
        ET.SubElement(case, "system-out").text = _xml("report-only regression (metric does not gate)\n" + _detail(v))
    return "passed"


def render_junit(run: Run, verdicts: Iterable[Verdict]) -> str:
    """JUnit XML: one ``<testsuite>`` per suite, one ``<testcase>`` per verdict (mapping in the module doc)."""
    verdicts = sort_verdicts(run, verdicts)
    seconds: Counter[str] = Counter()
    for r in run.results:
        seconds[r.suite] += sum(float(t) for t in r.timings.values())
    root = ET.Element("testsuites", name=_xml(f"qharness {run.run_id}"))
    totals: Counter[str] = Counter()
    by_suite: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_suite.setdefault(v.suite, []).append(v)
    for suite, vs in by_suite.items():
        el = ET.SubElement(root, "testsuite", name=_xml(suite), timestamp=_xml(run.created),
                           time=f"{seconds[suite]:.3f}")
        outcome = Counter(_testcase(el, v) for v in vs)
        for k in ("failures", "errors", "skipped"):
            el.set(k, str(outcome[k]))
        el.set("tests", str(len(vs)))
        totals.update(outcome)
        totals["tests"] += len(vs)
    for k in ("tests", "failures", "errors", "skipped"):
        root.set(k, str(totals[k]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _finite(d: dict[str, Any]) -> dict[str, Any]:
    # JSON has no NaN; an undefined number is null.
    return {k: (None if isinstance(x, float) and not math.isfinite(x) else x) for k, x in d.items()}


def verdicts_json(run: Run, verdicts: Iterable[Verdict]) -> dict[str, Any]:
    """The machine-readable verdict record: ``{schema, run_id, passed, counts, verdicts}``."""
    verdicts = sort_verdicts(run, verdicts)
    return {
        "schema": VERDICTS_SCHEMA,
        "run_id": run.run_id,
        "passed": gate_passed(verdicts),
        "counts": count_statuses(verdicts),
        "verdicts": [_finite(v.to_dict()) for v in verdicts],
    }
