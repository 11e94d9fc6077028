"""Wide noisy Clifford circuits on a fake backend: stim with the device's calibrated errors in Pauli form.

``hardware: {backend: fake_sherbrooke, simulation: stabilizer}`` runs the hardware tier on
:class:`StabilizerDevice`: circuits are transpiled for the fake backend exactly as on
:class:`~harness.executors.runtime.RuntimeDevice` (same pass manager, layout, caching, readout
confusion matrices, folding for ZNE), then simulated by stim's stabilizer sampler instead of Aer's
full noise model, so 127- and 156-qubit devices run in seconds. The noise, stated in lineage:

- after every gate, a depolarising channel with the gate's calibrated error as its average gate
  infidelity ``r``: ``DEPOLARIZE1(3r/2)`` for one qubit, ``DEPOLARIZE2(5r/4)`` for two (the
  same Pauli channel Aer's ``NoiseModel.from_backend(backend, thermal_relaxation=False)`` builds);
- readout: each measured bit flipped with the qubit's calibrated ``P(1|0)``, ``P(0|1)``;
- not modelled: T1/T2 relaxation beyond what the gate errors include, idle-qubit decoherence,
  crosstalk, leakage, coherent errors. It is a Pauli approximation of the device, not the device.

Only Clifford circuits can run (every gate, after binding, must be a Clifford up to phase); a
non-Clifford gate is an error naming it. Choice measured in ``benchmarks/width_cost.py --aer``:
Aer's stabilizer method with the same Pauli noise model took 58 s for a 127-qubit GHZ at 1000
shots (one trajectory per shot) and refused the transpiled mirror circuits (their Euler angles are
Clifford only run by run); stim took 0.4 s and 0.8 s.

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(3, 3); _ = qc.h(0), qc.cx(0, 1), qc.cx(1, 2), qc.measure(range(3), range(3))
    >>> dev = StabilizerDevice("fake_manila", seed_transpiler=1, seed_simulator=2)
    >>> counts = dev.sample(qc, 2000)[0]
    >>> counts["000"] + counts["111"] > 1700
    True
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import UnsupportedError
from harness.executors.local_noise import CalibratedSimulation

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["PAULI_APPROXIMATION", "StabilizerDevice", "to_stim"]

PAULI_APPROXIMATION = (
    "stim stabilizer simulation; each gate followed by a depolarising channel whose average gate "
    "infidelity is the calibrated gate error (DEPOLARIZE1(1.5 r), DEPOLARIZE2(1.25 r)); readout as the "
    "calibrated asymmetric bit flips; T1/T2 beyond the gate errors, idle decoherence, crosstalk, leakage "
    "and coherent errors not modelled"
)
"""The approximation a :class:`StabilizerDevice` result rests on (recorded in its lineage)."""

_SKIP = {"barrier", "delay", "id"}


def _matrix(operation: Any) -> np.ndarray:
    from qiskit.quantum_info import Operator

    try:
        return np.asarray(Operator(operation).data, dtype=complex)
    except Exception:  # noqa: BLE001 - unbound parameters, opaque instructions
        raise UnsupportedError(f"gate {operation.name} has no matrix (unbound parameter or opaque instruction)",
                               hint="bind every parameter before sampling") from None


def _not_clifford(what: str) -> UnsupportedError:
    return UnsupportedError(f"{what} is not a Clifford operation; the stabilizer simulation runs Clifford "
                            "circuits only", hint="use simulation: noise_model for this circuit, or a Clifford "
                            "workload (mirror, ghz)")


@functools.lru_cache(maxsize=8192)
def _program(matrix_bytes: bytes, num_qubits: int) -> tuple:
    """A Clifford unitary (up to phase) as stim instructions on local targets: ``((name, targets), ...)``."""
    import stim

    matrix = np.frombuffer(matrix_bytes, dtype=complex).reshape(2**num_qubits, 2**num_qubits)
    try:
        tableau = stim.Tableau.from_unitary_matrix(matrix, endian="little")
    except ValueError:
        raise _not_clifford(f"a {num_qubits}-qubit gate sequence") from None
    return tuple((inst.name, tuple(t.value for t in inst.targets_copy()))
                 for inst in tableau.to_circuit(method="elimination"))


def _key(matrix: np.ndarray) -> bytes:
    """The matrix with its global phase removed and rounded, so equal Cliffords share one cache entry."""
    flat = matrix.ravel()
    pivot = flat[np.argmax(np.abs(flat) > 1e-6)]
    return np.ascontiguousarray(np.round(matrix * (abs(pivot) / pivot), 9) + 0.0).tobytes()


def to_stim(circuit: "QuantumCircuit", gate_error: Any = None) -> tuple[Any, list[tuple[int, int]]]:
    """``circuit`` (bound, Clifford) as a stim circuit, with each measurement's qubit and classical bit.

    Runs of single-qubit gates are multiplied out first and must be Clifford as a product (the
    transpiler's Euler angles may not be one by one: ``rz(pi/4) x rz(-pi/4)`` is X). Their
    depolarising errors are merged into one channel after the run, which is exact: a
    depolarising channel commutes with every unitary.

    Args:
        circuit: a bound circuit of Clifford gates, measurements, resets, barriers and delays.
        gate_error: ``gate_error(name, qubits) -> r`` (average gate infidelity) or None (ideal).

    Returns:
        ``(stim.Circuit, measurements)``: ``measurements[k]`` is ``(qubit, clbit)`` of the k-th measurement.
    """
    import stim

    lines: list[str] = []  # stim parses a program text far faster than it appends op by op
    measurements: list[tuple[int, int]] = []
    pending: dict[int, tuple[np.ndarray, float]] = {}  # qubit -> (product of its 1q run, survival 1 - 4p/3)

    def flush(qubit: int) -> None:
        if qubit not in pending:
            return
        matrix, keep = pending.pop(qubit)
        for name, targets in _program(_key(matrix), 1):
            lines.append(name + f" {qubit}" * len(targets))
        p = 0.75 * (1.0 - keep)
        if p > 0:
            lines.append(f"DEPOLARIZE1({min(p, 0.75)!r}) {qubit}")

    def error(name: str, qubits: list[int]) -> float:
        return float(gate_error(name, tuple(qubits))) if gate_error is not None else 0.0

    for inst in circuit.data:
        op = inst.operation
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if op.name in _SKIP:
            continue
        if inst.clbits and op.name != "measure" or getattr(op, "condition", None) is not None:
            raise UnsupportedError(f"{op.name}: classically controlled operations are not simulated here",
                                   hint="use simulation: noise_model")
        if op.name in ("measure", "reset"):
            flush(qubits[0])
            lines.append(("M " if op.name == "measure" else "R ") + str(qubits[0]))
            if op.name == "measure":
                measurements.append((qubits[0], circuit.find_bit(inst.clbits[0]).index))
            continue
        if len(qubits) == 1:
            q = qubits[0]
            matrix, keep = pending.get(q, (np.eye(2, dtype=complex), 1.0))
            lam = min(2.0 * error(op.name, qubits), 1.0)  # depolarising lambda of infidelity r: r d/(d-1)
            pending[q] = (_matrix(op) @ matrix, keep * (1.0 - lam))
            continue
        for q in qubits:
            flush(q)
        try:
            program = _program(_key(_matrix(op)), len(qubits))
        except UnsupportedError:
            raise _not_clifford(f"gate {op.name}{[float(p) for p in op.params] or ''}") from None
        for name, targets in program:
            lines.append(name + " " + " ".join(str(qubits[t]) for t in targets))
        r = error(op.name, qubits)
        if r and len(qubits) == 2:
            lines.append(f"DEPOLARIZE2({min(1.25 * r, 15 / 16)!r}) {qubits[0]} {qubits[1]}")
    for q in list(pending):
        flush(q)
    return stim.Circuit("\n".join(lines)), measurements


class StabilizerDevice(CalibratedSimulation):
    """A fake backend's hardware tier simulated by stim with Pauli noise (see the module docstring).

    Same arguments as :class:`~harness.executors.runtime.RuntimeDevice`; real backends are refused.
    """

    engine, setting = "stim", "simulation: stabilizer"
    clifford_only = True
    """ZNE folds its circuits in qiskit (:func:`harness.mitigation.zne.fold_global_clifford`), not through
    mitiq's cirq conversion, whose rewritten gates are not Clifford run by run."""

    def lineage(self) -> dict[str, Any]:
        import stim

        return {**super().lineage(), "engine": "stim", "stim": stim.__version__,
                "mode": "local stabilizer simulation (Pauli noise from the fake backend's calibration)",
                "primitive": "stim.CompiledMeasurementSampler", "approximation": PAULI_APPROXIMATION}

    def _records(self, circuit: "QuantumCircuit", shots: int, rng: np.random.Generator):
        program, measurements = to_stim(circuit, self._gate_error)
        if not measurements:
            return np.zeros((shots, 0), dtype=bool), []
        return program.compile_sampler(seed=int(rng.integers(2**63))).sample(shots), measurements
