"""Two-sample tests of "did this metric get worse?", as pure functions over numbers.

Every test returns a :class:`Comparison` on its own scale (``additive``: new minus baseline;
``log``: log(new / baseline)), with one-sided p-values toward worse and toward better, the
two-sided ``1 - alpha`` interval, the ``1 - 2 alpha`` interval used for equivalence (TOST),
and the minimum detectable worsening (one-sided ``alpha``, 80 % power). ``better`` says which
direction is an improvement, so "worse" is ``new < baseline`` for ``"higher"`` and
``new > baseline`` for ``"lower"``.

Assumptions and fallbacks, per test:

- :func:`z_test`: both estimates approximately normal with known standard errors (shot noise at
  hundreds of shots or more). A zero combined standard error means both values are exact: the
  effect is then decided by its sign alone (p is 0 or 1) and the intervals collapse to a point.
- :func:`welch_test`: independent trials, roughly normal means, unequal variances; needs at
  least 2 samples per side (the caller falls back to :func:`z_test` on standard errors).
- :func:`timing_test`: at least 3 samples per side, independent repeats; no normality assumed.
  Mann-Whitney U on log times, Hodges-Lehmann shift (a ratio once exponentiated) and a BCa
  bootstrap interval (percentile when BCa degenerates). With fewer samples the caller uses
  :func:`z_test` on log values (delta-method standard errors, or an assumed jitter).

The G-test of two count tables is :func:`harness.homogeneity.g_test` (shared with the executors'
cross-SDK check, which may not import drift).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Mapping, Sequence

import numpy as np
from scipy import special, stats

__all__ = [
    "POWER",
    "Comparison",
    "binomial_stderr",
    "hodges_lehmann",
    "timing_test",
    "welch_test",
    "z_test",
]

POWER = 0.8
"""Power at which the minimum detectable effect is quoted."""

Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class Comparison:
    """The outcome of one two-sample test, on the test's scale.

    Attributes:
        test: short name of the test ("z", "welch-t", "mann-whitney", ...).
        effect: point estimate of new minus baseline (``scale="log"``: of log(new / baseline)).
        ci: two-sided ``1 - alpha`` interval of ``effect``.
        eq_ci: two-sided ``1 - 2 alpha`` interval (the two one-sided tests of equivalence).
        p_worse: one-sided p-value of "no change" against "worse".
        p_better: one-sided p-value of "no change" against "better".
        mde: smallest worsening detectable at one-sided ``alpha`` with 80 % power (>= 0).
        scale: ``"additive"`` or ``"log"``.
        note: anything the reader should know about how the numbers were obtained.
    """

    test: str
    effect: float
    ci: tuple[float, float]
    eq_ci: tuple[float, float]
    p_worse: float
    p_better: float
    mde: float
    scale: Literal["additive", "log"] = "additive"
    note: str = ""


def _worse_sign(better: str) -> int:
    """+1 when a larger value is worse (``better="lower"``), -1 otherwise."""
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower', not {better!r}")
    return 1 if better == "lower" else -1


def _exact(test: str, d: float, better: str, scale: str = "additive", note: str = "") -> Comparison:
    # Zero standard error: nothing random is left, so the sign of the effect decides.
    w = _worse_sign(better) * d
    return Comparison(test, d, (d, d), (d, d), 0.0 if w > 0 else 1.0, 0.0 if w < 0 else 1.0, 0.0,
                      scale, note or "both values exact (zero standard error)")


@lru_cache(maxsize=64)
def _zq(q: float) -> float:
    """Standard normal quantile, cached: a run asks for the same few thousands of times."""
    return float(special.ndtri(q))  # = stats.norm.ppf, without its per-call argument checks (~0.5 ms)


def binomial_stderr(p: float, n: int | None) -> float | None:
    """Standard error of a proportion ``p`` estimated from ``n`` shots; None without ``n``.

    At ``p`` = 0 or 1 the plug-in value is 0, which would make a shot-noise estimate look
    exact; there ``p`` is shrunk to ``(k + 0.5) / (n + 1)`` so the error stays positive.
    """
    if not n or n <= 0 or not math.isfinite(p):
        return None
    if p <= 0.0 or p >= 1.0:
        p = (min(max(p, 0.0), 1.0) * n + 0.5) / (n + 1)
    return math.sqrt(p * (1.0 - p) / n)


def z_test(new: float, se_new: float, base: float, se_base: float, *, better: str, alpha: float,
           test: str = "z", scale: Literal["additive", "log"] = "additive", note: str = "",
           df: float = math.inf) -> Comparison:
    """Normal test of ``new - base`` with standard error ``hypot(se_new, se_base)``.

    With finite ``df`` (part of the variance is estimated: see
    :func:`harness.drift.excess.satterthwaite`) the statistic is referred to Student's t with ``df``
    degrees of freedom instead, for its p-values, intervals and minimum detectable effect.
    """
    d = float(new) - float(base)
    se = math.hypot(se_new, se_base)
    if se == 0.0:
        return _exact(test, d, better, scale, note)
    z = _worse_sign(better) * d / se
    if math.isfinite(df):
        q = lambda p: float(special.stdtrit(df, p))  # noqa: E731
        half, eq_half, mde = q(1 - alpha / 2) * se, q(1 - alpha) * se, (q(1 - alpha) + q(POWER)) * se
        return Comparison(test, d, (d - half, d + half), (d - eq_half, d + eq_half),
                          float(special.stdtr(df, -z)), float(special.stdtr(df, z)), mde, scale, note)
    half, eq_half = _zq(1 - alpha / 2) * se, _zq(1 - alpha) * se
    mde = (_zq(1 - alpha) + _zq(POWER)) * se
    return Comparison(test, d, (d - half, d + half), (d - eq_half, d + eq_half),
                      float(special.ndtr(-z)), float(special.ndtr(z)), mde, scale, note)


def welch_test(new: Sequence[float], base: Sequence[float], *, better: str, alpha: float) -> Comparison:
    """Welch's t-test of the difference of means; needs >= 2 samples per side."""
    x, y = np.asarray(new, float), np.asarray(base, float)
    if x.size < 2 or y.size < 2:
        raise ValueError("welch_test needs at least 2 samples per side")
    d = float(x.mean() - y.mean())
    se = math.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
    if se == 0.0:
        return _exact("welch-t", d, better, note="no spread in either sample")
    res = stats.ttest_ind(x, y, equal_var=False)
    t, df = _worse_sign(better) * float(res.statistic), float(res.df)
    ci, eq = res.confidence_interval(1 - alpha), res.confidence_interval(1 - 2 * alpha)
    mde = (stats.t.ppf(1 - alpha, df) + stats.t.ppf(POWER, df)) * se
    return Comparison("welch-t", d, (float(ci.low), float(ci.high)), (float(eq.low), float(eq.high)),
                      float(stats.t.sf(t, df)), float(stats.t.cdf(t, df)), float(mde),
                      note=f"difference of means of {x.size} and {y.size} trials, df={df:.1f}")


