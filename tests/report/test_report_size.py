"""The report's size budget: a run shaped like today's bundled gate stays under 300 KB, and what every
result repeats is in the data block once.

The shape (``harness gate suites/`` on 2026-12-01: 15 suites, 28 cases, 117 results, 430 metrics):
27 cases on the four baseline kinds and a strategies case with four more mitigation stacks; hardware
results with full mitigation details (readout calibration counts, 200 bootstrap draws per metric, a
ZNE fit on every other mitigated result), SupermarQ features on every circuit, a hundred job ids
per hardware result, optimizer traces and job events; every metric judged with a note.
"""

from __future__ import annotations

import json

import numpy as np

from harness.drift.verdict import Verdict
from harness.kinds import BASELINE_KINDS
from harness.records import Metric, Result, Run
from harness.report import render_html
from harness.report.packing import decode, unpack

SDK = {"qiskit": "2.6.2", "qiskit-aer": "0.18.2", "qiskit-ibm-runtime": "0.51.0", "mitiq": "1.1.0",
       "cirq-core": "1.6.1", "numpy": "2.2.6", "scipy": "1.17.1", "qharness": "0.1.0"}
SUITES, CASES = 15, 27
STRATEGIES = ("hardware.mitigated.rem", "hardware.mitigated.ddd+zne", "hardware.mitigated.rem+twirl",
              "hardware.mitigated.rem+pec")
METRICS = ("success_probability", "hellinger_fidelity", "normalized_fidelity", "time_to_solution")
FEATURES = {"critical_depth": 1.0, "definitions": "SupermarQ (Tomesh et al. 2022), on the qubits used",
            "entanglement_ratio": 0.117647, "liveness": 0.611111, "measurement": 0.0, "parallelism": 0.296296,
            "program_communication": 0.333333}


def _result(suite: str, case: int, kind: str, rng: np.random.Generator) -> Result:
    hardware = kind.startswith("hardware")
    mitigated = kind.startswith("hardware.mitigated")
    width = 2 + case % 5
    lineage = {"sdk": SDK, "python": "3.11.7", "seed": case, "code": {"commit": "4115" * 10, "dirty": False},
               "seeds": {k: 1000 * case + i for i, k in enumerate(("classical", "hardware", "simulator"))},
               "params": {"n": width, "shots": 16000}, "suite_sha256": f"{case % SUITES:02x}" * 32,
               "started": f"2026-12-01T16:{case:02d}:25.853+00:00", "finished": f"2026-12-01T16:{case:02d}:27.1+00:00"}
    if kind != "classical":
        lineage["device"] = {
            "backend": "fake_manila" if hardware else "aer_automatic", "calibration_date": "2024-05-27T15:27:23-03:00",
            "calibration_sha256": "e5" * 32, "physical_qubits": list(range(width)),
            "transpiled_sha256": f"{case:02x}" * 32, "transpiled_depth": 9 + case, "optimization_level": 1,
            "mode": "local (Aer noise model from the fake backend)",
            "seed_derivation": "numpy SeedSequence([seed_simulator, job_index])",
            "features": {**{k: round(v + 0.01 * (case % 7), 6) if isinstance(v, float) else v
                            for k, v in FEATURES.items()}, "qubits": width}}
    values = {m: float(np.clip(0.9 + 0.01 * rng.standard_normal(), 0, 1)) for m in METRICS[:3]}
    if hardware:
        zne = mitigated and case % 2 == 0
        details = {
            "technique": "zne+readout" if zne else "readout" if mitigated else "raw",
            "stack": ["zne", "readout"] if zne else ["readout"] if mitigated else [],
            "settings": {"zne": {"scale_factors": [1.0, 3.0], "extrapolation": "linear", "order": 2,
                                 "folding": "global", "allocation": "equal"}, "readout": {"confusion": "measured"}}
            if mitigated else {},
            "circuit_level": "physical (the transpiled circuits, run at optimization level 0)", "bootstrap": 200,
            "bootstrap_draws": {m: " ".join(f"{x:.6g}" for x in v + 0.004 * rng.standard_normal(200))
                                for m, v in values.items()},
            "variance_amplification": {"zne": 2.4999999999999996, "readout": float(1 + rng.random())},
            "cost": {"circuits": 4, "shots": 64000}, "reused_counts": True}
        if mitigated:
            details["readout"] = {
                "confusion_source": "calibration circuits run on the device (all |0>, all |1>)",
                "calibration_shots": 16000, "physical_qubits": list(range(width)),
                "p_meas1_prep0": rng.random(width).tolist(), "p_meas0_prep1": rng.random(width).tolist(),
                "calibration_counts": [{format(i, f"0{width}b"): int(c) for i, c in
                                        enumerate(rng.integers(1, 15000, 2 ** width))} for _ in range(2)]}
        if zne:
            details["zne"] = {"scale_factors": [1.0, 3.0], "extrapolation": "linear", "folding": "global",
                              "values": {m: [v, v - 0.05] for m, v in values.items()},
                              "extrapolated": {m: v + 0.025 for m, v in values.items()}}
        lineage["mitigation_details"] = details
    resources = {"shots": 16000, "width": width, "depth": 20 + case} if kind != "classical" else {}
    if hardware:
        resources["job_ids"] = [f"{case:08x}-78d2-42d3-b26c-{j:012x}" for j in range(100)]
    metrics = {m: Metric(v, "proportion", stderr=0.002, n=16000) for m, v in values.items()}
    metrics["time_to_solution"] = Metric(float(rng.random()), "timing", unit="s", samples=(1.0,))
    counts = {format(i, f"0{width}b"): int(c) for i, c in enumerate(rng.integers(1, 900, 2 ** width))}
    return Result(suite, f"n={width},i={case}", kind, kind.split(".")[0], "ok", metrics,
                  counts=counts if kind != "classical" else None,
                  timings={"transpile": float(rng.random()), "execute": float(rng.random())}, resources=resources,
                  lineage=lineage,
                  trace=tuple({"iteration": i, "energy": -1.0 - i / 10, "params": [0.1, 0.2]} for i in range(14)),
                  events=tuple({"job_id": j, "state": "DONE"} for j in resources.get("job_ids", [])[:5]))


