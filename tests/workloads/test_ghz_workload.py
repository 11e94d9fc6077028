"""The GHZ workload against known answers: ideal runs, QED-C normalisation, stderr calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from harness.errors import UnsupportedError
from harness.suite.schema import ClassicalSettings
from harness.workloads.ghz import (
    GHZ,
    ghz_circuit,
    ghz_gates,
    hellinger_fidelity,
    normalized_fidelity,
    sparse_distribution,
)

from ..fake_device import FakeDevice, ideal


def _problem(n: int, shots: int = 4000):
    return GHZ().build(GHZ.Params(n=n, shots=shots), GHZ.Options())


def _uniform(n: int) -> dict[str, float]:
    return {format(i, f"0{n}b"): 2.0**-n for i in range(2**n)}


def test_an_ideal_run_is_perfect():
    wl, problem = GHZ(), _problem(5)
    out = wl.quantum(problem, FakeDevice(ideal, seed=11), np.random.default_rng(0))
    assert set(out.counts) <= {"00000", "11111"} and sum(out.counts.values()) == 4000
    metrics = wl.score(problem, {k: v / out.shots for k, v in out.counts.items()}, out.shots)
    assert metrics["success_probability"].value == 1.0
    assert metrics["success_probability"].stderr == 0.0
    # with only the two ideal outcomes F = (sqrt(p0/2) + sqrt(p1/2))**2 = 1 - O((p0 - 1/2)**2)
    assert metrics["hellinger_fidelity"].value == pytest.approx(1.0, abs=1e-3)
    assert metrics["normalized_fidelity"].value == pytest.approx(1.0, abs=1e-3)
    assert {m.n for m in metrics.values()} == {4000}


def test_classical_baseline_is_exactly_one():
    wl, problem = GHZ(), _problem(12)
    out = wl.classical(problem, ClassicalSettings(), np.random.default_rng(0))
    assert set(out.metrics) == set(GHZ.metrics)
    for name, metric in out.metrics.items():
        assert metric.value == pytest.approx(1.0, abs=1e-12), name
        assert metric.stderr == pytest.approx(0.0, abs=1e-7), name
        assert metric.kind == GHZ.metrics[name].kind
    assert out.info["ideal"] == pytest.approx({"0" * 12: 0.5, "1" * 12: 0.5})
    with pytest.raises(UnsupportedError, match="exact"):
        wl.classical(problem, ClassicalSettings(solvers=["annealing"]), np.random.default_rng(0))


@pytest.mark.parametrize("n", [2, 3, 6])
def test_uniform_distribution_normalises_to_zero(n):
    problem = _problem(n)
    metrics = GHZ().score(problem, _uniform(n), 1000)
    # QED-C's floor: the uniform distribution's fidelity to a GHZ state is 2 / 2**n
    assert metrics["hellinger_fidelity"].value == pytest.approx(2.0 ** (1 - n), rel=1e-12)
    assert metrics["normalized_fidelity"].value == pytest.approx(0.0, abs=1e-12)
    assert metrics["success_probability"].value == pytest.approx(2.0 ** (1 - n), rel=1e-12)


def test_normalisation_is_linear_between_floor_and_one():
    ideal = {"000": 0.5, "111": 0.5}
    f_u = 0.25  # 2 / 2**3
    value, err = normalized_fidelity(0.625, 0.01, ideal, 3)
    assert value == pytest.approx((0.625 - f_u) / (1 - f_u))
    assert err == pytest.approx(0.01 / (1 - f_u))
    assert normalized_fidelity(0.1, 0.01, ideal, 3)[0] == 0.0  # below the floor: clipped like QED-C


def test_hellinger_matches_qiskit():
    from qiskit.quantum_info import hellinger_fidelity as qiskit_hellinger

    rng = np.random.default_rng(5)
    keys = [format(i, "04b") for i in range(16)]
    for _ in range(5):
        p = dict(zip(keys, rng.dirichlet(np.ones(16))))
        q = dict(zip(keys, rng.dirichlet(np.ones(16))))
        assert hellinger_fidelity(p, q, 1000)[0] == pytest.approx(qiskit_hellinger(p, q), rel=1e-12)


def test_delta_method_stderr_matches_resampling():
    """The reported stderr is the spread of F over repeated multinomial experiments."""
    n, shots = 3, 2000
    problem = _problem(n, shots)
    truth = {k: 0.8 * problem.ideal.get(k, 0.0) + 0.2 / 2**n for k in _uniform(n)}
    keys, p = list(truth), np.array(list(truth.values()))
    rng = np.random.default_rng(2024)
    draws = rng.multinomial(shots, p, size=2000) / shots
    scores = [GHZ().score(problem, dict(zip(keys, d)), shots) for d in draws]
    for name in ("hellinger_fidelity", "normalized_fidelity", "success_probability"):
        values = np.array([s[name].value for s in scores])
        reported = np.mean([s[name].stderr for s in scores])
        assert reported == pytest.approx(values.std(ddof=1), rel=0.1), name


def test_success_probability_binomial_stderr():
    metrics = GHZ().score(_problem(2), {"00": 0.5, "11": 0.3, "01": 0.2}, 100)
    success = metrics["success_probability"]
    assert success.value == pytest.approx(0.8)
    assert success.stderr == pytest.approx(math.sqrt(0.8 * 0.2 / 100))


def test_quasi_probabilities_are_clipped():
    metrics = GHZ().score(_problem(2), {"00": 0.55, "11": 0.5, "01": -0.05}, 100)
    for m in metrics.values():
        assert 0.0 <= m.value <= 1.0
    assert metrics["success_probability"].value == 1.0


@pytest.mark.parametrize("n", [2, 4, 7])
def test_sparse_simulation_matches_statevector(n):
    from qiskit.quantum_info import Statevector

    circuit = ghz_circuit(n).remove_final_measurements(inplace=False)
    expected = Statevector(circuit).probabilities_dict()
    got = sparse_distribution(n, ghz_gates(n))
    assert got.keys() == {k for k, v in expected.items() if v > 1e-12}
    assert got == pytest.approx({k: expected[k] for k in got})


def test_sparse_simulation_interference():
    # H twice is the identity: the sparse amplitudes must cancel, not add probabilities
    assert sparse_distribution(2, (("h", 0), ("h", 0))) == pytest.approx({"00": 1.0})
    with pytest.raises(UnsupportedError, match="gate 'rz'"):
        sparse_distribution(1, (("rz", 0),))


def test_circuit_shape():
    circuit = ghz_circuit(6)
    names = [inst.operation.name for inst in circuit.data]
    assert "barrier" not in names
    assert names.count("cx") == 5 and names.count("h") == 1 and names.count("measure") == 6
    assert [r.name for r in circuit.cregs] == ["c"]
    # qubit i is measured into classical bit i, so bitstring position -1-i is qubit i
    for inst in circuit.data:
        if inst.operation.name == "measure":
            assert circuit.find_bit(inst.qubits[0]).index == circuit.find_bit(inst.clbits[0]).index


def test_params_are_validated():
    GHZ.Params(n=156, shots=1)  # the widest fake backend (run it with simulation: stabilizer)
    for bad in ({"n": 1, "shots": 10}, {"n": 1001, "shots": 10}, {"n": 3, "shots": 0}, {"n": 3, "shots": 5, "x": 1}):
        with pytest.raises(ValidationError):
            GHZ.Params(**bad)
    with pytest.raises(ValidationError):
        GHZ.Options(depth=2)
    # 30 qubits is cheap classically: the sparse simulation keeps two amplitudes
    assert len(_problem(30).ideal) == 2
