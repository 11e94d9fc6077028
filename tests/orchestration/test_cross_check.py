"""Aer versus cirq through OpenQASM 2: agreement on the same circuit, disagreement on another."""

import pytest

from harness.executors.cirq_device import aer_noisy_counts, cirq_counts, cross_check
from harness.workloads.ghz import ghz_circuit


@pytest.mark.sdk
def test_ghz_agrees_and_cirq_keeps_qiskit_bit_order():
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    q, c = QuantumRegister(3, "q"), ClassicalRegister(3, "c")
    x2 = QuantumCircuit(q, c)
    x2.x(2)  # only clbit 2 set: the leftmost character in qiskit's order
    x2.measure(q, c)
    assert cirq_counts(x2, 50, seed=1) == {"100": 50}

    check = cross_check(ghz_circuit(4), None, shots=2000, seed=3)
    assert check["verdict"] == "agree" and set(check["cirq_counts"]) == {"0000", "1111"}


def test_a_different_circuit_is_a_disagreement():
    wrong = ghz_circuit(3)
    wrong.data.insert(0, wrong.data[0].replace(operation=wrong.data[0].operation.__class__()))  # H H: no GHZ
    ideal = {"000": 1000, "111": 1000}
    check = cross_check(wrong, ideal, shots=2000, seed=4)
    assert check["verdict"] == "disagree" and check["p_value"] < 1e-10


@pytest.mark.sdk
def test_the_shared_depolarising_model_matches_its_closed_form_on_both_simulators():
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    p, shots = 0.15, 20000
    q, c = QuantumRegister(1, "q"), ClassicalRegister(1, "c")
    flip = QuantumCircuit(q, c)
    flip.x(0)
    flip.measure(q, c)
    # after X, depolarize(p) flips back with X or Y: P(0) = 2p/3
    for counts in (cirq_counts(flip, shots, seed=5, noise=p), aer_noisy_counts(flip, shots, seed=5, noise=p)):
        assert counts.get("0", 0) / shots == pytest.approx(2 * p / 3, abs=4 * (0.1 * 0.9 / shots) ** 0.5)
    check = cross_check(ghz_circuit(3), None, shots=3000, seed=6, noise=0.03)
    assert check["verdict"] == "agree" and check["noise"] == 0.03


def test_the_cross_check_uses_drifts_g_test_on_the_two_count_tables(monkeypatch):
    from harness import homogeneity

    from harness.executors import cirq_device

    aer, cirq = {"00": 500, "11": 500, "01": 1}, {"00": 505, "11": 495, "10": 2}
    monkeypatch.setattr(cirq_device, "cirq_counts", lambda *a, **k: cirq)
    check = cross_check(ghz_circuit(2), aer, shots=1001, seed=1)
    g = homogeneity.g_test(aer, cirq)  # the sparse outcomes join a dense bin: 2 bins, 1 dof
    assert (check["test"], check["statistic"], check["p_value"], check["cells"]) == ("G", g.statistic, g.p_value, 2)
    assert check["verdict"] == "agree"
    monkeypatch.setattr(cirq_device, "cirq_counts", lambda *a, **k: {"0": 12})
    assert cross_check(ghz_circuit(1), {"0": 10}, shots=10, seed=1)["p_value"] == 1.0  # one outcome: cannot differ


@pytest.mark.sdk
def test_a_suite_asking_for_the_cross_check_records_it(tmp_path):
    from harness.orchestration.runner import run_plans

    from .conftest import write_plan

    run = run_plans([write_plan(tmp_path, baselines={"classical": {},
                                                     "simulator": {"engine": "aer", "cross_check": "cirq"}})])
    sim = next(r for r in run.results if r.baseline == "simulator")
    check = sim.lineage["cross_check"]
    assert check["verdict"] == "agree" and check["engine"] == "cirq" and check["shots"] == 500
