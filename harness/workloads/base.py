"""The workload protocol: build a problem, solve it classically, run it on a device, score a distribution.

A workload is the only place that knows its problem's physics. The harness drives it:

1. ``build(params, options)`` turns one matrix point into a problem (graph, Hamiltonian, circuit family);
2. ``classical(problem, settings, rng)`` solves it with classical methods (the ``classical`` baseline);
3. ``quantum(problem, device, rng)`` runs the hybrid loop on a :class:`~harness.executors.base.Device`
   and returns the final circuit and its counts;
4. ``score(problem, probs, shots)`` turns a (possibly mitigated) distribution of that final circuit
   into metrics. Mitigation calls it on every noise-scaled distribution, so it must be a pure
   function of ``probs``. A workload may also write ``score_many(problem, keys, probs, shots)``, the
   same values for every row of a matrix of distributions at once: the bootstrap then scores its
   resamples in one call (see :class:`~harness.mitigation.base.HistogramScore`).

A workload whose estimate needs several circuits (an energy measured in several Pauli bases)
sets ``multi_circuit = True``: its ``quantum`` fills ``QuantumOutcome.circuits`` and
``counts_list`` (one entry per circuit, all run with ``shots``), and its ``score`` receives a
list of distributions in the same order. Single-circuit workloads are unchanged.

Counts and probabilities are keyed by bitstrings in qiskit's order: classical bit 0 is the
rightmost character.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from harness.records import Metric

if TYPE_CHECKING:  # SDK types only for annotations: importing a workload module stays cheap
    from qiskit import QuantumCircuit

    from harness.executors.base import Device
    from harness.suite.schema import ClassicalSettings

__all__ = ["ClassicalOutcome", "MetricInfo", "QuantumOutcome", "Workload", "WorkloadParams"]


class WorkloadParams(BaseModel):
    """Base for a workload's matrix-point and options models: strict, every workload has ``shots``."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class MetricInfo:
    """What a workload's metric means. ``kind`` chooses its drift test (see ``harness.records``)."""

    kind: str
    description: str
    unit: str = ""


@dataclass(frozen=True)
class ClassicalOutcome:
    """The classical baseline: its metrics (on the same scale as the quantum ones) and details."""

    metrics: Mapping[str, Metric]
    info: Mapping[str, Any] = field(default_factory=dict)
    trace: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class QuantumOutcome:
    """A hybrid run's final circuit (logical, measured) and its counts on the device.

    ``trace`` holds one entry per classical-optimizer evaluation (parameters, objective).
    ``circuits`` and ``counts_list`` hold every final circuit and its counts, in the order a
    multi-circuit workload's ``score`` expects them; a single-circuit workload may leave them
    empty and they become ``(circuit,)`` and ``(counts,)``.
    """

    circuit: "QuantumCircuit"
    counts: Mapping[str, int]
    shots: int
    trace: tuple[Mapping[str, Any], ...] = ()
    info: Mapping[str, Any] = field(default_factory=dict)
    circuits: tuple["QuantumCircuit", ...] = ()
    counts_list: tuple[Mapping[str, int], ...] = ()

    def __post_init__(self) -> None:
        if not self.circuits:
            object.__setattr__(self, "circuits", (self.circuit,))
        if not self.counts_list:
            object.__setattr__(self, "counts_list", (self.counts,))
        if len(self.circuits) != len(self.counts_list):
            raise ValueError(f"QuantumOutcome: {len(self.circuits)} circuits but {len(self.counts_list)} counts")


class Workload(ABC):
    """A benchmark problem family. Subclasses set the class attributes and the four methods."""

    name: ClassVar[str]
    description: ClassVar[str]
    metrics: ClassVar[Mapping[str, MetricInfo]]
    Params: ClassVar[type[WorkloadParams]]
    """One matrix point (validated per case)."""
    Options: ClassVar[type[WorkloadParams]]
    """The suite's ``options`` block (lineage, not identity)."""
    solvers: ClassVar[tuple[str, ...]]
    """Classical solvers this workload offers; the first ones are the defaults."""
    default_solvers: ClassVar[tuple[str, ...]]
    multi_circuit: ClassVar[bool] = False
    """True if ``score`` takes one distribution per circuit of ``QuantumOutcome.circuits``."""

    def qubits(self, params: WorkloadParams, options: WorkloadParams) -> int | None:
        """Qubits one case's circuits need, known before anything runs (checked against the backend
        when the suite is planned); None if the workload cannot tell without building the problem."""
        return None

    @abstractmethod
    def build(self, params: WorkloadParams, options: WorkloadParams) -> Any:
        """The problem for one case."""

    @abstractmethod
    def classical(self, problem: Any, settings: "ClassicalSettings", rng: np.random.Generator) -> ClassicalOutcome:
        """Solve ``problem`` classically and score it on the quantum metrics' scale."""

    @abstractmethod
    def quantum(self, problem: Any, device: "Device", rng: np.random.Generator) -> QuantumOutcome:
        """Run the hybrid workflow on ``device`` and return the final circuit with its counts."""

    @abstractmethod
    def score(self, problem: Any, probs: Mapping[str, float], shots: int) -> dict[str, Metric]:
        """Metrics of the final circuit's output distribution ``probs`` (sums to 1; may be mitigated).

        With ``multi_circuit`` set, ``probs`` is a sequence of distributions, one per final circuit.
        """

    def score_many(self, problem: Any, keys: Sequence[str], probs: np.ndarray, shots: int) -> dict[str, np.ndarray]:
        """Optional, single-circuit workloads: :meth:`score`'s values (not stderrs) for each row of a
        ``(rows, len(keys))`` matrix of distributions over the bitstrings ``keys``, as arrays.

        Not overridden (this default): the bootstrap calls :meth:`score` once per resample instead.
        """
        raise NotImplementedError(f"workload {self.name} has no vectorised score")

    @classmethod
    def scores_histograms(cls) -> bool:
        """Whether this workload writes :meth:`score_many` (and is single-circuit, where it applies)."""
        return cls.score_many is not Workload.score_many and not cls.multi_circuit
