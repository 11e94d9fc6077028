"""Peer benchmark suites as workloads: SupermarQ's applications and MQT Bench's circuits.

- ``supermarq``: a SupermarQ benchmark (Tomesh et al., HPCA 2022; the ``supermarq`` package) built by
  the package itself, scored by its own ``score`` (1 ideal). Its counts convention is big-endian
  (qubit 0 leftmost), so keys are reversed from qiskit's order before scoring.
- ``mqt_bench``: a circuit of MQT Bench (Quetschlich et al., Quantum 2023; ``mqt.bench``) at its
  algorithm level, scored by the Hellinger fidelity to its exact ideal distribution (state vector).

Both packages are imported when a problem is built, so the harness runs without them; a suite that
names one without it installed gets an error saying what to install.

Example:
    >>> wl = SupermarQ()
    >>> p = wl.build(SupermarQ.Params(benchmark="GHZ", num_qubits=3, shots=10), SupermarQ.Options())
    >>> wl.score(p, {"000": 0.5, "111": 0.5}, 10)["score"].value
    1.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping

import numpy as np
from pydantic import Field

from harness.errors import UnsupportedError
from harness.records import Metric
from harness.workloads.base import ClassicalOutcome, MetricInfo, QuantumOutcome, Workload, WorkloadParams
from harness.workloads.ghz import hellinger_fidelity

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["MQTBench", "PeerProblem", "SupermarQ"]


def _require(module: str, package: str) -> Any:
    from importlib import import_module

    try:
        return import_module(module)
    except ImportError:
        raise UnsupportedError(f"this workload needs the {package!r} package, which is not installed",
                               hint=f".venv/bin/python -m pip install {package}") from None


@dataclass(frozen=True)
class PeerProblem:
    """A peer benchmark's circuit (measured, qiskit bit order) and what scores it."""

    name: str
    circuit: "QuantumCircuit"
    shots: int
    benchmark: Any = None
    ideal: Mapping[str, float] | None = None


def _binomial_stderr(value: float, shots: int) -> float:
    """``sqrt(s (1 - s) / shots)`` for a score in [0, 1]: an approximation that costs no further score
    calls (mitigation bootstraps every score it makes, so a bootstrap here would multiply its cost);
    hardware results carry the mitigation bootstrap's stderr instead."""
    s = min(max(value, 0.0), 1.0)
    return math.sqrt(s * (1 - s) / shots)


