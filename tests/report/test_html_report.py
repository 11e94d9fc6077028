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
    table = _section(page, "results").split('<table class="case"')[1]
    heads = re.findall(r'<th><a href="#r-[0-9a-f]+">([^<]+)</a>', table)
    assert heads == ["classical", "simulator", "hardware raw", "hardware mitigated"]
    approx = table.split('<th scope="row">approx_ratio</th>')[1].split("</tr>")[0]
    assert re.findall(r'class="st st-(\w+)"', approx) == ["unchanged", "improvement", "unchanged", "regression"]
    assert "0.85 ± 0.01" in approx


def test_mitigation_gain_and_cost(page):
    table = _section(page, "results").split('<table class="case"')[1]
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
    for stage in STAGES:
        assert f"<th>{stage} (s)</th>" in latency
    # the script draws the rows (and each bar from its seconds) from the data block; the browser tests check the bars
    assert f'data-stages="{" ".join(STAGES)}"' in latency and "longest bar = 13.1 s" in latency
    data = decode(page)
    rows = [row for ref in data["l"] for row in unpack(data["v"], ref)]
    assert len(rows) == len(run.results) and all(len(r[2]) == len(STAGES) for r in rows)
    assert any("12.5" in r[2] for r in rows)  # each stage's seconds, as shown
    assert max(float(r[3]) for r in rows) == pytest.approx(13.1, abs=0.05)
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
