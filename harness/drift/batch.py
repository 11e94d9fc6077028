"""Many two-sample tests at once: the tests of :mod:`harness.drift.stat_tests` as numpy arrays.

``compare`` over 10,000 metrics must take well under a second, so it groups the metrics of a run
by test and computes each group's statistics in one call here, instead of one Python call (and one
scipy argument check) per metric. Every function gives, element by element, what its scalar twin
gives (the tests hold them to 1e-9):

- :func:`z_tests` is :func:`harness.drift.stat_tests.z_test` (normal reference, or Student's t where
  a finite ``df`` says part of the variance was estimated);
- :func:`welch_tests` is :func:`harness.drift.stat_tests.welch_test` (Welch-Satterthwaite df);
- :func:`t_tests` is the machine-relative timing test of :mod:`harness.drift.machine`.

Each returns a :class:`Tests` of arrays on the test's scale: effect, the ``1 - alpha`` and
``1 - 2 alpha`` intervals, one-sided p-values toward worse and toward better, and the minimum
detectable worsening at 80 % power. ``sign`` is +1 where a larger value is worse (``better="lower"``),
-1 otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import special

from harness.drift.machine import relative_timing_test
from harness.drift.stat_tests import POWER, Comparison, welch_test, z_test

__all__ = ["Pending", "Tests", "evaluate", "t_tests", "welch_tests", "z_tests"]


@dataclass(frozen=True)
class Tests:
    """Outcomes of many tests, one element per metric (see :class:`harness.drift.stat_tests.Comparison`)."""

    effect: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    eq_low: np.ndarray
    eq_high: np.ndarray
    p_worse: np.ndarray
    p_better: np.ndarray
    mde: np.ndarray
    exact: np.ndarray  # zero standard error: decided by the sign of the effect alone
    df: np.ndarray


def _quantile(p: float, df: np.ndarray) -> np.ndarray:
    """Student's t quantile where ``df`` is finite, the normal one where it is infinite."""
    z = special.ndtri(p)
    finite = np.isfinite(df)
    if not finite.any():
        return np.full(df.shape, z)
    return np.where(finite, special.stdtrit(np.where(finite, df, 1.0), p), z)


def _tail(x: np.ndarray, df: np.ndarray) -> np.ndarray:
    """P(T <= x): Student's t where ``df`` is finite, normal where infinite."""
    finite = np.isfinite(df)
    if not finite.any():
        return special.ndtr(x)
    return np.where(finite, special.stdtr(np.where(finite, df, 1.0), x), special.ndtr(x))


def _tests(d: np.ndarray, se: np.ndarray, df: np.ndarray, sign: np.ndarray, alpha: float) -> Tests:
    d, se = np.asarray(d, float), np.asarray(se, float)
    df, sign = np.broadcast_to(np.asarray(df, float), d.shape), np.asarray(sign, float)
    exact = se == 0.0
    safe = np.where(exact, 1.0, se)
    stat = sign * d / safe
    half, eq = _quantile(1 - alpha / 2, df) * safe, _quantile(1 - alpha, df) * safe
    mde = (_quantile(1 - alpha, df) + _quantile(POWER, df)) * safe
    p_worse, p_better = _tail(-stat, df), _tail(stat, df)
    w = sign * d
    if exact.any():  # nothing random is left: the sign of the effect decides (stat_tests._exact)
        half, eq, mde = np.where(exact, 0.0, half), np.where(exact, 0.0, eq), np.where(exact, 0.0, mde)
        p_worse = np.where(exact, np.where(w > 0, 0.0, 1.0), p_worse)
        p_better = np.where(exact, np.where(w < 0, 0.0, 1.0), p_better)
    return Tests(d, d - half, d + half, d - eq, d + eq, p_worse, p_better, mde, exact, df)


def z_tests(new: np.ndarray, se_new: np.ndarray, base: np.ndarray, se_base: np.ndarray, *, sign: np.ndarray,
            alpha: float, df: np.ndarray | float = np.inf) -> Tests:
    """``z_test`` element-wise: ``new - base`` over ``hypot(se_new, se_base)``, t with ``df`` where finite."""
    d = np.asarray(new, float) - np.asarray(base, float)
    return _tests(d, np.hypot(se_new, se_base), df, sign, alpha)


def welch_tests(mean_x: np.ndarray, var_x: np.ndarray, n_x: np.ndarray, mean_y: np.ndarray, var_y: np.ndarray,
                n_y: np.ndarray, *, sign: np.ndarray, alpha: float) -> Tests:
    """``welch_test`` element-wise from each side's mean, sample variance (ddof 1) and size (>= 2)."""
    a, b = np.asarray(var_x, float) / n_x, np.asarray(var_y, float) / n_y
    se2 = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(se2 > 0, se2 ** 2 / (a ** 2 / (np.asarray(n_x) - 1) + b ** 2 / (np.asarray(n_y) - 1)), np.inf)
    return _tests(np.asarray(mean_x, float) - np.asarray(mean_y, float), np.sqrt(se2), df, sign, alpha)


