"""The HTML report: one self-contained page (inline CSS, SVG and one small script) for engineering leads.

Python builds a plain view of the run here, every number already formatted; the Jinja
templates in ``templates/`` only lay it out. Autoescape is on, so each suite name, case
id and lineage value reaches the page escaped.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import jinja2
import numpy as np
from markupsafe import Markup

from harness.drift.outcome import GateOutcome, as_outcome, is_fallback
from harness.drift.verdict import STATUSES, Verdict
from harness.kinds import BASELINE_KINDS, HARDWARE_MITIGATED, HARDWARE_RAW, KIND_LABELS, kind_order
from harness.records import STAGES, Result, Run
from harness.report.diff import NOISE_NOTE, lineage_diff, show as _show
from harness.report.ci import STATUS_ICONS, STATUS_LABELS, effect_text, fmt, regressions, sort_verdicts
from harness.report.packing import Packer, encode
from harness.report.provenance import attention, features_of, setup_text
from harness.report.strategies import strategy_view
from harness.report.trends import SeriesSource, trend_rows
from harness.report.volumetric import volumetric_view
from harness.report.zne_fit import zne_sections

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
                "setup": setup_text(results[k]) if k in results else None,
                "features": features_of(results[k]) if k in results else {},
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
    # the feature names once, in the row's heading; each result's values in that order
    names = list(dict.fromkeys(n for c in columns for n in c["features"]))
    for c in columns:
        c["features"] = " · ".join(c["features"].get(n, "—") for n in names) if c["features"] else None
    return {"case_id": case_id, "columns": columns, "rows": rows, "cost": cost, "worst": worst,
            "features": " · ".join(names),
            "attention": attention(results, cverdicts)}


_GAIN_W, _GAIN_ROW = 240, 16  # px: the gain chart's plot width and row height


def _gain_chart(cases: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The mitigation gain (mitigated − raw, ± its standard error) of every case and metric of a suite as
    horizontal bars around zero; gains across a fallback are left out (they measure the tier, not the
    mitigation). None when no case has one."""
    rows = [{"label": f"{c['case_id']} · {row['name']}", "metric": row["name"], "value": row["gain"]["value"],
             "se": row["gain"]["stderr"] or 0.0, "helps": row["gain"]["helps"]}
            for c in cases for row in c["rows"]
            if row["gain"] is not None and not row["gain"]["fallback"] and math.isfinite(row["gain"]["value"])]
    if not rows:
        return None
    rows.sort(key=lambda r: r["metric"])  # one scale per metric: their units differ
    span: dict[str, float] = {}
    for r in rows:
        reach = abs(r["value"]) + (r["se"] if math.isfinite(r["se"]) else 0.0)
        span[r["metric"]] = max(span.get(r["metric"], 0.0), reach)
    for i, r in enumerate(rows):
        se = r["se"] if math.isfinite(r["se"]) else 0.0
        x = lambda v: round(_GAIN_W / 2 + v / (span[r["metric"]] or 1.0) * (_GAIN_W / 2 - 4), 1)  # noqa: E731
        r.update(y=i * _GAIN_ROW, x0=min(x(0), x(r["value"])), w=round(abs(x(r["value"]) - x(0)), 1),
                 lo=x(r["value"] - se), hi=x(r["value"] + se), text=f"{fmt(r['value'], '+.3g')} ± {fmt(se, '.2g')}")
    return {"rows": rows, "w": _GAIN_W, "h": len(rows) * _GAIN_ROW, "zero": _GAIN_W / 2, "row": _GAIN_ROW}


def _seconds(t: Any) -> float:
    # A missing or broken timing draws as nothing rather than shifting every later segment.
    t = float(t) if t is not None else 0.0
    return t if math.isfinite(t) and t > 0 else 0.0


