"""Mitigation of several circuits scored together (VQE's measurement bases): order, batching, physics."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit

from harness.executors.runtime import RuntimeDevice
from harness.mitigation import mitigate
from harness.mitigation import execute_raw as raw
from harness.records import Metric
from harness.suite.schema import MitigationSettings, ZNESettings

from ..fake_device import FakeDevice, ideal


def prepared(bits: str) -> QuantumCircuit:
    """|00> or |11> (or |01>) with one CX, so folding has a two-qubit gate to scale."""
    qc = QuantumCircuit(2, 2, name=f"prep{bits}")
    if bits[-1] == "1":
        qc.x(0)
    qc.cx(0, 1)
    if bits == "01":
        qc.x(1)
    qc.measure([0, 1], [0, 1])
    return qc


def pair_score(probs_list, shots):
    assert isinstance(probs_list, list) and len(probs_list) == 2
    return {"first_00": Metric(probs_list[0].get("00", 0.0), "proportion", n=shots),
            "second_11": Metric(probs_list[1].get("11", 0.0), "proportion", n=shots)}


@pytest.mark.parametrize("settings", [
    MitigationSettings(bootstrap=20),
    pytest.param(MitigationSettings(bootstrap=20, zne=ZNESettings(scale_factors=[1, 3], extrapolation="linear")),
                 marks=pytest.mark.sdk),  # mitiq's folding imports its qiskit interface, which needs Aer
])
def test_each_distribution_reaches_the_score_in_circuit_order(settings):
    out = mitigate(FakeDevice(ideal), [prepared("00"), prepared("11")], 200, pair_score, settings,
                   np.random.default_rng(0))
    assert out.metrics["first_00"].value == pytest.approx(1.0) and out.metrics["second_11"].value == pytest.approx(1.0)
    swapped = mitigate(FakeDevice(ideal), [prepared("11"), prepared("00")], 200, pair_score, settings,
                       np.random.default_rng(0))
    assert swapped.metrics["first_00"].value == pytest.approx(0.0)
    k = len(settings.zne.scale_factors) if settings.zne else 1
    assert out.resources["circuits"] == 2 * k and out.resources["shots"] == 400 * k and out.resources["jobs"] == 1
    if settings.zne:
        assert out.details["zne"]["two_qubit_gates"] == [[1, 1], [3, 3]]
        assert out.details["counts_executed"] == 4  # every fold of every circuit, none reused here
    else:
        assert isinstance(out.details["counts"], list) and len(out.details["counts"]) == 2


def test_a_single_circuit_keeps_the_single_distribution_interface():
    out = raw(FakeDevice(ideal), prepared("01"), 100,
              lambda probs, shots: {"p": Metric(probs.get("01", 0.0), "proportion", n=shots)},
              MitigationSettings(bootstrap=20), np.random.default_rng(0))
    assert out.metrics["p"].value == 1.0 and isinstance(out.details["counts"], dict)


@pytest.mark.sdk
def test_h2_energy_on_a_noisy_backend_moves_toward_exact_with_mitigation():
    from qiskit.quantum_info import Statevector
    from scipy.optimize import minimize

    from harness.workloads.pauli import basis_circuit, energy_estimate, sparse_matrix
    from harness.workloads.vqe import VQEH2, ry_ansatz

    problem = VQEH2().build(VQEH2.Params(shots=4000), VQEH2.Options())
    ansatz, h = ry_ansatz(2, 1), sparse_matrix(problem.terms).toarray()

    def energy(x):
        sv = Statevector(ansatz.assign_parameters(x)).data
        return float(np.real(sv.conj() @ h @ sv))

    state = ansatz.assign_parameters(minimize(energy, np.full(4, 0.3), method="BFGS").x)
    circuits = [basis_circuit(state, g.basis) for g in problem.groups]

    def score(probs_list, shots):
        e, err = energy_estimate(problem.terms, problem.groups, probs_list, shots)
        return {"energy": Metric(e, "expectation", err, shots, unit="Ha")}

    def run(settings):
        dev = RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=2, seed_simulator=3)
        return mitigate(dev, circuits, 4000, score, settings, np.random.default_rng(1)).metrics["energy"]

    exact = problem.exact.energy
    noisy = run(MitigationSettings(bootstrap=50))
    corrected = run(MitigationSettings(readout=True, bootstrap=50))
    assert noisy.value - exact > 5 * noisy.stderr  # noise raises the energy of the ground state
    assert abs(corrected.value - exact) < abs(noisy.value - exact)
    assert corrected.unit == "Ha" and corrected.stderr > 0
