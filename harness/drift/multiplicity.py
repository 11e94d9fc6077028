"""Run-wide corrections for testing many metrics at once.

A run tests hundreds of metrics; at ``alpha = 0.01`` each, a few would look worse by chance.
The blocking decision therefore uses Holm's step-down procedure, which keeps the chance of
*any* false regression in the family at or below ``alpha`` under any dependence between the
tests. Benjamini-Hochberg (false discovery rate) is more powerful but lets a fraction of
false alarms through, so it only feeds the advisory list of :func:`advisory`.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from scipy import stats

from harness.drift.verdict import Verdict

__all__ = ["advisory", "benjamini_hochberg", "holm"]


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order (scipy has no Holm; this is its definition).

    The i-th smallest of m p-values is multiplied by ``m - i`` (0-based ``i``), then a running
    maximum keeps the adjusted values monotone; values are capped at 1. Rejecting where the
    adjusted p is <= alpha is Holm's procedure at family-wise level alpha.

    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = stepped
    return [float(v) for v in out]  # no rounding: tiny p-values must stay tiny, never 0


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), via :func:`scipy.stats.false_discovery_control`."""
    if len(pvalues) == 0:
        return []
    return [float(q) for q in stats.false_discovery_control(np.asarray(pvalues, float), method="bh")]


def advisory(verdicts: Iterable[Verdict], q: float = 0.05) -> list[tuple[Verdict, float]]:
    """Worsenings worth a look at false discovery rate ``q``, most significant first.

    Over every verdict that carries a p-value (gating or not), Benjamini-Hochberg q-values of
    the one-sided "worse" p-values; listed are those with q-value <= ``q`` whose point estimate
    is worse than the tolerance. It is advice: only Holm-significant regressions block.

    Returns:
        ``(verdict, q_value)`` pairs.
    """
    tested = [v for v in verdicts if v.p_value is not None and v.effect is not None]
    qvalues = benjamini_hochberg([v.p_value for v in tested])
    flagged = []
    for v, qv in zip(tested, qvalues):
        worsening = v.effect if v.better == "lower" else -v.effect
        if qv <= q and worsening > v.tolerance:
            flagged.append((v, qv))
    return sorted(flagged, key=lambda pair: pair[1])
