"""No mitigation: the circuits' own counts (the hybrid loop's, when given), scored by the same path
as every technique, with the same bootstrap. Raw is the empty stack.

Example:
    >>> outcome = execute(device, circuit, 4000, score, MitigationSettings(), rng)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from harness.mitigation.base import MitigationOutcome, Score, Technique

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.suite.schema import MitigationSettings

__all__ = ["Raw", "execute"]


class Raw(Technique):
    """The empty stack, listed so that raw is a technique like the others: one run, nothing changed."""

    name = "raw"
    field = ""

    def enabled(self, settings: "MitigationSettings") -> bool:
        return False  # never part of a stack: a stack without techniques *is* raw


def execute(
    device: Any,
    circuit: "QuantumCircuit | Sequence[QuantumCircuit]",
    shots: int,
    score: Score,
    settings: "MitigationSettings",
    rng: np.random.Generator,
    *,
    counts: Sequence[Mapping[str, int]] | None = None,
) -> MitigationOutcome:
    """Score ``circuit`` (or each of a list, in one batch) without mitigation; bootstrap stderr.

    ``counts`` (one mapping per circuit) are counts the caller already has for exactly these
    circuits on this device, e.g. the hybrid loop's final execution: they are scored instead of
    running the circuits again. Any technique in ``settings`` is ignored.
    """
    from harness.mitigation.pipeline import run_stack
    from harness.suite.schema import MitigationSettings

    return run_stack(device, circuit, shots, score, MitigationSettings(bootstrap=settings.bootstrap), rng,
                     counts=counts)
