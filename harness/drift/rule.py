"""The verdict rule: from a test's outcome and a tolerance to regression, improvement, unchanged or inconclusive.

With effect ``d = new - baseline`` (on the test's scale), worsening ``w = d`` when lower is
better and ``w = -d`` when higher is better, tolerance ``tau >= 0`` on the same scale, Holm-
adjusted one-sided p-values ``p_worse`` and ``p_better`` and the run's ``alpha``:

1. **regression** if ``p_worse <= alpha`` (statistically significant after the run-wide
   correction) **and** ``w > tau`` (the point estimate of the worsening is larger than what
   matters in practice);
2. **improvement**, symmetrically, if ``p_better <= alpha`` and ``-w > tau``; improvements never block;
3. **unchanged** if the ``1 - 2 alpha`` interval of ``d`` lies within ``[-tau, +tau]`` (two
   one-sided tests of equivalence, TOST), or, when ``tau = 0``, if neither direction is
   significant (with no tolerance declared, "not detectably different" is all one can say);
4. **inconclusive** otherwise, and the note says why: **underpowered** when the minimum
   detectable effect exceeds ``tau`` (the run could not have caught a worsening of the
   tolerance: more shots or trials are needed, see ``harness check``), or **within noise** when
   it could have, but tonight's estimate landed too close to the tolerance to call.

A worsening that is significant but smaller than ``tau`` is therefore unchanged (if its
interval fits within the tolerance) or inconclusive, never a regression.
"""

from __future__ import annotations

import math
from typing import Literal

from harness.drift.stat_tests import Comparison

__all__ = ["decide"]

Decision = Literal["regression", "improvement", "unchanged", "inconclusive"]


def decide(c: Comparison, *, better: str, tau: float, p_worse: float, p_better: float,
           alpha: float, mde: float | None = None) -> tuple[Decision, str]:
    """Apply the rule above to one comparison.

    Args:
        c: the test's outcome (its effect and equivalence interval are read).
        better: "higher" or "lower".
        tau: tolerance on the comparison's scale (``>= 0``).
        p_worse: Holm-adjusted one-sided p toward worse.
        p_better: Holm-adjusted one-sided p toward better.
        alpha: the run's family-wise significance level.
        mde: the minimum detectable effect to judge power by, when not ``c.mde`` (e.g. at Holm's level).

    Returns:
        The status and a short reason for the note.
    """
    w = c.effect if better == "lower" else -c.effect
    if p_worse <= alpha and w > tau:
        return "regression", f"significant worsening (adjusted p={p_worse:.2g}) beyond the tolerance"
    if p_better <= alpha and -w > tau:
        return "improvement", f"significant improvement (adjusted p={p_better:.2g}) beyond the tolerance"
    lo, hi = c.eq_ci
    if tau > 0 and -tau <= lo and hi <= tau:
        return "unchanged", "equivalent within the tolerance (TOST)"
    if tau == 0 and p_worse > alpha and p_better > alpha:
        return "unchanged", "no significant change (no tolerance declared)"
    if p_worse <= alpha or p_better <= alpha:
        why = "significant change, but within the tolerance and not provably inside it"
    else:
        why = "not significant, and the interval is wider than the tolerance"
    mde = c.mde if mde is None else mde
    if mde > tau:
        size = f"a factor {math.exp(mde):.3g}" if c.scale == "log" else f"{mde:.3g}"
        return "inconclusive", (f"underpowered: only worsenings of {size} or more are detectable (80 % power), "
                                f"more than the tolerance; {why} (run `harness check` for the shots that fix it)")
    return "inconclusive", f"within noise: {why}"
