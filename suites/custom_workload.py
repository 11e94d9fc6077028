"""An example custom workload: Bernstein-Vazirani, loaded by suites/custom-bv.yaml as
``workload: custom_workload:BernsteinVazirani``.

The oracle computes ``f(x) = s . x mod 2`` for a hidden bitstring ``s``. Classically, finding
``s`` takes ``n`` queries (``x = e_1 .. e_n``, one bit of ``s`` each); the quantum algorithm
(Bernstein and Vazirani 1993) needs one: ``H^n``, the phase oracle on an ancilla in ``|->``,
``H^n``, and the data register reads ``s`` exactly. On a device, noise spreads the output, so
the success probability of ``s`` measures the circuit's quality, with ``queries`` as the cost.

This file uses only the documented workload protocol (``harness.workloads``), as user code would.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Mapping

import numpy as np
from pydantic import Field

from harness.records import Metric
from harness.workloads import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams

__all__ = ["BernsteinVazirani", "bv_circuit"]


def bv_circuit(secret: str):
    """Data qubits 0..n-1 (qubit i holds bit i of the secret, i.e. its i-th character from the right),
    ancilla qubit n; the data qubits are measured into clbits 0..n-1."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    n = len(secret)
    q, c = QuantumRegister(n + 1, "q"), ClassicalRegister(n, "c")
    circuit = QuantumCircuit(q, c, name=f"bv_{secret}")
    circuit.x(n)
    circuit.h(q)
    for i in range(n):
        if secret[n - 1 - i] == "1":
            circuit.cx(i, n)  # phase kickback: (-1)^(s_i x_i)
    circuit.h(range(n))
    circuit.measure(range(n), range(n))
    return circuit


@dataclass(frozen=True)
class BVProblem:
    secret: str
    shots: int


class BernsteinVazirani(Workload):
    """Recover a hidden bitstring with one oracle query (quantum) against n queries (classical)."""

    name = "bernstein_vazirani"
    description = "Bernstein-Vazirani: probability of reading the hidden string after one oracle query"
    metrics = {
        "success_probability": MetricInfo("proportion", "probability that the measured string is the secret"),
        "queries": MetricInfo("scalar", "oracle queries used to find the secret"),
    }
    solvers = ("query_bits",)
    default_solvers = ("query_bits",)

    class Params(WorkloadParams):
        secret: str = Field(pattern=r"^[01]{1,20}$", description="hidden bitstring, qiskit order (bit 0 rightmost)")
        shots: int = Field(ge=1)

    class Options(WorkloadParams):
        """No options."""

    def build(self, params, options) -> BVProblem:
        return BVProblem(secret=params.secret, shots=params.shots)

    def classical(self, problem: BVProblem, settings, rng: np.random.Generator) -> ClassicalOutcome:
        """Query the oracle on each unit vector: query i returns bit i of the secret."""
        n = len(problem.secret)
        s = int(problem.secret, 2)

        def oracle(x: int) -> int:
            return bin(s & x).count("1") % 2

        start = time.perf_counter()
        found = sum(oracle(1 << i) << i for i in range(n))
        seconds = time.perf_counter() - start
        success = float(found == s)
        return ClassicalOutcome(
            metrics={"success_probability": Metric(success, "proportion", 0.0, 1),
                     "queries": Metric(float(n), "scalar", 0.0, 1)},
            info={"solver": "query_bits", "found": format(found, f"0{n}b"), "seconds": {"query_bits": seconds}},
        )

    def quantum(self, problem: BVProblem, device, rng: np.random.Generator) -> QuantumOutcome:
        circuit = bv_circuit(problem.secret)
        counts = device.sample(circuit, problem.shots)[0]
        return QuantumOutcome(circuit=circuit, counts=dict(counts), shots=problem.shots, info={"queries": 1})

    def score(self, problem: BVProblem, probs: Mapping[str, float], shots: int) -> dict[str, Metric]:
        total = sum(max(float(p), 0.0) for p in probs.values())
        p = min(max(float(probs.get(problem.secret, 0.0)), 0.0) / total, 1.0) if total > 0 else 0.0
        return {
            "success_probability": Metric(p, "proportion", math.sqrt(p * (1 - p) / shots), shots),
            "queries": Metric(1.0, "scalar", 0.0, shots),
        }