def hodges_lehmann(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Median of all pairwise differences ``x_i - y_j`` along ``axis`` (vectorised for bootstrap)."""
    x, y = np.moveaxis(np.asarray(x, float), axis, -1), np.moveaxis(np.asarray(y, float), axis, -1)
    diffs = x[..., :, None] - y[..., None, :]
    return np.median(diffs.reshape(*diffs.shape[:-2], -1), axis=-1)


def _interval(res, confidence: float, data, seed: int) -> tuple[float, float]:
    # Reuse the resamples already drawn (n_resamples=0); BCa degenerates on tied data.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in ("BCa", "percentile"):
            ci = stats.bootstrap(data, hodges_lehmann, n_resamples=0, bootstrap_result=res, vectorized=True,
                                 confidence_level=confidence, method=method,
                                 rng=np.random.default_rng(seed)).confidence_interval
            if np.isfinite(ci.low) and np.isfinite(ci.high):
                return float(ci.low), float(ci.high)
    return float("nan"), float("nan")


def timing_test(new: Sequence[float], base: Sequence[float], *, better: str = "lower", alpha: float,
                n_resamples: int = 2000, seed: int = 0) -> Comparison:
    """Mann-Whitney U on log times, Hodges-Lehmann log-ratio and its bootstrap interval.

    Needs >= 3 positive samples per side. The result is on the log scale: ``exp(effect)``
    is the typical ratio new / baseline. Deterministic for a given ``seed``.
    """
    x, y = np.log(np.asarray(new, float)), np.log(np.asarray(base, float))
    if x.size < 3 or y.size < 3:
        raise ValueError("timing_test needs at least 3 samples per side")
    shift = float(hodges_lehmann(x, y))
    worse, improve = ("greater", "less") if _worse_sign(better) > 0 else ("less", "greater")
    p_worse = float(stats.mannwhitneyu(x, y, alternative=worse).pvalue)
    p_better = float(stats.mannwhitneyu(x, y, alternative=improve).pvalue)
    data = (x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate-data warnings: handled below
        res = stats.bootstrap(data, hodges_lehmann, n_resamples=n_resamples, vectorized=True,
                              confidence_level=1 - alpha, method="percentile", rng=np.random.default_rng(seed))
    spread = np.ptp(res.bootstrap_distribution)
    if spread == 0.0:
        ci = eq = (shift, shift)
    else:
        ci, eq = _interval(res, 1 - alpha, data, seed), _interval(res, 1 - 2 * alpha, data, seed)
    se = float(res.standard_error)
    mde = (_zq(1 - alpha) + _zq(POWER)) * se
    note = (f"ratio {math.exp(shift):.3g}x (Hodges-Lehmann on {x.size} vs {y.size} repeats); "
            f"interval: bootstrap, {n_resamples} resamples")
    return Comparison("mann-whitney", shift, ci, eq, p_worse, p_better, float(mde), "log", note)
