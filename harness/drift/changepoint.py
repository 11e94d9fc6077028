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

Speed: a report asks for thousands of series at once (:func:`change_points_many`). Most are
steady, and a bound on what any segmentation could gain (:func:`_cannot_change`, a few array
operations over all series together) proves for most of them that PELT would find nothing, so
only the rest are segmented. The screen only ever skips a segmentation whose answer is "none":
the change points are the same as without it.

``ruptures`` is imported when a change point is asked for (``pip install ruptures``).
"""

from __future__ import annotations

import math
from typing import Any, Protocol, Sequence

import numpy as np
from scipy import ndimage

from harness.errors import UnsupportedError

__all__ = ["MIN_SIZE", "PENALTY_FACTOR", "change_points", "change_points_many", "changepoint_view", "shifts"]

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


def _noise_scales(rows: np.ndarray) -> np.ndarray:
    """:func:`_noise_scale` of each row (the screen's; the segmentation uses :func:`_noise_scale` itself)."""
    d = np.abs(np.diff(rows, axis=1))
    scale = np.median(d, axis=1) / (0.6745 * math.sqrt(2.0))
    zero = scale <= 0
    if zero.any():
        scale[zero] = np.std(d[zero], axis=1) / math.sqrt(2.0)
    return scale


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
    return change_points_many([values], penalty=penalty, min_size=min_size)[0]


def change_points_many(series: Sequence[Sequence[float]], *, penalty: float | None = None,
                       min_size: int = MIN_SIZE) -> list[list[int]]:
    """:func:`change_points` of each series, the same indices, faster for many series at once.

    Series of equal length are screened together (:func:`_cannot_change`): one that provably has
    no change point under the penalty skips the segmentation. A report's thousands of steady
    metrics cost a few array operations instead of one PELT each.

    Raises:
        UnsupportedError: ``ruptures`` is not installed and some series is long enough and not
            constant (exactly when :func:`change_points` of that series would raise).
        ValueError: a series has non-finite values.
    """
    xs = [np.asarray(v, float).ravel() for v in series]
    if any(not np.all(np.isfinite(x)) for x in xs):
        raise ValueError("change_points needs finite values; drop missing runs first")
    out: list[list[int]] = [[] for _ in xs]
    by_length: dict[int, list[int]] = {}
    for i, x in enumerate(xs):
        if x.size >= 2 * min_size:
            by_length.setdefault(x.size, []).append(i)
    todo: list[int] = []  # series left for the segmentation
    needs_ruptures = False
    for n, idx in by_length.items():
        raw = np.stack([xs[i] for i in idx])
        scales = _noise_scales(raw)
        live = np.flatnonzero(scales > 0.0)  # zero: every difference is zero, a constant series
        if not live.size:
            continue
        needs_ruptures = True
        pen = PENALTY_FACTOR * math.log(n) if penalty is None else float(penalty)
        raw, scales = raw[live], scales[live]
        centred = ndimage.median_filter(raw, size=(1, 3), mode="nearest") - np.median(raw, axis=1, keepdims=True)
        flat = _cannot_change(centred / scales[:, None], pen, min_size)
        todo += [idx[j] for j in live[~flat].tolist()]
    if needs_ruptures:
        # Asked for even when the screen settled every series: a missing package is reported
        # whatever the data, as it always was.
        ruptures = _ruptures()
        for i in todo:
            out[i] = _segment(ruptures, xs[i], penalty, min_size)
    return out


def _ruptures() -> Any:
    try:
        import ruptures
    except ImportError:
        raise UnsupportedError("the change-point view needs the 'ruptures' package",
                               hint="pip install ruptures") from None
    return ruptures


def _signal(x: np.ndarray, scale: float) -> np.ndarray:
    """What is segmented: a running median of 3 (one-night spikes go, step edges stay), centred, in noise units."""
    return (ndimage.median_filter(x, size=3, mode="nearest") - np.median(x)) / scale


def _segment(ruptures: Any, x: np.ndarray, penalty: float | None, min_size: int) -> list[int]:
    n, scale = x.size, _noise_scale(x)
    pen = PENALTY_FACTOR * math.log(n) if penalty is None else float(penalty)
    # KernelCPD with a linear kernel is PELT with the least-squares cost, in ruptures' C code:
    # about 1000x faster than Pelt(model="l2") on a year of nights, with the same change points.
    # jump=1: every index is a candidate (the default 5 would round locations to multiples of 5).
    algo = ruptures.KernelCPD(kernel="linear", min_size=min_size, jump=1)
    ends = algo.fit(_signal(x, scale).reshape(-1, 1)).predict(pen=pen)
    return [int(e) for e in ends if e < n]


_SCREEN_EXACT = 8
"""Segment lengths up to which the screen's bound is exact; longer ones are bounded in bands."""

_SCREEN_BAND = 1.25
"""Ratio of the longest to the shortest length in one band of the screen's bound (tighter: more bands)."""

_SCREEN_MARGIN = 1e-6
"""Relative slack of the screen against rounding: a series within it of the penalty is segmented."""


def _cannot_change(signal: np.ndarray, pen: float, min_size: int) -> np.ndarray:
    """For each row of ``signal`` (B x n), whether PELT provably finds no change under ``pen``.

    Why it is exact: a segmentation with k changes lowers the squared-error cost by its
    between-segment sum of squares, sum_j (C[b_j] - C[a_j])^2 / (b_j - a_j) over its segments,
    where C is the cumulative sum of the centred signal (C[0] = C[n] = 0); PELT adds a change
    only when that exceeds k * pen. With S1 the best single split, E the largest term of a
    segment touching either end and M (a bound on) the largest term of any segment:
    k = 1 gains at most S1, and k >= 2 at most 2E + (k - 1)M = (2E + M) + (k - 2)M. So if
    S1 < pen, M < pen and 2E + M < 2 pen, no k pays for itself and the answer is "no change".
    M is exact for segments up to :data:`_SCREEN_EXACT` long; for lengths in a band [L0, L1]
    it uses the range of C over the possible ends (a sparse table of window maxima) over L0.
    """
    n_rows, n = signal.shape
    lim = pen * (1.0 - _SCREEN_MARGIN)
    c = np.zeros((n_rows, n + 1))
    np.cumsum(signal - signal.mean(axis=1, keepdims=True), axis=1, out=c[:, 1:])
    t = np.arange(min_size, n - min_size + 1)
    ct2 = c[:, t] ** 2
    single = (ct2 * (n / (t * (n - t)))).max(axis=1)
    ends = np.maximum(ct2 / t, ct2 / (n - t)).max(axis=1)
    ok = (single < lim) & (ends < lim)
    rows = np.flatnonzero(ok)
    c, ends = c[rows], ends[rows]
    inner = np.zeros(rows.size)
    for length in range(min_size, min(_SCREEN_EXACT, n) + 1):
        inner = np.maximum(inner, ((c[:, length:] - c[:, :-length]) ** 2).max(axis=1) / length)
    bands, first = [], _SCREEN_EXACT + 1
    while first <= n:
        last = min(n, max(first, int(first * _SCREEN_BAND)))
        bands.append((first, last - first + 1))
        first = last + 1
    if bands:
        # Sparse tables: hi[k][:, i] = max(c[:, i:i + 2**k]), over c padded with its last value.
        widest = max(w for _, w in bands)
        padded = np.concatenate([c, np.repeat(c[:, -1:], widest, axis=1)], axis=1)
        hi, lo = [padded], [padded]
        while 2 ** len(hi) <= widest:
            h = 2 ** (len(hi) - 1)
            hi.append(np.maximum(hi[-1][:, :-h], hi[-1][:, h:]))
            lo.append(np.minimum(lo[-1][:, :-h], lo[-1][:, h:]))
    for first, w in bands:
        # Segments [a, b) with first <= b - a < first + w: b lies in the window [a + first, a + first + w).
        k = w.bit_length() - 1
        head, tail = slice(first, n + 1), slice(first + w - 2 ** k, n + 1 + w - 2 ** k)
        top = np.maximum(hi[k][:, head], hi[k][:, tail])
        bottom = np.minimum(lo[k][:, head], lo[k][:, tail])
        ca = c[:, : n + 1 - first]  # a = 0 .. n - first
        inner = np.maximum(inner, (np.maximum(top - ca, ca - bottom) ** 2).max(axis=1) / first)
    ok[rows] = (inner < lim) & (2.0 * ends + inner < 2.0 * lim)
    return ok


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
    return {"key": list(key), "points": int(values.size),
            "shifts": shifts(values, cps, [p.run_id for p in points], [p.created for p in points])}


def shifts(values: np.ndarray, cps: Sequence[int], run_ids: Sequence[str],
           created: Sequence[str]) -> list[dict[str, Any]]:
    """Each change point in words: ``{"index", "run_id", "created", "before", "after", "change"}``.

    ``values`` are the (finite) values segmented, ``cps`` their change points, ``run_ids`` and
    ``created`` name each value's run; ``before``/``after`` are the means of the segments on
    either side of the change.
    """
    bounds = [0, *cps, len(values)]
    out = []
    for j, i in enumerate(cps):
        before = float(values[bounds[j]:i].mean())
        after = float(values[i:bounds[j + 2]].mean())
        out.append({"index": i, "run_id": run_ids[i], "created": created[i],
                    "before": before, "after": after, "change": after - before})
    return out
