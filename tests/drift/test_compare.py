"""compare(): verdicts with known answers, built from real Run / Result / Metric records."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from harness.drift import STATUSES, Verdict, advisory, compare, gate_outcome
from harness.errors import BaselineError, UnsupportedError
from harness.records import Metric, Result, Run

SUITE, CASE, KIND = "ghz", "n=3", "simulator"


def result(metrics, *, case=CASE, status="ok", counts=None, lineage=None, error=None):
    return Result(SUITE, case, KIND, KIND, status, metrics, counts=counts, lineage=lineage or {}, error=error)


def run_of(results, specs):
    return Run("r1", "2025-01-01T00:00:00Z", tuple(results), {SUITE: {"metrics": specs}})


def judge(new_metric, old_metric, *, alpha=0.01, **spec):
    """The single verdict of one metric ``m`` compared with its baseline."""
    spec.setdefault("better", "higher")
    old = result({"m": old_metric})
    (v,) = compare(run_of([result({"m": new_metric})], {"m": spec}), {old.key: old}, alpha=alpha)
    return v


def test_identical_values_are_unchanged():
    m = Metric(0.62, "proportion", n=4000)
    v = judge(m, m, tolerance=0.03)
    assert v.status == "unchanged" and not v.gate
    assert v.effect == 0.0 and v.ci_low < 0 < v.ci_high


def test_three_standard_errors_worse_is_flagged_half_a_standard_error_is_not():
    # One metric, so Holm changes nothing: "without correction" at alpha = 0.05.
    old = Metric(0.80, "expectation", stderr=0.01)
    flagged = judge(Metric(0.80 - 3 * math.sqrt(2) * 0.01, "expectation", stderr=0.01), old, alpha=0.05)
    assert flagged.status == "regression" and flagged.gate
    assert flagged.p_value == pytest.approx(0.0013499, abs=1e-6) == flagged.p_adjusted
    quiet = judge(Metric(0.80 - 0.5 * math.sqrt(2) * 0.01, "expectation", stderr=0.01), old, alpha=0.05)
    assert quiet.status == "unchanged" and not quiet.gate  # tau = 0: not significant means unchanged
    assert quiet.p_value == pytest.approx(0.3085, abs=1e-4)


@pytest.mark.parametrize("better, new, status", [
    ("lower", 1.2, "regression"), ("lower", 0.8, "improvement"),
    ("higher", 1.2, "improvement"), ("higher", 0.8, "regression"),
])
def test_direction_follows_better(better, new, status):
    v = judge(Metric(new, "expectation", stderr=0.02), Metric(1.0, "expectation", stderr=0.02),
              better=better, tolerance=0.05)
    assert v.status == status
    assert v.gate is (status == "regression")
    assert v.effect == pytest.approx(new - 1.0)  # always new minus baseline, whatever the direction


def test_significant_worsening_below_tolerance_is_not_a_regression():
    # 0.02 worse with stderr 0.001 per side: z = 14, but the tolerance is 0.05.
    v = judge(Metric(0.88, "expectation", stderr=0.001), Metric(0.90, "expectation", stderr=0.001), tolerance=0.05)
    assert v.p_adjusted < 1e-10
    assert v.status == "unchanged"  # the 98 % interval [-0.0233, -0.0167] fits within +-0.05


def test_large_noisy_change_with_tiny_tolerance_is_inconclusive():
    # 0.2 worse but stderr 0.15 per side: neither significant nor provably within 0.001.
    v = judge(Metric(0.5, "expectation", stderr=0.15), Metric(0.7, "expectation", stderr=0.15), tolerance=0.001)
    assert v.status == "inconclusive" and not v.gate
    assert v.mde > 0.001 and "detectable" in v.note


def test_mde_is_reported_and_follows_the_formula():
    v = judge(Metric(0.5, "expectation", stderr=0.03), Metric(0.5, "expectation", stderr=0.04), alpha=0.05)
    assert v.mde == pytest.approx((1.644854 + 0.841621) * 0.05)


def test_proportion_without_stderr_uses_binomial_error():
    v = judge(Metric(0.5, "proportion", n=10_000), Metric(0.4, "proportion", n=10_000), alpha=0.05)
    se = math.sqrt(0.25 / 10_000 + 0.24 / 10_000)
    assert (v.ci_high - v.ci_low) / 2 == pytest.approx(1.959964 * se)
    assert v.status == "improvement"


def test_relative_tolerance_scales_with_the_baseline():
    old = Metric(100.0, "expectation", stderr=0.1)
    inside = judge(Metric(97.0, "expectation", stderr=0.1), old, tolerance=0.05, relative=True)
    outside = judge(Metric(90.0, "expectation", stderr=0.1), old, tolerance=0.05, relative=True)
    assert inside.tolerance == pytest.approx(5.0)
    assert (inside.status, outside.status) == ("unchanged", "regression")


def test_scalar_uses_welch_with_trials_and_stderr_without():
    rng = np.random.default_rng(5)
    base = tuple(rng.normal(10.0, 0.5, 8))
    worse = tuple(rng.normal(8.0, 0.5, 8))
    v = judge(Metric(float(np.mean(worse)), samples=worse), Metric(float(np.mean(base)), samples=base), tolerance=0.5)
    assert (v.test, v.status) == ("welch-t", "regression")
    lone = judge(Metric(8.0), Metric(10.0, samples=base), tolerance=0.5)
    assert lone.status == "inconclusive" and "standard error" in lone.note
    fallback = judge(Metric(8.0, stderr=0.2), Metric(10.0, stderr=0.2), tolerance=0.5)
    assert (fallback.test, fallback.status) == ("z", "regression")


def test_timings_with_repeats():
    rng = np.random.default_rng(8)
    base = tuple(rng.lognormal(0.0, 0.1, 10))

    def timing(scale, jitter=0.1):
        s = tuple(scale * rng.lognormal(0.0, jitter, 10))
        return Metric(float(np.median(s)), "timing", samples=s, unit="s")

    old = Metric(float(np.median(base)), "timing", samples=base, unit="s")
    slow = judge(timing(2.0), old, better="lower", tolerance=0.2, relative=True)
    assert (slow.test, slow.status) == ("mann-whitney", "regression") and slow.gate
    assert slow.effect == pytest.approx(old.value, rel=0.2)  # about +100 % of the baseline, in seconds
    assert slow.tolerance == pytest.approx(0.2 * old.value)
    assert slow.ci_low < slow.effect < slow.ci_high
    near = judge(timing(1.05), old, better="lower", tolerance=0.2, relative=True)
    assert near.status != "regression"
    # 10 % jitter on 10 repeats cannot prove a change below 20 %: the 98 % interval reaches past 1.2x.
    assert near.status == "inconclusive"
    quiet_base = tuple(rng.lognormal(0.0, 0.03, 10))
    quiet_old = Metric(float(np.median(quiet_base)), "timing", samples=quiet_base, unit="s")
    quiet = judge(timing(1.05, jitter=0.03), quiet_old, better="lower", tolerance=0.2, relative=True)
    assert quiet.status == "unchanged"  # with 3 % jitter it can


def test_single_timings_need_a_large_factor():
    old = Metric(1.0, "timing", samples=(1.0,), unit="s")
    modest = judge(Metric(1.5, "timing", samples=(1.5,)), old, better="lower", tolerance=0.2, relative=True)
    assert (modest.test, modest.status) == ("z-log-assumed", "inconclusive")
    assert "assumed" in modest.note
    huge = judge(Metric(10.0, "timing", samples=(10.0,)), old, better="lower", tolerance=0.2, relative=True)
    assert huge.status == "regression"


def test_distribution_reports_the_g_test_and_decides_on_its_score():
    base_counts, new_counts = {"000": 1900, "111": 1800, "010": 300}, {"000": 1500, "111": 2200, "010": 300}
    fid = Metric(0.925, "distribution", stderr=0.004)
    old = result({"m": fid}, counts=base_counts)
    new = result({"m": Metric(0.925, "distribution", stderr=0.004)}, counts=new_counts)
    (v,) = compare(run_of([new], {"m": {"better": "higher", "tolerance": 0.02}}), {old.key: old})
    assert v.status == "unchanged" and v.test == "z + G-test"
    assert "G-test p=" in v.note and "distribution changed" in v.note


def test_no_baseline_and_failed():
    specs = {"m": {"better": "higher"}, "gone": {"better": "higher"}}
    ok = result({"m": Metric(0.5, "proportion", n=100), "gone": Metric(1.0, stderr=0.1)})
    other_case = result({"m": Metric(0.5, "proportion", n=100)}, case="n=4")
    failed = result({}, case="n=5", status="failed", error="ExecutionError: queue timed out")
    stored_ok = result({"m": Metric(0.5, "proportion", n=100)})  # lacks "gone"
    stored_failed = result({}, case="n=5", status="failed")
    verdicts = compare(run_of([ok, other_case, failed], specs),
                       {stored_ok.key: stored_ok, stored_failed.key: stored_failed})
    by = {(v.case_id, v.metric): v for v in verdicts}
    assert by[CASE, "m"].status == "unchanged"
    assert by[CASE, "gone"].status == "no_baseline" and "gone" in by[CASE, "gone"].note
    assert by["n=4", "m"].status == "no_baseline"
    assert by["n=4", "gone"].status == "failed"  # the new result lacks it
    assert by["n=5", "m"].status == "failed" and "queue timed out" in by["n=5", "m"].note
    outcome = gate_outcome(run_of([ok, other_case, failed], specs), verdicts)
    assert outcome.counts == {**dict.fromkeys(STATUSES, 0), "unchanged": 1, "no_baseline": 2, "failed": 3}
    assert not outcome.blocking and outcome.code == 3  # n=5 failed to execute


def test_gate_only_for_gating_metrics_and_verdicts_are_json():
    specs = {"g": {"better": "higher", "tolerance": 0.01},
             "adv": {"better": "higher", "tolerance": 0.01, "gate": False},
             "t": {"better": "lower", "tolerance": 0.5, "relative": True}}
    old = result({"g": Metric(0.9, "expectation", stderr=0.005), "adv": Metric(0.9, "expectation", stderr=0.005),
                  "t": Metric(2.0, "timing", samples=(2.0, 2.1, 1.9))},
                 lineage={"sdk": {"qiskit": "2.5.0"}, "seed": 3, "started": "yesterday"})
    new = result({"g": Metric(0.7, "expectation", stderr=0.005), "adv": Metric(0.7, "expectation", stderr=0.005),
                  "t": Metric(2.0, "timing", samples=(2.0, 2.05, 1.95))},
                 lineage={"sdk": {"qiskit": "2.6.2"}, "seed": 3, "started": "today"})
    verdicts = compare(run_of([new], specs), {old.key: old})
    by = {v.metric: v for v in verdicts}
    assert by["g"].status == by["adv"].status == "regression"
    assert by["g"].gate and not by["adv"].gate and gate_outcome(run_of([new], specs), verdicts).code == 1
    assert by["g"].changed_layer == "sdk.qiskit"
    for v in verdicts:
        text = json.dumps(v.to_dict(), allow_nan=False)
        assert Verdict.from_dict(json.loads(text)) == v


def test_holm_keeps_family_wise_false_alarms_at_alpha():
    # 200 simulated runs of 300 unchanged gating metrics (tau = 0, alpha = 0.05): Holm gives at most
    # 5 % of runs with any regression; without a correction nearly every run would have one.
    rng = np.random.default_rng(2024)
    alpha, n_metrics, n_runs = 0.05, 300, 200
    specs = {f"m{i}": {"better": "higher"} for i in range(n_metrics)}
    stored = result({name: Metric(0.5, "expectation", stderr=0.01) for name in specs})
    alarms = raw_alarms = 0
    for _ in range(n_runs):
        values = 0.5 + rng.normal(0.0, 0.01 * math.sqrt(2), n_metrics)
        new = result({name: Metric(float(x), "expectation", stderr=0.01) for name, x in zip(specs, values)})
        verdicts = compare(run_of([new], specs), {stored.key: stored}, alpha=alpha)
        alarms += any(v.gate for v in verdicts)
        raw_alarms += any(v.p_value <= alpha for v in verdicts)
    slack = 3 * math.sqrt(alpha * (1 - alpha) / n_runs)
    assert alarms / n_runs <= alpha + slack
    assert raw_alarms / n_runs > 0.99


def test_advisory_lists_worsenings_beyond_tolerance_at_fdr():
    specs = {f"m{i}": {"better": "higher", "tolerance": 0.01} for i in range(20)}
    stored = result({n: Metric(0.5, "expectation", stderr=0.01) for n in specs})
    values = {n: 0.5 for n in specs} | {"m0": 0.42, "m1": 0.49}  # m0: 5.7 se and beyond tau; m1: within tau
    new = result({n: Metric(x, "expectation", stderr=0.01) for n, x in values.items()})
    flagged = advisory(compare(run_of([new], specs), {stored.key: stored}), q=0.05)
    assert [v.metric for v, _ in flagged] == ["m0"]
    assert 0 < flagged[0][1] < 0.05


def test_errors_the_user_can_fix():
    m = result({"m": Metric(1.0, stderr=0.1)})
    with pytest.raises(BaselineError, match="no metric specs"):
        compare(Run("r1", "now", (m,), {}), {})
    with pytest.raises(BaselineError, match="better"):
        compare(run_of([m], {"m": {"better": "up"}}), {})
    with pytest.raises(UnsupportedError, match="alpha"):
        compare(run_of([m], {"m": {"better": "higher"}}), {}, alpha=0.7)


def test_public_api_is_sorted_and_importable():
    import harness.drift as drift

    assert drift.__all__ == sorted(drift.__all__)
    assert all(hasattr(drift, name) for name in drift.__all__)


def test_timings_of_cached_results_are_not_judged_as_latencies():
    from harness.drift import compare
    from harness.records import Metric, Result, Run

    def result(seconds, hits):
        return Result(suite="s", case_id="c", baseline="simulator", tier="simulator", status="ok",
                      metrics={"time_to_solution": Metric(seconds, "timing", n=1, samples=(seconds,), unit="s")},
                      resources={"cache": {"hits": hits, "misses": 0}})

    spec = {"time_to_solution": {"better": "lower", "tolerance": 0.5, "relative": True, "gate": True}}
    run = Run(run_id="r", created="", results=(result(0.01, hits=2),), suites={"s": {"metrics": spec}})
    (verdict,) = compare(run, {("s", "c", "simulator"): result(5.0, hits=0)})
    assert verdict.status == "inconclusive" and "result cache" in verdict.note
    fresh = Run(run_id="r", created="", results=(result(0.01, hits=0),), suites={"s": {"metrics": spec}})
    (verdict,) = compare(fresh, {("s", "c", "simulator"): result(5.0, hits=0)})
    assert verdict.status == "improvement"


def test_proportions_with_trials_count_the_spread_between_trials():
    from harness.drift import compare
    from harness.records import Metric, Result, Run

    def result(samples):
        m = Metric(sum(samples) / len(samples), "proportion", stderr=0.001, n=3000, samples=tuple(samples))
        return Result(suite="s", case_id="c", baseline="hardware.raw", tier="hardware", status="ok", metrics={"p": m})

    spec = {"p": {"better": "higher", "tolerance": 0.01, "relative": False, "gate": True}}
    run = Run(run_id="r", created="", results=(result([0.80, 0.86, 0.83]),), suites={"s": {"metrics": spec}})
    (verdict,) = compare(run, {("s", "c", "hardware.raw"): result([0.88, 0.84, 0.86])}, alpha=0.01)
    # the trials disagree by far more than the tiny shot-noise stderr: a z-test on it would cry regression;
    # the pooled-count test carries the between-trial variance the trials show
    assert verdict.test == "t-pooled-trials" and verdict.status != "regression"
    assert "between-trial variance" in verdict.note
    # scalars (no shots) still go through Welch on their trials
    scalar = Metric(0.83, "scalar", samples=(0.80, 0.86, 0.83))
    old = Metric(0.86, "scalar", samples=(0.88, 0.84, 0.86))
    run = Run(run_id="r", created="", results=(Result("s", "c", "classical", "classical", "ok", {"p": scalar}),),
              suites={"s": {"metrics": spec}})
    (verdict,) = compare(run, {("s", "c", "classical"): Result("s", "c", "classical", "classical", "ok",
                                                                  {"p": old})}, alpha=0.01)
    assert verdict.test.startswith("welch")
