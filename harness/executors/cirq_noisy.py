"""A second vendor for the hardware tier: a fake backend's calibration run on cirq's simulator.

``hardware: {backend: fake_manila, simulation: cirq}`` runs the hardware tier on
:class:`CirqDevice`: circuits are transpiled for the fake backend exactly as on
:class:`~harness.executors.runtime.RuntimeDevice` (same pass manager, layout, caching, readout
confusion matrices, folds for ZNE), then each physical circuit is rebuilt in cirq, gate by gate
(each gate's matrix on its physical qubits), and run on ``cirq.DensityMatrixSimulator`` with a
noise model derived from the same calibration snapshot:

- after every gate, a depolarising channel whose average gate infidelity is the gate's calibrated
  error ``r``: ``cirq.depolarize(3r/2)`` on one qubit, ``cirq.depolarize(5r/4, n_qubits=2)`` on
  two (the Pauli channel of Aer's ``NoiseModel.from_backend(backend, thermal_relaxation=False)``
  and of the stabilizer path, so the three simulators can be compared on one model);
- readout: each measured bit flipped with the qubit's calibrated ``P(1|0)``, ``P(0|1)``;
- not modelled: T1/T2 relaxation beyond the gate errors, idle decoherence, crosstalk, leakage,
  coherent errors (stated in every result's lineage).

Any gate runs (no Clifford restriction), but a density matrix of ``k`` qubits holds ``4^k``
numbers, so only the qubits a circuit touches are simulated, at most :data:`MAX_QUBITS` of them;
measurements must be final. cirq is imported inside the methods.

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(3, 3); _ = qc.h(0), qc.cx(0, 1), qc.cx(1, 2), qc.measure(range(3), range(3))
    >>> dev = CirqDevice("fake_manila", seed_transpiler=1, seed_simulator=2)
    >>> counts = dev.sample(qc, 2000)[0]
    >>> counts["000"] + counts["111"] > 1700
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import UnsupportedError
from harness.executors.local_noise import CalibratedSimulation

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["CIRQ_APPROXIMATION", "MAX_QUBITS", "CirqDevice", "to_cirq_physical"]

MAX_QUBITS = 10
"""Most qubits a circuit may touch on :class:`CirqDevice` (a density matrix of 4^10 entries)."""

CIRQ_APPROXIMATION = (
    "cirq density-matrix simulation of the qubits the circuit uses; each gate followed by a depolarising "
    "channel whose average gate infidelity is the calibrated gate error (depolarize(1.5 r), depolarize(1.25 r) "
    "on two qubits); readout as the calibrated asymmetric bit flips; T1/T2 beyond the gate errors, idle "
    "decoherence, crosstalk, leakage and coherent errors not modelled"
)
"""The approximation a :class:`CirqDevice` result rests on (recorded in its lineage)."""

_SKIP = {"barrier", "delay", "id"}


def to_cirq_physical(circuit: "QuantumCircuit", gate_error: Any = None) -> tuple[Any, list[tuple[int, int]]]:
    """A bound physical circuit as a noisy ``cirq.Circuit`` on the qubits it uses.

    Args:
        circuit: bound, measurements final (no operation on a qubit after its measurement).
        gate_error: ``gate_error(name, qubits) -> r`` (average gate infidelity), or None (ideal).

    Returns:
        ``(cirq.Circuit, measurements)``: ``measurements[k]`` is ``(physical qubit, clbit)`` of key ``m{k}``.
    """
    import cirq
    from qiskit.quantum_info import Operator

    used = sorted({circuit.find_bit(q).index for inst in circuit.data if inst.operation.name not in _SKIP
                   for q in inst.qubits})
    if len(used) > MAX_QUBITS:
        raise UnsupportedError(f"simulation: cirq holds a density matrix of the qubits a circuit uses; "
                               f"{circuit.name!r} uses {len(used)}, at most {MAX_QUBITS} fit",
                               hint="use simulation: noise_model, or simulation: stabilizer for Clifford circuits")
    line = {q: cirq.LineQubit(q) for q in used}
    ops: list[Any] = []
    measurements: list[tuple[int, int]] = []
    done: set[int] = set()
    for inst in circuit.data:
        op = inst.operation
        if op.name in _SKIP:
            continue
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if done & set(qubits):
            raise UnsupportedError(f"{circuit.name!r}: an operation follows a measurement on qubit(s) "
                                   f"{sorted(done & set(qubits))}; simulation: cirq takes final measurements only",
                                   hint="use simulation: noise_model for mid-circuit measurements")
        if op.name == "measure":
            measurements.append((qubits[0], circuit.find_bit(inst.clbits[0]).index))
            ops.append(cirq.measure(line[qubits[0]], key=f"m{len(measurements) - 1}"))
            done.add(qubits[0])
            continue
        if inst.clbits or op.name == "reset":
            raise UnsupportedError(f"{op.name}: simulation: cirq runs unitary gates and final measurements",
                                   hint="use simulation: noise_model")
        try:
            matrix = np.asarray(Operator(op).data, dtype=complex)
        except Exception:  # noqa: BLE001 - unbound parameters, opaque instructions
            raise UnsupportedError(f"gate {op.name} has no matrix (unbound parameter or opaque instruction)",
                                   hint="bind every parameter before sampling") from None
        # qiskit's matrices are little-endian (first qubit least significant), cirq's big-endian
        targets = [line[q] for q in reversed(qubits)]
        ops.append(cirq.MatrixGate(matrix).on(*targets))
        r = float(gate_error(op.name, tuple(qubits))) if gate_error is not None else 0.0
        if r > 0 and len(qubits) == 1:
            ops.append(cirq.depolarize(min(1.5 * r, 0.75)).on(targets[0]))
        elif r > 0 and len(qubits) == 2:
            ops.append(cirq.depolarize(min(1.25 * r, 15 / 16), n_qubits=2).on(*targets))
    return cirq.Circuit(ops), measurements


class CirqDevice(CalibratedSimulation):
    """A fake backend's hardware tier simulated by cirq with its calibrated noise (see the module docstring).

    Same arguments as :class:`~harness.executors.runtime.RuntimeDevice`; real backends are refused.
    """

    engine, setting = "cirq", "simulation: cirq"

    def lineage(self) -> dict[str, Any]:
        import cirq

        return {**super().lineage(), "engine": "cirq", "cirq": cirq.__version__,
                "mode": "local cirq density-matrix simulation (noise from the fake backend's calibration)",
                "primitive": "cirq.DensityMatrixSimulator", "approximation": CIRQ_APPROXIMATION}

    def _records(self, circuit: "QuantumCircuit", shots: int, rng: np.random.Generator):
        import cirq

        program, measurements = to_cirq_physical(circuit, self._gate_error)
        if not measurements:
            return np.zeros((shots, 0), dtype=bool), []
        result = cirq.DensityMatrixSimulator(seed=int(rng.integers(2**31))).run(program, repetitions=shots)
        return np.stack([result.measurements[f"m{k}"][:, 0].astype(bool) for k in range(len(measurements))],
                        axis=1), measurements
