"""The volumetric view: width x depth squares per backend, the value printed in each."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from harness.records import Metric, Result, Run
from harness.report import render_html
from harness.report.packing import decode, unpack
from harness.report.volumetric import depth_band, fidelity_colour, fidelity_metric, volumetric_view

LABELS = {"simulator": "simulator", "hardware.raw": "hardware raw"}


def _res(case: str, kind: str, width: int | None, depth: int | None, fid: float | None, *,
         backend: str = "fake_manila", tier: str | None = None, status: str = "ok") -> Result:
    metrics = {"time_to_solution": Metric(0.5, "timing")}
    if fid is not None:
        metrics["normalized_fidelity"] = Metric(fid, "distribution", n=4000)
    resources = {k: v for k, v in (("width", width), ("depth", depth)) if v is not None}
    return Result("ghz", case, kind, tier or kind.split(".")[0], status, metrics, resources=resources,
                  lineage={"device": {"backend": backend}})


@pytest.mark.parametrize("depth, band", [(1, (1, 1)), (2, (2, 3)), (6, (4, 7)), (7, (4, 7)), (8, (8, 15)),
                                         (60, (32, 63)), (64, (64, 127))])
def test_depth_bands_are_powers_of_two(depth, band):
    assert depth_band(depth) == band


def test_colour_scale_clamps_and_keeps_text_legible():
    assert fidelity_colour(0.0) == ("#440154", "#fff") == fidelity_colour(-0.2)
    assert fidelity_colour(1.0) == ("#fde725", "#000") == fidelity_colour(1.04)  # mitigation can overshoot 1
    fills = [fidelity_colour(i / 8)[0] for i in range(9)]
    assert len(set(fills)) == 9  # every step of the scale is its own colour


def test_metric_choice():
    assert fidelity_metric({"hellinger_fidelity": {}, "normalized_fidelity": {}}, []) == "normalized_fidelity"
    assert fidelity_metric({"tvd_score": {"kind": "distribution"}, "p": {"kind": "proportion"}}, []) == "tvd_score"
    assert fidelity_metric({"approximation_ratio": {}, "p_optimal": {}}, []) == "approximation_ratio"
    assert fidelity_metric({"time_to_solution": {"kind": "timing"}}, []) is None
    # Metrics found only on the results count too.
    assert fidelity_metric({}, [_res("n=3", "simulator", 3, 4, 0.9)]) == "normalized_fidelity"


def test_grid_places_averages_and_prints_every_square():
    results = [
        _res("n=3", "hardware.raw", 3, 6, 0.80), _res("n=3b", "hardware.raw", 3, 5, 0.70),  # same square
        _res("n=5", "hardware.raw", 5, 12, 0.55), _res("n=8", "hardware.raw", 8, 40, 0.12),
        _res("n=3", "simulator", 3, 4, 1.0, backend="aer"),
        _res("n=4", "hardware.raw", 4, 7, 0.9, backend="aer", tier="simulator"),  # a fallback: its own grid
        _res("n=9", "hardware.raw", 9, 50, None, status="failed"),  # no value: not placed
        _res("n=3", "classical", None, None, 1.0),  # no circuit: not placed
    ]
    run = Run("r", "2025-01-01T00:00:00Z", tuple(results))
    view = volumetric_view(run, results, LABELS)
    groups = {g["label"] + (" fallback" if g["fallback"] else ""): g for g in view["groups"]}
    assert set(groups) == {"fake_manila · hardware raw", "aer · simulator", "aer · hardware raw fallback"}
    g = groups["fake_manila · hardware raw"]
    assert [r["label"] for r in g["svg"]["rows"]] == ["8", "5", "3"]  # widest on top
    assert [c["label"] for c in g["svg"]["cols"]] == ["4–7", "8–15", "32–63"]
    squares = {(q["x"], q["y"]): q for q in g["squares"]}
    left, top, cell = g["svg"]["left"], g["svg"]["top"], g["svg"]["cell"]
    assert squares[(left, top + 2 * cell)]["text"] == "0.75"  # width 3, depths 5 and 6: mean of two
    assert "mean of 2" in squares[(left, top + 2 * cell)]["title"]
    assert squares[(left + cell, top + cell)]["text"] == "0.55"
    assert squares[(left + 2 * cell, top)]["text"] == "0.12" and squares[(left + 2 * cell, top)]["ink"] == "#fff"
    assert len(squares) == 3
    assert groups["aer · hardware raw fallback"]["fallback"] == "produced by simulator (fallback)"
    assert view["left_out"] == []


def test_report_section(judged):
    run, verdicts, stored = judged
    # The conftest results carry no circuit width: the view says so instead of drawing empty grids.
    page = render_html(run, verdicts, stored)
    assert "No result has a circuit width, depth and fidelity to place." in page
    widened = tuple(replace(r, resources={**r.resources, "width": 4}) for r in run.results)
    page = render_html(replace(run, results=widened), verdicts, stored)
    section = page[page.index('<section id="volumetric">'):]
    section = section[:section.index("</section>")]
    # Grids: simulator, hardware raw, hardware mitigated, and ghz's raw result that fell back to the
    # simulator on its own. All results are width 4, depth 31: one square per grid, averaged over cases.
    data = decode(page)
    grids = [unpack(data["v"], i) for i in data["g"]]  # drawn by the page's script
    assert [g["axis"] for g in grids] == ["depth"] * 4
    assert sum(g["fallback"] == "produced by simulator (fallback)" for g in grids) == 1
    assert "<select" not in section  # no result recorded circuit features: depth is the only axis
    squares = [q for g in grids for q in g["sq"]]
    assert sorted(q[2] for q in squares) == ["0.80", "0.80", "0.85", "0.93"]
    [q] = [q for q in squares if q[2] == "0.93"]
    assert (q[5], q[6], q[7]) == ("0.93 (mean of 3)", "depth 31", "n=3, n=4, n=6")
    assert "Not shown" not in section


def test_supermarq_features_are_a_column_axis(judged):
    from harness.report.volumetric import feature_band

    assert feature_band(0.0) == (0.0, 0.1) and feature_band(0.33) == (0.3, 0.4) and feature_band(1.0) == (0.9, 1.0)
    run, verdicts, stored = judged
    features = {"program_communication": 0.5, "critical_depth": 1.0, "entanglement_ratio": 0.25,
                "parallelism": 0.0, "liveness": 0.72, "measurement": 0.0}

    def with_features(r):
        device = {**r.lineage.get("device", {}), "features": features}
        return replace(r, resources={**r.resources, "width": 4}, lineage={**r.lineage, "device": device})

    view = volumetric_view(run, [with_features(r) for r in run.results], {})
    assert [a["key"] for a in view["axes"]] == ["depth", "program_communication", "critical_depth",
                                                "entanglement_ratio", "parallelism", "liveness", "measurement"]
    assert {g["axis"] for g in view["groups"]} == {"depth"}  # drawn on the page; the others by its script
    live = [g for g in view["grids"] if g["axis"] == "liveness"]
    assert len(live) == 4 and all(g["cols"] == ["0.7–0.8"] and g["rows"] == ["4"] for g in live)
    col, row, text, step, dark, head, where, cases = live[0]["sq"][0]
    assert (col, row, where) == (0, 0, "liveness 0.72") and cases.startswith("n=")
    assert live[0]["frame"]["palette"][step] == fidelity_colour(float(text))[0]
    assert dark == (fidelity_colour(float(text))[1] == "#000")
    page = render_html(replace(run, results=tuple(with_features(r) for r in run.results)), verdicts, stored)
    section = page[page.index('<section id="volumetric">'):page.index('<section id="latency">')]
    assert '<select id="vol-axis"><option value="depth">transpiled depth</option>' in section
    assert "<figure" not in section  # the script draws the depth grids on opening, a feature's when chosen
    data = decode(page)
    grids = [unpack(data["v"], i) for i in data["g"]]
    assert sum(g["axis"] == "liveness" for g in grids) == 4 == sum(g["axis"] == "depth" for g in grids)
    assert data["g"].count(data["g"][0]) == 1 and len({json.dumps(g["frame"]) for g in grids}) == 1
    # beside the verdicts, each result's features in words
    assert ("(SupermarQ features: communication · critical depth · entanglement · parallelism · liveness · "
            "measurement)") in page and '<td class="small">0.5 · 1 · 0.25 · 0 · 0.72 · 0</td>' in page
