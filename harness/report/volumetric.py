"""The volumetric view of QED-C's application benchmarks: circuit width against depth, per backend.

Each backend (and baseline kind) gets a grid: one row per circuit width in qubits, one column per
band of transpiled depth (powers of two: 1, 2-3, 4-7, ...), and in each square the fidelity of the
results that fall there. The square's colour is a sequential, colour-blind-safe scale (viridis,
0 to 1), and its value is printed in it too, so the grid reads without colour. Width and depth
come from each result's ``resources`` (``width``, ``depth``); the fidelity is the suite's
fidelity-like metric (see :func:`fidelity_metric`).

The columns can be one of SupermarQ's circuit features instead of depth (each result's lineage
records them for its transpiled circuit: ``device.features``, see :mod:`harness.executors.features`),
in bands of tenths; the page offers the axes its results have, depth first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Iterable, Mapping

from harness.executors.features import FEATURES
from harness.records import Result, Run
from harness.report.ci import fmt

__all__ = ["AXES", "PREFERRED", "QUALITY", "depth_band", "feature_band", "fidelity_colour", "fidelity_metric",
           "volumetric_view"]

AXES = ("depth", *FEATURES)
"""Column axes of the view: transpiled depth, or one of SupermarQ's six features."""

PREFERRED = ("normalized_fidelity", "hellinger_fidelity", "fidelity")
"""Fidelity metrics in order of preference; QED-C plots the normalised fidelity (0 = uniform noise)."""

QUALITY = ("approximation_ratio", "approx_ratio")
"""Used when a suite has no fidelity: QED-C's MaxCut benchmark plots its approximation ratio the same way."""

_CELL, _LEFT, _TOP, _BOTTOM = 46, 52, 8, 22  # px: square side and margins for the axis labels
# Viridis at evenly spaced stops (perceptually uniform, readable by the colour-blind and in greyscale).
_VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#fde725")


def fidelity_metric(specs: Mapping[str, Mapping[str, Any]], results: Iterable[Result]) -> str | None:
    """The metric a suite's volumetric squares show: a preferred name, else a ``distribution`` metric,
    else any metric named ``*fidelity*``, else an approximation ratio; None when the suite has none."""
    names: dict[str, str] = {name: str((spec or {}).get("kind", "")) for name, spec in specs.items()}
    for r in results:
        for name, m in r.metrics.items():
            names.setdefault(name, m.kind)
    for name in PREFERRED:
        if name in names:
            return name
    return next((n for n, k in names.items() if k == "distribution"), None) or \
        next((n for n in names if "fidelity" in n), None) or next((n for n in QUALITY if n in names), None)


def depth_band(depth: int) -> tuple[int, int]:
    """The power-of-two band ``(low, high)`` holding ``depth``: 1 -> (1, 1), 6 -> (4, 7), 60 -> (32, 63)."""
    low = 1 << (int(depth).bit_length() - 1)
    return low, 2 * low - 1


def feature_band(value: float) -> tuple[float, float]:
    """The band of tenths holding a feature in [0, 1]: 0.33 -> (0.3, 0.4); 1.0 -> (0.9, 1.0)."""
    k = min(max(int(math.floor(float(value) * 10 + 1e-9)), 0), 9)
    return k / 10, (k + 1) / 10


def _feature(r: Result, name: str) -> float | None:
    device = r.lineage.get("device")
    features = device.get("features") if isinstance(device, Mapping) else None
    v = features.get(name) if isinstance(features, Mapping) else None
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 1 else None


def fidelity_colour(value: float) -> tuple[str, str]:
    """``(fill, text colour)`` for a fidelity, clamped to [0, 1]; the text stays legible on the fill."""
    f = min(max(value, 0.0), 1.0)
    fill = _VIRIDIS[round(f * (len(_VIRIDIS) - 1))]
    return fill, ("#000" if f >= 0.6 else "#fff")


def _int(x: Any) -> int | None:
    try:
        v = int(x)
    except (TypeError, ValueError):
        return None
    return v if v > 0 else None


def _backend(r: Result) -> str:
    device = r.lineage.get("device")
    name = device.get("backend") if isinstance(device, Mapping) else None
    return str(name or r.tier)


