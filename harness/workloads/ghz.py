"""GHZ state preparation: H on qubit 0, a CNOT chain, every qubit measured.

The ideal output is half ``0...0`` and half ``1...1``. Metrics follow the QED-C
application-oriented benchmarks: the Hellinger fidelity to the ideal distribution and its
"polarization" normalisation, which maps the uniform (fully depolarised) distribution to 0.

Example:
    >>> wl = GHZ()
    >>> problem = wl.build(GHZ.Params(n=3, shots=1000), GHZ.Options())
    >>> round(wl.score(problem, {"000": 0.5, "111": 0.5}, 1000)["normalized_fidelity"].value, 9)
    1.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
from pydantic import Field

from harness.errors import UnsupportedError
from harness.records import Metric
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["GHZ", "GHZProblem", "ghz_circuit", "ghz_gates", "hellinger_fidelity", "normalized_fidelity",
           "sparse_distribution"]


def ghz_gates(n: int) -> tuple[tuple[Any, ...], ...]:
    """The GHZ gate list, shared by the circuit builder and the classical simulation."""
    return (("h", 0),) + tuple(("cx", q, q + 1) for q in range(n - 1))


def sparse_distribution(n: int, gates: tuple[tuple[Any, ...], ...]) -> dict[str, float]:
    """Ideal output distribution of an H/CX circuit on ``|0..0>``, by sparse amplitudes (numpy only).

    Only basis states with non-zero amplitude are kept, so a GHZ state of 30 qubits costs
    two entries rather than a 2**30 state vector. Keys are in qiskit's bit order.
    """
    amps: dict[int, complex] = {0: 1.0 + 0j}
    r = 1 / math.sqrt(2)
    for gate in gates:
        new: dict[int, complex] = {}
        if gate[0] == "h":
            q = gate[1]
            for b, a in amps.items():
                bit = (b >> q) & 1
                low, high = b & ~(1 << q), b | (1 << q)
                new[low] = new.get(low, 0) + a * r
                new[high] = new.get(high, 0) + a * r * (-1 if bit else 1)
        elif gate[0] == "cx":
            c, t = gate[1], gate[2]
            new = {b ^ (((b >> c) & 1) << t): a for b, a in amps.items()}
        else:
            raise UnsupportedError(f"sparse simulation: gate {gate[0]!r} is not H or CX",
                                   hint="use a state-vector simulator for other gates")
        amps = new
    probs = {b: abs(a) ** 2 for b, a in amps.items()}
    return {format(b, f"0{n}b"): p for b, p in sorted(probs.items()) if p > 1e-15}


def _normalised(probs: Mapping[str, float]) -> dict[str, float]:
    """Negative quasi-probabilities (from mitigation) clipped to 0, then rescaled to sum to 1."""
    clipped = {k: max(float(p), 0.0) for k, p in probs.items()}
    total = sum(clipped.values())
    if total <= 0:
        raise UnsupportedError("the distribution to score has no positive probability",
                               hint="check the counts or the mitigation that produced them")
    return {k: p / total for k, p in clipped.items()}


def hellinger_fidelity(probs: Mapping[str, float], ideal: Mapping[str, float], shots: int) -> tuple[float, float]:
    """Hellinger fidelity ``(sum_k sqrt(p_k q_k))**2`` of ``probs`` to ``ideal``, with a delta-method stderr.

    Same value as qiskit's ``hellinger_fidelity`` and QED-C's ``(1 - H**2)**2``. Treating
    ``probs`` as a multinomial estimate from ``shots`` shots, the delta method gives
    ``Var(F) = BC**2 (Q - BC**2) / shots`` with ``BC = sum sqrt(p q)`` and ``Q`` the ideal
    mass on the observed support. It is 0 at F = 1, where the delta method is degenerate.
    """
    p = _normalised(probs)
    bc = sum(math.sqrt(p.get(k, 0.0) * q) for k, q in ideal.items())
    support = sum(q for k, q in ideal.items() if p.get(k, 0.0) > 0)
    var = bc**2 * max(support - bc**2, 0.0) / shots
    return min(bc**2, 1.0), math.sqrt(var)


def normalized_fidelity(fidelity: float, stderr: float, ideal: Mapping[str, float], n: int) -> tuple[float, float]:
    """QED-C's polarization normalisation ``(F - F_u) / (1 - F_u)``, clipped to [0, 1] as QED-C does.

    ``F_u`` is the Hellinger fidelity of the uniform distribution over ``n`` bits to
    ``ideal``: ``(sum_k sqrt(q_k))**2 / 2**n`` in closed form. The stderr scales with F's.
    """
    f_uniform = sum(math.sqrt(q) for q in ideal.values()) ** 2 / 2**n
    scale = 1.0 - f_uniform
    return min(max((fidelity - f_uniform) / scale, 0.0), 1.0), stderr / scale


def ghz_circuit(n: int) -> "QuantumCircuit":
    """The measured GHZ circuit: qubit ``i`` into classical bit ``i``, no barrier."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    q, c = QuantumRegister(n, "q"), ClassicalRegister(n, "c")
    circuit = QuantumCircuit(q, c, name=f"ghz_{n}")
    for gate in ghz_gates(n):
        getattr(circuit, gate[0])(*gate[1:])
    circuit.measure(q, c)
    return circuit


