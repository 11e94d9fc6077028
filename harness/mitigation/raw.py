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
    bootstrap_stderr,
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
    circuit: "QuantumCircuit",
    shots: int,
    score: Score,
    settings: "MitigationSettings",
    rng: np.random.Generator,
) -> MitigationOutcome:
    """Run ``circuit`` once and score its counts; stderr by the same bootstrap as the others."""
    (counts,) = device.sample_batch([circuit], shots)
    point = score(probabilities(counts), shots)

    def estimate(cs: Sequence[Mapping[str, int]]) -> dict[str, float]:
        return values_of(score(probabilities(cs[0]), shots))

    stderr = bootstrap_stderr(estimate, [counts], settings.bootstrap, rng)
    return MitigationOutcome(
        metrics=with_values(point, values_of(point), stderr),
        resources={"circuits": 1, "shots": int(shots), "jobs": 1, "extra_circuits": 0, "extra_shots": 0},
        details={
            "technique": "raw",
            "readout": False,
            "zne": None,
            "bootstrap": settings.bootstrap,
            "counts": dict(counts),
        },
    )
