"""The report as a person sees it, in a real browser: Playwright driving Debian's Chromium.

The ``playwright`` pip package brings its own driver; the browser is the system's ``chromium``
(``apt-get install -y chromium``; ``.ci/run`` installs it), never a downloaded build. Without a
Chromium the tests skip on a workstation and fail under CI (``CI`` set): there they must run.

``QHARNESS_REFRESH_SCREENSHOT=1`` also runs the bundled gate and writes the first screen of its
report to ``docs/report.png`` (the README's picture).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from harness.report import write_reports
from harness.report.html import anchor
from harness.store.history import History

playwright = pytest.importorskip("playwright.sync_api", reason="the browser tests need the test extra (playwright)")

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("QHARNESS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 60_000  # for every wait of a page (and twice it for the browser's start): generous on a loaded machine
EVIL_DESCRIPTION = """<img src=x onerror="document.title='pwned'">"""

# True when the element is laid out, not hidden, and inside the current viewport.
VISIBLE = """el => { if (!el) return false; const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"
      && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth; }"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set QHARNESS_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run in CI: {message}", pytrace=False)
        pytest.skip(f"{message}; under CI these tests fail instead")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS, timeout=2 * TIMEOUT_MS)
        yield chromium
        chromium.close()


class Page:
    """A fresh page that collects console errors and uncaught exceptions."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def goto(self, url: str) -> None:
        """Open ``url`` and wait until its script has inflated the embedded data."""
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready]", state="attached")

    def visible(self, selector: str) -> bool:
        return self.page.locator(selector).first.evaluate(VISIBLE) if self.page.locator(selector).count() else False


@pytest.fixture
def page(browser):
    p = Page(browser)
    yield p
    p.page.close()


def _with_zne(r):
    """A Richardson fit through three scale factors, as the ZNE technique records it."""
    zne = {"scale_factors": [1.0, 3.0, 5.0], "extrapolation": "richardson",
           "values": {"approx_ratio": [0.8, 0.7, 0.62]}, "extrapolated": {"approx_ratio": 0.8575}}
    return replace(r, lineage={**r.lineage, "mitigation_details": {"technique": "zne", "zne": zne}})


def _with_features(r):
    features = {"program_communication": 0.5, "critical_depth": 1.0, "entanglement_ratio": 0.25,
                "parallelism": 0.0, "liveness": 0.72, "measurement": 0.0}
    return replace(r, lineage={**r.lineage, "device": {**r.lineage.get("device", {}), "features": features}})


@pytest.fixture(scope="module")
def report(make_judged, evil, tmp_path_factory):
    """A failing report whose suite name, case id, lineage and suite description all carry markup,
    with circuit widths (for the volumetric view) and ten nights of history (for the trends)."""
    run, verdicts, stored = make_judged(*evil)
    suites = {name: ({**meta, "description": EVIL_DESCRIPTION} if name == evil[0] else meta)
              for name, meta in run.suites.items()}
    results = tuple(replace(r, resources={**r.resources, "width": 4}) if r.resources else r for r in run.results)
    results = tuple(_with_zne(r) if r.baseline == "hardware.mitigated" else r for r in results)
    results = tuple(_with_features(r) if r.resources else r for r in results)
    run = replace(run, suites=suites, results=results)
    out = tmp_path_factory.mktemp("browser-report")
    history = History(out / "history.sqlite")
    for night in range(10):
        history.append(replace(run, run_id=f"night-{night}", created=f"2024-12-{night + 10}T02:00:00+00:00"))
    paths = write_reports(run, verdicts, stored, out / "reports", history=history)
    return paths["html"], run


def test_the_first_screen_says_fail_and_shows_the_regression_in_words(page, report):
    html, run = report
    page.goto(html.as_uri())
    assert page.page.evaluate("window.scrollY") == 0
    assert page.visible(".banner.fail")
    assert "FAIL" in page.page.locator(".banner").first.inner_text()
    row = page.page.locator("table.regressions tbody tr").first
    assert page.visible("table.regressions tbody tr")
    text = row.inner_text()
    assert "approx_ratio" in text and "-0.08 [-0.11, -0.05]" in text
    # Without colour: the page in greyscale, with every colour and background removed, still reads
    # FAIL and still marks the row as blocking in words.
    page.page.add_style_tag(content="* { color: #000 !important; background: #fff !important; "
                                    "border-color: #000 !important; filter: grayscale(1) !important; }")
    assert "FAIL" in page.page.locator(".banner").first.inner_text()
    assert "blocks" in row.inner_text().lower() or "regression" in row.inner_text().lower()
    # a laptop screen: wide tables scroll inside their box, the page itself never sideways
    assert page.page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert page.errors == []


def test_markup_in_user_text_stays_inert(page, report, evil):
    html, run = report
    page.goto(html.as_uri())
    assert page.page.title() == f"FAIL · qharness run {run.run_id}"  # the onerror handler never ran
    assert page.page.locator("img, script[src], iframe, object, embed").count() == 0
    body = page.page.inner_text("body")
    assert EVIL_DESCRIPTION in body and evil[0] in body and evil[1] in body
    assert page.errors == []


def test_a_closed_drill_down_opens_on_a_click_and_shows_the_lineage(page, report):
    html, _ = report
    page.goto(html.as_uri())
    drill = page.page.locator(f"#{anchor(('maxcut', 'n=6', 'simulator'))}")
    assert drill.evaluate("d => d.open") is False
    assert not drill.locator("h4").first.is_visible()
    # its summary line, drawn by the script from the data block
    assert drill.locator("summary").inner_text().startswith("n=6 [simulator] — tier simulator, ok")
    drill.locator("summary").first.click()
    assert drill.evaluate("d => d.open") is True
    lineage = drill.locator("h4", has_text="Lineage").first
    lineage.scroll_into_view_if_needed()
    assert lineage.is_visible()
    assert "calib-7f3a" in drill.inner_text() and "optimization_level" in drill.inner_text()
    # the regression's drill-down names the setting that changed against its stored baseline
    regressed = page.page.locator(f"#{anchor(('maxcut', 'n=4', 'hardware.mitigated'))}")
    if not regressed.evaluate("d => d.open"):
        regressed.locator("summary").first.click()
    diff = regressed.locator("h4", has_text="Lineage diff").locator("xpath=following-sibling::div[1]")
    assert "optimization_level" in diff.inner_text() and "started" not in diff.inner_text()
    assert page.errors == []


def test_the_mitigated_drill_down_draws_the_zne_fit(page, report):
    html, _ = report
    page.goto(html.as_uri())
    drill = page.page.locator(f"#{anchor(('maxcut', 'n=4', 'hardware.mitigated'))}")
    if not drill.evaluate("d => d.open"):
        drill.locator("summary").first.click()
    chart = drill.locator("svg.zne").first
    chart.scroll_into_view_if_needed()
    assert chart.is_visible() and chart.bounding_box()["width"] > 200
    assert chart.locator("circle.z-pt").count() == 3 and chart.locator("path.z-zero").count() == 1
    assert chart.locator("polyline.z-fit").evaluate("l => l.points.numberOfItems") >= 25
    assert "zero-noise value (richardson): 0.8575" in chart.locator("path.z-zero title").inner_html()
    assert "noise scale factor" in chart.inner_html()
    assert page.errors == []


def test_a_supermarq_feature_can_be_the_volumetric_axis(page, report):
    html, _ = report
    page.goto(html.as_uri())
    depth = page.page.locator('#volumetric figure[data-axis="depth"]')
    live = page.page.locator('#volumetric figure[data-axis="liveness"]')
    assert depth.count() >= 1 and depth.first.is_visible() and not live.first.is_visible()
    page.page.select_option("#vol-axis", "liveness")
    assert live.first.is_visible() and not depth.first.is_visible()
    assert "0.7–0.8" in live.first.inner_text() and "columns: liveness" in live.first.inner_text()
    page.page.select_option("#vol-axis", "depth")
    assert depth.first.is_visible() and not live.first.is_visible()
    assert page.errors == []


def test_latency_bars_are_drawn_from_the_seconds(page, report):
    html, run = report
    page.goto(html.as_uri())
    widths = page.page.locator("table.latency").first.locator("svg.bar").evaluate_all(
        "ss => ss.map(s => [...s.querySelectorAll('rect')].reduce((a, r) => a + r.width.baseVal.value, 0))")
    suite = run.results[0].suite
    assert len(widths) == sum(r.suite == suite for r in run.results)
    # one scale per suite: the longest total fills the 300 px bar, the others in proportion
    assert max(widths) == pytest.approx(300, abs=0.05) and 0 < min(widths) < 300
    assert page.page.locator("table.latency svg.bar rect title").first.inner_html().endswith(" s")
    # each metric cell's hover title (stored value and effect), set from the data block
    titles = page.page.locator("table.case td[title]").evaluate_all("ts => ts.map(t => t.title)")
    assert titles and all(t.startswith("stored ") and ", effect " in t for t in titles)
    gains = page.page.locator("table.gain tr[data-bar]")
    assert gains.count() >= 1 and gains.first.locator("svg.gain rect.g-bar").count() == 1
    assert gains.first.locator("svg.gain rect.g-bar").bounding_box()["width"] > 0
    assert page.errors == []


def test_trend_charts_draw_points_from_the_history(page, report):
    html, _ = report
    page.goto(html.as_uri())
    trends = page.page.locator("#trends")
    trends.scroll_into_view_if_needed()
    chart = trends.locator("svg").first
    assert chart.is_visible()
    # one drawn point a night: ten nights of history give every line at least ten vertices
    points = trends.locator("svg polyline").evaluate_all(
        "ls => ls.map(l => l.points.numberOfItems)")
    assert points and min(points) >= 10, points
    box = chart.bounding_box()
    assert box["width"] > 0 and box["height"] > 0
    assert page.errors == []


@pytest.mark.skipif(os.environ.get("QHARNESS_REFRESH_SCREENSHOT") != "1",
                    reason="refreshes docs/report.png: set QHARNESS_REFRESH_SCREENSHOT=1")
def test_refresh_the_readme_screenshot(page, tmp_path):
    """The first screen of the bundled gate's report, as the README shows it."""
    work = tmp_path / "work"
    shutil.copytree(REPO / "suites", work / "suites")
    shutil.copytree(REPO / "baselines", work / "baselines")
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "gate", "suites/", "--quiet", "--out", "reports",
                           "--runs-dir", ".runs"], cwd=work, capture_output=True, text=True, timeout=1800)
    html = work / "reports" / "index.html"
    assert proc.returncode in (0, 1) and html.exists(), f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    page.goto(html.as_uri())
    target = REPO / "docs" / "report.png"
    page.page.screenshot(path=str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and page.errors == []
