"""Portfolio QUBO: Ising form, penalty, exact and heuristic solvers, scoring and the QAOA loop."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pydantic import ValidationError

from harness.suite.schema import ClassicalSettings
from harness.workloads.ising import all_bits, ising_qaoa_circuit, qubo_to_ising, qubo_values
from harness.workloads.portfolio import Portfolio, greedy, swap_local_search

from ..fake_device import FakeDevice, ideal

FOUR = {"name": "four", "returns": [0.12, 0.10, 0.07, 0.03],
        "covariance": [[0.10, 0.02, 0.01, 0.00], [0.02, 0.08, 0.01, 0.00],
                       [0.01, 0.01, 0.05, 0.00], [0.00, 0.00, 0.00, 0.01]], "budget": 2}


def build(spec=FOUR, options=None, **kw):
    return Portfolio().build(Portfolio.Params(instance=spec, shots=kw.pop("shots", 2000), **kw),
                             Portfolio.Options(**(options or {})))


@pytest.mark.parametrize("n", [1, 3, 5])
def test_ising_form_reproduces_the_qubo_on_every_bitstring(n):
    rng = np.random.default_rng(n)
    q, c = rng.normal(size=(n, n)), rng.normal(size=n)
    assert np.allclose(qubo_to_ising(q, c, 0.7).energies(), qubo_values(q, c, 0.7, all_bits(n)))


def test_qaoa_cost_layer_applies_exp_minus_i_gamma_e():
    from qiskit.quantum_info import Statevector

    rng = np.random.default_rng(4)
    ising = qubo_to_ising(rng.normal(size=(3, 3)), rng.normal(size=3), 0.0)
    gamma, beta = 0.37, 0.21
    circuit = ising_qaoa_circuit(ising, 1).remove_final_measurements(inplace=False)
    got = Statevector(circuit.assign_parameters({p: gamma if p.name.startswith("gamma") else beta
                                                 for p in circuit.parameters})).data
    # by hand: |+>^3, the diagonal phase of the scaled energy (offset is a global phase), RX(2 beta) each
    e = (ising.energies() - ising.offset) / ising.scale
    state = np.exp(-1j * gamma * e) / np.sqrt(8)
    rx = np.array([[np.cos(beta), -1j * np.sin(beta)], [-1j * np.sin(beta), np.cos(beta)]])
    state = np.kron(np.kron(rx, rx), rx) @ state
    assert abs(np.vdot(state, got)) == pytest.approx(1.0, abs=1e-9)


def test_independent_assets_pick_the_best_return_minus_risk():
    mu, var = [0.05, 0.30, 0.10, 0.25, 0.02], [0.02, 0.30, 0.01, 0.04, 0.01]
    spec = {"name": "diag", "returns": mu, "covariance": np.diag(var).tolist(), "budget": 2}
    p = build(spec, risk=1.0)
    # with no covariance the objective is additive: the two largest mu_i - q var_i (0.21 and 0.09)
    assert p.f_opt == pytest.approx(-(0.21 + 0.09))
    best = format(int(np.argmax(p.optimal)), "05b")
    assert best == "01100"  # assets 2 and 3 (bits 2 and 3)


def test_default_penalty_makes_the_qubo_minimum_the_constrained_optimum():
    p = build()
    energies = p.ising.energies()
    assert p.feasible[int(np.argmin(energies))] and p.optimal[int(np.argmin(energies))]
    assert energies[~p.feasible].min() > energies[p.feasible].max()
    # brute force over the feasible selections by itertools, independently of the table
    values = [p.f(np.isin(np.arange(4), s).astype(float)) for s in itertools.combinations(range(4), 2)]
    assert min(values) == pytest.approx(p.f_opt) and max(values) == pytest.approx(p.f_worst)


def test_heuristics_are_feasible_and_local_search_finds_the_optimum():
    rng = np.random.default_rng(0)
    spec = {"name": "six", "returns": rng.uniform(0.0, 0.2, 6).tolist(),
            "covariance": (lambda a: (a @ a.T / 6).tolist())(rng.normal(0, 0.3, (6, 6))), "budget": 3}
    p = build(spec)
    found = swap_local_search(p, 10, np.random.default_rng(1))
    assert all(x.sum() == 3 for x in found)
    assert min(p.f(x) for x in found) == pytest.approx(p.f_opt)
    assert greedy(p).sum() == 3 and p.f(greedy(p)) >= p.f_opt - 1e-12
    out = Portfolio().classical(p, ClassicalSettings(restarts=10), np.random.default_rng(1))
    assert out.metrics["p_feasible"].value == 1.0 and out.metrics["approximation_ratio"].n == 10
    assert out.metrics["p_optimal"].value > 0 and out.info["optimum"] == pytest.approx(p.f_opt)


def test_score_of_known_distributions():
    wl, p = Portfolio(), build()
    opt = format(int(np.argmax(p.optimal)), "04b")
    worst = format(int(np.flatnonzero(p.feasible & np.isclose(p.objective, p.f_worst))[0]), "04b")
    m = wl.score(p, {opt: 1.0}, 100)
    assert (m["approximation_ratio"].value, m["p_feasible"].value, m["p_optimal"].value) == (1.0, 1.0, 1.0)
    assert wl.score(p, {worst: 1.0}, 100)["approximation_ratio"].value == pytest.approx(0.0)
    m = wl.score(p, {"0111": 0.5, opt: 0.5}, 100)  # three assets: infeasible, scores 0
    assert m["approximation_ratio"].value == pytest.approx(0.5) and m["p_feasible"].value == pytest.approx(0.5)
    assert m["approximation_ratio"].stderr == pytest.approx(0.05)


def test_qaoa_on_the_ideal_simulator_beats_uniform_sampling():
    wl, p = Portfolio(), build(options={"maxiter": 25, "starts": 2})
    out = wl.quantum(p, FakeDevice(ideal, seed=2), np.random.default_rng(2))
    m = wl.score(p, {k: v / p.shots for k, v in out.counts.items()}, p.shots)
    uniform = wl.score(p, {format(z, "04b"): 1 / 16 for z in range(16)}, p.shots)
    assert uniform["p_feasible"].value == pytest.approx(6 / 16)
    assert m["p_feasible"].value > uniform["p_feasible"].value + 5 * m["p_feasible"].stderr
    assert m["approximation_ratio"].value > uniform["approximation_ratio"].value


@pytest.mark.parametrize("change, message", [
    ({"covariance": [[0.1, 0.0], [0.0, 0.1]]}, "must be 4 x 4"),
    ({"budget": 5}, "exceeds the 4 assets"),
    ({"covariance": [[0.1, 0.2, 0, 0], [0, 0.1, 0, 0], [0, 0, 0.1, 0], [0, 0, 0, 0.1]]}, "symmetric"),
])
def test_bad_instances_are_refused(change, message):
    with pytest.raises(ValidationError, match=message):
        Portfolio.Params(instance={**FOUR, **change}, shots=10)
