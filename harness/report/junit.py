"""JUnit XML of a judged run, in the shape pytest writes and Jenkins, GitLab and GitHub annotators read.

One ``<testsuite>`` per suite and one ``<testcase>`` per verdict, named ``"case_id [baseline] metric"``
with ``classname`` the suite; a ``qharness`` testsuite holds the ``gate`` testcase (the exit code)
and one testcase per orphaned stored baseline. The file validates against the JUnit schema those
tools accept (``harness/report/schemas/junit.xsd``; ``python -m harness.report.schemas DIR`` checks it).

Status mapping (it renders :class:`harness.drift.outcome.GateOutcome`, so the counts agree with the exit code):

================================  ==================================================================
verdict or outcome                testcase
================================  ==================================================================
``regression``, gating            ``<failure type="regression">``: the effect, its interval, p, test
``regression``, report-only       passes; the regression in ``<system-out>`` (it cannot block)
``failed`` (the result crashed)   ``<error type="failed">``: the result's error
``inconclusive``                  ``<skipped>``: why the samples could not tell, and what would decide it
``no_baseline``, ``fallback``,    ``<skipped>`` saying what was not checked and why; under ``--strict``
an orphaned stored baseline       ``<failure type="strict">`` (strict fails the gate for them)
``unchanged``, ``improvement``    passes
the ``gate`` testcase             passes when the exit code is 0; else ``<failure>`` (1: regression or
                                  strict) or ``<error>`` (2 invalid, 3 execution failed, 4 environment)
================================  ==================================================================

``time`` of a testcase is the seconds of the result it judges (the sum of its stage timings: transpile,
queue, execute, ...), shared equally among that result's metrics, so a testsuite's ``time`` is the sum
of its testcases'. The ``gate`` and orphan testcases judge and time nothing: ``time="0.000"``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any, Iterable

from harness.drift.outcome import GateOutcome, as_outcome
from harness.drift.verdict import Verdict
from harness.records import Run
from harness.report.ci import decide_text, effect_text, fmt, key_text, sort_verdicts

__all__ = ["render_junit", "result_seconds"]

_XML_BAD = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")  # the schema's, as Jenkins reads it
_ERROR_STATUSES = ("invalid", "execution_failed", "environment_error")


def _xml(text: Any) -> str:
    # ElementTree escapes markup but writes control characters that no XML parser accepts.
    return _XML_BAD.sub("\ufffd", str(text))


def result_seconds(run: Run) -> dict[tuple[str, str, str], float]:
    """Seconds each result took: the sum of its recorded stage timings (non-numbers count as 0)."""
    out = {}
    for r in run.results:
        total = 0.0
        for t in r.timings.values():
            try:
                total += max(0.0, float(t))
            except (TypeError, ValueError):
                pass
        out[r.key] = total
    return out


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


def _testcase(parent: ET.Element, v: Verdict, strict: bool, seconds: float) -> str:
    """Append one testcase; return the JUnit outcome it counts as."""
    case = ET.SubElement(parent, "testcase", name=_xml(f"{v.case_id} [{v.baseline}] {v.metric}"),
                         classname=_xml(v.suite), time=f"{seconds:.3f}")
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
            f"inconclusive, neither pass nor fail: {v.note or 'the samples cannot tell'}; effect {effect_text(v)}, "
            f"detectable {fmt(v.mde, '.3g')}, tolerance {fmt(v.tolerance)}. Decides it: {decide_text(v)}"))
        return "skipped"
    if v.status == "regression":
        ET.SubElement(case, "system-out").text = _xml("report-only regression (metric does not gate)\n" + _detail(v))
    return "passed"


def render_junit(run: Run, judged: GateOutcome | Iterable[Verdict]) -> str:
    """JUnit XML of the outcome (module doc for the mapping of every status)."""
    outcome = as_outcome(run, judged)
    verdicts = sort_verdicts(run, outcome.verdicts)
    per_result = result_seconds(run)
    shares = Counter((v.suite, v.case_id, v.baseline) for v in verdicts)
    root = ET.Element("testsuites", name=_xml(f"qharness {run.run_id}"))
    totals: Counter[str] = Counter()
    total_time = 0.0

    def add_suite(name: str, fill) -> None:
        nonlocal total_time
        el = ET.SubElement(root, "testsuite", name=_xml(name))
        if _TIMESTAMP.fullmatch(run.created[:19]):
            el.set("timestamp", run.created[:19])
        outcomes, seconds = fill(el)
        for k in ("tests", "failures", "errors", "skipped"):
            el.set(k, str(sum(outcomes.values()) if k == "tests" else outcomes[k]))
        el.set("time", f"{seconds:.3f}")
        totals.update(outcomes)
        total_time += seconds

    def gate_cases(el: ET.Element) -> tuple[Counter, float]:
        case = ET.SubElement(el, "testcase", name="gate", classname="qharness", time="0.000")
        out: Counter[str] = Counter()
        if outcome.passed:
            if outcome.reasons:
                ET.SubElement(case, "system-out").text = _xml("\n".join(outcome.reasons))
            out["passed"] += 1
        else:
            tag = "error" if outcome.status in _ERROR_STATUSES else "failure"
            ET.SubElement(case, tag, type=outcome.status,
                          message=_xml(f"exit {outcome.code} ({outcome.status}): {outcome.reasons[0]}"),
                          ).text = _xml("\n".join(outcome.reasons))
            out["errors" if tag == "error" else "failures"] += 1
        for key in outcome.orphaned:
            case = ET.SubElement(el, "testcase", name=_xml(f"orphaned baseline {key_text(key)}"),
                                 classname="qharness", time="0.000")
            out[_not_checked(case, "NOT CHECKED: a stored baseline that no result of this run exercised "
                                   "(a renamed or removed suite or case?)", outcome.strict)] += 1
        return out, 0.0

    def suite_cases(el: ET.Element, vs: list[Verdict]) -> tuple[Counter, float]:
        out: Counter[str] = Counter()
        seconds = 0.0
        for v in vs:
            key = (v.suite, v.case_id, v.baseline)
            share = round(per_result.get(key, 0.0) / shares[key], 3)  # as written, so the suite's sum is exact
            out[_testcase(el, v, outcome.strict, share)] += 1
            seconds += share
        return out, seconds

    add_suite("qharness", gate_cases)
    by_suite: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_suite.setdefault(v.suite, []).append(v)
    for suite, vs in by_suite.items():
        add_suite(suite, lambda el, vs=vs: suite_cases(el, vs))
    root.set("tests", str(sum(totals.values())))
    for k in ("failures", "errors", "skipped"):
        root.set(k, str(totals[k]))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
