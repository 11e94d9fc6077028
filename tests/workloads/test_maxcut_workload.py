"""The QAOA MaxCut workload: scoring, the classical baseline and the published p = 1 optimum."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.errors import UnsupportedError
from harness.suite.schema import ClassicalSettings
from harness.workloads.maxcut import MaxCutQAOA, parameter_order, qaoa_circuit

from ..fake_device import FakeDevice, ideal

CUBE_EDGES = [[0, 1], [0, 2], [0, 4], [1, 3], [1, 5], [2, 3], [2, 6], [3, 7], [4, 5], [4, 6], [5, 7], [6, 7]]
CUBE = {"name": "cube", "edges": CUBE_EDGES}
FGG_RATIO = 0.6924
"""Farhi, Goldstone, Gutmann (arXiv:1411.4028): p = 1 QAOA on 3-regular graphs cuts at least 0.6924 |E|,
with equality for triangle-free ones. Exactly: 1/2 + 1/(3 sqrt 3) = 0.692450..."""


def _problem(graph=CUBE, reps=1, shots=20000, **options):
    wl = MaxCutQAOA()
    return wl, wl.build(MaxCutQAOA.Params(graph=graph, reps=reps, shots=shots), MaxCutQAOA.Options(**options))


def _exact_expected_cut(problem, bound_circuit) -> float:
    from qiskit.quantum_info import Statevector

    probs = Statevector(bound_circuit.remove_final_measurements(inplace=False)).probabilities_dict()
    return problem.cut_moments(probs)[0]


def _qaoa_p1_expectations(edges, n, gammas, betas) -> np.ndarray:
    """<C> of the p = 1 QAOA state on a (gamma, beta) grid, by plain numpy state vectors.

    Independent of the workload's circuit: the cut diagonal exp(-i gamma C) and the mixer
    exp(-i beta X) applied per qubit as cos(beta) psi - i sin(beta) X psi.
    """
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    cut = sum(bits[:, u] ^ bits[:, v] for u, v in edges).astype(float)
    psi = np.exp(-1j * np.multiply.outer(gammas, cut)) / math.sqrt(2**n)  # (G, 2**n)
    psi = np.broadcast_to(psi[:, None, :], (len(gammas), len(betas), 2**n))
    psi = psi.reshape(len(gammas), len(betas), *([2] * n))
    c, s = np.cos(betas)[None, :], np.sin(betas)[None, :]
    for axis in range(2, 2 + n):
        shape = c.shape + (1,) * n
        psi = c.reshape(shape) * psi - 1j * s.reshape(shape) * np.flip(psi, axis=axis)
    probs = np.abs(psi.reshape(len(gammas), len(betas), 2**n)) ** 2
    return probs @ cut


def test_score_on_a_known_distribution():
    wl, problem = _problem(shots=400)
    optimal = "01101001"  # the cube's bipartition: node i is character -1-i
    assert problem.graph.cut_table[int(optimal, 2)] == 12
    metrics = wl.score(problem, {optimal: 0.5, "00000000": 0.5}, 400)
    assert metrics["expected_cut"].value == 6.0
    assert metrics["expected_cut"].stderr == pytest.approx(6.0 / math.sqrt(400))  # cut std is 6
    assert metrics["approximation_ratio"].value == 0.5
    assert metrics["approximation_ratio"].stderr == pytest.approx(0.5 / math.sqrt(400))
    assert metrics["p_optimal"].value == 0.5
    assert metrics["p_optimal"].stderr == pytest.approx(math.sqrt(0.25 / 400))
    assert {name: m.kind for name, m in metrics.items()} == {n: i.kind for n, i in MaxCutQAOA.metrics.items()}
    with pytest.raises(UnsupportedError, match="wider"):
        wl.score(problem, {"100000000": 1.0}, 10)


def test_classical_baseline():
    wl, problem = _problem()
    out = wl.classical(problem, ClassicalSettings(restarts=8), np.random.default_rng(0))
    assert out.info["optimum"] == 12 and out.info["optimal_bitstrings"] == 2
    assert set(out.info["seconds"]) == {"exact", "local_search"}
    cut = out.metrics["expected_cut"]
    assert cut.n == 8 and len(cut.samples) == 8 and cut.value == pytest.approx(np.mean(cut.samples))
    assert cut.stderr == pytest.approx(np.std(cut.samples, ddof=1) / math.sqrt(8))
    assert out.metrics["approximation_ratio"].value == pytest.approx(cut.value / 12)
    assert out.metrics["p_optimal"].value == pytest.approx(np.mean([c == 12 for c in cut.samples]))
    assert max(cut.samples) == 12 and len(out.trace) == 8

    exact_only = wl.classical(problem, ClassicalSettings(solvers=["exact"]), np.random.default_rng(0))
    assert exact_only.metrics["approximation_ratio"].value == 1.0
    assert exact_only.metrics["p_optimal"].value == 1.0
    with pytest.raises(UnsupportedError, match="local_search"):
        wl.classical(problem, ClassicalSettings(solvers=["gurobi"]), np.random.default_rng(0))


def test_circuit_parameters_and_bit_order():
    wl, problem = _problem()
    circuit = qaoa_circuit(problem.graph, 2)
    assert sorted(p.name for p in circuit.parameters) == ["beta[0]", "beta[1]", "gamma[0]", "gamma[1]"]
    assert "barrier" not in circuit.count_ops() and circuit.count_ops()["rzz"] == 24
    # gamma = 0 and beta = pi/4: RX(pi/2) on |+> leaves |+>, so every bitstring is equally likely
    bound = circuit.assign_parameters(np.array([0.0, 0.0, math.pi / 4, math.pi / 4])[parameter_order(circuit, 2)])
    assert _exact_expected_cut(problem, bound) == pytest.approx(6.0)


def test_published_p1_optimum_by_exact_grid():
    """Farhi-Goldstone-Gutmann 2014, published value: p = 1 on a triangle-free 3-regular graph gives 0.6924 |E|.

    Checked without shot noise: a grid of exact state vectors, refined by Nelder-Mead, on the 3-cube.
    """
    from scipy.optimize import minimize

    gammas, betas = np.linspace(0, np.pi, 91), np.linspace(0, np.pi / 2, 46)
    grid = _qaoa_p1_expectations(CUBE_EDGES, 8, gammas, betas)
    i, j = np.unravel_index(grid.argmax(), grid.shape)
    res = minimize(lambda x: -_qaoa_p1_expectations(CUBE_EDGES, 8, x[:1], x[1:])[0, 0],
                   [gammas[i], betas[j]], method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-12})
    best = -res.fun
    assert best / 12 == pytest.approx(FGG_RATIO, abs=1e-4)
    assert best / 12 == pytest.approx(0.5 + 1 / (3 * math.sqrt(3)), abs=1e-9)
    gamma, beta = res.x
    assert min(gamma, math.pi - gamma) == pytest.approx(math.atan(1 / math.sqrt(2)), abs=1e-4)
    assert beta == pytest.approx(math.pi / 8, abs=1e-4)

    # the workload's circuit, at the same angles, reaches the same value: its conventions are Farhi's
    wl, problem = _problem()
    circuit = qaoa_circuit(problem.graph, 1)
    bound = circuit.assign_parameters(np.array([gamma, beta])[parameter_order(circuit, 1)])
    assert _exact_expected_cut(problem, bound) == pytest.approx(best, abs=1e-9)


def test_the_sampled_loop_reaches_the_published_p1_optimum():
    """Farhi-Goldstone-Gutmann 2014, published value 0.6924 |E|: the sampled QAOA loop on an ideal device reaches it.

    The final expected cut must lie within 3 standard errors (20000 shots) of 0.6924 * 12.
    """
    wl, problem = _problem(shots=20000, evaluation="shots")
    out = wl.quantum(problem, FakeDevice(ideal, seed=3), np.random.default_rng(1))
    assert out.info["evaluation"] == "shots"
    assert out.shots == 20000 and sum(out.counts.values()) == 20000
    assert out.circuit.num_parameters == 0 and out.circuit.num_clbits == 8
    metrics = wl.score(problem, {k: v / out.shots for k, v in out.counts.items()}, out.shots)
    cut = metrics["expected_cut"]
    assert abs(cut.value - FGG_RATIO * 12) < 3 * cut.stderr
    # the optimizer found the optimum itself, not just a lucky sample
    assert _exact_expected_cut(problem, out.circuit) == pytest.approx(FGG_RATIO * 12, abs=0.03)

    trace = out.trace
    assert len(trace) == out.info["evaluations"] and [t["eval"] for t in trace] == list(range(len(trace)))
    assert [t["phase"] for t in trace[:4]] == ["sweep"] * 4 and trace[4]["phase"] == "step"
    assert all(len(t["params"]) == 2 and 0 < t["objective"] <= 12 for t in trace)
    assert max(t["objective"] for t in trace) == pytest.approx(out.info["best_objective"])


@pytest.mark.parametrize("optimizer", ["Nelder-Mead", "Powell"])
def test_other_optimizers_reach_the_ring_optimum(optimizer):
    """On the 4-cycle (2-regular, triangle-free) the p = 1 optimum is 1/2 + 1/4 per edge: a cut of 3."""
    ring = {"name": "c4", "edges": [[0, 1], [1, 2], [2, 3], [3, 0]]}
    wl, problem = _problem(ring, shots=4000, optimizer=optimizer, starts=2, maxiter=60)
    out = wl.quantum(problem, FakeDevice(ideal, seed=5), np.random.default_rng(2))
    assert out.info["optimizer"] == optimizer
    assert _exact_expected_cut(problem, out.circuit) == pytest.approx(3.0, abs=0.05)
    assert all(s["nfev"] <= 60 + 2 for s in out.info["starts"])
