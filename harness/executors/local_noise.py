"""A fake backend's hardware tier run on another simulator with the calibration's errors.

:class:`~harness.executors.stabilizer.StabilizerDevice` (stim) and
:class:`~harness.executors.cirq_noisy.CirqDevice` (cirq) share everything but the simulation
itself: circuits are transpiled exactly as on :class:`~harness.executors.runtime.RuntimeDevice`
(same pass manager, layout, caching, readout confusion matrices, folds for ZNE); each gate's
calibrated error ``r`` becomes the engine's depolarising channel; each job binds its parameters,
samples every circuit with one seeded generator, and flips each measured bit with its qubit's
calibrated ``P(1|0)``, ``P(0|1)``. A subclass says how one circuit becomes measurement records
(:meth:`CalibratedSimulation._records`); real backends are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import UnsupportedError
from harness.executors.base import Counts
from harness.executors.calibration import readout_probabilities
from harness.executors.outcomes import packed_counts
from harness.executors.runtime import RuntimeDevice
from harness.kinds import is_real_backend

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["CalibratedSimulation", "bool_counts"]


def bool_counts(bits: np.ndarray) -> dict[str, int]:
    """Counts of boolean shot rows (column ``i`` = classical bit ``i``), clbit 0 rightmost, as qiskit keys
    them, in the order of their bitstrings."""
    shots, width = bits.shape
    if width == 0:
        return {"": int(shots)}
    pad = -width % 8  # BitArray's layout: the highest clbit first, padding at the top of the first byte
    rows = np.concatenate([np.zeros((shots, pad), dtype=bool), bits[:, ::-1]], axis=1)
    return dict(sorted(packed_counts(np.packbits(rows, axis=1), width).items()))


class CalibratedSimulation(RuntimeDevice):
    """The shared part of a locally simulated fake backend (see the module docstring)."""

    engine = ""
    """The simulator's name (job ids, lineage)."""
    setting = ""
    """The suite setting that chose this device, for the refusal of a real backend."""

    def __init__(self, backend: str, optimization_level: int = 1, seed_transpiler: int = 0,
                 seed_simulator: int = 0):
        if is_real_backend(backend):
            raise UnsupportedError(f"{backend}: {self.setting} simulates fake backends only",
                                   hint=f"drop {self.setting} for a real backend")
        super().__init__(backend, optimization_level=optimization_level, seed_transpiler=seed_transpiler,
                         seed_simulator=seed_simulator)
        target = self._backend.target
        self._errors = {(name, tuple(qargs)): float(props.error)
                        for name in target.operation_names for qargs, props in (target[name] or {}).items()
                        if qargs is not None and props is not None and props.error}

    def _gate_error(self, name: str, qubits: tuple[int, ...]) -> float:
        return self._errors.get((name, qubits), 0.0)

    def _records(self, circuit: "QuantumCircuit", shots: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """The engine's measurement records of ``circuit`` (``shots`` x measurements, bool) and
        each measurement's ``(physical qubit, clbit)``."""
        raise NotImplementedError

    def _submit_and_wait(self, pubs: list[Any], shots: int, seed: int) -> list[Counts]:
        circuits = []
        for pub in pubs:
            if isinstance(pub, tuple):  # (circuit, {parameters: values}): one bound circuit per row
                isa, binding = pub
                (params, values), = binding.items()
                for row in np.atleast_2d(values):
                    circuits.append(isa.assign_parameters(dict(zip(params, (float(v) for v in row)))))
            else:
                circuits.append(pub)
        rng = np.random.default_rng(seed)
        self.resources.jobs += 1
        self.resources.job_ids.append(f"{self.engine}-{seed:x}")
        with self.clock.stage("execute"):
            return [self._sample_one(c, shots, rng) for c in circuits]

    def _sample_one(self, circuit: "QuantumCircuit", shots: int, rng: np.random.Generator) -> Counts:
        bits = np.zeros((int(shots), circuit.num_clbits), dtype=bool)
        records, measurements = self._records(circuit, int(shots), rng)
        physical = {}
        for k, (qubit, clbit) in enumerate(measurements):  # a later measurement into a clbit wins
            bits[:, clbit] = records[:, k]
            physical[clbit] = qubit
        for clbit, qubit in sorted(physical.items()):
            p1_given0, p0_given1 = readout_probabilities(self._snap, qubit, as_simulated=True)
            u = rng.random(int(shots))
            bits[:, clbit] ^= np.where(bits[:, clbit], u < p0_given1, u < p1_given0)
        return bool_counts(bits)
