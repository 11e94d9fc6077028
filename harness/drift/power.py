"""Decisive by design: what each gating metric can detect, predicted before anything runs.

A verdict is inconclusive when the data cannot tell a worsening of the tolerance from noise.
That is predictable: a metric's minimum detectable effect (one-sided, 80 % power) is::

    mde = (z(1 - alpha / m) + z(0.8)) * sqrt(se_new^2 + se_base^2 + 2 * excess)

where ``m`` is the number of gating metrics (a lone regression must pass Holm's first step,
``alpha / m``), ``se_base`` is the stored baseline's standard error, ``se_new`` the one tonight's
shots and trials will give, and ``excess`` the night-to-night variance learned from history.
``se_new`` scales the stored one by ``sqrt(n_stored / (shots * trials))``: a stored standard
error already holds the mitigation's variance amplification (its bootstrap went through the
whole pipeline). Without a stored baseline, the worst case of a proportion, ``0.25 / n``, times
the mitigation's known amplification (ZNE extrapolation weights, readout inversion) is used.

A metric is **underpowered** when ``mde`` exceeds its tolerance; :func:`predict` then says what
would fix it: the shots (or trials) that bring the mde to the tolerance, or that no number of
shots can, when the night-to-night spread alone is larger than the tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

from scipy import special, stats

from harness.drift.excess import excess_df
from harness.drift.pooled_trials import trial_moments
from harness.drift.stat_tests import POWER, binomial_stderr
from harness.kinds import CLASSICAL
from harness.records import Metric, Result

__all__ = ["Planned", "Prediction", "format_predictions", "holm_level", "mde_factor", "predict"]

TIMING_JITTER = 0.3  # as harness.drift.compare assumes for a timing without repeats


@dataclass(frozen=True)
class Planned:
    """One gating metric of one result a run will produce, as the suite declares it."""

    suite: str
    case_id: str
    baseline: str
    metric: str
    kind: str
    better: str
    tolerance: float
    relative: bool
    shots: int
    trials: int = 1

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.suite, self.case_id, self.baseline, self.metric)


@dataclass(frozen=True)
class Prediction:
    """The predicted minimum detectable effect of one planned metric, in the metric's unit."""

    planned: Planned
    mde: float | None
    tolerance: float
    basis: str
    fix: str = ""
    shots: int | None = None
    """Shots per trial that bring the mde to the tolerance against the stored baseline as it is
    (None: no number can, or shots do not set this metric's precision)."""
    shots_promoted: int | None = None
    """The same with the baseline re-promoted at that precision too."""

    @property
    def underpowered(self) -> bool:
        return self.mde is not None and self.mde > self.tolerance


def holm_level(alpha: float, m: int) -> float:
    """The per-metric level a lone regression must reach among ``m`` gating metrics (Holm's first step)."""
    return alpha / max(1, m)


def mde_factor(level: float) -> float:
    """``z(1 - level) + z(POWER)``: the mde in standard errors of the difference."""
    # special.ndtri is stats.norm.ppf exactly, without its per-call argument checks (~0.5 ms a call)
    return float(special.ndtri(1 - level) + special.ndtri(POWER))


def _stored_se(m: Metric, trials: int = 1) -> float | None:
    se = None
    if m.stderr is not None and math.isfinite(m.stderr) and m.stderr >= 0:
        se = float(m.stderr)  # 0: an exact value (classical, ideal)
    elif m.kind == "proportion" and m.n:
        se = binomial_stderr(m.value, m.n)
    if trials >= 2 and (mo := trial_moments(m)) is not None:
        # judged on the pooled count (harness.drift.pooled_trials), whose shot term is the binomial
        # one at n / T per trial even where every trial agreed (8 of 8 restarts in each: stderr 0)
        se = max(se or 0.0, math.sqrt(mo.mean_shot / len(m.samples)))
    return se


