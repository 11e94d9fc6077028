"""The night's machine effect: how much every timing of a run moved together, and timings judged
relative to it.

A night's timings share the machine they ran on: a busier CI host makes all of them a few per
cent slower at once. Repeats within one night do not show it, so a rank test on the repeats
alone reads the shared shift as a regression of every timing (with a 3 % machine effect, 10 % of
null nights false-alarm at 300 metrics). The model, on log seconds::

    log t_jr = mu_j + M_night + e_jr     (timing j, repeat r)

For every timing with >= 3 repeats on both sides (and at least :data:`MIN_TIMINGS` of them):

- repeats are taken on the log scale and winsorised at the median +- :data:`CLIP` robust standard
  deviations (a page fault or a garbage collection in one repeat does not move the mean);
- the night's shift ``M_new - M_base`` is the median, over the timings, of each timing's
  difference of mean log times (:attr:`MachineModel.shift`);
- each side's repeat variance is moderated across the run's timings by empirical Bayes
  (:func:`harness.drift.excess.squeeze_variances`): one machine, similar jitter, so 15 repeats
  per timing borrow strength from the other timings;
- a timing's test is a moderated t on ``mean(log new) - mean(log base) - shift``, with the
  uncertainty of the median shift added: "this timing got slower than the machine did".

The shift is reported in every timing verdict, and a shift worse than a timing's tolerance
keeps it from being called unchanged: a slower machine and a change that slowed everything look
the same within one night. With too few timings, each is judged on its own repeats (Mann-Whitney).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence

import numpy as np
from scipy import stats

from harness.drift.excess import squeeze_variances
from harness.drift.stat_tests import POWER, Comparison

__all__ = ["CLIP", "MIN_TIMINGS", "MachineModel", "fit_machine", "relative_timing_test", "robust_logs"]

MIN_TIMINGS = 5
"""Fewest timings with >= 3 repeats on both sides for the machine shift to be estimated."""

CLIP = 3.0
"""Log repeats beyond this many robust standard deviations from their median are pulled back to it."""


def robust_logs(samples: np.ndarray) -> np.ndarray:
    """Log of positive repeats (along the last axis), winsorised at the median +- CLIP * 1.4826 * MAD."""
    x = np.log(np.asarray(samples, float))
    med = np.median(x, axis=-1, keepdims=True)
    mad = 1.4826 * np.median(np.abs(x - med), axis=-1, keepdims=True)
    return np.where(mad > 0, np.clip(x, med - CLIP * mad, med + CLIP * mad), x)


@dataclass(frozen=True)
class MachineModel:
    """The run's timings together: the machine shift and each timing's moderated statistics."""

    shift: float
    shift_var: float  # variance of the median shift itself
    stats: Mapping[Hashable, tuple[float, float, float]]  # key -> (difference of mean logs, se^2, dof)
    timings: int


def fit_machine(pairs: Mapping[Hashable, tuple[Sequence[float], Sequence[float]]]) -> MachineModel | None:
    """The machine model of a run from (new repeats, baseline repeats) per timing, or None with fewer than
    :data:`MIN_TIMINGS` usable timings (>= 3 positive repeats per side).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> base = {j: np.exp(rng.normal(0, 0.05, 10)) for j in range(20)}
        >>> new = {j: b * 1.10 for j, b in base.items()}  # every timing 10 % slower: the machine
        >>> round(math.exp(fit_machine({j: (new[j], base[j]) for j in base}).shift), 3)
        1.1
    """
    # grouped by repeat counts, so the logs of a whole group are one array (10,000 timings in milliseconds)
    by_size: dict[tuple[int, int], list[Hashable]] = {}
    for key, (new, base) in pairs.items():
        if len(new) >= 3 and len(base) >= 3:
            by_size.setdefault((len(new), len(base)), []).append(key)
    rows: dict[Hashable, tuple[float, float, float, int, int]] = {}
    for (nx, ny), group in by_size.items():
        x = np.array([pairs[k][0] for k in group], float)
        y = np.array([pairs[k][1] for k in group], float)
        ok = (x.min(axis=1) > 0) & (y.min(axis=1) > 0)
        if not ok.any():
            continue
        lx, ly = robust_logs(x[ok]), robust_logs(y[ok])
        for k, d, vx, vy in zip([k for k, good in zip(group, ok.tolist()) if good],
                                (lx.mean(1) - ly.mean(1)).tolist(), lx.var(1, ddof=1).tolist(),
                                ly.var(1, ddof=1).tolist()):
            rows[k] = (d, vx, vy, nx, ny)
    keys = [k for k in pairs if k in rows]  # the run's order
    if len(keys) < MIN_TIMINGS:
        return None
    d, vx, vy, nx, ny = (np.array(c, float) for c in zip(*(rows[k] for k in keys)))
    post, post_dof = squeeze_variances(np.concatenate([vx, vy]), np.concatenate([nx - 1, ny - 1]))
    se2 = post[: len(keys)] / nx + post[len(keys):] / ny
    df = np.minimum(post_dof[: len(keys)], post_dof[len(keys):])
    # the median of K roughly normal differences has variance about (pi / 2) * mean(se^2) / K
    shift_var = math.pi / 2 * float(se2.mean()) / len(keys)
    return MachineModel(float(np.median(d)), shift_var,
                        dict(zip(keys, zip(d.tolist(), se2.tolist(), df.tolist()))), len(keys))


def relative_timing_test(model: MachineModel, key: Hashable, *, better: str, alpha: float) -> Comparison:
    """Moderated t-test of one timing's log shift relative to the machine's (on the log scale)."""
    d, se2, df = model.stats[key]
    effect = d - model.shift
    se = math.sqrt(se2 + model.shift_var)
    sign = 1 if better == "lower" else -1
    t = sign * effect / se
    half, eq = float(stats.t.ppf(1 - alpha / 2, df)) * se, float(stats.t.ppf(1 - alpha, df)) * se
    mde = (float(stats.t.ppf(1 - alpha, df)) + float(stats.t.ppf(POWER, df))) * se
    note = (f"ratio {math.exp(effect):.3g}x relative to the night's machine shift {math.expm1(model.shift):+.1%} "
            f"(median over {model.timings} timings); moderated t on winsorised log repeats, df={df:.0f}")
    return Comparison("t-log-machine", effect, (effect - half, effect + half), (effect - eq, effect + eq),
                      float(stats.t.sf(t, df)), float(stats.t.cdf(t, df)), mde, "log", note)
