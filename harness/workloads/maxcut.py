"""QAOA for MaxCut: a parameterised circuit, a scipy control loop on a device, exact and heuristic baselines.

The QAOA state of depth ``p`` is ``prod_k exp(-i beta_k B) exp(-i gamma_k C) |+>^n`` with
``C = sum_(u,v) w_uv (1 - Z_u Z_v) / 2`` the cut and ``B = sum_i X_i`` (Farhi, Goldstone and
Gutmann 2014). Up to a global phase ``exp(-i gamma w (1 - ZZ)/2) = RZZ(-gamma w)`` and
``exp(-i beta X) = RX(2 beta)``. Node ``i`` is qubit ``i``, measured into classical bit ``i``.

Example:
    >>> wl = MaxCutQAOA()
    >>> ring = {"name": "c4", "edges": [[0, 1], [1, 2], [2, 3], [3, 0]]}
    >>> problem = wl.build(MaxCutQAOA.Params(graph=ring, reps=1, shots=100), MaxCutQAOA.Options())
    >>> wl.score(problem, {"0101": 1.0}, 100)["approximation_ratio"].value
    1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping

import numpy as np
from pydantic import Field, model_validator

from harness.errors import UnsupportedError
from harness.records import Metric
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams
from harness.workloads.graphs import MAX_NODES, Graph, brute_force, check_edges, local_search
from harness.workloads.variational import evaluation_mode, minimize_from_starts, objective_distributions

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["GraphSpec", "MaxCutProblem", "MaxCutQAOA", "parameter_order", "qaoa_circuit"]


class GraphSpec(WorkloadParams):
    """A graph instance in a suite's matrix: ``{name, edges: [[u, v], ...], weights?, nodes?}``."""

    name: str
    edges: list[tuple[int, int]]
    weights: list[float] | None = None
    """One positive weight per edge; omitted means unweighted (all 1)."""
    nodes: int | None = Field(None, ge=1, le=MAX_NODES)
    """Node count, if some nodes have no edges; otherwise one more than the largest node."""

    @model_validator(mode="after")
    def _check(self) -> "GraphSpec":
        try:
            check_edges(self.edges, self.nodes, self.weights)
        except ValueError as exc:
            raise ValueError(f"graph {self.name!r}: {exc}") from None
        return self


