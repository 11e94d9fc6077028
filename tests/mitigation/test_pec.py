"""PEC against known numbers: unbiased on a depolarising model it represents exactly; its overhead."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from qiskit import QuantumCircuit

from harness.errors import UnsupportedError
from harness.mitigation import execute_raw, mitigate
from harness.mitigation.pec import depolarizing_level
from harness.mitigation.registry import cost, variance_amplification
from harness.records import Metric
from harness.suite.schema import MitigationSettings, PECSettings

LAMBDA = 0.1
"""Depolarising strength of every ``sx``: rho -> (1 - LAMBDA) rho + LAMBDA I/2 (average infidelity LAMBDA/2)."""


class BlochDevice:
    """One qubit, tracked exactly as a Bloch vector: ``sx`` is noisy (depolarising after the gate),
    the Paulis PEC inserts are perfect, so the noise is exactly what PEC represents."""

    name = "bloch"

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.jobs = 0

    def transpile(self, circuit):
        return circuit

    def translate_physical(self, circuit):
        return circuit

    def gate_error(self, name, qubits):
        return LAMBDA / 2 if name == "sx" else None

    @staticmethod
    def p0(circuit) -> float:
        v = np.array([0.0, 0.0, 1.0])
        for inst in circuit.data:
            x, y, z = v
            name = inst.operation.name
            if name == "sx":  # a rotation by pi/2 about x, then the depolarising channel
                v = (1 - LAMBDA) * np.array([x, -z, y])
            elif name in ("x", "y", "z"):
                v = {"x": np.array([x, -y, -z]), "y": np.array([-x, y, -z]), "z": np.array([-x, -y, z])}[name]
        return (1 + v[2]) / 2

    def sample_transpiled(self, circuits, shots):
        self.jobs += 1
        out = []
        for c in circuits:
            zeros = int(self.rng.binomial(shots, self.p0(c)))
            out.append({k: v for k, v in (("0", zeros), ("1", shots - zeros)) if v})
        return out

    sample_batch = sample_transpiled

    def sample(self, circuit, shots, parameter_sets=None):
        return self.sample_transpiled([circuit], shots)


def four_sx() -> QuantumCircuit:
    qc = QuantumCircuit(1, 1)
    for _ in range(4):
        qc.sx(0)
    qc.measure(0, 0)
    return qc


def score(probs, shots):
    return {"p0": Metric(probs.get("0", 0.0), "proportion", n=shots)}


def test_the_depolarizing_level_matches_the_average_infidelity():
    # one qubit: r = 2p/3; two qubits: r = 4 (1 - (1-p)^2) / 5
    assert depolarizing_level(0.02, 1) == pytest.approx(0.03)
    p = depolarizing_level(0.01, 2)
    assert 4 * (1 - (1 - p) ** 2) / 5 == pytest.approx(0.01)
    # mitiq's channel at that level, (1-p) rho + p/3 (X rho X + Y rho Y + Z rho Z), is Aer's
    # depolarizing_error(4p/3): the sx of BlochDevice at LAMBDA is level 3 LAMBDA / 4
    assert depolarizing_level(LAMBDA / 2, 1) == pytest.approx(3 * LAMBDA / 4)


def test_pec_recovers_the_ideal_value_of_a_depolarized_circuit_within_its_error():
    from mitiq.pec import represent_operation_with_local_depolarizing_noise

    shots = 200_000
    settings = MitigationSettings(pec=PECSettings(samples=20_000, precision=0.02), bootstrap=50)
    raw = execute_raw(BlochDevice(1), four_sx(), shots, score, settings, np.random.default_rng(0))
    assert raw.metrics["p0"].value == pytest.approx((1 + (1 - LAMBDA) ** 4) / 2, abs=0.005)  # 0.828
    out = mitigate(BlochDevice(2), four_sx(), shots, score, settings, np.random.default_rng(0))
    m, info = out.metrics["p0"], out.details["pec"]
    one = QuantumCircuit(1)
    one.sx(0)
    norm = represent_operation_with_local_depolarizing_noise(one, 3 * LAMBDA / 4).norm
    assert info["gamma"] == pytest.approx(norm ** 4)  # mitiq's overhead of the four represented gates
    assert info["represented_gates"] == 4 and info["negative_samples"] > 0
    assert info["samples"] == int(np.ceil((info["gamma"] / 0.02) ** 2))  # mitiq's rule for the draws
    assert m.stderr is not None and 0.002 < m.stderr < 0.02  # within its stated precision, and honest about it
    assert abs(m.value - 1.0) < 4 * m.stderr, (m.value, m.stderr)  # unbiased: the ideal 1
    assert out.details["variance_amplification"]["pec"] == pytest.approx(info["gamma"] ** 2)
    per = int(np.ceil(shots / info["samples"]))
    assert out.resources["circuits"] == info["distinct_circuits"]
    # each merged draw runs per * (its multiplicity rounded down to a power of two): at most the share, over half of it
    assert info["samples"] * per / 2 < out.resources["shots"] <= info["samples"] * per
    assert out.resources["jobs"] <= int(np.log2(info["samples"])) + 1
    assert info["distinct_circuits"] <= 4 ** 4  # identical draws merged into one circuit each


def test_pec_refuses_an_overhead_its_shots_cannot_pay_for():
    settings = MitigationSettings(pec=PECSettings(samples=100, precision=0.01))
    with pytest.raises(UnsupportedError, match="infeasible") as info:
        mitigate(BlochDevice(), four_sx(), 1000, score, settings, np.random.default_rng(0))
    assert "gamma = " in str(info.value) and "shots" in info.value.hint


def test_pec_needs_calibrated_gate_errors_and_one_circuit():
    from ..fake_device import FakeDevice, ideal

    settings = MitigationSettings(pec=PECSettings(samples=100))
    with pytest.raises(UnsupportedError, match="calibrated gate errors"):
        mitigate(FakeDevice(ideal), four_sx(), 1000, score, settings, np.random.default_rng(0))
    with pytest.raises(UnsupportedError, match="single-circuit"):
        mitigate(BlochDevice(), [four_sx(), four_sx()], 100_000, lambda p, s: score(p[0], s), settings,
                 np.random.default_rng(0))


def test_pec_is_one_estimator_and_declares_its_cost():
    with pytest.raises(ValidationError, match="pec and zne"):
        MitigationSettings.model_validate({"pec": {}, "zne": {}})
    settings = MitigationSettings(pec=PECSettings(samples=100), readout=True)
    # at most 100 distinct circuits sharing the 1000 shots (10 each), plus readout's two calibrations
    assert cost(settings, 1, 1000) == (102, 3000)
    assert variance_amplification(settings) is None  # gamma is known only once the circuit is sampled
