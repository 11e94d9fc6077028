"""SupermarQ's six circuit features: ours against the package's own definitions, and in lineage."""

from __future__ import annotations

import pytest

from harness.executors.features import FEATURES, active_subcircuit, circuit_features

FUNCTIONS = {
    "program_communication": "compute_communication_with_qiskit",
    "critical_depth": "compute_depth_with_qiskit",
    "entanglement_ratio": "compute_entanglement_with_qiskit",
    "parallelism": "compute_parallelism_with_qiskit",
    "liveness": "compute_liveness_with_qiskit",
    "measurement": "compute_measurement_with_qiskit",
}


def _circuits():
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import quantum_volume

    from harness.workloads.ghz import ghz_circuit
    from harness.workloads.mirror import Mirror

    reset = QuantumCircuit(3, 3)
    reset.h(0)
    reset.cx(0, 1)
    reset.measure(1, 1)
    reset.reset(1)
    reset.cx(1, 2)
    reset.barrier()
    reset.measure([0, 1, 2], [0, 1, 2])
    qv = quantum_volume(4, seed=3)
    qv.measure_all()
    mirror = Mirror().build(Mirror.Params(width=5, depth=3, shots=1), Mirror.Options()).circuit
    return [ghz_circuit(5), reset, qv.decompose(), mirror]


@pytest.mark.parametrize("index", range(4))
def test_features_equal_supermarq_own_values(index):
    features = pytest.importorskip("supermarq.features")
    circuit = _circuits()[index]
    ours = circuit_features(circuit)
    assert ours["qubits"] == circuit.num_qubits
    for name in FEATURES:
        theirs = getattr(features, FUNCTIONS[name])(circuit.copy())  # the package mutates its argument
        assert ours[name] == pytest.approx(theirs, abs=1e-6), name


def test_idle_wires_are_dropped_and_lineage_carries_the_features():
    from qiskit import QuantumCircuit

    from harness.executors.aer import AerDevice

    wide = QuantumCircuit(10, 2)
    wide.h(3)
    wide.cx(3, 7)
    wide.measure([3, 7], [0, 1])
    small = active_subcircuit(wide)
    assert small.num_qubits == 2
    assert circuit_features(wide)["program_communication"] == 1.0
    device = AerDevice(seed_simulator=1)
    assert device.lineage()["features"] is None  # nothing ran yet
    device.sample(wide, 10)
    f = device.lineage()["features"]
    assert set(FEATURES) <= set(f) and all(0.0 <= f[k] <= 1.0 for k in FEATURES)
