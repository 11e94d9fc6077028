"""The HTML report: verdict first, the four baseline kinds side by side, latency, drill-down, escaping."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from harness.records import STAGES
from harness.report import render_html
from harness.report.html import anchor, lineage_diff
from harness.report.packing import decode, encode, unpack


@pytest.fixture(scope="module")
def page(judged):
    return render_html(*judged)


def _section(page: str, name: str) -> str:
    start = page.index(f'<section id="{name}">')
    return page[start:page.index("</section>", start)]


def _details(page: str, key) -> str:
    start = page.index(f'<details id="{anchor(key)}"')
    return page[start:page.index("</details>", start)]


def _drill(page: str, key) -> dict:
    """A result's drill-down sections, by heading, as the page's inline script reads them."""
    packed = decode(page)
    full = lambda i: unpack(packed["v"], i)  # noqa: E731
    value = lambda i: full(i) if isinstance(full(i), str) else json.dumps(full(i))  # noqa: E731
    text = lambda c: "; ".join(map(value, c)) if isinstance(c, list) else value(c)  # noqa: E731
    out = {}
    for s in packed["d"][anchor(key)]:
        s = {**s, "t": [[text(c) for c in row] for row in s["t"]]} if "t" in s else dict(s)
        if "lines" in s:
            s["lines"] = [full(i) for i in s["lines"]]
        if "z" in s:
            s["z"] = full(s["z"])
        out[s["h"]] = s
    return out


class _Balance(HTMLParser):
    """Counts opening and closing tags of the elements whose nesting matters for layout."""

    TRACKED = {"table", "thead", "tbody", "tr", "td", "th", "details", "summary", "section", "svg", "pre", "div"}

    def __init__(self):
        super().__init__()
        self.depth = dict.fromkeys(self.TRACKED, 0)
        self.negative = []

    def handle_starttag(self, tag, attrs):
        if tag in self.TRACKED:
            self.depth[tag] += 1

    def handle_endtag(self, tag):
        if tag in self.TRACKED:
            self.depth[tag] -= 1
            if self.depth[tag] < 0:
                self.negative.append(tag)


def test_page_is_balanced_html(page):
    parser = _Balance()
    parser.feed(page)
    assert parser.negative == []
    assert all(n == 0 for n in parser.depth.values()), parser.depth


def test_banner_fails_on_a_gating_regression_and_passes_without(judged, page, passing):
    verdict = _section(page, "verdict")
    assert 'class="banner fail"' in verdict and "✖ FAIL" in verdict and "PASS" not in verdict
    assert "exit 3 (execution failed)" in verdict and "1 result failed to execute" in verdict
    passing = _section(render_html(*passing), "verdict")
    assert 'class="banner pass"' in passing and "✔ PASS" in passing and "FAIL" not in passing
    # Two regressions remain, none gating, and a fallback: the banner says so instead of hiding them.
    assert "2 report-only regressions" in passing and "produced by a fallback tier" in passing


def test_counts_of_every_status(page):
    counts = re.search(r'<table class="counts">.*?<tbody><tr>(.*?)</tr>', page, re.S).group(1)
    # Order: regression, improvement, unchanged, inconclusive, no baseline, fallback, failed (see report_factory).
    assert re.findall(r"<td>(\d+)</td>", counts) == ["2", "1", "10", "1", "8", "0", "1"]


def test_regression_row_names_metric_effect_p_test_and_mde(page):
    rows = _section(page, "verdict").split("<tr>")
    gating = next(r for r in rows if "✖ blocks" in r)
    for text in ("maxcut", "n=4", "hardware mitigated", "approx_ratio", "0.93 → 0.85", "-0.08 [-0.11, -0.05]",
                 "0.0004", "0.0031", "welch-t", "0.021", "transpile"):
        assert text in gating, text
    # Gating regressions first; the report-only one is listed after, marked as such.
    assert rows.index(gating) < rows.index(next(r for r in rows if "report only" in r))


def test_case_table_puts_kinds_side_by_side_with_verdicts(page):
    table = _section(page, "results").split('<table class="case">')[1]
    heads = re.findall(r'<th scope="col"><a href="#r-[0-9a-f]+">([^<]+)</a>', table)
    assert heads == ["classical", "simulator", "hardware raw", "hardware mitigated"]
    approx = table.split('<th scope="row">approx_ratio</th>')[1].split("</tr>")[0]
    assert re.findall(r'class="st st-(\w+)"', approx) == ["unchanged", "improvement", "unchanged", "regression"]
    assert "0.85 ± 0.01" in approx


def test_mitigation_gain_and_cost(page):
    table = _section(page, "results").split('<table class="case">')[1]
    approx = table.split('<th scope="row">approx_ratio</th>')[1].split("</tr>")[0]
    # mitigated 0.85 - raw 0.80, stderr sqrt(0.01^2 + 0.01^2) = 0.014.
    assert "+0.05 ± 0.014" in approx and "helps" in approx
    cost = table.split('<th scope="row">mitigation cost</th>')[1].split("</tr>")[0]
    # mitigated spends 2+6 circuits and 4000+24000 shots, raw 2+1 and 4000+4000; the final
    # evaluations alone are 24000 against 4000 shots.
    assert "+5 circuits" in cost and "+20,000 shots" in cost and "×6 the raw evaluation" in cost


def test_fallback_is_marked_where_it_happened_and_nowhere_else(page):
    mark = "produced by simulator (fallback)"
    # Once in the case table header, once in the drill-down summary of the same result (a closed,
    # unremarkable result's summary is drawn by the script from the data block).
    data = decode(page)
    summary = lambda key: unpack(data["v"], data["s"][anchor(key)])  # noqa: E731
    assert page.count(mark) == 1 and summary(("ghz", "n=3", "hardware.raw"))[3] == mark
    assert _details(page, ("ghz", "n=3", "hardware.raw")).endswith("<summary></summary>")
    # Hardware results produced by the "hardware" tier are not fallbacks.
    assert summary(("ghz", "n=3", "hardware.mitigated"))[3] is None
    assert sum(unpack(data["v"], i)[3] == mark for i in data["s"].values()) == 1
    assert "across a fallback" in _section(page, "results")


def test_latency_bars_and_numbers(judged, page):
    run = judged[0]
    latency = _section(page, "latency")
    # the script draws each bar from the row's seconds (the browser tests check the bars)
    assert latency.count('<td class="bar"></td>') == len(run.results)
    assert f'data-stages="{" ".join(STAGES)}"' in latency and "longest bar = 13.1 s" in latency
    for stage in STAGES:
        assert f"<th>{stage} (s)</th>" in latency
    assert "<td>12.5</td>" in latency  # each stage's seconds beside its bar


def test_drill_down_has_lineage_events_resources_and_trace(page):
    body = _drill(page, ("maxcut", "n=6", "simulator"))
    assert "calib-7f3a" in json.dumps(body["Lineage"]) and "fake_manila" not in json.dumps(body)
    trace = body["Optimizer trace: 10 entries"]["lines"]
    assert len(trace) == 7 and trace[3] == "… 4 entries not shown …"
    assert trace[-1]["iteration"] == 9  # the last entry is shown
    hw = _drill(page, ("maxcut", "n=6", "hardware.raw"))
    events = json.dumps(hw["Job events (2)"])
    assert "QUEUED" in events and "DONE" in events and "job_ids" in json.dumps(hw["Resources"])
    failed = _details(page, ("maxcut", "n=6", "classical"))
    assert failed.startswith(f'<details id="{anchor(("maxcut", "n=6", "classical"))}" open')
    assert "solver crashed" in failed  # the error reads without the script too
    # The body is on the page once, as data: no drill-down carries its own tables.
    assert "<table" not in _details(page, ("maxcut", "n=6", "hardware.raw"))


def test_regression_drill_down_shows_the_lineage_diff(page):
    body = _drill(page, ("maxcut", "n=4", "hardware.mitigated"))
    diff = body["Lineage diff against the stored baseline"]["t"]
    assert ["optimization_level", "3", "1"] in diff
    assert not any(row[0] == "calibration_hash" for row in diff)  # unchanged keys stay out
    assert "Lineage diff against the stored baseline" not in _drill(page, ("maxcut", "n=4", "simulator"))


def test_lineage_diff_flattens_nested_keys_and_marks_absent():
    old = {"device": {"backend": "a", "hash": "x"}, "seed": 1, "gone": [1, 2]}
    new = {"device": {"backend": "a", "hash": "y"}, "seed": 1, "added": True}
    assert lineage_diff(old, new) == [("added", "(absent)", "true"), ("device.hash", "x", "y"),
                                      ("gone", "[\n  1,\n  2\n]", "(absent)")]
    assert lineage_diff({"t": (1, 2)}, {"t": [1, 2]}) == []  # a tuple read back as a list is no change


def test_run_header_lists_suites_hashes_and_environment(page):
    run_part = _section(page, "run")
    for text in ("20250101T000000-abc123", "2025-01-01T00:00:00+00:00", "a" * 64, "suites/maxcut.yaml",
                 "MaxCut by QAOA", "deadbeef", "3.12.3", "&#34;qiskit&#34;: &#34;2.6.2&#34;"):
        assert text in run_part, text


def test_user_text_is_escaped(make_judged, evil):
    page = render_html(*make_judged(*evil))
    # Only the page's own two scripts: the drill-down data and the few lines that draw it.
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert '<script type="application/json" id="drill-data">' in page
    assert "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "n=3&amp;&lt;b&gt;|x" in page
    # The data block is one JSON string of base64 (nothing in it can close the script); it reads back intact.
    data = page[page.index('id="drill-data">'):page.index("</script>")]
    assert re.fullmatch(r'"[A-Za-z0-9+/]*={0,2}"', data.split(">", 1)[1])
    lineage = json.dumps(_drill(page, (evil[0], evil[1], "classical"))["Lineage"], ensure_ascii=False)
    assert "<img src=x onerror=alert(2)>" in lineage


def test_the_data_block_cannot_break_out():
    evil = {"k": "</script><script>alert(1)</script> & \u2028 <!--"}
    text = encode(evil)
    assert re.fullmatch(r'"[A-Za-z0-9+/]*={0,2}"', text) and decode(text) == evil


def test_page_is_self_contained(page):
    # The drill-down script creates SVG elements in SVG's namespace: a name, never fetched; nothing else.
    assert page.count('"http://www.w3.org/2000/svg"') == 1
    linkless = page.replace('"http://www.w3.org/2000/svg"', "")
    assert "http://" not in linkless and "https://" not in linkless
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert re.findall(r"<script[^>]*>", page) == ['<script type="application/json" id="drill-data">', "<script>"]
    assert not re.search(r"\b(src|srcset)=", page) and "url(" not in page and "@import" not in page
    assert "<style>" in page  # the CSS is inline


def test_every_result_column_names_its_setup_and_cases_say_why(page):
    results = _section(page, "results")
    assert results.count('<tr class="setup"><th scope="row">run with</th>') == results.count('<table class="case">')
    assert '<td class="small">fake_manila · seed 7 · 4,000 shots</td>' in results
    n4 = results[results.index("<caption>n=4"):].split("</caption>")[0]
    assert "✖ regression (blocks)</span>: approx_ratio on hardware mitigated" in n4
    n6 = results[results.index("<caption>n=6"):].split("</caption>")[0]
    assert "⚠ failed</span>: classical: ExecutionError: solver crashed" in n6
    # The drill-down's summary line repeats it, so a linked regression reads the same.
    assert "fake_manila · seed 7 · 4,000 shots" in _details(page, ("maxcut", "n=4", "hardware.mitigated"))


def test_regressions_name_the_setup_and_drill_downs_the_circuit(page):
    regs = _section(page, "verdict").split('<table class="regressions">')[1].split("</table>")[0]
    assert "hardware mitigated<br><span class=\"small\">fake_manila · seed 7 · 4,000 shots</span>" in regs
    circuit = _drill(page, ("maxcut", "n=4", "hardware.mitigated"))["Transpiled circuit"]["t"]
    assert circuit[0] == ["property", "value"] and ["depth", "31"] in circuit  # as the result records it
    assert "Transpiled circuit" not in _drill(page, ("maxcut", "n=6", "classical"))  # no circuit ran


def test_mitigation_gain_chart_draws_each_gain_with_its_interval(page):
    results = _section(page, "results")
    assert '<table class="gain" data-w="240"' in results
    chart = results.split('<table class="gain"')[1].split("</table>")[0]
    rows = chart.split("<tr")[1:]
    # the script draws each bar (x, width) and whisker (its two ends) from the row's geometry
    bars = [tuple(map(float, b)) for b in re.findall(r'<tr data-bar="([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)">', chart)]
    assert bars and len(bars) == len(rows)
    assert all(0 <= x and x + w <= 240 and 0 <= lo <= hi <= 240 for x, w, lo, hi in bars)
    assert "n=3 ·" not in chart  # n=3's raw result is a simulator fallback: no mitigation gain drawn
    assert all(re.search(r'[+-][\d.e+-]+ ± [\d.e+-]+', r) for r in rows)  # the numbers, in words too