def qaoa_circuit(graph: Graph, reps: int) -> "QuantumCircuit":
    """The measured QAOA circuit with parameters ``gamma[0..p-1]`` and ``beta[0..p-1]``."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    from qiskit.circuit import ParameterVector

    q, c = QuantumRegister(graph.n, "q"), ClassicalRegister(graph.n, "c")
    gamma, beta = ParameterVector("gamma", reps), ParameterVector("beta", reps)
    circuit = QuantumCircuit(q, c, name=f"qaoa_{graph.name}_p{reps}")
    circuit.h(q)
    for k in range(reps):
        for (u, v), w in zip(graph.edges, graph.weights):
            circuit.rzz(-w * gamma[k], u, v)
        circuit.rx(2 * beta[k], q)
    circuit.measure(q, c)
    return circuit


def parameter_order(circuit: "QuantumCircuit", reps: int) -> np.ndarray:
    """Columns of ``x = [gamma..., beta...]`` in ``circuit.parameters`` order (qiskit sorts by name)."""
    ours = [f"gamma[{k}]" for k in range(reps)] + [f"beta[{k}]" for k in range(reps)]
    return np.array([ours.index(p.name) for p in circuit.parameters])


@dataclass(frozen=True)
class MaxCutProblem:
    """One MaxCut case. ``graph`` caches its cut table and optimum, so scoring is a lookup."""

    graph: Graph
    reps: int
    shots: int
    options: "MaxCutQAOA.Options"

    def cut_moments(self, probs: Mapping[str, float]) -> tuple[float, float, float]:
        """Mean cut, its variance and the optimal-cut probability under ``probs`` (normalised to 1).

        Quasi-probabilities are kept as they are: their weighted mean is still the estimate.
        """
        keys = list(probs)
        z = np.fromiter((int(k.replace(" ", ""), 2) for k in keys), dtype=np.int64, count=len(keys))
        if len(z) and z.max() >= 2**self.graph.n:
            raise UnsupportedError(
                f"maxcut {self.graph.name}: a counts key is wider than the graph's {self.graph.n} nodes",
                hint="score the counts of the QAOA circuit this problem built",
            )
        p = np.fromiter((float(probs[k]) for k in keys), dtype=float, count=len(keys))
        total = p.sum()
        if total <= 0:
            raise UnsupportedError(f"maxcut {self.graph.name}: the distribution to score has no probability",
                                   hint="check the counts or the mitigation that produced them")
        p = p / total
        cuts = self.graph.cut_table[z]
        mean = float(p @ cuts)
        var = max(float(p @ cuts**2) - mean**2, 0.0)
        return mean, var, float(p @ self.graph.optimal_mask[z])


class MaxCutQAOA(Workload):
    """MaxCut by QAOA against brute force and one-flip local search (see the module docstring)."""

    name = "maxcut_qaoa"
    description = "QAOA MaxCut: expected cut, approximation ratio and optimal-cut probability"
    metrics = {
        "expected_cut": MetricInfo("expectation", "mean cut weight of the sampled bitstrings; stderr std/sqrt(shots)"),
        "approximation_ratio": MetricInfo("expectation", "expected cut / brute-force optimum"),
        "p_optimal": MetricInfo("proportion", "probability of sampling an optimal cut"),
    }
    solvers = ("exact", "local_search")
    default_solvers = ("exact", "local_search")

    class Params(WorkloadParams):
        graph: GraphSpec
        reps: int = Field(ge=1, le=10, description="QAOA depth p")
        shots: int = Field(ge=1, description="shots of the final circuit (and of each evaluation by default)")

    class Options(WorkloadParams):
        optimizer: Literal["COBYLA", "Nelder-Mead", "Powell"] = "COBYLA"
        """scipy.optimize.minimize method."""
        maxiter: int = Field(60, ge=1, le=10_000)
        """Most objective evaluations per start (maxiter for COBYLA, maxiter and maxfev otherwise)."""
        starts: int = Field(4, ge=1, le=64)
        """Initial points, drawn from the case's rng and evaluated as one sweep; the best optimum is kept."""
        initial_step: float = Field(0.25, gt=0, le=math.pi)
        """First step in radians: COBYLA's rhobeg, the Nelder-Mead simplex size, Powell's directions."""
        tol: float = Field(0.01, gt=0)
        """Final step: COBYLA's tol, Nelder-Mead's xatol, Powell's xtol."""
        eval_shots: int | None = Field(None, ge=1)
        """Shots per objective evaluation; the case's shots when omitted."""
        evaluation: Literal["auto", "exact", "shots"] = "auto"
        """``auto``: the exact expectation on a device that offers it (the ideal simulator), sampled
        elsewhere; ``exact`` insists on it; ``shots`` always samples. The final circuit is sampled."""
        sampled_maxiter: int | None = Field(None, ge=1, le=10_000)
        """Most evaluations per start when the objective is sampled; ``maxiter`` when omitted."""

    def qubits(self, params: WorkloadParams, options: WorkloadParams) -> int:
        g = params.graph
        return Graph.from_edges(g.name, g.edges, g.weights, g.nodes).n

    def build(self, params: WorkloadParams, options: WorkloadParams) -> MaxCutProblem:
        g = params.graph
        graph = Graph.from_edges(g.name, g.edges, g.weights, g.nodes)
        return MaxCutProblem(graph=graph, reps=params.reps, shots=params.shots, options=options)

    def classical(
        self, problem: MaxCutProblem, settings: "ClassicalSettings", rng: np.random.Generator
    ) -> ClassicalOutcome:
        """Brute force for the optimum, local search for the heuristic's metrics (one trial per restart)."""
        solvers = tuple(settings.solvers or self.default_solvers)
        unknown = [s for s in solvers if s not in self.solvers]
        if unknown:
            raise UnsupportedError(f"workload maxcut_qaoa: unknown classical solver(s) {unknown}",
                                   hint=f"use some of {list(self.solvers)}")
        graph, seconds, info = problem.graph, {}, {}
        if "exact" in solvers:
            exact = brute_force(graph)
            seconds["exact"] = exact.seconds
            info.update(best_cut=format(exact.best, f"0{graph.n}b"))
        optimum = graph.optimum
        trace: tuple[dict[str, Any], ...] = ()
        if "local_search" in solvers:
            ls = local_search(graph, settings.restarts, rng)
            seconds["local_search"] = ls.seconds
            cuts = np.array(ls.cuts)
            trace = tuple({"restart": i, "cut": c, "flips": f} for i, (c, f) in enumerate(zip(ls.cuts, ls.flips)))
        else:  # the exact solver alone: one deterministic trial
            cuts = np.array([optimum])
        hit = np.isclose(cuts, optimum, rtol=1e-12, atol=1e-9).astype(float)
        k = len(cuts)
        err = float(cuts.std(ddof=1) / math.sqrt(k)) if k > 1 else (0.0 if "local_search" not in solvers else None)
        frac = float(hit.mean())
        metrics = {
            "expected_cut": Metric(float(cuts.mean()), "scalar", err, k, tuple(cuts.tolist())),
            "approximation_ratio": Metric(float(cuts.mean() / optimum), "scalar",
                                          None if err is None else err / optimum, k, tuple((cuts / optimum).tolist())),
            "p_optimal": Metric(frac, "proportion", math.sqrt(frac * (1 - frac) / k), k, tuple(hit.tolist())),
        }
        info.update(solvers=list(solvers), optimum=optimum, optimal_bitstrings=int(graph.optimal_mask.sum()),
                    seconds=seconds, restarts=k if "local_search" in solvers else 0)
        return ClassicalOutcome(metrics=metrics, info=info, trace=trace)

    def quantum(self, problem: MaxCutProblem, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        """Optimise the QAOA angles on ``device`` from rng-drawn starts, then sample the best bound circuit."""
        opts, p = problem.options, problem.reps
        circuit = qaoa_circuit(problem.graph, p)
        order = parameter_order(circuit, p)
        shots = opts.eval_shots or problem.shots
        mode = evaluation_mode(opts.evaluation, device)
        maxiter = opts.maxiter if mode == "exact" else (opts.sampled_maxiter or opts.maxiter)

        def evaluate(xs: np.ndarray) -> list[float]:
            counts = objective_distributions(device, mode, circuit, shots, xs[:, order].tolist())
            return [problem.cut_moments(c)[0] for c in counts]

        # one period of the p = 1 landscape for integer weights: gamma in [0, pi) (with the
        # (gamma, beta) -> (-gamma, -beta) symmetry), beta in [0, pi/2) (a global flip keeps the cut)
        starts = np.hstack([rng.uniform(0, np.pi, (opts.starts, p)), rng.uniform(0, np.pi / 2, (opts.starts, p))])
        run = minimize_from_starts(evaluate, starts, method=opts.optimizer, maxiter=maxiter,
                                   initial_step=opts.initial_step, tol=opts.tol, maximize=True)
        final = circuit.assign_parameters(run.best[order].tolist())
        counts = device.sample(final, problem.shots)[0]
        info = {
            "optimizer": opts.optimizer,
            "best_params": {"gamma": run.best[:p].tolist(), "beta": run.best[p:].tolist()},
            "best_objective": run.best_value,
            "param_order": [f"gamma[{k}]" for k in range(p)] + [f"beta[{k}]" for k in range(p)],
            "evaluations": len(run.trace),
            "evaluation": mode,
            "maxiter": maxiter,
            "eval_shots": shots if mode == "shots" else None,
            "starts": list(run.starts),
            "optimum": problem.graph.optimum,
        }
        return QuantumOutcome(circuit=final, counts=dict(counts), shots=problem.shots, trace=run.trace, info=info)

    def score(self, problem: MaxCutProblem, probs: Mapping[str, float], shots: int) -> dict[str, Metric]:
        mean, var, p_opt = problem.cut_moments(probs)
        optimum = problem.graph.optimum
        err = math.sqrt(var / shots)
        p_opt = min(max(p_opt, 0.0), 1.0)
        return {
            "expected_cut": Metric(mean, "expectation", err, shots),
            "approximation_ratio": Metric(mean / optimum, "expectation", err / optimum, shots),
            "p_optimal": Metric(p_opt, "proportion", math.sqrt(p_opt * (1 - p_opt) / shots), shots),
        }
