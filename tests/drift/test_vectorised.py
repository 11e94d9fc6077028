"""The vectorised compare gives, verdict by verdict, what one scalar test per metric gives, on random
runs holding every kind of metric and test; and its run-wide fits equal straightforward per-metric loops."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.drift import compare
from harness.drift.excess import Excess, Moments, pooled_excess
from harness.drift.prior import fit_prior
from harness.drift.machine import fit_machine, robust_logs
from harness.drift.excess import squeeze_variances
from harness.records import Metric, Result, Run

FIELDS = ("effect", "ci_low", "ci_high", "p_value", "p_adjusted", "mde", "baseline_value", "new_value", "tolerance")


def _metric(kind: str, rng, centre: float, shots: int = 4000) -> tuple[str, Metric]:
    """A metric of one of the shapes compare tells apart, and the name it is declared under."""
    if kind == "proportion":
        return "p", Metric(float(rng.binomial(shots, centre) / shots), "proportion", n=shots)
    if kind == "proportion-exact":  # a classical value: zero standard error
        return "p", Metric(float(round(centre, 1)), "proportion", stderr=0.0)
    if kind == "trials":
        v = rng.binomial(shots // 5, centre, 5) / (shots // 5)
        return "p", Metric(float(v.mean()), "proportion", float(v.std(ddof=1) / math.sqrt(5)), shots, tuple(v.tolist()))
    if kind == "expectation":
        return "e", Metric(float(centre + rng.normal(0, 0.01)), "expectation", stderr=0.01)
    if kind == "distribution":
        return "d", Metric(float(rng.binomial(shots, centre) / shots), "distribution", n=shots)
    if kind == "welch":
        t = int(rng.integers(2, 7))
        v = centre + rng.normal(0, rng.uniform(0.005, 0.05), t)
        return "s", Metric(float(v.mean()), "scalar", float(v.std(ddof=1) / math.sqrt(t)), t, tuple(v.tolist()))
    if kind == "scalar-se":
        return "s", Metric(float(centre + rng.normal(0, 0.02)), "scalar", stderr=0.02)
    if kind == "timing":
        r = int(rng.choice([10, 15]))
        v = np.exp(math.log(centre) + rng.normal(0, 0.05, r))
        return "t", Metric(float(np.median(v)), "timing", samples=tuple(v.tolist()), unit="s")
    if kind == "timing-se":
        return "t", Metric(centre * float(np.exp(rng.normal(0, 0.05))), "timing", stderr=0.03 * centre, unit="s")
    if kind == "timing-one":
        return "t", Metric(centre * float(np.exp(rng.normal(0, 0.3))), "timing", unit="s")
    raise ValueError(kind)


KINDS = ("proportion", "proportion-exact", "trials", "expectation", "distribution", "welch", "scalar-se", "timing",
         "timing-se", "timing-one")
SPECS = {"p": {"better": "higher", "tolerance": 0.01}, "e": {"better": "higher", "tolerance": 0.0},
         "d": {"better": "higher", "tolerance": 0.02, "gate": False}, "s": {"better": "lower", "tolerance": 0.01},
         "t": {"better": "lower", "tolerance": 0.1, "relative": True}}


def _random_run(seed: int, per_kind: int = 30):
    rng = np.random.default_rng(seed)
    new, old, excess = [], [], {}
    for kind in KINDS:
        for j in range(per_kind):
            centre = float(rng.uniform(0.55, 0.9)) if not kind.startswith("timing") else float(rng.uniform(0.1, 2))
            shift = float(rng.choice([0.0, 0.0, 0.06, -0.06]))  # some regress, some improve
            name, m_old = _metric(kind, rng, centre)
            _, m_new = _metric(kind, rng, centre * (1 + shift) if kind.startswith("timing") else centre - shift)
            suite = f"s-{kind}"
            old.append(Result(suite, f"c{j}", "hardware.raw", "hardware", "ok", {name: m_old}))
            new.append(Result(suite, f"c{j}", "hardware.raw", "hardware", "ok", {name: m_new}))
            if name in "ped" and j % 3:  # an excess learned from history: some estimated, some known
                var = float(rng.uniform(0, 2e-4))
                excess[(suite, f"c{j}", "hardware.raw", name)] = (
                    Excess(var, dof=float(rng.uniform(3, 300)), total=var + 5e-5) if j % 3 == 1 else var)
    suites = {f"s-{k}": {"metrics": {n: SPECS[n]}} for k in KINDS for n in [_metric(k, rng, 0.5)[0]]}
    return Run(f"r{seed}", "2026-01-01", tuple(new), suites), {r.key: r for r in old}, excess


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_verdicts_equal_one_scalar_test_per_metric(seed):
    run, stored, excess = _random_run(seed)
    fast = compare(run, stored, history_excess=excess)
    slow = compare(run, stored, history_excess=excess, reference=True)
    assert len(fast) == len(slow) == len(KINDS) * 30
    tests = {v.test for v in fast}
    for name in ("z", "t+excess", "z+excess", "t-null-history", "t-pooled-trials", "welch-t", "t-log-machine", "z-log", "z-log-assumed"):
        assert name in tests, name  # every family and variant was exercised
    assert {v.status for v in fast} >= {"regression", "improvement", "unchanged", "inconclusive"}
    for a, b in zip(fast, slow):
        assert (a.key, a.status, a.test, a.gate, a.note, a.changed_layer) == (b.key, b.status, b.test, b.gate, b.note,
                                                                             b.changed_layer)
        for field in FIELDS:
            x, y = getattr(a, field), getattr(b, field)
            assert (x is None) == (y is None), (a.key, field)
            if x is not None:
                assert x == pytest.approx(y, rel=1e-9, abs=1e-300), (a.key, field, x, y)


def _fit_machine_loop(pairs):
    """fit_machine as a plain loop over the timings (what it computed before it was vectorised)."""
    logs = {k: (robust_logs(np.asarray(x, float)), robust_logs(np.asarray(y, float))) for k, (x, y) in pairs.items()
            if len(x) >= 3 and len(y) >= 3 and min(x) > 0 and min(y) > 0}
    keys = list(logs)
    diffs = np.array([logs[k][0].mean() - logs[k][1].mean() for k in keys])
    var = np.array([[logs[k][s].var(ddof=1) for k in keys] for s in (0, 1)]).ravel()
    dof = np.array([[logs[k][s].size - 1 for k in keys] for s in (0, 1)], float).ravel()
    post, post_dof = squeeze_variances(var, dof)
    n = np.array([[logs[k][s].size for k in keys] for s in (0, 1)], float)
    se2 = post[: len(keys)] / n[0] + post[len(keys):] / n[1]
    df = np.minimum(post_dof[: len(keys)], post_dof[len(keys):])
    return float(np.median(diffs)), math.pi / 2 * float(se2.mean()) / len(keys), dict(zip(keys, zip(diffs, se2, df)))


def test_vectorised_machine_fit_equals_the_loop():
    rng = np.random.default_rng(4)
    pairs = {}
    for j in range(60):  # mixed repeat counts, a few unusable timings
        nx, ny = int(rng.choice([3, 10, 15])), int(rng.choice([10, 15]))
        x, y = np.exp(rng.normal(0.1, 0.05, nx)), np.exp(rng.normal(0, 0.05, ny))
        if j % 17 == 0:
            x[0] = 0.0
        pairs[f"t{j}"] = (tuple(x.tolist()), tuple((y if j % 13 else y[:2]).tolist()))
    model = fit_machine(pairs)
    shift, shift_var, stats = _fit_machine_loop(pairs)
    assert list(model.stats) == list(stats)
    assert model.shift == pytest.approx(shift, rel=1e-12) and model.shift_var == pytest.approx(shift_var, rel=1e-12)
    for k, row in stats.items():
        assert model.stats[k] == pytest.approx(tuple(map(float, row)), rel=1e-12)


def test_vectorised_pooling_equals_the_loop():
    rng = np.random.default_rng(5)
    moments = {}
    for j in range(40):
        shot = float(rng.uniform(1e-5, 1e-4))
        raw = shot * float(rng.uniform(0.3, 3.0))
        moments[j] = Moments(max(0.0, raw - shot), shot if j % 11 else 0.0, float(rng.integers(1, 40)), raw)
    groups = {j: j % 3 if j < 38 else "alone" for j in moments}
    pooled = pooled_excess(moments, groups)
    bounded = pooled_excess(moments, groups, confidence=0.8)
    # the loop it replaced: a prior per group of >= 3 series with shot noise, each posterior from it
    members = {}
    for k, m in moments.items():
        if m.mean_shot > 0 and m.total > 0:
            members.setdefault(groups[k], []).append(k)
    prior = {g: fit_prior(np.array([moments[k].ratio for k in ks]), np.array([moments[k].dof for k in ks]))
             for g, ks in members.items() if len(ks) >= 3}
    for k, m in moments.items():
        p = prior.get(groups[k]) if m.mean_shot > 0 and m.total > 0 else None
        total, dof = (m.total, m.dof) if p is None else (
            (p[0] * max(p[1], 1.0) + m.dof * m.ratio) / (p[0] + m.dof) * m.mean_shot, p[0] + m.dof)
        assert pooled[k] == max(0.0, total - m.mean_shot) and pooled[k].dof == dof
        assert pooled[k].total == max(total, m.mean_shot)
        assert isinstance(bounded[k], float) and not isinstance(bounded[k], Excess) and bounded[k] >= pooled[k]
