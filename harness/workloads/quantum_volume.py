"""Quantum volume: heavy-output probability of random square circuits, with its confidence bound.

Following Cross et al., "Validating quantum computers using randomized model circuits", PRA 100,
032328 (2019), and qiskit-experiments' ``QuantumVolume`` analysis: a model circuit of width ``n``
has ``n`` layers, each a random permutation of the qubits followed by Haar-random SU(4) gates on
pairs (qiskit's ``quantum_volume``). Its *heavy outputs* are the bitstrings whose ideal probability
exceeds the median of the ideal distribution. A device's heavy-output probability (HOP) on one
circuit is the measured mass on those bitstrings; over ``N`` circuits the mean ``h`` has
``sigma = sqrt(h (1 - h) / N)``, and width ``n`` passes (quantum volume ``2^n``) when
``h - 2 sigma > 2/3``. An ideal device scores ``(1 + ln 2) / 2 = 0.8466`` asymptotically
(Porter-Thomas output distributions); the exact value of each instance comes from its state vector.

Example:
    >>> wl = QuantumVolume()
    >>> p = wl.build(QuantumVolume.Params(width=2, circuits=1, shots=100), QuantumVolume.Options())
    >>> sorted(p.heavy[0]) == sorted(k for k, v in p.ideal[0].items() if v > p.medians[0])
    True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
from pydantic import Field

from harness.errors import UnsupportedError
from harness.records import Metric
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["ASYMPTOTIC_HOP", "QuantumVolume", "QVProblem", "heavy_outputs", "hop_summary"]

ASYMPTOTIC_HOP = (1 + math.log(2)) / 2
"""The ideal heavy-output probability of Porter-Thomas distributions (large width): 0.8466."""
THRESHOLD = 2 / 3


def heavy_outputs(ideal: Mapping[str, float]) -> tuple[frozenset[str], float]:
    """Bitstrings with ideal probability above the median (over all ``2^n`` outcomes), and that median."""
    n = len(next(iter(ideal)))
    values = np.zeros(2**n)
    for key, p in ideal.items():
        values[int(key, 2)] = p
    median = float(np.median(values))
    return frozenset(format(i, f"0{n}b") for i in np.flatnonzero(values > median)), median


def hop_summary(hops: Sequence[float]) -> tuple[float, float, float]:
    """Mean HOP, its sigma ``sqrt(h (1 - h) / N)`` (Cross et al.), and the two-sigma lower bound."""
    h = float(np.mean(hops))
    sigma = math.sqrt(max(h * (1 - h), 0.0) / len(hops))
    return h, sigma, h - 2 * sigma


def hop_shot_stderr(hops: Sequence[float], shots: int | None) -> tuple[float, float]:
    """Standard errors of the mean HOP and of its lower bound from shot noise alone (0 when exact).

    The model circuits are fixed by ``circuit_seed`` (the suite seed does not redraw them), so from
    night to night only the shots vary: ``var(h) = sum h_i (1 - h_i) / (N^2 shots)``. Cross et al.'s
    sigma measures the spread over *random* circuits; it sets the protocol's pass bound, not the
    precision of a rerun. The lower bound's error follows by the delta method.
    """
    k = len(hops)
    if not shots:
        return 0.0, 0.0
    se = math.sqrt(sum(max(x * (1 - x), 0.0) for x in hops) / shots) / k
    h = float(np.mean(hops))
    slope = 1.0 - (1 - 2 * h) / math.sqrt(k * h * (1 - h)) if 0 < h < 1 else 1.0
    return se, se * abs(slope)


@dataclass(frozen=True)
class QVProblem:
    """One quantum-volume case: its model circuits, their ideal distributions and heavy sets."""

    width: int
    circuits: tuple["QuantumCircuit", ...]
    ideal: tuple[Mapping[str, float], ...]
    heavy: tuple[frozenset[str], ...]
    medians: tuple[float, ...]
    shots: int


class QuantumVolume(Workload):
    """Heavy-output probability of quantum-volume model circuits (see the module docstring)."""

    name = "quantum_volume"
    description = "Quantum volume (Cross et al. 2019): heavy-output probability and its 2-sigma lower bound"
    multi_circuit = True
    metrics = {
        "heavy_output_probability": MetricInfo("expectation", "mean HOP over the model circuits; sigma sqrt(h(1-h)/N)"),
        "hop_lower_bound": MetricInfo("expectation", "mean HOP minus two sigma: the width passes (quantum volume "
                                      "2^width) when it exceeds 2/3"),
    }
    solvers = ("exact",)
    default_solvers = ("exact",)

    class Params(WorkloadParams):
        width: int = Field(ge=2, le=12, description="qubits = layers of the model circuits")
        circuits: int = Field(20, ge=1, le=500, description="model circuits (N)")
        circuit_seed: int = Field(0, ge=0, description="which set of random circuits")
        shots: int = Field(ge=1, description="shots per circuit")

    class Options(WorkloadParams):
        """Quantum volume has no options."""

    def build(self, params: WorkloadParams, options: WorkloadParams) -> QVProblem:
        from qiskit import ClassicalRegister, QuantumCircuit
        from qiskit.circuit.library import quantum_volume
        from qiskit.quantum_info import Statevector

        rng = np.random.default_rng([params.width, params.circuits, params.circuit_seed])
        circuits, ideal, heavy, medians = [], [], [], []
        for k in range(params.circuits):
            model = quantum_volume(params.width, seed=int(rng.integers(2**31)))
            probs = Statevector(model).probabilities_dict()
            circuit = QuantumCircuit(model.num_qubits, name=f"qv{params.width}_{k}")
            circuit.add_register(ClassicalRegister(params.width, "c"))
            circuit.compose(model, inplace=True)
            circuit.measure(range(params.width), range(params.width))
            h, median = heavy_outputs(probs)
            circuits.append(circuit)
            ideal.append(probs)
            heavy.append(h)
            medians.append(median)
        return QVProblem(width=params.width, circuits=tuple(circuits), ideal=tuple(ideal), heavy=tuple(heavy),
                         medians=tuple(medians), shots=params.shots)

    def classical(self, problem: QVProblem, settings: "ClassicalSettings", rng: np.random.Generator
                  ) -> ClassicalOutcome:
        """The ideal HOP of each circuit, from its state vector (timed): what a perfect device scores."""
        if any(s not in self.solvers for s in (settings.solvers or ())):
            raise UnsupportedError(f"workload quantum_volume: unknown classical solver(s) {list(settings.solvers)}",
                                   hint="use [exact]")
        start = time.perf_counter()
        hops = [sum(p for k, p in ideal.items() if k in heavy) for ideal, heavy in zip(problem.ideal, problem.heavy)]
        seconds = time.perf_counter() - start
        h, sigma, lower = hop_summary(hops)
        k = len(hops)
        # exact values of fixed circuits: no error, and the per-circuit values are not repeats to test
        # on (they are in info, with sigma, the protocol's circuit spread)
        metrics = {
            "heavy_output_probability": Metric(h, "scalar", 0.0, k),
            "hop_lower_bound": Metric(lower, "scalar", 0.0, k),
        }
        return ClassicalOutcome(metrics=metrics, info={"solver": "exact", "method": "state vector of each circuit",
                                                       "seconds": {"exact": seconds}, "asymptotic": ASYMPTOTIC_HOP,
                                                       "sigma": sigma, "hops": hops, "passed": lower > THRESHOLD,
                                                       "threshold": THRESHOLD})

    def quantum(self, problem: QVProblem, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        counts = tuple(dict(c) for c in device.sample_batch(list(problem.circuits), problem.shots))
        return QuantumOutcome(circuit=problem.circuits[0], counts=counts[0], shots=problem.shots,
                              circuits=problem.circuits, counts_list=counts,
                              info={"width": problem.width, "circuits": len(problem.circuits)})

    def score(self, problem: QVProblem, probs: Sequence[Mapping[str, float]], shots: int) -> dict[str, Metric]:
        if isinstance(probs, Mapping) or len(probs) != len(problem.circuits):
            raise UnsupportedError(f"quantum_volume scores one distribution per model circuit "
                                   f"({len(problem.circuits)})", hint="pass the list of distributions")
        hops = []
        for dist, heavy in zip(probs, problem.heavy):
            total = sum(max(float(v), 0.0) for v in dist.values())
            if total <= 0:
                raise UnsupportedError("quantum_volume: a distribution to score has no probability",
                                       hint="check the counts or the mitigation that produced them")
            hops.append(sum(max(float(v), 0.0) for k, v in dist.items() if k.replace(" ", "") in heavy) / total)
        h, _, lower = hop_summary(hops)
        se_h, se_lower = hop_shot_stderr(hops, shots)
        n = len(hops) * shots
        return {
            "heavy_output_probability": Metric(min(max(h, 0.0), 1.0), "expectation", se_h, n),
            "hop_lower_bound": Metric(lower, "expectation", se_lower, n),
        }
