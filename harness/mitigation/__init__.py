"""Error mitigation, mitiq-style: one object per technique, all with the same verbs.

Each technique (:mod:`~harness.mitigation.zne`, :mod:`~harness.mitigation.readout`, ...) is a
:class:`~harness.mitigation.base.Technique` listed in :mod:`~harness.mitigation.registry`: it
declares how it expands circuits, how it combines their results, its cost in circuits and shots
and its variance amplification. The settings pick a stack (say readout correction under ZNE);
:mod:`~harness.mitigation.pipeline` runs it: expand, execute as one batch per shot count, combine,
bootstrap. Raw (no mitigation) is the empty stack, so raw versus mitigated is a comparison of
equals: same scoring, same bootstrap.

``circuit`` may also be a list of circuits (a multi-circuit workload such as VQE measures one
circuit per Pauli basis): each is run, corrected and folded alike, and ``score`` then receives
one distribution per circuit, in order.

Example:
    >>> outcome = mitigate(device, circuit, 4000, score, MitigationSettings(readout=True), rng)  # doctest: +SKIP
    >>> outcome.metrics["success_probability"].value  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from harness.mitigation.base import MitigationOutcome, Score, as_circuits, joint_score
from harness.mitigation.bootstrap import (
    bootstrap_stderr,
    probabilities,
    probabilities_many,
    resample,
    resample_many,
    values_of,
    with_values,
)

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.suite.schema import MitigationSettings

__all__ = [
    "MitigationOutcome",
    "Score",
    "as_circuits",
    "bootstrap_stderr",
    "joint_score",
    "execute_raw",
    "mitigate",
    "probabilities",
    "probabilities_many",
    "resample",
    "resample_many",
    "values_of",
    "with_values",
]


def mitigate(
    device: Any,
    circuit: "QuantumCircuit | Sequence[QuantumCircuit]",
    shots: int,
    score: Score,
    settings: "MitigationSettings",
    rng: np.random.Generator,
    counts: Sequence[Mapping[str, int]] | None = None,
    *,
    pair_seed: int | None = None,
    ideal: Mapping[str, float] | None = None,
) -> MitigationOutcome:
    """Run the mitigation stack ``settings`` configure on ``circuit`` and score it.

    Args:
        device: where to run (the tier's guarded device); readout and ZNE need a hardware device.
        circuit: the final logical circuit, bound and measured; or a list of them.
        shots: shots per circuit.
        score: the workload's pure scoring of a distribution (of a list of them for a list).
        settings: the suite's ``hardware.mitigation`` block (no technique: raw).
        rng: drives the bootstrap, random folding and twirls.
        counts: counts the caller already has for exactly these circuits (one mapping per
            circuit: the hybrid loop's final execution). A stack that needs the unmodified
            circuit uses them instead of running it again; raw then submits no job at all.
        pair_seed: set when strategies are compared (the same for all of them, raw included): the
            reused ``counts`` are resampled alike in every strategy's bootstrap, so differences are
            paired, and the details keep the bootstrap values (``bootstrap_draws``).
        ideal: the exact ideal metric values (:func:`harness.mitigation.ideal.ideal_values`); with
            ``pair_seed`` the details give each metric's error against it (``error``).
    """
    from harness.mitigation.pipeline import run_stack

    return run_stack(device, circuit, shots, score, settings, rng, counts=counts, pair_seed=pair_seed, ideal=ideal)


def execute_raw(
    device: Any,
    circuit: "QuantumCircuit | Sequence[QuantumCircuit]",
    shots: int,
    score: Score,
    settings: "MitigationSettings",
    rng: np.random.Generator,
    *,
    counts: Sequence[Mapping[str, int]] | None = None,
    pair_seed: int | None = None,
    ideal: Mapping[str, float] | None = None,
) -> MitigationOutcome:
    """Score ``circuit`` (or each of a list, in one batch) without mitigation; bootstrap stderr.

    ``counts`` (one mapping per circuit) are counts the caller already has for exactly these
    circuits on this device, e.g. the hybrid loop's final execution: they are scored instead of
    running the circuits again. Any technique in ``settings`` is ignored (only its bootstrap size is kept).
    ``pair_seed`` and ``ideal``: as for :func:`mitigate` (raw is then paired with the strategies).
    """
    from harness.mitigation.pipeline import run_stack
    from harness.suite.schema import MitigationSettings

    return run_stack(device, circuit, shots, score, MitigationSettings(bootstrap=settings.bootstrap), rng,
                     counts=counts, pair_seed=pair_seed, ideal=ideal)
