"""VQE: a hardware-efficient RY ansatz, energies measured in several Pauli bases, a scipy control loop.

The ansatz is ``reps`` layers of RY on every qubit followed by a CX chain, then a final RY
layer: real amplitudes, which suffice for both Hamiltonians here (TFIM is stoquastic and the H2
ground state is real). The energy needs one circuit per qubit-wise commuting group of terms
(see :mod:`harness.workloads.pauli`): two for TFIM (all-Z, all-X) and two for H2. So these
workloads are ``multi_circuit``: their ``score`` takes one distribution per basis circuit.

Every evaluation of the objective is one job: the basis rotations are parameters too (see
:func:`~harness.workloads.pauli.parametric_basis_circuit`), so all points of a sweep in all bases
are one parameter sweep of one circuit. The final bound circuits use fixed basis gates. On an
ideal simulator the loop evaluates the exact expectation (``evaluation: auto``); on noisy devices
it samples. The classical baseline's metrics are the exact ground energy by sparse
diagonalisation; a product-state (mean-field) heuristic is a separate, named solver in its info.

Example:
    >>> wl = VQETFIM()
    >>> p = wl.build(VQETFIM.Params(n=2, field=0.0, shots=100), VQETFIM.Options())
    >>> wl.score(p, [{"00": 1.0}, {"00": 0.5, "11": 0.5}], 100)["energy_error"].value
    0.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

import numpy as np
from pydantic import Field

from harness.errors import UnsupportedError
from harness.records import Metric
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams
from harness.workloads.hamiltonians import H2_BOND_LENGTH, H2_NUCLEAR_REPULSION, H2_TERMS, tfim_terms
from harness.workloads.pauli import (
    ExactGround,
    Hamiltonian,
    MeasurementGroup,
    basis_angles,
    basis_circuit,
    energy_estimate,
    exact_ground,
    measurement_groups,
    parametric_basis_circuit,
    product_state_energy,
)
from harness.workloads.variational import evaluation_mode, minimize_from_starts, objective_distributions

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["VQEH2", "VQEProblem", "VQETFIM", "ry_ansatz"]

Optimizer = Literal["COBYLA", "Nelder-Mead", "Powell", "L-BFGS-B"]


def ry_ansatz(n: int, reps: int) -> "QuantumCircuit":
    """RY layer, CX chain, repeated ``reps`` times, then a last RY layer; parameters ``theta[i]``."""
    from qiskit import QuantumCircuit, QuantumRegister
    from qiskit.circuit import ParameterVector

    q = QuantumRegister(n, "q")
    theta = ParameterVector("theta", n * (reps + 1))
    circuit = QuantumCircuit(q, name=f"ry{n}_r{reps}")
    for layer in range(reps + 1):
        for i in range(n):
            circuit.ry(theta[layer * n + i], i)
        if layer < reps:
            for i in range(n - 1):
                circuit.cx(i, i + 1)
    return circuit


def _order(circuit: "QuantumCircuit") -> np.ndarray:
    """Indices into ``theta`` of ``circuit.parameters`` (so ``x[order]`` binds in qiskit's order)."""
    return np.array([int(p.name[len("theta["):-1]) for p in circuit.parameters])


def _sweep_rows(circuit: "QuantumCircuit", xs: np.ndarray, groups: Sequence[MeasurementGroup]) -> np.ndarray:
    """Parameter rows of ``circuit`` (from :func:`parametric_basis_circuit`): every point in every basis.

    Row ``i * len(groups) + g`` is point ``xs[i]`` measured in ``groups[g]``'s basis.
    """
    names = [p.name for p in circuit.parameters]
    rows = []
    for x in xs:
        values = {f"theta[{i}]": float(v) for i, v in enumerate(x)}
        for g in groups:
            bound = {**values, **basis_angles(g.basis)}
            rows.append([bound[name] for name in names])
    return np.array(rows)


@dataclass(frozen=True)
class VQEProblem:
    """One VQE case: the Hamiltonian, its measurement groups and exact ground energy."""

    name: str
    terms: Hamiltonian
    groups: tuple[MeasurementGroup, ...]
    exact: ExactGround
    offset: float
    """Added to every energy (H2's nuclear repulsion); the exact total is ``exact.energy + offset``."""
    reps: int
    optimizer: str
    shots: int
    options: Any

    @property
    def n(self) -> int:
        return len(self.terms[0][0])

    @property
    def ground(self) -> float:
        return self.exact.energy + self.offset


def _mean_field_angles(problem: VQEProblem) -> np.ndarray:
    """RY angles of the lowest product state, from a fixed grid of starts (deterministic, no rng)."""
    from scipy.optimize import minimize

    best = None
    for start in (0.0, math.pi / 2, -math.pi / 2, math.pi):
        res = minimize(lambda t: product_state_energy(problem.terms, t), np.full(problem.n, start) + 0.1,
                       method="L-BFGS-B")
        if best is None or res.fun < best.fun:
            best = res
    return np.asarray(best.x)


class _VQE(Workload):
    """Shared loop and scoring; subclasses give the Hamiltonian, its name and its unit."""

    multi_circuit = True
    unit = ""
    solvers = ("exact", "product_state")
    default_solvers = ("exact",)

    class Options(WorkloadParams):
        maxiter: int = Field(60, ge=1, le=10_000)
        """Most objective evaluations per start."""
        sampled_maxiter: int | None = Field(None, ge=1, le=10_000)
        """Most evaluations per start when the objective is sampled (a noisy or real device, where
        every evaluation is a job); ``maxiter`` when omitted."""
        evaluation: Literal["auto", "exact", "shots"] = "auto"
        """``auto``: the exact expectation on a device that offers it (the ideal simulator), sampled
        with ``eval_shots`` elsewhere; ``exact`` insists on it; ``shots`` always samples. The final
        circuits are always sampled with the case's shots, so the metrics carry shot noise."""
        starts: int = Field(2, ge=1, le=64)
        """Initial points, evaluated as one sweep (see ``init``)."""
        init: Literal["mean_field", "random"] = "mean_field"
        """``mean_field``: the first start is the best product state (earlier layers at 0, so the CX
        chain acts on |0..0> and does nothing; the last RY layer holds the mean-field angles), the
        others uniform in [-pi, pi). ``random``: every start uniform."""
        initial_step: float = Field(0.4, gt=0, le=math.pi)
        """First step in radians (COBYLA's rhobeg, the simplex size, Powell's directions)."""
        tol: float = Field(0.01, gt=0)
        """Final step at which the optimizer stops."""
        eval_shots: int | None = Field(None, ge=1)
        """Shots per basis circuit per evaluation; the case's shots when omitted."""

    @classmethod
    def _metrics(cls, unit: str) -> dict[str, MetricInfo]:
        return {
            "energy": MetricInfo("expectation", "estimated energy; stderr from the shot noise of every basis", unit),
            "energy_error": MetricInfo("expectation", "energy minus the exact ground energy (>= 0 up to noise)", unit),
            "relative_error": MetricInfo("expectation", "|energy - exact| / |exact|"),
        }

    def _problem(self, name: str, terms: Hamiltonian, offset: float, params: WorkloadParams,
                 options: WorkloadParams) -> VQEProblem:
        return VQEProblem(name=name, terms=terms, groups=measurement_groups(terms), exact=exact_ground(terms),
                          offset=offset, reps=params.reps, optimizer=params.optimizer, shots=params.shots,
                          options=options)

    def classical(self, problem: VQEProblem, settings: "ClassicalSettings", rng: np.random.Generator
                  ) -> ClassicalOutcome:
        """The exact ground energy as the metrics; ``product_state`` (mean field) is a separate, named solver.

        With ``exact`` among the solvers (the default) the metrics are the exact energy and the
        mean-field energies land in ``info["product_state"]`` and the trace. Only a suite that
        lists ``product_state`` alone gets the heuristic's energies as metrics (one trial per restart).
        """
        solvers = tuple(settings.solvers or self.default_solvers)
        unknown = [s for s in solvers if s not in self.solvers]
        if unknown:
            raise UnsupportedError(f"workload {self.name}: unknown classical solver(s) {unknown}",
                                   hint=f"use some of {list(self.solvers)}")
        exact = exact_ground(problem.terms)
        seconds = {"exact": exact.seconds}
        info: dict[str, Any] = {"solvers": list(solvers), "exact_energy": exact.energy + problem.offset,
                                "exact_method": exact.method, "offset": problem.offset}
        trace: tuple[dict[str, Any], ...] = ()
        energies = np.array([exact.energy + problem.offset])
        if "product_state" in solvers:
            start = time.perf_counter()
            found = np.array(self._product_states(problem, settings.restarts, rng)) + problem.offset
            seconds["product_state"] = time.perf_counter() - start
            trace = tuple({"solver": "product_state", "restart": i, "energy": float(e)} for i, e in enumerate(found))
            info["product_state"] = {"energy": float(found.min()), "mean_energy": float(found.mean()),
                                     "energy_error": float(found.min() - problem.ground), "restarts": len(found),
                                     "method": "product of RY states, L-BFGS-B on the exact expectation"}
            if "exact" not in solvers:
                energies = found
        info["metrics_from"] = "exact" if "exact" in solvers else "product_state"
        k = len(energies)
        err = float(energies.std(ddof=1) / math.sqrt(k)) if k > 1 else 0.0
        errors = energies - problem.ground
        rel = np.abs(errors) / abs(problem.ground)
        metrics = {
            "energy": Metric(float(energies.mean()), "scalar", err, k, tuple(energies.tolist()), self.unit),
            "energy_error": Metric(float(errors.mean()), "scalar", err, k, tuple(errors.tolist()), self.unit),
            "relative_error": Metric(float(rel.mean()), "scalar", err / abs(problem.ground), k, tuple(rel.tolist())),
        }
        info["seconds"] = seconds
        return ClassicalOutcome(metrics=metrics, info=info, trace=trace)

    @staticmethod
    def _product_states(problem: VQEProblem, restarts: int, rng: np.random.Generator) -> list[float]:
        """Lowest product-state energy from each random start (L-BFGS-B on the exact expectation)."""
        from scipy.optimize import minimize

        out = []
        for _ in range(restarts):
            x0 = rng.uniform(-math.pi, math.pi, problem.n)
            res = minimize(lambda t: product_state_energy(problem.terms, t), x0, method="L-BFGS-B")
            out.append(float(res.fun))
        return out

    def quantum(self, problem: VQEProblem, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        """Minimise the measured energy from rng-drawn starts, then sample every basis at the best point."""
        opts = problem.options
        ansatz = ry_ansatz(problem.n, problem.reps)
        sweep = parametric_basis_circuit(ansatz)
        circuits = [basis_circuit(ansatz, g.basis) for g in problem.groups]
        orders = [_order(c) for c in circuits]
        shots, m = opts.eval_shots or problem.shots, len(problem.groups)

        mode = evaluation_mode(opts.evaluation, device)
        maxiter = opts.maxiter if mode == "exact" else (opts.sampled_maxiter or opts.maxiter)

        def evaluate(xs: np.ndarray) -> list[float]:
            dists = objective_distributions(device, mode, sweep, shots,
                                            _sweep_rows(sweep, xs, problem.groups).tolist())
            return [self._energy(problem, dists[i * m:(i + 1) * m], shots)[0] for i in range(len(xs))]

        starts = rng.uniform(-math.pi, math.pi, (opts.starts, ansatz.num_parameters))
        if opts.init == "mean_field":
            starts[0] = 0.0
            starts[0, problem.reps * problem.n:] = _mean_field_angles(problem)
        run = minimize_from_starts(evaluate, starts, method=problem.optimizer, maxiter=maxiter,
                                   initial_step=opts.initial_step, tol=opts.tol)
        final = tuple(c.assign_parameters(run.best[o].tolist()) for c, o in zip(circuits, orders))
        counts = tuple(dict(c) for c in device.sample_batch(list(final), problem.shots))
        info = {
            "optimizer": problem.optimizer,
            "ansatz": f"RY layers with a CX chain, reps={problem.reps}",
            "bases": [g.basis for g in problem.groups],
            "best_params": run.best.tolist(),
            "best_objective": run.best_value,
            "evaluations": len(run.trace),
            "evaluation": mode,
            "maxiter": maxiter,
            "eval_shots": shots if mode == "shots" else None,
            "starts": list(run.starts),
            "exact_energy": problem.ground,
            "init": opts.init,
        }
        return QuantumOutcome(circuit=final[0], counts=counts[0], shots=problem.shots, trace=run.trace, info=info,
                              circuits=final, counts_list=counts)

    def _energy(self, problem: VQEProblem, probs_list: Sequence[Mapping[str, float]], shots: int
                ) -> tuple[float, float]:
        energy, err = energy_estimate(problem.terms, problem.groups, probs_list, shots)
        return energy + problem.offset, err

    def score(self, problem: VQEProblem, probs: Sequence[Mapping[str, float]], shots: int) -> dict[str, Metric]:
        if isinstance(probs, Mapping):
            raise UnsupportedError(f"workload {self.name} scores one distribution per measurement basis",
                                   hint=f"pass a list of {len(problem.groups)} distributions")
        energy, err = self._energy(problem, probs, shots)
        ground = problem.ground
        return {
            "energy": Metric(energy, "expectation", err, shots, unit=self.unit),
            "energy_error": Metric(energy - ground, "expectation", err, shots, unit=self.unit),
            "relative_error": Metric(abs(energy - ground) / abs(ground), "expectation", err / abs(ground), shots),
        }


class VQETFIM(_VQE):
    """VQE on the transverse-field Ising chain ``-J sum Z Z - h sum X`` (energies in units of J)."""

    name = "vqe_tfim"
    description = "VQE on a transverse-field Ising chain against exact diagonalisation"
    metrics = _VQE._metrics("")

    class Params(WorkloadParams):
        n: int = Field(ge=2, le=12, description="chain length (qubits)")
        coupling: float = Field(1.0, description="J, the ZZ coupling")
        field: float = Field(1.0, description="h, the transverse field (h = J is the critical point)")
        boundary: Literal["open", "periodic"] = "open"
        reps: int = Field(2, ge=1, le=8, description="ansatz layers")
        optimizer: Optimizer = "COBYLA"
        shots: int = Field(ge=1, description="shots per basis circuit")

    def qubits(self, params: WorkloadParams, options: WorkloadParams) -> int:
        return params.n

    def build(self, params: WorkloadParams, options: WorkloadParams) -> VQEProblem:
        try:
            terms = tfim_terms(params.n, params.coupling, params.field, params.boundary)
        except ValueError as exc:
            raise UnsupportedError(f"vqe_tfim: {exc}", hint="use boundary: open or n >= 3") from None
        label = f"tfim_{params.boundary}_n{params.n}_J{params.coupling:g}_h{params.field:g}"
        return self._problem(label, terms, 0.0, params, options)


class VQEH2(_VQE):
    """VQE on H2 (STO-3G, 0.735 Angstrom, 2 qubits after parity reduction); energies in Hartree."""

    name = "vqe_h2"
    description = "VQE on H2 at 0.735 A (STO-3G, 2 qubits) against the exact ground energy"
    unit = "Ha"
    metrics = _VQE._metrics("Ha")

    class Params(WorkloadParams):
        reps: int = Field(1, ge=1, le=8, description="ansatz layers")
        optimizer: Optimizer = "COBYLA"
        shots: int = Field(ge=1, description="shots per basis circuit")

    def qubits(self, params: WorkloadParams, options: WorkloadParams) -> int:
        return len(H2_TERMS[0][0])

    def build(self, params: WorkloadParams, options: WorkloadParams) -> VQEProblem:
        return self._problem(f"h2_sto3g_{H2_BOND_LENGTH}A", H2_TERMS, H2_NUCLEAR_REPULSION, params, options)
