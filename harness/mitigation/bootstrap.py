"""Resampling helpers shared by every technique: counts as distributions, multinomial resamples,
and the bootstrap standard error of a whole mitigation pipeline.

All resamples of a circuit are drawn at once, as a ``(repeats, keys)`` matrix, and turned into
distributions at once. :func:`bootstrap_draws` then runs the workload's ``score`` once per
resample, on a plain dict; :func:`bootstrap_draws_many` keeps the resamples as matrices to the
end, for a score written as a vectorised function of an outcome histogram
(:class:`~harness.mitigation.base.HistogramScore`): the same draws, the same values.
This module imports nothing else from :mod:`harness.mitigation`, so techniques and the package
both import it without a cycle.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from harness.records import Metric

__all__ = [
    "Distributions",
    "bootstrap_draws",
    "bootstrap_draws_many",
    "bootstrap_stderr",
    "probabilities",
    "probabilities_many",
    "resample",
    "resample_many",
    "stderr_of",
    "values_of",
    "with_values",
]

Distributions = Callable[[int, Sequence[str], np.ndarray], "list[dict[str, float]]"]
"""``(i, keys, draws) -> one distribution per row``: circuit ``i``'s resampled counts (a repeats x keys matrix)."""
Histograms = Callable[[int, Sequence[str], np.ndarray], "tuple[Sequence[str], np.ndarray]"]
"""``(i, keys, draws) -> (outcomes, probs)``: the rows of :data:`Distributions` as one ``(repeats, outcomes)`` matrix."""


def probabilities(counts: Mapping[str, int]) -> dict[str, float]:
    """Counts as a probability distribution (same keys)."""
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items() if v}


def resample(counts: Mapping[str, int], rng: np.random.Generator) -> dict[str, int]:
    """A multinomial resample of ``counts`` with the same number of shots."""
    keys, draws = resample_many(counts, 1, rng)
    return {k: int(c) for k, c in zip(keys, draws[0]) if c}


def resample_many(counts: Mapping[str, int], repeats: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """``repeats`` multinomial resamples of ``counts`` (same shots) in one draw.

    Returns:
        The keys of ``counts`` and a ``(repeats, len(keys))`` integer matrix: row ``r`` is resample ``r``.
    """
    keys = list(counts)
    n = np.fromiter((counts[k] for k in keys), dtype=float, count=len(keys))
    return keys, rng.multinomial(int(n.sum()), n / n.sum(), size=int(repeats))


def probabilities_many(keys: Sequence[str], draws: np.ndarray) -> list[dict[str, float]]:
    """:func:`probabilities` of each row of a counts matrix over ``keys`` (as from :func:`resample_many`)."""
    draws = np.asarray(draws)
    freqs = draws / draws.sum(axis=1, keepdims=True)
    out = []
    for row, freq in zip(draws, freqs):
        seen = np.flatnonzero(row).tolist()
        out.append(dict(zip(map(keys.__getitem__, seen), freq[seen].tolist())))
    return out


def bootstrap_draws(
    estimate: Callable[[Sequence[Mapping[str, float]]], Mapping[str, float]],
    counts: Sequence[Mapping[str, int]],
    repeats: int,
    rng: np.random.Generator,
    distributions: Distributions | None = None,
    rngs: Sequence[np.random.Generator | None] | None = None,
) -> dict[str, np.ndarray]:
    """Every bootstrap value of each value of ``estimate``, resample by resample (see :func:`bootstrap_stderr`).

    ``rngs`` (one per counts mapping, None for ``rng``) draws a mapping's resamples from its own
    generator: two pipelines that share a mapping (the hybrid loop's counts) and give it the same
    seeded generator see the same resamples of it, so their draws are paired resample by resample.
    """
    to_dists = distributions or (lambda i, keys, draws: probabilities_many(keys, draws))
    gens = list(rngs) if rngs is not None else [None] * len(counts)
    per_circuit = [to_dists(i, *resample_many(c, repeats, gens[i] or rng)) for i, c in enumerate(counts)]
    draws: dict[str, list[float]] = {}
    for dists in zip(*per_circuit):  # one resample: a distribution per circuit
        for name, v in estimate(list(dists)).items():
            draws.setdefault(name, []).append(float(v))
    return {name: np.asarray(vs, dtype=float) for name, vs in draws.items()}


def bootstrap_draws_many(
    estimate: Callable[[Sequence[tuple[Sequence[str], np.ndarray]]], Mapping[str, np.ndarray]],
    counts: Sequence[Mapping[str, int]],
    repeats: int,
    rng: np.random.Generator,
    histograms: Histograms | None = None,
    rngs: Sequence[np.random.Generator | None] | None = None,
) -> dict[str, np.ndarray]:
    """:func:`bootstrap_draws` with every resample at once: the same generators drawn in the same
    order, each circuit's resamples kept as one ``(outcomes, (repeats, outcomes) matrix)`` pair
    (default: their frequencies), and ``estimate`` mapping those pairs, one per circuit in order,
    to ``{name: one value per resample}``."""
    to_hist = histograms or (lambda i, keys, draws: (keys, draws / draws.sum(axis=1, keepdims=True)))
    gens = list(rngs) if rngs is not None else [None] * len(counts)
    per_circuit = [to_hist(i, *resample_many(c, repeats, gens[i] or rng)) for i, c in enumerate(counts)]
    return {name: np.asarray(v, dtype=float).reshape(-1) for name, v in estimate(per_circuit).items()}


def stderr_of(draws: Mapping[str, np.ndarray]) -> dict[str, float | None]:
    """The standard deviation of each metric's finite bootstrap values; None below two."""
    out: dict[str, float | None] = {}
    for name, arr in draws.items():
        arr = arr[np.isfinite(arr)]
        out[name] = float(np.std(arr, ddof=1)) if arr.size >= 2 else None
    return out


def bootstrap_stderr(
    estimate: Callable[[Sequence[Mapping[str, float]]], Mapping[str, float]],
    counts: Sequence[Mapping[str, int]],
    repeats: int,
    rng: np.random.Generator,
    distributions: Distributions | None = None,
) -> dict[str, float | None]:
    """Standard error of each value of ``estimate`` by resampling every counts mapping.

    Each of ``counts`` (one per executed circuit) is resampled ``repeats`` times in one draw;
    ``distributions(i, keys, draws)`` turns circuit ``i``'s matrix of resampled counts into one
    distribution per resample (default: their frequencies, :func:`probabilities_many`), and
    ``estimate`` maps one resample's distributions, one per circuit in order, to its values.

    Returns:
        ``{name: stderr}``; None for a metric with fewer than two finite bootstrap values.
    """
    return stderr_of(bootstrap_draws(estimate, counts, repeats, rng, distributions))


def with_values(
    template: Mapping[str, Metric], values: Mapping[str, float], stderr: Mapping[str, float | None]
) -> dict[str, Metric]:
    """Metrics with ``template``'s kind, n and unit and the given values and standard errors."""
    return {
        name: Metric(value=float(values[name]), kind=m.kind, stderr=stderr.get(name), n=m.n, unit=m.unit)
        for name, m in template.items()
    }


def values_of(metrics: Mapping[str, Metric]) -> dict[str, float]:
    """``{name: value}`` of a score's metrics."""
    return {name: float(m.value) for name, m in metrics.items()}
