"""Trends: each metric's history across runs, drawn as an inline SVG line with the stored
baseline and the change points marked, and the same facts in words beside it.

The history is anything with ``series(suite, case_id, baseline, metric, *, limit)`` returning
points oldest first (``harness.store.history.History``); when it also has ``columns_many`` (or
``series_many``) every series is read in one go. The change points come from
:func:`harness.drift.changepoint.change_points_many`: they are advice, never a verdict.

A big report draws a year of nights for thousands of metrics, so each series is handled as
columns (:class:`harness.store.history.SeriesColumns`), the change points are found for all
series at once, and the chart's coordinates are formatted by table lookup rather than one
format call per point.
"""

from __future__ import annotations

import math
import operator
from functools import lru_cache
from typing import Any, Mapping, Protocol, Sequence

import numpy as np

from harness.drift.changepoint import change_points, change_points_many, shifts
from harness.drift.verdict import Verdict
from harness.errors import UnsupportedError
from harness.records import Result, Run
from harness.report.ci import fmt
from harness.store.history import SeriesColumns

__all__ = ["TREND_RUNS", "SeriesSource", "trend_rows"]

TREND_RUNS = 365
"""Most recent runs drawn per metric: a year of nightly runs."""

_W, _H = 280, 56  # chart size in px
_PAD_X, _PAD_TOP, _PAD_BOTTOM = 4, 9, 4  # the top margin holds the change-point marks
_SHIFTS_LISTED = 3
_Z95 = 1.959963984540054  # the stored baseline's 95 % interval: value ± z · its standard error
_TENTHS = [f"{k / 10:.1f}" for k in range(10 * max(_W, _H) + 1)]  # every coordinate the chart can have

Key = tuple[str, str, str, str]


class SeriesSource(Protocol):
    """What the report needs of a history: one metric's points, oldest first."""

    def series(self, suite: str, case_id: str, baseline: str, metric: str, *,
               limit: int | None = None) -> list[Any]: ...


def _finite(x: Any) -> bool:
    return x is not None and math.isfinite(x)


def _from_points(points: Sequence[Any]) -> SeriesColumns:
    return SeriesColumns(tuple(p.run_id for p in points), tuple(p.created for p in points),
                         np.array([np.nan if p.value is None else p.value for p in points], float),
                         tuple(p.status for p in points))


def _read(history: SeriesSource, keys: list[Key], limit: int) -> dict[Key, SeriesColumns]:
    """Every series, in one query when the history can (columns, else points), else one each."""
    columns = getattr(history, "columns_many", None)
    if columns is not None:
        return columns(keys, limit=limit)
    bulk = getattr(history, "series_many", None)
    points = bulk(keys, limit=limit) if bulk is not None else {}
    return {k: _from_points(points[k] if k in points else history.series(*k, limit=limit)) for k in keys}


def _with_this_run(cols: SeriesColumns, run: Run, r: Result, metric: str, verdict: Verdict | None) -> SeriesColumns:
    """The series ending with this run: its own point is added when the history does not hold it yet."""
    if run.run_id in cols.run_ids:
        return cols
    m = r.metrics.get(metric)
    value = float(m.value) if m is not None and r.status == "ok" and _finite(m.value) else None
    status = verdict.status if verdict else (r.status if value is not None else "failed")
    return SeriesColumns((*cols.run_ids, run.run_id), (*cols.created, run.created),
                         np.append(cols.values, np.nan if value is None else value), (*cols.statuses, status))


@lru_cache(maxsize=64)
def _x_prefixes(n: int) -> tuple[np.ndarray, list[str]]:
    """The x pixel of each of ``n`` points, and the same as ``"x,"`` text: shared by every chart of ``n`` points."""
    xs = np.round(_PAD_X + (_W - 2 * _PAD_X) * np.arange(n) / max(n - 1, 1), 1)
    return xs, [f"{x:.1f}," for x in xs]


def _text(v: np.ndarray) -> list[str]:
    """Coordinates with one decimal, as ``f"{np.round(v, 1):.1f}"`` would write them, looked up by tenths."""
    tenths = np.rint(v * 10)
    if tenths.size and (np.signbit(v).any() or tenths.max() >= len(_TENTHS)):  # off the table: "-0.0", big
        return [f"{x:.1f}" for x in np.round(v, 1)]
    return list(map(_TENTHS.__getitem__, tenths.astype(np.intp).tolist()))


