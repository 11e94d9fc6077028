"""Portfolio optimisation: pick exactly ``budget`` of ``n`` assets, trading expected return against risk.

The objective (to minimise) is Markowitz's mean-variance trade-off over selections ``x in {0,1}^n``:
``f(x) = q x^T Sigma x - mu^T x`` with ``q`` the risk factor. The budget becomes a penalty,
``F(x) = f(x) + P (sum_i x_i - B)^2``, a QUBO, solved by QAOA on its Ising form (see
:mod:`harness.workloads.ising`). The default ``P`` bounds the range of ``f`` (``sum |mu_i| +
q sum |Sigma_ij|``), so every infeasible selection costs more than every feasible one and the
QUBO's minimum is the constrained optimum.

Approximation ratio, for a minimisation with a feasible optimum: each sampled selection scores
``r(x) = (f_worst - f(x)) / (f_worst - f_opt)`` if it is feasible and 0 if not, where ``f_opt``
and ``f_worst`` are the best and worst objective over feasible selections. So ``r`` is 1 at
the optimum, 0 at the worst feasible selection and for any budget violation, whatever the sign
of ``f``; the metric is the mean of ``r`` over the distribution (1 if only one selection is feasible).

Example:
    >>> spec = {"name": "toy", "returns": [0.1, 0.2, 0.15], "covariance": [[0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]],
    ...         "budget": 1}
    >>> wl = Portfolio()
    >>> p = wl.build(Portfolio.Params(instance=spec, risk=0.5, shots=100), Portfolio.Options())
    >>> wl.score(p, {"010": 1.0}, 100)["p_optimal"].value  # asset 1 (bit 1) has the best return
    1.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping

import numpy as np
from pydantic import Field, model_validator

from harness.errors import UnsupportedError
from harness.records import Metric
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams
from harness.workloads.ising import Ising, all_bits, ising_qaoa_circuit, qubo_to_ising, qubo_values
from harness.workloads.maxcut import parameter_order
from harness.workloads.variational import evaluation_mode, minimize_from_starts, objective_distributions

if TYPE_CHECKING:
    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["Portfolio", "PortfolioProblem", "PortfolioSpec", "greedy", "swap_local_search"]

MAX_ASSETS = 16
"""Brute force (the exact baseline) enumerates 2**n selections."""


class PortfolioSpec(WorkloadParams):
    """An instance in a suite's matrix: ``{name, returns: [...], covariance: [[...]], budget}``."""

    name: str
    returns: list[float] = Field(min_length=1, max_length=MAX_ASSETS)
    covariance: list[list[float]]
    budget: int = Field(ge=1, description="number of assets to select")

    @model_validator(mode="after")
    def _check(self) -> "PortfolioSpec":
        n = len(self.returns)
        sigma = np.asarray(self.covariance, dtype=float)
        if sigma.shape != (n, n):
            raise ValueError(f"portfolio {self.name!r}: covariance must be {n} x {n} (one row per asset), "
                             f"got shape {sigma.shape}")
        if not np.all(np.isfinite(sigma)) or not np.all(np.isfinite(self.returns)):
            raise ValueError(f"portfolio {self.name!r}: returns and covariance must be finite numbers")
        if not np.allclose(sigma, sigma.T, atol=1e-12):
            raise ValueError(f"portfolio {self.name!r}: covariance must be symmetric")
        if self.budget > n:
            raise ValueError(f"portfolio {self.name!r}: budget {self.budget} exceeds the {n} assets")
        return self


