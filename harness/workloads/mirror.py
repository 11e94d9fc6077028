"""Mirror circuits: random Clifford layers, a random Pauli layer, then the layers' inverse.

Following Proctor et al., "Measuring the capabilities of quantum computers", Nat. Phys. 18, 75
(2022): a forward circuit ``U`` of ``depth`` layers (a random single-qubit Clifford on every
qubit, then CX on alternating neighbouring pairs), a layer ``P`` of random non-identity Paulis,
then ``U^dagger``. ``U^dagger P U`` is itself a Pauli (Cliffords map Paulis to Paulis), so the
ideal output is one known bitstring: the X part of that Pauli, found classically by propagating
``P`` through ``U`` (Gottesman-Knill). Redrawing ``P`` until that bitstring is not all zeros keeps
a device that does nothing from looking perfect.

The circuit is fixed by the case: its rng is seeded by ``(width, depth, circuit_seed)``.
``P`` has no identities, so at optimisation levels 0-1 the transpiler cannot cancel the two CX
layers that meet in the middle; ``barriers: true`` fences every layer for higher levels (cirq's
OpenQASM import refuses barriers, hence not the default).

Metrics: the success probability of the target, the Hellinger fidelity to the ideal delta
distribution (equal to it here, scored like GHZ's), and the effective polarization of Proctor et
al.: ``S = sum_k (-1/2)^k h_k`` over the probabilities ``h_k`` of outcomes at Hamming distance
``k`` from the target, rescaled as ``(S - 4^-w) / (1 - 4^-w)`` so uniform noise scores 0.

Example:
    >>> wl = Mirror()
    >>> p = wl.build(Mirror.Params(width=3, depth=2, shots=100), Mirror.Options())
    >>> wl.score(p, {p.target: 1.0}, 100)["polarization"].value
    1.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import numpy as np
from pydantic import Field

from harness.errors import UnsupportedError
from harness.records import Metric
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["Mirror", "MirrorProblem", "mirror_circuit", "polarization", "propagate_target"]


def _forward(width: int, depth: int, rng: np.random.Generator, barriers: bool) -> "QuantumCircuit":
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import random_clifford

    circuit = QuantumCircuit(width, name="forward")
    for layer in range(depth):
        for q in range(width):
            circuit.compose(random_clifford(1, seed=rng).to_circuit(), [q], inplace=True)
        for a in range(layer % 2, width - 1, 2):
            circuit.cx(a, a + 1)
        if barriers:
            circuit.barrier()
    return circuit


def propagate_target(forward: "QuantumCircuit", paulis: str) -> str:
    """The ideal outcome of ``forward``, ``paulis``, ``forward^-1`` on ``|0..0>`` (qiskit key order).

    ``paulis`` is a label in qiskit order (rightmost acts on qubit 0).
    """
    from qiskit.quantum_info import Pauli

    # evolve in the Heisenberg frame gives U^dagger P U; its Z part fixes |0..0>, its X part flips bits
    evolved = Pauli(paulis).evolve(forward)
    return "".join("1" if evolved.x[q] else "0" for q in range(forward.num_qubits - 1, -1, -1))


def mirror_circuit(forward: "QuantumCircuit", paulis: str, barriers: bool) -> "QuantumCircuit":
    """``forward``, the Pauli layer, ``forward^-1``, then qubit ``i`` measured into clbit ``i``."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    n = forward.num_qubits
    q, c = QuantumRegister(n, "q"), ClassicalRegister(n, "c")
    circuit = QuantumCircuit(q, c, name=f"mirror_w{n}")
    circuit.compose(forward, q, inplace=True)
    for k, p in enumerate(paulis):
        getattr(circuit, p.lower())(n - 1 - k)
    if barriers:
        circuit.barrier()
    circuit.compose(forward.inverse(), q, inplace=True)
    circuit.measure(q, c)
    return circuit


_DISTANCES: dict[str, dict[str, int]] = {}
"""Per target, the Hamming distance of every key seen (a bootstrap rescores the same keys hundreds of times)."""


def _distances(keys: list[str], target: str) -> np.ndarray:
    """Hamming distance of each bitstring key (spaces allowed) to ``target``."""
    known = _DISTANCES.setdefault(target, {})
    if len(known) > 1 << 18:  # bounded: a long session of wide circuits does not grow it forever
        known.clear()
    t = int(target, 2)
    for k in [k for k in keys if k not in known]:
        known[k] = (int(k.replace(" ", ""), 2) ^ t).bit_count()
    return np.fromiter(map(known.__getitem__, keys), dtype=float, count=len(keys))


def _clipped(probs: Mapping[str, float]) -> tuple[list[str], np.ndarray]:
    """Keys and their probabilities, negatives (from mitigation) clipped to 0 and rescaled to sum to 1."""
    keys = list(probs)
    p = np.fromiter(probs.values(), dtype=float, count=len(keys)).clip(min=0.0)
    total = p.sum()
    if total <= 0:
        raise UnsupportedError("mirror: the distribution to score has no probability",
                               hint="check the counts or the mitigation that produced them")
    return keys, p / total


def polarization(probs: Mapping[str, float], target: str, shots: int) -> tuple[float, float]:
    """Proctor et al.'s effective polarization of ``probs`` with respect to ``target``, and its stderr.

    ``S`` is the mean of ``(-1/2)^d`` with ``d`` the Hamming distance to the target, so its
    shot-noise variance is that observable's variance over ``shots``.
    """
    keys, p = _clipped(probs)
    return _polarization(keys, p, target, shots)


