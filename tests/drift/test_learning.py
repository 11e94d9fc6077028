"""Learning from history cannot launder a regression: only accepted nights of the same configuration
and baseline teach, and the estimate is pooled across similar metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.commands import compare_run, learn_from
from harness.drift.excess import pooled_excess, series_moments
from harness.drift.learning import baseline_ref, judged_config, learned_excess, learning_tags
from harness.records import Metric, Result, Run
from harness.store import promote
from harness.store.history import History

MITIGATION_ON = {"readout": True, "zne": {"scale_factors": [1, 3, 5], "extrapolation": "richardson"}}
SPEC = {"ghz": {"metrics": {"normalized_fidelity": {"better": "higher", "tolerance": 0.03},
                            "success_probability": {"better": "higher", "tolerance": 0.03}}}}


def _result(value: float, *, mitigation=MITIGATION_ON, se: float = 0.02, case: str = "n=3") -> Result:
    lineage = {"settings": {"backend": "fake_manila", "optimization_level": 1, "mitigation": mitigation},
               "params": {"n": 3, "shots": 4000}}
    metrics = {"normalized_fidelity": Metric(value, "distribution", stderr=se, n=4000),
               "success_probability": Metric(min(value, 1.0) * 0.9, "proportion", stderr=se, n=4000)}
    return Result("ghz", case, "hardware.mitigated", "hardware", "ok", metrics, lineage=lineage)


CASES = ("n=3", "n=4", "n=5", "n=6")  # similar metrics: the learning pools across them


def _night(i: int, value: float, rng=None, **kw) -> Run:
    """One night of the suite; with ``rng``, each case's value also gets its own 0.02 of shot noise."""
    noise = rng.normal(0, 0.02, len(CASES)) if rng is not None else np.zeros(len(CASES))
    results = tuple(_result(value + e, case=c, **kw) for c, e in zip(CASES, noise))
    return Run(f"night-{i:03d}", f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00Z", results, SPEC)


def _gate(night: Run, baselines, history: History):
    """What `harness gate` does after running: compare with what history teaches, then append."""
    verdicts, stored = compare_run(night, baselines, history=history)
    history.append(night, verdicts, learning_tags(night, stored))
    return {v.metric: v for v in verdicts if v.case_id == "n=3"}


@pytest.fixture
def promoted(tmp_path):
    baselines = tmp_path / "baselines"
    promote(_night(0, 1.0), baselines)
    return baselines, History(tmp_path / "history.sqlite")


def test_the_intermittent_scenario_of_the_issue_blocks_on_every_off_night(promoted):
    """on, on, on, off, on, off, on, off, off (off: mitigation turned off) after 7 quiet nights."""
    baselines, history = promoted
    rng = np.random.default_rng(4)
    for i in range(1, 8):  # enough accepted nights for an excess to be learned
        _gate(_night(i, 1.0, rng), baselines, history)
    pattern = "on on on off on off on off off".split()
    blocked = []
    for j, state in enumerate(pattern, start=8):
        if state == "on":
            night = _night(j, 1.0, rng)
        else:
            night = _night(j, 0.785, rng, mitigation={"readout": False, "zne": None})
        blocked.append(_gate(night, baselines, history)["normalized_fidelity"].gate)
    assert blocked == [state == "off" for state in pattern]


def test_alternating_regressions_under_the_same_configuration_never_teach(promoted):
    """A code change that breaks every other night keeps the nightly configuration: its nights still
    must not widen the test (they regressed, so they are not accepted)."""
    baselines, history = promoted
    rng = np.random.default_rng(5)
    for i in range(1, 7):
        _gate(_night(i, 1.0, rng), baselines, history)
    for j in range(7, 27):
        bad = j % 2 == 1
        v = _gate(_night(j, 0.80 if bad else 1.0, rng), baselines, history)
        assert v["normalized_fidelity"].gate == bad, (j, v["normalized_fidelity"].note)
    learned = learn_from(history, _night(99, 1.0), {r.key: r for r in _night(0, 1.0).results})
    # learned from the accepted nights only: far below the 0.2 swing of the regressed ones
    assert learned[("ghz", "n=3", "hardware.mitigated", "normalized_fidelity")] < 0.03 ** 2


def test_a_persistent_step_blocks_every_night_until_promoted(promoted, tmp_path):
    baselines, history = promoted
    rng = np.random.default_rng(6)
    for i in range(1, 7):
        _gate(_night(i, 1.0, rng), baselines, history)
    for j in range(7, 17):
        assert _gate(_night(j, 0.85, rng), baselines, history)["normalized_fidelity"].gate
    promote(_night(17, 0.85), baselines)  # the step was reviewed and accepted
    after = [_gate(_night(j, 0.85, rng), baselines, history)["normalized_fidelity"]
             for j in range(18, 24)]
    assert not any(v.gate for v in after)
    # a new baseline: nothing learned from before the promote, until 5 nights judged against it
    assert [v.test for v in after] == ["z"] * 5 + ["t+excess"]


def test_only_points_of_the_same_configuration_and_baseline_teach():
    stored = {r.key: r for r in _night(0, 1.0).results}
    key = ("ghz", "n=3", "hardware.mitigated", "normalized_fidelity")
    tonight = _night(50, 1.0)
    config, ref = judged_config(tonight.results[0]), baseline_ref(stored[tonight.results[0].key])

    class P:  # a stored point as History returns it
        def __init__(self, i, value, status="unchanged", config=config, ref=ref):
            self.run_id, self.value, self.status, self.config, self.baseline_ref = f"r{i}", value, status, config, ref
            self.shot_stderr = 0.02

    rng = np.random.default_rng(0)
    quiet = [P(i, 1.0 + rng.normal(0, 0.02)) for i in range(20)]
    loud = [P(20 + i, 0.7 if i % 2 else 1.3, status=s, config=c, ref=r)
            for i, (s, c, r) in enumerate([("regression", config, ref), ("unchanged", "other", ref),
                                           ("unchanged", config, "old"), ("failed", config, ref)] * 5)]
    learned = learned_excess(tonight, stored, {key: quiet + loud})
    assert learned[key] < 0.02 ** 2  # none of the loud points counted
    assert key not in learned_excess(tonight, stored, {key: loud})  # nothing accepted: no estimate
    assert judged_config(_result(1.0, mitigation={"readout": False})) != config
    assert judged_config(_result(0.5)) == config  # values and seeds are not configuration


def test_pooling_tightens_the_bound_of_short_histories():
    rng = np.random.default_rng(2)
    shot, tau, nights = 0.01, 0.015, 8
    moments = {j: series_moments(rng.normal(0, tau, nights) + rng.normal(0, shot, nights), [shot] * nights)
               for j in range(30)}
    alone = pooled_excess(moments, {j: j for j in moments})  # each its own group: no pooling
    pooled = pooled_excess(moments, dict.fromkeys(moments, "mitigated proportions"))
    spread = lambda est: float(np.std(np.sqrt(list(est.values()))))  # noqa: E731
    assert spread(pooled) < 0.5 * spread(alone)
    assert np.median(np.sqrt(list(pooled.values()))) == pytest.approx(tau, rel=0.35)
    # a group whose metrics truly differ keeps them apart
    mixed = {j: series_moments(rng.normal(0, 0.002 if j % 2 else 0.05, 40) + rng.normal(0, shot, 40), [shot] * 40)
             for j in range(30)}
    est = pooled_excess(mixed, dict.fromkeys(mixed, "g"), confidence=0.5)
    assert math.sqrt(np.median([est[j] for j in range(0, 30, 2)])) > 0.035
    assert math.sqrt(np.median([est[j] for j in range(1, 30, 2)])) < 0.01


def test_proportions_in_trials_pool_apart_from_single_ones():
    """A value pooled over trials stores its trials' spread as its error (nothing beyond it from night to
    night here); a single one only its shot noise (and an excess of twice that): they must not share a prior."""
    spec = {"s": {"metrics": {"p": {"better": "higher", "tolerance": 0.0}}}}

    def res(case, trials):
        samples = (0.80, 0.81, 0.79, 0.80, 0.80) if trials else ()
        return Result("s", case, "hardware.raw", "hardware.raw", "ok",
                      {"p": Metric(0.8, "proportion", 0.01 if trials else None, 4000, samples)})

    cases = [(f"single{j}", False) for j in range(30)] + [(f"trials{j}", True) for j in range(30)]
    tonight = Run("r99", "2026-01-02", tuple(res(c, t) for c, t in cases), spec)
    stored = {r.key: r for r in tonight.results}

    class P:  # a stored point as History returns it
        def __init__(self, i, value, se, r):
            self.run_id, self.value, self.status, self.shot_stderr = f"r{i}", value, "unchanged", se
            self.config, self.baseline_ref = judged_config(r), baseline_ref(stored[r.key])

    rng = np.random.default_rng(3)
    series = {}
    for r, (case, trials) in zip(tonight.results, cases):
        se = 0.01 if trials else math.sqrt(0.8 * 0.2 / 4000)  # 0.0063
        sd = se if trials else math.sqrt(3) * se  # singles: excess twice the shot variance
        series[(*r.key, "p")] = [P(i, 0.8 + rng.normal(0, sd), se, r) for i in range(8)]  # a short history
    learned = learned_excess(tonight, stored, series)
    trial_totals = [learned[("s", f"trials{j}", "hardware.raw", "p")].total for j in range(30)]
    single_totals = [learned[("s", f"single{j}", "hardware.raw", "p")].total for j in range(30)]
    # seeded: measured 1.04 and 3.09 times the stored error's variance (one group would give 1.42 and 1.97)
    assert np.median(trial_totals) == pytest.approx(0.01 ** 2, rel=0.2)  # its own spread, not the singles' excess
    assert np.median(single_totals) == pytest.approx(3 * 0.8 * 0.2 / 4000, rel=0.2)
