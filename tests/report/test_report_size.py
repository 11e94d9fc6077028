"""The report's size budget: a run shaped like the bundled gate's (12 cases x 4 baseline kinds, full
lineage, a hundred job ids per hardware result) stays under 300 KB, and what every result repeats is
on the page once."""

from __future__ import annotations

import json

from harness.drift.verdict import Verdict
from harness.kinds import BASELINE_KINDS
from harness.records import Metric, Result, Run
from harness.report import render_html
from harness.report.packing import decode

SDK = {"qiskit": "2.6.2", "qiskit-aer": "0.18.2", "qiskit-ibm-runtime": "0.51.0", "mitiq": "1.1.0",
       "cirq-core": "1.6.1", "numpy": "2.2.6", "scipy": "1.17.1", "qharness": "0.1.0"}


def _result(case: int, kind: str) -> Result:
    hardware = kind.startswith("hardware")
    lineage = {"sdk": SDK, "python": "3.11.7", "seed": case, "code": {"commit": "4115" * 10, "dirty": False},
               "seeds": {k: 1000 * case + i for i, k in enumerate(("classical", "hardware", "simulator"))},
               "params": {"n": case, "shots": 4000}, "suite_sha256": "cd" * 32}
    if hardware:
        lineage["device"] = {"backend": "fake_manila", "calibration_date": "2024-05-27T15:27:23-03:00",
                             "physical_qubits": [0, 1, 2, 3], "transpiled_sha256": "53" * 32}
        lineage["mitigation_details"] = {
            "technique": "zne+readout" if kind.endswith("mitigated") else "raw",
            "settings": {"zne": {"extrapolation": "linear", "scale_factors": [1.0, 3.0]}},
            "readout": {"calibration_counts": [{f"{i:04b}": 100 + i for i in range(16)}] * 2}}
    resources = {"shots": 4000, "width": 4, "depth": 20 + case}
    if hardware:
        resources["job_ids"] = [f"{case:08x}-78d2-42d3-b26c-{j:012x}" for j in range(100)]
    return Result("suite", f"n={case},shots=4000", kind, kind.split(".")[0], "ok",
                  {"p": Metric(0.9, "proportion", stderr=0.005, n=4000),
                   "time_to_solution": Metric(1.0, "timing", unit="s", samples=(1.0,))},
                  counts={f"{i:04b}": 200 + i for i in range(16)} if kind != "classical" else None,
                  timings={"transpile": 0.1, "execute": 1.0}, resources=resources, lineage=lineage,
                  trace=tuple({"iteration": i, "energy": -1.0 - i / 10, "params": [0.1, 0.2]} for i in range(40)),
                  events=tuple({"job_id": j, "state": "DONE"} for j in resources.get("job_ids", [])[:4]))


def test_bundled_shaped_report_is_under_300_kb_and_repeats_nothing_per_result():
    results = tuple(_result(c, k) for c in range(12) for k in BASELINE_KINDS)
    run = Run("size", "2026-01-01T00:00:00+00:00", results)
    verdicts = [Verdict(r.suite, r.case_id, r.baseline, m, "inconclusive", "higher", 0.01, baseline_value=0.9,
                        new_value=0.9, effect=0.0, ci_low=-0.02, ci_high=0.02, mde=0.03,
                        note="underpowered: only worsenings of 0.03 or more are detectable (80 % power), more than "
                             "the tolerance; not significant, and the interval is wider than the tolerance")
                for r in results for m in r.metrics]
    page = render_html(run, verdicts, {r.key: r for r in results})
    assert len(page.encode()) < 300_000, len(page)
    # The SDK block every result records is stored once in the drill-down data, not 48 times.
    data = json.dumps(decode(page), ensure_ascii=False, separators=(",", ":"))
    assert data.count(json.dumps(SDK, ensure_ascii=False, separators=(",", ":"))) == 1
    assert data.count("transpiled_sha256") == 1  # the device of raw and mitigated: the same value once
    assert page.count("<details id=") == len(results)