def t_tests(effect: np.ndarray, se: np.ndarray, df: np.ndarray, *, sign: np.ndarray, alpha: float) -> Tests:
    """A t-test of ``effect`` with standard error ``se`` and ``df`` degrees of freedom, element-wise."""
    return _tests(effect, se, df, sign, alpha)


@dataclass(frozen=True)
class Pending:
    """One metric's test, waiting to be computed with the others of its family (:func:`evaluate`).

    ``family`` and ``args``: ``"z"`` (new, se_new, base, se_base, df) for :func:`z_tests`;
    ``"welch"`` (new trials, baseline trials) for :func:`welch_tests`; ``"machine"`` (key,) for the
    timing relative to the run's :class:`~harness.drift.machine.MachineModel`.
    """

    family: str
    args: tuple
    better: str
    test: str = ""
    scale: str = "additive"
    note: str = ""


def evaluate(pending: Sequence[Pending], *, alpha: float, machine=None, vectorised: bool = True) -> list[Comparison]:
    """The :class:`Comparison` of every pending test, in order: each family in one array call
    (``vectorised``), or one scalar call per metric (the reference the tests hold the arrays to)."""
    out: list[Comparison | None] = [None] * len(pending)
    families: dict[str, list[int]] = {}
    for i, p in enumerate(pending):
        families.setdefault(p.family, []).append(i)
    for family, idx in families.items():
        items = [pending[i] for i in idx]
        comps = _FAMILIES[family](items, alpha, machine) if vectorised else [_scalar(p, alpha, machine) for p in items]
        for i, c in zip(idx, comps):
            out[i] = c
    return out  # type: ignore[return-value]


def _scalar(p: Pending, alpha: float, machine) -> Comparison:
    if p.family == "z":
        new, se_new, base, se_base, df = p.args
        return z_test(new, se_new, base, se_base, better=p.better, alpha=alpha, test=p.test, scale=p.scale,
                      note=p.note, df=df)
    if p.family == "welch":
        return welch_test(*p.args, better=p.better, alpha=alpha)
    return relative_timing_test(machine, p.args[0], better=p.better, alpha=alpha)


def _signs(items: Sequence[Pending]) -> np.ndarray:
    return np.array([1.0 if p.better == "lower" else -1.0 for p in items])


def _comparisons(items: Sequence[Pending], t: Tests, notes: Sequence[str]) -> list[Comparison]:
    cols = zip(t.effect.tolist(), t.ci_low.tolist(), t.ci_high.tolist(), t.eq_low.tolist(), t.eq_high.tolist(),
               t.p_worse.tolist(), t.p_better.tolist(), t.mde.tolist())
    return [Comparison(p.test, d, (lo, hi), (elo, ehi), pw, pb, mde, p.scale, note)  # type: ignore[arg-type]
            for p, (d, lo, hi, elo, ehi, pw, pb, mde), note in zip(items, cols, notes)]


def _z_family(items: Sequence[Pending], alpha: float, machine) -> list[Comparison]:
    new, se_new, base, se_base, df = (np.array(c, float) for c in zip(*(p.args for p in items)))
    t = z_tests(new, se_new, base, se_base, sign=_signs(items), alpha=alpha, df=df)
    exact = t.exact.tolist()
    notes = [p.note or ("both values exact (zero standard error)" if e else "") for p, e in zip(items, exact)]
    return _comparisons(items, t, notes)


def _welch_family(items: Sequence[Pending], alpha: float, machine) -> list[Comparison]:
    out: list[Comparison | None] = [None] * len(items)
    sizes: dict[tuple[int, int], list[int]] = {}
    for i, p in enumerate(items):
        sizes.setdefault((len(p.args[0]), len(p.args[1])), []).append(i)
    for (nx, ny), idx in sizes.items():
        if nx < 2 or ny < 2:
            raise ValueError("welch_test needs at least 2 samples per side")
        x = np.array([items[i].args[0] for i in idx], float)
        y = np.array([items[i].args[1] for i in idx], float)
        group = [items[i] for i in idx]
        t = welch_tests(x.mean(1), x.var(1, ddof=1), nx, y.mean(1), y.var(1, ddof=1), ny, sign=_signs(group),
                        alpha=alpha)
        notes = ["no spread in either sample" if e else f"difference of means of {nx} and {ny} trials, df={df:.1f}"
                 for e, df in zip(t.exact.tolist(), t.df.tolist())]
        for i, c in zip(idx, _comparisons(group, t, notes)):
            out[i] = c
    return out  # type: ignore[return-value]


def _machine_family(items: Sequence[Pending], alpha: float, machine) -> list[Comparison]:
    d, se2, df = (np.array(c, float) for c in zip(*(machine.stats[p.args[0]] for p in items)))
    t = t_tests(d - machine.shift, np.sqrt(se2 + machine.shift_var), df, sign=_signs(items), alpha=alpha)
    shift = f"{math.expm1(machine.shift):+.1%}"
    notes = [f"ratio {math.exp(e):.3g}x relative to the night's machine shift {shift} (median over "
             f"{machine.timings} timings); moderated t on winsorised log repeats, df={f:.0f}"
             for e, f in zip(t.effect.tolist(), t.df.tolist())]
    return _comparisons(items, t, notes)


_FAMILIES = {"z": _z_family, "welch": _welch_family, "machine": _machine_family}
