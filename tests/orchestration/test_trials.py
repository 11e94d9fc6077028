"""`trials: T` runs a case T times with independent seeds and merges each baseline kind's results."""

import math

import numpy as np
import pytest

from harness.orchestration.trials import merge_trials, trial_case_id
from harness.records import Metric, Result


def result(value, *, status="ok", tier="simulator", counts=None, seeds=None):
    return Result(suite="s", case_id="c", baseline="simulator", tier=tier, status=status,
                  metrics={"p": Metric(value, "proportion", stderr=0.01, n=1000),
                           "time_to_solution": Metric(value * 2, "timing", n=1, samples=(value * 2,), unit="s")},
                  counts=counts, timings={"execute": 1.0}, resources={"shots": 1000, "cache": {"hits": 1}},
                  lineage={"seeds": seeds or {}}, error=None if status == "ok" else "boom")


def test_one_trial_is_the_result_itself():
    r = result(0.5)
    assert merge_trials([r]) is r
    assert trial_case_id("n=3", 0) == "n=3" and trial_case_id("n=3", 2) == "n=3#2"


def test_values_are_averaged_and_the_spread_across_trials_is_the_stderr():
    merged = merge_trials([result(0.80, counts={"0": 3, "1": 1}), result(0.90, counts={"0": 2}),
                           result(0.85, counts={"1": 5})])
    p = merged.metrics["p"]
    assert p.value == pytest.approx(0.85)
    assert p.stderr == pytest.approx(np.std([0.80, 0.90, 0.85], ddof=1) / math.sqrt(3))
    assert p.samples == (0.80, 0.90, 0.85) and p.n == 3000 and p.kind == "proportion"
    assert merged.metrics["time_to_solution"].samples == pytest.approx((1.6, 1.8, 1.7))
    assert merged.counts == {"0": 5, "1": 6}
    assert merged.timings == {"execute": 3.0}
    assert merged.resources == {"shots": 3000, "cache": {"hits": 3}}
    assert merged.lineage["trials"] == 3


def test_a_failed_trial_fails_the_merged_result():
    merged = merge_trials([result(0.8), result(0.0, status="failed")])
    assert merged.status == "failed" and "1 of 2 trials failed: boom" in merged.error


def test_a_fallback_in_any_trial_shows_in_the_tier():
    assert merge_trials([result(0.8), result(0.7, tier="classical")]).tier == "classical+simulator"


@pytest.mark.slow
def test_a_suite_with_trials_runs_each_case_with_independent_seeds(make_suite):
    from harness.orchestration.plan import plan_suite
    from harness.orchestration.runner import run_plans
    from harness.suite import load_suite

    suite = dict(seed=4, baselines={"simulator": {}, "hardware": {"backend": "fake_manila",
                                                               "mitigation": {"readout": True, "bootstrap": 20}}},
                 metrics={"success_probability": {"better": "higher", "tolerance": 0.05}})
    one, three = make_suite("t", file="one.yaml", **suite), make_suite("t", file="three.yaml", trials=3, **suite)
    single = {r.baseline: r for r in run_plans([plan_suite(load_suite(one))]).results}
    merged = {r.baseline: r for r in run_plans([plan_suite(load_suite(three))]).results}
    raw = merged["hardware.raw"]
    assert raw.status == "ok" and raw.lineage["trials"] == 3
    seeds = [s["hardware"] for s in raw.lineage["trial_seeds"]]
    assert len(set(seeds)) == 3 and seeds[0] == single["hardware.raw"].lineage["seeds"]["hardware"]
    m = raw.metrics["success_probability"]
    assert len(m.samples) == 3 and m.samples[0] == single["hardware.raw"].metrics["success_probability"].value
    assert m.stderr == pytest.approx(np.std(m.samples, ddof=1) / math.sqrt(3))
    assert sum(raw.counts.values()) == 1500


@pytest.mark.sdk
def test_the_dry_run_estimate_counts_every_trial(make_suite):
    from harness.orchestration.budget import estimate_plans
    from harness.orchestration.plan import plan_suite
    from harness.suite import load_suite

    suite = dict(seed=None, baselines={"simulator": {}, "hardware": {"backend": "fake_manila", "mitigation": {"zne": {}}}},
                 metrics={"success_probability": {"better": "higher"}})
    paths = make_suite("t", file="one.yaml", **suite), make_suite("t", file="four.yaml", trials=4, **suite)
    one, four = ({r.baseline: (r.circuits, r.shots) for r in estimate_plans([plan_suite(load_suite(p))])} for p in paths)
    assert four == {k: (4 * c, 4 * s) for k, (c, s) in one.items()}


def test_circuit_shape_is_the_largest_trial_never_a_sum():
    # portfolio's `trials: 3` once drew a 4-qubit, depth-37 circuit at width 12, depth 111
    trials = [result(0.8), result(0.9), result(0.85)]
    shapes = [(4, 37, 6), (4, 35, 6), (4, 39, 7)]
    trials = [Result(**{**t.__dict__, "resources": {**t.resources, "width": w, "depth": d, "two_qubit_gates": g}})
              for t, (w, d, g) in zip(trials, shapes)]
    merged = merge_trials(trials)
    assert merged.resources["width"] == 4 and merged.resources["depth"] == 39
    assert merged.resources["two_qubit_gates"] == 7 and merged.resources["shots"] == 3000
