"""Known answers and calibration of the two-sample tests and the multiplicity corrections."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from harness.drift.multiplicity import benjamini_hochberg, holm
from harness.drift.stat_tests import (
    binomial_stderr,
    hodges_lehmann,
    timing_test,
    welch_test,
    z_test,
)
from harness.homogeneity import g_test, merge_sparse_bins


def test_z_test_p_values_match_the_normal_table():
    # A worsening of exactly 3 standard errors: one-sided p = 1 - Phi(3) = 0.0013499 (normal table).
    c = z_test(0.64, 0.03, 0.79, 0.04, better="higher", alpha=0.05)  # d = -0.15, se = 0.05
    assert c.effect == pytest.approx(-0.15)
    assert c.p_worse == pytest.approx(0.0013499, abs=1e-6)
    assert c.p_better == pytest.approx(1 - 0.0013499, abs=1e-6)
    # 95 % interval half-width 1.95996 se; TOST (90 %) half-width 1.64485 se; mde (1.64485 + 0.84162) se.
    assert c.ci == pytest.approx((-0.15 - 1.959964 * 0.05, -0.15 + 1.959964 * 0.05))
    assert c.eq_ci == pytest.approx((-0.15 - 1.644854 * 0.05, -0.15 + 1.644854 * 0.05))
    assert c.mde == pytest.approx((1.644854 + 0.841621) * 0.05)


def test_z_test_direction_follows_better():
    up_is_worse = z_test(1.1, 0.05, 1.0, 0.0, better="lower", alpha=0.01)
    up_is_better = z_test(1.1, 0.05, 1.0, 0.0, better="higher", alpha=0.01)
    assert up_is_worse.p_worse == pytest.approx(up_is_better.p_better)
    assert up_is_worse.p_worse < 0.05 < up_is_better.p_worse


def test_exact_values_decide_by_sign():
    same = z_test(2.0, 0.0, 2.0, 0.0, better="higher", alpha=0.01)
    assert (same.p_worse, same.p_better, same.ci) == (1.0, 1.0, (0.0, 0.0))
    worse = z_test(1.5, 0.0, 2.0, 0.0, better="higher", alpha=0.01)
    assert worse.p_worse == 0.0 and worse.p_better == 1.0


def test_z_interval_coverage_is_nominal():
    # 2000 replications of two normal estimates with known errors: the 1 - alpha interval covers the
    # true difference about 1 - alpha of the time (binomial sd of the rate: 0.005 at 95 %).
    rng = np.random.default_rng(7)
    truth, se_a, se_b = 0.1, 0.02, 0.03
    covered = 0
    for _ in range(2000):
        c = z_test(0.6 + truth + rng.normal(0, se_a), se_a, 0.6 + rng.normal(0, se_b), se_b,
                   better="higher", alpha=0.05)
        covered += c.ci[0] <= truth <= c.ci[1]
    assert covered / 2000 == pytest.approx(0.95, abs=0.02)


def test_binomial_stderr():
    assert binomial_stderr(0.5, 10_000) == pytest.approx(0.005)
    assert binomial_stderr(0.3, None) is None
    # At p = 0 the plug-in error would be 0; the shrunk one stays positive and small.
    assert 0 < binomial_stderr(0.0, 1000) < 0.003


def test_welch_matches_the_welch_satterthwaite_formulas():
    a = [10.1, 9.8, 10.4, 10.0, 9.9, 10.3]
    b = [9.2, 9.9, 9.4, 9.6]
    c = welch_test(a, b, better="higher", alpha=0.05)
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    d = np.mean(a) - np.mean(b)
    assert c.effect == pytest.approx(d)
    assert c.p_better == pytest.approx(stats.t.sf(d / se, df))  # improvement: a is higher
    half = stats.t.ppf(0.975, df) * se
    assert c.ci == pytest.approx((d - half, d + half))
    assert c.mde == pytest.approx((stats.t.ppf(0.95, df) + stats.t.ppf(0.8, df)) * se)


def test_welch_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2"):
        welch_test([1.0], [1.0, 2.0], better="higher", alpha=0.01)


def test_hodges_lehmann_known_values():
    assert hodges_lehmann(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 0.0])) == 2.0
    y = np.array([0.3, 1.7, 2.2, 5.0])
    assert hodges_lehmann(y + 0.25, y) == pytest.approx(0.25)  # a pure shift is recovered exactly


def _lognormal(rng, scale, n, sigma=0.1):
    return scale * rng.lognormal(0.0, sigma, n)


def test_timing_2x_slowdown_detected_and_small_one_not():
    rng = np.random.default_rng(3)
    base = _lognormal(rng, 1.0, 10)
    slow = timing_test(_lognormal(rng, 2.0, 10), base, alpha=0.01)
    assert slow.scale == "log"
    assert math.exp(slow.effect) == pytest.approx(2.0, rel=0.15)
    assert slow.p_worse < 1e-4  # complete separation of 10 vs 10: exact p = 1 / C(20, 10)
    assert slow.ci[0] < slow.effect < slow.ci[1]
    same = timing_test(_lognormal(rng, 1.05, 10), base, alpha=0.01)
    assert same.p_worse > 1e-3


def test_timing_is_deterministic_and_handles_ties():
    a = timing_test([1.0, 1.1, 1.2, 1.3], [1.0, 1.0, 1.1, 1.2], alpha=0.01)
    assert a == timing_test([1.0, 1.1, 1.2, 1.3], [1.0, 1.0, 1.1, 1.2], alpha=0.01)
    flat = timing_test([2.0] * 4, [2.0] * 4, alpha=0.01)
    assert flat.effect == 0.0 and flat.ci == (0.0, 0.0)


def _counts(rng, probs, shots):
    keys = [format(i, "03b") for i in range(len(probs))]
    return dict(zip(keys, (int(c) for c in rng.multinomial(shots, probs))))


def test_g_test_same_distribution_is_calibrated_and_shift_is_detected():
    rng = np.random.default_rng(11)
    p = np.array([0.45, 0.40, 0.05, 0.04, 0.03, 0.02, 0.008, 0.002])  # sparse tail: merging kicks in
    rejections = sum(g_test(_counts(rng, p, 2000), _counts(rng, p, 2000)).p_value < 0.05 for _ in range(300))
    assert rejections / 300 <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 300)
    q = p.copy()
    q[0], q[1] = 0.40, 0.45  # 5 % of the mass moved between the two big bins
    shifted = g_test(_counts(rng, q, 2000), _counts(rng, p, 2000))
    assert shifted.p_value < 1e-3


def test_g_test_matches_the_log_likelihood_formula():
    new, base = {"00": 60, "11": 40}, {"00": 45, "11": 55}
    g = g_test(new, base)
    table = np.array([[60, 40], [45, 55]], float)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    stat = 2 * np.sum(table * np.log(table / expected))
    assert g.statistic == pytest.approx(stat)
    assert g.p_value == pytest.approx(stats.chi2.sf(stat, 1))
    assert g_test({"0": 5}, {"0": 7}) is None  # one bin: nothing to compare


@settings(max_examples=60, deadline=None, derandomize=True,  # the same draws every run, whatever the machine's speed
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=12))
def test_merging_keeps_totals_and_leaves_no_sparse_bin(pairs):
    table = np.array(pairs, float).T
    merged = merge_sparse_bins(table)
    assert merged.sum(axis=1) == pytest.approx(table.sum(axis=1))
    if merged.shape[1] >= 2 and table.sum(axis=1).min() > 0:  # an empty side has no expected counts to check
        expected = merged.sum(1, keepdims=True) * merged.sum(0, keepdims=True) / merged.sum()
        assert expected.min() >= 5 - 1e-9


def test_holm_known_answer_and_properties():
    # Worked by hand: sorted p times (m, m-1, ...), then a running maximum, capped at 1.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    rng = np.random.default_rng(0)
    p = rng.uniform(size=50)
    adj = np.array(holm(p))
    assert np.all(adj >= p) and np.all(adj <= np.minimum(1, 50 * p) + 1e-12)  # between raw and Bonferroni
    order = np.argsort(p)
    assert np.all(np.diff(adj[order]) >= 0)
    assert holm([]) == []


def test_benjamini_hochberg_known_answer():
    # q_(i) = min_{j >= i} m p_(j) / j: for (0.01, 0.02, 0.03, 0.5) that is (0.04, 0.04, 0.04, 0.5).
    assert benjamini_hochberg([0.02, 0.01, 0.5, 0.03]) == pytest.approx([0.04, 0.04, 0.5, 0.04])


def test_holm_keeps_tiny_p_values_above_zero():
    from harness.drift import holm

    adjusted = holm([1e-26, 0.5])
    assert adjusted[0] == pytest.approx(2e-26) and adjusted[0] > 0
