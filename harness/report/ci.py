"""CI outputs of a judged run: a Markdown job summary, JUnit XML and a JSON record.

Each renders a :class:`harness.drift.outcome.GateOutcome` (passing verdicts alone gives the
non-strict outcome): pass or fail, the exit code and its reasons come from it, so the HTML
banner, the Markdown line, JUnit and the JSON ``passed`` flag cannot disagree with the exit code.
The display helpers every output shares (order, number formats, labels) live here too.

JUnit mapping, one ``<testcase>`` per verdict, named ``"case_id [baseline] metric"``,
``classname`` the suite, plus one ``gate`` testcase (classname ``qharness``) that fails with the
outcome's reasons whenever the exit code is not 0, and one per orphaned stored baseline:

- ``regression`` with ``gate`` -> ``<failure type="regression">``, message naming the effect and interval;
- ``regression`` in a report-only metric (``gate`` false) -> passes, the regression in ``<system-out>``;
- ``failed`` -> ``<error>``;
- ``no_baseline``, ``fallback`` and an orphaned baseline -> ``<skipped>`` saying what was not checked
  and why, or ``<failure type="strict">`` under strict mode (they fail it);
- ``inconclusive`` -> ``<skipped>`` saying the samples could not tell (with the detectable effect);
- ``unchanged`` and ``improvement`` -> pass.
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any, Iterable

from harness.drift.outcome import GateOutcome, as_outcome
from harness.drift.verdict import STATUSES, Verdict
from harness.kinds import kind_order
from harness.records import Run

__all__ = [
    "STATUS_ICONS",
    "STATUS_LABELS",
    "VERDICTS_SCHEMA",
    "effect_text",
    "fmt",
    "regressions",
    "render_junit",
    "render_markdown",
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


def _md(text: Any) -> str:
    """One Markdown table cell: HTML-escaped (job summaries render HTML) and markup-inert."""
    s = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    return re.sub(r"([\\`*_\[\]|~])", r"\\\1", s)


Judged = GateOutcome | Iterable[Verdict]


def _key_text(key: tuple[str, str, str]) -> str:
    return f"{key[0]} / {key[1]} [{key[2]}]"


def render_markdown(run: Run, judged: Judged) -> str:
    """A short, link-free summary for a CI job page: the outcome, its reasons, counts, regressions, orphans."""
    outcome = as_outcome(run, judged)
    verdicts = sort_verdicts(run, outcome.verdicts)
    counts = outcome.counts
    lines = [f"## qharness: {_md(outcome.headline())}", "",
             f"Run {_md(run.run_id)}, created {_md(run.created)}, {len(run.results)} results, "
             f"{len(verdicts)} verdicts; exit code {outcome.code} ({outcome.status})"
             f"{', strict' if outcome.strict else ''}.", ""]
    if outcome.reasons:
        lines += [f"- {_md(r)}" for r in outcome.reasons] + [""]
    lines += ["| " + " | ".join(STATUS_LABELS[s] for s in STATUSES) + " |",
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
    for title, keys in (("Fallback results (not judged against the tier asked for)", outcome.fallbacks),
                        ("Orphaned baselines (no result of this run exercised them)", outcome.orphaned)):
        if keys:
            lines += [f"### {title}", ""] + [f"- {_md(_key_text(k))}" for k in keys[:_MD_ROWS]]
            if len(keys) > _MD_ROWS:
                lines.append(f"- …and {len(keys) - _MD_ROWS} more")
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


def _not_checked(case: ET.Element, message: str, strict: bool) -> str:
    if strict:
        ET.SubElement(case, "failure", type="strict", message=_xml(f"strict mode: {message}"))
        return "failures"
    ET.SubElement(case, "skipped", message=_xml(message))
    return "skipped"


def _testcase(parent: ET.Element, v: Verdict, strict: bool) -> str:
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
        return _not_checked(case, "NOT CHECKED: no stored baseline to compare with; review this run and promote it "
                                  "to store one", strict)
    if v.status == "fallback":
        return _not_checked(case, f"NOT CHECKED: {v.note or 'produced by a fallback tier'}", strict)
    if v.status == "inconclusive":
        ET.SubElement(case, "skipped", message=_xml(
            f"inconclusive: the samples cannot tell a change of this size (detectable effect {fmt(v.mde, '.3g')}); "
            f"effect {effect_text(v)}"))
        return "skipped"
    if v.status == "regression":
        ET.SubElement(case, "system-out").text = _xml("report-only regression (metric does not gate)\n" + _detail(v))
    return "passed"


def render_junit(run: Run, judged: Judged) -> str:
    """JUnit XML: one ``<testsuite>`` per suite, one ``<testcase>`` per verdict, plus the gate (module doc)."""
    outcome = as_outcome(run, judged)
    verdicts = sort_verdicts(run, outcome.verdicts)
    seconds: Counter[str] = Counter()
    for r in run.results:
        seconds[r.suite] += sum(float(t) for t in r.timings.values())
    root = ET.Element("testsuites", name=_xml(f"qharness {run.run_id}"))
    totals: Counter[str] = Counter()

    def add_suite(name: str, time: float, fill) -> None:
        el = ET.SubElement(root, "testsuite", name=_xml(name), timestamp=_xml(run.created), time=f"{time:.3f}")
        outcomes = fill(el)
        for k in ("failures", "errors", "skipped"):
            el.set(k, str(outcomes[k]))
        el.set("tests", str(sum(outcomes.values())))
        totals.update(outcomes)

    def gate_cases(el: ET.Element) -> Counter:
        case = ET.SubElement(el, "testcase", name="gate", classname="qharness")
        out: Counter[str] = Counter()
        if outcome.passed:
            if outcome.reasons:
                ET.SubElement(case, "system-out").text = _xml("\n".join(outcome.reasons))
            out["passed"] += 1
        else:
            tag = "error" if outcome.status in ("execution_failed", "invalid") else "failure"
            ET.SubElement(case, tag, type=outcome.status,
                          message=_xml(f"exit {outcome.code} ({outcome.status}): {outcome.reasons[0]}"),
                          ).text = _xml("\n".join(outcome.reasons))
            out["errors" if tag == "error" else "failures"] += 1
        for key in outcome.orphaned:
            case = ET.SubElement(el, "testcase", name=_xml(f"orphaned baseline {_key_text(key)}"), classname="qharness")
            out[_not_checked(case, "NOT CHECKED: a stored baseline that no result of this run exercised "
                                   "(a renamed or removed suite or case?)", outcome.strict)] += 1
        return out

    add_suite("qharness", 0.0, gate_cases)
    by_suite: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_suite.setdefault(v.suite, []).append(v)
    for suite, vs in by_suite.items():
        add_suite(suite, seconds[suite], lambda el, vs=vs: Counter(_testcase(el, v, outcome.strict) for v in vs))
    root.set("tests", str(sum(totals.values())))
    for k in ("failures", "errors", "skipped"):
        root.set(k, str(totals[k]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


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
