"""ZNE's shots split across scale factors in proportion to |w|: the least extrapolated variance.

For ``sum(w * values)`` with each point's variance ``v / n_i`` and ``sum(n_i)`` fixed, the optimum
is ``n_i ~ |w_i|`` with variance ``(sum |w|)^2 v / total``; at equal shots it is ``sum(w^2) v / shots``.
Linear extrapolation at scales 1 and 5 has weights (1.25, -0.25): amplification 1.625 at equal
shots, 1.125 optimally, a variance 31 % lower at the same cost.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.mitigation import mitigate
from harness.mitigation.registry import variance_amplification
from harness.mitigation.zne import allocate_shots, extrapolation_weights
from harness.suite.schema import MitigationSettings, ZNESettings

from .test_mitigation_techniques import device, ghz, ghz_score


def _settings(allocation: str, bootstrap: int = 200) -> MitigationSettings:
    return MitigationSettings(zne=ZNESettings(scale_factors=[1, 5], extrapolation="linear", allocation=allocation),
                              bootstrap=bootstrap)


def test_the_weights_and_both_amplifications():
    w = extrapolation_weights((1.0, 5.0), "linear")
    assert w == pytest.approx((1.25, -0.25))
    assert allocate_shots(w, 1000) == [1667, 333]  # the same 2000 shots in all
    assert variance_amplification(_settings("equal")) == pytest.approx(1.625)
    assert variance_amplification(_settings("optimal")) == pytest.approx(1.5 ** 2 / 2)


def test_the_optimal_split_lowers_the_extrapolated_variance_as_predicted():
    """Monte Carlo of the extrapolated value of two binomial points at the same total shots."""
    rng = np.random.default_rng(3)
    p, shots, reps = np.array([0.5, 0.5]), 1000, 40000  # p = 0.5 at both scales: v equal, as assumed
    variances = {}
    for name, n in {"equal": [shots, shots], "optimal": allocate_shots((1.25, -0.25), shots)}.items():
        values = rng.binomial(n, p, size=(reps, 2)) / np.array(n)
        variances[name] = np.var(values @ np.array([1.25, -0.25]))
    assert variances["optimal"] / variances["equal"] == pytest.approx(1.125 / 1.625, rel=0.05)


def test_an_exponential_fit_cannot_be_allocated():
    with pytest.raises(ValueError, match="allocation 'optimal' needs a fit linear"):
        ZNESettings(scale_factors=[1, 3, 5], extrapolation="exponential", allocation="optimal")


@pytest.mark.sdk
def test_the_pipeline_runs_each_scale_with_its_shots_and_the_error_shrinks():
    equal = mitigate(device(), ghz(3), 4000, ghz_score, _settings("equal", 1000), np.random.default_rng(0))
    optimal = mitigate(device(), ghz(3), 4000, ghz_score, _settings("optimal", 1000), np.random.default_rng(0))
    assert optimal.details["zne"]["shots_per_scale"] == [6667, 1333]
    assert optimal.details["cost"]["shots"] == pytest.approx(8000, abs=1)  # the same total as equal shots
    ratio = optimal.metrics["success_probability"].stderr / equal.metrics["success_probability"].stderr
    # sqrt(1.125 / 1.625) = 0.83 if both points had the same per-shot variance; the bootstrap of
    # 1000 resamples puts about 3 % of noise on each error
    assert 0.7 < ratio < 0.93
