"""Zero-noise extrapolation with mitiq: fold, run all scale factors as one batch, extrapolate.

The folds must survive compilation. An optimising transpiler cancels ``U U^-1 U`` back to ``U``
(level 1 already removes adjacent CX pairs), so when the device offers it we fold the device's
transpiled circuit (its physical qubits and basis) and run the folds with ``sample_transpiled``,
which only translates gates (``translate_physical``: optimisation level 0, identity layout).
Scale factor 1 is then exactly the circuit the raw result ran, and two-qubit gate counts grow
with the scale (recorded in ``details["zne"]["two_qubit_gates"]``). A device without those
methods gets logical folds through ``sample_batch``, and the details say so.

Each metric is extrapolated on its own with mitiq's ``RichardsonFactory.extrapolate`` or
``LinearFactory.extrapolate``. With ``settings.readout`` every scaled distribution is
readout-corrected first (folding does not scale readout error, so ZNE alone cannot remove it).
A list of circuits (one per measurement basis) is folded circuit by circuit; the score of all of
them at one scale factor is one point of the extrapolation.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from harness.executors.aer import two_qubit_gate_count
from harness.executors.base import PhysicalCircuits, supports
from harness.mitigation import (
    MitigationOutcome,
    Score,
    as_circuits,
    bootstrap_stderr,
    joint_score,
    probabilities_many,
    values_of,
    with_values,
)
from harness.mitigation.readout import correct_many, inverse_matrices

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import MitigationSettings, ZNESettings

__all__ = ["execute", "extrapolate", "extrapolation_weights", "fold"]


@lru_cache(maxsize=64)
def extrapolation_weights(scale_factors: tuple[float, ...], method: str) -> tuple[float, ...]:
    """Weights ``w`` with zero-noise limit ``sum(w * values)``, for ``method`` at ``scale_factors``.

    Richardson and linear (least-squares) extrapolation are both linear in the measured values once
    the scale factors are fixed, so the bootstrap, which extrapolates hundreds of resamples, pays for
    the fit once. The weights are mitiq's own: each is mitiq's extrapolation of a unit vector.
    """
    import warnings

    from mitiq.zne.inference import LinearFactory, RichardsonFactory

    factories = {"richardson": RichardsonFactory, "linear": LinearFactory}
    if method not in factories:
        raise ValueError(f"unknown extrapolation {method!r}; use 'richardson' or 'linear'")
    with warnings.catch_warnings():
        # mitiq warns when a fit has as many points as parameters: Richardson is exactly that
        warnings.simplefilter("ignore")
        return tuple(float(factories[method].extrapolate(list(scale_factors), list(unit)))
                     for unit in np.eye(len(scale_factors)))


def extrapolate(scale_factors: Sequence[float], values: Sequence[float], method: str) -> float:
    """The zero-noise limit of ``values`` measured at ``scale_factors`` (see :func:`extrapolation_weights`)."""
    weights = extrapolation_weights(tuple(float(x) for x in scale_factors), method)
    return float(np.dot(weights, np.asarray(values, float)))


def fold(circuit: "QuantumCircuit", scale: float, folding: str, rng: np.random.Generator) -> "QuantumCircuit":
    """``circuit`` with its noise scaled by ``scale`` through mitiq's unitary folding."""
    if scale == 1:
        return circuit
    from mitiq.zne.scaling import fold_gates_at_random, fold_global

    if folding == "global":
        return fold_global(circuit, scale)
    if folding == "gates_at_random":
        return fold_gates_at_random(circuit, scale, seed=int(rng.integers(2**31)))
    raise ValueError(f"unknown folding {folding!r}; use 'global' or 'gates_at_random'")