class SupermarQ(Workload):
    """A SupermarQ application benchmark, scored by the package's own ``score``."""

    name = "supermarq"
    description = "SupermarQ benchmarks (GHZ, Mermin-Bell, Hamiltonian simulation, bit code), scored by SupermarQ"
    metrics = {"score": MetricInfo("expectation", "SupermarQ's own score of the counts (1 ideal); binomial stderr")}
    solvers = ("exact",)
    default_solvers = ("exact",)

    class Params(WorkloadParams):
        benchmark: Literal["GHZ", "MerminBell", "HamiltonianSimulation", "BitCode", "PhaseCode"]
        num_qubits: int = Field(ge=2, le=20, description="qubits (data qubits for BitCode, PhaseCode)")
        shots: int = Field(ge=1)

    class Options(WorkloadParams):
        rounds: int = Field(2, ge=1, le=10)
        """Syndrome rounds of BitCode and PhaseCode."""

    def build(self, params: WorkloadParams, options: WorkloadParams) -> PeerProblem:
        benchmarks = _require("supermarq.benchmarks", "supermarq")
        cls = getattr(benchmarks, params.benchmark)
        if params.benchmark in ("BitCode", "PhaseCode"):
            bench = cls(params.num_qubits, options.rounds, [q % 2 for q in range(params.num_qubits)])
        else:
            bench = cls(params.num_qubits)
        circuit = bench.qiskit_circuit()
        circuit.name = f"supermarq_{params.benchmark}_{params.num_qubits}"
        return PeerProblem(name=params.benchmark, circuit=circuit, shots=params.shots, benchmark=bench)

    def classical(self, problem: PeerProblem, settings: "ClassicalSettings", rng: np.random.Generator
                  ) -> ClassicalOutcome:
        """The known answer: SupermarQ normalises each score so that a noiseless device scores 1
        (Tomesh et al. 2022, section IV); Hamiltonian simulation's 1 - |m - m_ideal| / 2 reaches 1
        in the infinite-shot limit. Where the circuit ends in final measurements only, the exact
        state vector is scored to confirm it (timed)."""
        start = time.perf_counter()
        try:
            value, method = self._score(problem, _ideal_distribution(problem.circuit)), "state vector, scored by SupermarQ"
        except Exception:  # noqa: BLE001 - mid-circuit measurements (the codes): the normalisation is the answer
            value, method = 1.0, "SupermarQ's normalisation: a noiseless device scores 1"
        seconds = time.perf_counter() - start
        return ClassicalOutcome(metrics={"score": Metric(value, "scalar", 0.0, 1)},
                                info={"solver": "exact", "method": method, "seconds": {"exact": seconds}})

    def quantum(self, problem: PeerProblem, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        counts = device.sample(problem.circuit, problem.shots)[0]
        return QuantumOutcome(circuit=problem.circuit, counts=dict(counts), shots=problem.shots,
                              info={"benchmark": problem.name, "source": "supermarq"})

    def _score(self, problem: PeerProblem, probs: Mapping[str, float]) -> float:
        big_endian = {k.replace(" ", "")[::-1]: max(float(v), 0.0) for k, v in probs.items()}
        return float(problem.benchmark.score(big_endian))

    def score(self, problem: PeerProblem, probs: Mapping[str, float], shots: int) -> dict[str, Metric]:
        value = self._score(problem, probs)
        return {"score": Metric(value, "expectation", _binomial_stderr(value, shots), shots)}


def _ideal_distribution(circuit: "QuantumCircuit") -> dict[str, float]:
    """Exact distribution of the measured bits of ``circuit`` (final measurements; qiskit key order)."""
    from qiskit.quantum_info import Statevector

    if circuit.num_qubits > 20:
        raise UnsupportedError(f"{circuit.name}: {circuit.num_qubits} qubits is too wide for the exact ideal "
                               "distribution", hint="use at most 20 qubits")
    measured = {}
    for inst in circuit.data:
        if inst.operation.name == "measure":
            measured[circuit.find_bit(inst.clbits[0]).index] = circuit.find_bit(inst.qubits[0]).index
    body = circuit.remove_final_measurements(inplace=False)
    clbits = sorted(measured)
    probs = Statevector(body).probabilities([measured[c] for c in clbits])
    n = circuit.num_clbits
    out: dict[str, float] = {}
    for index in np.flatnonzero(probs > 1e-12):
        bits = ["0"] * n
        for k, c in enumerate(clbits):
            bits[n - 1 - c] = "1" if (int(index) >> k) & 1 else "0"
        out["".join(bits)] = out.get("".join(bits), 0.0) + float(probs[index])
    return out


class MQTBench(Workload):
    """An MQT Bench circuit (algorithm level), scored by the Hellinger fidelity to its ideal distribution."""

    name = "mqt_bench"
    description = "MQT Bench circuits at the algorithm level, against their exact ideal distribution"
    metrics = {"hellinger_fidelity": MetricInfo("distribution", "Hellinger fidelity to the exact ideal distribution")}
    solvers = ("exact",)
    default_solvers = ("exact",)

    class Params(WorkloadParams):
        benchmark: str = Field(description="an MQT Bench name: ghz, dj, bv, qft, wstate, graphstate, ...")
        circuit_size: int = Field(ge=2, le=20)
        shots: int = Field(ge=1)

    class Options(WorkloadParams):
        """MQT Bench circuits are built at the algorithm level with their default (seeded) parameters."""

    def build(self, params: WorkloadParams, options: WorkloadParams) -> PeerProblem:
        bench = _require("mqt.bench", "mqt.bench")
        names = _require("mqt.bench.benchmarks", "mqt.bench").get_available_benchmark_names()
        if params.benchmark not in names:
            raise UnsupportedError(f"mqt_bench: unknown benchmark {params.benchmark!r}",
                                   hint=f"use one of {', '.join(sorted(names))}")
        circuit = bench.get_benchmark(params.benchmark, level=bench.BenchmarkLevel.ALG,
                                      circuit_size=params.circuit_size, random_parameters=False)
        if circuit.num_parameters:
            raise UnsupportedError(f"mqt_bench: {params.benchmark} has {circuit.num_parameters} free parameters",
                                   hint="choose a benchmark without parameters (ghz, dj, bv, qft, wstate, ...)")
        circuit = circuit.copy(name=f"mqt_{params.benchmark}_{params.circuit_size}")
        if circuit.num_clbits == 0:
            circuit.measure_all()
        return PeerProblem(name=params.benchmark, circuit=circuit, shots=params.shots,
                           ideal=_ideal_distribution(circuit))

    def classical(self, problem: PeerProblem, settings: "ClassicalSettings", rng: np.random.Generator
                  ) -> ClassicalOutcome:
        start = time.perf_counter()
        ideal = _ideal_distribution(problem.circuit)
        seconds = time.perf_counter() - start
        return ClassicalOutcome(metrics=self.score(problem, ideal, problem.shots),
                                info={"solver": "exact", "method": "state vector", "seconds": {"exact": seconds},
                                      "support": len(ideal)})

    def quantum(self, problem: PeerProblem, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        counts = device.sample(problem.circuit, problem.shots)[0]
        return QuantumOutcome(circuit=problem.circuit, counts=dict(counts), shots=problem.shots,
                              info={"benchmark": problem.name, "source": "mqt.bench", "level": "alg"})

    def score(self, problem: PeerProblem, probs: Mapping[str, float], shots: int) -> dict[str, Metric]:
        clean = {k.replace(" ", ""): max(float(v), 0.0) for k, v in probs.items()}
        total = sum(clean.values())
        if total <= 0:
            raise UnsupportedError("mqt_bench: the distribution to score has no probability",
                                   hint="check the counts or the mitigation that produced them")
        fid, err = hellinger_fidelity({k: v / total for k, v in clean.items()}, problem.ideal, shots)
        return {"hellinger_fidelity": Metric(fid, "distribution", err if math.isfinite(err) else None, shots)}
