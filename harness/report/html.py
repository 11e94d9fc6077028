"""The HTML report: one self-contained page (inline CSS and SVG, no scripts) for engineering leads.

Python builds a plain view of the run here, every number already formatted; the Jinja
templates in ``templates/`` only lay it out. Autoescape is on, so each suite name, case
id and lineage value reaches the page escaped.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import jinja2

from harness.drift.outcome import GateOutcome, as_outcome, is_fallback
from harness.drift.verdict import STATUSES, Verdict
from harness.kinds import BASELINE_KINDS, HARDWARE_MITIGATED, HARDWARE_RAW, KIND_LABELS, kind_order
from harness.records import STAGES, Result, Run
from harness.report.ci import STATUS_ICONS, STATUS_LABELS, effect_text, fmt, regressions, sort_verdicts
from harness.report.trends import SeriesSource, trend_rows
from harness.report.volumetric import volumetric_view

__all__ = ["anchor", "lineage_diff", "render_html"]

_TEMPLATES = Path(__file__).parent / "templates"
_BAR_PX = 300  # the longest latency bar of a suite
_TRACE_ENDS = 3  # trace entries shown at each end
_TOP_COUNTS = 8
# Worst first: a case heading shows the worst verdict among its cells.
_SEVERITY = ("failed", "regression", "fallback", "no_baseline", "inconclusive", "improvement", "unchanged")

Stored = Mapping[tuple[str, str, str], Result]


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(icons=STATUS_ICONS, labels=STATUS_LABELS, statuses=STATUSES, stages=STAGES)
    env.filters.update(num=fmt, secs=_secs, effect=effect_text)
    return env


def _secs(t: float) -> str:
    t = float(t)
    return "0" if t == 0 else f"{t:,.0f}" if abs(t) >= 1000 else f"{t:.3g}"


def anchor(key: Iterable[str]) -> str:
    """A stable, markup-free element id for a result (user text never goes into an id)."""
    return "r-" + hashlib.sha1("\x1f".join(key).encode()).hexdigest()[:12]


def _show(value: Any) -> tuple[str, bool]:
    """Text of a lineage-like value and whether it is a block (nested values as indented JSON)."""
    if isinstance(value, str):
        return value, False
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, indent=2, sort_keys=True, default=str), True
    return json.dumps(value, default=str), False


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and v:
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def _canon(x: Any) -> str:
    # Compare through JSON so a tuple read back from disk equals the list it was written as.
    return json.dumps(x, sort_keys=True, default=str)


def lineage_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(dotted key, stored value, new value)`` for every leaf that differs; ``(absent)`` when missing."""
    a, b = _flatten(old), _flatten(new)
    rows = []
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b or _canon(a[k]) != _canon(b[k]):
            rows.append((k, _show(a[k])[0] if k in a else "(absent)", _show(b[k])[0] if k in b else "(absent)"))
    return rows


def _fallback(r: Result) -> str | None:
    return f"produced by {r.tier} (fallback)" if is_fallback(r) else None


def _total(res: Mapping[str, Any], key: str) -> float:
    """Resource total, counting the mitigation's own share when it is kept apart."""
    sub = res.get("mitigation")
    extra = sub.get(key, 0) if isinstance(sub, Mapping) else 0
    return float(res.get(key) or 0) + float(extra or 0)


def _own(res: Mapping[str, Any], key: str) -> float:
    """What the mitigation step itself spent, when recorded apart; else the whole result."""
    sub = res.get("mitigation")
    return float((sub if isinstance(sub, Mapping) and key in sub else res).get(key) or 0)


def _metric_names(run: Run, suite: str, results: Iterable[Result], verdicts: Iterable[Verdict]) -> list[str]:
    names = dict.fromkeys((run.suites.get(suite) or {}).get("metrics") or {})
    for r in results:
        names.update(dict.fromkeys(r.metrics))
    names.update(dict.fromkeys(v.metric for v in verdicts))
    return list(names)