def predict(planned: Sequence[Planned], stored: Mapping[tuple[str, str, str], Result], *, alpha: float = 0.01,
            excess: Mapping[tuple[str, str, str, str], float] | None = None,
            amplification: Mapping[tuple[str, str, str], float] | None = None) -> list[Prediction]:
    """Predict the mde of every planned gating metric (see the module docstring).

    Args:
        planned: the gating metrics of the run (their number is Holm's ``m``).
        stored: the stored baselines, keyed (suite, case id, baseline kind).
        alpha: the gate's family-wise level.
        excess: learned night-to-night variance per metric (``harness.drift.learning.learned_excess``).
        amplification: per result, the mitigation's variance amplification over raw shot noise,
            used only where no baseline is stored (1 when absent).
    """
    excess, amplification = excess or {}, amplification or {}
    z = mde_factor(holm_level(alpha, len(planned)))
    out = []
    for p in planned:
        old_res = stored.get(p.key[:3])
        old = old_res.metrics.get(p.metric) if old_res is not None and old_res.status == "ok" else None
        n_new = max(1, p.shots * p.trials)
        if p.kind == "timing":
            out.append(_timing(p, old, z))
            continue
        if old is not None and (se_old := _stored_se(old, p.trials)) is not None:
            # shots set the precision of the device tiers; the classical heuristics' comes from their restarts
            ratio = _precision_ratio(old_res, old, n_new)
            se_new = se_old * math.sqrt(ratio) if ratio and p.baseline != CLASSICAL else se_old
            tol = p.tolerance * abs(old.value) if p.relative else p.tolerance
            basis = f"stored baseline (se {se_old:.3g} at n={old.n})"
        elif p.kind in ("proportion", "distribution") and not p.relative:
            amp = amplification.get(p.key[:3], 1.0)
            se_old = se_new = math.sqrt(0.25 * amp / n_new)
            tol, basis = p.tolerance, f"no stored baseline: worst case p=0.5, amplification {amp:.3g}"
        else:
            out.append(Prediction(p, None, p.tolerance, "no stored baseline and no shot-noise model: unknown"))
            continue
        ex = excess.get(p.key, 0.0)
        zk = z
        if p.trials >= 2 and p.kind != "proportion" and len(old.samples if old is not None else ()) >= 2:
            # judged by Welch's t on the trials (harness.drift.compare): its quantiles at 2 (T - 1) df
            level, df = holm_level(alpha, len(planned)), 2.0 * (p.trials - 1)
            zk = float(stats.t.ppf(1 - level, df) + stats.t.ppf(POWER, df))
            basis = basis + f", Welch on {p.trials} trials"
        df = excess_df(ex, se_new ** 2 + se_old ** 2 + 2 * ex)
        if math.isfinite(df) and zk == z:  # an estimated excess: compare refers to t with Satterthwaite's df
            level = holm_level(alpha, len(planned))
            zk = float(special.stdtrit(df, 1 - level) + special.stdtrit(df, POWER))
        mde = zk * math.sqrt(se_new ** 2 + se_old ** 2 + 2 * ex)
        tonight, promoted = _shots_needed(p, zk, se_new, se_old, ex, tol)
        out.append(Prediction(p, mde, tol, basis + (f", learned excess sd {math.sqrt(ex):.3g}" if ex else ""),
                              _fix(p, zk, se_new, se_old, ex, tol) if mde > tol else "", tonight, promoted))
    return out


def _precision_ratio(res: Result, old: Metric, n_new: int) -> float | None:
    """How much more (< 1) or less precise tonight's side is than the stored one: stored over planned shots.

    Compared as shots per circuit x trials on both sides (the suite's own knobs), read from the stored
    result's lineage; a metric's ``n`` counts every shot of every circuit (20 QV circuits at 1000 shots
    are n = 20000), so it is only the fallback for records without ``params.shots``.
    """
    shots = (res.lineage.get("params") or {}).get("shots")
    if isinstance(shots, (int, float)) and shots > 0:
        return float(shots) * int(res.lineage.get("trials", 1) or 1) / n_new
    return old.n / n_new if old.n else None


