"""Readout error mitigation (mitiq REM's model) with the calibration's confusion matrices.

The readout errors of different qubits are taken as independent, so the full confusion matrix is
the tensor product of the per-clbit 2x2 matrices ``A[measured, prepared]`` (mitiq's
``generate_tensored_inverse_confusion_matrix`` convention). We apply each inverse to its own axis
of the probability tensor: the same linear map as mitiq's ``2^n x 2^n`` matrix, in ``n 2^n``
operations instead of ``4^n``. The result is a quasi-distribution; like mitiq's
``closest_positive_distribution`` we take the nearest distribution in Euclidean distance, but by
the exact sort-based projection onto the simplex rather than an iterative solver, and we keep the
distribution instead of resampling bitstrings from it (mitiq's ``mitigate_measurements`` does, which
adds shot noise and uses numpy's global random state).

The confusion matrices come from the device's calibration snapshot: no calibration circuits run.

:func:`correct_many` corrects a whole matrix of count vectors (the bootstrap's resamples) with the
same operations applied along a leading batch axis; :func:`correct` is its one-row case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from harness.errors import UnsupportedError
from harness.executors.base import ReadoutCalibrated, supports
from harness.mitigation import (
    MitigationOutcome,
    Score,
    as_circuits,
    bootstrap_stderr,
    joint_score,
    values_of,
    with_values,
)

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import MitigationSettings

__all__ = ["MAX_CLBITS", "correct", "correct_many", "execute", "inverse_matrices", "project_to_simplex"]

MAX_CLBITS = 16
"""Dense correction needs a 2^n probability vector; beyond this it is refused."""


def inverse_matrices(device: "Device", circuit: "QuantumCircuit") -> list[np.ndarray]:
    """Pseudo-inverses of the device's per-clbit confusion matrices (clbit 0 first)."""
    if not supports(device, ReadoutCalibrated):
        raise UnsupportedError(
            f"device {getattr(device, 'name', device)!r} has no readout calibration",
            hint="readout mitigation needs a hardware device (baselines.hardware); set readout: false",
        )
    if circuit.num_clbits > MAX_CLBITS:
        raise UnsupportedError(
            f"readout mitigation of {circuit.num_clbits} classical bits needs a 2^{circuit.num_clbits} vector",
            hint=f"measure at most {MAX_CLBITS} bits or set readout: false",
        )
    return [np.linalg.pinv(np.asarray(a, dtype=float)) for a in device.confusion_matrices(circuit)]


_BATCH_ENTRIES = 1 << 20
"""Largest batch of the dense correction, in matrix entries (8 MB of floats), whatever 2^n is."""


def project_to_simplex(v: np.ndarray) -> np.ndarray:
    """The probability vector nearest to ``v`` in Euclidean distance (exact; sort-based).

    A 2-D ``v`` is projected row by row.
    """
    v = np.asarray(v, dtype=float)
    rows = np.atleast_2d(v)
    u = -np.sort(-rows, axis=1)  # each row in decreasing order
    css = np.cumsum(u, axis=1) - 1.0
    j = np.arange(1, rows.shape[1] + 1)
    # rho: the last index where u - css / j > 0 (index 0 always qualifies: u0 - (u0 - 1) = 1)
    rho = rows.shape[1] - 1 - np.argmax((u - css / j > 0)[:, ::-1], axis=1)
    theta = css[np.arange(rows.shape[0]), rho] / (rho + 1)
    out = np.maximum(rows - theta[:, None], 0.0)
    return out.reshape(v.shape)


def correct(counts: Mapping[str, int], inverses: Sequence[np.ndarray]) -> dict[str, float]:
    """Readout-corrected distribution of ``counts`` (keys: qiskit order, clbit 0 rightmost)."""
    keys = list(counts)
    return correct_many(keys, np.array([[counts[k] for k in keys]]), inverses)[0]


def correct_many(keys: Sequence[str], draws: np.ndarray, inverses: Sequence[np.ndarray]) -> list[dict[str, float]]:
    """:func:`correct` of each row of a counts matrix over ``keys`` (as from ``resample_many``), batched."""
    n = len(inverses)
    draws = np.asarray(draws, dtype=float)
    # One-hot scatter of keys onto the 2^n outcomes (a matrix product: repeated keys add up).
    scatter = np.zeros((len(keys), 2**n))
    scatter[np.arange(len(keys)), [int(k, 2) for k in keys]] = 1.0
    names = [format(i, f"0{n}b") for i in range(2**n)]
    step = max(1, _BATCH_ENTRIES >> n)
    out: list[dict[str, float]] = []
    for start in range(0, draws.shape[0], step):
        block = draws[start:start + step]
        tensor = ((block / block.sum(axis=1, keepdims=True)) @ scatter).reshape((-1,) + (2,) * n)
        # axis k + 1 of the tensor is the k-th character of the key, i.e. clbit n-1-k (axis 0: the batch)
        for k in range(n):
            tensor = np.moveaxis(np.tensordot(inverses[n - 1 - k], tensor, axes=([1], [k + 1])), 0, k + 1)
        for probs in project_to_simplex(tensor.reshape(len(block), -1)):
            kept = np.flatnonzero(probs > 0).tolist()
            out.append(dict(zip(map(names.__getitem__, kept), probs[kept].tolist())))
    return out


def execute(
    device: "Device",
    circuit: "QuantumCircuit | Sequence[QuantumCircuit]",
    shots: int,
    score: Score,
    settings: "MitigationSettings",
    rng: np.random.Generator,
) -> MitigationOutcome:
    """Run ``circuit`` (or each of a list, in one batch) once, correct readout errors, score; bootstrap.

    Each circuit is corrected with the confusion matrices of the physical qubits it measures.
    """
    circuits, multi = as_circuits(circuit)
    scored = joint_score(score, multi)
    inverses = [inverse_matrices(device, c) for c in circuits]
    counts = device.sample_batch(circuits, shots)
    point = scored([correct(c, inv) for c, inv in zip(counts, inverses)], shots)

    def estimate(dists: Sequence[Mapping[str, float]]) -> dict[str, float]:
        return values_of(scored(dists, shots))

    def corrected(i: int, keys: Sequence[str], draws: np.ndarray) -> list[dict[str, float]]:
        return correct_many(keys, draws, inverses[i])

    stderr = bootstrap_stderr(estimate, counts, settings.bootstrap, rng, corrected)
    m = len(circuits)
    return MitigationOutcome(
        metrics=with_values(point, values_of(point), stderr),
        resources={"circuits": m, "shots": int(shots) * m, "jobs": 1, "extra_circuits": 0, "extra_shots": 0},
        details={
            "technique": "readout",
            "readout": True,
            "zne": None,
            "bootstrap": settings.bootstrap,
            "confusion_source": "calibration snapshot (no calibration circuits)",
            "inverse_method": "tensored per-clbit pseudo-inverse, Euclidean projection onto the simplex",
            "counts": [dict(c) for c in counts] if multi else dict(counts[0]),
        },
    )
