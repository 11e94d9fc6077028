"""Standard randomized benchmarking: survival of random Clifford sequences, fitted to ``A p^m + B``.

Following Magesan, Gambetta and Emerson, PRL 106, 180504 (2011), with qiskit-experiments'
``StandardRB`` definitions: a sequence of ``m`` uniformly random Cliffords on ``qubits`` qubits is
followed by the Clifford that inverts their product, so the ideal outcome is ``0...0``. The mean
survival probability over sequences decays as ``A p^m + B``; the error per Clifford is
``EPC = (1 - p) (d - 1) / d`` with ``d = 2^qubits``. Each Clifford is one ``Clifford`` instruction
fenced by barriers, so the transpiler synthesises it alone and cannot cancel a sequence.

For a depolarising channel ``rho -> (1 - lam) rho + lam I/d`` after every Clifford (inverse
included) the survival is exactly ``(1 - 1/d) (1 - lam)^(m + 1) + 1/d``: ``p = 1 - lam`` (tested).

Example:
    >>> wl = RandomizedBenchmarking()
    >>> p = wl.build(RandomizedBenchmarking.Params(qubits=1, sequences=1, shots=10),
    ...              RandomizedBenchmarking.Options(lengths=[1, 4]))
    >>> [c.count_ops()["clifford"] for c in p.circuits]
    [2, 5]
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
from pydantic import Field, field_validator

from harness.errors import UnsupportedError
from harness.records import Metric
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["RBProblem", "RandomizedBenchmarking", "fit_decay"]


def fit_decay(lengths: Sequence[int], survival: Sequence[float], d: int) -> dict[str, float]:
    """Least-squares fit of ``A p^m + B`` to the mean survival per length, with the fit's standard errors.

    ``B`` starts at ``1/d`` and ``A`` at ``1 - 1/d`` (qiskit-experiments' initial guesses for
    standard RB); ``p`` is bounded to [0, 1]. Returns ``p``, ``p_stderr``, ``A``, ``B``, ``epc``
    and ``epc_stderr``.
    """
    m = np.asarray(lengths, dtype=float)
    y = np.asarray(survival, dtype=float)

    def model(x, a, p, b):
        return a * p**x + b

    guess = [1 - 1 / d, 0.99, 1 / d]
    if np.ptp(y) < 1e-12:
        # no decay at all (an ideal device: survival 1 at every length): p = 1 exactly, and a rerun
        # gives the same; a fit pinned to its bound would report an artifact of its covariance instead
        a, p, b, p_err = float(y[0]) - 1 / d, 1.0, 1 / d, 0.0
    else:
        (a, p, b), p_err = _least_squares(model, m, y, guess, d)
    scale = (d - 1) / d
    return {"p": float(p), "p_stderr": p_err, "A": float(a), "B": float(b), "epc": float((1 - p) * scale),
            "epc_stderr": float(p_err * scale)}


def _least_squares(model, m: np.ndarray, y: np.ndarray, guess: list[float], d: int):
    from scipy.optimize import curve_fit

    try:
        (a, p, b), cov = curve_fit(model, m, y, p0=guess, bounds=([0, 0, 0], [1, 1, 1]), maxfev=20000)
        p_err = float(math.sqrt(max(cov[1, 1], 0.0))) if np.all(np.isfinite(cov)) else float("nan")
    except RuntimeError:  # no fit: report the crudest estimate, and say so through a nan stderr
        a, p, b, p_err = guess[0], float(np.clip(y[-1] - 1 / d, 1e-9, 1) ** (1 / m[-1])), guess[2], float("nan")
    return (a, p, b), p_err


@dataclass(frozen=True)
class RBProblem:
    """One RB case: its sequences (``lengths[i]`` for circuit ``i``) and the fit's dimension."""

    qubits: int
    lengths: tuple[int, ...]
    circuit_lengths: tuple[int, ...]
    circuits: tuple["QuantumCircuit", ...]
    shots: int

    @property
    def d(self) -> int:
        return 2**self.qubits


