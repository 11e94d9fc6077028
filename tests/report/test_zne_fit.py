"""The ZNE fit chart of a mitigated result: the recorded points, the method's curve through them
(meeting mitiq's own extrapolation at zero noise), and the recorded zero-noise value; on the page."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest

from harness.report import render_html
from harness.report.html import anchor
from harness.report.packing import decode, unpack
from harness.report.zne_fit import zne_sections

SCALES = [1.0, 3.0, 5.0]
VALUES = [0.80, 0.70, 0.62]


def _with_zne(result, method: str, zero: float, scales=SCALES, values=VALUES):
    details = {"technique": "zne", "settings": {"zne": {"extrapolation": method, "scale_factors": scales, "order": 2}},
               "zne": {"scale_factors": scales, "extrapolation": method, "folding": "global",
                       "values": {"approx_ratio": values}, "extrapolated": {"approx_ratio": zero}}}
    return replace(result, lineage={**result.lineage, "mitigation_details": details})


def _mitiq(method: str) -> float:
    from mitiq.zne.inference import LinearFactory, RichardsonFactory

    factory = {"richardson": RichardsonFactory, "linear": LinearFactory}[method]
    return float(factory.extrapolate(SCALES, VALUES))


def _inverse(z):
    """Pixel -> (scale factor, value), from the axis ticks the chart labels."""
    (x0, _), (x5, _) = z["xt"][0], z["xt"][-1]
    (y_hi, hi), (y_lo, lo) = z["yt"]
    return (lambda px: (px - x0) / (x5 - x0) * 5.0), (lambda py: float(hi) + (py - y_hi) / (y_lo - y_hi) * (float(lo) - float(hi)))


@pytest.mark.parametrize("method", ["richardson", "linear"])
def test_the_curve_meets_mitiqs_extrapolation_at_zero_noise(result_factory, method):
    zero = _mitiq(method)
    if method == "richardson":  # the quadratic through the three points: Lagrange weights 15/8, -5/4, 3/8
        assert zero == pytest.approx(1.875 * 0.80 - 1.25 * 0.70 + 0.375 * 0.62)
    r = _with_zne(result_factory("maxcut", "n=4", "hardware.mitigated", ratio=zero), method, zero)
    [section] = zne_sections(r)
    z = section["z"]
    assert section["h"] == "ZNE fit: approx_ratio" and z["fit"] is not None
    assert [p[2] for p in z["pts"]] == ["noise ×1: 0.8", "noise ×3: 0.7", "noise ×5: 0.62"]
    curve = [tuple(map(float, p.split(","))) for p in z["fit"].split()]
    # the curve starts at the zero-noise point and, for Richardson, passes through every measured point
    assert curve[0] == pytest.approx(tuple(z["zero"][:2]), abs=0.11)
    to_x, to_y = _inverse(z)
    assert to_x(z["zero"][0]) == pytest.approx(0.0) and to_y(z["zero"][1]) == pytest.approx(zero, abs=0.002)
    if method == "richardson":
        ends = {round(to_x(x), 2): y for x, y in curve}
        for (px, py, _), s in zip(z["pts"], SCALES):
            assert ends[s] == pytest.approx(py, abs=0.11)
    assert f"at zero noise {zero:.4g}" in section["p"]


def test_no_curve_when_it_cannot_be_redrawn_faithfully(result_factory):
    r = result_factory("maxcut", "n=4", "hardware.mitigated", ratio=0.9)
    [exp] = zne_sections(_with_zne(r, "exponential", 0.87))
    assert exp["z"]["fit"] is None and "an exponential fit is not redrawn" in exp["p"]
    [off] = zne_sections(_with_zne(r, "richardson", 0.99))  # not what Richardson gives: say so, draw points only
    assert off["z"]["fit"] is None and "no polynomial of this method meets the recorded value" in off["p"]
    assert "after the rest of the stack: 0.9" in off["p"]  # the result's final value differs from ZNE's
    assert zne_sections(r) == []  # no mitigation details
    assert zne_sections(_with_zne(r, "linear", 0.9, values=[0.8, float("nan"), 0.6])) == []
    assert zne_sections(_with_zne(r, "linear", 0.9, values=[0.8, 0.7])) == []  # one value short


def test_the_drill_down_carries_the_chart_once(judged):
    run, verdicts, stored = judged
    key = ("maxcut", "n=4", "hardware.mitigated")
    zero = 1.875 * 0.80 - 1.25 * 0.70 + 0.375 * 0.62
    run = replace(run, results=tuple(_with_zne(r, "richardson", zero) if r.key == key else r for r in run.results))
    page = render_html(run, verdicts, stored)
    data = decode(page)
    sections = data["d"][anchor(key)]
    [z] = [{**s, "z": unpack(data["v"], s["z"])} for s in sections if "z" in s]
    assert z["h"] == "ZNE fit: approx_ratio" and len(z["z"]["pts"]) == 3
    assert sum("z" in s for a in data["d"].values() for s in a) == 1
    assert np.isfinite([p[1] for p in z["z"]["pts"]]).all()


def test_a_flat_fit_draws_a_level_line_in_the_middle(result_factory):
    r = result_factory("bv", "s=101", "hardware.mitigated", ratio=1.0)
    [section] = zne_sections(_with_zne(r, "linear", 1.0, scales=[1.0, 3.0], values=[1.0, 1.0]))
    z = section["z"]
    ys = {float(p.split(",")[1]) for p in z["fit"].split()}
    assert len(ys) == 1 and ys == {z["zero"][1]} == {p[1] for p in z["pts"]}
    assert 10 < z["zero"][1] < z["bottom"]  # mid-height, not at an edge
    assert len(z["fit"].split()) == 3  # a straight line: its two ends and the scale in between
