"""Do two count tables come from one distribution? The sparse-bin G-test, shared by two layers.

Drift reports it beside a distribution metric's z-test, and the executors' cross-SDK check
(:mod:`harness.executors.cirq_device`) uses it to compare Aer's counts with cirq's. It lives
at the top of the package (layer 1 in ``DESIGN.md``: pure numbers, numpy and scipy, no SDK)
because executors (layer 2) may not import drift (layer 3); one implementation serves both.

Assumptions: multinomial counts in two independent rows; bins whose expected count under
homogeneity is below 5 are merged first (so the chi-square approximation of G holds); ``None``
when fewer than two bins survive.

Example:
    >>> g = g_test({"00": 60, "11": 40}, {"00": 45, "11": 55})
    >>> round(g.statistic, 3), g.dof, g.bins
    (4.529, 1, 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from scipy import stats

__all__ = ["GTest", "g_test", "merge_sparse_bins"]


@dataclass(frozen=True)
class GTest:
    """A G-test of homogeneity of two count vectors (after merging sparse bins)."""

    statistic: float
    p_value: float
    dof: int
    bins: int


def merge_sparse_bins(table: np.ndarray, min_expected: float = 5.0) -> np.ndarray:
    """Merge the columns of a 2 x K table whose expected count under homogeneity is < ``min_expected``.

    Sparse columns are pooled into one; if the pool is still sparse it joins the smallest
    dense column. Columns with no counts are dropped.
    """
    table = np.asarray(table, float)
    table = table[:, table.sum(axis=0) > 0]
    rows, total = table.sum(axis=1), table.sum()
    if table.shape[1] == 0 or rows.min() <= 0:
        return table
    # Expected count of column k in the smaller row is C_k * min(R) / N.
    threshold = min_expected * total / rows.min()
    cols = table.sum(axis=0)
    dense, sparse = table[:, cols >= threshold], table[:, cols < threshold]
    if sparse.shape[1] == 0:
        return dense
    pool = sparse.sum(axis=1, keepdims=True)
    if pool.sum() >= threshold or dense.shape[1] == 0:
        return np.hstack([dense, pool])
    smallest = int(np.argmin(dense.sum(axis=0)))
    dense = dense.copy()
    dense[:, smallest:smallest + 1] += pool
    return dense


def g_test(new: Mapping[str, int], base: Mapping[str, int], *, min_expected: float = 5.0) -> GTest | None:
    """Did the outcome distribution change? A G-test on the 2 x K table of counts.

    Uses :func:`scipy.stats.chi2_contingency` with ``lambda_="log-likelihood"`` and no
    continuity correction, after :func:`merge_sparse_bins`. Returns None when fewer than two
    bins remain (nothing to compare).
    """
    keys = sorted(set(new) | set(base))
    table = merge_sparse_bins(np.array([[new.get(k, 0) for k in keys], [base.get(k, 0) for k in keys]]),
                              min_expected)
    if table.shape[1] < 2 or table.sum(axis=1).min() <= 0:
        return None
    res = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    return GTest(float(res.statistic), float(res.pvalue), int(res.dof), int(table.shape[1]))
