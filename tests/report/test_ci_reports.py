"""Markdown summary, JUnit XML and the verdict JSON agree with the verdicts and with each other."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import replace

from harness.drift.verdict import STATUSES, Verdict
from harness.report import render_junit, render_markdown, verdicts_json


def _expected(verdicts):
    # plus the "gate" testcase: an error, since a result of the run failed to execute (exit 3)
    return {
        "failures": sum(1 for v in verdicts if v.status == "regression" and v.gate),
        "errors": sum(1 for v in verdicts if v.status == "failed") + 1,
        "skipped": sum(1 for v in verdicts if v.status in ("inconclusive", "no_baseline")),
    }


def test_junit_parses_with_one_suite_per_suite_and_the_right_outcomes(judged):
    run, verdicts, _ = judged
    root = ET.fromstring(render_junit(run, verdicts))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["qharness", "maxcut", "ghz"]
    cases = root.iter("testcase")
    assert sum(1 for _ in cases) == len(verdicts) + 1 == int(root.get("tests"))
    want = _expected(verdicts)
    assert want == {"failures": 1, "errors": 2, "skipped": 9}
    gate = next(c for c in root.iter("testcase") if c.get("name") == "gate")
    assert gate.find("error").get("type") == "execution_failed" and "exit 3" in gate.find("error").get("message")
    for outcome, n in want.items():
        assert int(root.get(outcome)) == n
        assert sum(int(s.get(outcome)) for s in suites) == n
        tag = {"failures": "failure", "errors": "error", "skipped": "skipped"}[outcome]
        assert len(root.findall(f".//testcase/{tag}")) == n


def test_junit_failure_names_the_effect_and_interval(judged):
    run, verdicts, _ = judged
    root = ET.fromstring(render_junit(run, verdicts))
    failed = [c for c in root.iter("testcase") if c.find("failure") is not None and c.get("name") != "gate"]
    assert [(c.get("classname"), c.get("name")) for c in failed] == [("maxcut", "n=4 [hardware.mitigated] approx_ratio")]
    message = failed[0].find("failure").get("message")
    assert "approx_ratio" in message and "-0.08 [-0.11, -0.05]" in message
    assert "p 0.0004, adjusted 0.0031" in failed[0].find("failure").text


def test_junit_report_only_regression_passes_visibly_and_no_baseline_is_skipped_not_passed(judged):
    run, verdicts, _ = judged
    cases = {c.get("name"): c for c in ET.fromstring(render_junit(run, verdicts)).iter("testcase")}
    report_only = cases["n=4 [hardware.mitigated] time_to_solution"]
    assert report_only.find("failure") is None and "report-only regression" in report_only.find("system-out").text
    skipped = cases["n=3 [classical] approx_ratio"].find("skipped")
    assert skipped is not None and "NOT CHECKED: no stored baseline" in skipped.get("message")
    assert "inconclusive" in cases["n=6 [hardware.raw] approx_ratio"].find("skipped").get("message")
    assert cases["n=6 [classical] approx_ratio"].find("error") is not None
    assert len(cases["n=4 [simulator] approx_ratio"]) == 0  # an improvement passes with nothing attached


def test_junit_survives_markup_and_control_characters(judged, make_judged, evil):
    run, verdicts, _ = make_judged(*evil)
    verdicts = [replace(v, note="bad\x00byte <&>") if v.status == "failed" else v for v in verdicts]
    root = ET.fromstring(render_junit(run, verdicts))
    assert {s.get("name") for s in root.findall("testsuite")} == {"qharness", "maxcut", evil[0]}
    assert any(c.get("name").startswith(evil[1]) for c in root.iter("testcase"))
    error = next(e for c in root.iter("testcase") if c.get("name") != "gate" for e in c.iter("error"))
    assert "<&>" in error.get("message") and "\x00" not in error.get("message")


def test_markdown_has_verdict_counts_and_regressions(judged, ungated, passing):
    run, verdicts, _ = judged
    md = render_markdown(run, verdicts)
    assert md.splitlines()[0].startswith("## qharness: ✖ FAIL (exit 3, execution\\_failed)")
    assert "| regression | improvement | unchanged | inconclusive | no baseline | fallback | failed |" in md
    assert "| 2 | 1 | 10 | 1 | 8 | 0 | 1 |" in md
    assert "- 1 gating regression (maxcut/n=4 \\[hardware.mitigated\\] approx\\_ratio)" in md
    row = next(line for line in md.splitlines() if line.startswith("| blocks |"))
    assert "approx\\_ratio" in row and "0.93 → 0.85" in row and "-0.08 \\[-0.11, -0.05\\]" in row
    assert "http" not in md and "](" not in md
    # a failed case is never a pass, gates or not; without it and without gates the run passes
    assert render_markdown(run, ungated(verdicts)).splitlines()[0].startswith("## qharness: ✖ FAIL (exit 3")
    md = render_markdown(*passing[:2])
    assert md.splitlines()[0].startswith("## qharness: ✔ PASS")
    assert "### Fallback results" in md and "- ghz / n=3 \\[hardware.raw\\]" in md


def test_markdown_cells_are_inert(make_judged, evil):
    run, verdicts, _ = make_judged(*evil)
    md = render_markdown(run, [replace(v, status="regression") for v in verdicts if v.suite == evil[0]])
    assert "<script>" not in md and "&lt;script&gt;" in md
    row = next(line for line in md.splitlines() if "n=3" in line)
    # The case id's "|" is escaped, so the row keeps its 9 cells (10 unescaped separators).
    assert row.replace("\\|", "").count("|") == 10


def test_verdicts_json_record(judged, ungated, passing):
    run, verdicts, _ = judged
    doc = verdicts_json(run, verdicts)
    assert doc["schema"] == 2 and doc["run_id"] == run.run_id and doc["passed"] is False
    assert doc["exit_code"] == 3 and doc["status"] == "execution_failed"
    assert doc["counts"] == {s: sum(1 for v in verdicts if v.status == s) for s in STATUSES}
    statuses = {(r["suite"], r["case_id"], r["baseline"]): r["status"] for r in doc["results"]}
    assert statuses[("ghz", "n=3", "hardware.raw")] == "fallback"  # produced by the simulator
    assert statuses[("maxcut", "n=6", "classical")] == "failed"
    assert statuses[("maxcut", "n=4", "hardware.mitigated")] == "regression"
    back = [Verdict.from_dict(d) for d in json.loads(json.dumps(doc, allow_nan=False))["verdicts"]]
    assert sorted(back, key=lambda v: v.key) == sorted(verdicts, key=lambda v: v.key)
    assert verdicts_json(run, ungated(verdicts))["passed"] is False  # exit 3: a case failed
    doc = verdicts_json(*passing[:2])
    assert doc["passed"] is True and doc["exit_code"] == 0


def test_verdicts_json_has_no_nan(judged):
    run, verdicts, _ = judged
    nan = replace(verdicts[0], effect=math.nan, ci_high=math.inf)
    doc = verdicts_json(run, [nan])
    json.dumps(doc, allow_nan=False)  # raises on NaN
    assert doc["verdicts"][0]["effect"] is None and doc["verdicts"][0]["ci_high"] is None
