"""Advisory change points over a metric's nightly history: which run did a shift begin with?

The nightly gate compares one run with one stored baseline; a slow drift or a shift that
slipped under the tolerance shows only in the history. This view segments a metric's series
into pieces of constant mean with PELT (``ruptures.KernelCPD``, linear kernel: the least-squares cost) and names the
run at which each new piece begins. It is advice for a person reading the report: it never
blocks, and it is not corrected for multiplicity.

Scale and penalty: the series is divided by a robust noise scale taken from successive
differences (``median(|d|) / (0.6745 sqrt 2)``: steps and drifts barely move it, unlike the
overall standard deviation), so the penalty is in units of the noise variance. The default
penalty, ``PENALTY_FACTOR * log(n)``, is a BIC-like price per change (a new mean and a
location, 2 log n, made stricter so a flat noisy month shows nothing). Before segmenting, a
running median of 3 removes one-night spikes (a step's edge stays where it is), and segments
are at least :data:`MIN_SIZE` points long: a spike is not a shift.

``ruptures`` is imported when a change point is asked for (``pip install ruptures``).
"""

from __future__ import annotations

import math
from typing import Any, Protocol, Sequence

import numpy as np
from scipy import ndimage

from harness.errors import UnsupportedError

__all__ = ["MIN_SIZE", "PENALTY_FACTOR", "change_points", "changepoint_view"]

PENALTY_FACTOR = 3.0
"""Penalty per change point, in noise variances, per unit of log(number of points)."""

MIN_SIZE = 3
"""Shortest segment, in runs: shorter deviations are spikes, not shifts."""


def _noise_scale(x: np.ndarray) -> float:
    d = np.abs(np.diff(x))
    scale = float(np.median(d)) / (0.6745 * math.sqrt(2.0))
    if scale > 0:
        return scale
    # More than half the differences are zero (quantised values): fall back to their spread.
    return float(np.std(d)) / math.sqrt(2.0)


def change_points(values: Sequence[float], *, penalty: float | None = None, min_size: int = MIN_SIZE) -> list[int]:
    """Indices at which a new segment of constant mean begins (empty for a flat series).

    Args:
        values: the series in run order; non-finite values are not allowed (drop them first).
        penalty: cost of one change in noise variances; default ``PENALTY_FACTOR * log(n)``.
        min_size: shortest segment.

    Returns:
        Sorted indices ``i`` such that ``values[i]`` is the first point of a new segment.

    Raises:
        UnsupportedError: ``ruptures`` is not installed.
        ValueError: non-finite values.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> change_points(np.r_[rng.normal(0, 1, 40), rng.normal(5, 1, 40)])
        [40]
    """
    x = np.asarray(values, float)
    if not np.all(np.isfinite(x)):
        raise ValueError("change_points needs finite values; drop missing runs first")
    n = x.size
    if n < 2 * min_size:
        return []
    scale = _noise_scale(x)
    if scale == 0.0:  # every difference is zero: a constant series
        return []
    try:
        import ruptures
    except ImportError:
        raise UnsupportedError("the change-point view needs the 'ruptures' package",
                               hint="pip install ruptures") from None
    pen = PENALTY_FACTOR * math.log(n) if penalty is None else float(penalty)
    # A running median of 3 removes one-night spikes and keeps step edges where they are.
    smooth = ndimage.median_filter(x, size=3, mode="nearest")
    signal = ((smooth - np.median(x)) / scale).reshape(-1, 1)
    # KernelCPD with a linear kernel is PELT with the least-squares cost, in ruptures' C code:
    # about 1000x faster than Pelt(model="l2") on a year of nights, with the same change points.
    # jump=1: every index is a candidate (the default 5 would round locations to multiples of 5).
    ends = ruptures.KernelCPD(kernel="linear", min_size=min_size, jump=1).fit(signal).predict(pen=pen)
    return [int(e) for e in ends if e < n]


class _Series(Protocol):
    def series(self, suite: str, case_id: str, baseline: str, metric: str, *,
               limit: int | None = None) -> list[Any]: ...


def changepoint_view(history: _Series, key: tuple[str, str, str, str], *, limit: int | None = None,
                     penalty: float | None = None) -> dict[str, Any]:
    """The shifts in one metric's history, each named by the run where it began.

    Args:
        history: anything with ``series(suite, case_id, baseline, metric, limit=...)`` returning
            points with ``run_id``, ``created`` and ``value`` (``harness.store.history.History``).
        key: (suite, case_id, baseline kind, metric).
        limit: only the last ``limit`` runs.
        penalty: see :func:`change_points`.

    Returns:
        ``{"key", "points", "shifts": [{"index", "run_id", "created", "before", "after", "change"}]}``,
        where ``before``/``after`` are the means of the segments on either side.
    """
    points = [p for p in history.series(*key, limit=limit) if p.value is not None and math.isfinite(p.value)]
    values = np.array([p.value for p in points], float)
    cps = change_points(values, penalty=penalty) if values.size else []
    bounds = [0, *cps, values.size]
    shifts = []
    for j, i in enumerate(cps):
        before = float(values[bounds[j]:i].mean())
        after = float(values[i:bounds[j + 2]].mean())
        shifts.append({"index": i, "run_id": points[i].run_id, "created": points[i].created,
                       "before": before, "after": after, "change": after - before})
    return {"key": list(key), "points": int(values.size), "shifts": shifts}