def _case_view(run: Run, suite: str, case_id: str, results: dict[str, Result], vmap: dict) -> dict[str, Any]:
    kinds = list(BASELINE_KINDS) + [k for k in results if k not in BASELINE_KINDS]
    cverdicts = [v for k in kinds for v in vmap.get((suite, case_id, k), [])]
    specs = (run.suites.get(suite) or {}).get("metrics") or {}
    columns = [{"kind": k, "label": KIND_LABELS.get(k, k), "result": results.get(k),
                "fallback": _fallback(results[k]) if k in results else None,
                "anchor": anchor((suite, case_id, k))} for k in kinds]
    raw, mit = results.get(HARDWARE_RAW), results.get(HARDWARE_MITIGATED)
    rows = []
    for name in _metric_names(run, suite, results.values(), cverdicts):
        cells = []
        for k in kinds:
            m = results[k].metrics.get(name) if k in results else None
            v = next((x for x in vmap.get((suite, case_id, k), []) if x.metric == name), None)
            cells.append({"metric": m, "verdict": v,
                          "title": f"stored {fmt(v.baseline_value)}, effect {effect_text(v)}"
                          if v and v.baseline_value is not None else ""})
        gain = None
        if raw and mit and name in raw.metrics and name in mit.metrics:
            a, b = raw.metrics[name], mit.metrics[name]
            se = math.hypot(a.stderr, b.stderr) if a.stderr is not None and b.stderr is not None else None
            better = (specs.get(name) or {}).get("better")
            d = b.value - a.value
            helps = None if better is None or d == 0 else (d > 0) == (better == "higher")
            # A gain between tiers (one side a fallback) says nothing about the mitigation.
            gain = {"value": d, "stderr": se, "helps": helps, "fallback": bool(_fallback(raw) or _fallback(mit))}
        rows.append({"name": name, "cells": cells, "gain": gain})
    cost = None
    if raw and mit:
        dc = _total(mit.resources, "circuits") - _total(raw.resources, "circuits")
        ds = _total(mit.resources, "shots") - _total(raw.resources, "shots")
        # The ratio compares the final evaluations: the optimizer loop both sides share would dilute it.
        rs, ms = _own(raw.resources, "shots"), _own(mit.resources, "shots")
        cost = {"circuits": dc, "shots": ds, "ratio": ms / rs if rs else None}
    worst = next((s for s in _SEVERITY if any(v.status == s for v in cverdicts)), None)
    return {"case_id": case_id, "columns": columns, "rows": rows, "cost": cost, "worst": worst}


def _seconds(t: Any) -> float:
    # A missing or broken timing draws as nothing rather than shifting every later segment.
    t = float(t) if t is not None else 0.0
    return t if math.isfinite(t) and t > 0 else 0.0


def _latency(results: list[Result]) -> dict[str, Any]:
    rows = []
    for r in results:
        extra = sum(_seconds(t) for s, t in r.timings.items() if s not in STAGES)
        secs = [(s, _seconds(r.timings.get(s, 0.0))) for s in STAGES] + ([("other", extra)] if extra else [])
        rows.append({"result": r, "stages": dict(secs), "total": sum(t for _, t in secs), "parts": secs})
    longest = max((row["total"] for row in rows), default=0.0) or 1.0
    for row in rows:
        x, segs = 0.0, []
        for stage, t in row["parts"]:
            w = _BAR_PX * t / longest
            if w > 0:
                segs.append({"stage": stage, "x": round(x, 2), "w": round(w, 2), "seconds": t})
            x += w
        row["segments"], row["width"] = segs, round(x, 2)
    return {"rows": rows, "longest": longest, "px": _BAR_PX, "other": any("other" in r["stages"] for r in rows)}


