"""The ZNE fit of a mitigated result, for its drill-down: noise scale factor against the measured
value, the fitted curve and the extrapolated zero-noise point.

Everything comes from what the result recorded (``lineage.mitigation_details.zne``: the scale
factors, each metric's value at every scale, the method and the extrapolated value); nothing is
measured again. The curve is the method's polynomial through the recorded points (Richardson: the
degree n-1 polynomial through all n; linear: the least-squares line; poly: its order) and is drawn
only when its value at zero noise equals the recorded extrapolation, so the picture cannot
disagree with the number. An exponential fit is not redrawn: its points and its zero-noise value are.

The geometry is plain numbers for the page's one JSON block; its script draws the SVG (text set as
text, never as markup).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from harness.records import Result
from harness.report.ci import fmt

__all__ = ["zne_sections"]

_W, _H = 300, 150
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 12, 10, 30  # margins: the axis labels
_CURVE = 25  # points of the drawn curve
_DEGREE = {"richardson": lambda n, order: n - 1, "linear": lambda n, order: 1,
           "poly": lambda n, order: min(order, n - 1)}


def _floats(xs: Any) -> list[float] | None:
    try:
        out = [float(x) for x in xs]
    except (TypeError, ValueError):
        return None
    return out if out and all(math.isfinite(x) for x in out) else None


def _curve(method: str, order: int, scales: list[float], values: list[float], zero: float) -> np.ndarray | None:
    """The fitted polynomial's coefficients, or None when the method has none or it misses ``zero``."""
    if method not in _DEGREE or len(set(scales)) < 2:
        return None
    degree = min(_DEGREE[method](len(scales), order), len(set(scales)) - 1)
    if degree < 1:
        return None
    coef = np.polyfit(scales, values, degree)
    at0 = float(np.polyval(coef, 0.0))
    return coef if abs(at0 - zero) <= 1e-6 * max(1.0, abs(zero)) else None


def _geometry(metric: str, method: str, scales: list[float], values: list[float], zero: float,
              coef: np.ndarray | None) -> dict[str, Any]:
    x_hi = max(scales) * 1.05
    # a straight fit needs its ends only; a curve, enough points to look smooth; both pass through each scale
    grid = [0.0, max(scales)] if coef is not None and len(coef) == 2 else np.linspace(0.0, max(scales), _CURVE)
    xs_curve = np.union1d(grid, scales)
    ys_curve = np.polyval(coef, xs_curve) if coef is not None else np.array([])
    every = [*values, zero, *ys_curve.tolist()]
    lo, hi = min(every), max(every)
    if hi - lo <= 1e-9 * max(1.0, abs(hi)):  # flat: centred, so rounding noise draws no staircase
        mid = (hi + lo) / 2
        lo, hi, pad = mid, mid, max(abs(mid), 1e-9) * 0.05
    else:
        pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    bottom, right = _H - _BOTTOM, _W - _RIGHT
    sx = lambda x: round(_LEFT + (right - _LEFT) * x / x_hi, 1)  # noqa: E731
    sy = lambda y: round(_TOP + (bottom - _TOP) * (hi - y) / (hi - lo), 1)  # noqa: E731
    return {
        "w": _W, "h": _H, "left": _LEFT, "bottom": bottom,
        "axes": f"M{_LEFT},{_TOP}V{bottom}H{right}",
        "label": f"ZNE fit of {metric}: {method} through {len(scales)} scale factors, zero-noise value {fmt(zero)}",
        "fit": " ".join(f"{sx(x)},{sy(y)}" for x, y in zip(xs_curve, ys_curve)) or None,
        "pts": [[sx(s), sy(v), f"noise ×{s:g}: {fmt(v)}"] for s, v in zip(scales, values)],
        "zero": [sx(0.0), sy(zero), f"zero-noise value ({method}): {fmt(zero)}"],
        "yt": [[sy(hi - pad), fmt(hi - pad, ".3g")], [sy(lo + pad), fmt(lo + pad, ".3g")]],
        "xt": [[sx(0.0), "0"], *[[sx(s), f"{s:g}"] for s in sorted(set(scales))]],
        "xlabel": "noise scale factor",
    }


def zne_sections(r: Result) -> list[dict[str, Any]]:
    """One drill-down section per metric that ZNE extrapolated: ``{"h", "p", "z"}`` (title, the fit in
    words, the chart's geometry); empty when the result ran no ZNE or recorded too little to draw."""
    details = r.lineage.get("mitigation_details")
    zne = details.get("zne") if isinstance(details, Mapping) else None
    if not isinstance(zne, Mapping):
        return []
    scales = _floats(zne.get("scale_factors") or ())
    values, extrapolated = zne.get("values"), zne.get("extrapolated")
    if scales is None or not isinstance(values, Mapping) or not isinstance(extrapolated, Mapping):
        return []
    method = str(zne.get("extrapolation") or "")
    settings = details.get("settings")
    order = (settings.get("zne") or {}).get("order", 2) if isinstance(settings, Mapping) else 2
    out = []
    for metric, measured in values.items():
        ys = _floats(measured)
        zero = _floats([extrapolated.get(metric)]) if metric in extrapolated else None
        if ys is None or zero is None or len(ys) != len(scales):
            continue
        coef = _curve(method, int(order or 2), scales, ys, zero[0])
        words = (f"{method or 'fit'} through " + ", ".join(f"×{s:g} → {fmt(v)}" for s, v in zip(scales, ys))
                 + f"; at zero noise {fmt(zero[0])}")
        final = r.metrics.get(metric)
        if final is not None and math.isfinite(final.value) and abs(final.value - zero[0]) > 1e-9 * max(1, abs(zero[0])):
            words += f" (the result's {metric} after the rest of the stack: {fmt(final.value)})"
        if coef is None:
            words += "; curve not drawn (" + ("an exponential fit is not redrawn" if method == "exponential"
                                              else "no polynomial of this method meets the recorded value") + ")"
        out.append({"h": f"ZNE fit: {metric}", "p": words, "z": _geometry(metric, method, scales, ys, zero[0], coef)})
    return out