def _scaled_counts(
    device: "Device", circuits: Sequence["QuantumCircuit"], shots: int, zne: "ZNESettings",
    rng: np.random.Generator,
) -> tuple[list[list[Mapping[str, int]]], dict[str, Any]]:
    """Counts per scale factor, per circuit (``[scale][circuit]``), from one batch of every fold."""
    physical = supports(device, PhysicalCircuits)
    bases = [device.transpile(c) for c in circuits] if physical else list(circuits)
    folded = [fold(b, s, zne.folding, rng) for s in zne.scale_factors for b in bases]
    if physical:
        flat = device.sample_transpiled(folded, shots)
        ran = [device.translate_physical(c) for c in folded]  # cached: what actually ran
        level = "physical (folds of the transpiled circuit, run at optimization level 0)"
    else:
        flat = device.sample_batch(folded, shots)
        ran = folded
        level = "logical (the device's transpiler may cancel folds)"
    m = len(circuits)
    counts = [list(flat[i * m:(i + 1) * m]) for i in range(len(zne.scale_factors))]
    gates = [two_qubit_gate_count(c) for c in ran]
    # one count per scale for a single circuit (as before), the per-circuit list otherwise
    per_scale = [gates[i * m:(i + 1) * m] for i in range(len(zne.scale_factors))]
    return counts, {"folding_level": level,
                    "two_qubit_gates": [g[0] for g in per_scale] if m == 1 else per_scale}


def execute(
    device: "Device",
    circuit: "QuantumCircuit | Sequence[QuantumCircuit]",
    shots: int,
    score: Score,
    settings: "MitigationSettings",
    rng: np.random.Generator,
) -> MitigationOutcome:
    """Fold (each circuit), run every scale factor in one batch, (readout-correct,) score, extrapolate."""
    zne = settings.zne
    if zne is None:
        raise ValueError("zne.execute needs settings.zne")
    circuits, multi = as_circuits(circuit)
    scored = joint_score(score, multi)
    scales = [float(s) for s in zne.scale_factors]
    inverses = [inverse_matrices(device, c) for c in circuits] if settings.readout else None
    nested, fold_info = _scaled_counts(device, circuits, shots, zne, rng)
    m, k = len(circuits), len(scales)

    def distributions(i: int, keys: Sequence[str], draws: np.ndarray) -> list[dict[str, float]]:
        """Circuit ``i`` (scale-major: ``i % m`` is the logical circuit) for each row of counts."""
        if inverses is None:
            return probabilities_many(keys, draws)
        return correct_many(keys, draws, inverses[i % m])

    def per_scale(flat: Sequence[Mapping[str, float]]) -> dict[str, list[float]]:
        table: dict[str, list[float]] = {}
        for j in range(k):
            for name, v in values_of(scored(flat[j * m:(j + 1) * m], shots)).items():
                table.setdefault(name, []).append(v)
        return table

    def estimate(flat: Sequence[Mapping[str, float]]) -> dict[str, float]:
        return {name: extrapolate(scales, vs, zne.extrapolation) for name, vs in per_scale(flat).items()}

    counts = [c for row in nested for c in row]  # scale-major: bootstrap resamples every one
    dists = [distributions(i, list(c), np.array([list(c.values())]))[0] for i, c in enumerate(counts)]
    point = scored(dists[:m], shots)
    table = per_scale(dists)
    values = estimate(dists)
    stderr = bootstrap_stderr(estimate, counts, settings.bootstrap, rng, distributions)
    return MitigationOutcome(
        metrics=with_values(point, values, stderr),
        resources={
            "circuits": k * m, "shots": int(shots) * k * m, "jobs": 1,
            "extra_circuits": (k - 1) * m, "extra_shots": int(shots) * (k - 1) * m,
        },
        details={
            "technique": "zne",
            "readout": bool(settings.readout),
            "zne": {
                "scale_factors": scales,
                "extrapolation": zne.extrapolation,
                "folding": zne.folding,
                **fold_info,
                "values": table,
                "extrapolated": values,
            },
            "bootstrap": settings.bootstrap,
            "counts": [[dict(c) for c in row] for row in nested] if multi else [dict(row[0]) for row in nested],
        },
    )
