"""Trends: each metric's history across runs, drawn as an inline SVG line with the stored
baseline and the change points marked, and the same facts in words beside it.

The history is anything with ``series(suite, case_id, baseline, metric, *, limit)`` returning
points oldest first (``harness.store.history.History``). The change points come from
:func:`harness.drift.changepoint.changepoint_view`: they are advice, never a verdict.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Protocol, Sequence

import numpy as np

from harness.drift.changepoint import changepoint_view
from harness.drift.verdict import Verdict
from harness.errors import UnsupportedError
from harness.records import Result, Run
from harness.report.ci import fmt
from harness.store.history import Point

__all__ = ["TREND_RUNS", "SeriesSource", "trend_rows"]

TREND_RUNS = 365
"""Most recent runs drawn per metric: a year of nightly runs."""

_W, _H = 280, 56  # chart size in px
_PAD_X, _PAD_TOP, _PAD_BOTTOM = 4, 9, 4  # the top margin holds the change-point marks
_SHIFTS_LISTED = 3


class SeriesSource(Protocol):
    """What the report needs of a history: one metric's points, oldest first."""

    def series(self, suite: str, case_id: str, baseline: str, metric: str, *,
               limit: int | None = None) -> list[Any]: ...


class _Fixed:
    """The points read once, served to ``changepoint_view`` without a second query."""

    def __init__(self, points: list[Any]):
        self.points = points

    def series(self, *key: str, limit: int | None = None) -> list[Any]:
        return self.points


def _finite(x: Any) -> bool:
    return x is not None and math.isfinite(x)


def _with_this_run(points: list[Any], run: Run, r: Result, metric: str, verdict: Verdict | None) -> list[Any]:
    """The series ending with this run: its own point is added when the history does not hold it yet."""
    if any(p.run_id == run.run_id for p in points):
        return points
    m = r.metrics.get(metric)
    value = float(m.value) if m is not None and r.status == "ok" and _finite(m.value) else None
    status = verdict.status if verdict else (r.status if value is not None else "failed")
    return [*points, Point(run.run_id, run.created, value, m.stderr if m else None, m.n if m else None, status)]


def _chart(points: list[Any], shifts: list[dict[str, Any]], baseline: float | None, this_run: str) -> dict[str, Any]:
    """Pixel geometry of one trend: the line, the baseline, change marks, regressions and this run."""
    # Vectorised: a year of nights for two thousand metrics is most of a big report's points.
    values = np.array([np.nan if p.value is None else p.value for p in points], float)
    ok = np.isfinite(values)
    vmin = lo = float(values[ok].min())
    vmax = hi = float(values[ok].max())
    if _finite(baseline):
        lo, hi = min(lo, baseline), max(hi, baseline)
    if hi - lo < 1e-12 * max(1.0, abs(hi)):  # a flat series sits mid-height
        lo, hi = lo - 0.5 * max(abs(lo), 1e-9), hi + 0.5 * max(abs(hi), 1e-9)
    span_x = max(len(points) - 1, 1)
    sx = lambda i: _PAD_X + (_W - 2 * _PAD_X) * i / span_x  # noqa: E731
    sy = lambda v: _PAD_TOP + (_H - _PAD_TOP - _PAD_BOTTOM) * (hi - v) / (hi - lo)  # noqa: E731
    xs, ys = np.round(sx(np.arange(len(points))), 1), np.round(sy(values), 1)
    # A missing night breaks the line rather than joining its neighbours across the gap.
    edges = np.flatnonzero(np.diff(np.r_[0, ok.astype(np.int8), 0]))
    lines = [" ".join(map("{:.1f},{:.1f}".format, xs[a:b], ys[a:b])) for a, b in zip(edges[::2], edges[1::2])]
    # changepoint_view indexes the finite points; map back to positions in the drawn series.
    idx = np.flatnonzero(ok)
    marks = []
    for shift in shifts:
        x = xs[idx[shift["index"]]]
        marks.append({"x": f"{x:.1f}", "d": f"M{x - 4:.1f},0H{x + 4:.1f}L{x:.1f},7Z", "title": _shift_text(shift)})
    # A cross, not a coloured dot: readable without colour.
    regs = [{"d": f"M{xs[i] - 3:.1f},{ys[i] - 3:.1f}l6,6m0,-6l-6,6", "run_id": points[i].run_id,
             "created": points[i].created} for i in idx if points[i].status == "regression"]
    here = None
    if points[-1].run_id == this_run and ok[-1]:
        here = {"x": f"{xs[-1]:.1f}", "y": f"{ys[-1]:.1f}"}
    return {"w": _W, "h": _H, "top": _PAD_TOP, "lines": lines, "marks": marks, "regressions": regs, "this": here,
            "baseline_y": f"{sy(baseline):.1f}" if _finite(baseline) else None, "min": vmin, "max": vmax}