def _drill(r: Result, verdicts: list[Verdict], stored: Stored) -> dict[str, Any]:
    trace = list(r.trace)
    cut = len(trace) > 2 * _TRACE_ENDS
    show = lambda entries: [json.dumps(e, sort_keys=True, default=str) for e in entries]  # noqa: E731
    columns = list(dict.fromkeys(k for e in r.events for k in e))
    diff = None
    if any(v.status == "regression" for v in verdicts):
        base = stored.get(r.key)
        diff = {"stored": base is not None, "rows": lineage_diff(base.lineage, r.lineage) if base else []}
    counts = sorted((r.counts or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "result": r, "anchor": anchor(r.key), "fallback": _fallback(r), "verdicts": verdicts,
        "open": any(v.status in ("regression", "failed") for v in verdicts) or r.status == "failed",
        "lineage": [(str(k), *_show(v)) for k, v in r.lineage.items()],
        "resources": [(str(k), *_show(v)) for k, v in r.resources.items()],
        "events": {"columns": columns, "rows": [[_show(e.get(c, ""))[0] for c in columns] for e in r.events]},
        "trace": {"n": len(trace), "head": show(trace[:_TRACE_ENDS] if cut else trace),
                  "tail": show(trace[-_TRACE_ENDS:]) if cut else [], "hidden": len(trace) - 2 * _TRACE_ENDS},
        "counts": {"n": len(counts), "shots": sum(n for _, n in counts), "top": counts[:_TOP_COUNTS]},
        "diff": diff,
    }


def _header(run: Run) -> dict[str, Any]:
    suites = []
    for name in dict.fromkeys([*run.suites, *(r.suite for r in run.results)]):
        meta = run.suites.get(name) or {}
        suites.append({"name": name, "sha256": str(meta.get("sha256") or ""), "path": str(meta.get("path") or ""),
                       "description": str(meta.get("description") or "")})
    env = [(str(k), *_show(v)) for k, v in run.environment.items()]
    return {"run_id": run.run_id, "created": run.created, "suites": suites, "environment": env,
            "n_results": len(run.results)}


def render_html(run: Run, judged: GateOutcome | Iterable[Verdict], stored: Stored,
                history: SeriesSource | None = None) -> str:
    """The whole report as one HTML document: verdict, per-case tables, trends, volumetric view, latency,
    drill-down, run header.

    Args:
        run: the run being judged.
        judged: the gate's outcome (or the drift verdicts alone, any order: the non-strict outcome); the
            banner, its reasons and the orphaned baselines come from it.
        stored: the stored baselines compared with, by ``(suite, case_id, baseline)``; used for lineage
            diffs and as the baseline line of the trends.
        history: the run history (``harness.store.history.History``); None leaves the trends out.
    """
    outcome = as_outcome(run, judged)
    verdicts = sort_verdicts(run, outcome.verdicts)
    vmap: dict[tuple[str, str, str], list[Verdict]] = defaultdict(list)
    for v in verdicts:
        vmap[(v.suite, v.case_id, v.baseline)].append(v)
    header = _header(run)
    grouped: dict[str, dict[str, dict[str, Result]]] = {s["name"]: {} for s in header["suites"]}
    for r in run.results:
        grouped[r.suite].setdefault(r.case_id, {})[r.baseline] = r
    suites = []
    for meta in header["suites"]:
        cases = grouped[meta["name"]]
        results = [r for c in cases.values() for k in sorted(c, key=kind_order) for r in (c[k],)]
        suites.append({**meta, "cases": [_case_view(run, meta["name"], cid, rs, vmap) for cid, rs in cases.items()],
                       "latency": _latency(results),
                       "trends": trend_rows(run, results, vmap, stored, history) if history is not None else [],
                       "drill": [_drill(r, vmap.get(r.key, []), stored) for r in results]})
    regs = [{"v": v, "effect": effect_text(v), "anchor": anchor((v.suite, v.case_id, v.baseline))}
            for v in regressions(run, verdicts)]
    return _env().get_template("report.html.j2").render(
        header=header, outcome=outcome, counts=outcome.counts, regressions=regs, suites=suites,
        kind_labels=KIND_LABELS, trends=history is not None, volumetric=volumetric_view(run, run.results, KIND_LABELS))

