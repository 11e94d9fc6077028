"""A Google processor as the hardware tier: cirq-google's shipped rainbow calibration on cirq.

- Compilation is exact: with the noise off, ry(t) routed and compiled to the device's gate set
  gives P(1) = sin^2(t/2), and a GHZ state gives only 0..0 and 1..1.
- The noisy GHZ success probability lies inside bounds computed from the calibration alone:
  above, the readout errors cap it (independent asymmetric flips before each measurement, whatever
  the state: the best computational state's chance of being read as 0..0 or 1..1); below, the
  ideal state read through those flips, less the summed infidelities of every other noise channel
  the model inserts (a first-order union bound); and gate noise visibly acts (strictly below the
  readout-only value).
- Lineage names the processor, the calibration file, date and hash, the gate set and the routing.
- Nothing touches the network; a circuit wider than the density-matrix cap is refused with the fix.
"""

from __future__ import annotations

import itertools
import math
import socket

import numpy as np
import pytest

pytest.importorskip("cirq_google", reason="cirq-google (a core dependency) is not installed")

from harness.errors import UnsupportedError  # noqa: E402
from harness.executors.google_device import GOOGLE_APPROXIMATION, MAX_QUBITS, GoogleDevice, _processor  # noqa: E402
from harness.workloads.ghz import ghz_circuit  # noqa: E402

pytestmark = pytest.mark.sdk

RAINBOW = "google:rainbow"


@pytest.fixture(scope="module")
def rainbow():
    return GoogleDevice(RAINBOW, seed_simulator=11)


def _z(hits: int, shots: int, p: float) -> float:
    return (hits / shots - p) / math.sqrt(max(p * (1 - p), 1e-12) / shots)


def test_with_the_noise_off_a_rotation_gives_its_closed_form():
    from qiskit import QuantumCircuit

    ideal = GoogleDevice(RAINBOW, seed_simulator=3, noise=False)
    for theta in (0.7, 2.1):
        qc = QuantumCircuit(1, 1)
        qc.ry(theta, 0)
        qc.measure(0, 0)
        counts = ideal.sample(qc, 6000)[0]
        assert abs(_z(counts.get("1", 0), 6000, math.sin(theta / 2) ** 2)) < 4
    ghz = ideal.sample(ghz_circuit(4), 2000)[0]
    assert set(ghz) <= {"0000", "1111"} and abs(_z(ghz.get("1111", 0), 2000, 0.5)) < 4


def _channel_infidelity(op) -> float:
    """1 - entanglement fidelity of a noise channel: sum_k |tr K_k|^2 / d^2 (the error probability of a Pauli channel)."""
    kraus = [np.asarray(k) for k in __import__("cirq").kraus(op)]
    d = kraus[0].shape[0]
    return 1.0 - sum(abs(np.trace(k)) ** 2 for k in kraus) / d**2


def test_the_noisy_ghz_success_lies_within_the_calibrations_bounds(rainbow):
    import cirq

    n, shots = 3, 8000
    qc = ghz_circuit(n)
    counts = rainbow.sample(qc, shots)[0]
    success = (counts.get("0" * n, 0) + counts.get("1" * n, 0)) / shots
    sigma = math.sqrt(success * (1 - success) / shots)

    p = _processor("rainbow")
    compiled = rainbow.compiled(rainbow.transpile(qc))
    qubits = sorted(compiled.all_qubits())
    flips = [p["properties"].readout_errors[q] for q in qubits]  # [P(1|0), P(0|1)]

    def read_as(bits, target):  # P(state ``bits`` is read as all-``target``)
        return math.prod((1 - f[b]) if b == target else f[b] for b, f in zip(bits, flips))

    ceiling = max(read_as(x, 0) + read_as(x, 1) for x in itertools.product((0, 1), repeat=n))
    readout_only = 0.5 * (read_as((0,) * n, 0) + read_as((0,) * n, 1)) + 0.5 * (read_as((1,) * n, 1)
                                                                              + read_as((1,) * n, 0))
    noisy = cirq.Circuit(p["noise"].noisy_moments(compiled.moments, qubits))
    others = [op for op in noisy.all_operations() if not cirq.has_unitary(op) and not cirq.is_measurement(op)
              and not isinstance(op.gate, cirq.GeneralizedAmplitudeDampingChannel)]
    assert others, "the model inserted no gate or decay noise"
    budget = sum(_channel_infidelity(op) for op in others)
    assert 0 < budget < 0.2
    assert success <= ceiling + 4 * sigma
    assert success >= readout_only * (1 - budget) - 4 * sigma
    assert success < readout_only - 4 * sigma  # the gates' and decay's errors act, not only the readout's
    print(f"GHZ-{n} on rainbow: success {success:.4f} +- {sigma:.4f}; bounds [{readout_only * (1 - budget):.4f}, "
          f"{ceiling:.4f}], readout only {readout_only:.4f}, channel budget {budget:.4f}")


def test_lineage_names_the_calibration_the_gate_set_and_the_routing(rainbow):
    rainbow.sample(ghz_circuit(3), 100)
    lineage = rainbow.lineage()
    assert lineage["processor"] == "rainbow" and lineage["backend"] == RAINBOW
    assert lineage["calibration_file"] == "rainbow_2021_11_16_calibration.json"
    assert lineage["calibration_date"].startswith("2021-11-16")
    assert len(lineage["calibration_sha256"]) == 64
    assert lineage["gate_set"] == "SqrtIswapTargetGateset" and lineage["two_qubit_gate"] == "sqrt_iswap"
    assert lineage["routing"]["router"] == "cirq.RouteCQC" and len(lineage["routing"]["initial_mapping"]) == 3
    assert lineage["approximation"] == GOOGLE_APPROXIMATION and len(lineage["physical_qubits"]) == 3