def _shift_text(s: Mapping[str, Any]) -> str:
    day = str(s["created"])[:10]  # nightly runs: the date names the night
    return f"from run {s['run_id']} ({day}): mean {fmt(s['before'])} → {fmt(s['after'])} ({fmt(s['change'], '+.3g')})"


def trend_rows(run: Run, results: Sequence[Result], verdicts: Mapping[tuple[str, str, str], list[Verdict]],
               stored: Mapping[tuple[str, str, str], Result], history: SeriesSource,
               *, limit: int = TREND_RUNS) -> list[dict[str, Any]]:
    """One row per metric of each result: its history, chart geometry and change points in words.

    Args:
        run: the run being reported (its point ends each series, added if the history lacks it).
        results: the results to draw, in display order.
        verdicts: this run's verdicts by ``(suite, case_id, baseline)``.
        stored: the stored baselines, by the same key; the dashed line is the verdict's baseline value,
            else the stored result's.
        history: where the series come from.
        limit: most recent runs per series.
    """
    rows = []
    keys = [(*r.key, m) for r in results for m in dict.fromkeys([*r.metrics, *(v.metric for v in verdicts.get(r.key, []))])]
    bulk = getattr(history, "series_many", None)
    prefetched = bulk(keys, limit=limit) if bulk is not None else {}
    for r in results:
        vs = {v.metric: v for v in verdicts.get(r.key, [])}
        base = stored.get(r.key)
        for metric in dict.fromkeys([*r.metrics, *vs]):
            key = (*r.key, metric)
            series = prefetched[key] if key in prefetched else history.series(*key, limit=limit)
            points = _with_this_run(list(series), run, r, metric, vs.get(metric))
            finite = sum(1 for p in points if _finite(p.value))
            # The value the verdict compared with; the stored result's when there is no verdict.
            bm = base.metrics.get(metric) if base is not None else None
            baseline = vs[metric].baseline_value if metric in vs else None
            if not _finite(baseline):
                baseline = float(bm.value) if bm is not None and _finite(bm.value) else None
            note, shifts = "", []
            if finite >= 2:
                try:
                    shifts = changepoint_view(_Fixed(points), (*r.key, metric))["shifts"]
                except UnsupportedError as e:
                    note = f"change points not computed: {e.hint or e.message}"
            m = r.metrics.get(metric)
            rows.append({
                "result": r, "metric": metric, "runs": len(points), "finite": finite,
                "chart": _chart(points, shifts, baseline, run.run_id) if finite >= 2 else None,
                "value": m.value if m is not None and r.status == "ok" else None,
                "stderr": m.stderr if m is not None else None, "unit": m.unit if m is not None else "",
                "baseline": baseline, "first": points[0].created if points else None,
                "shifts": [_shift_text(s) for s in shifts[-_SHIFTS_LISTED:]],
                "earlier_shifts": max(len(shifts) - _SHIFTS_LISTED, 0),
                "regressions": sum(1 for p in points if p.status == "regression"), "note": note,
            })
    return rows
