"""Decisive by design: the mde predicted before a run is the one the verdict reports, and the fix it
suggests brings the mde within the tolerance; an inconclusive verdict says why."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from harness.drift import compare
from harness.drift.power import Planned, holm_level, mde_factor, predict
from harness.records import Metric, Result, Run

SPEC = {"s": {"metrics": {"p": {"better": "higher", "tolerance": 0.03}}}}


def _res(case: str, value: float, se: float, n: int, kind: str = "hardware.mitigated") -> Result:
    return Result("s", case, kind, "hardware", "ok", {"p": Metric(value, "proportion", stderr=se, n=n)})


def _planned(case: str, shots: int, trials: int = 1, tol: float = 0.03) -> Planned:
    return Planned("s", case, "hardware.mitigated", "p", "proportion", "higher", tol, False, shots, trials)


def test_the_predicted_mde_is_the_verdicts():
    stored = {r.key: r for r in (_res(f"c{i}", 0.9, 0.012, 4000) for i in range(10))}
    preds = predict([_planned(f"c{i}", 4000) for i in range(10)], stored, alpha=0.01)
    run = Run("r", "2026-01-01", tuple(_res(f"c{i}", 0.9, 0.012, 4000) for i in range(10)), SPEC)
    verdicts = compare(run, stored, alpha=0.01)
    for q, v in zip(preds, verdicts):
        assert q.mde == pytest.approx(v.mde, rel=1e-9)
        assert q.mde == pytest.approx(mde_factor(0.01 / 10) * math.hypot(0.012, 0.012))
    assert all(q.underpowered for q in preds)  # 0.061 > 0.03
    assert all(v.status == "inconclusive" and v.note.startswith("underpowered") for v in verdicts)


def test_the_suggested_shots_fix_it():
    stored = {r.key: r for r in (_res(f"c{i}", 0.9, 0.012, 4000) for i in range(4))}
    q = predict([_planned(f"c{i}", 4000) for i in range(4)], stored, alpha=0.01)[0]
    assert q.underpowered and "re-promoted" in q.fix
    shots = int(q.fix.split("same precision: shots ")[1].split()[0])
    # after re-promoting at that precision, both sides have se 0.012 * sqrt(4000 / shots)
    se = 0.012 * math.sqrt(4000 / shots)
    again = {r.key: r for r in (_res(f"c{i}", 0.9, se, shots) for i in range(4))}
    q2 = predict([_planned(f"c{i}", shots) for i in range(4)], again, alpha=0.01)[0]
    assert not q2.underpowered and q2.mde == pytest.approx(0.03, rel=0.01)


def test_night_to_night_spread_beyond_the_tolerance_cannot_be_fixed_by_shots():
    stored = {("s", "c", "hardware.mitigated"): _res("c", 0.9, 0.005, 4000)}
    key = ("s", "c", "hardware.mitigated", "p")
    q = predict([_planned("c", 4000)], stored, alpha=0.01, excess={key: 0.01 ** 2})[0]
    assert q.underpowered and q.fix.startswith("no number of shots")


def test_without_a_baseline_the_worst_case_and_the_mitigation_amplification_are_used():
    plain = predict([_planned("c", 4000)], {}, alpha=0.01)[0]
    assert plain.mde == pytest.approx(mde_factor(0.01) * math.sqrt(2 * 0.25 / 4000))
    amplified = predict([_planned("c", 4000)], {}, alpha=0.01,
                        amplification={("s", "c", "hardware.mitigated"): 9.0})[0]
    assert amplified.mde == pytest.approx(3 * plain.mde)
    assert "amplification 9" in amplified.basis


def test_a_single_timing_is_underpowered_and_trials_fix_it():
    p = Planned("s", "c", "simulator", "t", "timing", "lower", 0.5, True, 1000, 1)
    q = predict([p], {}, alpha=0.01)[0]
    assert q.underpowered and q.fix.startswith("trials")


def test_within_noise_is_said_when_the_mde_is_below_the_tolerance():
    stored = {("s", "c", "hardware.mitigated"): _res("c", 0.9, 0.004, 4000)}
    # mde about 0.02 < 0.03, but the estimate sits at the tolerance: cannot call it either way
    run = Run("r", "2026-01-01", (_res("c", 0.872, 0.004, 4000),), SPEC)
    v = compare(run, stored, alpha=0.01)[0]
    assert v.mde < 0.03 and v.status == "inconclusive" and v.note.startswith("within noise")
    assert holm_level(0.01, 4) == 0.0025


def test_check_command_lists_underpowered_metrics(tmp_path):
    from click.testing import CliRunner

    from harness.cli import cli

    suite = tmp_path / "s.yaml"
    suite.write_text("""suite: tiny
