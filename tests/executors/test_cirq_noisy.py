"""cirq as a second vendor of the hardware tier: a fake backend's calibration on cirq's simulator.

- Ideal translation: with no noise, rx(t) then measure gives P(1) = sin^2(t/2) (a non-Clifford
  gate: cirq takes any gate, gate by gate from its matrix, qiskit's bit order kept).
- The same calibrated Pauli noise on three simulators: cirq against stim on a GHZ circuit, and
  against Aer's ``NoiseModel.from_backend(thermal_relaxation=False)`` on a non-Clifford circuit, all
  on fake_manila's transpiled circuit: the G-test of homogeneity finds no difference.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.errors import UnsupportedError
from harness.executors.cirq_noisy import CIRQ_APPROXIMATION, CirqDevice, to_cirq_physical
from harness.homogeneity import g_test
from harness.workloads.ghz import ghz_circuit

pytestmark = pytest.mark.sdk


@pytest.fixture(scope="module")
def manila():
    return CirqDevice("fake_manila", seed_transpiler=2, seed_simulator=5)


def test_the_ideal_translation_of_a_rotation_is_exact():
    import cirq
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(3, 2)
    qc.rx(0.7, 2)
    qc.x(0)
    qc.measure(2, 0)  # clbit 0 reads qubit 2, clbit 1 reads qubit 0
    qc.measure(0, 1)
    program, measurements = to_cirq_physical(qc)
    assert measurements == [(2, 0), (0, 1)]
    state = cirq.final_density_matrix(cirq.drop_terminal_measurements(program))
    probs = np.real(np.diag(state))  # qubits 0 and 2 used: LineQubit(0) the most significant
    assert probs.reshape(2, 2)[1, 1] == pytest.approx(math.sin(0.35) ** 2, abs=1e-6)
    assert probs.reshape(2, 2)[1, 0] == pytest.approx(math.cos(0.35) ** 2, abs=1e-6)


def test_cirq_and_stim_agree_on_the_same_calibrated_pauli_noise(manila):
    from harness.executors.stabilizer import StabilizerDevice

    stim = StabilizerDevice("fake_manila", seed_transpiler=2, seed_simulator=6)
    circuit = ghz_circuit(4)
    ours, theirs = manila.sample(circuit, 20000)[0], stim.sample(circuit, 20000)[0]
    assert g_test(ours, theirs).p_value > 1e-3
    assert 0.6 < (ours.get("0000", 0) + ours.get("1111", 0)) / 20000 < 0.98  # noisy, far from uniform


def test_cirq_and_aer_agree_on_a_non_clifford_circuit(manila):
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    qc = QuantumCircuit(3, 3)
    qc.ry(0.9, 0)
    qc.cx(0, 1)
    qc.rx(1.3, 2)
    qc.cx(1, 2)
    qc.measure(range(3), range(3))
    ours = manila.sample(qc, 20000)[0]
    noise = NoiseModel.from_backend(manila._backend, thermal_relaxation=False)
    theirs = AerSimulator(noise_model=noise).run(manila.transpile(qc), shots=20000,
                                                 seed_simulator=9).result().get_counts()
    assert g_test(ours, theirs).p_value > 1e-3
    lineage = manila.lineage()
    assert lineage["engine"] == "cirq" and lineage["approximation"] == CIRQ_APPROXIMATION


def test_what_cirq_cannot_hold_is_refused_by_name(manila):
    from qiskit import QuantumCircuit

    wide = QuantumCircuit(12, 12)
    wide.h(range(12))
    wide.measure(range(12), range(12))
    with pytest.raises(UnsupportedError, match="uses 12, at most 10"):
        to_cirq_physical(wide)
    mid = QuantumCircuit(1, 1)
    mid.measure(0, 0)
    mid.x(0)
    with pytest.raises(UnsupportedError, match="final measurements only"):
        to_cirq_physical(mid)
    with pytest.raises(UnsupportedError, match="fake backends only"):
        CirqDevice("ibm:ibm_brisbane")


def test_a_suite_runs_its_hardware_tier_on_cirq(tmp_path):
    from harness.orchestration.plan import plan_suite
    from harness.orchestration.runner import run_plans
    from harness.suite import load_suite

    path = tmp_path / "vendor.yaml"
    path.write_text(
        "suite: vendor\nworkload: ghz\nseed: 1\nmatrix: {n: [3], shots: [2000]}\n"
        "baselines:\n  hardware: {backend: fake_manila, simulation: cirq, mitigation: {readout: true}}\n"
        "metrics: {success_probability: {better: higher, tolerance: 0.05}}\n")
    run = run_plans([plan_suite(load_suite(path))])
    by = {r.baseline: r for r in run.results}
    assert all(r.status == "ok" for r in run.results), [r.error for r in run.results]
    assert by["hardware.raw"].lineage["device"]["engine"] == "cirq"
    raw, mitigated = (by[k].metrics["success_probability"].value for k in ("hardware.raw", "hardware.mitigated"))
    assert 0.7 < raw < mitigated <= 1.0  # readout correction on cirq's counts moves toward the ideal 1
