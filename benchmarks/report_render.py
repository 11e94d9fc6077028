"""How long the HTML report takes for 1,000 results with a year (365 nights) of history. Target: < 3 s.

Builds synthetic records: 2 suites x 125 cases x the 4 baseline kinds = 1,000 results, each with a
fidelity (distribution) and a time-to-solution (timing) metric, circuit width and depth, stage
timings, lineage, a trace and job events; one verdict per metric; and a SQLite history
(``harness.store.history.History``) of 365 nightly runs of all of them (730,000 points; a tenth of
the series step down once in the year, so there are change points to find). The history is built
first, untimed. Then it times, each on its own:

- ``render_html`` without a history (verdict, tables, volumetric, latency, drill-down);
- ``render_html`` with the history: **the figure**. Trends are drawn for the metrics that need a look
  tonight (every verdict but ``unchanged``: here one in 97 metrics, a regression); the history of a
  metric judged unchanged is not read;
- on their own, the two parts of those trends that are not the report's: reading the flagged series
  from SQLite (``History.columns_many``, as the report does) and finding their change points
  (``change_points_many``, as the report does);
- the worst case: every one of the 2,000 metrics flagged (all inconclusive), so all are read and drawn.

Each report's size is printed too, with the share of the drill-down data (embedded once, as one
JSON block). ``--html reports/index.html`` prints the same for a report already written, such as the
bundled gate's (budget: < 300 KB).

Usage::

    .venv/bin/python benchmarks/report_render.py [--results 1000] [--nights 365] [--keep DIR]
    .venv/bin/python benchmarks/report_render.py --html reports/index.html
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from harness.drift.changepoint import change_points_many
from harness.drift.verdict import Verdict
from harness.records import BASELINE_KINDS, STAGES, Metric, Result, Run
from harness.report import render_html
from harness.report.trends import TREND_RUNS
from harness.store.history import History

TARGET_S = 3.0
START = datetime(2024, 1, 1, 2, tzinfo=timezone.utc)


def _result(suite: str, case: int, kind: str, fid: float, tts: float, *, full: bool = True) -> Result:
    """One result; ``full=False`` gives the metrics only (all the history keeps of the earlier nights)."""
    width, depth = 2 + case % 12, 4 + 3 * (case % 20)
    quantum = kind != "classical"
    metrics = {"normalized_fidelity": Metric(fid, "distribution", stderr=0.01, n=4000),
               "time_to_solution": Metric(tts, "timing", unit="s", samples=(0.9 * tts, tts, 1.1 * tts))}
    case_id, tier = f"n={width},d={depth},i={case}", kind.split(".")[0]
    if not full:
        return Result(suite, case_id, kind, tier, "ok", metrics)
    return Result(
        suite, case_id, kind, tier, "ok", metrics,
        counts={"0" * width: 1900, "1" * width: 1800} if quantum else None,
        timings={s: 0.01 * (i + 1) for i, s in enumerate(STAGES)},
        resources={"width": width, "depth": depth, "shots": 4000, "circuits": 1} if quantum else {},
        lineage={"seed": case, "device": {"backend": "fake_manila" if kind.startswith("hardware") else "aer"},
                 "optimization_level": 1},
        trace=tuple({"iteration": i, "energy": -1.0 - i / 10} for i in range(10)),
        events=({"job_id": f"job-{case}", "state": "DONE", "t": 1.0},) if kind.startswith("hardware") else (),
    )


def build(n_results: int, nights: int, folder: Path, seed: int = 1) -> tuple[Run, list[Verdict], dict, History]:
    """The judged run (the last night), its verdicts, stored baselines and the history of every night."""
    rng = np.random.default_rng(seed)
    cases = n_results // (2 * len(BASELINE_KINDS))
    keys = [(f"suite{s}", c, k) for s in range(2) for c in range(cases) for k in BASELINE_KINDS]
    level = rng.uniform(0.5, 0.98, len(keys))
    step_at = np.where(rng.random(len(keys)) < 0.1, rng.integers(nights // 4, nights, len(keys)), nights + 1)
    history = History(folder / "history.sqlite")
    for night in range(nights):
        fid = level - 0.1 * (night >= step_at) + rng.normal(0, 0.01, len(keys))
        tts = np.exp(rng.normal(0, 0.05, len(keys)))
        last = night == nights - 1
        results = tuple(_result(s, c, k, float(f), float(t), full=last) for (s, c, k), f, t in zip(keys, fid, tts))
        run = Run(f"night-{night:03d}", (START + timedelta(days=night)).isoformat(), results)
        if not last:
            history.append(run)
    verdicts = [Verdict(r.suite, r.case_id, r.baseline, m, "regression" if i % 97 == 0 else "unchanged",
                        "higher" if m == "normalized_fidelity" else "lower", 0.03, baseline_value=r.metrics[m].value,
                        new_value=r.metrics[m].value, effect=0.0, ci_low=-0.01, ci_high=0.01, gate=i % 97 == 0)
                for i, (r, m) in enumerate((r, m) for r in run.results for m in r.metrics)]
    history.append(run, verdicts)  # as the gate does before reporting
    return run, verdicts, {r.key: r for r in run.results}, history


BUNDLED_BUDGET_KB = 300
_DATA_TAG = '<script type="application/json" id="drill-data">'


def size_text(page: str) -> str:
    """``251 KB, drill-down data 46 %`` of a rendered report."""
    size = len(page.encode("utf-8"))
    data = 0
    if _DATA_TAG in page:
        start = page.index(_DATA_TAG) + len(_DATA_TAG)
        data = len(page[start:page.index("</script>", start)].encode("utf-8"))
    return f"{size / 1000:,.0f} KB, drill-down data {100 * data / size:.0f} %"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=int, default=1000)
    ap.add_argument("--nights", type=int, default=365)
    ap.add_argument("--keep", type=Path, help="write index.html here to look at it")
    ap.add_argument("--html", type=Path, help="only print the size of this written report (e.g. reports/index.html)")
    args = ap.parse_args()
    if args.html:
        page = args.html.read_text(encoding="utf-8")
        kb = len(page.encode("utf-8")) / 1000
        print(f"{args.html}: {size_text(page)}; budget < {BUNDLED_BUDGET_KB} KB "
              f"{'met' if kb < BUNDLED_BUDGET_KB else 'MISSED'}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run, verdicts, stored, history = build(args.results, args.nights, Path(tmp))
        print(f"setup (untimed): {len(run.results)} results, {len(verdicts)} verdicts, {args.nights} nights "
              f"in the history, built in {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        plain = render_html(run, verdicts, stored)
        t_plain = time.perf_counter() - t0
        print(f"render_html without history: {t_plain:.2f} s ({size_text(plain)})")

        keys = [v.key for v in verdicts if v.status != "unchanged"]
        t0 = time.perf_counter()
        bulk = history.columns_many(keys, limit=TREND_RUNS)
        series = [v[np.isfinite(v)] for v in (bulk[tuple(k)].values for k in keys)]
        t_read = time.perf_counter() - t0
        print(f"  trends, reading the {len(keys)} flagged series from SQLite: {t_read:.2f} s")
        t0 = time.perf_counter()
        found = change_points_many(series)
        t_cp = time.perf_counter() - t0
        print(f"  trends, change points: {t_cp:.2f} s ({sum(map(bool, found))} of {len(series)} series shift)")

        t0 = time.perf_counter()
        page = render_html(run, verdicts, stored, history=history)
        t_full = time.perf_counter() - t0
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / "index.html").write_text(page, encoding="utf-8")
        flagged = [replace(v, status="inconclusive", gate=False) for v in verdicts]
        t0 = time.perf_counter()
        worst = render_html(run, flagged, stored, history=history)
        t_worst = time.perf_counter() - t0
    verdict = "met" if t_full < TARGET_S else "MISSED"
    print(f"render_html with {args.nights} nights of history, {len(keys)} metrics flagged: {t_full:.2f} s "
          f"({size_text(page)}); target < {TARGET_S:g} s {verdict}")
    print(f"  worst case, all {len(flagged)} metrics flagged (every series read and drawn): {t_worst:.2f} s "
          f"({size_text(worst)})")


if __name__ == "__main__":
    main()
