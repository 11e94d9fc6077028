"""The stabilizer hardware tier: stim with the fake backend's calibrated errors in Pauli form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.errors import UnsupportedError
from harness.executors.stabilizer import PAULI_APPROXIMATION, StabilizerDevice, to_stim
from harness.workloads.ghz import ghz_circuit
from harness.workloads.mirror import Mirror


def _ideal_counts(device, circuit, shots=500):
    program, measurements = to_stim(device.transpile(circuit), None)
    records = program.compile_sampler(seed=3).sample(shots)
    keys = set()
    for row in records:
        bits = ["0"] * circuit.num_clbits
        for k, (_, clbit) in enumerate(measurements):
            bits[circuit.num_clbits - 1 - clbit] = "1" if row[k] else "0"
        keys.add("".join(bits))
    return keys


@pytest.mark.parametrize("width,backend", [(5, "fake_sherbrooke"), (127, "fake_sherbrooke"), (156, "fake_fez")])
def test_noiseless_translation_returns_the_mirror_target(width, backend):
    """Transpiled for the device (layout, routing, ECR or CZ basis), the mirror still ends on its target."""
    wl = Mirror()
    problem = wl.build(Mirror.Params(width=width, depth=2, shots=10), Mirror.Options())
    device = StabilizerDevice(backend, seed_transpiler=4, seed_simulator=1)
    assert _ideal_counts(device, problem.circuit) == {problem.target}


def test_noisy_ghz_agrees_with_aer_on_the_same_pauli_noise_model():
    """stim with our Pauli channels against Aer's stabilizer method with NoiseModel.from_backend
    (thermal_relaxation=False: depolarising gate errors and readout errors) on fake_manila."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    device = StabilizerDevice("fake_manila", seed_transpiler=2, seed_simulator=5)
    circuit = ghz_circuit(5)
    shots = 20000
    ours = device.sample(circuit, shots)[0]
    noise = NoiseModel.from_backend(device._backend, thermal_relaxation=False)
    aer = AerSimulator(method="stabilizer", noise_model=noise)
    theirs = aer.run(device.transpile(circuit), shots=shots, seed_simulator=9).result().get_counts()
    for key in ("00000", "11111", "00001", "11110"):
        a, b = ours.get(key, 0) / shots, theirs.get(key, 0) / shots
        sd = math.sqrt(max(a * (1 - a), b * (1 - b), 1e-4) * 2 / shots)
        assert abs(a - b) < 5 * sd, (key, a, b)
    success = (ours.get("00000", 0) + ours.get("11111", 0)) / shots
    assert 0.6 < success < 0.98  # noisy, but far from uniform (2/32)


def test_lineage_states_the_approximation_and_calibration():
    device = StabilizerDevice("fake_sherbrooke", seed_transpiler=1, seed_simulator=1)
    device.sample(ghz_circuit(3), 100)
    lineage = device.lineage()
    assert lineage["engine"] == "stim" and lineage["approximation"] == PAULI_APPROXIMATION
    assert lineage["backend"] == "fake_sherbrooke" and lineage["calibration_sha256"]
    assert len(lineage["physical_qubits"]) == 3
    assert device.resources.shots == 100 and device.resources.jobs == 1


def test_non_clifford_gates_are_refused_by_name():
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1, 1)
    circuit.t(0)
    circuit.h(0)
    circuit.measure(0, 0)
    device = StabilizerDevice("fake_manila", seed_transpiler=1, seed_simulator=1)
    with pytest.raises(UnsupportedError, match="not a Clifford"):
        device.sample(circuit, 10)


def test_readout_flips_follow_the_calibration():
    """An identity circuit on one qubit: P(1) is the calibrated P(1|0) of the qubit it landed on."""
    from qiskit import QuantumCircuit

    from harness.executors.calibration import readout_probabilities

    device = StabilizerDevice("fake_manila", seed_transpiler=1, seed_simulator=2)
    circuit = QuantumCircuit(1, 1)
    circuit.measure(0, 0)
    shots = 40000
    counts = device.sample(circuit, shots)[0]
    qubit = device.lineage()["physical_qubits"][0]
    p10, _ = readout_probabilities(device._snap, qubit, as_simulated=True)
    assert abs(counts.get("1", 0) / shots - p10) < 5 * math.sqrt(p10 * (1 - p10) / shots) + 1e-3


def test_stabilizer_simulation_needs_a_fake_backend():
    from pydantic import ValidationError

    from harness.suite.schema import HardwareSettings

    with pytest.raises(ValidationError, match="simulates a fake backend"):
        HardwareSettings(backend="ibm:ibm_brisbane", simulation="stabilizer")
    assert HardwareSettings(backend="fake_fez", simulation="stabilizer").simulation == "stabilizer"
    with pytest.raises(UnsupportedError, match="fake backends only"):
        StabilizerDevice("ibm:ibm_brisbane")


def test_a_127_qubit_mirror_runs_through_the_runner(tmp_path):
    """The bundled width sweep's widest case, hardware tier only: 127 qubits on fake_sherbrooke."""
    from harness.orchestration.plan import plan_suite
    from harness.orchestration.runner import run_plans
    from harness.suite import load_suite

    path = tmp_path / "wide.yaml"
    path.write_text(
        "suite: wide\nworkload: mirror\nseed: 1\nmatrix: {width: [127], depth: [1], shots: [200]}\n"
        "baselines:\n  classical: {}\n  hardware: {backend: fake_sherbrooke, simulation: stabilizer}\n"
        "metrics: {polarization: {better: higher, tolerance: 0.1}}\n")
    run = run_plans([plan_suite(load_suite(path))])
    by = {r.baseline: r for r in run.results}
    assert all(r.status == "ok" for r in run.results), [r.error for r in run.results]
    assert by["classical"].metrics["success_probability"].value == 1.0
    raw = by["hardware.raw"]
    assert raw.lineage["device"]["engine"] == "stim" and len(raw.lineage["device"]["physical_qubits"]) == 127
    assert raw.resources["width"] == 127 and 0.0 <= raw.metrics["success_probability"].value < 1.0
