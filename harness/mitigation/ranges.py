"""Honest numbers: a mitigated estimate outside the physical range is flagged, not hidden.

Extrapolation and readout inversion are unbiased but unconstrained, so a mitigated probability
can come out above 1 or below 0. The metric keeps that estimate (clipping it would bias every
comparison the drift engine makes), and the result's details name it with the clipped value and
the method, so the report can show both.
"""

from __future__ import annotations

from typing import Any, Mapping

from harness.records import Metric

__all__ = ["PHYSICAL_RANGE", "check_range"]

PHYSICAL_RANGE = {"proportion": (0.0, 1.0)}
"""Metric kind -> the interval its values can physically take."""


def check_range(metrics: Mapping[str, Metric]) -> dict[str, dict[str, Any]]:
    """``{name: {estimate, range, clipped, method}}`` for every metric outside its physical range."""
    flagged: dict[str, dict[str, Any]] = {}
    for name, m in metrics.items():
        bounds = PHYSICAL_RANGE.get(m.kind)
        if bounds is None:
            continue
        lo, hi = bounds
        if m.value < lo or m.value > hi:
            flagged[name] = {"estimate": m.value, "range": [lo, hi], "clipped": min(max(m.value, lo), hi),
                             "method": f"clipped to [{lo:g}, {hi:g}] (the nearest physical value)"}
    return flagged
