"""No mitigation: one execution, scored by the same path as the mitigated techniques.

Example:
    >>> outcome = execute(device, circuit, 4000, score, MitigationSettings(), rng)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from harness.mitigation import (
    MitigationOutcome,
    Score,
    as_circuits,
    bootstrap_stderr,
    joint_score,
    probabilities,
    values_of,
    with_values,
)

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import MitigationSettings

__all__ = ["execute"]


def execute(
    device: "Device",
    circuit: "QuantumCircuit | Sequence[QuantumCircuit]",
    shots: int,
    score: Score,
    settings: "MitigationSettings",
    rng: np.random.Generator,
    *,
    counts: Sequence[Mapping[str, int]] | None = None,
) -> MitigationOutcome:
    """Run ``circuit`` (or each of a list, in one batch) once and score the counts; bootstrap stderr.

    ``counts`` (one mapping per circuit) are counts the caller already has for exactly these
    circuits on this device, e.g. the hybrid loop's final execution: they are scored instead of
    running the circuits again.
    """
    circuits, multi = as_circuits(circuit)
    scored = joint_score(score, multi)
    executed = counts is None
    if counts is None:
        counts = device.sample_batch(circuits, shots)
    elif len(counts) != len(circuits):
        raise ValueError(f"{len(counts)} counts given for {len(circuits)} circuits")
    point = scored([probabilities(c) for c in counts], shots)

    def estimate(dists: Sequence[Mapping[str, float]]) -> dict[str, float]:
        return values_of(scored(dists, shots))

    stderr = bootstrap_stderr(estimate, counts, settings.bootstrap, rng)
    m = len(circuits)
    return MitigationOutcome(
        metrics=with_values(point, values_of(point), stderr),
        resources={"circuits": m if executed else 0, "shots": int(shots) * m if executed else 0,
                   "jobs": int(executed), "extra_circuits": 0, "extra_shots": 0},
        details={
            "technique": "raw",
            "reused_counts": not executed,
            "readout": False,
            "zne": None,
            "bootstrap": settings.bootstrap,
            "counts": [dict(c) for c in counts] if multi else dict(counts[0]),
        },
    )
