"""excess_variance: recovers a known excess, ignores steps and spikes, refuses short histories."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from harness.drift import compare
from harness.drift.excess import MIN_POINTS, excess_variance
from harness.errors import UnsupportedError
from harness.records import Metric, Result, Run


def noisy(rng, n, *, tau, shot, level=0.6):
    return level + rng.normal(0, tau, n) + rng.normal(0, shot, n)


def test_recovers_a_known_excess_on_a_long_history():
    rng = np.random.default_rng(3)
    v = noisy(rng, 2000, tau=0.02, shot=0.01)
    est = excess_variance(v, [0.01] * v.size, confidence=0.5)
    assert math.sqrt(est) == pytest.approx(0.02, rel=0.06)


def test_pure_shot_noise_gives_little_or_no_excess():
    rng = np.random.default_rng(4)
    v = noisy(rng, 2000, tau=0.0, shot=0.01)
    assert excess_variance(v, [0.01] * v.size, confidence=0.5) < 0.1 * 0.01 ** 2


def test_steps_and_spikes_in_the_history_do_not_inflate_it():
    rng = np.random.default_rng(5)
    v = noisy(rng, 200, tau=0.02, shot=0.01)
    clean = excess_variance(v, [0.01] * v.size, confidence=0.5)
    dirty = v.copy()
    dirty[80:] -= 0.3  # an old regression, 13 noise sds
    dirty[[20, 140]] += 0.5  # two one-night spikes
    assert excess_variance(dirty, [0.01] * v.size, confidence=0.5) == pytest.approx(clean, rel=0.05)
    # Plain variance minus shot noise would be ruined by the step: the reason for differences.
    assert np.var(dirty, ddof=1) - 0.01 ** 2 > 10 * clean


def test_slow_drift_is_not_counted_as_noise():
    rng = np.random.default_rng(6)
    v = noisy(rng, 300, tau=0.01, shot=0.01) + np.linspace(0, 0.3, 300)
    assert math.sqrt(excess_variance(v, [0.01] * 300, confidence=0.5)) == pytest.approx(0.01, rel=0.2)


def test_short_histories_give_none_and_the_bound_shrinks_with_length():
    assert excess_variance([0.5] * (MIN_POINTS - 1), [0.01] * (MIN_POINTS - 1)) is None
    assert excess_variance([0.5, 0.6, float("nan"), 0.5, 0.55], [0.01] * 5) is None  # 4 usable
    rng = np.random.default_rng(7)
    v = noisy(rng, 400, tau=0.02, shot=0.01)
    s = [0.01] * 400
    point = excess_variance(v[:20], s[:20], confidence=0.5)
    assert excess_variance(v[:20], s[:20], confidence=0.9) > excess_variance(v[:20], s[:20], confidence=0.8) > point
    # The margin above the point estimate narrows as the history grows.
    short = excess_variance(v[:20], s[:20]) / excess_variance(v[:20], s[:20], confidence=0.5)
    long = excess_variance(v, s) / excess_variance(v, s, confidence=0.5)
    assert short > long > 1.0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="length"):
        excess_variance([1.0, 2.0], [0.1])
    with pytest.raises(ValueError, match="confidence"):
        excess_variance([1.0] * 6, [0.1] * 6, confidence=0.3)


def _one(new, old, excess):
    spec = {"ghz": {"metrics": {"p": {"better": "higher", "tolerance": 0.0}}}}
    a = Result("ghz", "n=3", "hardware.raw", "hardware.raw", "ok", {"p": old})
    b = Result("ghz", "n=3", "hardware.raw", "hardware.raw", "ok", {"p": new})
    return compare(Run("r", "2025-01-02", (b,), spec), {a.key: a}, alpha=0.01, history_excess=excess)[0]


def test_compare_adds_the_excess_to_both_sides():
    old, new = Metric(0.80, "proportion", n=4000), Metric(0.77, "proportion", n=4000)
    plain = _one(new, old, None)
    assert plain.status == "regression" and plain.test == "z"  # 4.7 shot-noise standard errors
    key = ("ghz", "n=3", "hardware.raw", "p")
    wide = _one(new, old, {key: 0.01 ** 2})
    assert wide.test == "z+excess" and "excess variance" in wide.note
    se = math.sqrt(0.8 * 0.2 / 4000 + 0.77 * 0.23 / 4000 + 2 * 0.01 ** 2)
    assert wide.p_value == pytest.approx(float(stats.norm.sf(0.03 / se)), rel=1e-6)
    assert wide.status != "regression"  # z = 1.9 once seed-to-seed spread is counted
    assert _one(new, old, {("other", "x", "y", "p"): 1.0}).test == "z"  # keyed per metric
    with pytest.raises(UnsupportedError, match="variance"):
        _one(new, old, {key: -1.0})