def _polarization(keys: list[str], p: np.ndarray, target: str, shots: int) -> tuple[float, float]:
    w = len(target)
    d = _distances(keys, target)
    f = (-0.5) ** d
    s = float(p @ f)
    var = max(float(p @ f**2) - s**2, 0.0)
    floor = 4.0**-w
    return (s - floor) / (1 - floor), math.sqrt(var / shots) / (1 - floor)


@dataclass(frozen=True)
class MirrorProblem:
    """One mirror circuit and its ideal outcome."""

    width: int
    depth: int
    circuit_seed: int
    paulis: str
    target: str
    circuit: "QuantumCircuit"
    forward: "QuantumCircuit"
    shots: int


class Mirror(Workload):
    """Mirror-circuit success probability: the hardware-noise probe (see the module docstring)."""

    name = "mirror"
    description = "Mirror circuits (random Clifford layers, a Pauli layer, the inverse): success of the known bitstring"
    metrics = {
        "success_probability": MetricInfo("proportion", "probability of the ideal bitstring; binomial stderr"),
        "hellinger_fidelity": MetricInfo("distribution", "Hellinger fidelity to the ideal (delta) distribution"),
        "polarization": MetricInfo("expectation", "Proctor et al. effective polarization: 0 for uniform noise, 1 ideal"),
    }
    solvers = ("exact",)
    default_solvers = ("exact",)

    class Params(WorkloadParams):
        width: int = Field(ge=1, le=1000, description="qubits (wide Clifford cases run with simulation: stabilizer)")
        depth: int = Field(ge=1, le=200, description="forward layers (the circuit has twice as many plus the Pauli layer)")
        circuit_seed: int = Field(0, ge=0, description="which random circuit of this width and depth")
        shots: int = Field(ge=1)

    class Options(WorkloadParams):
        barriers: bool = False
        """Fence every layer so that no optimisation level can cancel the mirror."""

    def qubits(self, params: WorkloadParams, options: WorkloadParams) -> int:
        return params.width

    def build(self, params: WorkloadParams, options: WorkloadParams) -> MirrorProblem:
        rng = np.random.default_rng([params.width, params.depth, params.circuit_seed])
        forward = _forward(params.width, params.depth, rng, options.barriers)
        for _ in range(1000):
            paulis = "".join(rng.choice(list("XYZ"), size=params.width))
            target = propagate_target(forward, paulis)
            if "1" in target:
                break
        else:  # unreachable in practice: each draw hits all zeros with probability about 3^-w
            raise UnsupportedError("mirror: no Pauli layer gave a non-zero target", hint="change circuit_seed")
        return MirrorProblem(width=params.width, depth=params.depth, circuit_seed=params.circuit_seed, paulis=paulis,
                             target=target, circuit=mirror_circuit(forward, paulis, options.barriers),
                             forward=forward, shots=params.shots)

    def classical(self, problem: MirrorProblem, settings: "ClassicalSettings", rng: np.random.Generator
                  ) -> ClassicalOutcome:
        """The ideal bitstring by Pauli propagation (timed), scored as a delta distribution."""
        solvers = tuple(settings.solvers or self.default_solvers)
        if any(s not in self.solvers for s in solvers):
            raise UnsupportedError(f"workload mirror: unknown classical solver(s) {list(solvers)}",
                                   hint=f"use {list(self.solvers)}")
        start = time.perf_counter()
        target = propagate_target(problem.forward, problem.paulis)
        seconds = time.perf_counter() - start
        return ClassicalOutcome(metrics=self.score(problem, {target: 1.0}, problem.shots),
                                info={"solver": "exact", "method": "Clifford (Gottesman-Knill) Pauli propagation",
                                      "target": target, "paulis": problem.paulis, "seconds": {"exact": seconds}})

    def quantum(self, problem: MirrorProblem, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        counts = device.sample(problem.circuit, problem.shots)[0]
        return QuantumOutcome(circuit=problem.circuit, counts=dict(counts), shots=problem.shots,
                              info={"target": problem.target, "paulis": problem.paulis,
                                    "two_qubit_gates": sum(1 for i in problem.circuit.data if len(i.qubits) == 2
                                                           and i.operation.name != "barrier")})

    def score(self, problem: MirrorProblem, probs: Mapping[str, float], shots: int) -> dict[str, Metric]:
        keys, p = _clipped(probs)
        d = _distances(keys, problem.target)
        success = min(float(p[d == 0].sum()), 1.0)
        # Hellinger fidelity to the one-hot ideal: (sum sqrt(p q))^2 = p_target; the delta-method
        # variance of ghz.hellinger_fidelity, BC^2 (Q - BC^2) / shots, is p (1 - p) / shots there
        fid, fid_err = success, math.sqrt(success * max(1.0 - success, 0.0) / shots) if success > 0 else 0.0
        pol, pol_err = _polarization(keys, p, problem.target, shots)  # its distances are cached now
        return {
            "success_probability": Metric(success, "proportion", math.sqrt(success * (1 - success) / shots), shots),
            "hellinger_fidelity": Metric(fid, "distribution", fid_err, shots),
            "polarization": Metric(pol, "expectation", pol_err, shots),
        }
