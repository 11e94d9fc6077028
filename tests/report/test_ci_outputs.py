"""CI outputs agree with the outcome: JUnit against its schema with real times and the documented
mapping, the outcome JSON against its schema, summary.md and the PR comment (verdict first, link only
when given, inconclusive explained, changed settings)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from harness.drift import gate_outcome
from harness.drift.outcome import EXIT_CODES, RESULT_STATUSES
from harness.drift.verdict import STATUSES
from harness.errors import HarnessError
from harness.report import check_report_url, render_comment, render_junit, render_markdown, verdicts_json
from harness.report.junit import result_seconds
from harness.report.markdown import COMMENT_LIMIT
from harness.report.validate import check_junit, check_outcome, outcome_schema

URL = "https://ci.example.org/qharness/run 42/index.html"


def _cases(text):
    return {c.get("name"): c for c in ET.fromstring(text).iter("testcase")}


@pytest.mark.parametrize("strict", [False, True])
def test_junit_is_valid_against_the_schema_and_agrees_with_the_exit_code(judged, strict):
    run, verdicts, _ = judged
    outcome = gate_outcome(run, verdicts, strict=strict, orphaned=[("ghz", "gone", "simulator")])
    text = render_junit(run, outcome)
    assert check_junit(text, outcome.code) == []
    # the check can fail: another exit code, a count that lies, a testcase without its time
    assert check_junit(text, 0) and "exit code is 0" in check_junit(text, 0)[0]
    lying = text.replace(f'tests="{len(verdicts) + 2}"', f'tests="{len(verdicts) + 3}"', 1)
    assert lying != text and any("tests=" in p for p in check_junit(lying))
    untimed = text.replace(' time="0.000"', "", 1)
    assert any("time" in p for p in check_junit(untimed))


def test_junit_testcases_carry_the_seconds_of_their_result(judged):
    run, verdicts, _ = judged
    root = ET.fromstring(render_junit(run, verdicts))
    seconds = result_seconds(run)
    case = _cases(render_junit(run, verdicts))["n=4 [hardware.mitigated] approx_ratio"]
    # maxcut n=4 hardware.mitigated: 0.01 + 0.2 + 0.005 + 0.3 + 0.1 + 12.5 s over its 2 metrics
    assert seconds[("maxcut", "n=4", "hardware.mitigated")] == pytest.approx(13.115)
    assert float(case.get("time")) == pytest.approx(13.115 / 2, abs=5e-4)
    for suite in root.iter("testsuite"):
        total = sum(float(c.get("time")) for c in suite.iter("testcase"))
        assert float(suite.get("time")) == pytest.approx(total, abs=0.002)
    maxcut = next(s for s in root.iter("testsuite") if s.get("name") == "maxcut")
    want = sum(t for k, t in seconds.items() if k[0] == "maxcut")
    assert float(maxcut.get("time")) == pytest.approx(want, abs=0.0005 * 16)  # 16 testcases, each to the ms
    assert maxcut.get("timestamp") == "2025-01-01T00:00:00"


def test_junit_status_mapping_lenient_and_strict(judged):
    run, verdicts, _ = judged
    lenient = _cases(render_junit(run, gate_outcome(run, verdicts)))
    strict = _cases(render_junit(run, gate_outcome(run, verdicts, strict=True)))
    for cases, not_checked in ((lenient, "skipped"), (strict, "failure")):
        assert cases["n=4 [hardware.mitigated] approx_ratio"].find("failure").get("type") == "regression"
        assert cases["n=6 [classical] approx_ratio"].find("error").get("type") == "failed"
        assert cases["n=3 [classical] approx_ratio"].find(not_checked) is not None  # no baseline
        inconclusive = cases["n=6 [hardware.raw] approx_ratio"].find("skipped")  # never a strict failure
        assert inconclusive is not None and "Decides it: more samples" in inconclusive.get("message")
        assert len(cases["n=4 [simulator] approx_ratio"]) == 0  # improvement passes
    assert strict["n=3 [classical] approx_ratio"].find("failure").get("type") == "strict"


def test_outcome_schema_matches_the_code_and_catches_a_disagreeing_document(judged):
    schema = outcome_schema()
    props = schema["properties"]
    assert props["counts"]["required"] == list(STATUSES)
    assert props["result_counts"]["required"] == list(RESULT_STATUSES)
    assert props["exit_code"]["enum"] == sorted(EXIT_CODES) and props["status"]["enum"] == list(EXIT_CODES.values())
    run, verdicts, _ = judged
    doc = json.loads(json.dumps(verdicts_json(run, verdicts)))
    assert check_outcome(doc) == []
    assert check_outcome({**doc, "passed": True})  # exit 3 that says it passed
    assert check_outcome({**doc, "status": "pass"})
    assert check_outcome({**doc, "counts": {**doc["counts"], "regression": -1}})
    assert check_outcome(doc, exit_code=1) == ["outcome: exit_code 3 but the gate exited 1"]


def test_summary_starts_with_the_verdict_and_links_only_when_given(judged):
    run, verdicts, stored = judged
    plain = render_markdown(run, verdicts, stored)
    assert plain.splitlines()[0].startswith("## qharness: ✖ FAIL (exit 3")
    assert "http" not in plain and "](" not in plain and "report-url" not in plain.lower() and "TODO" not in plain
    linked = render_markdown(run, verdicts, stored, check_report_url(URL))
    assert linked.splitlines()[0] == plain.splitlines()[0]  # the verdict stays first
    assert "[Open the HTML report](https://ci.example.org/qharness/run%2042/index.html)" in linked.splitlines()[2]


def test_summary_explains_inconclusive_and_names_changed_settings(judged):
    run, verdicts, stored = judged
    md = render_markdown(run, verdicts, stored)
    line = next(x for x in md.splitlines() if x.startswith("**1 inconclusive**"))
    assert "(1 within noise)" in line and "do not block" in line and "more samples" in line
    row = next(x for x in md.splitlines() if x.startswith("| blocks |"))
    assert row.endswith("| transpile |")  # the layer as the verdict named it; no lineage key to look up
    named = [replace(v, changed_layer="optimization_level") if v.gate else v for v in verdicts]
    row = next(x for x in render_markdown(run, named, stored).splitlines() if x.startswith("| blocks |"))
    assert row.endswith("| optimization\\_level 3 → 1 |")
    under = [replace(v, note="underpowered: only worsenings of 0.06 or more") if v.status == "inconclusive" else v
             for v in verdicts]
    assert "`harness check SUITES`" in render_markdown(run, under, stored).replace("\\`", "`")


def test_report_url_must_be_absolute_http():
    assert check_report_url(None) is None and check_report_url("") is None
    for bad in ("reports/index.html", "javascript:alert(1)", "file:///tmp/x.html", "https://"):
        with pytest.raises(HarnessError, match="not an absolute http"):
            check_report_url(bad)


def test_pr_comment_is_short_and_fits_githubs_limit(judged, make_judged, evil):
    run, verdicts, stored = judged
    text = render_comment(run, verdicts, stored, check_report_url(URL))
    assert text.startswith("### qharness: ✖ FAIL (exit 3") and "Open the HTML report" in text
    assert "**Blocking regressions (1)**" in text and "approx\\_ratio" in text and len(text) < 2000
    # ten thousand gating regressions with long names still make one comment
    many = [replace(verdicts[0], case_id=f"n={i}-" + "x" * 200) for i in range(10_000)]
    big = render_comment(run, many, stored)
    assert len(big) <= COMMENT_LIMIT and "…and 9990 more in the report" in big
    huge = gate_outcome(run, verdicts)
    huge = replace(huge, reasons=("y" * 100_000, *huge.reasons))
    assert len(render_comment(run, huge)) <= COMMENT_LIMIT
    run_e, verdicts_e, _ = make_judged(*evil)
    assert "<script>" not in render_comment(run_e, [replace(v, gate=True, status="regression") for v in verdicts_e])


def test_changed_settings_show_nested_blocks_compactly(judged):
    from harness.report.provenance import changed_settings

    run, verdicts, stored = judged
    key = ("maxcut", "n=4", "hardware.mitigated")
    new = next(r for r in run.results if r.key == key)
    old = replace(stored[key], lineage={**stored[key].lineage, "mitigation": {"readout": False, "zne": None}})
    v = replace(next(v for v in verdicts if v.gate), changed_layer="mitigation, device.backend (+2 more)")
    text = changed_settings(v, old, new)
    assert text == ("mitigation {readout: False, zne: None} → {readout: True, zne: {scale_factors: [1, 3, 5]}}; "
                    "device.backend fake_manila → fake_manila (+2 more)")
    assert changed_settings(replace(v, changed_layer=None), old, new) == "—"
    assert changed_settings(v, None, new) == "mitigation; device.backend (+2 more)"


def test_pr_comment_says_what_moved_against_the_base_branchs_run(judged):
    """Given the base branch's run, the comment lists metrics that moved by over half their tolerance."""
    from harness.records import Metric

    run, verdicts, stored = judged
    v = next(v for v in verdicts if v.new_value is not None and v.tolerance
             and run.suites[v.suite]["metrics"][v.metric].get("kind") != "timing")
    key = (v.suite, v.case_id, v.baseline)
    spec = run.suites[v.suite]["metrics"][v.metric]
    tol = v.tolerance * abs(v.new_value) if spec.get("relative") else v.tolerance

    def base_with(shift):
        results = []
        for r in run.results:
            if r.key == key:
                m = r.metrics[v.metric]
                r = replace(r, metrics={**r.metrics, v.metric: replace(m, value=v.new_value - shift)})
            results.append(r)
        return replace(run, run_id="20260101T000000.000000Z-base00", results=tuple(results))

    text = render_comment(run, verdicts, stored, base_run=base_with(2 * tol))
    assert "Against the base branch's run 20260101T000000.000000Z-base00" in text
    assert f"{v.metric.replace('_', chr(92) + '_')}" in text and "Δ +" in text
    quiet = render_comment(run, verdicts, stored, base_run=base_with(0.1 * tol))
    assert "0 moved by more than half their tolerance" in quiet
    assert "base branch" not in render_comment(run, verdicts, stored)  # without a base run, nothing said