def _chart(cols: SeriesColumns, ok: np.ndarray, found: list[dict[str, Any]], baseline: float | None,
           this_run: str, tolerance: float | None = None, interval: tuple[float, float] | None = None) -> dict[str, Any]:
    """Pixel geometry of one trend: the line, the baseline with its tolerance band and its interval,
    change marks, regressions and this run. The scale holds the series, the baseline and its interval;
    a tolerance band wider than that is cut at the chart's edges."""
    values = cols.values
    vmin = lo = float(values[ok].min())
    vmax = hi = float(values[ok].max())
    if _finite(baseline):
        lo, hi = min(lo, baseline), max(hi, baseline)
        if interval is not None:
            lo, hi = min(lo, interval[0]), max(hi, interval[1])
    if hi - lo < 1e-12 * max(1.0, abs(hi)):  # a flat series sits mid-height
        lo, hi = lo - 0.5 * max(abs(lo), 1e-9), hi + 0.5 * max(abs(hi), 1e-9)
    sy = lambda v: _PAD_TOP + (_H - _PAD_TOP - _PAD_BOTTOM) * (hi - v) / (hi - lo)  # noqa: E731
    xs, x_text = _x_prefixes(len(values))
    ys = np.round(sy(values), 1)
    y_text = _text(np.where(ok, sy(values), 0.0))  # a missing night's text is never drawn
    # A missing night breaks the line rather than joining its neighbours across the gap.
    edges = np.flatnonzero(np.diff(np.r_[0, ok.astype(np.int8), 0]))
    lines = [" ".join(map(operator.add, x_text[a:b], y_text[a:b])) for a, b in zip(edges[::2].tolist(),
                                                                                    edges[1::2].tolist())]
    # The change points index the finite points; map back to positions in the drawn series.
    idx = np.flatnonzero(ok)
    marks = []
    for shift in found:
        x = xs[idx[shift["index"]]]
        marks.append({"x": f"{x:.1f}", "d": f"M{x - 4:.1f},0H{x + 4:.1f}L{x:.1f},7Z", "title": _shift_text(shift)})
    # A cross, not a coloured dot: readable without colour.
    regs = []
    if "regression" in cols.statuses:
        regs = [{"d": f"M{xs[i] - 3:.1f},{ys[i] - 3:.1f}l6,6m0,-6l-6,6", "run_id": cols.run_ids[i],
                 "created": cols.created[i]} for i in idx if cols.statuses[i] == "regression"]
    here = None
    if cols.run_ids[-1] == this_run and ok[-1]:
        here = {"x": f"{xs[-1]:.1f}", "y": f"{ys[-1]:.1f}"}
    def band(a: float, b: float) -> dict[str, str]:
        top, bottom = max(sy(max(a, b)), float(_PAD_TOP)), min(sy(min(a, b)), float(_H))
        return {"y": f"{top:.1f}", "h": f"{max(bottom - top, 0.5):.1f}"}

    bands: dict[str, dict[str, str] | None] = {"tolerance": None, "interval": None}
    if _finite(baseline):
        if _finite(tolerance) and tolerance > 0:
            bands["tolerance"] = band(baseline - tolerance, baseline + tolerance)
        if interval is not None:
            bands["interval"] = band(*interval)
    return {"w": _W, "h": _H, "top": _PAD_TOP, "lines": lines, "marks": marks, "regressions": regs, "this": here,
            "baseline_y": f"{sy(baseline):.1f}" if _finite(baseline) else None, "min": vmin, "max": vmax, **bands}


def _shift_text(s: Mapping[str, Any]) -> str:
    day = str(s["created"])[:10]  # nightly runs: the date names the night
    return f"from run {s['run_id']} ({day}): mean {fmt(s['before'])} → {fmt(s['after'])} ({fmt(s['change'], '+.3g')})"