def _shots_needed(p: Planned, z: float, se_new: float, se_old: float, ex: float,
                  tol: float) -> tuple[int | None, int | None]:
    """Shots per trial for an mde of ``tol``: against the stored side as it is, and both re-promoted."""
    room = (tol / z) ** 2 - 2 * ex
    if p.baseline == CLASSICAL or room <= 0 or p.shots <= 0:
        return None, None
    promoted = math.ceil(p.shots * (se_new ** 2 + se_old ** 2) / room)
    tonight = math.ceil(p.shots * se_new ** 2 / (room - se_old ** 2)) if se_old ** 2 < room else None
    return tonight, promoted


def _fix(p: Planned, z: float, se_new: float, se_old: float, ex: float, tol: float) -> str:
    """The shots (per trial) or trials that bring the mde down to ``tol``."""
    room = (tol / z) ** 2 - 2 * ex
    if p.baseline == CLASSICAL and room > 0:
        return (f"about {math.ceil((se_new ** 2 + se_old ** 2) / room)}x the classical solvers' restarts "
                "(their spread, not shots, sets the classical precision), then re-promote")
    if room <= 0:
        return ("no number of shots: the night-to-night spread alone exceeds the tolerance; widen the tolerance "
                "or reduce the spread (more trials average seeds and optimizer starts)")
    # se_new^2 scales as 1 / (shots * trials); the stored side stays until it is re-promoted at the same precision
    k_both = (se_new ** 2 + se_old ** 2) / room  # both sides at the new precision (after a re-promote)
    if se_old ** 2 < room:
        k_new = se_new ** 2 / (room - se_old ** 2)
        more = f"shots {math.ceil(p.shots * k_new)} per trial (or trials {math.ceil(p.trials * k_new)})"
    else:
        more = "no shots tonight alone (the stored baseline is too noisy)"
    return (f"{more}; with the baseline re-promoted at the same precision: shots {math.ceil(p.shots * k_both)} "
            f"per trial (or trials {math.ceil(p.trials * k_both)})")


def _timing(p: Planned, old: Metric | None, z: float) -> Prediction:
    """Timings are judged on the log scale; without >= 3 repeats the jitter is assumed."""
    if p.trials >= 3 and old is not None and len(old.samples) >= 3:
        logs = [math.log(x) for x in old.samples if x > 0]
        sd = float(stats.tstd(logs)) if len(logs) >= 2 else TIMING_JITTER
        basis = f"stored repeats (log sd {sd:.3g})"
        se = sd * math.sqrt(1 / p.trials + 1 / len(old.samples))
    else:
        se, basis = TIMING_JITTER * math.sqrt(2), f"fewer than 3 repeats: assumed {TIMING_JITTER:.0%} jitter"
    frac = p.tolerance if p.relative else (p.tolerance / old.value if old is not None and old.value > 0 else 0.0)
    mde = math.expm1(z * se)
    fix = "" if mde <= frac else f"trials {max(3, math.ceil(p.trials * (z * se / math.log1p(frac)) ** 2))}" \
        if frac > 0 else "declare a tolerance"
    return Prediction(p, mde, frac, basis + " (mde and tolerance as fractions)", fix)


def format_predictions(preds: Sequence[Prediction], *, alpha: float) -> str:
    """The check's report: every underpowered gating metric with its fix, then a summary line."""
    lines = []
    bad = [q for q in preds if q.underpowered]
    unknown = [q for q in preds if q.mde is None]
    for q in bad:
        p = q.planned
        lines.append(f"UNDERPOWERED {p.suite} {p.case_id} [{p.baseline}] {p.metric}: predicted mde {q.mde:.3g} > "
                     f"tolerance {q.tolerance:.3g} at {p.shots} shots x {p.trials} trial(s) ({q.basis})\n"
                     f"  fix: {q.fix}")
    for q in unknown:
        p = q.planned
        lines.append(f"unknown      {p.suite} {p.case_id} [{p.baseline}] {p.metric}: {q.basis}")
    level = holm_level(alpha, len(preds))
    lines.append(f"check: {len(preds)} gating metric(s), {len(bad)} underpowered, {len(unknown)} unknown "
                 f"(mde at 80 % power, one-sided level alpha/m = {level:.2g})")
    return "\n".join(lines)
