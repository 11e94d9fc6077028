"""The report as a person sees it: rendered, opened in headless Chromium, clicked, screenshotted.

Needs Debian's ``chromium``. Without it the test skips on a workstation, but fails under CI
(``CI`` set): there it must run.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest

from harness.errors import UnsupportedError
from harness.report import write_reports
from harness.report.browser import INSTALL_HINT, Chromium, find_chromium
from harness.report.html import anchor
from harness.store.history import History

EVIL_DESCRIPTION = """<img src=x onerror="document.title='pwned'">"""

# True when the element is laid out, not hidden, and inside the current viewport.
VISIBLE = """(el => { if (!el) return false; const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"
      && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth; })"""


@pytest.fixture(scope="module")
def report(make_judged, evil, tmp_path_factory):
    """A failing report whose suite name, case id, lineage and suite description all carry markup,
    with circuit widths (for the volumetric view) and ten nights of history (for the trends)."""
    run, verdicts, stored = make_judged(*evil)
    suites = {name: ({**meta, "description": EVIL_DESCRIPTION} if name == evil[0] else meta)
              for name, meta in run.suites.items()}
    results = tuple(replace(r, resources={**r.resources, "width": 4}) if r.resources else r for r in run.results)
    run = replace(run, suites=suites, results=results)
    out = tmp_path_factory.mktemp("browser-report")
    history = History(out / "history.sqlite")
    for night in range(10):
        history.append(replace(run, run_id=f"night-{night}", created=f"2024-12-{night + 10}T02:00:00+00:00"))
    paths = write_reports(run, verdicts, stored, out / "reports", history=history)
    return paths["html"], run


@pytest.fixture(scope="module")
def page():
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI but no Chromium was found: {INSTALL_HINT}", pytrace=False)
        pytest.skip(f"no Chromium ({INSTALL_HINT}); under CI this test fails instead")
    with Chromium(binary, width=1280, height=900) as browser:
        yield browser


def visible(page, selector: str) -> bool:
    return page.evaluate(f"{VISIBLE}(document.querySelector({json.dumps(selector)}))")


def test_report_in_a_browser(page, report, evil, tmp_path):
    html, run = report
    page.open(html)

    # Markup in user text stays text: the onerror handler never ran, no element was made of it.
    assert page.evaluate("document.title") == f"FAIL · qharness run {run.run_id}"
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 2  # the drill-down data and its drawer
    body = page.evaluate("document.body.innerText")
    assert EVIL_DESCRIPTION in body and f"Suite {evil[0]}" in body and evil[1] in body

    # Ten seconds: verdict banner and the gating regression are on the first screen, unscrolled.
    assert page.evaluate("window.scrollY") == 0
    assert visible(page, ".banner.fail")
    assert "✖ FAIL" in page.evaluate("document.querySelector('.banner').innerText")
    row = "table.regressions tbody tr:first-child"
    assert visible(page, row)
    text = page.evaluate(f"document.querySelector('{row}').innerText")
    assert "blocks" in text and "approx_ratio" in text and "-0.08 [-0.11, -0.05]" in text
    # A laptop screen: wide tables scroll inside their box, the page itself never sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.screenshot(tmp_path / "report-top.png")

    # Thirty seconds: a closed drill-down opens on a click and shows the lineage.
    drill = f"#{anchor(('maxcut', 'n=6', 'simulator'))}"
    assert page.evaluate(f"document.querySelector('{drill}').open") is False
    assert "calib-7f3a" not in page.evaluate(f"document.querySelector('{drill}').innerText")
    page.click(f"{drill} > summary")
    assert page.evaluate(f"document.querySelector('{drill}').open") is True
    lineage = page.evaluate(f"""[...document.querySelectorAll('{drill} h4')]
        .find(h => h.textContent === 'Lineage').nextElementSibling.innerText""")
    assert "calib-7f3a" in lineage and "optimization_level" in lineage
    page.evaluate(f"document.querySelector('{drill} h4').scrollIntoView()")
    assert visible(page, f"{drill} h4")

    # The regression's drill-down is open already and names the setting that changed.
    regressed = f"#{anchor(('maxcut', 'n=4', 'hardware.mitigated'))}"
    assert page.evaluate(f"document.querySelector('{regressed}').open") is True
    diff = page.evaluate(f"""Array.from([...document.querySelectorAll('{regressed} h4')]
        .find(h => h.textContent.startsWith('Lineage diff')).nextElementSibling.querySelectorAll('tbody tr'),
        tr => Array.from(tr.cells, c => c.innerText.trim()))""")
    assert diff == [["optimization_level", "3", "1"]]

    # Trends and the volumetric view draw (inline SVG), with their values in words beside them.
    page.evaluate("document.getElementById('trends').scrollIntoView()")
    assert visible(page, "#trends svg.trend")
    # Every metric of every result has a line (the failed result has no metrics, so no trend).
    assert page.evaluate("document.querySelectorAll('#trends svg.trend polyline').length") == len(run.results) * 2 - 2
    page.evaluate("document.getElementById('volumetric').scrollIntoView()")
    assert visible(page, "#volumetric svg.volumetric rect")
    squares = page.evaluate("Array.from(document.querySelectorAll('#volumetric svg.volumetric g > text'), t => t.textContent)")
    assert sorted(squares) == ["0.80", "0.80", "0.85", "0.93"]

    shot = page.screenshot(tmp_path / "report-full.png", full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    assert page.errors() == []


def test_missing_browser_is_a_harness_error_naming_the_fix(monkeypatch):
    monkeypatch.setenv("QHARNESS_CHROMIUM", "/nonexistent/chromium")
    assert find_chromium() is None
    with pytest.raises(UnsupportedError, match="no Chromium") as err:
        Chromium()
    assert "apt-get install -y chromium" in str(err.value)
