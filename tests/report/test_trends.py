"""Trends in the HTML report, from a real SQLite history filled in a temporary folder."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from harness.drift.verdict import Verdict
from harness.records import Metric, Result, Run
from harness.report import render_html
from harness.store.history import History

KEY = ("maxcut", "n=4", "hardware.mitigated")
NIGHTS, STEP_AT = 40, 25


def _night(i: int, results: list[Result]) -> Run:
    created = (datetime(2024, 11, 1, 2, tzinfo=timezone.utc) + timedelta(days=i)).isoformat()
    return Run(f"night-{i:03d}", created, tuple(results))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """40 nights before the judged run: approx_ratio of KEY steps down from 0.93 to 0.85 at night 25
    (nights 30 and 31 judged regressions); simulator approx_ratio flat; night 33 of KEY failed."""
    rng = np.random.default_rng(5)
    h = History(tmp_path_factory.mktemp("history") / "history.sqlite")
    for i in range(NIGHTS):
        level = 0.93 if i < STEP_AT else 0.85
        status = "failed" if i == 33 else "ok"
        mitigated = Result(*KEY, "hardware", status,
                           {"approx_ratio": Metric(level + rng.normal(0, 0.004), "expectation", stderr=0.004, n=4000)})
        simulator = Result("maxcut", "n=4", "simulator", "simulator", "ok",
                           {"approx_ratio": Metric(0.93, "expectation", stderr=0.004, n=4000)})
        verdicts = [Verdict(*KEY, "approx_ratio", "regression", "higher", 0.02)] if i in (30, 31) else []
        h.append(_night(i, [mitigated, simulator]), verdicts)
    return h


@pytest.fixture(scope="module")
def page(judged, history):
    return render_html(*judged, history=history)


def _row(page: str, case: str, kind: str, metric: str) -> str:
    section = page[page.index('<section id="trends">'):]
    section = section[:section.index("</section>")]
    for row in section.split("<tr>")[1:]:
        if row.startswith(f"<td>{case}</td><td>{kind}</td><th scope=\"row\">{metric}</th>"):
            return row
    raise AssertionError(f"no trend row for {case} {kind} {metric}")


def _points(row: str) -> list[list[tuple[float, float]]]:
    lines = re.findall(r'<polyline class="t-line" points="([^"]+)"', row)
    return [[tuple(map(float, p.split(","))) for p in line.split()] for line in lines]


def test_step_is_marked_at_the_night_it_began(page):
    row = _row(page, "n=4", "hardware mitigated", "approx_ratio")
    assert row.count('<path class="t-mark"') == 1
    # The change point names the first night of the new level and the two levels around it.
    text = re.search(r"▼ (from run night-025 [^<]*)", row).group(1)
    assert text.startswith("from run night-025 (2024-11-26): mean ")
    before, after = map(float, re.search(r"mean ([\d.]+) → ([\d.]+)", text).groups())
    assert before == pytest.approx(0.93, abs=0.005) and after == pytest.approx(0.85, abs=0.005)
    # Its vertical mark stands at night 25's x: 41 points (40 nights + this run) across the chart.
    x = float(re.search(r'<line class="t-cp" x1="([\d.]+)"', row).group(1))
    assert x == pytest.approx(4 + 272 * STEP_AT / NIGHTS, abs=0.1)


def test_baseline_line_this_run_and_gaps(page):
    row = _row(page, "n=4", "hardware mitigated", "approx_ratio")
    # Night 33 failed: the line breaks there instead of bridging it.
    first, second = _points(row)
    assert (len(first), len(second)) == (33, NIGHTS + 1 - 34)
    # The stored baseline (0.93, from the fixture's stored results) sits at the level of the early nights.
    base_y = float(re.search(r'<line class="t-base" x1="0" y1="([\d.]+)"', row).group(1))
    assert base_y == pytest.approx(np.mean([y for _, y in first[:STEP_AT]]), abs=1.0)
    # This run (0.85) is the last point, drawn as the dot at the right edge.
    cx, cy = map(float, re.search(r'<circle class="t-this" cx="([\d.]+)" cy="([\d.]+)"', row).groups())
    assert (cx, cy) == second[-1] and cx == pytest.approx(276)
    assert "this run: 0.85" in row and '<td class="num">0.85 ± 0.01</td>' in row
    assert '<td class="num">0.93<br><span class="small">± 0.02</span></td>' in row  # baseline and tolerance in words
    assert row.count('<path class="t-reg"') == 3 and "✕ 3 regressions" in row  # nights 30, 31 and this run


def _rect(row: str, cls: str) -> tuple[float, float]:
    y, h = re.search(rf'<rect class="{cls}" x="0" y="([\d.]+)" width="280" height="([\d.]+)"', row).groups()
    return float(y), float(h)


def test_baseline_band_is_the_tolerance_and_the_interval_around_the_stored_value(page):
    row = _row(page, "n=4", "hardware mitigated", "approx_ratio")
    base_y = float(re.search(r'<line class="t-base" x1="0" y1="([\d.]+)"', row).group(1))
    # the y scale, from two points of the line: pixels per unit of the metric
    first, second = _points(row)
    (_, y_hi), (_, y_lo) = min(first, key=lambda p: p[1]), max(second, key=lambda p: p[1])
    tol_y, tol_h = _rect(row, "t-tol")
    ci_y, ci_h = _rect(row, "t-ci")
    # both bands centre on the baseline line (the tolerance band may be cut at the top edge)
    assert ci_y + ci_h / 2 == pytest.approx(base_y, abs=0.2)
    # the fixture: tolerance 0.02, the stored result's stderr 0.01 -> 95 % interval ± 0.0196
    per_unit = (ci_h / 2) / 0.0196  # px per unit of the metric
    assert tol_y + tol_h == pytest.approx(base_y + 0.02 * per_unit, abs=0.3)  # its lower edge: baseline - 0.02
    assert tol_y == pytest.approx(9.0)  # its upper edge (0.95) lies above the scale: cut at the chart's top
    assert "baseline ± tolerance: 0.91 to 0.95" in row and "95 % interval: 0.9104 to 0.9496" in row
    assert y_lo > y_hi  # the step down is drawn below the band


def test_flat_series_and_missing_history(page):
    flat = _row(page, "n=4", "simulator", "approx_ratio")
    assert "t-mark" not in flat and flat.rstrip().endswith('<td class="small">none</td></tr>')
    assert "41 runs<br>0.93 … 0.93" in flat  # the data's range, not the padded scale of a flat chart
    # The judged run's other results were never stored: only this run, so no chart yet.
    with pytest.raises(AssertionError, match="no trend row"):
        _row(page, "n=6", "simulator", "approx_ratio")  # left out: a row per lone point is noise
    section = page[page.index('<section id="trends">'):]
    left_out = re.search(r'<p class="muted">(\d+) metrics? with no history yet', section)
    assert left_out and int(left_out.group(1)) > 0


def test_trends_collapse_without_any_history(judged, tmp_path):
    page = render_html(*judged, history=History(tmp_path / "empty.sqlite"))
    section = page[page.index('<section id="trends">'):]
    section = section[:section.index("</section>")]
    assert "<table" not in section and 'id="trends-legend"' not in section
    assert "with no history yet (one run or no value) left out." in section


def test_without_history_no_trends(judged):
    page = render_html(*judged)
    assert 'id="trends"' not in page and 'href="#trends"' not in page


def test_trends_read_from_history_include_this_run_once(judged, history, tmp_path):
    """When the gate has appended this run already, its point is not drawn twice."""
    run, verdicts, stored = judged
    h = History(tmp_path / "h.sqlite")
    for i in range(3):
        h.append(_night(i, [r for r in run.results if r.key == KEY]))
    h.append(run, verdicts)
    row = _row(render_html(run, verdicts, stored, history=h), "n=4", "hardware mitigated", "approx_ratio")
    assert len(_points(row)[0]) == 4 and '<td class="small nowrap">4 runs<br>' in row


def test_without_ruptures_the_lines_still_draw_and_say_why(judged, history, monkeypatch):
    monkeypatch.setitem(sys.modules, "ruptures", None)  # import ruptures -> ImportError
    row = _row(render_html(*judged, history=history), "n=4", "hardware mitigated", "approx_ratio")
    assert "<polyline" in row and "t-mark" not in row
    assert "change points not computed: pip install ruptures" in row


def test_a_history_with_only_series_draws_the_same_page(judged, history, page):
    """The bulk columnar read is a speed-up only: a bare ``series`` source gives the same report."""

    class Bare:
        def series(self, *key, limit=None):
            return history.series(*key, limit=limit)

    assert render_html(*judged, history=Bare()) == page


def test_coordinates_are_written_as_rounding_then_formatting_would():
    from harness.report.trends import _text

    rng = np.random.default_rng(0)
    # halves in binary and in decimal, the ends of the chart, and values off it (formatted, not looked up)
    v = np.r_[rng.uniform(0, 56, 2000), np.arange(0, 56.05, 0.05), [0.0, 0.05, 0.15, 0.25, 55.95, 280.0]]
    assert _text(v) == [f"{x:.1f}" for x in np.round(v, 1)]
    for off in ([-3.2, 1.0], [-0.04, 2.0], [-0.0, 2.0], [400.04, 2.0]):  # off the table
        assert _text(np.array(off)) == [f"{x:.1f}" for x in np.round(off, 1)]


def test_metrics_judged_unchanged_are_counted_not_read_or_drawn(judged, history):
    run, verdicts, stored = judged
    asked = []

    class Counting:
        def series(self, *key, limit=None):
            return history.series(*key, limit=limit)

        def columns_many(self, keys, *, limit=None):
            keys = list(keys)
            asked.extend(keys)
            return history.columns_many(keys, limit=limit)

    page = render_html(run, verdicts, stored, history=Counting())
    unchanged = {v.key for v in verdicts if v.status == "unchanged"}
    assert unchanged and not unchanged & set(asked)  # their history is never read
    assert ("maxcut", "n=4", "hardware.mitigated", "approx_ratio") in asked  # the regression's is
    section = page[page.index('<section id="trends">'):]
    n = len(unchanged)
    assert f"{n} metrics judged unchanged tonight (equivalent to the stored baseline within the tolerance) " \
           "not drawn." in section
    with pytest.raises(AssertionError, match="no trend row"):
        _row(page, "n=4", "hardware raw", "approx_ratio")  # unchanged in the fixture: not drawn