def _latency(results: list[Result]) -> dict[str, Any]:
    """Seconds per stage of each result; the page's script draws each row's bar from them (one scale per
    suite: its longest total fills :data:`_BAR_PX`)."""
    rows = []
    for r in results:
        extra = sum(_seconds(t) for s, t in r.timings.items() if s not in STAGES)
        secs = [(s, _seconds(r.timings.get(s, 0.0))) for s in STAGES] + ([("other", extra)] if extra else [])
        rows.append({"result": r, "stages": dict(secs), "total": sum(t for _, t in secs)})
    longest = max((row["total"] for row in rows), default=0.0) or 1.0
    other = any("other" in r["stages"] for r in rows)
    # the rows as the page's script draws them: case, baseline kind, seconds per stage and in total (as shown)
    data = [[row["result"].case_id, KIND_LABELS.get(row["result"].baseline, row["result"].baseline),
             [_secs(row["stages"].get(s, 0.0)) for s in (*STAGES, *(("other",) if other else ()))], _secs(row["total"])]
            for row in rows]
    return {"rows": rows, "longest": longest, "px": _BAR_PX, "other": other, "data": data}


def _drill(r: Result, verdicts: list[Verdict], stored: Stored) -> dict[str, Any]:
    """A result's drill-down: its summary line for the page, and its body as plain sections for the
    page's one JSON block (drawn by the inline script when opened, so it is on the page once)."""
    trace = list(r.trace)
    cut = len(trace) > 2 * _TRACE_ENDS
    sections: list[dict[str, Any]] = []
    if verdicts:
        sections.append({"h": "Verdicts", "t": [
            ["metric", "verdict", "stored → new", "effect [interval]", "tolerance", "p (raw)", "p (adjusted)",
             "test", "MDE", "changed layer", "note"],
            *[[v.metric, f"{STATUS_ICONS[v.status]} {STATUS_LABELS[v.status]}" + (" (blocks)" if v.gate else ""),
               f"{fmt(v.baseline_value)} → {fmt(v.new_value)}", effect_text(v), fmt(v.tolerance),
               fmt(v.p_value, ".3g"), fmt(v.p_adjusted, ".3g"), v.test or "—", fmt(v.mde, ".3g"),
               v.changed_layer or "—", v.note or ""] for v in verdicts]]})
    if any(v.status == "regression" for v in verdicts):
        base = stored.get(r.key)
        rows = lineage_diff(base.lineage, r.lineage, raw=True) if base else []
        h = "Lineage diff against the stored baseline"
        quiet = f" ({NOISE_NOTE})"
        sections.append({"h": h, "p": "No stored baseline result to compare lineage with."} if base is None else
                        {"h": h, "p": "Lineage identical to the stored baseline: no recorded setting explains "
                                      f"the change{quiet}."} if not rows else
                        {"h": h, "p": NOISE_NOTE[0].upper() + NOISE_NOTE[1:] + ".",
                         "t": [["key", "stored baseline", "this run"], *map(list, rows)]})
    circuit = _circuit(r)
    if circuit:
        sections.append({"h": "Transpiled circuit", "t": [["property", "value"], *circuit]})
    sections += zne_sections(r)
    for title, d in (("Lineage", r.lineage), ("Resources", r.resources)):
        # Values as recorded (the script indents nested ones); a long list of job ids is cut (the run record has all).
        rows = [[str(k), _cut(v) if title == "Resources" else _draws_cut(v) if k == "mitigation_details" else v]
                for k, v in d.items()]
        sections.append({"h": title, "t": [["key", "value"], *rows]} if rows else {"h": title, "p": "none recorded"})
    columns = list(dict.fromkeys(k for e in r.events for k in e))
    events = [[e.get(c, "") for c in columns] for e in r.events]
    sections.append({"h": f"Job events ({len(events)})", **({"t": [columns, *events]} if events
                                                            else {"p": "none recorded"})})
    n = len(trace)
    if n:
        lines: list[Any] = list(trace[:_TRACE_ENDS] if cut else trace)
        if cut:
            lines += [f"… {n - 2 * _TRACE_ENDS} entries not shown …", *trace[-_TRACE_ENDS:]]
        # Entries as recorded (one JSON line each when drawn), not as escaped text: half the bytes.
        sections.append({"h": f"Optimizer trace: {n} entr{'y' if n == 1 else 'ies'}", "lines": lines})
    else:
        sections.append({"h": "Optimizer trace: 0 entries"})
    counts = sorted((r.counts or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    if counts:
        top = counts[:_TOP_COUNTS]
        sections.append({"h": f"Counts: {len(counts)} outcomes, {sum(n for _, n in counts)} shots (top {len(top)})",
                         "t": [["outcome", "count"], *[[b, str(c)] for b, c in top]]})
    opened = any(v.status in ("regression", "failed") for v in verdicts) or r.status == "failed"
    return {
        "result": r, "anchor": anchor(r.key), "fallback": _fallback(r), "verdicts": verdicts, "setup": setup_text(r),
        "open": opened, "sections": sections,
        # a closed, unremarkable result's summary line is drawn by the script from the data block
        "summary": None if opened or r.error else [r.case_id, KIND_LABELS.get(r.baseline, r.baseline), r.tier,
                                                    _fallback(r), setup_text(r)],
    }


def _pack(drills: Mapping[str, list[dict[str, Any]]], grids: list[dict[str, Any]],
          summaries: Mapping[str, list[Any]], latency: list[Any], titles: list[Any]) -> dict[str, Any]:
    """The page's one JSON block: ``{"v": [values], "d": {anchor: sections}, "g": [grid refs], "s": {anchor:
    summary ref}, "l": [latency rows ref per suite]}`` (a summary drawn by the script: case, baseline kind,
    tier, fallback, setup; a latency row: case, baseline kind, seconds per stage, total; ``"c"``: per case
    table, the hover title of each metric cell, "stored ..., effect ..."), every
    distinct value once (see :mod:`harness.report.packing`). A table cell is its index in ``v`` (or a
    list of indices: the parts of a long text joined by ``; ``); a trace line, its index."""
    packer = Packer()

    def cell(x: Any) -> int | list[int]:
        # A long note shares its clauses with others ("...; not significant, and ..."): a list of parts.
        if isinstance(x, str) and len(x) > 80 and "; " in x:
            return [packer.ref(part) for part in x.split("; ")]
        return packer.ref(x)

    def section(s: dict[str, Any]) -> dict[str, Any]:
        if "t" in s:
            s = {**s, "t": [[cell(c) for c in row] for row in s["t"]]}
        if "lines" in s:
            s = {**s, "lines": [packer.ref(x) for x in s["lines"]]}
        if "z" in s:
            s = {**s, "z": packer.ref(s["z"])}
        return s

    packed = {a: [section(s) for s in sections] for a, sections in drills.items()}
    refs = [packer.ref(g) for g in grids]
    heads = {a: packer.ref(x) for a, x in summaries.items()}
    lat = [packer.ref(x) for x in latency]
    hover = [packer.ref(x) for x in titles]
    # the values met most get the shortest indices
    used = [*refs, *heads.values(), *lat, *hover, *(i for ss in packed.values() for s in ss for i in _refs(s))]
    new = packer.renumber(used)
    at = lambda c: [new[i] for i in c] if isinstance(c, list) else new[c]  # noqa: E731
    for ss in packed.values():
        for k, s in enumerate(ss):
            ss[k] = {**s, **({"t": [[at(c) for c in row] for row in s["t"]]} if "t" in s else {}),
                     **({"lines": at(s["lines"])} if "lines" in s else {}), **({"z": new[s["z"]]} if "z" in s else {})}
    return {"d": packed, "g": at(refs), "s": {a: new[i] for a, i in heads.items()},
            "l": at(lat), "c": at(hover), "v": packer.values}


def _refs(s: Mapping[str, Any]) -> Iterable[int]:
    """The value indices a packed section refers to."""
    for row in s.get("t", ()):
        for c in row:
            yield from c if isinstance(c, list) else (c,)
    yield from s.get("lines", ())
    if "z" in s:
        yield s["z"]


_CIRCUIT = (("width", "resources", "width"), ("transpiled depth", "device", "transpiled_depth"),
            ("depth", "resources", "depth"), ("two-qubit gates", "device", "transpiled_two_qubit_gates"),
            ("physical qubits", "device", "physical_qubits"), ("optimization level", "device", "optimization_level"),
            ("OpenQASM", "device", "transpiled_qasm"), ("sha256 of its OpenQASM 3", "device", "transpiled_sha256"))


def _circuit(r: Result) -> list[list[Any]]:
    """What the result records of the circuit that ran (the executors keep its hash; its text when recorded)."""
    device = r.lineage.get("device") if isinstance(r.lineage.get("device"), Mapping) else {}
    where = {"resources": r.resources, "device": device}
    rows = [[label, where[src][key]] for label, src, key in _CIRCUIT if where[src].get(key) is not None]
    features = device.get("features")
    if isinstance(features, Mapping):  # SupermarQ's six, each in [0, 1]
        rows += [[f"SupermarQ {name.replace('_', ' ')}", fmt(v, ".3f")] for name, v in features.items()
                 if isinstance(v, (int, float))]
    return rows


def _cut(v: Any) -> Any:
    if isinstance(v, (list, tuple)) and len(v) > 2 * _TRACE_ENDS:
        return [*v[:_TRACE_ENDS], f"… {len(v) - 2 * _TRACE_ENDS} more in the run record …", *v[-_TRACE_ENDS:]]
    return v


def _draws_cut(details: Any) -> Any:
    """Mitigation details with each metric's bootstrap draws as their count and 95 % range, and the
    readout calibration counts as how many circuits ran (the run record keeps them all; the
    strategies section uses the draws)."""
    if not isinstance(details, Mapping):
        return details
    readout = details.get("readout")
    calibration = readout.get("calibration_counts") if isinstance(readout, Mapping) else None
    if isinstance(calibration, (list, tuple)) and calibration:  # the confusion rates beside them say what they gave
        details = {**details, "readout": {**readout, "calibration_counts":
                                          f"{len(calibration)} calibration circuits' counts (in the run record)"}}
    draws = details.get("bootstrap_draws")
    if not isinstance(draws, Mapping):
        return details
    out = {}
    for metric, xs in draws.items():
        try:
            values = np.array(xs.split() if isinstance(xs, str) else list(xs), float)
        except (TypeError, ValueError):
            out[metric] = xs
            continue
        values = values[np.isfinite(values)]
        out[metric] = (f"{values.size} draws, 95 % between {fmt(np.quantile(values, 0.025), '.4g')} and "
                       f"{fmt(np.quantile(values, 0.975), '.4g')} (all in the run record)") if values.size else "none"
    return {**details, "bootstrap_draws": out}


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
        views = [_case_view(run, meta["name"], cid, rs, vmap) for cid, rs in cases.items()]
        suites.append({**meta, "cases": views, "gain": _gain_chart(views),
                       "latency": _latency(results),
                       "trends": trend_rows(run, results, vmap, stored, history) if history is not None else [],
                       "drill": [_drill(r, vmap.get(r.key, []), stored) for r in results]})
    volumetric = volumetric_view(run, run.results, KIND_LABELS)
    # The volumetric grids travel in the one data block; the script draws them.
    drills = [d for s in suites for d in s["drill"]]
    cases = [c for s in suites for c in s["cases"]]
    for i, c in enumerate(cases):
        c["tid"] = i
    drill = Markup(encode(_pack({d["anchor"]: d["sections"] for d in drills}, volumetric.pop("grids"),
                                {d["anchor"]: d["summary"] for d in drills if d["summary"]},
                                [s["latency"]["data"] for s in suites],
                                [[[cell["title"] for cell in row["cells"]] for row in c["rows"]] for c in cases])))
    by_key = {r.key: r for r in run.results}
    regs = [{"v": v, "effect": effect_text(v), "anchor": anchor((v.suite, v.case_id, v.baseline)),
             "setup": setup_text(by_key[v.suite, v.case_id, v.baseline])
             if (v.suite, v.case_id, v.baseline) in by_key else ""}
            for v in regressions(run, verdicts)]
    return _env().get_template("report.html.j2").render(
        header=header, outcome=outcome, drill_data=drill, counts=outcome.counts, regressions=regs, suites=suites,
        kind_labels=KIND_LABELS, trends=history is not None, volumetric=volumetric, strategies=strategy_view(run))

