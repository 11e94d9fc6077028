"""A run of about a thousand results renders into one page (time printed, not asserted)."""

from __future__ import annotations

import time

from harness.drift.verdict import Verdict
from harness.records import BASELINE_KINDS, Run
from harness.report import render_html, render_junit


def test_thousand_results_render(result_factory, capsys):
    results = tuple(result_factory(f"suite{s}", f"n={c}", kind, ratio=0.8 + 0.001 * c, scale=1 + c / 50)
                    for s in range(2) for c in range(125) for kind in BASELINE_KINDS)
    run = Run(run_id="big", created="2025-01-01T00:00:00+00:00", results=results)
    verdicts = [Verdict(suite=r.suite, case_id=r.case_id, baseline=r.baseline, metric=m,
                        status="regression" if i % 97 == 0 else "unchanged", better="higher", tolerance=0.01,
                        baseline_value=0.9, new_value=r.metrics[m].value, effect=-0.02, ci_low=-0.03,
                        ci_high=-0.01, gate=i % 97 == 0)
                for i, (r, m) in enumerate((r, m) for r in results for m in r.metrics)]
    stored = {r.key: r for r in results}
    start = time.perf_counter()
    page = render_html(run, verdicts, stored)
    html_s = time.perf_counter() - start
    start = time.perf_counter()
    junit = render_junit(run, verdicts)
    junit_s = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n{len(results)} results, {len(verdicts)} verdicts: HTML {html_s:.2f} s ({len(page) / 1e6:.1f} MB), "
              f"JUnit {junit_s:.2f} s")
    assert len(results) == 1000
    assert page.count("<details id=") == 1000 and page.count("<tbody data-latency=") == 2
    assert page.count('<table class="case"') == 250
    assert junit.count("<failure ") == sum(v.gate for v in verdicts) + 1  # and the gate's own testcase