class RandomizedBenchmarking(Workload):
    """Standard RB: the error per Clifford of 1 or 2 qubits (see the module docstring)."""

    name = "rb"
    description = "Standard randomized benchmarking: survival of random Clifford sequences, error per Clifford"
    multi_circuit = True
    metrics = {
        "epc": MetricInfo("expectation", "error per Clifford (1 - p)(d - 1)/d of the fitted decay; fit stderr"),
        "alpha": MetricInfo("expectation", "the fitted decay p of A p^m + B"),
        "survival": MetricInfo("expectation", "mean survival probability of the longest sequences"),
    }
    solvers = ("exact",)
    default_solvers = ("exact",)

    class Params(WorkloadParams):
        qubits: int = Field(1, ge=1, le=2, description="qubits benchmarked together")
        sequences: int = Field(5, ge=1, le=100, description="random sequences per length")
        circuit_seed: int = Field(0, ge=0, description="which set of random sequences")
        shots: int = Field(ge=1, description="shots per sequence")

    class Options(WorkloadParams):
        lengths: list[int] = Field(default_factory=lambda: [1, 10, 25, 50, 100])
        """Sequence lengths m (Cliffords before the inverse)."""

        @field_validator("lengths")
        @classmethod
        def _lengths(cls, v: list[int]) -> list[int]:
            if len(v) < 3 or any(m < 1 for m in v) or len(set(v)) != len(v):
                raise ValueError("give at least three distinct lengths, each at least 1")
            return sorted(v)

    def build(self, params: WorkloadParams, options: WorkloadParams) -> RBProblem:
        from qiskit import QuantumCircuit
        from qiskit.quantum_info import Clifford, random_clifford

        rng = np.random.default_rng([params.qubits, params.sequences, params.circuit_seed])
        circuits, lengths = [], []
        for m in options.lengths:
            for s in range(params.sequences):
                circuit = QuantumCircuit(params.qubits, params.qubits, name=f"rb{params.qubits}_m{m}_{s}")
                total = Clifford(QuantumCircuit(params.qubits))
                for _ in range(m):
                    c = random_clifford(params.qubits, seed=rng)
                    circuit.append(c, range(params.qubits))
                    circuit.barrier()
                    total = total.compose(c)
                circuit.append(total.adjoint(), range(params.qubits))
                circuit.barrier()
                circuit.measure(range(params.qubits), range(params.qubits))
                circuits.append(circuit)
                lengths.append(m)
        return RBProblem(qubits=params.qubits, lengths=tuple(options.lengths), circuit_lengths=tuple(lengths),
                         circuits=tuple(circuits), shots=params.shots)

    def classical(self, problem: RBProblem, settings: "ClassicalSettings", rng: np.random.Generator
                  ) -> ClassicalOutcome:
        """The ideal answer: every sequence returns to 0...0 (checked by composing its Cliffords, timed)."""
        from qiskit.quantum_info import Clifford

        start = time.perf_counter()
        for circuit in problem.circuits:
            body = circuit.remove_final_measurements(inplace=False)
            if Clifford(body) != Clifford(body.copy_empty_like()):
                raise UnsupportedError(f"rb: sequence {circuit.name} does not invert", hint="report this as a bug")
        seconds = time.perf_counter() - start
        k = len(problem.circuits)
        metrics = {"epc": Metric(0.0, "scalar", 0.0, k), "alpha": Metric(1.0, "scalar", 0.0, k),
                   "survival": Metric(1.0, "scalar", 0.0, k)}
        return ClassicalOutcome(metrics=metrics, info={"solver": "exact", "method": "Clifford tableau composition",
                                                       "seconds": {"exact": seconds}})

    def quantum(self, problem: RBProblem, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        counts = tuple(dict(c) for c in device.sample_batch(list(problem.circuits), problem.shots))
        return QuantumOutcome(circuit=problem.circuits[0], counts=counts[0], shots=problem.shots,
                              circuits=problem.circuits, counts_list=counts,
                              info={"lengths": list(problem.lengths), "sequences": len(problem.circuits)})

    def survival_by_length(self, problem: RBProblem, probs: Sequence[Mapping[str, float]]) -> list[float]:
        """Mean probability of ``0...0`` per length, over that length's sequences."""
        if isinstance(probs, Mapping) or len(probs) != len(problem.circuits):
            raise UnsupportedError(f"rb scores one distribution per sequence ({len(problem.circuits)})",
                                   hint="pass the list of distributions")
        zero = "0" * problem.qubits
        per: dict[int, list[float]] = {m: [] for m in problem.lengths}
        for m, dist in zip(problem.circuit_lengths, probs):
            total = sum(max(float(v), 0.0) for v in dist.values())
            per[m].append(max(float(dist.get(zero, 0.0)), 0.0) / total if total > 0 else 0.0)
        return [float(np.mean(per[m])) for m in problem.lengths]

    def score(self, problem: RBProblem, probs: Sequence[Mapping[str, float]], shots: int) -> dict[str, Metric]:
        survival = self.survival_by_length(problem, probs)
        fit = fit_decay(problem.lengths, survival, problem.d)
        n = len(problem.circuits) * shots
        last = survival[-1]
        per_last = sum(1 for m in problem.circuit_lengths if m == problem.lengths[-1]) * shots
        stderr = lambda v: v if math.isfinite(v) else None  # noqa: E731 - a failed fit has no stderr
        return {
            "epc": Metric(fit["epc"], "expectation", stderr(fit["epc_stderr"]), n),
            "alpha": Metric(fit["p"], "expectation", stderr(fit["p_stderr"]), n),
            "survival": Metric(last, "expectation", math.sqrt(max(last * (1 - last), 0.0) / per_last), per_last),
        }