@dataclass(frozen=True)
class GHZProblem:
    """One GHZ case: its width, shots and ideal distribution."""

    n: int
    shots: int
    ideal: Mapping[str, float]


class GHZ(Workload):
    """GHZ state preparation fidelity (see the module docstring)."""

    name = "ghz"
    description = "GHZ state preparation: H + CNOT chain, scored against the ideal 50/50 distribution"
    metrics = {
        "success_probability": MetricInfo("proportion", "P(0...0) + P(1...1); binomial stderr from shots"),
        "hellinger_fidelity": MetricInfo("distribution",
                                         "Hellinger fidelity to the ideal distribution; delta-method stderr"),
        "normalized_fidelity": MetricInfo("distribution", "QED-C polarization fidelity: 0 for uniform noise, 1 ideal"),
    }
    solvers = ("exact",)
    default_solvers = ("exact",)

    class Params(WorkloadParams):
        n: int = Field(ge=2, le=1000, description="number of qubits (beyond ~30 use simulation: stabilizer)")
        shots: int = Field(ge=1, description="shots of the final circuit")

    class Options(WorkloadParams):
        """GHZ has no options."""

    def qubits(self, params: WorkloadParams, options: WorkloadParams) -> int:
        return params.n

    def build(self, params: WorkloadParams, options: WorkloadParams) -> GHZProblem:
        return GHZProblem(n=params.n, shots=params.shots, ideal=sparse_distribution(params.n, ghz_gates(params.n)))

    def classical(
        self, problem: GHZProblem, settings: "ClassicalSettings", rng: np.random.Generator
    ) -> ClassicalOutcome:
        """The ideal distribution, simulated classically and scored like a device's."""
        solvers = tuple(settings.solvers or self.default_solvers)
        unknown = [s for s in solvers if s not in self.solvers]
        if unknown:
            raise UnsupportedError(f"workload ghz: unknown classical solver(s) {unknown}",
                                   hint=f"use one of {list(self.solvers)}")
        start = time.perf_counter()
        ideal = sparse_distribution(problem.n, ghz_gates(problem.n))
        seconds = time.perf_counter() - start
        return ClassicalOutcome(metrics=self.score(problem, ideal, problem.shots),
                                info={"solver": "exact", "seconds": {"exact": seconds}, "ideal": dict(ideal)})

    def quantum(self, problem: GHZProblem, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        circuit = ghz_circuit(problem.n)
        counts = device.sample(circuit, problem.shots)[0]
        return QuantumOutcome(circuit=circuit, counts=dict(counts), shots=problem.shots)

    def score(self, problem: GHZProblem, probs: Mapping[str, float], shots: int) -> dict[str, Metric]:
        p = _normalised(probs)
        success = min(sum(p.get(k, 0.0) for k in problem.ideal), 1.0)
        fid, fid_err = hellinger_fidelity(p, problem.ideal, shots)
        norm, norm_err = normalized_fidelity(fid, fid_err, problem.ideal, problem.n)
        return {
            "success_probability": Metric(success, "proportion", math.sqrt(success * (1 - success) / shots), shots),
            "hellinger_fidelity": Metric(fid, "distribution", fid_err, shots),
            "normalized_fidelity": Metric(norm, "distribution", norm_err, shots),
        }

    def score_many(self, problem: GHZProblem, keys: Sequence[str], probs: np.ndarray,
                   shots: int) -> dict[str, np.ndarray]:
        """:meth:`score`'s values for each row of ``probs`` (distributions over ``keys``) at once."""
        p = np.maximum(np.asarray(probs, dtype=float), 0.0)
        total = p.sum(axis=1, keepdims=True)
        if (total <= 0).any():
            raise UnsupportedError("the distribution to score has no positive probability",
                                   hint="check the counts or the mitigation that produced them")
        p = p / total
        column = {k: j for j, k in enumerate(keys)}
        ideal = [(column[k], q) for k, q in problem.ideal.items() if k in column]
        mass = np.zeros((p.shape[0], len(ideal)))  # the rows' probabilities of the ideal outcomes seen
        for j, (c, _) in enumerate(ideal):
            mass[:, j] = p[:, c]
        q = np.array([q for _, q in ideal])
        success = np.minimum(mass.sum(axis=1), 1.0)
        fid = np.minimum((np.sqrt(mass * q).sum(axis=1)) ** 2, 1.0)
        f_uniform = sum(math.sqrt(v) for v in problem.ideal.values()) ** 2 / 2**problem.n
        norm = np.clip((fid - f_uniform) / (1.0 - f_uniform), 0.0, 1.0)
        return {"success_probability": success, "hellinger_fidelity": fid, "normalized_fidelity": norm}