@dataclass(frozen=True)
class PortfolioProblem:
    """One case: the objective over every selection (index = ``int(key, 2)``) and its feasible extremes."""

    name: str
    returns: np.ndarray
    covariance: np.ndarray
    risk: float
    budget: int
    penalty: float
    objective: np.ndarray
    feasible: np.ndarray
    f_opt: float
    f_worst: float
    ising: Ising
    reps: int
    optimizer: str
    shots: int
    options: Any

    @property
    def n(self) -> int:
        return len(self.returns)

    def f(self, x: np.ndarray) -> float:
        """The objective of one selection (computed, not looked up: the heuristics' real cost)."""
        return float(self.risk * x @ self.covariance @ x - self.returns @ x)

    def ratio(self, values: np.ndarray, feasible: np.ndarray) -> np.ndarray:
        """``r(x)`` of the module docstring for objective ``values``."""
        span = self.f_worst - self.f_opt
        r = np.ones_like(values) if span <= 1e-12 else (self.f_worst - values) / span
        return np.where(feasible, r, 0.0)

    @property
    def optimal(self) -> np.ndarray:
        return self.feasible & np.isclose(self.objective, self.f_opt, rtol=1e-12, atol=1e-12)

    def indices(self, probs: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        keys = list(probs)
        z = np.fromiter((int(k.replace(" ", ""), 2) for k in keys), dtype=np.int64, count=len(keys))
        if len(z) and z.max() >= 2**self.n:
            raise UnsupportedError(f"portfolio {self.name}: a counts key is wider than the {self.n} assets",
                                   hint="score the counts of the circuit this problem built")
        p = np.fromiter((float(probs[k]) for k in keys), dtype=float, count=len(keys))
        if p.sum() <= 0:
            raise UnsupportedError(f"portfolio {self.name}: the distribution to score has no probability",
                                   hint="check the counts or the mitigation that produced them")
        return z, p / p.sum()


def swap_local_search(problem: PortfolioProblem, restarts: int, rng: np.random.Generator) -> list[np.ndarray]:
    """From random feasible selections, take the best improving swap (one asset out, one in) until none is left.

    Swaps keep the budget, so every result is feasible; each restart is one trial.
    """
    out = []
    for _ in range(restarts):
        x = np.zeros(problem.n)
        x[rng.choice(problem.n, problem.budget, replace=False)] = 1
        value = problem.f(x)
        while True:
            best, move = value, None
            for i in np.flatnonzero(x == 1):
                for j in np.flatnonzero(x == 0):
                    y = x.copy()
                    y[i], y[j] = 0, 1
                    v = problem.f(y)
                    if v < best - 1e-12:
                        best, move = v, y
            if move is None:
                break
            x, value = move, best
        out.append(x)
    return out


def greedy(problem: PortfolioProblem) -> np.ndarray:
    """Add, one at a time, the asset that lowers the objective most, until ``budget`` are held."""
    x = np.zeros(problem.n)
    for _ in range(problem.budget):
        candidates = np.flatnonzero(x == 0)
        values = [problem.f(np.where(np.arange(problem.n) == j, 1.0, x)) for j in candidates]
        x[candidates[int(np.argmin(values))]] = 1
    return x


class Portfolio(Workload):
    """Budget-constrained mean-variance selection by QAOA against brute force and swap local search."""

    name = "portfolio"
    description = "Portfolio selection (QUBO with a budget penalty) by QAOA: approximation ratio and feasibility"
    metrics = {
        "approximation_ratio": MetricInfo("expectation",
                                          "mean of (f_worst - f) / (f_worst - f_opt) over feasible samples, 0 if infeasible"),
        "p_feasible": MetricInfo("proportion", "probability of a selection of exactly budget assets"),
        "p_optimal": MetricInfo("proportion", "probability of the optimal selection"),
    }
    solvers = ("exact", "local_search", "greedy")
    default_solvers = ("exact", "local_search")

    class Params(WorkloadParams):
        instance: PortfolioSpec
        risk: float = Field(0.5, ge=0, description="risk factor q")
        penalty: float | None = Field(None, gt=0, description="budget penalty P; the objective's range bound if omitted")
        reps: int = Field(1, ge=1, le=10, description="QAOA depth p")
        optimizer: Literal["COBYLA", "Nelder-Mead", "Powell"] = "COBYLA"
        shots: int = Field(ge=1)

    class Options(WorkloadParams):
        maxiter: int = Field(40, ge=1, le=10_000)
        starts: int = Field(3, ge=1, le=64)
        initial_step: float = Field(0.3, gt=0, le=math.pi)
        tol: float = Field(0.01, gt=0)
        eval_shots: int | None = Field(None, ge=1)
        evaluation: Literal["auto", "exact", "shots"] = "auto"
        """``auto``: the exact expectation on a device that offers it (the ideal simulator), sampled
        elsewhere; ``exact`` insists on it; ``shots`` always samples. The final circuit is sampled."""
        sampled_maxiter: int | None = Field(None, ge=1, le=10_000)
        """Most evaluations per start when the objective is sampled; ``maxiter`` when omitted."""

    def qubits(self, params: WorkloadParams, options: WorkloadParams) -> int:
        return len(params.instance.returns)

    def build(self, params: WorkloadParams, options: WorkloadParams) -> PortfolioProblem:
        spec = params.instance
        mu, sigma, n = np.asarray(spec.returns, float), np.asarray(spec.covariance, float), len(spec.returns)
        q = params.risk
        penalty = params.penalty or float(np.abs(mu).sum() + q * np.abs(sigma).sum()) or 1.0
        bits = all_bits(n)
        objective = qubo_values(q * sigma, -mu, 0.0, bits)
        feasible = bits.sum(axis=1) == spec.budget
        # P (sum x - B)^2 = P (x^T 1 1^T x - 2 B 1^T x + B^2)
        ising = qubo_to_ising(q * sigma + penalty * np.ones((n, n)), -mu - 2 * penalty * spec.budget * np.ones(n),
                              penalty * spec.budget**2)
        return PortfolioProblem(
            name=spec.name, returns=mu, covariance=sigma, risk=q, budget=spec.budget, penalty=penalty,
            objective=objective, feasible=feasible, f_opt=float(objective[feasible].min()),
            f_worst=float(objective[feasible].max()), ising=ising, reps=params.reps, optimizer=params.optimizer,
            shots=params.shots, options=options)

    def classical(self, problem: PortfolioProblem, settings: "ClassicalSettings", rng: np.random.Generator
                  ) -> ClassicalOutcome:
        """Brute force for the optimum; the metrics are the heuristic's (local search, else greedy), per trial."""
        solvers = tuple(settings.solvers or self.default_solvers)
        unknown = [s for s in solvers if s not in self.solvers]
        if unknown:
            raise UnsupportedError(f"workload portfolio: unknown classical solver(s) {unknown}",
                                   hint=f"use some of {list(self.solvers)}")
        seconds: dict[str, float] = {}
        info: dict[str, Any] = {"solvers": list(solvers), "penalty": problem.penalty}
        if "exact" in solvers:
            start = time.perf_counter()
            bits = all_bits(problem.n)
            values = problem.risk * np.einsum("bi,ij,bj->b", bits, problem.covariance, bits) - bits @ problem.returns
            values[bits.sum(axis=1) != problem.budget] = np.inf
            best = int(np.argmin(values))
            seconds["exact"] = time.perf_counter() - start
            info.update(optimum=float(values[best]), best_selection=format(best, f"0{problem.n}b"))
        found: list[np.ndarray] = []
        trace: list[dict[str, Any]] = []
        for solver in ("local_search", "greedy"):
            if solver in solvers and not found:
                start = time.perf_counter()
                found = swap_local_search(problem, settings.restarts, rng) if solver == "local_search" \
                    else [greedy(problem)]
                seconds[solver] = time.perf_counter() - start
                info["heuristic"] = solver
        if not found:  # the exact solver alone: one deterministic trial at the optimum
            found = [all_bits(problem.n)[int(np.argmax(problem.optimal))]]
        values = np.array([problem.f(x) for x in found])
        feasible = np.array([x.sum() == problem.budget for x in found])
        r = problem.ratio(values, feasible)
        hit = (feasible & np.isclose(values, problem.f_opt, rtol=1e-12, atol=1e-12)).astype(float)
        trace = [{"trial": i, "selection": "".join(str(int(b)) for b in x[::-1]), "objective": float(v)}
                 for i, (x, v) in enumerate(zip(found, values))]
        k = len(found)
        err = float(r.std(ddof=1) / math.sqrt(k)) if k > 1 else 0.0
        pf, po = float(feasible.mean()), float(hit.mean())
        metrics = {
            "approximation_ratio": Metric(float(r.mean()), "scalar", err, k, tuple(r.tolist())),
            "p_feasible": Metric(pf, "proportion", math.sqrt(pf * (1 - pf) / k), k, tuple(feasible.astype(float).tolist())),
            "p_optimal": Metric(po, "proportion", math.sqrt(po * (1 - po) / k), k, tuple(hit.tolist())),
        }
        info.update(seconds=seconds, f_opt=problem.f_opt, f_worst=problem.f_worst)
        return ClassicalOutcome(metrics=metrics, info=info, trace=tuple(trace))

    def quantum(self, problem: PortfolioProblem, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        """Minimise the expected penalised cost over QAOA angles on ``device``, then sample the best circuit."""
        opts, p = problem.options, problem.reps
        circuit = ising_qaoa_circuit(problem.ising, p, name=f"portfolio_{problem.name}")
        order = parameter_order(circuit, p)
        shots = opts.eval_shots or problem.shots
        mode = evaluation_mode(opts.evaluation, device)
        maxiter = opts.maxiter if mode == "exact" else (opts.sampled_maxiter or opts.maxiter)
        cost = problem.ising.energies()  # the penalised QUBO F over every selection

        def evaluate(xs: np.ndarray) -> list[float]:
            counts = objective_distributions(device, mode, circuit, shots, xs[:, order].tolist())
            out = []
            for c in counts:
                z, w = problem.indices(c)
                out.append(float(w @ cost[z]))
            return out

        # gamma multiplies coefficients scaled to at most 1 in magnitude; beta's RX(2 beta) has period pi
        starts = np.hstack([rng.uniform(0, np.pi, (opts.starts, p)), rng.uniform(0, np.pi, (opts.starts, p))])
        run = minimize_from_starts(evaluate, starts, method=problem.optimizer, maxiter=maxiter,
                                   initial_step=opts.initial_step, tol=opts.tol)
        final = circuit.assign_parameters(run.best[order].tolist())
        counts = device.sample(final, problem.shots)[0]
        info = {
            "optimizer": problem.optimizer,
            "best_params": {"gamma": run.best[:p].tolist(), "beta": run.best[p:].tolist()},
            "best_objective": run.best_value,
            "evaluations": len(run.trace),
            "evaluation": mode,
            "maxiter": maxiter,
            "eval_shots": shots if mode == "shots" else None,
            "starts": list(run.starts),
            "penalty": problem.penalty,
            "ising_scale": problem.ising.scale,
            "f_opt": problem.f_opt,
        }
        return QuantumOutcome(circuit=final, counts=dict(counts), shots=problem.shots, trace=run.trace, info=info)

    def score(self, problem: PortfolioProblem, probs: Mapping[str, float], shots: int) -> dict[str, Metric]:
        z, p = problem.indices(probs)
        r = problem.ratio(problem.objective[z], problem.feasible[z])
        mean = float(p @ r)
        var = max(float(p @ r**2) - mean**2, 0.0)
        pf = min(max(float(p @ problem.feasible[z]), 0.0), 1.0)
        po = min(max(float(p @ problem.optimal[z]), 0.0), 1.0)
        return {
            "approximation_ratio": Metric(mean, "expectation", math.sqrt(var / shots), shots),
            "p_feasible": Metric(pf, "proportion", math.sqrt(pf * (1 - pf) / shots), shots),
            "p_optimal": Metric(po, "proportion", math.sqrt(po * (1 - po) / shots), shots),
        }
