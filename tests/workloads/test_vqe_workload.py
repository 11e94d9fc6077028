"""VQE workloads: exact baselines, the multi-circuit loop on an ideal simulator, and the runner path."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import UnsupportedError
from harness.suite.schema import ClassicalSettings
from harness.workloads.vqe import VQEH2, VQETFIM, ry_ansatz

from ..fake_device import FakeDevice, ideal

EXACT_H2 = -1.137306036


def probs_of(outcome):
    return [{k: v / sum(c.values()) for k, v in c.items()} for c in outcome.counts_list]


def test_classical_exact_and_mean_field_baselines():
    wl = VQEH2()
    problem = wl.build(VQEH2.Params(shots=1000), VQEH2.Options())
    exact = wl.classical(problem, ClassicalSettings(), np.random.default_rng(0))
    assert exact.metrics["energy"].value == pytest.approx(EXACT_H2, abs=1e-6)
    assert exact.metrics["energy"].unit == "Ha"
    assert exact.metrics["energy_error"].value == pytest.approx(0.0, abs=1e-12)
    both = wl.classical(problem, ClassicalSettings(solvers=["exact", "product_state"], restarts=3),
                        np.random.default_rng(0))
    # the metrics stay the exact energy; mean field is a separate, named solver in the info
    assert both.metrics["energy"].value == pytest.approx(EXACT_H2, abs=1e-6)
    assert both.info["metrics_from"] == "exact" and len(both.trace) == 3
    # the best product state of this H2 Hamiltonian is a basis state: Hartree-Fock, -1.1170 Ha
    mf = both.info["product_state"]
    assert mf["energy"] == pytest.approx(-1.11699, abs=1e-4) and mf["restarts"] == 3
    assert mf["energy_error"] == pytest.approx(-1.11699 - EXACT_H2, abs=1e-4)
    alone = wl.classical(problem, ClassicalSettings(solvers=["product_state"], restarts=3), np.random.default_rng(0))
    assert alone.metrics["energy"].value == pytest.approx(-1.11699, abs=1e-4) and alone.metrics["energy"].n == 3


def test_tfim_mean_field_is_above_the_exact_energy():
    wl = VQETFIM()
    problem = wl.build(VQETFIM.Params(n=4, field=1.0, shots=100), VQETFIM.Options())
    out = wl.classical(problem, ClassicalSettings(solvers=["product_state"], restarts=4), np.random.default_rng(1))
    assert out.metrics["energy_error"].value > 0.1  # mean field misses the critical chain's correlations
    assert problem.ground == pytest.approx(-4.758770483, abs=1e-8)


def test_h2_vqe_on_the_ideal_simulator_reaches_the_ground_energy():
    wl = VQEH2()
    problem = wl.build(VQEH2.Params(shots=4000), VQEH2.Options(maxiter=40, starts=1, eval_shots=2000))
    out = wl.quantum(problem, FakeDevice(ideal, seed=3), np.random.default_rng(3))
    assert len(out.circuits) == len(out.counts_list) == 2 and out.circuit is out.circuits[0]
    assert out.info["bases"] == ["ZZ", "XX"] and all(c.num_parameters == 0 for c in out.circuits)
    assert out.trace[0]["phase"] == "sweep" and out.info["init"] == "mean_field"
    m = wl.score(problem, probs_of(out), out.shots)
    e = m["energy"]
    assert e.unit == "Ha" and e.kind == "expectation" and 0 < e.stderr < 0.01
    assert abs(e.value - EXACT_H2) < 0.02 + 4 * e.stderr
    assert m["relative_error"].value == pytest.approx(abs(e.value - EXACT_H2) / abs(EXACT_H2), abs=1e-6)


def test_tfim_vqe_respects_the_variational_bound():
    wl = VQETFIM()
    problem = wl.build(VQETFIM.Params(n=3, reps=1, shots=4000), VQETFIM.Options(maxiter=20, starts=2))
    out = wl.quantum(problem, FakeDevice(ideal, seed=5), np.random.default_rng(5))
    m = wl.score(problem, probs_of(out), out.shots)
    assert m["energy_error"].value > -4 * m["energy"].stderr  # no state lies below the ground energy
    assert m["energy"].value < -2.5  # far below a random state's energy (about 0)
    assert out.info["evaluations"] == len(out.trace) <= 2 * 20 + 2


def test_ideal_ansatz_optimum_on_exact_distributions_scores_zero_error():
    from qiskit.quantum_info import Statevector
    from scipy.optimize import minimize

    from harness.workloads.pauli import basis_circuit, sparse_matrix

    wl = VQEH2()
    problem = wl.build(VQEH2.Params(shots=1000), VQEH2.Options())
    ansatz = ry_ansatz(2, 1)
    h = sparse_matrix(problem.terms).toarray()

    def energy(x):
        sv = Statevector(ansatz.assign_parameters(x)).data
        return float(np.real(sv.conj() @ h @ sv))

    best = minimize(energy, np.full(4, 0.3), method="BFGS").x
    state = ansatz.assign_parameters(best)
    probs = [Statevector(basis_circuit(state, g.basis).remove_final_measurements(inplace=False)).probabilities_dict()
             for g in problem.groups]
    assert wl.score(problem, probs, 1000)["energy_error"].value == pytest.approx(0.0, abs=1e-7)


def test_score_needs_one_distribution_per_basis():
    wl = VQEH2()
    problem = wl.build(VQEH2.Params(shots=10), VQEH2.Options())
    with pytest.raises(UnsupportedError, match="one distribution per measurement basis"):
        wl.score(problem, {"00": 1.0}, 10)
    with pytest.raises(ValueError, match="1 distributions for 2"):
        wl.score(problem, [{"00": 1.0}], 10)


@pytest.mark.sdk
def test_runner_scores_every_basis_on_simulator_and_hardware(make_suite):
    from harness.orchestration.plan import plan_suite
    from harness.orchestration.runner import run_plans
    from harness.suite import load_suite

    mitigation = {"readout": True, "bootstrap": 20, "zne": {"scale_factors": [1, 3], "extrapolation": "linear"}}
    path = make_suite("h2-mini", "vqe_h2", seed=3, matrix={"shots": [1000]}, options={"maxiter": 6, "starts": 1},
                      baselines={"simulator": {}, "hardware": {"backend": "fake_manila", "mitigation": mitigation}},
                      metrics={"energy": {"better": "lower", "tolerance": 0.05}}, file="h2.yaml")
    run = run_plans([plan_suite(load_suite(path))])
    by = {r.baseline: r for r in run.results}
    assert set(by) == {"simulator", "hardware.raw", "hardware.mitigated"}
    assert all(r.status == "ok" for r in run.results), [r.error for r in run.results]
    for r in run.results:
        assert r.metrics["energy"].unit == "Ha" and r.counts is None and len(r.lineage["counts_list"]) == 2
    # raw scores the loop's final execution of both basis circuits: no extra circuit is run for it
    assert by["hardware.raw"].resources["mitigation"]["circuits"] == 0
    assert by["hardware.raw"].lineage["mitigation_details"]["reused_counts"] is True
    assert by["hardware.mitigated"].resources["mitigation"]["circuits"] == 4
    assert by["hardware.mitigated"].metrics["energy"].stderr > 0
