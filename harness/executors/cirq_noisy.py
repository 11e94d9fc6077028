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
from harness.executors.base import Counts
from harness.executors.calibration import readout_probabilities
from harness.executors.runtime import RuntimeDevice
from harness.kinds import is_real_backend

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


class CirqDevice(RuntimeDevice):
    """A fake backend's hardware tier simulated by cirq with its calibrated noise (see the module docstring).

    Same arguments as :class:`~harness.executors.runtime.RuntimeDevice`; real backends are refused.
    """

    def __init__(self, backend: str, optimization_level: int = 1, seed_transpiler: int = 0,
                 seed_simulator: int = 0):
        if is_real_backend(backend):
            raise UnsupportedError(f"{backend}: simulation: cirq simulates fake backends only",
                                   hint="drop simulation: cirq for a real backend")
        super().__init__(backend, optimization_level=optimization_level, seed_transpiler=seed_transpiler,
                         seed_simulator=seed_simulator)
        target = self._backend.target
        self._errors = {(name, tuple(qargs)): float(props.error)
                        for name in target.operation_names for qargs, props in (target[name] or {}).items()
                        if qargs is not None and props is not None and props.error}

    def _gate_error(self, name: str, qubits: tuple[int, ...]) -> float:
        return self._errors.get((name, qubits), 0.0)

    def lineage(self) -> dict[str, Any]:
        import cirq

        return {**super().lineage(), "engine": "cirq", "cirq": cirq.__version__,
                "mode": "local cirq density-matrix simulation (noise from the fake backend's calibration)",
                "primitive": "cirq.DensityMatrixSimulator", "approximation": CIRQ_APPROXIMATION}

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
        self.resources.job_ids.append(f"cirq-{seed:x}")
        with self.clock.stage("execute"):
            return [self._sample_one(c, shots, rng) for c in circuits]

    def _sample_one(self, circuit: "QuantumCircuit", shots: int, rng: np.random.Generator) -> Counts:
        import cirq

        program, measurements = to_cirq_physical(circuit, self._gate_error)
        bits = np.zeros((int(shots), circuit.num_clbits), dtype=bool)
        if measurements:
            simulator = cirq.DensityMatrixSimulator(seed=int(rng.integers(2**31)))
            result = simulator.run(program, repetitions=int(shots))
            physical = {}
            for k, (qubit, clbit) in enumerate(measurements):  # a later measurement into a clbit wins
                bits[:, clbit] = result.measurements[f"m{k}"][:, 0].astype(bool)
                physical[clbit] = qubit
            for clbit, qubit in sorted(physical.items()):
                p1_given0, p0_given1 = readout_probabilities(self._snap, qubit, as_simulated=True)
                u = rng.random(int(shots))
                bits[:, clbit] ^= np.where(bits[:, clbit], u < p0_given1, u < p1_given0)
        if bits.shape[1] == 0:
            return {"": int(shots)}
        values = np.zeros(int(shots), dtype=object if bits.shape[1] > 62 else np.int64)
        for k in range(bits.shape[1]):
            values = values + (bits[:, k].astype(values.dtype) << k)
        keys, counts = np.unique(values, return_counts=True)
        return {format(int(key), f"0{bits.shape[1]}b"): int(c) for key, c in zip(keys, counts)}