def test_confusion_matrices_are_the_calibrations_readout_errors(rainbow):
    from harness.executors.base import clbit_qubits

    qc = ghz_circuit(3)
    p = _processor("rainbow")
    grid = [p["qubits"][i] for i in clbit_qubits(rainbow.transpile(qc), RAINBOW, qc.name)]
    assert set(grid) == set(rainbow.compiled(rainbow.transpile(qc)).all_qubits())
    for a, q in zip(rainbow.confusion_matrices(qc), grid):
        assert np.allclose(a.sum(axis=0), 1.0)
        assert (a[1, 0], a[0, 1]) == pytest.approx(tuple(p["properties"].readout_errors[q]))  # P(1|0), P(0|1)


def test_the_processors_listed_without_importing_cirq_google_are_the_shipped_calibrations():
    from cirq_google.engine.virtual_engine_factory import MEDIAN_CALIBRATIONS

    from harness.executors.google_device import google_processors

    assert google_processors() == sorted(MEDIAN_CALIBRATIONS) and "rainbow" in google_processors()


def test_no_network_is_touched(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    _processor.cache_clear()  # load the device, the calibration and the noise model again, offline
    device = GoogleDevice(RAINBOW, seed_simulator=1)
    counts = device.sample(ghz_circuit(2), 200)[0]
    assert sum(counts.values()) == 200


def test_too_wide_a_circuit_and_an_unknown_processor_are_refused_with_the_fix(rainbow):
    with pytest.raises(UnsupportedError, match=f"at most {MAX_QUBITS}") as info:
        rainbow.sample(ghz_circuit(MAX_QUBITS + 1), 10)
    assert "narrower" in info.value.hint and "stabilizer" in info.value.hint
    with pytest.raises(UnsupportedError, match="ships calibrations for rainbow") as info:
        GoogleDevice("google:rainbo")
    assert info.value.hint == "use google:rainbow"


def test_a_suite_runs_its_hardware_tier_on_the_google_device_with_measured_readout_correction(tmp_path):
    from harness.errors import SuiteError
    from harness.orchestration.plan import plan_suite
    from harness.orchestration.runner import run_plans
    from harness.suite import load_suite

    path = tmp_path / "google.yaml"
    path.write_text(
        "suite: google\nworkload: ghz\nseed: 1\nmatrix: {n: [3], shots: [4000]}\n"
        f"baselines:\n  hardware: {{backend: '{RAINBOW}', mitigation: {{readout: true}}}}\n"
        "metrics: {success_probability: {better: higher, tolerance: 0.05}}\n")
    run = run_plans([plan_suite(load_suite(path))])
    by = {r.baseline: r for r in run.results}
    assert all(r.status == "ok" for r in run.results), [r.error for r in run.results]
    assert by["hardware.raw"].lineage["device"]["processor"] == "rainbow"
    details = by["hardware.mitigated"].lineage["mitigation_details"]["readout"]
    assert details["confusion"] == "measured" and len(details["physical_qubits"]) == 3
    raw, mitigated = (by[k].metrics["success_probability"].value for k in ("hardware.raw", "hardware.mitigated"))
    assert 0.7 < raw < mitigated <= 1.0

    bad = tmp_path / "bad.yaml"
    bad.write_text(path.read_text().replace(RAINBOW, "google:sycamore9"))
    with pytest.raises(SuiteError, match="unknown Google processor"):
        plan_suite(load_suite(bad))
    stab = tmp_path / "stab.yaml"
    stab.write_text(path.read_text().replace("mitigation:", "simulation: stabilizer, mitigation:"))
    with pytest.raises(SuiteError, match="drop simulation"):
        load_suite(stab)
    wide = tmp_path / "wide.yaml"
    wide.write_text(path.read_text().replace("n: [3]", f"n: [{MAX_QUBITS + 1}]"))
    with pytest.raises(SuiteError, match=f"needs {MAX_QUBITS + 1} qubits; {RAINBOW} is a density-matrix") as info:
        plan_suite(load_suite(wide))
    assert "make the case narrower" in info.value.hint
    zne = tmp_path / "zne.yaml"
    zne.write_text(path.read_text().replace("readout: true", "readout: true, zne: {scale_factors: [1, 3]}"))
    with pytest.raises(SuiteError, match="readout correction only; zne needs an IBM fake backend"):
        load_suite(zne)


def test_a_physical_circuit_keeps_its_native_gates_and_folds(rainbow):
    """translate_physical runs a circuit built on transpile()'s output gate for gate (U U^-1 U stays three)."""
    import cirq
    from qiskit import QuantumCircuit

    from harness.executors.aer import two_qubit_gate_count

    isa = rainbow.transpile(ghz_circuit(3))
    body = QuantumCircuit(isa.num_qubits, isa.num_clbits)
    for inst in isa.data:
        if inst.operation.name != "measure":
            body.append(inst)
    folded = body.compose(body.inverse()).compose(body)
    for inst in isa.data:
        if inst.operation.name == "measure":
            folded.append(inst)
    physical = rainbow.translate_physical(folded)
    assert two_qubit_gate_count(physical) == 3 * two_qubit_gate_count(isa)
    two = [op.gate for op in rainbow.compiled(physical).all_operations() if len(op.qubits) == 2]
    assert two and all(g in (cirq.SQRT_ISWAP, cirq.SQRT_ISWAP_INV) for g in two)
    ideal = GoogleDevice(RAINBOW, seed_simulator=4, noise=False)  # knows none of the gates: compiles each alone
    counts = ideal.sample_transpiled([folded], 500)[0]
    assert set(counts) <= {"000", "111"} and len(counts) == 2  # U U^-1 U = U: still the GHZ state
