"""The empirical-Bayes prior of a group of variances (harness.drift.prior): maximum likelihood recovers a
known prior, and on one night's 4-df trial spreads it is steadier than Smyth's moments, closer to the
nominal false-alarm rate where the metrics agree and no more liberal where they differ."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from harness.drift.excess import Moments, pooled_excess
from harness.drift.prior import fit_ml, fit_moments, fit_prior

ALPHA = 0.01 / 300  # Holm's first level in a night of 300 metrics
N, DOF = 60, 4.0  # 60 metrics in 5 trials, both sides pooled: 120 spreads of 4 df


@pytest.mark.parametrize("d0", [6.0, 20.0])
def test_ml_recovers_a_known_inverse_chi_square_prior(d0):
    rng = np.random.default_rng(int(d0))
    true = 2.5 / (rng.chisquare(d0, 6000) / d0)  # scaled inverse chi-square: strength d0, scale 2.5
    v = true * rng.chisquare(DOF, true.size) / DOF
    est, s0 = fit_ml(v, np.full(v.size, DOF))
    assert est == pytest.approx(d0, rel=0.25) and s0 == pytest.approx(2.5, rel=0.05)


def test_ml_puts_identical_variances_at_the_cap_and_rejects_an_unknown_method():
    assert fit_ml(np.full(30, 1.7), np.full(30, DOF)) == (pytest.approx(120.0), pytest.approx(1.7, rel=1e-6))
    assert fit_moments(np.full(30, 1.7), np.full(30, DOF))[0] == 120.0
    with pytest.raises(ValueError, match="not one of moments, ml"):
        fit_prior(np.ones(3), np.ones(3), "median")


def _nights(ratios: np.ndarray, method: str, nights: int, seed: int = 5):
    """Per metric, the false-alarm rate at ALPHA and the power at a 4-sd step, each computed exactly given
    the night's variance estimates (the trials' mean is independent of their spread), averaged over nights;
    and each night's d0. Shot noise is the unit; ``ratios`` are each series' true total over shot."""
    rng = np.random.default_rng(seed)
    both = np.concatenate([ratios, ratios])
    false, power, d0s = np.zeros(N), np.zeros(N), []
    for _ in range(nights):
        r = both * rng.chisquare(DOF, 2 * N) / DOF
        moments = {j: Moments(max(0.0, x - 1.0), 1.0, DOF, x) for j, x in enumerate(r.tolist())}
        ex = pooled_excess(moments, dict.fromkeys(moments, "g"), prior=method)
        post, dof = np.array([ex[j].total for j in range(2 * N)]), np.array([ex[j].dof for j in range(2 * N)])
        var = post[:N] + post[N:]
        df = var ** 2 / (post[:N] ** 2 / dof[:N] + post[N:] ** 2 / dof[N:])  # Satterthwaite, as compare does
        cut = special.stdtrit(df, 1 - ALPHA) * np.sqrt(var / (2 * ratios))
        false += special.ndtr(-cut)
        power += special.ndtr(4.0 - cut)
        d0s.append(ex[0].dof - DOF)
    return false / nights / ALPHA, power / nights / special.ndtr(4.0 - special.ndtri(1 - ALPHA)), np.array(d0s)


def test_ml_is_steadier_and_calibrated_where_the_metrics_agree():
    agree = np.full(N, 1.49)  # a between-trial sd of 0.7 shot sds, the same for every metric
    fa_ml, pw_ml, d0_ml = _nights(agree, "ml", 150)
    fa_mo, pw_mo, d0_mo = _nights(agree, "moments", 150)
    assert np.percentile(d0_ml, 5) > 1.4 * np.percentile(d0_mo, 5)
    assert 0.9 < fa_ml.mean() < 1.15  # nominal; moments is conservative (0.87) and gives power away
    assert fa_mo.mean() < fa_ml.mean() and pw_ml.mean() > pw_mo.mean() + 0.02 and pw_ml.mean() > 0.95


@pytest.mark.parametrize("case", ["log-normal spread", "a few large"])
def test_ml_is_no_more_liberal_than_moments_where_the_metrics_differ(case):
    rng = np.random.default_rng(11)
    if case == "log-normal spread":  # between-trial sds differing by a factor of 1.8 (log sd 0.6)
        ratios = 1 + (0.7 * np.exp(rng.normal(0, 0.6, N))) ** 2
    else:  # three metrics with ten times the shot variance among agreeing ones
        ratios = np.full(N, 1.49)
        ratios[:3] = 10.0
    fa_ml, _, _ = _nights(ratios, "ml", 120)
    fa_mo, _, _ = _nights(ratios, "moments", 120)
    # neither is calibrated metric by metric here (a shrunken outlier is judged too tightly), but the
    # likelihood pools the group less strongly and is the less liberal of the two
    assert fa_ml.mean() < 0.9 * fa_mo.mean() and fa_ml.max() < 0.9 * fa_mo.max()


def test_the_gate_pools_the_night_s_trial_spreads_by_maximum_likelihood():
    from harness.drift import compare
    from harness.drift.pooled_trials import trial_moments_many
    from harness.records import Metric, Result, Run

    rng = np.random.default_rng(4)

    def night(p):
        out = []
        for j, pj in enumerate(p):
            v = rng.binomial(800, np.clip(pj + rng.normal(0, 0.01, 5), 0, 1)) / 800
            out.append(Result("q", f"c{j}", "hardware.raw", "hardware", "ok",
                              {"p": Metric(float(v.mean()), "proportion", float(v.std(ddof=1) / 5 ** 0.5), 4000,
                                           tuple(v.tolist()))}))
        return out

    p = rng.uniform(0.6, 0.9, 40)
    old, new = night(p), night(p)
    verdicts = compare(Run("r", "2026-01-01", tuple(new), {"q": {"metrics": {"p": {"better": "higher"}}}}),
                       {r.key: r for r in old})
    sides = {(s, j): r.metrics["p"] for s, rs in (("new", new), ("old", old)) for j, r in enumerate(rs)}
    moments = trial_moments_many(sides)
    df = {}
    for prior in ("ml", "moments"):
        ex = pooled_excess(moments, dict.fromkeys(moments, "g"), prior=prior)
        parts = [(ex["new", 0].total / 5, ex["new", 0].dof), (ex["old", 0].total / 5, ex["old", 0].dof)]
        df[prior] = sum(c for c, _ in parts) ** 2 / sum(c * c / d for c, d in parts)
    assert verdicts[0].test == "t-pooled-trials" and f"df={df['ml']:.0f}" in verdicts[0].note
    assert abs(df["ml"] - df["moments"]) > 5  # the two priors differ on this night: the test tells them apart
