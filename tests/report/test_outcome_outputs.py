"""Every exit path of the gate against every output: they all render one outcome, so none can disagree.

Each row builds a small run, judges it with the real ``compare``, computes the outcome once and
checks the exit code, ``verdicts.json``, ``summary.md``, the HTML banner, JUnit's gate testcase
and the CLI's lines against the row's expected code.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from harness.cli import _print_outcome
from harness.drift import compare, gate_outcome
from harness.records import Metric, Result, Run
from harness.report import render_comment, render_html, render_junit, render_markdown, verdicts_json
from harness.report.validate import check_junit, check_outcome

SPECS = {"p": {"better": "higher", "tolerance": 0.03}}


def _result(case: str, p: float, *, kind: str = "simulator", tier: str | None = None, status: str = "ok") -> Result:
    metrics = {} if status != "ok" else {"p": Metric(p, "proportion", n=20000)}
    return Result("s", case, kind, tier or kind.split(".")[0], status, metrics,
                  error="ExecutionError: backend vanished" if status != "ok" else None)


def _run(*results: Result) -> Run:
    return Run("r-1", "2025-01-01T00:00:00+00:00", tuple(results), {"s": {"metrics": SPECS}})


STORED = {r.key: r for r in (_result("a", 0.9), _result("b", 0.9), _result("a", 0.8, kind="hardware.raw"))}

# name, results of the run, strict, orphaned, expected code, a phrase of the first reason
ROWS = [
    ("pass", [_result("a", 0.9), _result("b", 0.9)], False, (), 0, None),
    ("regression", [_result("a", 0.7), _result("b", 0.9)], False, (), 1, "gating regression"),
    ("missing baseline, lenient", [_result("a", 0.9), _result("c", 0.9)], False, (), 0, "no stored baseline"),
    ("missing baseline, strict", [_result("a", 0.9), _result("c", 0.9)], True, (), 1, "strict: 1 result had no"),
    ("fallback, lenient", [_result("a", 0.9), _result("a", 0.99, kind="hardware.raw", tier="simulator")],
     False, (), 0, "fallback tier"),
    ("fallback, strict", [_result("a", 0.9), _result("a", 0.99, kind="hardware.raw", tier="simulator")],
     True, (), 1, "strict: 1 result produced by a fallback tier"),
    ("orphaned, lenient", [_result("a", 0.9)], False, [("s", "z", "simulator")], 0, "orphaned"),
    ("orphaned, strict", [_result("a", 0.9)], True, [("s", "z", "simulator")], 1, "strict: 1 stored baseline orphaned"),
    ("nothing judged", [_result("c", 0.9), _result("d", 0.9)], False, (), 2, "no result found a stored baseline"),
    ("nothing judged, strict", [_result("c", 0.9)], True, (), 2, "no result found a stored baseline"),
    ("only fallbacks", [_result("a", 0.99, kind="hardware.raw", tier="simulator")], False, (), 2,
     "every result was produced by a fallback tier"),
    ("empty run", [], False, (), 2, "the run has no results"),
    ("execution failed", [_result("a", 0.9), _result("b", 0.0, status="failed")], False, (), 3, "failed to execute"),
    ("execution failed and a regression", [_result("a", 0.7), _result("b", 0.0, status="failed")], True, (), 3,
     "failed to execute"),
]


@pytest.mark.parametrize("name, results, strict, orphaned, code, reason", ROWS, ids=[r[0] for r in ROWS])
def test_every_output_renders_the_one_outcome(name, results, strict, orphaned, code, reason, capsys):
    run = _run(*results)
    outcome = gate_outcome(run, compare(run, STORED), strict=strict, orphaned=orphaned, baselines="baselines")
    assert outcome.code == code, outcome.reasons
    if reason is not None:
        assert reason in outcome.reasons[0], outcome.reasons
    passed = code == 0

    doc = json.loads(json.dumps(verdicts_json(run, outcome), allow_nan=False))
    assert check_outcome(doc, code) == []  # against the documented schema
    assert doc["passed"] is passed and doc["exit_code"] == code and doc["reasons"] == list(outcome.reasons)
    assert [tuple(o.values()) for o in doc["orphaned"]] == [tuple(k) for k in orphaned]

    md = render_markdown(run, outcome)
    first = md.splitlines()[0]
    assert ("✔ PASS" in first) is passed and ("✖ FAIL" in first) is not passed
    assert passed or f"FAIL (exit {code}," in first

    banner = re.search(r'<div class="banner (pass|fail)"', render_html(run, outcome, STORED)).group(1)
    assert banner == ("pass" if passed else "fail")

    comment = render_comment(run, outcome, STORED).splitlines()[0]
    assert ("✔ PASS" in comment) is passed and (passed or f"FAIL (exit {code}," in comment)

    junit = render_junit(run, outcome)
    assert check_junit(junit, code) == []  # the JUnit schema, the counts, and the gate testcase's outcome
    root = ET.fromstring(junit)
    gate = next(c for c in root.iter("testcase") if c.get("name") == "gate")
    assert (len(gate.findall("failure")) + len(gate.findall("error")) == 0) is passed
    assert (int(root.get("failures")) + int(root.get("errors")) == 0) is passed
    for key in orphaned:  # listed in every output
        text = f"{key[0]} / {key[1]} [{key[2]}]"
        assert any(c.get("name") == f"orphaned baseline {text}" for c in root.iter("testcase"))
        assert text.replace("[", "\\[").replace("]", "\\]") in md

    _print_outcome(run, outcome, 1.0)
    out, _ = capsys.readouterr()
    assert out.splitlines()[1] == outcome.headline()
    assert ("PASS" in out) is passed


def test_the_gates_count_line_says_which_regressions_are_report_only(capsys):
    specs = {**SPECS, "t": {"better": "higher", "tolerance": 0.03, "gate": False}}

    def both(case, p, t):
        r = _result(case, p)
        metrics = {**r.metrics, "t": Metric(t, "proportion", n=20000)}
        return Result(r.suite, r.case_id, r.baseline, r.tier, r.status, metrics)

    stored = {r.key: r for r in (both("a", 0.9, 0.9), both("b", 0.9, 0.9))}
    for new, line, code in (((both("a", 0.9, 0.7), both("b", 0.9, 0.9)), "1 regression (1 report-only)", 0),
                            ((both("a", 0.7, 0.7), both("b", 0.9, 0.9)), "2 regression (1 report-only)", 1),
                            ((both("a", 0.7, 0.9), both("b", 0.9, 0.9)), "1 regression, ", 1)):
        run = Run("r-1", "2025-01-01T00:00:00+00:00", new, {"s": {"metrics": specs}})
        outcome = gate_outcome(run, compare(run, stored), baselines="baselines")
        assert outcome.code == code, outcome.reasons
        _print_outcome(run, outcome, 1.0)
        first = capsys.readouterr().out.splitlines()[0]
        assert line in first and ("report-only" in first) is ("report-only" in line), first


def test_a_fallback_is_never_judged_as_the_tier_it_stood_in_for():
    # ideal-simulator numbers on the hardware.raw side would read as a large "improvement"
    run = _run(_result("a", 0.9), _result("a", 0.99, kind="hardware.raw", tier="simulator"))
    by = {v.baseline: v for v in compare(run, STORED)}
    assert by["hardware.raw"].status == "fallback" and by["hardware.raw"].p_value is None
    assert "simulator" in by["hardware.raw"].note
    outcome = gate_outcome(run, list(by.values()))
    assert outcome.results[("s", "a", "hardware.raw")] == "fallback" and outcome.counts["improvement"] == 0
