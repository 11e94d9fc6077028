"""AerDevice: the ideal tier is exact where physics says so and deterministic per seed."""

from __future__ import annotations

import math

import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter

from harness.errors import UnsupportedError
from harness.executors.aer import AerDevice, circuit_sha256, normalise_counts
from harness.executors.base import Device
from harness.workloads.ghz import ghz_circuit as ghz

pytestmark = pytest.mark.sdk  # every test runs circuits on Aer


def test_is_a_device_and_ghz_counts_are_only_all_zeros_and_all_ones():
    dev = AerDevice(seed_simulator=11)
    assert isinstance(dev, Device)
    (counts,) = dev.sample(ghz(5), 4000)
    assert set(counts) <= {"00000", "11111"}
    assert sum(counts.values()) == 4000
    # each branch has probability 1/2: within 5 binomial standard deviations (sd = 31.6)
    assert abs(counts["00000"] - 2000) < 5 * math.sqrt(4000 * 0.25)


def uniform(n: int) -> QuantumCircuit:
    q, c = QuantumRegister(n), ClassicalRegister(n)
    qc = QuantumCircuit(q, c)
    qc.h(q)
    qc.measure(q, c)
    return qc


def test_same_seed_same_counts_and_fresh_noise_per_job():
    # 32 equally likely outcomes: two independent 2000-shot samples are never equal in practice
    a, b = AerDevice(seed_simulator=5), AerDevice(seed_simulator=5)
    first_a, first_b = a.sample(uniform(5), 2000), b.sample(uniform(5), 2000)
    assert first_a == first_b
    second_a = a.sample(uniform(5), 2000)
    assert second_a == b.sample(uniform(5), 2000)
    assert second_a != first_a  # job k draws fresh noise, not a replay of job 0
    assert AerDevice(seed_simulator=6).sample(uniform(5), 2000) != first_a


def test_parameter_sweep_is_one_job_with_one_counts_per_set():
    theta = Parameter("theta")
    q, c = QuantumRegister(1), ClassicalRegister(1)
    qc = QuantumCircuit(q, c)
    qc.ry(theta, 0)
    qc.measure(q, c)
    dev = AerDevice(seed_simulator=1)
    out = dev.sample(qc, 500, [[0.0], [math.pi], [math.pi / 2]])
    assert len(out) == 3 and dev.resources.jobs == 1
    assert out[0] == {"0": 500} and out[1] == {"1": 500}
    assert set(out[2]) == {"0", "1"}
    assert dev.resources.shots == 1500 and dev.resources.circuits == 3
    # the transpilation is cached: a second sweep does not transpile again
    spent = dev.clock.seconds["transpile"]
    dev.sample(qc, 10, [[0.1]])
    assert dev.clock.seconds["transpile"] == spent
    assert dev.clock.seconds["queue"] == 0.0 and dev.clock.seconds["execute"] > 0


def test_clbit_zero_is_rightmost_across_registers():
    q = QuantumRegister(3)
    c0, c1 = ClassicalRegister(1, "a"), ClassicalRegister(2, "b")
    qc = QuantumCircuit(q, c0, c1)
    qc.x(0)  # qubit 0 -> clbit 0 (register a); qubits 1, 2 stay 0
    qc.measure(q, [*c0, *c1])
    (counts,) = AerDevice(seed_simulator=0).sample_batch([qc], 50)
    assert counts == {"001": 50}
    assert normalise_counts({"01 1": 3}, 3) == {"011": 3}


def test_lineage_is_json_and_names_the_transpiled_circuit():
    import json

    dev = AerDevice(method="statevector", seed_simulator=2)
    dev.sample(ghz(3), 10)
    lin = json.loads(json.dumps(dev.lineage()))
    assert lin["engine"] == "aer" and lin["method"] == "statevector" and lin["seed_simulator"] == 2
    assert len(lin["transpiled_sha256"]) == 64
    # the hash ignores Parameter identity: the same circuit built twice hashes the same
    assert circuit_sha256(ghz(3)) == circuit_sha256(ghz(3)) != circuit_sha256(ghz(4))


def test_bad_inputs_say_how_to_fix():
    dev = AerDevice(seed_simulator=0)
    unmeasured = QuantumCircuit(2)
    unmeasured.h(0)
    with pytest.raises(UnsupportedError, match="ClassicalRegister"):
        dev.sample(unmeasured, 10)
    theta = Parameter("t")
    qc = QuantumCircuit(1, 1)
    qc.rx(theta, 0)
    qc.measure(0, 0)
    with pytest.raises(UnsupportedError, match="parameter_sets"):
        dev.sample(qc, 10)
    with pytest.raises(UnsupportedError, match="shape"):
        dev.sample(qc, 10, [[0.1, 0.2]])
