"""Drift detectors side by side on synthetic nights: false alarms, power, delay on slow drifts.

Run:  .venv/bin/python benchmarks/drift_benchmark.py          (full, a few minutes on 2 cores)
      .venv/bin/python benchmarks/drift_benchmark.py --quick  (smaller, < 30 s, for the test suite)

The synthetic suite has 300 metrics a night: 90 proportions (success probabilities from 4000
shots, binomial noise), 60 proportions measured in 5 trials of 800 shots (each trial with its own
seeds: a between-trial spread of about 0.7 shot-noise sds), 60 expectation values (a stored
shot-noise stderr of 0.01), the single proportions and expectations with a night-to-night excess
(seeds, optimizer starts, device drift; about 1.2 shot-noise sds) that no single run shows, and 90
timings (15 repeats each, log-normal level, heavy-tailed Student-t(4) jitter of 5 % on the log
scale, and a per-night machine effect of 3 % shared by every timing of the night). Excess spreads
vary by :data:`SPREAD` (+-10 %) between the metrics of one kind. Each compared night has a history
of the 60 nights before it, with one-night spikes (1 % of nights per metric, 10 sds) in it; the
excess variance is learned from that history and pooled per kind, as the gate does.

Detectors, each deciding "regression" per metric per night:

- ``engine``: harness.drift as the gate runs it, Holm at family-wise alpha 0.01 over all 300,
  tolerance 0: on proportions, single or in trials, the variance under the null learned from the
  history (its total per night, shot noise at the history's level plus the excess, on both sides:
  ``t-null-history``), on expectations t+excess (excess from
  :func:`harness.drift.excess.pooled_excess` over the history, pooled per kind); timings relative to
  the night's machine shift, a moderated t on winsorised log repeats (:mod:`harness.drift.machine`).
- ``engine, no trial history``: the same, with the proportions in trials judged as on the first
  nights after a promote, before any history: the pooled-count test with a between-trial variance
  term moderated across the night's trials (:mod:`harness.drift.pooled_trials`, the prior fitted by
  maximum likelihood; :func:`first_nights` measures it on many more stepped metrics, beside Smyth's
  moment prior). Computed with the same pure functions
  vectorised over the nights; ``harness.drift.compare`` itself is run on real Run/Result records for
  a few nights and must agree verdict for verdict (printed).
- ``asv``: asv 0.6.6's rule: worse by more than ``factor`` 1.1 (in the metric's bad direction) and,
  for timings with repeats, ``asv._stats.is_different`` (its Mann-Whitney, p < 0.002) on stats from
  ``asv_runner.statistics.compute_stats``; single values (proportions, expectations) use the factor
  only, as asv does for one-repeat results.
- ``pytest-benchmark``: ``mean:5%`` via ``pytest_benchmark.utils.parse_compare_fail`` (its
  PercentageRegressionCheck) on the mean of the repeats, or on the value.
- ``optimal``: one-sided z-test with the *true* variance of each night-to-night difference (shot
  noise, excess, between-trial spread, jitter) and, for timings, the night's *true* machine effect
  taken off; Holm at 0.01: the statistical limit (its normal tail is optimistic for the means of
  heavy-tailed timings, hence its false alarms above 1 %).

A last section runs the gate's own loop (``compare``, the SQLite history, learning) on nights where
regressions come back: on alternate nights, and held for 10 nights.

asv and pytest-benchmark are also shown "at equal false-alarm rate": their threshold (factor,
percentage) raised until their family-wise false-alarm rate on the null nights matches the
engine's, then their power measured with that threshold.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Running this file puts benchmarks/ first on sys.path, where benchmarks/asv/ (the asv benchmark
# suite) would shadow the installed asv package whose statistics are compared here.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np
from scipy import special, stats

from harness.drift import compare, holm
from harness.drift.excess import Excess, Moments, pooled_excess, series_moments, squeeze_variances
from harness.drift.machine import robust_logs
from harness.drift.pooled_trials import PRIOR
from harness.drift.stat_tests import binomial_stderr
from harness.records import Metric, Result, Run

ALPHA = 0.01
N_PROP, N_TRIAL, N_EXP, N_TIME = 90, 60, 60, 90
M = N_PROP + N_TRIAL + N_EXP + N_TIME
SHOTS, TRIALS, REPEATS, HISTORY = 4000, 5, 15, 60
JITTER, MACHINE, TIME_TOL = 0.05, 0.03, 0.0
SPIKE_RATE, SPIKE_SIZE = 0.01, 10.0
EFFECTS = (2.0, 3.0, 4.0, 5.0, 6.0, 8.0)  # step size in sds of the night-to-night difference
DRIFT_RATE, DRIFT_NIGHTS, STEP_FRACTION = 0.25, 40, 0.03
FIRST = "engine, no trial history"
DETECTORS = ("engine", FIRST, "asv", "pytest-benchmark", "optimal")
KINDS = {"proportions": slice(0, N_PROP), "proportions in trials": slice(N_PROP, N_PROP + N_TRIAL),
         "expectations": slice(N_PROP + N_TRIAL, N_PROP + N_TRIAL + N_EXP),
         "timings": slice(N_PROP + N_TRIAL + N_EXP, M)}
P, TR, E, T = (KINDS[k] for k in KINDS)  # column slices of the four kinds
N_ADD = N_PROP + N_TRIAL + N_EXP  # the additive metrics come first
TRIAL_SHOTS = SHOTS // TRIALS


@dataclass
class Suite:
    """The fixed truth of the 300 metrics."""

    p0: np.ndarray  # proportions' true success probability
    q0: np.ndarray  # proportions-in-trials' true success probability
    mu: np.ndarray  # expectations' true value (higher is better)
    tau_p: np.ndarray  # night-to-night excess sd of the proportions
    tau_b: np.ndarray  # between-trial excess sd of one trial
    tau_e: np.ndarray
    t0: np.ndarray  # timings' true median, seconds
    se_e: float = 0.01

    @property
    def sd_diff(self) -> np.ndarray:
        """True sd of the new-minus-baseline statistic (log scale for timings), per metric.

        For timings it is the repeats' jitter of the difference of mean log times *once the night's
        machine effect is known*: the machine effect is shared by every timing of the night, so a
        test that estimates it from the run (as the engine does) is not limited by it.
        """
        sp = np.sqrt(2 * (self.p0 * (1 - self.p0) / SHOTS + self.tau_p ** 2))
        sq = np.sqrt(2 * (self.q0 * (1 - self.q0) / TRIAL_SHOTS + self.tau_b ** 2) / TRIALS)
        se = np.sqrt(2 * (self.se_e ** 2 + self.tau_e ** 2))
        st = np.full(N_TIME, math.sqrt(2 * JITTER ** 2 / REPEATS))
        return np.concatenate([sp, sq, se, st])


SPREAD = 0.1
"""How much the excess (in shot-noise sds) varies between metrics of one kind: log-normal sd (+-10 %)."""


def _ratio_spread(rng, level: float, n: int) -> np.ndarray:
    """Excess sd in shot-noise sds: about ``level``, varying by SPREAD between the metrics of one kind."""
    return level * np.exp(rng.normal(0, SPREAD, n))


def make_suite(rng) -> Suite:
    p0, q0 = rng.uniform(0.55, 0.95, N_PROP), rng.uniform(0.55, 0.95, N_TRIAL)
    return Suite(p0=p0, q0=q0, mu=rng.uniform(0.5, 2.0, N_EXP),
                 tau_p=_ratio_spread(rng, 1.2, N_PROP) * np.sqrt(p0 * (1 - p0) / SHOTS),
                 tau_b=_ratio_spread(rng, 0.7, N_TRIAL) * np.sqrt(q0 * (1 - q0) / TRIAL_SHOTS),
                 tau_e=_ratio_spread(rng, 1.2, N_EXP) * 0.01, t0=rng.lognormal(0.0, 1.0, N_TIME))


def draw(rng, s: Suite, nights: int, shift: np.ndarray | None = None, spikes: bool = False):
    """``nights`` independent nights: (proportions, trial values, expectations, log timing repeats,
    the nights' machine effects).

    ``shift`` (nights x M, in units of sd_diff, positive = worse) moves the true values.
    """
    sd = s.sd_diff
    shift = np.zeros((nights, M)) if shift is None else shift
    if spikes:
        shift = shift + SPIKE_SIZE * (rng.random((nights, M)) < SPIKE_RATE) * rng.choice([-1, 1], (nights, M))
    p_true = np.clip(s.p0 + rng.normal(0, 1, (nights, N_PROP)) * s.tau_p - shift[:, P] * sd[P], 0, 1)
    p = rng.binomial(SHOTS, p_true) / SHOTS
    q_true = np.clip(s.q0[None, :, None] + rng.normal(0, 1, (nights, N_TRIAL, TRIALS)) * s.tau_b[None, :, None]
                     - (shift[:, TR] * sd[TR])[..., None], 0, 1)
    q = rng.binomial(TRIAL_SHOTS, q_true) / TRIAL_SHOTS
    e = s.mu + rng.normal(0, 1, (nights, N_EXP)) * s.tau_e + rng.normal(0, s.se_e, (nights, N_EXP)) \
        - shift[:, E] * sd[E]
    jitter = JITTER * rng.standard_t(4, (nights, N_TIME, REPEATS)) / math.sqrt(2.0)  # t(4) has variance 2
    machine = rng.normal(0, MACHINE, (nights, 1, 1))
    lt = np.log(s.t0)[None, :, None] + machine + jitter + (shift[:, T] * sd[T])[..., None]
    return p, q, e, lt, machine[:, 0, 0]


def learn_excess(rng, s: Suite) -> "Learned":
    """Excess variance per proportion, proportion in trials and expectation (columns as in the nights),
    learned from a fresh 60-night history with spikes, pooled per kind as the gate does
    (:func:`harness.drift.learning.learned_excess`: a proportion in trials stores its trials' standard
    error, and pools apart from the single ones)."""
    p, q, e, _, _ = draw(rng, s, HISTORY, spikes=True)
    moments, groups = {}, {}
    for j in range(N_PROP):
        moments[j] = series_moments(p[:, j], [binomial_stderr(x, SHOTS) for x in p[:, j]])
        groups[j] = "proportion"
    for j in range(N_TRIAL):  # as harness.orchestration.trials merges them: the mean, the trials' stderr
        v = q[:, j]
        moments[N_PROP + j] = series_moments(v.mean(-1), (v.std(-1, ddof=1) / math.sqrt(TRIALS)).tolist())
        groups[N_PROP + j] = "proportion in trials"
    for j in range(N_EXP):
        moments[N_PROP + N_TRIAL + j] = series_moments(e[:, j], [s.se_e] * HISTORY)
        groups[N_PROP + N_TRIAL + j] = "expectation"
    ex = pooled_excess(moments, groups)
    return Learned(*(np.array([getattr(ex[j], a) for j in range(N_ADD)]) for a in ("real", "dof", "total")))


@dataclass
class Learned:
    """The pooled excess of the proportions and expectations, as :class:`harness.drift.excess.Excess` gives it:
    point estimate, degrees of freedom of the estimate, and the per-point total variance it came from."""

    value: np.ndarray
    dof: np.ndarray
    total: np.ndarray

    def __getitem__(self, cols) -> "Learned":
        return Learned(self.value[cols], self.dof[cols], self.total[cols])

    def df(self, variance: np.ndarray) -> np.ndarray:
        """Satterthwaite df of a test variance holding this excess on both sides (``excess_df``)."""
        return variance ** 2 * self.dof / (2 * self.total) ** 2

    def excess(self, j: int) -> Excess:
        return Excess(float(self.value[j]), dof=float(self.dof[j]), total=float(self.total[j]))


def _bin_se(p, shots=SHOTS):
    q = np.where((p <= 0) | (p >= 1), (np.clip(p, 0, 1) * shots + 0.5) / (shots + 1), p)
    return np.sqrt(q * (1 - q) / shots)


def trial_var(qb: np.ndarray, qn: np.ndarray, prior: str = PRIOR) -> tuple[np.ndarray, np.ndarray]:
    """Per night, the variance of the difference of pooled proportions (each side: shot noise of the pooled
    count plus the between-trial variance, pooled across the night's trial metrics) and its Satterthwaite
    degrees of freedom, as :func:`harness.drift.pooled_trials.pooled_trials_test` computes them."""
    out = []
    for side in (qb, qn):
        shot, spread = _bin_se(side.mean(-1), TRIAL_SHOTS) ** 2, side.var(-1, ddof=1)
        out.append((shot, spread))
    var, df = np.empty(qb.shape[:2]), np.empty(qb.shape[:2])
    for i in range(qb.shape[0]):
        moments = {(k, j): Moments(max(0.0, out[k][1][i, j] - out[k][0][i, j]), out[k][0][i, j], TRIALS - 1.0,
                                   out[k][1][i, j]) for k in (0, 1) for j in range(N_TRIAL)}
        ex = pooled_excess(moments, dict.fromkeys(moments, "trials"), prior=prior)
        # each side's variance of its mean is (shot + between) / T = total / T, estimated with the posterior's dof
        part = np.array([[ex[k, j].total / TRIALS for j in range(N_TRIAL)] for k in (0, 1)])
        dof = np.array([[ex[k, j].dof for j in range(N_TRIAL)] for k in (0, 1)])
        var[i] = part.sum(0)
        df[i] = var[i] ** 2 / (part ** 2 / dof).sum(0)  # Welch-Satterthwaite (excess.satterthwaite)
    return var, df


def _t_sf(x: np.ndarray, df: np.ndarray) -> np.ndarray:
    """P(T > x): Student's t where ``df`` is finite, the normal where it is infinite."""
    fin = np.isfinite(df)
    return np.where(fin, special.stdtr(np.where(fin, df, 1.0), -x), special.ndtr(-x))


def _t_isf(p: float, df: np.ndarray) -> np.ndarray:
    fin = np.isfinite(df)
    return np.where(fin, special.stdtrit(np.where(fin, df, 1.0), 1 - p), special.ndtri(1 - p))


def first_nights(rng, s: Suite, nights: int, effect: float = 4.0) -> dict[str, tuple[float, float]]:
    """Proportions in trials before any history, every one of the 60 stepped by ``effect`` sd on each of
    ``nights`` nights (the benchmark's power table steps 9 metrics of 300, a few hundred trial metrics per
    effect: too few to tell 0.86 from 0.90): per way of judging them, (power over optimal at Holm's
    first level, mean false-alarm rate per metric over that level on as many null nights). The
    false-alarm rate is computed given each night's variance estimates (the trials' mean is
    independent of their spread): the normal tail beyond the test's cutoff in true sds."""
    level = ALPHA / M
    shift = np.zeros((nights, M))
    shift[:, TR] = effect
    _, qb, _, _, _ = draw(rng, s, nights)
    _, qn, _, _, _ = draw(rng, s, nights, shift=shift)
    _, q0, _, _, _ = draw(rng, s, nights)
    w, sd = qb.mean(-1) - qn.mean(-1), s.sd_diff[TR]
    optimal = float((w / sd > special.ndtri(1 - level)).mean())
    out = {}
    for name, prior, normal in (("engine (prior by maximum likelihood)", "ml", False),
                                ("Smyth's moment prior (before)", "moments", False),
                                ("the same variance against a normal tail", "ml", True)):
        (var, df), (var0, df0) = trial_var(qb, qn, prior), trial_var(qb, q0, prior)
        if normal:
            df, df0 = np.full(df.shape, np.inf), np.full(df0.shape, np.inf)
        p = _t_sf(w / np.sqrt(var), df)
        cut = _t_isf(level, df0) * np.sqrt(var0) / sd
        out[name] = (float((p < level).mean()) / optimal, float(special.ndtr(-cut).mean()) / level)
    return out


def relative_timings(lb: np.ndarray, ln: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per night x timing: log shift relative to the night's machine shift and its one-sided p toward slower,
    as :mod:`harness.drift.machine` computes them (winsorised logs, moderated variances, median shift)."""
    xb, xn = robust_logs(np.exp(lb)), robust_logs(np.exp(ln))
    diffs = xn.mean(-1) - xb.mean(-1)
    shift = np.median(diffs, axis=1, keepdims=True)
    r = lb.shape[-1]
    w, p = np.empty_like(diffs), np.empty_like(diffs)
    for i in range(lb.shape[0]):
        var = np.concatenate([xn[i].var(-1, ddof=1), xb[i].var(-1, ddof=1)])
        post, dof = squeeze_variances(var, np.full(var.size, r - 1.0))
        se2 = (post[:N_TIME] + post[N_TIME:]) / r
        df = np.minimum(dof[:N_TIME], dof[N_TIME:])
        w[i] = diffs[i] - shift[i]
        p[i] = stats.t.sf(w[i] / np.sqrt(se2 + math.pi / 2 * se2.mean() / N_TIME), df)
    return w, p


def scores(base, new, s: Suite, excess: "Learned") -> dict[str, np.ndarray]:
    """Per night x metric: worsening w, engine p, oracle p, asv/pytest-benchmark ratios."""
    (pb, qb, eb, lb, machine_b), (pn, qn, en, ln, machine_n) = base, new
    n = pn.shape[0]
    mb, mn = qb.mean(-1), qn.mean(-1)
    w_p, w_q, w_e = pb - pn, mb - mn, eb - en  # higher is better: worsening = base - new
    ex_p, ex_q, ex_e = excess[P], excess[TR], excess[E]
    # proportions, single or in trials: the variance under the null, the history's total per night on each
    # side, with its dof (harness.drift.per_metric.history_null: every proportion here is above 0.5 and
    # higher is better, so a drop moves it toward 0.5), not each side's binomial variance at its own value
    var_p = np.broadcast_to(2 * ex_p.total, w_p.shape)
    var_h = np.broadcast_to(2 * ex_q.total, w_q.shape)
    var_e = np.broadcast_to(2 * s.se_e ** 2 + 2 * ex_e.value, w_e.shape)
    # proportions in trials without a history yet (the first nights after a promote): pooled counts and
    # tonight's between-trial spread
    var_q, df_q = trial_var(qb, qn)
    # t references with Satterthwaite df from the estimated variances, as harness.drift.compare does
    p_p = special.stdtr(ex_p.dof, -w_p / np.sqrt(var_p))
    p_h = special.stdtr(ex_q.dof, -w_q / np.sqrt(var_h))
    p_q = special.stdtr(df_q, -w_q / np.sqrt(var_q))
    p_e = special.stdtr(ex_e.df(var_e), -w_e / np.sqrt(var_e))
    w_t, p_t = relative_timings(lb, ln)
    p_eng = np.concatenate([p_p, p_h, p_e, p_t], axis=1)
    p_first = np.concatenate([p_p, p_q, p_e, p_t], axis=1)
    w = np.concatenate([w_p, w_q, w_e, w_t], axis=1)
    # The optimal test knows every true variance and the night's true machine effect.
    stat_t = ln.mean(-1) - lb.mean(-1) - (machine_n - machine_b)[:, None]
    p_opt = stats.norm.sf(np.concatenate([w_p, w_q, w_e, stat_t], 1) / s.sd_diff)
    # asv / pytest-benchmark: worsening as a ratio in the bad direction (values are all positive).
    ratio_add = np.concatenate([pb / pn, mb / mn, eb / en], axis=1)
    asv_t = np.exp(np.median(ln, -1) - np.median(lb, -1))
    pb_t = np.exp(ln).mean(-1) / np.exp(lb).mean(-1)
    return dict(w=w, p_eng=p_eng, p_first=p_first, p_opt=p_opt, asv=np.concatenate([ratio_add, asv_t], 1),
                pb=np.concatenate([ratio_add, pb_t], 1), lb=lb, ln=ln, n=n)


def asv_significant(lb: np.ndarray, ln: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
    """asv's own significance test for the timings (night x timing), on seconds."""
    from asv import _stats
    from asv_runner.statistics import compute_stats

    nights, nt, _ = lb.shape
    cols = np.arange(nt) if cols is None else cols
    out = np.ones((nights, nt), bool)
    for i in range(nights):
        for j in cols:
            a, b = np.exp(lb[i, j]).tolist(), np.exp(ln[i, j]).tolist()
            out[i, j] = _stats.is_different(a, b, compute_stats(a, 1)[1], compute_stats(b, 1)[1])
    return out


def decide(sc: dict, sig_asv: np.ndarray, *, asv_factor=1.1, pb_percent=5.0) -> dict[str, np.ndarray]:
    """Regression flags per detector (night x metric)."""
    from pytest_benchmark.utils import PercentageRegressionCheck, parse_compare_fail

    check = parse_compare_fail(f"mean:{pb_percent:g}%")
    assert isinstance(check, PercentageRegressionCheck)
    tau = np.r_[np.zeros(N_ADD), np.full(N_TIME, math.log1p(TIME_TOL))]
    p_holm = np.array([holm(row) for row in sc["p_eng"]])
    p_first = np.array([holm(row) for row in sc["p_first"]])
    p_opt = np.array([holm(row) for row in sc["p_opt"]])
    asv_sig = np.concatenate([np.ones((sig_asv.shape[0], N_ADD), bool), sig_asv], 1)
    # pytest-benchmark's check, vectorised: current / compared * 100 - 100 > threshold.
    pb_flags = (sc["pb"] * 100 - 100) > check.threshold
    return {"engine": (p_holm <= ALPHA) & (sc["w"] > tau), FIRST: (p_first <= ALPHA) & (sc["w"] > tau), "asv": asv_sig & (sc["asv"] > asv_factor),
            "pytest-benchmark": pb_flags, "optimal": p_opt <= ALPHA}


def calibrate(values: np.ndarray, target: float) -> float:
    """Smallest threshold whose family-wise rate (nights with any value above it) is <= target."""
    night_max = np.sort(values.max(axis=1))
    k = int(math.floor(target * night_max.size))
    return float(night_max[-k - 1]) if k < night_max.size else float(night_max[0])


def cross_check(rng, s: Suite, excess: "Learned", nights: int) -> tuple[int, int]:
    """Run harness.drift.compare on real records for ``nights`` null+step nights; count agreements."""
    agree = total = 0
    specs = {"bench-p": {"metrics": {"p": {"better": "higher", "tolerance": 0.0}}},
             "bench-e": {"metrics": {"e": {"better": "higher", "tolerance": 0.0}}},
             "bench-t": {"metrics": {"t": {"better": "lower", "tolerance": TIME_TOL, "relative": True}}}}
    for i in range(nights):
        shift = np.zeros((1, M))
        shift[0, rng.choice(M, 9, replace=False)] = 5.0
        base, new = draw(rng, s, 1), draw(rng, s, 1, shift)
        flags = decide(scores(base, new, s, excess), np.ones((1, N_TIME), bool))["engine"][0]

        def results(night):
            p, q, e, lt, _ = night
            out = [Result("bench-p", f"m{j:03d}", "hardware.raw", "hardware.raw", "ok",
                          {"p": Metric(float(p[0, j]), "proportion", n=SHOTS)}) for j in range(N_PROP)]
            for j in range(N_TRIAL):  # as harness.orchestration.trials merges them
                v = q[0, j]
                m = Metric(float(v.mean()), "proportion", float(v.std(ddof=1) / math.sqrt(TRIALS)), SHOTS,
                           tuple(v.tolist()))
                out.append(Result("bench-p", f"q{j:03d}", "hardware.raw", "hardware.raw", "ok", {"p": m}))
            out += [Result("bench-e", f"m{j:03d}", "hardware.raw", "hardware.raw", "ok",
                           {"e": Metric(float(e[0, j]), "expectation", stderr=s.se_e)}) for j in range(N_EXP)]
            out += [Result("bench-t", f"m{j:03d}", "hardware.raw", "hardware.raw", "ok",
                           {"t": Metric(float(np.exp(np.median(lt[0, j]))), "timing",
                                        samples=tuple(np.exp(lt[0, j]).tolist()), unit="s")}) for j in range(N_TIME)]
            return out

        stored = {r.key: r for r in results(base)}
        run = Run(f"night-{i}", "2025-01-01T00:00:00Z", tuple(results(new)), specs)
        ex = {("bench-p", f"m{j:03d}", "hardware.raw", "p"): excess.excess(j) for j in range(N_PROP)}
        ex |= {("bench-p", f"q{j:03d}", "hardware.raw", "p"): excess.excess(N_PROP + j) for j in range(N_TRIAL)}
        ex |= {("bench-e", f"m{j:03d}", "hardware.raw", "e"): excess.excess(N_PROP + N_TRIAL + j)
               for j in range(N_EXP)}
        verdicts = compare(run, stored, alpha=ALPHA, history_excess=ex)
        got = np.array([v.status == "regression" for v in verdicts])
        agree += int((got == flags).sum())
        total += M
    return agree, total


def asv_score(sc: dict, cols_only: np.ndarray | None = None) -> np.ndarray:
    """asv's worsening ratio where its significance test passes, 0 where it does not (timings)."""
    worse = sc["asv"][:, N_ADD:] > 1.0  # asv's test is only needed where the ratio is worse
    sig = np.zeros_like(worse)
    lb, ln = sc["lb"], sc["ln"]
    from asv import _stats
    from asv_runner.statistics import compute_stats

    for i, j in zip(*np.nonzero(worse)):
        if cols_only is not None and j not in cols_only:
            continue
        a, b = np.exp(lb[i, j]).tolist(), np.exp(ln[i, j]).tolist()
        sig[i, j] = _stats.is_different(a, b, compute_stats(a, 1)[1], compute_stats(b, 1)[1])
    return sig


def null_nights(rng, s: Suite, nights: int, block: int = 5):
    """Flags and threshold scores on nights where nothing changed."""
    out = {d: [] for d in DETECTORS}
    asv_sc, pb_sc = [], []
    for _ in range(nights // block):
        excess = learn_excess(rng, s)
        sc = scores(draw(rng, s, block), draw(rng, s, block), s, excess)
        sig = asv_score(sc)
        for d, f in decide(sc, sig).items():
            out[d].append(f)
        asv_sc.append(np.where(np.c_[np.ones((block, N_ADD), bool), sig], sc["asv"], 0.0))
        pb_sc.append(sc["pb"])
    return {d: np.vstack(f) for d, f in out.items()}, np.vstack(asv_sc), np.vstack(pb_sc)


def step_nights(rng, s: Suite, nights: int, effect: float, asv_factor: float, pb_ratio: float, block: int = 5):
    """Fraction of injected steps caught on the night they appear, per detector (and calibrated)."""
    hits = {d: 0 for d in (*DETECTORS, "asv@equal-FA", "pytest-benchmark@equal-FA")}
    by_kind = {(d, kind): 0 for kind in KINDS for d in ("engine", FIRST, "optimal")}
    kind_steps = {kind: 0 for kind in KINDS}
    steps = 0
    k = max(1, round(STEP_FRACTION * M))
    for _ in range(max(1, nights // block)):
        excess = learn_excess(rng, s)
        shift = np.zeros((block, M))
        for i in range(block):
            shift[i, rng.choice(M, k, replace=False)] = effect
        sc = scores(draw(rng, s, block), draw(rng, s, block, shift), s, excess)
        sig = asv_score(sc)
        stepped = shift > 0
        flags = decide(sc, sig)
        asv_s = np.where(np.c_[np.ones((block, N_ADD), bool), sig], sc["asv"], 0.0)
        flags["asv@equal-FA"] = asv_s > asv_factor
        flags["pytest-benchmark@equal-FA"] = sc["pb"] > pb_ratio
        for d in hits:
            hits[d] += int((flags[d] & stepped).sum())
        for kind, cols in KINDS.items():
            for d in ("engine", FIRST, "optimal"):
                by_kind[d, kind] += int((flags[d][:, cols] & stepped[:, cols]).sum())
            kind_steps[kind] += int(stepped[:, cols].sum())
        steps += int(stepped.sum())
    out = {d: h / steps for d, h in hits.items()}
    out |= {f"{d} ({kind})": h / max(1, kind_steps[kind]) for (d, kind), h in by_kind.items()}
    return out


def drift_trials(rng, s: Suite, trials: int, asv_factor: float, pb_ratio: float):
    """Nights from the start of a slow drift (DRIFT_RATE sds a night) to its first flag, per detector."""
    names = (*DETECTORS, "asv@equal-FA", "pytest-benchmark@equal-FA")
    delays = {d: [] for d in names}
    k = max(1, round(STEP_FRACTION * M))
    ramp = DRIFT_RATE * np.arange(1, DRIFT_NIGHTS + 1)
    for _ in range(trials):
        excess = learn_excess(rng, s)
        cols = rng.choice(M, k, replace=False)
        shift = np.zeros((DRIFT_NIGHTS, M))
        shift[:, cols] = ramp[:, None]
        base = tuple(np.repeat(x, DRIFT_NIGHTS, axis=0) for x in draw(rng, s, 1))  # one stored baseline
        sc = scores(base, draw(rng, s, DRIFT_NIGHTS, shift), s, excess)
        t_cols = cols[cols >= N_ADD] - (N_ADD)
        sig = asv_score(sc, cols_only=t_cols)
        flags = decide(sc, sig)
        asv_s = np.where(np.c_[np.ones((DRIFT_NIGHTS, N_ADD), bool), sig], sc["asv"], 0.0)
        flags["asv@equal-FA"] = asv_s > asv_factor
        flags["pytest-benchmark@equal-FA"] = sc["pb"] > pb_ratio
        for d in names:
            for j in cols:
                caught = np.nonzero(flags[d][:, j])[0]
                delays[d].append(int(caught[0]) + 1 if caught.size else None)
    return delays


def repeated_regressions(rng, metrics: int = 40, quiet: int = 20, nights: int = 20, effect: float = 8.0):
    """The gate's own loop (compare, history, learning) on nights where regressions come back.

    ``metrics`` proportions (4000 shots, excess 1.2 shot sds) are promoted, then ``quiet`` nights
    build a history; over the next ``nights`` nights metrics 0-4 are ``effect`` sds worse on every
    other night, and metrics 5-9 are worse on each of the first 10 nights and then recover. Each night
    is judged with the excess learned from the history (:func:`harness.commands.learn_from`), then
    appended with its verdicts, as ``harness gate`` does; also with learning from every stored night,
    whatever its verdict (what the history taught before). Returns the share of worse nights caught.
    """
    import tempfile

    from harness.commands import compare_run, learn_from
    from harness.drift.excess import excess_variance
    from harness.drift.learning import learning_tags
    from harness.store import promote
    from harness.store.history import History

    p0 = rng.uniform(0.6, 0.9, metrics)
    shot = np.sqrt(p0 * (1 - p0) / SHOTS)
    tau, sd = 1.2 * shot, np.sqrt(2 * (shot ** 2 + (1.2 * shot) ** 2))
    spec = {"rep": {"metrics": {"p": {"better": "higher", "tolerance": 0.0}}}}

    def night(i: int, worse: np.ndarray) -> Run:
        p = rng.binomial(SHOTS, np.clip(p0 + rng.normal(0, 1, metrics) * tau - worse * effect * sd, 0, 1)) / SHOTS
        res = tuple(Result("rep", f"m{j:02d}", "hardware.raw", "hardware.raw", "ok",
                           {"p": Metric(float(p[j]), "proportion", n=SHOTS)}) for j in range(metrics))
        return Run(f"night-{i:03d}", f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00Z", res, spec)

    caught = {}
    for mode in ("accepted nights only", "every night (before)"):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            promote(night(0, np.zeros(metrics)), root / "baselines")
            history = History(root / "history.sqlite")
            flags = {"alternate nights": [], "held 10 nights": []}
            for i in range(1, quiet + nights + 1):
                k = i - quiet  # 1..nights once the regressions start
                worse = np.zeros(metrics)
                if k >= 1:
                    worse[:5] = k % 2
                    worse[5:10] = k <= 10
                run = night(i, worse)
                if mode.startswith("accepted"):
                    verdicts, stored = compare_run(run, root / "baselines", history=history)
                else:
                    from harness.store import stored_for

                    stored = stored_for(run, root / "baselines")
                    series = history.series_many([(*r.key, "p") for r in run.results])
                    ex = {key: e for key, pts in series.items() if (e := excess_variance(
                        [p.value for p in pts], [p.shot_stderr for p in pts])) is not None}
                    verdicts = compare(run, stored, alpha=ALPHA, history_excess=ex)
                history.append(run, verdicts, learning_tags(run, stored))
                blocked = np.array([v.gate for v in verdicts])
                if k >= 1:
                    if k % 2:
                        flags["alternate nights"].append(blocked[:5].mean())
                    if k <= 10:
                        flags["held 10 nights"].append(blocked[5:10].mean())
            caught[mode] = {name: (float(np.mean(f)), float(np.min(f))) for name, f in flags.items()}
    return caught


def fmt_rate(x: float, n: int) -> str:
    lo, hi = stats.binomtest(int(round(x * n)), n).proportion_ci(0.95)
    return f"{100 * x:.2f} % [{100 * lo:.2f}, {100 * hi:.2f}]"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller run (< 30 s), same table")
    ap.add_argument("--seed", type=int, default=2025)
    args = ap.parse_args(argv)
    null_n, power_n, drift_n, check_n = (150, 20, 6, 1) if args.quick else (3000, 200, 60, 4)
    t0 = time.time()
    rng = np.random.default_rng(args.seed)
    s = make_suite(rng)
    cmd = "python benchmarks/drift_benchmark.py" + (" --quick" if args.quick else "") + f" --seed {args.seed}"
    print(f"# Drift detectors on synthetic nights\n\nCommand: `{cmd}`\n")
    print(f"{M} metrics a night ({N_PROP} proportions, {N_TRIAL} proportions in {TRIALS} trials, {N_EXP} "
          f"expectation values, {N_TIME} timings x "
          f"{REPEATS} repeats); family-wise alpha {ALPHA}; {null_n} null nights, {power_n} nights per effect "
          f"size with {round(STEP_FRACTION * M)} stepped metrics each, {drift_n} slow-drift trials.\n")

    flags, asv_sc, pb_sc = null_nights(rng, s, null_n)
    nights = flags["engine"].shape[0]
    fwer = {d: float(f.any(axis=1).mean()) for d, f in flags.items()}
    target = 0.01
    asv_factor = max(1.1, calibrate(asv_sc, target))
    pb_ratio = max(1.05, calibrate(pb_sc, target))
    print("## False alarms per night (no change anywhere)\n")
    print("| detector | threshold | nights with any false alarm (95 % CI) | false alarms per metric-night |")
    print("|---|---|---|---|")
    thresholds = {"engine": "Holm 0.01 + tolerance", FIRST: "the same, trials judged on tonight's alone", "asv": "factor 1.1 + MWU p<0.002",
                  "pytest-benchmark": "mean:5%", "optimal": "Holm 0.01, true variance"}
    for d in DETECTORS:
        print(f"| {d} | {thresholds[d]} | {fmt_rate(fwer[d], nights)} | {flags[d].mean():.2e} |")
    fa_asv = float((asv_sc > asv_factor).any(axis=1).mean())
    fa_pb = float((pb_sc > pb_ratio).any(axis=1).mean())
    print(f"| asv@equal-FA | factor {asv_factor:.3f} + MWU | {fmt_rate(fa_asv, nights)} | "
          f"{(asv_sc > asv_factor).mean():.2e} |")
    print(f"| pytest-benchmark@equal-FA | mean:{100 * (pb_ratio - 1):.1f}% | {fmt_rate(fa_pb, nights)} | "
          f"{(pb_sc > pb_ratio).mean():.2e} |")
    print("\n(\"@equal-FA\": threshold raised until at most 1 % of the null nights alarm; calibrated on the same "
          "null nights, which flatters them slightly.)\n")

    names = (*DETECTORS, "asv@equal-FA", "pytest-benchmark@equal-FA")
    power = {e: step_nights(rng, s, power_n, e, asv_factor, pb_ratio) for e in EFFECTS}
    print("## Power: share of step regressions caught the night they appear\n")
    print("Effect in standard deviations of the night-to-night difference (shot noise + excess, or jitter "
          "once the night's machine effect is known, for timings).\n")
    print("| detector | " + " | ".join(f"{e:g} sd" for e in EFFECTS) + " |")
    print("|---|" + "---|" * len(EFFECTS))
    for d in names:
        print(f"| {d} | " + " | ".join(f"{power[e][d]:.2f}" for e in EFFECTS) + " |")
    ratios = [power[e]["engine"] / power[e]["optimal"] for e in EFFECTS if power[e]["optimal"] >= 0.2]
    print("| engine / optimal | " + " | ".join(
        f"{power[e]['engine'] / power[e]['optimal']:.2f}" if power[e]["optimal"] > 0 else "-" for e in EFFECTS) + " |")
    print("\nBy kind of metric, engine against the optimal test:\n")
    print("| detector | " + " | ".join(f"{e:g} sd" for e in EFFECTS) + " |")
    print("|---|" + "---|" * len(EFFECTS))
    for kind in KINDS:
        for d in ("engine", FIRST, "optimal") if kind == "proportions in trials" else ("engine", "optimal"):
            print(f"| {d} ({kind}) | " + " | ".join(f"{power[e][f'{d} ({kind})']:.2f}" for e in EFFECTS) + " |")

    first_n = 100 if args.quick else 1500
    first_rows = first_nights(np.random.default_rng([args.seed, 15]), s, first_n)  # apart: the rest as before
    print(f"\nProportions in trials before any history, all {N_TRIAL} stepped by 4 sd on {first_n} nights "
          f"({first_n * N_TRIAL} stepped metrics), at Holm's first level {ALPHA}/{M}; false alarms per metric "
          f"on {first_n} null nights, over that level (1 = calibrated):\n")
    print("| judged with | power / optimal | false alarms / level |")
    print("|---|---|---|")
    for name, (ratio, fa) in first_rows.items():
        print(f"| {name} | {ratio:.3f} | {fa:.2f} |")

    delays = drift_trials(rng, s, drift_n, asv_factor, pb_ratio)
    print(f"\n## Slow drifts: nights to the first flag (drift {DRIFT_RATE} sd a night against a fixed stored "
          f"baseline, watched {DRIFT_NIGHTS} nights)\n")
    print("| detector | median delay | 90th percentile | caught within the window |")
    print("|---|---|---|---|")
    for d in names:
        got = [x for x in delays[d] if x is not None]
        caught = len(got) / len(delays[d])
        med = f"{np.median(got):.0f}" if got else "-"
        p90 = f"{np.percentile(got, 90):.0f}" if got else "-"
        print(f"| {d} | {med} | {p90} | {100 * caught:.0f} % |")

    agree, total = cross_check(rng, s, learn_excess(rng, s), check_n)
    print(f"\nEngine columns computed by the vectorised pure functions; `harness.drift.compare` on real records "
          f"agreed on {agree}/{total} verdicts ({check_n} night(s), 9 steps of 5 sd each).\n")

    rep = repeated_regressions(rng, quiet=10, nights=12) if args.quick else repeated_regressions(rng)
    print("## Repeated regressions: the gate's own loop (compare, history, learning), 40 proportions, "
          "8 sd worse\n")
    print("| learning from | alternate nights: caught (worst night) | held 10 nights: caught (worst night) |")
    print("|---|---|---|")
    for mode, got in rep.items():
        a, h = got["alternate nights"], got["held 10 nights"]
        print(f"| {mode} | {100 * a[0]:.0f} % ({100 * a[1]:.0f} %) | {100 * h[0]:.0f} % ({100 * h[1]:.0f} %) |")
    print()

    print("## Targets\n")
    min_ratio = min(ratios) if ratios else float("nan")
    behind = [f"{e:g} sd" for e in EFFECTS
              if power[e]["engine"] < max(power[e]["asv@equal-FA"], power[e]["pytest-benchmark@equal-FA"])]
    ahead = not behind
    short = [f"{e:g} sd ({power[e]['engine'] / power[e]['optimal']:.2f})" for e in EFFECTS
             if power[e]["optimal"] >= 0.2 and power[e]["engine"] < 0.9 * power[e]["optimal"]]
    print(f"- family-wise false alarms <= 1 % per night at {M} metrics: engine {100 * fwer['engine']:.2f} % -> "
          f"{'met' if fwer['engine'] <= 0.01 else 'NOT met'}")
    print(f"- power >= 0.9 x optimal (effects where the optimal test has power >= 0.2): lowest ratio "
          f"{min_ratio:.2f} -> {'met' if not short else 'NOT met at ' + ', '.join(short)}")
    at4 = {kind: power[4.0][f"engine ({kind})"] / max(power[4.0][f"optimal ({kind})"], 1e-9) for kind in KINDS}
    first = power[4.0][f"{FIRST} (proportions in trials)"] / max(power[4.0]["optimal (proportions in trials)"], 1e-9)
    print("- power >= 0.9 x optimal at 4 sd, per kind: " + ", ".join(
        f"{kind} {r:.2f} ({'met' if r >= 0.9 else 'NOT met'})" for kind, r in at4.items())
        + f"; proportions in trials before any history (the first nights after a promote) {first:.2f} "
        f"({'met' if first >= 0.9 else 'NOT met'})")
    big = first_rows["engine (prior by maximum likelihood)"][0]
    print(f"- the same on {first_n * N_TRIAL} stepped trial metrics: {big:.3f} ({'met' if big >= 0.9 else 'NOT met'})")
    print(f"- family-wise false alarms with trials judged before any history: {100 * fwer[FIRST]:.2f} % -> "
          f"{'met' if fwer[FIRST] <= 0.01 else 'NOT met'}")
    print(f"- ahead of asv and pytest-benchmark at equal false-alarm rate, every effect size: "
          f"{'met' if ahead else 'NOT met at ' + ', '.join(behind)}")
    every = rep["accepted nights only"]
    ok = all(v[1] == 1.0 for v in every.values())
    print(f"- repeated regressions caught on every night they occur: {'met' if ok else 'NOT met'} "
          f"(worst night: alternate {100 * every['alternate nights'][1]:.0f} %, held {100 * every['held 10 nights'][1]:.0f} %)")
    print(f"\nWall time {time.time() - t0:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
