"""Aer versus cirq through OpenQASM 2: agreement on the same circuit, disagreement on another."""

import json

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


def test_the_distance_and_its_noise_floor():
    from harness.executors.cirq_device import tvd

    value, floor = tvd({"00": 500, "11": 500}, {"00": 500, "11": 500})
    assert value == 0.0 and 0 < floor < 0.05  # two samples of one 50/50 distribution: |diff| ~ sqrt(2 / 4n)
    value, floor = tvd({"0": 100}, {"1": 100})
    assert value == 1.0
    assert tvd({"0": 100}, {"0": 50})[1] == 0.0  # one outcome on both: no noise at all


@pytest.mark.sdk
def test_a_vendor_disagreement_is_a_gated_regression_of_the_simulator(make_suite, tmp_path, capsys, monkeypatch):
    from harness.executors import cirq_device

    from ..conftest import run_cli

    path = make_suite("vendors", "mirror", matrix={"width": [3], "depth": [2], "shots": [400]},
                      baselines={"classical": {}, "simulator": {"engine": "aer", "cross_check": "cirq"}},
                      metrics={"success_probability": {"better": "higher", "tolerance": 0.03},
                               "vendor_tvd": {"better": "lower", "tolerance": 0.05}})
    dirs = ["--runs-dir", tmp_path / "runs", "--baselines", tmp_path / "baselines"]
    code, out, err = run_cli(capsys, "run", path, *dirs)
    assert code == 0, err
    code, out, err = run_cli(capsys, "baseline", "promote", "latest", *dirs)
    assert code == 0, err
    stored = json.loads(next((tmp_path / "baselines" / "vendors").glob("*.json")).read_text())
    assert "vendor_tvd" in stored["results"]["simulator"]["metrics"]  # the simulator's metric only
    assert "vendor_tvd" not in stored["results"]["classical"]["metrics"]
    code, out, err = run_cli(capsys, "gate", path, "--no-cache", *dirs)
    assert code == 0, out + err

    # cirq now gets classical bit 0 wrong (as a mistranslated gate would): not what Aer sees
    real = cirq_device.cirq_counts
    flip = {"0": "1", "1": "0"}
    monkeypatch.setattr(cirq_device, "cirq_counts",
                        lambda *a, **k: {key[:-1] + flip[key[-1]]: v for key, v in real(*a, **k).items()})
    code, out, err = run_cli(capsys, "gate", path, "--no-cache", *dirs)
    assert code == 1, out + err
    assert "vendor_tvd" in out + err


def test_a_cross_check_metric_needs_the_cross_check(make_suite, capsys, tmp_path):
    from ..conftest import run_cli

    path = make_suite("vendors", metrics={"vendor_tvd": {"better": "lower", "tolerance": 0.05}})
    code, out, err = run_cli(capsys, "run", path, "--dry-run", "--runs-dir", tmp_path / "runs")
    assert code == 2 and "cross_check: cirq" in err and "metrics.vendor_tvd" in err
