"""Error mitigation, mitiq-style: one module per technique, all with the same signature.

Each technique module (:mod:`~harness.mitigation.raw`, :mod:`~harness.mitigation.readout`,
:mod:`~harness.mitigation.zne`) has ``execute(device, circuit, shots, score, settings, rng) ->
MitigationOutcome`` in two steps: run the circuits it needs as one batch, then combine their
counts into metrics. "raw" (no mitigation) is a technique like the others, so raw versus
mitigated is a comparison of equals: same scoring, same bootstrap.

``circuit`` may also be a list of circuits (a multi-circuit workload such as VQE measures one
circuit per Pauli basis): each is run, corrected and folded alike, and ``score`` then receives
one distribution per circuit, in order. All circuits go to the device as one batch.

Standard errors come from a bootstrap of the whole combine step: every executed circuit's counts
are resampled (multinomial, same shots) ``settings.bootstrap`` times and the pipeline re-run, with
no re-execution. They therefore include what mitigation does to shot noise (readout inversion
and extrapolation both amplify it). All resamples of a circuit are drawn at once, as a matrix,
and turned into distributions at once (readout correction of the whole matrix is a few array
operations); only the workload's ``score`` runs once per resample, on a plain dict as always.

Example:
    >>> outcome = mitigate(device, circuit, 4000, score, MitigationSettings(readout=True), rng)  # doctest: +SKIP
    >>> outcome.metrics["success_probability"].value  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from harness.records import Metric

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import MitigationSettings

__all__ = [
    "MitigationOutcome",
    "Score",
    "as_circuits",
    "bootstrap_stderr",
    "joint_score",
    "mitigate",
    "probabilities",
    "probabilities_many",
    "resample",
    "resample_many",
    "values_of",
    "with_values",
]

Score = Callable[[Any, int], "dict[str, Metric]"]
"""A workload's pure scoring of an output distribution, or of a list of them (see ``Workload.score``)."""
JointScore = Callable[[Sequence[Mapping[str, float]], int], "dict[str, Metric]"]
Distributions = Callable[[int, Sequence[str], np.ndarray], "list[dict[str, float]]"]
"""``(i, keys, draws) -> one distribution per row``: circuit ``i``'s resampled counts (a repeats x keys matrix)."""


def as_circuits(circuit: "QuantumCircuit | Sequence[QuantumCircuit]") -> tuple[list["QuantumCircuit"], bool]:
    """``circuit`` as a list, and whether it came as a sequence (then ``score`` takes a list)."""
    if isinstance(circuit, (list, tuple)):
        if not circuit:
            raise ValueError("mitigation needs at least one circuit")
        return list(circuit), True
    return [circuit], False


def joint_score(score: Score, multi: bool) -> JointScore:
    """``score`` as a function of a list of distributions, whichever form the workload takes."""
    if multi:
        return score
    return lambda probs, shots: score(probs[0], shots)


@dataclass(frozen=True)
class MitigationOutcome:
    """What a technique produced.

    Attributes:
        metrics: the (mitigated) metrics, with the score's kind, n and unit and a bootstrap stderr.
        resources: circuits, shots and jobs spent, and the extra ones beyond a single raw run.
        details: JSON-able description (technique, readout on/off, per-scale values, ...).
    """

    metrics: dict[str, Metric]
    resources: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def mitigate(
    device: "Device",
    circuit: "QuantumCircuit | Sequence[QuantumCircuit]",
    shots: int,
    score: Score,
    settings: "MitigationSettings",
    rng: np.random.Generator,
) -> MitigationOutcome:
    """Run ``circuit`` on ``device`` with the mitigation ``settings`` ask for and score it.

    ZNE if ``settings.zne`` is set (with readout correction of every noise-scaled distribution
    when ``settings.readout``), else readout correction alone if ``settings.readout``, else raw.

    Args:
        device: where to run; readout needs ``device.confusion_matrices``.
        circuit: the final logical circuit, bound and measured; or a list of them.
        shots: shots per executed circuit.
        score: the workload's pure scoring of a distribution (of a list of them for a list).
        settings: the suite's ``hardware.mitigation`` block.
        rng: drives the bootstrap (and random gate folding).
    """
    if settings.zne is not None:
        from harness.mitigation.zne import execute
    elif settings.readout:
        from harness.mitigation.readout import execute
    else:
        from harness.mitigation.raw import execute
    return execute(device, circuit, shots, score, settings, rng)


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
    to_dists = distributions or (lambda i, keys, draws: probabilities_many(keys, draws))
    per_circuit = [to_dists(i, *resample_many(c, repeats, rng)) for i, c in enumerate(counts)]
    draws: dict[str, list[float]] = {}
    for dists in zip(*per_circuit):  # one resample: a distribution per circuit
        for name, v in estimate(list(dists)).items():
            draws.setdefault(name, []).append(float(v))
    out: dict[str, float | None] = {}
    for name, vs in draws.items():
        arr = np.asarray(vs)
        arr = arr[np.isfinite(arr)]
        out[name] = float(np.std(arr, ddof=1)) if arr.size >= 2 else None
    return out


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
