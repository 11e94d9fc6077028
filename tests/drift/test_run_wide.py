"""What a run's metrics say together: the night's machine shift of timings, and the between-trial
variance of proportions in trials, pooled across the run."""

from __future__ import annotations

import numpy as np

from harness.drift import compare
from harness.records import Metric, Result, Run


def _timings(rng, slow: float, extra: dict[int, float] | None = None, n: int = 20, repeats: int = 12):
    extra = extra or {}
    out = []
    for j in range(n):
        t = np.exp(rng.normal(0, 0.05, repeats)) * (1 + j / 10) * slow * extra.get(j, 1.0)
        out.append(Result("t", f"c{j}", "simulator", "simulator", "ok",
                          {"time": Metric(float(np.median(t)), "timing", samples=tuple(t.tolist()), unit="s")}))
    return out


def _spec(tol: float):
    return {"t": {"metrics": {"time": {"better": "lower", "tolerance": tol, "relative": True}}}}


def test_a_slower_machine_is_not_a_regression_of_every_timing():
    rng = np.random.default_rng(1)
    stored = {r.key: r for r in _timings(rng, 1.0)}
    run = Run("r", "2026-01-01", tuple(_timings(rng, 1.10)), _spec(0.0))  # every timing 10 % slower
    verdicts = compare(run, stored)
    assert not any(v.status == "regression" for v in verdicts)
    assert all(v.test == "t-log-machine" for v in verdicts)
    shift = float(verdicts[0].note.split("machine shift ")[1].split("%")[0])
    assert 8 < shift < 12 and all(f"machine shift {shift:+.1f}%" in v.note for v in verdicts)
    # one timing 30 % slower than the machine is caught
    run = Run("r2", "2026-01-01", tuple(_timings(rng, 1.10, {7: 1.3})), _spec(0.0))
    flagged = [v.case_id for v in compare(run, stored) if v.status == "regression"]
    assert flagged == ["c7"]


def test_a_machine_shift_beyond_the_tolerance_is_never_called_unchanged():
    rng = np.random.default_rng(2)
    stored = {r.key: r for r in _timings(rng, 1.0)}
    run = Run("r", "2026-01-01", tuple(_timings(rng, 1.25)), _spec(0.10))  # all 25 % slower, tolerance 10 %
    verdicts = compare(run, stored)
    assert {v.status for v in verdicts} == {"inconclusive"}
    assert all("machine itself moved" in v.note for v in verdicts)
    quiet = compare(Run("q", "2026-01-01", tuple(_timings(rng, 1.0)), _spec(0.10)), stored)
    assert sum(v.status == "unchanged" for v in quiet) >= 18


def _trials(rng, p: np.ndarray, trials: int = 5, shots: int = 800) -> list[Result]:
    out = []
    for j, pj in enumerate(p):
        v = rng.binomial(shots, pj, trials) / shots
        m = Metric(float(v.mean()), "proportion", float(v.std(ddof=1) / np.sqrt(trials)), shots * trials,
                   tuple(v.tolist()))
        out.append(Result("q", f"c{j}", "hardware.raw", "hardware", "ok", {"p": m}))
    return out


def test_proportions_in_trials_are_judged_on_pooled_counts():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.6, 0.9, 40)
    spec = {"q": {"metrics": {"p": {"better": "higher", "tolerance": 0.0}}}}
    stored = {r.key: r for r in _trials(rng, p)}
    drop = p.copy()
    drop[5] -= 0.06  # 4.5 pooled-count standard errors of the difference
    caught = welch = 0
    for night in range(10):
        run = Run(f"r{night}", "2026-01-01", tuple(_trials(rng, drop)), spec)
        verdicts = compare(run, stored)
        assert all(v.test == "t-pooled-trials" for v in verdicts)
        assert [v.case_id for v in verdicts if v.status == "regression"] in ([], ["c5"])  # no false alarm
        caught += verdicts[5].status == "regression"
        from harness.drift.stat_tests import welch_test

        w = welch_test(run.results[5].metrics["p"].samples, stored[run.results[5].key].metrics["p"].samples,
                       better="higher", alpha=0.01)
        welch += w.p_worse * 40 <= 0.01
    assert caught >= 7 and welch <= 2  # Welch on 5 values at Holm's level catches almost nothing
