"""RuntimeDevice: the runtime Sampler on fake backends, its lineage, calibration and errors."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter

from harness.errors import HarnessError, UnsupportedError
from harness.executors import known_backends, make_device
from harness.executors.base import Device
from harness.executors.calibration import calibration_snapshot, confusion_matrix, snapshot_hash
from harness.executors.runtime import RuntimeDevice
from harness.suite.schema import HardwareSettings, SimulatorSettings
from harness.workloads.ghz import ghz_circuit as ghz

pytestmark = pytest.mark.sdk  # every test builds fake backends or the runtime service


@pytest.fixture(scope="module")
def manila() -> RuntimeDevice:
    return RuntimeDevice("fake_manila", optimization_level=1, seed_transpiler=3, seed_simulator=4)


def test_fake_manila_ghz_is_noisy_but_mostly_right(manila):
    assert isinstance(manila, Device)
    (counts,) = manila.sample(ghz(3), 4000)
    assert sum(counts.values()) == 4000 and all(len(k) == 3 for k in counts)
    wrong = sum(v for k, v in counts.items() if k not in ("000", "111"))
    # manila's readout errors alone (1.4-9.6 % per qubit) make several percent of outcomes wrong
    assert 0.03 * 4000 < wrong < 0.4 * 4000
    assert manila.clock.seconds["execute"] > 0 and manila.clock.seconds["queue"] == 0


def test_same_seeds_same_counts_across_constructions():
    a = RuntimeDevice("fake_manila", 1, seed_transpiler=1, seed_simulator=9)
    b = RuntimeDevice("fake_manila", 1, seed_transpiler=1, seed_simulator=9)
    assert a.sample(ghz(3), 1000) == b.sample(ghz(3), 1000)


def test_parameter_sets_bind_in_one_job():
    theta = Parameter("theta")
    q, c = QuantumRegister(1), ClassicalRegister(1)
    qc = QuantumCircuit(q, c)
    qc.rx(theta, 0)
    qc.measure(q, c)
    dev = RuntimeDevice("fake_manila", 1, seed_transpiler=0, seed_simulator=1)
    out = dev.sample(qc, 2000, [[0.0], [np.pi]])
    assert len(out) == 2 and dev.resources.jobs == 1 and dev.resources.shots == 4000
    assert out[0].get("0", 0) > 1800 and out[1].get("1", 0) > 1800


def test_lineage_names_backend_circuit_and_a_stable_calibration_hash(manila):
    manila.sample(ghz(3), 100)
    lin = json.loads(json.dumps(manila.lineage()))
    again = RuntimeDevice("fake_manila", 1, seed_transpiler=3, seed_simulator=4)
    again.sample(ghz(3), 100)
    lin2 = again.lineage()
    assert lin["backend"] == "fake_manila" and lin["backend_version"]
    assert lin["primitive"] == "qiskit_ibm_runtime.executor_sampler.Sampler"
    assert lin["optimization_level"] == 1 and lin["seed_transpiler"] == 3 and lin["seed_simulator"] == 4
    assert len(lin["calibration_sha256"]) == 64 and lin["calibration_date"].startswith("20")
    assert lin["calibration_sha256"] == lin2["calibration_sha256"]
    assert lin["transpiled_sha256"] == lin2["transpiled_sha256"]
    assert lin["transpiled_two_qubit_gates"] >= 2 and len(lin["physical_qubits"]) == 3
    # the circuit that ran, as text the report shows in one click, and the text is what the hash names
    qasm = lin["transpiled_qasm"]
    assert qasm.startswith("OPENQASM 3")
    assert hashlib.sha256(qasm.encode()).hexdigest() == lin["transpiled_sha256"]
    assert "measure" in qasm and ("cx" in qasm or "ecr" in qasm)


def test_a_long_transpiled_circuit_keeps_its_hash_not_its_text():
    from harness.executors.aer import circuit_identity

    sha, text = circuit_identity(ghz(5), limit=50)
    assert text is None and len(sha) == 64
    assert circuit_identity(ghz(5))[1] is not None


def test_calibration_snapshot_is_json_and_hash_is_canonical():
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    snap = calibration_snapshot(FakeManilaV2())
    assert json.loads(json.dumps(snap)) == snap
    q0 = snap["qubits"]["0"]
    assert 1e-6 < q0["t1"] < 1e-3 and 1e-6 < q0["t2"] < 1e-3  # seconds
    # manila's readout error is the mean of its two asymmetric flip probabilities
    assert q0["readout_error"] == pytest.approx((q0["prob_meas1_prep0"] + q0["prob_meas0_prep1"]) / 2)
    assert snap["gates"]["cx"]["0_1"]["error"] > 0
    reordered = json.loads(json.dumps(snap, sort_keys=True))
    assert snapshot_hash(reordered) == snapshot_hash(snap)
    sub = calibration_snapshot(FakeManilaV2(), qubits=[0, 1])
    assert set(sub["qubits"]) == {"0", "1"} and set(sub["gates"]["cx"]) == {"0_1", "1_0"}
    assert snapshot_hash(sub) != snapshot_hash(snap)


def test_confusion_matrices_follow_the_measured_physical_qubits():
    q, c = QuantumRegister(2), ClassicalRegister(2)
    qc = QuantumCircuit(q, c)
    qc.x(0)
    qc.measure(q, c)
    dev = RuntimeDevice("fake_manila", 1, seed_transpiler=0, seed_simulator=0)
    mats = dev.confusion_matrices(qc)
    assert len(mats) == 2
    for m in mats:
        assert np.allclose(m.sum(axis=0), 1.0)  # A[measured, prepared]: columns sum to 1
    isa = dev.transpile(qc)
    phys = {isa.find_bit(i.clbits[0]).index: isa.find_bit(i.qubits[0]).index
            for i in isa.data if i.operation.name == "measure"}
    snap = calibration_snapshot(dev._backend)
    for clbit, m in enumerate(mats):
        p = snap["qubits"][str(phys[clbit])]["readout_error"]  # what the Aer noise model applies
        assert np.allclose(m, confusion_matrix(p, p))


def test_unknown_backend_names_close_matches():
    with pytest.raises(UnsupportedError, match="fake_manila") as info:
        RuntimeDevice("fake_manilla", 1, 0, 0)
    assert "unknown hardware backend 'fake_manilla'" in str(info.value)
    names = known_backends()
    assert {"fake_manila", "fake_guadalupe", "fake_nairobi", "fake_sherbrooke"} <= set(names)


def test_make_device_builds_both_tiers():
    sim = make_device("simulator", SimulatorSettings(), seed_transpiler=1, seed_simulator=2)
    hw = make_device("hardware", HardwareSettings(backend="fake_nairobi", optimization_level=2),
                     seed_transpiler=1, seed_simulator=2)
    assert sim.name == "aer_automatic" and hw.name == "fake_nairobi"
    assert hw.lineage()["optimization_level"] == 2
    with pytest.raises(UnsupportedError):
        make_device("quantum_annealer", SimulatorSettings(), seed_transpiler=0, seed_simulator=0)  # type: ignore[arg-type]


FAKE_TOKEN = "tok-SECRET-1234567890abcdef"


@pytest.fixture
def no_saved_account(monkeypatch, tmp_path):
    from qiskit_ibm_runtime import QiskitRuntimeService

    monkeypatch.setattr(QiskitRuntimeService, "saved_accounts", staticmethod(lambda *a, **k: {}))
    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_CHANNEL", "QISKIT_IBM_INSTANCE"):
        monkeypatch.delenv(var, raising=False)


def test_ibm_without_credentials_says_what_to_set(no_saved_account):
    with pytest.raises(HarnessError) as info:
        RuntimeDevice("ibm:ibm_brisbane", 1, 0, 0)
    text = str(info.value)
    assert "QISKIT_IBM_TOKEN" in text and "save_account" in text and "ibm_brisbane" in text


def test_ibm_service_failure_never_shows_the_token(no_saved_account, monkeypatch):
    import qiskit_ibm_runtime

    class Refusing:
        def __init__(self, **kwargs):
            raise ValueError(f"invalid token {kwargs.get('token')} for channel {kwargs.get('channel')}")

    monkeypatch.setenv("QISKIT_IBM_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("QISKIT_IBM_CHANNEL", "ibm_quantum_platform")
    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", Refusing)
    with pytest.raises(HarnessError) as info:
        RuntimeDevice("ibm:ibm_brisbane", 1, 0, 0)
    text = str(info.value) + repr(info.value.__cause__) + repr(info.value.__context__)
    assert FAKE_TOKEN not in text and "SECRET" not in text
    assert "ibm_brisbane" in text and "***" in text


def test_queue_time_comes_from_the_service_timestamps():
    from harness.executors.ibm import queue_seconds as _queue_seconds

    class Job:
        def __init__(self, stamps):
            self.stamps = stamps

        def metrics(self):
            return {"timestamps": self.stamps}

    stamps = {"created": "2025-01-01T10:00:00Z", "running": "2025-01-01T10:00:12.5Z", "finished": None}
    assert _queue_seconds(Job(stamps)) == pytest.approx(12.5)
    assert _queue_seconds(Job({"created": None})) == 0.0  # unknown: reported as no queue