def _run() -> tuple[Run, list[Verdict]]:
    rng = np.random.default_rng(7)
    results = [_result(f"suite-{c % SUITES}", c, k, rng) for c in range(CASES) for k in BASELINE_KINDS]
    results += [_result("strategies", CASES, k, rng) for k in (*BASELINE_KINDS, *STRATEGIES)]
    run = Run("size", "2026-12-01T16:00:00+00:00", tuple(results))
    verdicts = [Verdict(r.suite, r.case_id, r.baseline, m, "inconclusive", "higher", 0.01, baseline_value=0.9,
                        new_value=r.metrics[m].value, effect=0.0, ci_low=-0.02, ci_high=0.02, mde=0.03,
                        note="underpowered: only worsenings of 0.03 or more are detectable (80 % power), more than "
                             "the tolerance; not significant, and the interval is wider than the tolerance")
                for r in results for m in r.metrics]
    return run, verdicts


def test_bundled_shaped_report_is_under_300_kb_and_repeats_nothing_per_result():
    run, verdicts = _run()
    assert len(run.results) == 116 and len(verdicts) == 464  # today's gate: 117 results, 430 metrics
    page = render_html(run, verdicts, {r.key: r for r in run.results})
    size = len(page.encode())
    print(f"bundled-shaped report: {size / 1000:.0f} KB")
    assert size < 300_000, size
    data = decode(page)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # The SDK block every result records is stored once in the data, not 116 times; so is a device block
    # that raw and mitigated share, and a setting every mitigated result records.
    assert text.count(json.dumps(SDK, ensure_ascii=False, separators=(",", ":"))) == 1
    assert text.count('"transpiled_sha256"') == 2 * (CASES + 1)  # per case: the simulator's, the hardware's
    assert text.count("calibration circuits run on the device") == 1
    # The bootstrap draws and calibration counts are summarised (the run record keeps them), and every ZNE fit is drawn.
    assert " 0.9" not in text.split('"bootstrap_draws"')[-1][:200]
    assert text.count("2 calibration circuits' counts (in the run record)") == 1
    assert sum("z" in s for sections in data["d"].values() for s in sections) == 3 * (CASES // 2 + 1)
    assert page.count("<details id=") == len(run.results)
    lines = [unpack(data["v"], ref) for ref in data["l"]]
    assert sum(map(len, lines)) == len(run.results)  # a latency row per result