def _all_shifts(series: list[SeriesColumns], oks: list[np.ndarray]) -> list[list[dict[str, Any]] | str]:
    """Each series' shifts, or the reason they were not computed; found for all series at once."""
    values = [c.values[ok] for c, ok in zip(series, oks)]
    try:
        found: list[list[int] | str] = list(change_points_many(values))
    except UnsupportedError:
        found = []  # one by one, so only the series that needed the package say so, as they always did
        for v in values:
            try:
                found.append(change_points(v))
            except UnsupportedError as e:
                found.append(f"change points not computed: {e.hint or e.message}")
    out: list[list[dict[str, Any]] | str] = []
    for cols, ok, v, cps in zip(series, oks, values, found):
        if isinstance(cps, str) or not cps:
            out.append(cps)
            continue
        at = np.flatnonzero(ok).tolist()
        out.append(shifts(v, cps, [cols.run_ids[i] for i in at], [cols.created[i] for i in at]))
    return out


def trend_rows(run: Run, results: Sequence[Result], verdicts: Mapping[tuple[str, str, str], list[Verdict]],
               stored: Mapping[tuple[str, str, str], Result], history: SeriesSource,
               *, limit: int = TREND_RUNS) -> list[dict[str, Any]]:
    """One row per metric of each result: its history, chart geometry and change points in words.

    Drawn are the metrics that need a look tonight: every verdict but ``unchanged`` (regression,
    improvement, inconclusive, no baseline, fallback, failed) and metrics without a verdict, when
    they have two or more points. A metric judged unchanged (equivalent to its stored baseline
    within the tolerance) is *steady*: its row has ``steady`` true and no chart, and its history
    is not read, so a thousand flat lines neither hide the few that moved nor cost the page its
    speed (reading and segmenting every series was most of a big report's time).

    Args:
        run: the run being reported (its point ends each series, added if the history lacks it).
        results: the results to draw, in display order.
        verdicts: this run's verdicts by ``(suite, case_id, baseline)``.
        stored: the stored baselines, by the same key; the dashed line is the verdict's baseline value,
            else the stored result's.
        history: where the series come from.
        limit: most recent runs per series.
    """
    todo = []  # (result, its verdicts by metric, metric)
    steady = []
    for r in results:
        vs = {v.metric: v for v in verdicts.get(r.key, [])}
        for metric in dict.fromkeys([*r.metrics, *vs]):
            if metric in vs and vs[metric].status == "unchanged":
                steady.append({"result": r, "metric": metric, "chart": None, "steady": True})
            else:
                todo.append((r, vs, metric))
    read = _read(history, [(*r.key, metric) for r, _, metric in todo], limit)
    series = [_with_this_run(read[(*r.key, metric)], run, r, metric, vs.get(metric)) for r, vs, metric in todo]
    oks = [np.isfinite(c.values) for c in series]
    drawn = [i for i, ok in enumerate(oks) if np.count_nonzero(ok) >= 2]
    found = dict(zip(drawn, _all_shifts([series[i] for i in drawn], [oks[i] for i in drawn])))
    rows = []
    for i, ((r, vs, metric), cols, ok) in enumerate(zip(todo, series, oks)):
        # The value the verdict compared with; the stored result's when there is no verdict.
        base = stored.get(r.key)
        bm = base.metrics.get(metric) if base is not None else None
        baseline = vs[metric].baseline_value if metric in vs else None
        if not _finite(baseline):
            baseline = float(bm.value) if bm is not None and _finite(bm.value) else None
        got = found.get(i, [])
        note, got = (got, []) if isinstance(got, str) else ("", got)
        m = r.metrics.get(metric)
        tolerance = vs[metric].tolerance if metric in vs else None
        se = bm.stderr if bm is not None else None
        interval = (baseline - _Z95 * se, baseline + _Z95 * se) if _finite(baseline) and _finite(se) and se > 0 else None
        rows.append({
            "result": r, "metric": metric, "runs": len(cols), "finite": int(np.count_nonzero(ok)),
            "chart": _chart(cols, ok, got, baseline, run.run_id, tolerance, interval) if i in found else None,
            "steady": False,
            "tolerance": tolerance, "interval": interval,
            "value": m.value if m is not None and r.status == "ok" else None,
            "stderr": m.stderr if m is not None else None, "unit": m.unit if m is not None else "",
            "baseline": baseline, "first": cols.created[0] if len(cols) else None,
            "shifts": [_shift_text(s) for s in got[-_SHIFTS_LISTED:]],
            "earlier_shifts": max(len(got) - _SHIFTS_LISTED, 0),
            "regressions": cols.statuses.count("regression"), "note": note,
        })
    return rows + steady