workload: ghz
seed: 1
matrix: {n: [3], shots: [100]}
baselines: {simulator: {engine: aer}}
metrics:
  success_probability: {better: higher, tolerance: 0.01}
""")
    out = CliRunner().invoke(cli, ["check", str(suite), "--baselines", str(tmp_path / "none"),
                                   "--runs-dir", str(tmp_path / "runs")])
    assert out.exit_code == 1, out.output
    assert "UNDERPOWERED tiny" in out.output and "predicted mde 0.224 > tolerance 0.01" in out.output
    shots = int(out.output.split("same precision: shots ")[1].split()[0])
    assert shots == pytest.approx(100 * (0.224 / 0.01) ** 2, rel=0.01)  # mde scales as 1 / sqrt(shots)
    assert "1 gating metric(s), 1 underpowered" in out.output


def test_precision_scales_with_the_suites_shots_not_the_metrics_total_count():
    """A metric over 20 circuits counts n = 20 x shots; tonight's precision at equal shots is the stored one."""
    res = Result("s", "c", "hardware.mitigated", "hardware", "ok",
                 {"p": Metric(0.85, "expectation", stderr=0.003, n=20 * 1000)}, lineage={"params": {"shots": 1000}})
    planned = Planned("s", "c", "hardware.mitigated", "p", "expectation", "higher", 0.04, False, 1000)
    q = predict([planned], {res.key: res}, alpha=0.01)[0]
    assert q.mde == pytest.approx(mde_factor(0.01) * math.hypot(0.003, 0.003))
    # four times the shots: tonight's standard error halves
    q4 = predict([replace(planned, shots=4000)], {res.key: res}, alpha=0.01)[0]
    assert q4.mde == pytest.approx(mde_factor(0.01) * math.hypot(0.003, 0.0015))


def test_a_proportion_in_trials_that_never_varied_is_as_imprecise_as_its_restarts():
    """5 trials of 8 classical restarts, all successful: stderr 0, yet 40 restarts cannot exclude 0.94."""
    res = Result("s", "c", "classical", "classical", "ok",
                 {"p": Metric(1.0, "proportion", stderr=0.0, n=40, samples=(1.0,) * 5)},
                 lineage={"params": {"shots": 4000}, "trials": 5})
    planned = Planned("s", "c", "classical", "p", "proportion", "higher", 0.06, False, 4000, 5)
    q = predict([planned], {res.key: res}, alpha=0.01)[0]
    p = 8.5 / 9  # the pooled-trials test's shrunk proportion at 8 restarts per trial
    assert q.mde == pytest.approx(mde_factor(0.01) * math.sqrt(2 * p * (1 - p) / 8 / 5))
    assert q.underpowered and "restarts" in q.fix
    # the gate judges the same metric inconclusive and underpowered, as predicted
    run = Run("r", "2026-01-01", (res,), {"s": {"metrics": {"p": {"better": "higher", "tolerance": 0.06}}}})
    (v,) = compare(run, {res.key: res}, alpha=0.01)
    assert v.status == "inconclusive" and v.note.startswith("underpowered") and v.mde > 0.06