def volumetric_view(run: Run, results: Iterable[Result], kind_labels: Mapping[str, str]) -> dict[str, Any]:
    """Grids per (backend, baseline kind, tier, metric) and column axis, squares ready to draw, and what was left out.

    Returns:
        ``{"axes": [{"key", "label"}], "groups": [...], "grids": [...], "left_out": [...], "scale": [...]}``:
        ``axes`` are those some result has (depth first); ``groups`` the depth grids
        ``{"axis", "label", "metric", "fallback", "svg": {...}, "squares": [...]}``, a square being
        ``{x, y, value, text, fill, ink, title}``; ``grids`` every axis's grids (depth first) as plain
        data for the page's script ``{"axis", "label", "metric", "fallback", "frame", "rows", "cols",
        "sq"}``, a square being ``[column, row, text, colour step, dark ink, value, where, cases]``
        (it draws the depth grids when the page opens and a feature's when chosen);
        ``left_out`` names the suites without a metric to show (:func:`fidelity_metric`).
    """
    by_suite: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_suite[r.suite].append(r)
    cells: dict[tuple, dict[tuple[int, tuple], list[tuple[Result, float]]]] = defaultdict(dict)
    left_out = []
    for suite, rs in by_suite.items():
        metric = fidelity_metric((run.suites.get(suite) or {}).get("metrics") or {}, rs)
        if metric is None:
            left_out.append(suite)
            continue
        for r in rs:
            width, depth = _int(r.resources.get("width")), _int(r.resources.get("depth"))
            m = r.metrics.get(metric)
            if r.status != "ok" or width is None or depth is None or m is None or not math.isfinite(m.value):
                continue  # classical results have no circuit; failed ones no value
            group = (_backend(r), r.baseline, r.tier, metric)
            cells[("depth", *group)].setdefault((width, depth_band(depth)), []).append((r, float(m.value)))
            for name in FEATURES:
                f = _feature(r, name)
                if f is not None:
                    cells[(name, *group)].setdefault((width, feature_band(f)), []).append((r, float(m.value)))
    grids = [_grid(key, squares, kind_labels) for key, squares in cells.items()]
    groups = [g for g in grids if g["axis"] == "depth"]
    # Drawn by the page's script: each square its column, row, text, colour step, dark ink (1) or
    # light (0), value (with how many it averages), where it lies on the axis and its cases.
    frame = {"cell": _CELL, "left": _LEFT, "top": _TOP, "pad": _BOTTOM, "palette": list(_VIRIDIS)}
    data = [{"axis": g["axis"], "label": g["label"], "metric": g["metric"], "fallback": g["fallback"],
             "frame": frame, "rows": [r["label"] for r in g["svg"]["rows"]],
             "cols": [c["label"] for c in g["svg"]["cols"]],
             "sq": [[q["col"], q["row"], q["text"], _VIRIDIS.index(q["fill"]), int(q["ink"] == "#000"), q["head"],
                     q["where"], q["cases"]] for q in g["squares"]]}
            for g in grids]
    present = {key[0] for key in cells}
    axes = [{"key": a, "label": "transpiled depth" if a == "depth" else f"SupermarQ {a.replace('_', ' ')}"}
            for a in AXES if a in present]
    step = 150 / len(_VIRIDIS)
    scale = [{"x": round(i * step, 2), "w": round(step + 0.5, 2), "fill": c} for i, c in enumerate(_VIRIDIS)]
    return {"axes": axes, "groups": groups, "grids": data, "left_out": left_out, "scale": scale}


def _band_label(axis: str, band: tuple) -> str:
    lo, hi = band
    if axis == "depth":
        return str(lo) if lo == hi else f"{lo}–{hi}"
    return f"{lo:.1f}–{hi:.1f}"


def _grid(key: tuple, squares: dict, kind_labels: Mapping[str, str]) -> dict[str, Any]:
    axis, backend, kind, tier, metric = key
    widths = sorted({w for w, _ in squares}, reverse=True)  # widest on top, as in QED-C's plots
    bands = sorted({b for _, b in squares})
    row = {w: i for i, w in enumerate(widths)}
    col = {b: j for j, b in enumerate(bands)}
    out = []
    for (w, band), members in sorted(squares.items()):
        value = sum(v for _, v in members) / len(members)
        fill, ink = fidelity_colour(value)
        cases = ", ".join(sorted({r.case_id for r, _ in members}))
        head = fmt(value, ".4g") + (f" (mean of {len(members)})" if len(members) > 1 else "")
        if axis == "depth":
            where = "depth " + ", ".join(str(d) for d in sorted({int(r.resources["depth"]) for r, _ in members}))
        else:
            where = f"{axis.replace('_', ' ')} " + ", ".join(fmt(x, ".2f") for x in sorted(
                {_feature(r, axis) for r, _ in members}))
        out.append({"x": _LEFT + col[band] * _CELL, "y": _TOP + row[w] * _CELL, "value": value,
                    "col": col[band], "row": row[w], "where": where, "cases": cases, "head": head,
                    "text": fmt(value, ".2f"), "fill": fill, "ink": ink, "title": f"{metric} {head} at width {w}, {where}: {cases}"})
    fallback = tier != kind and not kind.startswith(tier + ".")
    return {
        "axis": axis, "label": f"{backend} · {kind_labels.get(kind, kind)}", "metric": metric,
        "fallback": f"produced by {tier} (fallback)" if fallback else None, "squares": out,
        "svg": {"w": _LEFT + len(bands) * _CELL + 8, "h": _TOP + len(widths) * _CELL + _BOTTOM, "cell": _CELL,
                "rows": [{"y": _TOP + i * _CELL + _CELL / 2, "label": str(w)} for i, w in enumerate(widths)],
                "cols": [{"x": _LEFT + j * _CELL + _CELL / 2, "label": _band_label(axis, b)}
                         for j, b in enumerate(bands)],
                "left": _LEFT, "top": _TOP, "bottom": _TOP + len(widths) * _CELL},
    }
