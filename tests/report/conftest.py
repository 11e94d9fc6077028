"""A small judged run for the report tests: two suites, all four baseline kinds, every verdict status.

The tests run in pytest's importlib mode, so helpers reach them as fixtures: ``judged`` is the
default run, ``make_judged`` the builder (to vary names), ``ungated`` removes every gate, ``passing``
is the default run without its gate and its failed result (exit 0).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.drift.verdict import Verdict
from harness.records import BASELINE_KINDS, STAGES, Metric, Result, Run

__all__ = ["EVIL_CASE", "EVIL_LINEAGE", "EVIL_SUITE", "build", "make_result", "without_gates"]

EVIL_SUITE = "<script>alert(1)</script>"
EVIL_CASE = "n=3&<b>|x"
EVIL_LINEAGE = "<img src=x onerror=alert(2)>"

TIER = {"classical": "classical", "simulator": "simulator", "hardware.raw": "hardware", "hardware.mitigated": "hardware"}


def make_result(suite: str, case_id: str, kind: str, *, ratio: float, tier: str | None = None,
                status: str = "ok", lineage_extra: dict | None = None, scale: float = 1.0) -> Result:
    """One result with a proportion and a timing metric, stage timings, resources, lineage, trace, events."""
    metrics = {} if status == "failed" else {
        "approx_ratio": Metric(ratio, kind="expectation", stderr=0.01, n=4000),
        "time_to_solution": Metric(0.5 * scale, kind="timing", unit="s", samples=(0.4, 0.5, 0.6)),
    }
    hardware = kind.startswith("hardware")
    resources = {}
    if kind != "classical":
        resources = {"shots": 4000, "circuits": 2, "jobs": 1, "depth": 31, "job_ids": ["job-1"]}
    if hardware:
        mitigated = kind == "hardware.mitigated"
        resources["mitigation"] = {"circuits": 6 if mitigated else 1, "shots": 24000 if mitigated else 4000}
    timings = {s: 0.0 for s in STAGES}
    timings.update(preprocess=0.01 * scale, execute=0.2 * scale, postprocess=0.005 * scale)
    if hardware:
        timings.update(transpile=0.3 * scale, submit=0.1 * scale, queue=12.5 * scale)
    lineage = {
        "code_version": "0.1.0", "seed": 7,
        "device": {"backend": "fake_manila" if hardware else "aer", "calibration_hash": "calib-7f3a"},
        "optimization_level": 1,
        "mitigation": {"readout": True, "zne": {"scale_factors": [1, 3, 5]}} if kind == "hardware.mitigated" else None,
        **(lineage_extra or {}),
    }
    trace = tuple({"iteration": i, "energy": -1.0 - i / 10, "params": [0.1 * i, 0.2]} for i in range(10))
    events = ({"job_id": "job-1", "state": "QUEUED", "t": 0.0}, {"job_id": "job-1", "state": "DONE", "t": 12.8}) \
        if hardware else ()
    return Result(suite=suite, case_id=case_id, baseline=kind, tier=tier or TIER[kind], status=status,
                  metrics=metrics, counts={"0101": 1900, "1010": 1800, "0000": 300} if kind != "classical" else None,
                  timings=timings, resources=resources, lineage=lineage, trace=trace, events=events,
                  error="ExecutionError: solver crashed at solver.py:12" if status == "failed" else None)


def _v(suite, case_id, kind, metric, status, **kw) -> Verdict:
    kw.setdefault("better", "lower" if metric == "time_to_solution" else "higher")
    kw.setdefault("tolerance", 0.02)
    return Verdict(suite=suite, case_id=case_id, baseline=kind, metric=metric, status=status, **kw)


def build(suite_b: str = "ghz", case_b: str = "n=3", lineage_b: str = "plain"):
    """``(run, verdicts, stored)``: suite ``maxcut`` (cases n=4, n=6) and suite ``suite_b`` (one case).

    Verdicts: one gating regression (maxcut n=4 hardware.mitigated approx_ratio), one report-only
    regression, one improvement, one inconclusive, one failed, the suite_b case without baselines,
    the rest unchanged. ghz's hardware.raw was produced by the simulator (a fallback).
    """
    ratios = {"classical": 0.95, "simulator": 0.93, "hardware.raw": 0.80, "hardware.mitigated": 0.85}
    results = []
    for case in ("n=4", "n=6"):
        for kind in BASELINE_KINDS:
            failed = case == "n=6" and kind == "classical"
            results.append(make_result("maxcut", case, kind, ratio=ratios[kind], status="failed" if failed else "ok"))
    for kind in BASELINE_KINDS:
        results.append(make_result(suite_b, case_b, kind, ratio=ratios[kind],
                                   tier="simulator" if kind == "hardware.raw" else None,
                                   lineage_extra={"note": lineage_b}))
    run = Run(run_id="20250101T000000-abc123", created="2025-01-01T00:00:00+00:00", results=tuple(results),
              suites={"maxcut": {"path": "suites/maxcut.yaml", "sha256": "a" * 64, "description": "MaxCut by QAOA",
                                 "metrics": {"approx_ratio": {"better": "higher", "tolerance": 0.02},
                                             "time_to_solution": {"better": "lower", "tolerance": 0.5}}},
                      suite_b: {"path": "suites/ghz.yaml", "sha256": "b" * 64, "description": f"about {suite_b}",
                                "metrics": {"approx_ratio": {"better": "higher", "tolerance": 0.02}}}},
              environment={"python": "3.12.3", "commit": "deadbeef", "packages": {"qiskit": "2.6.2", "mitiq": "1.1.0"}})

    verdicts = [
        _v("maxcut", "n=4", "hardware.mitigated", "approx_ratio", "regression", baseline_value=0.93, new_value=0.85,
           effect=-0.08, ci_low=-0.11, ci_high=-0.05, p_value=0.0004, p_adjusted=0.0031, test="welch-t",
           mde=0.021, gate=True, changed_layer="transpile"),
        _v("maxcut", "n=4", "hardware.mitigated", "time_to_solution", "regression", baseline_value=0.2,
           new_value=0.5, effect=0.3, ci_low=0.1, ci_high=0.5, p_value=0.01, p_adjusted=0.04,
           test="mann-whitney", mde=0.1, gate=False),
        _v("maxcut", "n=4", "simulator", "approx_ratio", "improvement", baseline_value=0.9, new_value=0.93,
           effect=0.03, ci_low=0.025, ci_high=0.035, p_value=0.99, p_adjusted=1.0, test="welch-t", mde=0.02),
        _v("maxcut", "n=6", "hardware.raw", "approx_ratio", "inconclusive", baseline_value=0.81, new_value=0.80,
           effect=-0.01, ci_low=-0.05, ci_high=0.03, p_value=0.3, p_adjusted=0.9, test="welch-t", mde=0.06),
        _v("maxcut", "n=6", "classical", "approx_ratio", "failed", baseline_value=0.95, note="no value: the case failed"),
    ]
    for r in results:
        if r.suite != "maxcut":
            verdicts += [_v(r.suite, r.case_id, r.baseline, m, "no_baseline", new_value=r.metrics[m].value)
                         for m in r.metrics]
            continue
        for m in r.metrics:
            if not any(v.key == (r.suite, r.case_id, r.baseline, m) for v in verdicts):
                verdicts.append(_v(r.suite, r.case_id, r.baseline, m, "unchanged",
                                   baseline_value=r.metrics[m].value, new_value=r.metrics[m].value, effect=0.0,
                                   ci_low=-0.01, ci_high=0.01, p_value=0.5, p_adjusted=1.0, test="welch-t", mde=0.02))
    regressed = next(r for r in results if r.key == ("maxcut", "n=4", "hardware.mitigated"))
    stored = {r.key: r for r in results if r.suite == "maxcut"}
    # The stored baseline was made at optimization level 3: the lineage diff must show it.
    stored[regressed.key] = replace(regressed, lineage={**regressed.lineage, "optimization_level": 3})
    return run, verdicts, stored


def without_gates(verdicts):
    """The same verdicts with nothing blocking."""
    return [replace(v, gate=False) for v in verdicts]


def passing_of(run, verdicts, stored):
    """A run of :func:`build` that passes: nothing blocks and the failed result is left out."""
    failed = {r.key for r in run.results if r.status != "ok"}
    run = replace(run, results=tuple(r for r in run.results if r.key not in failed))
    return run, [v for v in without_gates(verdicts) if (v.suite, v.case_id, v.baseline) not in failed], stored


@pytest.fixture(scope="session")
def judged():
    """``(run, verdicts, stored)`` of :func:`build` with plain names."""
    return build()


@pytest.fixture(scope="session")
def make_judged():
    """:func:`build`, to vary the suite name, case id and a lineage value."""
    return build


@pytest.fixture(scope="session")
def evil():
    """Markup in a suite name, a case id and a lineage value."""
    return EVIL_SUITE, EVIL_CASE, EVIL_LINEAGE


@pytest.fixture(scope="session")
def ungated():
    return without_gates


@pytest.fixture(scope="session")
def passing(judged):
    """``(run, verdicts, stored)`` of :func:`build` that passes (exit 0): no gate, no failed result."""
    return passing_of(*judged)


@pytest.fixture(scope="session")
def result_factory():
    return make_result
